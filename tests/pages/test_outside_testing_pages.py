"""Defects found by outside testers (issue 8), on the pages: page numbers typed into the
address bar, and care-home staff running the MDT's part of the home round."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.clock import FrozenClock
from care.rounds import service as rounds
from care.rounds.models import AgendaDecision, AgendaItem, HomeRound, RoundAttendance, RoundStatus
from care.settings import Settings
from tests.factories import World
from tests.pages.conftest import csrf_from

Browser = Callable[[str], TestClient]


def test_the_residents_page_shows_the_nearest_page_for_any_number(
    browser_for: Browser, world: World, admit: Callable[..., object],
) -> None:
    """?p=9223372036854775807 was a 500 ("bigint out of range")."""
    admit(family_name="Abbott")
    client = browser_for("coord")
    for p in ("9223372036854775807", "99999999999999999999999", "-5", "0", "2"):
        r = client.get("/residents", params={"p": p})
        assert r.status_code == 200, (p, r.text[:300])
        assert "Abbott" in r.text, p
    # Nor a search PostgreSQL cannot take (U+0000 was a 500 too).
    r = client.get("/residents", params={"q": "Abb\x00ott"})
    assert r.status_code == 200 and "Abbott" in r.text
    # Not a number at all: the pages' "Page not found" (their answer to a malformed address).
    assert client.get("/residents", params={"p": "x"}).status_code == 404


# ---------------------------------------------------------------- the MDT runs its meeting

WINDOW_OPEN = datetime.fromisoformat("2026-11-08T10:30:00+00:00")  # Sunday; round Tue 10:00
CONTROLS = ('>Add a resident</h2>', 'id="remove-button-', 'id="attendance-form"', 'id="close-form"',
            'id="record-decisions"')


@pytest.fixture
def agenda_round(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
    admit: Callable[..., uuid.UUID],
) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """This week's round of home A, being prepared, with one resident on the agenda."""
    clock.set(WINDOW_OPEN)
    resident = admit(given_name="Albert", family_name="Ash")
    with sessions() as s, s.begin():
        round_id = rounds.prepare_round(s, world.home_a.id, clock.now(), settings).round_id
        assert round_id is not None
        item_id = s.scalars(select(AgendaItem.id).where(AgendaItem.round_id == round_id)).one()
    return round_id, item_id, resident


@pytest.mark.parametrize("username", ["nurse.a", "gp.a", "lead", "coord"])
def test_the_mdt_sees_the_controls_of_its_meeting(
    username: str, browser_for: Browser, agenda_round: tuple[uuid.UUID, uuid.UUID, uuid.UUID],
) -> None:
    page = browser_for(username).get(f"/rounds/{agenda_round[0]}")
    assert page.status_code == 200
    assert all(control in page.text for control in CONTROLS), username


def test_care_home_staff_see_the_round_and_nominate_but_cannot_run_the_meeting(
    browser_for: Browser, world: World, sessions: sessionmaker[Session],
    agenda_round: tuple[uuid.UUID, uuid.UUID, uuid.UUID],
) -> None:
    """Issue 8: staff removed every item and closed the round (counted as a check-in)."""
    round_id, item_id, resident = agenda_round
    staff = browser_for("staff.a")
    page = staff.get(f"/rounds/{round_id}")
    assert page.status_code == 200 and "Albert Ash" in page.text
    assert not [control for control in CONTROLS if control in page.text]
    csrf = csrf_from(page.text)
    url = f"/rounds/{round_id}"
    for action, data in (
        (f"{url}/items/{item_id}/remove", {"reason": "seen yesterday"}),
        (f"{url}/add", {"resident_id": str(resident), "reason": "worried"}),
        (f"{url}/attendance", {f"attendee-{world.users['staff.a'].id}": "yes"}),
        (f"{url}/decisions", {f"{item_id}-response": "maintain"}),
        (f"{url}/close", {"notes": "nobody needed review"}),
    ):
        r = staff.post(action, data={**data, "csrf_token": csrf})
        assert r.status_code == 403, (action, r.text[:300])
        assert "You cannot do this" in r.text
    with sessions() as s:
        rnd = s.get(HomeRound, round_id)
        assert rnd is not None and rnd.status == RoundStatus.PREPARING
        assert rnd.completed_at is None and rnd.meeting_at is None
        item = s.get(AgendaItem, item_id)
        assert item is not None and item.removed_at is None
        assert s.scalar(select(func.count()).select_from(RoundAttendance)) == 0
        assert s.scalar(select(func.count()).select_from(AgendaDecision)) == 0
    admin = browser_for("admin").get(f"/rounds/{round_id}")  # admins manage, not treat
    assert admin.status_code == 200
    assert not [control for control in CONTROLS if control in admin.text]
    # What staff do at the round: nominate.
    form = staff.get("/nominate")
    assert form.status_code == 200
    r = staff.post("/nominate", data={"resident_id": str(resident), "reason": "not eating",
                                      "csrf_token": csrf_from(form.text)})
    assert r.status_code == 303, r.text
