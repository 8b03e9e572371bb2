"""The human-step API: queue filters, claim races, assignment, and completion that is
validated, atomic and idempotent. Each test checks the rows the calls wrote."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments.kinds import AssessmentStep
from care.assessments.models import HolisticAssessment
from care.audit.models import AuditEvent
from care.clock import FrozenClock
from care.journeys.models import IdempotencyRecord, JourneyEvent, OutboxMessage, Step, StepStatus
from tests.api.conftest import Headers
from tests.factories import ASSESSMENT, PCSP, World

Admit = Callable[..., dict[str, Any]]
Login = Callable[[str], Headers]


def _step_id(admitted: dict[str, Any]) -> str:
    step_id: str = admitted["steps"][0]["id"]
    return step_id


def _count(s: Session, model: type[Any], *where: Any) -> int:
    return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_step_detail_carries_the_outcome_form_schema(
    client: TestClient, admit: Admit, login: Login, sessions: sessionmaker[Session]
) -> None:
    step_id = _step_id(admit())
    r = client.get(f"/api/v1/steps/{step_id}", headers=login("nurse.a"))
    assert r.status_code == 200
    body = r.json()
    schema = body["outcome_schema"]
    assert schema["type"] == "object"
    assert {"physical", "psychological", "functional", "social", "environmental",
            "what_matters"} <= set(schema["required"])
    assert schema["additionalProperties"] is False
    assert body["outcome"] is None
    assert body["resident"]["nhs_number"].startswith("999 ")
    with sessions() as s:
        assert _count(s, AuditEvent, AuditEvent.action == "step.view") == 1


def test_queue_filters_sorts_and_refuses_bad_values(
    client: TestClient, world: World, clock: FrozenClock, admit: Admit, login: Login
) -> None:
    first = admit()
    clock.advance(days=1)
    second = admit()
    in_b = admit(username="coord", home="b")
    nurse = login("nurse.a")
    assert client.post(f"/api/v1/steps/{_step_id(second)}/claim",
                       headers=nurse).status_code == 200

    def ids(**params: Any) -> list[str]:
        r = client.get("/api/v1/steps", headers=nurse, params=params)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    a1, a2, b1 = _step_id(first), _step_id(second), _step_id(in_b)
    assert ids() == [a1, a2]  # home B is not nurse.a's
    assert ids(sort="-due_at") == [a2, a1]
    assert ids(assignee="me") == [a2]
    assert ids(assignee="unassigned") == [a1]
    assert ids(status="claimed") == [a2]
    assert ids(status="open") == [a1, a2]
    assert ids(status="completed") == []
    assert ids(kind="holistic_assessment", resident_id=first["resident"]["id"]) == [a1]
    assert ids(kind="pcsp") == []
    assert ids(home_id=str(world.home_b.id)) == []
    assert ids(overdue="true") == []
    assert ids(overdue="false") == [a1, a2]
    assert ids(due_before="2026-11-12T00:00:00+00:00") == [a1]
    assert ids(page_size=1, page=2) == [a2]
    coord = client.get("/api/v1/steps", headers=login("coord"), params={"sort": "priority"})
    assert {i["id"] for i in coord.json()["items"]} == {a1, a2, b1}

    for params, field in (({"status": "done"}, "status"), ({"sort": "name"}, "sort"),
                          ({"assignee": "you"}, "assignee"), ({"page_size": 201}, "page_size"),
                          ({"page": 0}, "page"), ({"overdue": "maybe"}, "overdue"),
                          ({"kind": "x"}, "kind"), ({"home_id": "nope"}, "home_id"),
                          ({"due_before": "2026-11-12T00:00:00"}, "due_before")):
        r = client.get("/api/v1/steps", headers=nurse, params=params)
        assert r.status_code == 422, params
        assert r.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in r.json()["errors"]] == [field]


def test_second_claim_gets_409_and_holder_can_release(
    client: TestClient, world: World, admit: Admit, login: Login,
    sessions: sessionmaker[Session],
) -> None:
    step_id = _step_id(admit())
    nurse, gp = login("nurse.a"), login("gp.a")
    r = client.post(f"/api/v1/steps/{step_id}/claim", headers=nurse)
    assert r.status_code == 200
    assert r.json()["status"] == "claimed"
    assert r.json()["assignee"]["id"] == str(world.users["nurse.a"].id)
    # Claiming your own step again is harmless; someone else's is a conflict.
    assert client.post(f"/api/v1/steps/{step_id}/claim", headers=nurse).status_code == 200
    r = client.post(f"/api/v1/steps/{step_id}/claim", headers=gp)
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert "Nurse A" in r.json()["detail"]
    # Only the holder (or a coordinator / clinical lead) may release it.
    assert client.post(f"/api/v1/steps/{step_id}/release", headers=gp).status_code == 403
    r = client.post(f"/api/v1/steps/{step_id}/release", headers=nurse)
    assert r.status_code == 200 and r.json()["status"] == "ready"
    assert r.json()["assignee"] is None
    assert client.post(f"/api/v1/steps/{step_id}/release", headers=nurse).status_code == 409
    assert client.post(f"/api/v1/steps/{step_id}/claim", headers=gp).status_code == 200
    with sessions() as s:
        step = s.get(Step, step_id)
        assert step is not None and step.assignee_id == world.users["gp.a"].id
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.entity == "step")
                            .order_by(AuditEvent.id)).all()
        assert actions == ["step.claim", "step.release", "step.claim"]


def test_two_users_claiming_at_once_exactly_one_wins(
    app: FastAPI, admit: Admit, login: Login, world: World, sessions: sessionmaker[Session]
) -> None:
    step_ids = [_step_id(admit()) for _ in range(4)]
    users = ("nurse.a", "gp.a")
    headers = {u: login(u) for u in users}
    for step_id in step_ids:
        barrier = threading.Barrier(len(users))
        results: dict[str, int] = {}

        def claim(user: str, step_id: str = step_id, barrier: threading.Barrier = barrier,
                  results: dict[str, int] = results) -> None:
            with TestClient(app) as own_client:
                barrier.wait(timeout=10)
                r = own_client.post(f"/api/v1/steps/{step_id}/claim", headers=headers[user])
                results[user] = r.status_code

        threads = [threading.Thread(target=claim, args=(u,)) for u in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(results.values()) == [200, 409], results
        winner = next(u for u, code in results.items() if code == 200)
        with sessions() as s:
            step = s.get(Step, step_id)
            assert step is not None and step.status == StepStatus.CLAIMED
            assert step.assignee_id == world.users[winner].id
            assert _count(s, AuditEvent, AuditEvent.action == "step.claim",
                          AuditEvent.entity_id == step_id) == 1
            assert _count(s, JourneyEvent, JourneyEvent.kind == "step.claimed",
                          JourneyEvent.step_id == step_id) == 1


def test_assigning_is_for_coordinators_and_clinical_leads_to_members_of_the_home(
    client: TestClient, world: World, admit: Admit, login: Login,
    sessions: sessionmaker[Session],
) -> None:
    step_id = _step_id(admit())
    url = f"/api/v1/steps/{step_id}/assign"
    nurse_a, nurse_b = world.users["nurse.a"], world.users["nurse.b"]
    r = client.post(url, headers=login("staff.a"), json={"assignee_id": str(nurse_a.id)})
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    coord = login("coord")
    r = client.post(url, headers=coord, json={"assignee_id": str(nurse_b.id)})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "assignee_id"
    r = client.post(url, headers=coord, json={"assignee_id": str(world.users["admin"].id)})
    assert r.status_code == 422
    members = client.get(f"/api/v1/homes/{world.home_a.id}/members", headers=coord).json()
    assert str(nurse_a.id) in {m["id"] for m in members}
    assert str(nurse_b.id) not in {m["id"] for m in members}
    r = client.post(url, headers=coord, json={"assignee_id": str(nurse_a.id)})
    assert r.status_code == 200
    assert r.json()["assignee"] == {"id": str(nurse_a.id), "display_name": "Nurse A"}
    mine = client.get("/api/v1/steps", headers=login("nurse.a"), params={"assignee": "me"})
    assert [i["id"] for i in mine.json()["items"]] == [step_id]
    # The lead reassigns it to another member.
    r = client.post(url, headers=login("lead"),
                    json={"assignee_id": str(world.users["gp.a"].id)})
    assert r.status_code == 200
    with sessions() as s:
        step = s.get(Step, step_id)
        assert step is not None and step.assignee_id == world.users["gp.a"].id
        entries = s.scalars(select(AuditEvent).where(AuditEvent.action == "step.assign")
                            .order_by(AuditEvent.id)).all()
        assert [(e.role, e.after["assignee_id"]) for e in entries if e.after] == [
            ("coordinator", str(nurse_a.id)), ("clinical_lead", str(world.users["gp.a"].id))]


def test_invalid_outcome_is_422_with_field_errors_and_stores_nothing(
    client: TestClient, admit: Admit, login: Login, sessions: sessionmaker[Session]
) -> None:
    step_id = _step_id(admit())
    nurse = login("nurse.a")
    assert client.post(f"/api/v1/steps/{step_id}/claim", headers=nurse).status_code == 200
    bad = {**ASSESSMENT, "physical": "   ", "colour": "blue"}
    del bad["what_matters"]
    with sessions() as s:
        audits_before = _count(s, AuditEvent, AuditEvent.action != "step.view")
        outbox_before = _count(s, OutboxMessage)
    r = client.post(f"/api/v1/steps/{step_id}/complete", headers={**nurse,
                    "Idempotency-Key": "k-invalid"}, json={"outcome": bad})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    fields = {e["field"]: e["reason"] for e in r.json()["errors"]}
    assert set(fields) == {"outcome.physical", "outcome.what_matters", "outcome.colour"}
    assert "at least 1 character" in fields["outcome.physical"]
    assert fields["outcome.what_matters"] == "Field required"
    r = client.post(f"/api/v1/steps/{step_id}/complete", headers=nurse,
                    json={"outcome": "done"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "outcome"
    with sessions() as s:
        step = s.get(Step, step_id)
        assert step is not None
        assert step.status == StepStatus.CLAIMED
        assert step.outcome is None and step.completed_at is None
        assert _count(s, HolisticAssessment) == 0
        assert _count(s, Step) == 1
        assert _count(s, AuditEvent, AuditEvent.action != "step.view") == audits_before
        assert _count(s, AuditEvent, AuditEvent.action == "step.complete") == 0
        assert _count(s, OutboxMessage) == outbox_before
        assert _count(s, IdempotencyRecord) == 0
        assert _count(s, JourneyEvent, JourneyEvent.kind == "step.completed") == 0
    # The key was not spent on the failure: the corrected call with it goes through.
    r = client.post(f"/api/v1/steps/{step_id}/complete", headers={**nurse,
                    "Idempotency-Key": "k-invalid"}, json={"outcome": ASSESSMENT})
    assert r.status_code == 200, r.text


def test_completion_opens_the_plan_at_once_and_repeats_are_idempotent(
    client: TestClient, world: World, admit: Admit, login: Login,
    sessions: sessionmaker[Session],
) -> None:
    admitted = admit()
    step_id = _step_id(admitted)
    nurse = login("nurse.a")
    url = f"/api/v1/steps/{step_id}/complete"
    keyed = {**nurse, "Idempotency-Key": "assessment-1"}
    first = client.post(url, headers=keyed, json={"outcome": ASSESSMENT})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["step"]["status"] == "completed"
    assert body["step"]["completed_by"]["id"] == str(world.users["nurse.a"].id)
    assert body["journey"]["stage"] == "care_planning"
    [plan] = body["open_steps"]
    assert plan["kind"] == "pcsp" and plan["status"] == "ready"
    assert "idempotent-replayed" not in first.headers

    again = client.post(url, headers=keyed, json={"outcome": ASSESSMENT})
    assert again.status_code == 200
    assert again.json() == body
    assert again.headers["idempotent-replayed"] == "true"
    # Same key, different outcome: a different outcome on a completed step, 409.
    changed = client.post(url, headers=keyed, json={"outcome": {**ASSESSMENT, "social": "x"}})
    assert changed.status_code == 409
    assert changed.json()["errors"][0]["field"] == "Idempotency-Key"
    # A different outcome for a completed step, without the key or with a new one: 409.
    for headers in (nurse, {**nurse, "Idempotency-Key": "assessment-2"}):
        r = client.post(url, headers=headers, json={"outcome": {**ASSESSMENT, "social": "y"}})
        assert r.status_code == 409
        assert r.headers["content-type"] == "application/problem+json"
    # Keys belong to their user: another user's identical key is a new request (409 here).
    r = client.post(url, headers={**login("gp.a"), "Idempotency-Key": "assessment-1"},
                    json={"outcome": ASSESSMENT})
    assert r.status_code == 409

    with sessions() as s:
        step = s.get(Step, step_id)
        assert step is not None and step.outcome is not None
        assert step.outcome["social"] == ASSESSMENT["social"]
        assert _count(s, HolisticAssessment) == 1
        assert _count(s, Step, Step.kind == AssessmentStep.PCSP) == 1
        assert _count(s, AuditEvent, AuditEvent.action == "step.complete") == 1
        assert _count(s, JourneyEvent, JourneyEvent.kind == "step.completed") == 1
        assert _count(s, OutboxMessage, OutboxMessage.reason == "step_completed") == 1
        record = s.scalars(select(IdempotencyRecord)).one()
        assert record.user_id == world.users["nurse.a"].id
        assert record.status_code == 200 and record.response == body

    # The plan completes the pathway.
    r = client.post(f"/api/v1/steps/{plan['id']}/complete", headers=login("gp.a"),
                    json={"outcome": PCSP})
    assert r.status_code == 200
    assert r.json()["journey"]["stage"] == "under_mdt_care"
    assert r.json()["open_steps"] == []


def test_same_key_sent_twice_at_once_completes_once(
    app: FastAPI, admit: Admit, login: Login, sessions: sessionmaker[Session]
) -> None:
    step_id = _step_id(admit())
    headers = {**login("nurse.a"), "Idempotency-Key": "racing-retry"}
    barrier = threading.Barrier(2)
    responses: list[httpx.Response] = []

    def complete() -> None:
        with TestClient(app) as own_client:
            barrier.wait(timeout=10)
            responses.append(own_client.post(f"/api/v1/steps/{step_id}/complete",
                                             headers=headers, json={"outcome": ASSESSMENT}))

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert [r.status_code for r in responses] == [200, 200]
    assert responses[0].json() == responses[1].json()
    with sessions() as s:
        assert _count(s, HolisticAssessment) == 1
        assert _count(s, Step, Step.kind == AssessmentStep.PCSP) == 1
        assert _count(s, IdempotencyRecord) == 1


def test_a_step_taken_by_someone_else_cannot_be_completed(
    client: TestClient, admit: Admit, login: Login, sessions: sessionmaker[Session]
) -> None:
    step_id = _step_id(admit())
    assert client.post(f"/api/v1/steps/{step_id}/claim",
                       headers=login("nurse.a")).status_code == 200
    r = client.post(f"/api/v1/steps/{step_id}/complete", headers=login("gp.a"),
                    json={"outcome": ASSESSMENT})
    assert r.status_code == 409
    with sessions() as s:
        step = s.get(Step, step_id)
        assert step is not None and step.status == StepStatus.CLAIMED
        assert _count(s, HolisticAssessment) == 0

