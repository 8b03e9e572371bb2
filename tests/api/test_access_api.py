"""Access follows the care relationship (invariant 9): residents, journeys and steps of a home
you do not serve do not exist for you (404), whatever the method; roles are 403."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments.models import HolisticAssessment
from care.audit.models import AuditEvent
from care.clock import FrozenClock
from care.journeys.models import Step, StepStatus
from care.residents.models import Resident, ResidentStatus
from care.types import Profession, Role
from tests.api.conftest import Headers
from tests.factories import ASSESSMENT, World, make_user

Admit = Callable[..., dict[str, Any]]
Login = Callable[[str], Headers]


def test_a_user_of_home_b_gets_404_for_everything_of_home_a(
    client: TestClient, world: World, clock: FrozenClock, admit: Admit, login: Login,
    sessions: sessionmaker[Session],
) -> None:
    in_a = admit()
    rid, sid = in_a["resident"]["id"], in_a["steps"][0]["id"]
    today = clock.now().date().isoformat()
    outsider = login("nurse.b")
    with sessions() as s:
        audit_before = s.scalar(select(func.count()).select_from(AuditEvent))

    gets = [f"/api/v1/residents/{rid}", f"/api/v1/residents/{rid}/journey",
            f"/api/v1/steps/{sid}", f"/api/v1/homes/{world.home_a.id}/members"]
    posts: list[tuple[str, dict[str, Any] | None]] = [
        (f"/api/v1/steps/{sid}/claim", None),
        (f"/api/v1/steps/{sid}/release", None),
        (f"/api/v1/steps/{sid}/complete", {"outcome": ASSESSMENT}),
        (f"/api/v1/residents/{rid}/hospital-stays", {"admitted_on": today}),
        (f"/api/v1/residents/{rid}/discharge", {"discharged_on": today}),
        (f"/api/v1/residents/{rid}/death", {"died_on": today}),
        (f"/api/v1/residents/{rid}/readmissions", {"readmitted_on": today}),
    ]
    for url in gets:
        r = client.get(url, headers=outsider)
        assert r.status_code == 404, url
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["status"] == 404
    for url, body in posts:
        r = client.post(url, headers=outsider, json=body)
        assert r.status_code == 404, (url, r.text)
    # Lists simply do not show them.
    assert client.get("/api/v1/residents", headers=outsider).json()["total"] == 0
    assert client.get("/api/v1/steps", headers=outsider).json()["total"] == 0
    assert client.get("/api/v1/steps", headers=outsider,
                      params={"resident_id": rid}).json()["total"] == 0
    assert [h["name"] for h in client.get("/api/v1/homes", headers=outsider).json()] == [
        "Home B"]

    with sessions() as s:  # nothing changed, nothing about the resident was shown
        step = s.get(Step, sid)
        assert step is not None and step.status == StepStatus.READY
        assert step.assignee_id is None
        resident = s.get(Resident, rid)
        assert resident is not None and resident.status == ResidentStatus.RESIDENT
        assert s.scalar(select(func.count()).select_from(HolisticAssessment)) == 0
        new_audit = s.scalars(select(AuditEvent).order_by(AuditEvent.id)
                              .offset(audit_before)).all()
        assert all(e.resident_id is None for e in new_audit)


def test_care_home_staff_see_their_home_only(
    client: TestClient, world: World, admit: Admit, login: Login
) -> None:
    in_b = admit(username="coord", home="b")
    staff = login("staff.a")
    assert client.get(f"/api/v1/residents/{in_b['resident']['id']}",
                      headers=staff).status_code == 404
    assert client.post(f"/api/v1/steps/{in_b['steps'][0]['id']}/claim",
                       headers=staff).status_code == 404
    # The coordinator serves both homes and sees it.
    assert client.get(f"/api/v1/residents/{in_b['resident']['id']}",
                      headers=login("coord")).status_code == 200


def test_stalled_list_and_reruns_follow_the_homes_served(
    client: TestClient, world: World, clock: FrozenClock, admit: Admit, login: Login,
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as s, s.begin():
        make_user(s, world.pcn, "admin.a", Role.ADMIN, Profession.ADMINISTRATOR,
                  [world.home_a])
    in_a, in_b = admit(), admit(username="coord", home="b")
    # No runner drains the admissions' advances: after 10 minutes both journeys are stalled.
    clock.advance(minutes=11)
    r = client.get("/api/v1/journeys", headers=login("admin"), params={"status": "stalled"})
    assert {j["journey_id"] for j in r.json()["items"]} == {in_a["journey"]["id"],
                                                            in_b["journey"]["id"]}
    assert all(j["reasons"] == ["journey advance has been waiting for a runner"]
               for j in r.json()["items"])
    r = client.get("/api/v1/journeys", headers=login("admin.a"), params={"status": "stalled"})
    assert [j["journey_id"] for j in r.json()["items"]] == [in_a["journey"]["id"]]
    r = client.post(f"/api/v1/journeys/{in_b['journey']['id']}/rerun",
                    headers=login("admin.a"))
    assert r.status_code == 404
    assert client.post(f"/api/v1/journeys/{in_b['journey']['id']}/rerun",
                       headers=login("admin")).status_code == 202
    # Non-admins may not re-run, even in their own homes.
    assert client.post(f"/api/v1/journeys/{in_b['journey']['id']}/rerun",
                       headers=login("lead")).status_code == 403
    assert client.post(f"/api/v1/journeys/{in_b['journey']['id']}/rerun",
                       headers=login("nurse.b")).status_code == 403
