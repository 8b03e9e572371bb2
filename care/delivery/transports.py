"""The two ways out of the app: email through SMTP (stdlib) and GOV.UK Notify (its official
client) for email or text messages. Each send either returns the provider's id or raises
``DeliveryFailed``, saying whether trying again could help."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

from care.delivery.rules import Message
from care.directory.models import NotifyChannel
from care.settings import Settings


class DeliveryFailed(Exception):
    """The message did not go. ``permanent``: the same message would fail again (a refused
    address, a bad request), so the clinical lead is told at once instead of after retries."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Transport(Protocol):
    name: str

    def send(self, address: str, message: Message, *, key: str) -> str:
        """Send; return the provider's id for the message. ``key`` is stable per delivery."""
        ...


class SmtpEmail:
    """Plain-text email through the configured SMTP server (STARTTLS unless turned off)."""

    name = "smtp"

    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.user = settings.smtp_user
        self.password = settings.smtp_password.get_secret_value()
        self.sender = settings.smtp_from
        self.starttls = settings.smtp_starttls
        self.timeout = settings.smtp_timeout_seconds

    def send(self, address: str, message: Message, *, key: str) -> str:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = address
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        # The same id on every try of one delivery: a copy sent again after a crash can be
        # recognised (and is by many mail systems) as the same message.
        msgid = f"<{key}@carejourney.invalid>"
        email["Message-ID"] = msgid
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            # 5xx for the recipient: the address itself is refused; retrying cannot help.
            raise DeliveryFailed(f"the mail server refused the address ({_codes(codes)})",
                                 permanent=all(c >= 500 for c in codes)) from exc
        except smtplib.SMTPResponseException as exc:
            # Other refusals (554 on DATA, 530 authentication...) are the server's or our
            # configuration's trouble: retried, then reported.
            raise DeliveryFailed(f"the mail server answered {exc.smtp_code}",
                                 permanent=False) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"could not reach the mail server ({type(exc).__name__})",
                                 permanent=False) from exc
        return msgid


def _codes(codes: list[int]) -> str:
    return ", ".join(str(c) for c in sorted(set(codes)))


class _NotifyBase:
    def __init__(self, settings: Settings) -> None:
        self.api_key = settings.notify_api_key.get_secret_value()
        self.base_url = settings.notify_base_url
        self.timeout = settings.notify_timeout_seconds

    def _client(self) -> object:
        # One client per send: the official client is not thread-safe.
        from notifications_python_client.notifications import NotificationsAPIClient

        return NotificationsAPIClient(  # type: ignore[no-untyped-call]
            self.api_key, base_url=self.base_url, timeout=self.timeout)

    @staticmethod
    def _failed(exc: Exception) -> DeliveryFailed:
        from notifications_python_client.errors import APIError

        if isinstance(exc, APIError):
            status = exc.status_code
            # 400 (bad address, template, team-only key) and 403 (key refused) fail the same
            # way every time; 429 and 5xx (and no answer, which the client calls 503) may pass.
            permanent = status in (400, 403)
            return DeliveryFailed(f"GOV.UK Notify answered {status}", permanent=permanent)
        return DeliveryFailed(f"GOV.UK Notify could not be reached ({type(exc).__name__})",
                              permanent=False)


class NotifyEmail(_NotifyBase):
    name = "notify"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.template_id = settings.notify_email_template_id

    def send(self, address: str, message: Message, *, key: str) -> str:
        try:
            answer = self._client().send_email_notification(  # type: ignore[attr-defined]
                email_address=address, template_id=self.template_id,
                personalisation={"subject": message.subject, "body": message.body},
                reference=key)
        except Exception as exc:
            raise self._failed(exc) from exc
        return str((answer or {}).get("id", ""))


class NotifySms(_NotifyBase):
    name = "notify"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.template_id = settings.notify_sms_template_id

    def send(self, address: str, message: Message, *, key: str) -> str:
        try:
            answer = self._client().send_sms_notification(  # type: ignore[attr-defined]
                phone_number=address, template_id=self.template_id,
                personalisation={"body": message.sms}, reference=key)
        except Exception as exc:
            raise self._failed(exc) from exc
        return str((answer or {}).get("id", ""))


@dataclass(frozen=True)
class Transports:
    email: Transport | None
    sms: Transport | None

    def for_channel(self, channel: NotifyChannel) -> Transport | None:
        return self.email if channel == NotifyChannel.EMAIL else (
            self.sms if channel == NotifyChannel.SMS else None)


def transports_for(settings: Settings) -> Transports:
    """SMTP for email when a host is set, else GOV.UK Notify's email template; text messages
    through GOV.UK Notify's SMS template."""
    email: Transport | None = None
    if settings.smtp_configured:
        email = SmtpEmail(settings)
    elif settings.notify_configured and settings.notify_email_template_id:
        email = NotifyEmail(settings)
    sms: Transport | None = (NotifySms(settings) if settings.notify_configured
                             and settings.notify_sms_template_id else None)
    return Transports(email=email, sms=sms)


def available_channels(settings: Settings) -> list[NotifyChannel]:
    """The channels people may choose here: in the app always, others once configured."""
    transports = transports_for(settings)
    return [NotifyChannel.IN_APP,
            *([NotifyChannel.EMAIL] if transports.email else []),
            *([NotifyChannel.SMS] if transports.sms else [])]


def describe(settings: Settings) -> str:
    """One line for the start-up log: which channels work, and where links point."""
    transports = transports_for(settings)
    if transports.email is None and transports.sms is None:
        return ("Notifications: in the app only (no CAREJOURNEY_SMTP_HOST or "
                "CAREJOURNEY_NOTIFY_API_KEY set): urgent alerts reach people only when they "
                "look at carejourney.")
    parts = []
    if transports.email is not None:
        by_smtp = transports.email.name == "smtp"
        parts.append(f"email via {'SMTP ' + settings.smtp_host if by_smtp else 'GOV.UK Notify'}")
    if transports.sms is not None:
        parts.append("text messages via GOV.UK Notify")
    return (f"Notifications: in the app, and {' and '.join(parts)} for people who chose them; "
            f"links point to {settings.base_url}.")
