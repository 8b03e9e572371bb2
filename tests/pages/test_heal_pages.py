"""Admins heal stalled journeys from the pages: a preview of what a re-run would open, a
reason, a selection re-run each in its own transaction, and the runner's progress."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from urllib.parse import unquote

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments.kinds import AssessmentStep
from care.clock import FrozenClock
from care.directory.access import load_actor
from care.journeys import outbox
from care.journeys import service as journeys
from care.journeys.models import Journey, JourneyEvent, OutboxMessage, Step
from care.settings import Settings
from tests.factories import World
from tests.pages.conftest import csrf_from

Browser = Callable[[str], TestClient]
Admit = Callable[..., uuid.UUID]


def _stall(sessions: sessionmaker[Session], world: World, resident_id: uuid.UUID,
           clock: FrozenClock, settings: Settings) -> uuid.UUID:
    """The assessment completes but the process dies before the PCSP opens (and the
    advance then fails for good)."""
    with sessions() as s, s.begin():
        journey = s.scalars(select(Journey).where(Journey.resident_id == resident_id)).one()
        step = s.scalars(select(Step).where(Step.journey_id == journey.id)).one()
        nurse = load_actor(s, world.users["nurse.a"])
        journeys.claim_step(s, nurse, step.id, clock.now())
        step.status = step.status.COMPLETED  # as if completed, with the fast path lost
        for message in s.scalars(select(OutboxMessage).where(
                OutboxMessage.journey_id == journey.id)):
            message.processed_at = clock.now()
        failed = outbox.enqueue(s, journey.id, "step_completed", clock.now())
        s.flush()
        failed.failed_at, failed.attempts, failed.last_error = clock.now(), 5, "boom"
        return journey.id


def _runner(sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings) -> None:
    with sessions() as s, s.begin():
        for lease in outbox.lease_batch(s, clock.now(), lease_seconds=60, limit=100):
            journeys.advance_journey(s, lease.journey_id, now=clock.now(), settings=settings)
            outbox.mark_processed(s, lease, clock.now(), None)


def test_a_rerun_is_previewed_then_run_with_a_reason_and_followed(
    browser_for: Browser, admit: Admit, world: World, sessions: sessionmaker[Session],
    clock: FrozenClock, settings: Settings,
) -> None:
    journey_id = _stall(sessions, world, admit(given_name="Ada", family_name="Abbott"), clock,
                        settings)
    admin = browser_for("admin")
    listed = admin.get("/admin/stalled").text
    assert f'href="/admin/journeys/{journey_id}/rerun"' in listed
    preview = admin.get(f"/admin/journeys/{journey_id}/rerun")
    assert preview.status_code == 200
    assert "Personalised care and support plan" in preview.text.split('id="would-open"')[1]
    assert "Holistic assessment, then care planning" in preview.text
    assert "failed 5 times" in preview.text
    with sessions() as s:  # previewing wrote nothing
        assert s.scalar(select(func.count()).select_from(Step).where(
            Step.kind == AssessmentStep.PCSP)) == 0

    token = csrf_from(preview.text)
    missing = admin.post(f"/admin/journeys/{journey_id}/rerun",
                         data={"csrf_token": token, "reason": "  "})
    assert missing.status_code == 422
    assert 'id="reason-error"' in missing.text and "say why" in missing.text
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.processed_at.is_(None), OutboxMessage.failed_at.is_(None))) == 0

    done = admin.post(f"/admin/journeys/{journey_id}/rerun",
                      data={"csrf_token": token, "reason": "runner restarted"})
    assert done.status_code == 303
    progress = admin.get(done.headers["location"]).text
    assert "Ada Abbott" in progress and "Waiting for a runner" in progress
    assert "runner restarted" in progress
    _runner(sessions, clock, settings)
    progress = admin.get(done.headers["location"]).text
    assert "Advanced" in progress and "1 of 1 advanced" in progress
    since = unquote(done.headers["location"].split("since=")[1])
    live = admin.get("/admin/reruns/live", params={"since": since})
    assert live.status_code == 200 and "1 of 1 advanced" in live.text
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Step).where(
            Step.kind == AssessmentStep.PCSP)) == 1
        event = s.scalars(select(JourneyEvent).where(
            JourneyEvent.kind == "journey.rerun_requested")).one()
        assert event.data["reason"] == "runner restarted"

    coordinator = browser_for("coord")
    seen = coordinator.get(f"/admin/journeys/{journey_id}/rerun")
    assert seen.status_code == 200 and "An admin can re-run it" in seen.text
    assert 'name="reason"' not in seen.text
    assert coordinator.get("/admin/reruns").status_code == 403


def test_ticked_journeys_are_rerun_each_on_its_own(
    browser_for: Browser, admit: Admit, world: World, sessions: sessionmaker[Session],
    clock: FrozenClock, settings: Settings,
) -> None:
    first = _stall(sessions, world, admit(given_name="Ada", family_name="Abbott"), clock,
                   settings)
    second = _stall(sessions, world, admit(given_name="Bea", family_name="Baker"), clock,
                    settings)
    admin = browser_for("admin")
    page = admin.get("/admin/stalled").text
    token = csrf_from(page)
    none_ticked = admin.post("/admin/journeys/rerun",
                             data={"csrf_token": token, "reason": "outage"})
    assert none_ticked.status_code == 422 and "choose between 1 and" in none_ticked.text
    no_reason = admin.post("/admin/journeys/rerun",
                           data={"csrf_token": token, f"select-{first}": "yes"})
    assert no_reason.status_code == 422 and 'id="reason-error"' in no_reason.text
    assert f'id="select-{first}" name="select-{first}" type="checkbox" value="yes" checked' \
        in no_reason.text
    r = admin.post("/admin/journeys/rerun", data={
        "csrf_token": token, f"select-{first}": "yes", f"select-{second}": "yes",
        f"select-{uuid.uuid4()}": "yes", "reason": "outage overnight"})
    assert r.status_code == 303
    progress = admin.get(r.headers["location"]).text
    assert "Ada Abbott" in progress and "Bea Baker" in progress
    assert "0 of 2 advanced" in progress
    with sessions() as s:
        queued = set(s.scalars(select(OutboxMessage.journey_id).where(
            OutboxMessage.processed_at.is_(None), OutboxMessage.failed_at.is_(None))))
        assert queued == {first, second}
    _runner(sessions, clock, settings)
    assert "2 of 2 advanced" in admin.get(r.headers["location"]).text
    assert "No journeys are stalled" in admin.get("/admin/stalled").text


def test_bad_input_on_the_heal_pages_gets_a_clear_answer(
    browser_for: Browser, admit: Admit, world: World, sessions: sessionmaker[Session],
    clock: FrozenClock, settings: Settings,
) -> None:
    admin = browser_for("admin")
    # Malformed addresses are "page not found", as on every page.
    assert admin.get("/admin/reruns", params={"since": "yesterday"}).status_code == 404
    assert admin.get(f"/admin/journeys/{uuid.uuid4()}/rerun").status_code == 404
    assert admin.get("/admin/journeys/not-an-id/rerun").status_code in (404, 422)
    journey_id = _stall(sessions, world, admit(), clock, settings)
    token = csrf_from(admin.get("/admin/stalled").text)
    too_long = admin.post(f"/admin/journeys/{journey_id}/rerun",
                          data={"csrf_token": token, "reason": "x" * 501})
    assert too_long.status_code == 422 and "1 to 500 characters" in too_long.text
    # A journey of a home the admin does not serve is not there for them.
    nurse_b = browser_for("nurse.b")
    assert nurse_b.get(f"/admin/journeys/{journey_id}/rerun").status_code == 403
