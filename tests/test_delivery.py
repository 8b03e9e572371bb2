"""Urgent alerts outside the app, through a real SMTP server and a local GOV.UK Notify API:
written with the care that raised them, sent later by the delivery worker, retried, and
reported to the clinical lead when they cannot be delivered. Nothing identifying the resident
is ever sent."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments.kinds import AssessmentStep
from care.clock import FrozenClock
from care.db import unit_of_work
from care.delivery import outbox
from care.delivery import service as delivery
from care.delivery.models import NotificationDelivery
from care.delivery.schemas import ContactIn
from care.deterioration.models import Deterioration, DeteriorationStatus
from care.directory.access import load_actor
from care.directory.models import NotifyChannel, User
from care.journeys import service as journeys
from care.journeys.models import Notification, Step, StepStatus
from care.settings import Settings
from care.types import Profession, Role
from tests import alerts
from tests.alerts import Mailbox, NotifyApi
from tests.factories import World, make_user

NOW = datetime.fromisoformat("2026-11-10T14:00:00+00:00")  # 2pm in London, a Tuesday
PUBLIC = "https://carejourney.example.nhs.uk"


@pytest.fixture
def mail() -> Iterator[tuple[Mailbox, int]]:
    yield from alerts.smtp_server()


@pytest.fixture
def notify_api() -> Iterator[NotifyApi]:
    yield from alerts.notify_server()


@pytest.fixture
def ucr(world: World, sessions: sessionmaker[Session], clock: FrozenClock) -> User:
    clock.set(NOW)
    with sessions() as s, s.begin():
        return make_user(s, world.pcn, "ucr.a", Role.MDT_MEMBER,
                         Profession.URGENT_COMMUNITY_RESPONSE, [world.home_a])


def smtp_settings(settings: Settings, port: int, **values: object) -> Settings:
    return alerts.alert_settings(settings, smtp_host="127.0.0.1", smtp_port=port,
                                 smtp_starttls=False, **values)


def deliveries(s: Session) -> list[NotificationDelivery]:
    return list(s.scalars(select(NotificationDelivery).order_by(NotificationDelivery.id)))


def test_the_urgent_step_is_emailed_to_the_responder_with_a_link_and_no_identifiers(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
    ucr: User, mail: tuple[Mailbox, int],
) -> None:
    mailbox, port = mail
    settings = smtp_settings(settings, port)
    alerts.choose(sessions, ucr, NotifyChannel.EMAIL, email_address="ucr.team@nhs.net")
    rid = alerts.admit_edith(sessions, world, settings, NOW - timedelta(days=3))
    det_id = alerts.record_medium(sessions, world, rid, NOW)

    with sessions() as s:
        # Queued in the clinical transaction, for the responder only (the lead chose the app).
        (queued,) = deliveries(s)
        assert queued.user_id == ucr.id and queued.sent_at is None and queued.attempts == 0
        note = s.get(Notification, queued.notification_id)
        assert note is not None and note.kind == "urgent" and "Edith" in note.message

    assert alerts.worker(sessions, clock, settings).drain_until_idle() == 1

    (message,) = mailbox.messages
    assert mailbox.recipients == ["ucr.team@nhs.net"]
    subject = str(message["Subject"])
    assert subject.startswith("Urgent response needed (ref CJ-")
    body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert body.splitlines()[0] == f"{subject}."
    assert f"Open it: {PUBLIC}/deteriorations/{det_id}" in body
    assert "What: Urgent response: urgent community response team" in body
    assert "Respond by 4:00pm on 10 November." in body  # two hours, in London time
    assert alerts.identifiers_in(alerts.everything_sent(mailbox)) == []
    with sessions() as s:
        (sent,) = deliveries(s)
        assert sent.sent_at == NOW and sent.transport == "smtp" and sent.failed_at is None
        assert sent.provider_id == message["Message-ID"].strip() and sent.reference in subject


def test_a_text_message_goes_through_gov_uk_notify_with_a_signed_token(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
    ucr: User, notify_api: NotifyApi,
) -> None:
    settings = alerts.alert_settings(
        settings, notify_api_key=alerts.API_KEY, notify_base_url=notify_api.base_url,
        notify_sms_template_id=alerts.SMS_TEMPLATE)
    with sessions() as s, s.begin():
        # Through the service, as the person's settings page does: typed as people type it.
        delivery.set_contact(s, load_actor(s, s.get(User, ucr.id)), ucr.id,  # type: ignore[arg-type]
                             ContactIn(channel="sms", mobile="07700 900123"),
                             NOW, settings)
    rid = alerts.admit_edith(sessions, world, settings, NOW - timedelta(days=3))
    det_id = alerts.record_medium(sessions, world, rid, NOW)

    assert alerts.worker(sessions, clock, settings).drain_until_idle() == 1

    assert notify_api.refused_tokens == 0
    (sms,) = notify_api.sms
    assert sms["phone_number"] == "+447700900123"
    assert sms["template_id"] == alerts.SMS_TEMPLATE
    text = sms["personalisation"]["body"]
    assert text.startswith("carejourney: Urgent response needed. Respond by 4:00pm")
    assert text.endswith(f"{PUBLIC}/deteriorations/{det_id}")
    assert alerts.identifiers_in(alerts.everything_sent(api=notify_api)) == []
    with sessions() as s:
        (sent,) = deliveries(s)
        assert sent.transport == "notify" and sent.provider_id and sms["reference"].startswith(
            sent.reference)


def test_notify_refusing_the_number_is_reported_to_the_clinical_lead_at_once(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
    ucr: User, notify_api: NotifyApi,
) -> None:
    settings = alerts.alert_settings(
        settings, notify_api_key=alerts.API_KEY, notify_base_url=notify_api.base_url,
        notify_sms_template_id=alerts.SMS_TEMPLATE)
    notify_api.answer = (400, {"status_code": 400, "errors": [
        {"error": "ValidationError", "message": "phone_number Not a UK mobile number"}]})
    alerts.choose(sessions, ucr, NotifyChannel.SMS, mobile="+447700900123")
    rid = alerts.admit_edith(sessions, world, settings, NOW - timedelta(days=3))
    alerts.record_medium(sessions, world, rid, NOW)

    alerts.worker(sessions, clock, settings).drain_until_idle()

    with sessions() as s:
        (failed,) = deliveries(s)
        assert failed.failed_at == NOW and failed.permanent and failed.attempts == 1
        assert failed.last_error == "GOV.UK Notify answered 400"
        told = s.scalars(select(Notification).where(
            Notification.user_id == world.users["lead"].id,
            Notification.kind == "delivery_failed")).one()
        assert "Ucr A was sent a text message" in told.message and "refused" in told.message


def test_a_failing_mail_server_is_retried_then_the_lead_sees_it_and_the_care_stands(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
    ucr: User, mail: tuple[Mailbox, int],
) -> None:
    mailbox, port = mail
    mailbox.refuse_data = 554
    settings = smtp_settings(settings, port, delivery_max_attempts=3, delivery_retry_seconds=15)
    alerts.choose(sessions, ucr, NotifyChannel.EMAIL, email_address="ucr.team@nhs.net")
    rid = alerts.admit_edith(sessions, world, settings, NOW - timedelta(days=3))
    det_id = alerts.record_medium(sessions, world, rid, NOW)
    work = alerts.worker(sessions, clock, settings)

    assert work.drain_once() == 1  # first try: 554
    assert work.drain_once() == 0  # backing off: nothing due
    with sessions() as s:
        (pending,) = deliveries(s)
        assert pending.attempts == 1 and pending.failed_at is None
        assert pending.available_at == NOW + timedelta(seconds=15)
        assert pending.last_error == "the mail server answered 554"
    clock.advance(seconds=15)
    assert work.drain_once() == 1  # second try, then 30 s
    clock.advance(seconds=29)
    assert work.drain_once() == 0
    clock.advance(seconds=1)
    assert work.drain_once() == 1  # third and last
    clock.advance(hours=1)
    assert work.drain_once() == 0  # given up: never tried again
    assert mailbox.tries == 3 and mailbox.messages == []

    with sessions() as s:
        (failed,) = deliveries(s)
        assert failed.failed_at == NOW + timedelta(seconds=45) and not failed.permanent
        told = s.scalars(select(Notification).where(
            Notification.user_id == world.users["lead"].id,
            Notification.kind == "delivery_failed")).one()
        assert told.resident_id == rid and told.step_id is not None
        assert "Ucr A was sent an email" in told.message and "failed 3 times" in told.message
        lead = load_actor(s, s.get(User, world.users["lead"].id))  # type: ignore[arg-type]
        (problem,) = delivery.delivery_problems(s, lead, clock.now())
        assert problem.user_name == "Ucr A" and problem.address == "u…@nhs.net"
        # Staff of the home do not oversee alerts; the lead of another PCN would not serve it.
        staff = load_actor(s, s.get(User, world.users["staff.a"].id))  # type: ignore[arg-type]
        assert delivery.delivery_problems(s, staff, clock.now()) == []
        # The clinical transaction that raised the alert committed whatever the mail did.
        det = s.get(Deterioration, det_id)
        assert det is not None and det.status == DeteriorationStatus.OPEN
        urgent = s.get(Step, det.urgent_step_id)
        assert urgent is not None and urgent.status == StepStatus.READY
        assert s.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == ucr.id, Notification.kind == "urgent")) == 1


def test_a_refused_address_is_not_retried(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
    ucr: User, mail: tuple[Mailbox, int],
) -> None:
    mailbox, port = mail
    mailbox.refuse_rcpt = 550
    settings = smtp_settings(settings, port)
    alerts.choose(sessions, ucr, NotifyChannel.EMAIL, email_address="left.the.nhs@nhs.net")
    rid = alerts.admit_edith(sessions, world, settings, NOW - timedelta(days=3))
    alerts.record_medium(sessions, world, rid, NOW)

    alerts.worker(sessions, clock, settings).drain_until_idle()

    assert mailbox.tries == 1
    with sessions() as s:
        (failed,) = deliveries(s)
        assert failed.permanent and failed.failed_at == NOW
        assert failed.last_error == "the mail server refused the address (550)"
        assert s.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == "delivery_failed")) == 1


def test_no_mail_server_at_all_neither_blocks_nor_undoes_the_observation(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
    ucr: User,
) -> None:
    settings = smtp_settings(settings, alerts.free_port())  # nothing listens there
    alerts.choose(sessions, ucr, NotifyChannel.EMAIL, email_address="ucr.team@nhs.net")
    rid = alerts.admit_edith(sessions, world, settings, NOW - timedelta(days=3))
    det_id = alerts.record_medium(sessions, world, rid, NOW)
    alerts.worker(sessions, clock, settings).drain_once()
    with sessions() as s:
        (pending,) = deliveries(s)
        assert pending.attempts == 1 and pending.failed_at is None and pending.sent_at is None
        assert pending.last_error == "could not reach the mail server (ConnectionRefusedError)"
        assert s.get(Deterioration, det_id) is not None


def test_a_worker_that_dies_after_sending_lets_the_alert_go_again(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
    ucr: User, mail: tuple[Mailbox, int],
) -> None:
    """At-least-once: a second copy is better than a lost alert on a two-hour clock. Both
    copies carry the same Message-ID, so mail systems can show them as one."""
    mailbox, port = mail
    settings = smtp_settings(settings, port)
    alerts.choose(sessions, ucr, NotifyChannel.EMAIL, email_address="ucr.team@nhs.net")
    rid = alerts.admit_edith(sessions, world, settings, NOW - timedelta(days=3))
    alerts.record_medium(sessions, world, rid, NOW)
    work = alerts.worker(sessions, clock, settings)
    with unit_of_work(sessions) as s:
        (leased,) = outbox.lease_batch(s, clock.now(), lease_seconds=120, limit=10)
    assert delivery.attempt(leased, work.transports, settings).sent
    # ...and the worker dies before recording it. Its lease holds the row for two minutes.
    assert work.drain_once() == 0
    clock.advance(seconds=121)
    assert work.drain_once() == 1
    first, second = mailbox.messages
    assert first["Message-ID"] == second["Message-ID"]
    with sessions() as s:
        (sent,) = deliveries(s)
        assert sent.sent_at is not None and sent.attempts == 2


def test_two_workers_never_hold_the_same_alert(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
    ucr: User,
) -> None:
    alerts.choose(sessions, ucr, NotifyChannel.EMAIL, email_address="ucr.team@nhs.net")
    rid = alerts.admit_edith(sessions, world, settings, NOW - timedelta(days=3))
    alerts.record_medium(sessions, world, rid, NOW)
    with sessions() as first, first.begin():
        mine = outbox.lease_batch(first, NOW, lease_seconds=120, limit=10)
        with sessions() as second, second.begin():
            assert outbox.lease_batch(second, NOW, lease_seconds=120, limit=10) == []
    assert len(mine) == 1


def test_only_urgent_work_goes_out_of_the_app(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
    ucr: User,
) -> None:
    """Assigning a routine step stays in the app; assigning urgent work goes out."""
    nurse = world.users["nurse.a"]
    alerts.choose(sessions, nurse, NotifyChannel.EMAIL, email_address="nurse.a@nhs.net")
    alerts.choose(sessions, ucr, NotifyChannel.EMAIL, email_address="ucr.b@nhs.net")
    rid = alerts.admit_edith(sessions, world, settings, NOW - timedelta(days=3))
    with sessions() as s, s.begin():
        coordinator = load_actor(s, s.get(User, world.users["coord"].id))  # type: ignore[arg-type]
        assessment = s.scalars(select(Step).where(
            Step.resident_id == rid, Step.kind == AssessmentStep.HOLISTIC_ASSESSMENT)).one()
        journeys.assign_step(s, coordinator, assessment.id, nurse.id, NOW)
    with sessions() as s:
        assert deliveries(s) == []
        assert s.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == nurse.id, Notification.kind == "assignment")) == 1
    det_id = alerts.record_medium(sessions, world, rid, NOW)
    with sessions() as s, s.begin():
        det = s.get(Deterioration, det_id)
        assert det is not None
        coordinator = load_actor(s, s.get(User, world.users["coord"].id))  # type: ignore[arg-type]
        journeys.assign_step(s, coordinator, det.urgent_step_id, ucr.id,  # type: ignore[arg-type]
                             NOW + timedelta(minutes=5))
    with sessions() as s:
        kinds = [(s.get(Notification, d.notification_id).kind, d.user_id)  # type: ignore[union-attr]
                 for d in deliveries(s)]
        assert kinds == [("urgent", ucr.id), ("assignment", ucr.id)]


def test_a_step_title_that_names_the_resident_is_not_sent(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
    ucr: User, mail: tuple[Mailbox, int], caplog: pytest.LogCaptureFixture,
) -> None:
    """Defence in depth: titles are written by our code and name nobody; if one ever did,
    the worker sends the alert without it."""
    mailbox, port = mail
    settings = smtp_settings(settings, port)
    alerts.choose(sessions, ucr, NotifyChannel.EMAIL, email_address="ucr.team@nhs.net")
    rid = alerts.admit_edith(sessions, world, settings, NOW - timedelta(days=3))
    alerts.record_medium(sessions, world, rid, NOW)
    with sessions() as s, s.begin():
        (queued,) = deliveries(s)
        queued.detail = f"Urgent response for Edith CRAWLEY ({alerts.NHS_NUMBER[:3]}-"\
                        f"{alerts.NHS_NUMBER[3:6]}-{alerts.NHS_NUMBER[6:]}, born 23 Apr 1931)"
    with caplog.at_level(logging.WARNING, logger="care.delivery.service"):
        alerts.worker(sessions, clock, settings).drain_until_idle()
    (message,) = mailbox.messages
    assert "What:" not in message.get_body().get_content()  # type: ignore[union-attr]
    assert alerts.identifiers_in(alerts.everything_sent(mailbox)) == []
    warning = " ".join(r.getMessage() for r in caplog.records)
    assert "NHS number" in warning and "Edith" not in warning and alerts.NHS_NUMBER not in warning


def test_a_failed_alert_about_a_failure_is_listed_but_not_reported_again(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
    ucr: User, mail: tuple[Mailbox, int],
) -> None:
    mailbox, port = mail
    mailbox.refuse_rcpt = 550
    settings = smtp_settings(settings, port)
    alerts.choose(sessions, ucr, NotifyChannel.EMAIL, email_address="ucr.team@nhs.net")
    alerts.choose(sessions, world.users["lead"], NotifyChannel.EMAIL,
                  email_address="lead@nhs.net")
    rid = alerts.admit_edith(sessions, world, settings, NOW - timedelta(days=3))
    alerts.record_medium(sessions, world, rid, NOW)
    alerts.worker(sessions, clock, settings).drain_until_idle()
    with sessions() as s:
        assert [d.failed_at is not None for d in deliveries(s)] == [True, True]
        assert s.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == "delivery_failed")) == 1


def test_a_channel_nobody_set_up_fails_at_once_for_the_lead_to_see(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
    ucr: User,
) -> None:
    """Text messages were chosen while Notify was configured; it no longer is."""
    alerts.choose(sessions, ucr, NotifyChannel.SMS, mobile="+447700900123")
    rid = alerts.admit_edith(sessions, world, settings, NOW - timedelta(days=3))
    alerts.record_medium(sessions, world, rid, NOW)
    alerts.worker(sessions, clock, settings).drain_until_idle()
    with sessions() as s:
        (failed,) = deliveries(s)
        assert failed.permanent and failed.last_error == (
            "text message is not set up on this service")


def test_contact_details_are_checked_and_only_offered_channels_chosen(
    world: World, sessions: sessionmaker[Session], settings: Settings, ucr: User,
) -> None:
    email_only = alerts.alert_settings(settings, smtp_host="127.0.0.1")
    with sessions() as s:
        me = load_actor(s, s.get(User, ucr.id))  # type: ignore[arg-type]
        cases = [
            ({"channel": "email", "email": "not an address"}, "email"),
            ({"channel": "email"}, "email"),
            ({"channel": "sms", "mobile": "07700 900123"}, "channel"),  # Notify not set up
            ({"channel": "in_app", "mobile": "01632 960123"}, "mobile"),  # a landline
        ]
        for body, field in cases:
            with pytest.raises(Exception) as raised:
                delivery.set_contact(s, me, ucr.id, ContactIn(**body), NOW, email_only)
            assert [e["field"] for e in raised.value.errors] == [field], body  # type: ignore[attr-defined]
            s.rollback()
        other = uuid.UUID(int=7)
        with pytest.raises(Exception, match="user not found"):
            delivery.set_contact(s, me, other, ContactIn(channel="in_app"), NOW,
                                 email_only)
        nurse = load_actor(s, s.get(User, world.users["nurse.a"].id))  # type: ignore[arg-type]
        with pytest.raises(Exception, match="user not found"):  # not an admin
            delivery.set_contact(s, nurse, ucr.id, ContactIn(channel="in_app"), NOW,
                                 email_only)
        admin = load_actor(s, s.get(User, world.users["admin"].id))  # type: ignore[arg-type]
        user = delivery.set_contact(s, admin, ucr.id, ContactIn(
            channel="email", email=" UCR.Team@nhs.net "), NOW, email_only)
        assert user.notify_channel == NotifyChannel.EMAIL and user.email == "UCR.Team@nhs.net"
