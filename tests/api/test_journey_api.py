"""The journey end to end through the API with an injected clock: deadlines and escalation,
a crash between completion and advance healed by a re-run, and notifications."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments.kinds import AssessmentStep
from care.assessments.models import HolisticAssessment
from care.audit.models import AuditEvent
from care.clock import FrozenClock
from care.journeys import escalation, outbox
from care.journeys import service as journeys
from care.journeys.models import (
    JourneyEvent,
    Notification,
    OutboxMessage,
    Step,
    StepEscalation,
    StepStatus,
)
from care.settings import Settings
from tests.api.conftest import Headers, complete_with_fast_path_down
from tests.factories import ASSESSMENT, World

Admit = Callable[..., dict[str, Any]]
Login = Callable[[str], Headers]


def _count(s: Session, model: type[Any], *where: Any) -> int:
    return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _sweep(sessions: sessionmaker[Session], clock: FrozenClock) -> int:
    """What the scheduled deadline-sweep flow does, in one transaction."""
    with sessions() as s, s.begin():
        return len(escalation.sweep_deadlines(s, clock.now()).breached)


def _run_runner(sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings) -> int:
    """What the journey runner does: lease pending advances, advance each journey, mark done."""
    with sessions() as s, s.begin():
        leases = outbox.lease_batch(s, clock.now(), lease_seconds=60, limit=100)
        for lease in leases:
            journeys.advance_journey(s, lease.journey_id, now=clock.now(), settings=settings)
            outbox.mark_processed(s, lease, clock.now(), None)
        return len(leases)


def _notes(client: TestClient, headers: Headers) -> list[dict[str, Any]]:
    r = client.get("/api/v1/notifications", headers=headers)
    assert r.status_code == 200
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_overdue_after_eight_working_days_and_escalated_exactly_once(
    client: TestClient, world: World, clock: FrozenClock, admit: Admit, login: Login,
    sessions: sessionmaker[Session],
) -> None:
    unassigned = admit()
    held = admit()
    nurse = login("nurse.a")
    held_step = held["steps"][0]["id"]
    assert client.post(f"/api/v1/steps/{held_step}/claim", headers=nurse).status_code == 200
    assert client.get("/api/v1/steps", headers=nurse,
                      params={"overdue": "true"}).json()["total"] == 0

    clock.advance(days=8)  # Tuesday 10 Nov: due tomorrow, not yet overdue
    assert _sweep(sessions, clock) == 0
    clock.advance(days=2)  # Thursday 12 Nov: 8 working days after the admission
    nurse = login("nurse.a")
    r = client.get("/api/v1/steps", headers=nurse, params={"overdue": "true"})
    assert r.json()["total"] == 2  # overdue by the clock even before the sweep runs
    assert all(i["overdue_since"] is None for i in r.json()["items"])

    assert _sweep(sessions, clock) == 2
    for _ in range(2):  # the sweep runs again (schedule, retry, overlap): nothing new
        clock.advance(minutes=15)
        assert _sweep(sessions, clock) == 0

    nurse = login("nurse.a")
    r = client.get("/api/v1/steps", headers=nurse, params={"overdue": "true"})
    items = r.json()["items"]
    assert {i["id"] for i in items} == {unassigned["steps"][0]["id"], held_step}
    assert all(i["overdue"] is True and i["overdue_since"] for i in items)
    assert client.get("/api/v1/steps", headers=nurse,
                      params={"overdue": "false"}).json()["total"] == 0

    # The holder is reminded; nobody holds the other, so the home's representative is;
    # the clinical lead hears about both. Once each.
    assert [n["kind"] for n in _notes(client, nurse)] == ["reminder"]
    assert [n["step_id"] for n in _notes(client, nurse)] == [held_step]
    staff_notes = _notes(client, login("staff.a"))
    assert [(n["kind"], n["step_id"]) for n in staff_notes] == [
        ("reminder", unassigned["steps"][0]["id"])]
    lead_notes = _notes(client, login("lead"))
    assert sorted(n["kind"] for n in lead_notes) == ["escalation", "escalation"]
    assert _notes(client, login("gp.a")) == []

    journey = client.get(f"/api/v1/residents/{unassigned['resident']['id']}/journey",
                         headers=nurse).json()
    kinds = [e["kind"] for e in journey["timeline"]]
    assert kinds.count("step.overdue") == 1 and kinds.count("step.escalated") == 1
    assert journey["steps"][0]["overdue"] is True
    with sessions() as s:
        assert _count(s, StepEscalation) == 2
        assert _count(s, StepEscalation, StepEscalation.step_id == held_step) == 1
        assert _count(s, Notification) == 4


def test_reading_a_notification(
    client: TestClient, world: World, clock: FrozenClock, admit: Admit, login: Login,
    sessions: sessionmaker[Session],
) -> None:
    admit()
    clock.advance(days=10)
    _sweep(sessions, clock)
    staff, lead = login("staff.a"), login("lead")
    [note] = _notes(client, staff)
    assert note["read_at"] is None
    # Someone else's notification does not exist for you.
    assert client.post(f"/api/v1/notifications/{note['id']}/read",
                       headers=lead).status_code == 404
    r = client.post(f"/api/v1/notifications/{note['id']}/read", headers=staff)
    assert r.status_code == 200 and r.json()["read_at"] == "2026-11-12T09:00:00Z"
    clock.advance(minutes=5)
    r = client.post(f"/api/v1/notifications/{note['id']}/read", headers=login("staff.a"))
    assert r.json()["read_at"] == "2026-11-12T09:00:00Z"
    r = client.get("/api/v1/notifications", headers=login("staff.a"), params={"unread": "true"})
    assert r.json()["items"] == []
    with sessions() as s:
        assert _count(s, AuditEvent, AuditEvent.action == "notification.read") == 1


def test_crash_after_completion_is_healed_by_a_rerun_and_reruns_never_duplicate(
    client: TestClient, world: World, clock: FrozenClock, settings: Settings, admit: Admit,
    login: Login, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
) -> None:
    healthy, crashed = admit(), admit()
    journey_id = crashed["journey"]["id"]
    _run_runner(sessions, clock, settings)  # the admissions' advances are done

    r = complete_with_fast_path_down(client, crashed["steps"][0]["id"], login("nurse.a"),
                                     ASSESSMENT, monkeypatch)
    assert r.status_code == 200, r.text
    assert r.json()["step"]["status"] == "completed"
    assert r.json()["open_steps"] == []  # the plan did not open
    with sessions() as s:  # ...but the completion committed, with its advance signal
        assert _count(s, HolisticAssessment) == 1
        assert _count(s, Step, Step.kind == AssessmentStep.PCSP) == 0
        assert _count(s, OutboxMessage, OutboxMessage.processed_at.is_(None)) == 1

    admin = login("admin")
    r = client.get("/api/v1/journeys", headers=admin, params={"status": "stalled"})
    assert r.status_code == 200
    [stalled] = r.json()["items"]
    assert stalled["journey_id"] == journey_id
    assert stalled["resident"]["id"] == crashed["resident"]["id"]
    assert any("never opened" in reason for reason in stalled["reasons"])
    assert client.get("/api/v1/journeys", headers=login("coord"),
                      params={"status": "stalled"}).json()["total"] == 1
    assert client.get("/api/v1/journeys", headers=login("nurse.a"),
                      params={"status": "stalled"}).status_code == 403
    assert client.get("/api/v1/journeys", headers=admin).status_code == 422

    assert client.post(f"/api/v1/journeys/{journey_id}/rerun",
                       headers=login("coord")).status_code == 403
    r = client.post(f"/api/v1/journeys/{journey_id}/rerun", headers=admin)
    assert r.status_code == 202
    assert r.json()["journey_id"] == journey_id and r.json()["status"] == "accepted"
    with sessions() as s:
        message = s.get(OutboxMessage, r.json()["outbox_id"])
        assert message is not None and str(message.journey_id) == journey_id
        assert message.reason == "rerun"
        entry = s.scalars(select(AuditEvent).where(AuditEvent.action == "journey.rerun")).one()
        assert entry.user_id == world.users["admin"].id and entry.role == "admin"

    assert _run_runner(sessions, clock, settings) == 1
    journey = client.get(f"/api/v1/residents/{crashed['resident']['id']}/journey",
                         headers=login("nurse.a")).json()
    assert journey["stage"] == "care_planning"
    assert [(s["kind"], s["status"]) for s in journey["steps"]] == [
        ("holistic_assessment", "completed"), ("pcsp", "ready")]
    assert client.get("/api/v1/journeys", headers=admin,
                      params={"status": "stalled"}).json()["items"] == []

    for _ in range(2):
        assert client.post(f"/api/v1/journeys/{journey_id}/rerun",
                           headers=admin).status_code == 202
        assert _run_runner(sessions, clock, settings) == 1
    with sessions() as s:
        assert _count(s, Step, Step.journey_id == journey_id) == 2
        assert _count(s, Step, Step.journey_id == journey_id,
                      Step.status == StepStatus.READY) == 1
        assert _count(s, JourneyEvent, JourneyEvent.journey_id == journey_id,
                      JourneyEvent.kind == "step.opened") == 2
        assert _count(s, JourneyEvent, JourneyEvent.journey_id == journey_id,
                      JourneyEvent.kind == "journey.rerun_requested") == 3
        assert _count(s, HolisticAssessment) == 1
        assert _count(s, OutboxMessage, OutboxMessage.processed_at.is_(None)) == 0
        assert _count(s, Step, Step.journey_id == healthy["journey"]["id"]) == 1
    assert client.post("/api/v1/journeys/00000000-0000-0000-0000-000000000000/rerun",
                       headers=admin).status_code == 404
