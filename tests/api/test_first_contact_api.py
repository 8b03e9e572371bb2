"""The coded first contact and the clinical lead's review list over HTTP: free text refused
with a 422 naming the field; the list and its resolution per role (issue 8, item 6)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments.models import CarePlan, FirstContactReview
from care.audit.models import AuditEvent
from care.directory.models import Pcn
from care.settings import Settings
from care.types import Profession, Role
from tests.api.conftest import Headers
from tests.factories import ASSESSMENT, PCSP, World, make_home, make_user
from tests.test_first_contact import legacy_plan

Admit = Callable[..., dict[str, Any]]
Login = Callable[[str], Headers]
API = "/api/v1"


def _step_id(client: TestClient, headers: Headers, rid: str, kind: str) -> str:
    steps = client.get(f"{API}/steps", headers=headers,
                       params={"resident_id": rid, "kind": kind, "status": "open"}).json()
    step_id: str = steps["items"][0]["id"]
    return step_id


def _assessed(client: TestClient, admit: Admit, login: Login) -> str:
    rid: str = admit()["resident"]["id"]
    nurse = login("nurse.a")
    r = client.post(f"{API}/steps/{_step_id(client, nurse, rid, 'holistic_assessment')}/complete",
                    headers=nurse, json={"outcome": ASSESSMENT})
    assert r.status_code == 200, r.text
    return rid


def _plans(sessions: sessionmaker[Session], rid: str) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(CarePlan)
                        .where(CarePlan.resident_id == uuid.UUID(rid))) or 0


@pytest.mark.parametrize("contact", ["not GP", "GP", "palliative", "Dr Smith"])
def test_pcsp_with_free_text_first_contact_is_refused(
    client: TestClient, admit: Admit, login: Login, sessions: sessionmaker[Session],
    contact: str,
) -> None:
    rid = _assessed(client, admit, login)
    nurse = login("nurse.a")
    step_id = _step_id(client, nurse, rid, "pcsp")
    outcome = {**PCSP, "escalation_wishes": {"hospital_admission": "no",
                                             "preferred_contact": contact}}
    r = client.post(f"{API}/steps/{step_id}/complete", headers=nurse, json={"outcome": outcome})
    assert r.status_code == 422, r.text
    problem = r.json()
    [error] = problem["errors"]
    assert error["field"] == "outcome.escalation_wishes.preferred_contact"
    assert "'gp'" in error["reason"] and "'named_clinician'" in error["reason"]
    assert "free text is not accepted" in error["reason"]
    assert _plans(sessions, rid) == 0

    outcome["escalation_wishes"]["preferred_contact"] = "gp"
    r = client.post(f"{API}/steps/{step_id}/complete", headers=nurse, json={"outcome": outcome})
    assert r.status_code == 200, r.text
    assert _plans(sessions, rid) == 1


def test_named_clinician_must_serve_the_residents_home(
    client: TestClient, admit: Admit, login: Login, world: World,
    sessions: sessionmaker[Session],
) -> None:
    rid = _assessed(client, admit, login)
    nurse = login("nurse.a")
    step_id = _step_id(client, nurse, rid, "pcsp")
    wishes: dict[str, Any] = {"hospital_admission": "no", "preferred_contact": "named_clinician"}
    for clinician, field in ((None, "outcome.escalation_wishes.named_clinician_id"),
                             (world.users["nurse.b"].id,
                              "outcome.escalation_wishes.named_clinician_id")):
        body = {**wishes, **({"named_clinician_id": str(clinician)} if clinician else {})}
        r = client.post(f"{API}/steps/{step_id}/complete", headers=nurse,
                        json={"outcome": {**PCSP, "escalation_wishes": body}})
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == [field]
    assert _plans(sessions, rid) == 0
    r = client.post(f"{API}/steps/{step_id}/complete", headers=nurse, json={"outcome": {
        **PCSP, "escalation_wishes": {**wishes,
                                      "named_clinician_id": str(world.users["gp.a"].id)}}})
    assert r.status_code == 200, r.text


@pytest.fixture
def review_id(world: World, sessions: sessionmaker[Session], settings: Settings) -> str:
    with sessions() as s, s.begin():
        legacy_plan(s, world, settings, "not GP, call Dr Smith")
        return str(s.scalars(select(FirstContactReview.id)).one())


@pytest.mark.parametrize(("who", "status", "count"),
                         [("lead", 200, 1), ("coord", 200, 1), ("gp.a", 403, None),
                          ("nurse.b", 403, None), ("staff.a", 403, None), ("admin", 403, None)])
def test_review_list_per_role(
    client: TestClient, login: Login, review_id: str, who: str, status: int,
    count: int | None,
) -> None:
    r = client.get(f"{API}/first-contact-reviews", headers=login(who))
    assert r.status_code == status, r.text
    if count is not None:
        body = r.json()
        assert len(body) == count
        assert body[0]["id"] == review_id and body[0]["status"] == "open"
        assert body[0]["original_text"] == "not GP, call Dr Smith"
        assert body[0]["home_name"] == "Home A" and body[0]["resolution"] is None


def test_review_list_is_scoped_to_the_pcn_and_the_homes_served(
    client: TestClient, login: Login, review_id: str, world: World,
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as s, s.begin():
        other = Pcn(name="Other PCN", ods_code="U88888", practice_ods_codes=[])
        s.add(other)
        s.flush()
        make_user(s, other, "lead.other", Role.CLINICAL_LEAD, Profession.GP,
                  [make_home(s, other, "Home C")])
        make_user(s, world.pcn, "lead.b", Role.CLINICAL_LEAD, Profession.GP, [world.home_b])
    for who in ("lead.other", "lead.b"):
        r = client.get(f"{API}/first-contact-reviews", headers=login(who))
        assert r.status_code == 200 and r.json() == []
        r = client.post(f"{API}/first-contact-reviews/{review_id}/resolve", headers=login(who),
                        json={"preferred_contact": "gp", "reason": "asked the family"})
        assert r.status_code == 404, r.text


def test_clinical_lead_resolves_with_a_code_and_a_reason(
    client: TestClient, login: Login, review_id: str, world: World,
    sessions: sessionmaker[Session],
) -> None:
    url = f"{API}/first-contact-reviews/{review_id}/resolve"
    for who, status in (("coord", 403), ("gp.a", 403), ("nurse.b", 404), ("admin", 403)):
        r = client.post(url, headers=login(who),
                        json={"preferred_contact": "gp", "reason": "asked the family"})
        assert r.status_code == status, (who, r.text)
    lead = login("lead")
    r = client.post(f"{API}/first-contact-reviews/{uuid.uuid4()}/resolve", headers=lead,
                    json={"preferred_contact": "gp", "reason": "asked the family"})
    assert r.status_code == 404
    for body, field in (({"preferred_contact": "Dr Smith", "reason": "x"}, "preferred_contact"),
                        ({"reason": "asked"}, "preferred_contact"),
                        ({"preferred_contact": "gp"}, "reason"),
                        ({"preferred_contact": "named_clinician", "reason": "x"},
                         "named_clinician_id"),
                        ({"preferred_contact": "named_clinician", "reason": "x",
                          "named_clinician_id": str(world.users["nurse.b"].id)},
                         "named_clinician_id")):
        r = client.post(url, headers=lead, json=body)
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == [field], body

    r = client.post(url, headers=lead, json={
        "preferred_contact": "named_clinician", "named_clinician_id": str(world.users["gp.a"].id),
        "reason": "Dr Smith has retired; the son asked for the practice's care-home GP"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "resolved" and body["resolution"] == "named_clinician"
    assert body["resolution_label"] == "A named clinician"
    assert body["resolution_named_clinician"]["display_name"] == "Gp A"
    assert body["resolved_by"]["display_name"] == "Lead"
    assert body["resolved_plan_version"] == body["current_plan_version"] == (
        body["care_plan_version"] + 1)
    r = client.post(url, headers=lead, json={"preferred_contact": "gp", "reason": "again"})
    assert r.status_code == 409

    assert client.get(f"{API}/first-contact-reviews", headers=lead).json() == []
    resolved = client.get(f"{API}/first-contact-reviews", headers=login("coord"),
                          params={"status": "resolved"}).json()
    assert [item["id"] for item in resolved] == [review_id]
    with sessions() as s:
        actions = set(s.scalars(select(AuditEvent.action)).all())
        assert {"first_contact_review.resolve", "first_contact_review.list"} <= actions


def test_resolving_to_no_first_contact_keeps_the_default_route(
    client: TestClient, login: Login, review_id: str, sessions: sessionmaker[Session],
) -> None:
    r = client.post(f"{API}/first-contact-reviews/{review_id}/resolve", headers=login("lead"),
                    json={"preferred_contact": None, "reason": "'not GP' was the family's "
                          "view of one locum; no preference"})
    assert r.status_code == 200, r.text
    assert r.json()["resolution"] is None
    assert r.json()["resolution_label"] == "No first contact: the usual route"
    with sessions() as s:
        review = s.get(FirstContactReview, uuid.UUID(review_id))
        assert review is not None
        current = s.scalars(select(CarePlan).where(CarePlan.resident_id == review.resident_id)
                            .order_by(CarePlan.version.desc())).first()
        assert current is not None and current.escalation_wishes["preferred_contact"] is None
