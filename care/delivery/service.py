"""Sending alerts, recording what happened, telling the clinical lead when one fails, and
each person's channel and contact details."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from care.audit.service import record as audit
from care.delivery import outbox
from care.delivery.models import NotificationDelivery
from care.delivery.outbox import Outgoing
from care.delivery.rules import (
    DELIVERY_FAILED,
    compose,
    identifier_patterns,
    leaks,
    mask,
    normalise_email,
    normalise_mobile,
)
from care.delivery.schemas import ContactIn
from care.delivery.transports import DeliveryFailed, Transports, available_channels
from care.directory.access import OVERSEEING_ROLES, Actor
from care.directory.models import CareHome, HomeMembership, NotifyChannel, User
from care.errors import InvalidInput, NotFound
from care.journeys.models import Notification
from care.journeys.notifications import notify
from care.settings import Settings
from care.types import Role

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- sending


@dataclass(frozen=True)
class Attempt:
    """What one try at sending came to."""

    sent: bool
    transport: str | None = None
    provider_id: str | None = None
    error: str | None = None
    permanent: bool = False


def attempt(outgoing: Outgoing, transports: Transports, settings: Settings) -> Attempt:
    """Compose the message (no identifiers) and hand it to the channel's transport.

    Runs outside any database transaction: a slow mail server holds no locks.
    """
    address = outgoing.email if outgoing.channel == NotifyChannel.EMAIL else outgoing.mobile
    transport = transports.for_channel(outgoing.channel)
    if transport is None:
        return Attempt(sent=False, permanent=True,
                       error=f"{outgoing.channel.label.lower()} is not set up on this service")
    if not address:
        what = "email address" if outgoing.channel == NotifyChannel.EMAIL else "mobile number"
        return Attempt(sent=False, permanent=True, error=f"no {what} recorded")
    message = _message(outgoing, settings)
    try:
        provider_id = transport.send(address, message, key=f"{outgoing.reference}.{outgoing.id}")
    except DeliveryFailed as exc:
        return Attempt(sent=False, transport=transport.name, error=exc.reason,
                       permanent=exc.permanent)
    return Attempt(sent=True, transport=transport.name, provider_id=provider_id)


def _message(outgoing: Outgoing, settings: Settings) -> Any:
    def build(detail: str | None) -> Any:
        return compose(
            headline=outgoing.headline, detail=detail, due_at=outgoing.due_at,
            url=settings.base_url + outgoing.link_path, reference=outgoing.reference,
            settings_url=settings.base_url + "/notifications#channel-section",
            channel_label=outgoing.channel.label, tz=settings.timezone)

    message = build(outgoing.detail)
    patterns = identifier_patterns(names=outgoing.resident_names,
                                   nhs_number=outgoing.resident_nhs_number,
                                   date_of_birth=outgoing.resident_date_of_birth)
    found = leaks(message, patterns)
    if found:
        # Defence in depth: the detail is a step title, which should never name anyone.
        log.warning("delivery %s: the step title looked like it held a %s; sent without it",
                    outgoing.id, " and ".join(found))
        message = build(None)
    return message


def record_attempt(
    session: Session, outgoing: Outgoing, result: Attempt, now: datetime, settings: Settings
) -> NotificationDelivery | None:
    """Mark the delivery sent, or retried later, or given up; a delivery given up is reported
    to the clinical lead in the same transaction. Returns the delivery when it was given up."""
    if result.sent:
        outbox.mark_sent(session, outgoing.id, now, transport=result.transport or "",
                         provider_id=result.provider_id)
        return None
    failed = outbox.mark_failed(session, outgoing.id, now, error=result.error or "failed",
                                permanent=result.permanent,
                                max_attempts=settings.delivery_max_attempts,
                                retry_seconds=settings.delivery_retry_seconds)
    if failed is not None:
        report_failure(session, failed, now)
    return failed


def report_failure(session: Session, delivery: NotificationDelivery, now: datetime) -> None:
    """Tell the clinical lead of the home (else its representatives) who was not reached.

    The person still has the alert in the app. A failed alert about a failure is not reported
    again: it is on the delivery problems list, and reporting it would loop.
    """
    note = session.get(Notification, delivery.notification_id)
    user = session.get(User, delivery.user_id)
    if note is None or user is None or note.kind == DELIVERY_FAILED:
        return
    recipients: set[uuid.UUID] = set()
    home = session.get(CareHome, delivery.home_id) if delivery.home_id else None
    if home is not None and home.clinical_lead_id is not None:
        recipients.add(home.clinical_lead_id)
    elif home is not None:
        recipients.update(session.scalars(select(HomeMembership.user_id).where(
            HomeMembership.home_id == home.id, HomeMembership.is_home_representative)))
    how = "an email" if delivery.channel == NotifyChannel.EMAIL else "a text message"
    tries = "once" if delivery.attempts == 1 else f"{delivery.attempts} times"
    why = "was refused" if delivery.permanent else f"failed {tries}"
    message = (f"Not reached: {user.display_name} was sent {how} ({delivery.headline.lower()}, "
               f"ref {delivery.reference}) and it {why}: {delivery.last_error}. They have it "
               "in carejourney only: make sure they know.")
    for user_id in recipients:
        notify(session, user_id, DELIVERY_FAILED, message[:1000], now, step_id=note.step_id,
               resident_id=note.resident_id)
    log.warning("delivery %s (ref %s) to user %s given up: %s", delivery.id, delivery.reference,
                delivery.user_id, delivery.last_error)


# ---------------------------------------------------------------- what the lead sees


@dataclass(frozen=True)
class Problem:
    delivery: NotificationDelivery
    user_name: str
    address: str
    home_name: str | None


def delivery_problems(
    session: Session, actor: Actor, now: datetime, *, days: int = 7, limit: int = 50
) -> list[Problem]:
    """Alerts given up in the last ``days`` in the homes the actor serves, newest first:
    for clinical leads, coordinators and admins (the people who can chase them)."""
    if actor.role not in OVERSEEING_ROLES:
        return []
    rows = session.execute(
        select(NotificationDelivery, User, CareHome.name)
        .join(User, User.id == NotificationDelivery.user_id)
        .outerjoin(CareHome, CareHome.id == NotificationDelivery.home_id)
        .where(NotificationDelivery.failed_at.is_not(None),
               NotificationDelivery.failed_at >= now - timedelta(days=days),
               NotificationDelivery.home_id.in_(actor.home_ids))
        .order_by(NotificationDelivery.failed_at.desc()).limit(limit)
    ).tuples().all()
    return [Problem(d, u.display_name, _address(u, d.channel), home) for d, u, home in rows]


def _address(user: User, channel: NotifyChannel) -> str:
    value = user.email if channel == NotifyChannel.EMAIL else user.mobile
    return mask(value) if value else "none recorded"


def last_failure_for(session: Session, user_id: uuid.UUID) -> NotificationDelivery | None:
    """The person's own most recent alert that did not reach them, if it came after their
    last successful one (so they can check their details)."""
    last = session.scalar(
        select(NotificationDelivery).where(
            NotificationDelivery.user_id == user_id,
            NotificationDelivery.sent_at.is_not(None) | NotificationDelivery.failed_at.is_not(None))
        .order_by(NotificationDelivery.id.desc()).limit(1))
    return last if last is not None and last.failed_at is not None else None


# ---------------------------------------------------------------- channel and contact details


def _target(session: Session, actor: Actor, user_id: uuid.UUID) -> User:
    """Oneself, or (for an admin) anyone in the admin's PCN; anyone else does not exist."""
    user = session.get(User, user_id)
    if user is None or (user.id != actor.id and not (
            actor.role == Role.ADMIN and user.pcn_id == actor.user.pcn_id)):
        raise NotFound("user not found")
    return user


def contact_of(session: Session, actor: Actor, user_id: uuid.UUID) -> User:
    return _target(session, actor, user_id)


def set_contact(
    session: Session, actor: Actor, user_id: uuid.UUID, data: ContactIn, now: datetime,
    settings: Settings,
) -> User:
    """Change how a person is told about urgent work; field errors when it cannot work."""
    user = _target(session, actor, user_id)
    errors: list[dict[str, str]] = []
    email = mobile = None
    if data.email and data.email.strip():
        try:
            email = normalise_email(data.email)
        except ValueError as exc:
            errors.append({"field": "email", "reason": str(exc)})
    if data.mobile and data.mobile.strip():
        try:
            mobile = normalise_mobile(data.mobile)
        except ValueError as exc:
            errors.append({"field": "mobile", "reason": str(exc)})
    if data.channel not in available_channels(settings):
        errors.append({"field": "channel", "reason": f"{data.channel.label.lower()} is not set "
                       "up on this service yet; ask your administrator"})
    elif data.channel == NotifyChannel.EMAIL and email is None and not any(
            e["field"] == "email" for e in errors):
        errors.append({"field": "email", "reason": "enter the email address to send alerts to"})
    elif data.channel == NotifyChannel.SMS and mobile is None and not any(
            e["field"] == "mobile" for e in errors):
        errors.append({"field": "mobile", "reason": "enter the mobile number to text alerts to"})
    if errors:
        raise InvalidInput("these contact details cannot be used", errors=errors)
    before = _snapshot(user)
    user.notify_channel, user.email, user.mobile = data.channel, email, mobile
    audit(session, at=now, actor=actor.user, channel=actor.channel,
          action="user.notification_channel", entity="user", entity_id=user.id,
          before=before, after=_snapshot(user))
    if user.id != actor.id and before != _snapshot(user):
        # Nobody's urgent alerts are redirected without them knowing (found by review).
        notify(session, user.id, "account",
               f"{actor.user.display_name} changed how you are told about urgent work: now "
               f"{user.notify_channel.label.lower()}. If that is wrong, change it on this page.",
               now)
    return user


def _snapshot(user: User) -> dict[str, Any]:
    return {"channel": user.notify_channel.value, "email": user.email, "mobile": user.mobile}
