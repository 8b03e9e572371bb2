"""Real servers for the alert tests: an SMTP server (aiosmtpd) and a local HTTP server that
speaks GOV.UK Notify's API and checks the JWT the official client signs, the way Notify does.
Nothing is mocked between our code and the wire."""

from __future__ import annotations

import email
import email.policy
import json
import random
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from care.clock import FrozenClock
from care.demo import synthetic_nhs_number
from care.deterioration import service
from care.deterioration.schemas import ObservationsIn
from care.directory.access import load_actor
from care.directory.models import NotifyChannel, User
from care.residents import service as residents
from care.residents.schemas import AdmissionIn
from care.settings import Settings
from flows.delivery import DeliveryWorker
from tasks.runtime import Runtime
from tests.factories import World, admission

# RR 22 (2) + SpO2 95 (1) + pulse 105 (1) + temperature 38.5 (1) = NEWS2 5: an urgent,
# two-hour response by the urgent community response team.
MEDIUM = {"respiration_rate": 22, "spo2": 95, "on_oxygen": False, "systolic_bp": 130,
          "pulse": 105, "consciousness": "alert", "temperature": 38.5}
NHS_NUMBER = synthetic_nhs_number(random.Random(8))  # the reserved 999 range
DATE_OF_BIRTH = date(1931, 4, 23)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# ---------------------------------------------------------------- SMTP


@dataclass
class Mailbox:
    """What the SMTP server received; set ``refuse_rcpt``/``refuse_data`` to a code to fail."""

    messages: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    refuse_rcpt: int | None = None
    refuse_data: int | None = None
    tries: int = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        self.tries += 1
        if self.refuse_rcpt:
            return f"{self.refuse_rcpt} 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_data:
            return f"{self.refuse_data} 5.3.0 transaction failed"
        self.raw.append(envelope.content)
        self.recipients.extend(envelope.rcpt_tos)
        self.messages.append(email.message_from_bytes(  # type: ignore[arg-type]
            envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


# ---------------------------------------------------------------- GOV.UK Notify


SERVICE_ID = str(uuid.UUID(int=0x5E7F1CE))
SECRET = str(uuid.UUID(int=0xC0FFEE))
API_KEY = f"carejourney_test-{SERVICE_ID}-{SECRET}"
EMAIL_TEMPLATE = str(uuid.UUID(int=1))
SMS_TEMPLATE = str(uuid.UUID(int=2))


@dataclass
class NotifyApi:
    """Requests Notify accepted, with their verified JWT claims; ``answer`` to fail them."""

    sms: list[dict[str, Any]] = field(default_factory=list)
    emails: list[dict[str, Any]] = field(default_factory=list)
    refused_tokens: int = 0
    answer: tuple[int, dict[str, Any]] | None = None
    base_url: str = ""


def notify_server() -> Iterator[NotifyApi]:
    api = NotifyApi()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            try:
                # As Notify does: the issuer names the service, whose key signs the token.
                assert get_token_issuer(token) == SERVICE_ID
                decode_jwt_token(token, SECRET)
            except Exception:
                api.refused_tokens += 1
                self._reply(403, {"status_code": 403, "errors": [
                    {"error": "AuthError", "message": "Invalid token: signature"}]})
                return
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if api.answer is not None:
                self._reply(*api.answer)
                return
            if self.path == "/v2/notifications/sms":
                api.sms.append(body)
                content = {"body": body["personalisation"]["body"], "from_number": "NHS"}
            elif self.path == "/v2/notifications/email":
                api.emails.append(body)
                content = {"subject": body["personalisation"]["subject"],
                           "body": body["personalisation"]["body"],
                           "from_email": "carejourney@notifications.service.gov.uk"}
            else:
                self._reply(404, {"status_code": 404, "errors": [
                    {"error": "NotFound", "message": "Not found"}]})
                return
            self._reply(201, {"id": str(uuid.uuid4()), "reference": body.get("reference"),
                              "content": content, "uri": "", "template": {
                                  "id": body["template_id"], "version": 1, "uri": ""}})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- the care around it


def alert_settings(base: Settings, **values: Any) -> Settings:
    for secret in ("notify_api_key", "smtp_password"):
        if isinstance(values.get(secret), str):
            values[secret] = SecretStr(values[secret])
    return base.model_copy(update={"public_url": "https://carejourney.example.nhs.uk",
                                   "delivery_retry_seconds": 15, "delivery_max_attempts": 3,
                                   **values})


def choose(sessions: sessionmaker[Session], user: User, channel: NotifyChannel, *,
           email_address: str | None = None, mobile: str | None = None) -> None:
    with sessions() as s, s.begin():
        row = s.get(User, user.id)
        assert row is not None
        row.notify_channel, row.email, row.mobile = channel, email_address, mobile


def admit_edith(sessions: sessionmaker[Session], world: World, settings: Settings,
                now: datetime) -> uuid.UUID:
    """A resident whose name, NHS number and date of birth are easy to look for."""
    with sessions() as s, s.begin():
        staff = load_actor(s, world.users["staff.a"])
        body = admission(world.home_a.id, now.date(), given_name="Edith",
                         family_name="Crawley", nhs_number=NHS_NUMBER,
                         date_of_birth=DATE_OF_BIRTH.isoformat(), room="12")
        resident, _ = residents.admit(s, staff, AdmissionIn(**body), now, settings)
        return resident.id


def record_medium(sessions: sessionmaker[Session], world: World, resident_id: uuid.UUID,
                  now: datetime) -> uuid.UUID:
    """Care staff record NEWS2 5: the urgent step opens for the responder, in one commit."""
    with sessions() as s, s.begin():
        staff = load_actor(s, world.users["staff.a"])
        recorded = service.record_observations(s, staff, resident_id, ObservationsIn(**MEDIUM),
                                               now)
        assert recorded.deterioration is not None
        return recorded.deterioration.id


def worker(
    sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> DeliveryWorker:
    return DeliveryWorker(Runtime(settings, sessions, clock))


def everything_sent(mailbox: Mailbox | None = None, api: NotifyApi | None = None) -> str:
    """All that left the building, as one text to search."""
    parts: list[str] = []
    if mailbox is not None:
        parts += [raw.decode("utf-8", "replace") for raw in mailbox.raw]
        parts += [str(m.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
                  for m in mailbox.messages]
    if api is not None:
        parts += [json.dumps(b) for b in [*api.sms, *api.emails]]
    return "\n".join(parts)


def identifiers_in(text: str) -> list[str]:
    """Edith's identifiers that appear in ``text`` (none may)."""
    found = []
    low = text.lower()
    for what, needle in (("given name", "edith"), ("family name", "crawley"),
                         ("NHS number", NHS_NUMBER),
                         ("NHS number", f"{NHS_NUMBER[:3]} {NHS_NUMBER[3:6]} {NHS_NUMBER[6:]}"),
                         ("date of birth", "1931-04-23"), ("date of birth", "23/04/1931"),
                         ("date of birth", "23 april 1931"), ("room", "room 12")):
        if needle.lower() in low:
            found.append(what)
    return found
