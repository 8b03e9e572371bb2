"""Admissions and residence changes through the API, checked against the rows they wrote."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.audit.models import AuditEvent
from care.clock import FrozenClock
from care.journeys.models import Journey, OutboxMessage, Step, StepStatus
from care.residents.models import Episode, Resident, ResidentStatus
from tests.api.conftest import Headers
from tests.factories import World, admission

Admit = Callable[..., dict[str, Any]]


def test_admission_starts_the_journey_and_opens_the_assessment(
    client: TestClient, world: World, clock: FrozenClock, login: Callable[[str], Headers],
    sessions: sessionmaker[Session],
) -> None:
    body = admission(world.home_a.id, clock.now().date(), nhs_number="9990000018",
                     room="12B")
    r = client.post("/api/v1/residents", headers=login("staff.a"), json=body)
    assert r.status_code == 201
    out = r.json()
    resident_id = out["resident"]["id"]
    assert r.headers["location"] == f"/api/v1/residents/{resident_id}"
    assert out["resident"]["nhs_number"] == "999 000 0018"
    assert out["resident"]["home_name"] == "Home A"
    assert out["resident"]["gp_in_aligned_pcn"] is True
    assert out["journey"]["stage"] == "assessment"
    [step] = out["steps"]
    assert step["kind"] == "holistic_assessment"
    assert step["status"] == "ready"
    assert step["due_at"] == "2026-11-11T23:59:59Z"
    assert step["deadline_rule"] == "7-working-days-england/v1"
    assert step["overdue"] is False
    with sessions() as s:
        resident = s.get(Resident, out["resident"]["id"])
        assert resident is not None and resident.nhs_number == "9990000018"
        assert resident.room == "12B"
        journey = s.scalars(select(Journey)).one()
        assert str(journey.id) == out["journey"]["id"]
        assert s.scalar(select(func.count()).select_from(Episode)) == 1
        assert str(s.scalars(select(Step)).one().id) == step["id"]
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "resident.admit")).one()
        assert audit.user_id == world.users["staff.a"].id
        assert audit.role == "care_home_staff"
        assert str(audit.resident_id) == resident_id


def test_admission_refusals_name_the_field(
    client: TestClient, world: World, clock: FrozenClock, login: Callable[[str], Headers],
    admit: Admit, sessions: sessionmaker[Session],
) -> None:
    first = admit()
    today = clock.now().date()
    staff = login("staff.a")
    nhs = first["resident"]["nhs_number"].replace(" ", "")

    def refused(field: str, headers: Headers = staff, **overrides: Any) -> str:
        body = admission(world.home_a.id, today)
        body.update(overrides)
        r = client.post("/api/v1/residents", headers=headers, json=body)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        [error] = r.json()["errors"]
        assert error["field"] == field
        reason: str = error["reason"]
        return reason

    assert "active admission" in refused("nhs_number", nhs_number=nhs)
    assert "10 digits" in refused("nhs_number", nhs_number="12345")
    assert "future" in refused("admitted_on", admitted_on=(today + timedelta(days=1)).isoformat())
    assert "future" in refused("date_of_birth",
                               date_of_birth=(today + timedelta(days=3)).isoformat())
    assert "home you serve" in refused("home_id", headers=login("nurse.b"))
    # Admins manage the service; they do not admit residents.
    r = client.post("/api/v1/residents", headers=login("admin"),
                    json=admission(world.home_a.id, today))
    assert r.status_code == 403
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Resident)) == 1
        assert s.scalar(select(func.count()).select_from(Step)) == 1


def test_list_filters_paginates_and_viewing_is_audited(
    client: TestClient, world: World, login: Callable[[str], Headers], admit: Admit,
    sessions: sessionmaker[Session],
) -> None:
    a1 = admit(family_name="Abbott")
    admit(family_name="Barker")
    b1 = admit(username="coord", home="b", family_name="Chandler")
    coord = login("coord")
    r = client.get("/api/v1/residents", headers=coord, params={"page_size": 2})
    assert r.json()["total"] == 3
    assert [i["family_name"] for i in r.json()["items"]] == ["Abbott", "Barker"]
    r = client.get("/api/v1/residents", headers=coord, params={"page": 2, "page_size": 2})
    assert [i["family_name"] for i in r.json()["items"]] == ["Chandler"]
    r = client.get("/api/v1/residents", headers=coord, params={"home_id": str(world.home_b.id)})
    assert [i["id"] for i in r.json()["items"]] == [b1["resident"]["id"]]
    r = client.get("/api/v1/residents", headers=coord, params={"q": "abb"})
    assert [i["id"] for i in r.json()["items"]] == [a1["resident"]["id"]]
    r = client.get("/api/v1/residents", headers=coord,
                   params={"q": a1["resident"]["nhs_number"]})
    assert [i["id"] for i in r.json()["items"]] == [a1["resident"]["id"]]
    assert client.get("/api/v1/residents", headers=coord,
                      params={"status": "discharged"}).json()["total"] == 0
    r = client.get("/api/v1/residents", headers=coord, params={"status": "gone"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "status"
    # nurse.a serves home A only.
    r = client.get("/api/v1/residents", headers=login("nurse.a"))
    assert r.json()["total"] == 2

    r = client.get(f"/api/v1/residents/{a1['resident']['id']}", headers=coord)
    assert r.status_code == 200
    assert r.json()["journey_id"] == a1["journey"]["id"]
    with sessions() as s:
        views = s.scalars(select(AuditEvent).where(AuditEvent.action == "resident.view")).all()
        assert [(str(v.resident_id), v.user_id) for v in views] == [
            (a1["resident"]["id"], world.users["coord"].id)
        ]


def _journey(client: TestClient, headers: Headers, resident_id: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/residents/{resident_id}/journey", headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_hospital_stay_and_readmission_restart_the_deadlines(
    client: TestClient, clock: FrozenClock, login: Callable[[str], Headers], admit: Admit,
    sessions: sessionmaker[Session],
) -> None:
    out = admit()
    rid = out["resident"]["id"]
    clock.advance(days=3)
    staff = login("staff.a")
    r = client.post(f"/api/v1/residents/{rid}/hospital-stays", headers=staff,
                    json={"admitted_on": clock.now().date().isoformat(),
                          "hospital_name": "General"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "in_hospital"
    assert r.json()["stage"] == "in_hospital"
    journey = _journey(client, staff, rid)
    [first] = journey["steps"]
    assert first["status"] == "cancelled"
    assert first["cancelled_reason"] == "admitted to hospital; new steps open on return"
    # A second hospital admission while in hospital clashes with the state.
    r = client.post(f"/api/v1/residents/{rid}/hospital-stays", headers=staff,
                    json={"admitted_on": clock.now().date().isoformat()})
    assert r.status_code == 409

    clock.advance(days=14)  # Thursday 19 Nov 2026
    staff = login("staff.a")
    r = client.post(f"/api/v1/residents/{rid}/readmissions", headers=staff,
                    json={"readmitted_on": clock.now().date().isoformat()})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "resident"
    assert r.json()["stage"] == "assessment"
    journey = _journey(client, staff, rid)
    old, new = journey["steps"]
    assert old["status"] == "cancelled"
    assert new["status"] == "ready" and new["kind"] == "holistic_assessment"
    # Thursday 19 Nov + 7 working days = Monday 30 Nov.
    assert new["due_at"] == "2026-11-30T23:59:59Z"
    assert new["deadline_base"].startswith("2026-11-19")
    kinds = [e["kind"] for e in journey["timeline"]]
    assert "journey.hospital_admission" in kinds and "journey.readmitted" in kinds
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Episode)) == 3
        actions = s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert "resident.hospital_stay" in actions and "resident.readmit" in actions


def test_discharge_and_death_cancel_open_steps_with_the_reason(
    client: TestClient, clock: FrozenClock, login: Callable[[str], Headers], admit: Admit,
    sessions: sessionmaker[Session],
) -> None:
    leaving, dying = admit(), admit()
    staff = login("staff.a")
    today = clock.now().date().isoformat()
    r = client.post(f"/api/v1/residents/{leaving['resident']['id']}/discharge", headers=staff,
                    json={"discharged_on": today, "destination": "family home"})
    assert r.status_code == 200 and r.json()["status"] == "discharged"
    r = client.post(f"/api/v1/residents/{dying['resident']['id']}/death", headers=staff,
                    json={"died_on": today, "place_of_death": "care home"})
    assert r.status_code == 200 and r.json()["status"] == "deceased"
    for out, reason, stage in ((leaving, "resident discharged from the home", "discharged"),
                               (dying, "resident died", "deceased")):
        journey = _journey(client, staff, out["resident"]["id"])
        assert journey["stage"] == stage
        assert journey["status"] == "ended"
        [step] = journey["steps"]
        assert step["status"] == "cancelled"
        assert step["cancelled_reason"] == reason
        assert step["overdue"] is False
        assert any(e["kind"] == "step.cancelled" and reason in e["summary"]
                   for e in journey["timeline"])
    # Nothing is left in anyone's queue, and a second death record clashes.
    r = client.get("/api/v1/steps", headers=staff, params={"status": "open"})
    assert r.json()["total"] == 0
    r = client.post(f"/api/v1/residents/{dying['resident']['id']}/death", headers=staff,
                    json={"died_on": today})
    assert r.status_code == 409
    r = client.post(f"/api/v1/residents/{leaving['resident']['id']}/discharge", headers=staff,
                    json={"discharged_on": "2026-12-25"})
    assert r.status_code == 409
    with sessions() as s:
        statuses = s.scalars(select(Step.status)).all()
        assert set(statuses) == {StepStatus.CANCELLED}
        assert {r.status for r in s.scalars(select(Resident))} == {
            ResidentStatus.DISCHARGED, ResidentStatus.DECEASED}
