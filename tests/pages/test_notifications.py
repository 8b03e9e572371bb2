"""The notifications page: the person's reminders and escalations, newest first, each marked
as read with a form POST; the unread count in the header."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from care.audit.models import AuditEvent
from care.clock import FrozenClock
from care.journeys import escalation, notifications
from care.journeys.models import Notification
from tests.factories import World
from tests.pages.conftest import csrf_from

Browser = Callable[[str], TestClient]
Admit = Callable[..., uuid.UUID]


def _header(html: str) -> str:
    return html.split("</header>")[0]


def test_notifications_newest_first_marked_read_one_by_one(
    browser_for: Browser, sessions: sessionmaker[Session], clock: FrozenClock, world: World,
) -> None:
    nurse = world.users["nurse.a"]
    with sessions() as s, s.begin():
        notifications.notify(s, nurse.id, "reminder", "Older reminder", clock.now())
        notifications.notify(s, nurse.id, "escalation", "Newer escalation",
                          clock.advance(minutes=5))
        notifications.notify(s, world.users["gp.a"].id, "reminder", "Not for the nurse",
                          clock.now())
    client = browser_for("nurse.a")
    header = _header(client.get("/my-work").text)
    assert 'href="/notifications"' in header and 'id="unread-count">2<' in header

    page = client.get("/notifications")
    assert page.status_code == 200
    assert page.text.index("Newer escalation") < page.text.index("Older reminder")
    assert "Not for the nurse" not in page.text
    with sessions() as s:
        older = s.scalars(select(Notification).where(
            Notification.message == "Older reminder")).one()
        theirs = s.scalars(select(Notification).where(
            Notification.message == "Not for the nurse")).one()
    assert f'action="/notifications/{older.id}/read"' in page.text

    assert client.post(f"/notifications/{older.id}/read", data={}).status_code == 403
    clock.advance(minutes=1)
    r = client.post(f"/notifications/{older.id}/read", data={"csrf_token": csrf_from(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/notifications"
    after = client.get("/notifications").text
    assert "Notification marked as read" in after
    assert 'id="unread-count">1<' in _header(after)
    assert f'action="/notifications/{older.id}/read"' not in after
    assert "Read 2 November 2026 at 9:06am" in after
    with sessions() as s:
        note = s.get(Notification, older.id)
        assert note is not None and note.read_at == clock.now()
        [entry] = s.scalars(select(AuditEvent).where(
            AuditEvent.action == "notification.read")).all()
        assert (entry.channel, entry.user_id, entry.entity_id) == ("web", nurse.id, str(older.id))

    # Reading it again changes nothing; someone else's is not there for this person.
    csrf = csrf_from(after)
    assert client.post(f"/notifications/{older.id}/read",
                       data={"csrf_token": csrf}).status_code == 303
    assert client.post(f"/notifications/{theirs.id}/read",
                       data={"csrf_token": csrf}).status_code == 404
    with sessions() as s:
        assert len(s.scalars(select(AuditEvent).where(
            AuditEvent.action == "notification.read")).all()) == 1
        mine = s.get(Notification, theirs.id)
        assert mine is not None and mine.read_at is None


def test_an_overdue_step_reaches_the_representative_and_the_lead(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session], clock: FrozenClock,
) -> None:
    admit(given_name="Ada", family_name="Abbott")
    clock.advance(days=12)
    with sessions() as s, s.begin():
        escalation.sweep_deadlines(s, clock.now())
    for username, text in (
        ("staff.a", "Unassigned and overdue: Person-centred holistic assessment for Ada A."),
        ("lead", "Overdue at Home A: Person-centred holistic assessment for Ada A."),
    ):
        page = browser_for(username).get("/notifications").text
        assert 'id="unread-count">1<' in _header(page)
        assert text in page
    quiet = browser_for("nurse.b").get("/notifications").text
    assert "unread-count" not in _header(quiet) and "No reminders or escalations" in quiet
