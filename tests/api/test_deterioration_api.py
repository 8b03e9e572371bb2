"""Deterioration over HTTP: record observations, see the urgent step, acknowledge, add the
SBARD recommendation and decide; the chart, the scale and baseline, the PCN's ladder; access
rules and clear 4xx errors. Each test checks the rows the calls wrote."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.audit.models import AuditEvent
from care.clock import FrozenClock
from care.deterioration.kinds import DeteriorationStep
from care.deterioration.models import (
    Deterioration,
    DeteriorationStatus,
    ObservationSet,
    PcnEscalationPolicy,
)
from care.directory.models import User
from care.journeys.models import Step, StepStatus
from care.residents.models import Resident, ResidentStatus
from care.types import Profession, Role
from tests.api.conftest import Headers
from tests.factories import ASSESSMENT, PCSP, World, make_user

Admit = Callable[..., dict[str, Any]]
Login = Callable[[str], Headers]
API = "/api/v1"
MEDIUM = {"respiration_rate": 22, "spo2": 95, "on_oxygen": False, "systolic_bp": 130,
          "pulse": 105, "consciousness": "alert", "temperature": 38.5}


def _count(s: Session, model: type[Any], *where: Any) -> int:
    return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


@pytest.fixture
def ucr(world: World, sessions: sessionmaker[Session]) -> User:
    with sessions() as s, s.begin():
        return make_user(s, world.pcn, "ucr.a", Role.MDT_MEMBER,
                         Profession.URGENT_COMMUNITY_RESPONSE, [world.home_a])


def planned(client: TestClient, admit: Admit, login: Login, hospital: str = "yes") -> str:
    """Admit a resident and complete their assessment and PCSP through the API."""
    body = admit()
    rid: str = body["resident"]["id"]
    nurse = login("nurse.a")
    for kind, outcome in (("holistic_assessment", ASSESSMENT), ("pcsp", {
            **PCSP, "escalation_wishes": {"hospital_admission": hospital,
                                          "preferred_contact": "gp"}})):
        steps = client.get(f"{API}/steps", headers=nurse,
                           params={"resident_id": rid, "kind": kind, "status": "open"}).json()
        r = client.post(f"{API}/steps/{steps['items'][0]['id']}/complete", headers=nurse,
                        json={"outcome": outcome})
        assert r.status_code == 200, r.text
    return rid


def test_observations_to_decision_over_http(
    client: TestClient, admit: Admit, login: Login, sessions: sessionmaker[Session],
    clock: FrozenClock, ucr: User,
) -> None:
    rid = planned(client, admit, login)
    r = client.post(f"{API}/residents/{rid}/observations", headers=login("staff.a"),
                    json={**MEDIUM, "soft_signs": ["more_sleepy"]})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["news2"]["total"] == 5 and body["news2"]["risk"] == "medium"
    assert body["route"]["urgency"] == "urgent" and not body["route"]["call_999"]
    assert body["route"]["respond_within_minutes"] == 120
    assert body["urgent_step"]["candidate_profession"] == "urgent_community_response"
    assert body["repeat_step"]["kind"] == "repeat_observations"
    det_id = body["deterioration_id"]

    # The responder sees it in their queue and in their steps at once.
    queue = client.get(f"{API}/deteriorations", headers=login("ucr.a")).json()
    assert [d["id"] for d in queue] == [det_id]
    assert queue[0]["current_responder"] == "urgent_community_response"
    assert not queue[0]["acknowledged"]
    steps = client.get(f"{API}/steps", headers=login("ucr.a"),
                       params={"kind": "urgent_response", "status": "open"}).json()
    assert steps["items"][0]["deterioration_id"] == det_id

    # A GP may not acknowledge the urgent community response team's step.
    r = client.post(f"{API}/deteriorations/{det_id}/acknowledge", headers=login("gp.a"))
    assert r.status_code == 403
    assert "urgent community response team" in r.json()["detail"]
    r = client.post(f"{API}/deteriorations/{det_id}/acknowledge", headers=login("ucr.a"))
    assert r.status_code == 200 and r.json()["acknowledged_by"]["id"] == str(ucr.id)

    r = client.put(f"{API}/deteriorations/{det_id}/sbard", headers=login("staff.a"),
                   json={"recommendation": "Please visit: she is much sleepier."})
    assert r.status_code == 200
    assert r.json()["sbard"]["recommendation"] == "Please visit: she is much sleepier."
    assert "would accept hospital admission" in r.json()["sbard"]["background"]

    r = client.post(f"{API}/deteriorations/{det_id}/decision", headers=login("ucr.a"),
                    json={"decision": "UTI; antibiotics; push fluids.",
                          "outcome": "seen_in_home"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed" and r.json()["within_clock"] is True
    r = client.post(f"{API}/deteriorations/{det_id}/decision", headers=login("ucr.a"),
                    json={"decision": "again", "outcome": "advice_only"})
    assert r.status_code == 409
    with sessions() as s:
        det = s.get(Deterioration, det_id)
        assert det is not None and det.status == DeteriorationStatus.CLOSED
        assert det.decision == "UTI; antibiotics; push fluids."
        actions = set(s.scalars(select(AuditEvent.action)))
        assert {"observations.record", "sbard.complete", "step.claim",
                "step.complete"} <= actions


def test_admission_outcome_over_http_pauses_the_journey(
    client: TestClient, admit: Admit, login: Login, sessions: sessionmaker[Session], ucr: User,
) -> None:
    rid = planned(client, admit, login)
    det_id = client.post(f"{API}/residents/{rid}/observations", headers=login("staff.a"),
                         json=MEDIUM).json()["deterioration_id"]
    r = client.post(f"{API}/deteriorations/{det_id}/decision", headers=login("ucr.a"),
                    json={"decision": "Sepsis; 999.", "outcome": "admitted_to_hospital",
                          "hospital_name": "Riverside General"})
    assert r.status_code == 200, r.text
    journey = client.get(f"{API}/residents/{rid}/journey", headers=login("staff.a")).json()
    assert journey["stage"] == "in_hospital"
    with sessions() as s:
        assert s.get(Resident, rid).status == ResidentStatus.IN_HOSPITAL  # type: ignore[union-attr]
        review = s.scalars(select(Step).where(
            Step.kind == DeteriorationStep.AE_REVIEW)).one()
        assert review.candidate_profession == "community_matron"
    r = client.post(f"{API}/residents/{rid}/observations", headers=login("staff.a"), json=MEDIUM)
    assert r.status_code == 409 and "in hospital" in r.json()["detail"]


def test_bad_observations_get_field_errors_and_store_nothing(
    client: TestClient, admit: Admit, login: Login, sessions: sessionmaker[Session],
) -> None:
    rid = admit()["resident"]["id"]
    staff = login("staff.a")
    r = client.post(f"{API}/residents/{rid}/observations", headers=staff,
                    json={"spo2": 104, "pulse": 0, "respiration_rate": 16.5})
    assert r.status_code == 422
    fields = {e["field"]: e["reason"] for e in r.json()["errors"]}
    assert set(fields) == {"spo2", "pulse", "respiration_rate"}
    assert "above 100" in fields["spo2"] and "999" in fields["pulse"]
    for bad in ({}, {"consciousness": "drowsy"}, {"pulse": 80, "colour": "pink"},
                {"soft_signs": ["feeling_blue"]}, {"pulse": 80, "taken_at": "2030-01-01T00:00Z"}):
        r = client.post(f"{API}/residents/{rid}/observations", headers=staff, json=bad)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["errors"], bad
    with sessions() as s:
        assert _count(s, ObservationSet) == 0 and _count(s, Deterioration) == 0


def test_partial_and_repeated_sets_over_http(
    client: TestClient, admit: Admit, login: Login, sessions: sessionmaker[Session],
) -> None:
    rid = admit()["resident"]["id"]
    staff = login("staff.a") | {"Idempotency-Key": "obs-1"}
    first = client.post(f"{API}/residents/{rid}/observations", headers=staff,
                        json={"pulse": 118, "temperature": 37.0})
    again = client.post(f"{API}/residents/{rid}/observations", headers=staff,
                        json={"pulse": 118, "temperature": 37.0})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json()["observation"]["id"] == again.json()["observation"]["id"]
    news2 = first.json()["news2"]
    assert news2["total"] == 2 and news2["complete"] is False
    assert "respiration_rate" in news2["missing"] and "partial set" in news2["label"]
    # A partial set asks for the rest at once (hazard H-09), in the response itself.
    full = first.json()["full_set_step"]
    assert full["title"] == "Take a full set of observations now" and full["status"] == "ready"
    assert again.json()["full_set_step"]["id"] == full["id"]
    with sessions() as s:
        assert _count(s, ObservationSet) == 1
    chart = client.get(f"{API}/residents/{rid}/observations", headers=login("staff.a")).json()
    assert len(chart["observations"]) == 1 and chart["baseline"] is None
    assert chart["spo2_scale"]["scale"] == "scale_1" and chart["spo2_scale"]["reason"] is None


def test_scale_and_baseline_over_http(
    client: TestClient, admit: Admit, login: Login,
) -> None:
    rid = admit()["resident"]["id"]
    r = client.put(f"{API}/residents/{rid}/spo2-scale", headers=login("staff.a"),
                   json={"scale": "scale_2", "reason": "COPD"})
    assert r.status_code == 403
    r = client.put(f"{API}/residents/{rid}/spo2-scale", headers=login("gp.a"),
                   json={"scale": "scale_2", "reason": "COPD with a prescribed 88-92% target"})
    assert r.status_code == 200 and r.json()["decided_by"]["display_name"] == "Gp A"
    full = {**MEDIUM, "spo2": 89, "respiration_rate": 16, "pulse": 80, "temperature": 37.0}
    obs = client.post(f"{API}/residents/{rid}/observations", headers=login("staff.a"),
                      json=full).json()
    assert obs["news2"]["scale"] == "scale_2" and obs["news2"]["total"] == 0
    assert obs["baseline_set"] is True
    r = client.put(f"{API}/residents/{rid}/news2-baseline", headers=login("gp.a"),
                   json={"observation_id": obs["observation"]["id"], "reason": "Usual state"})
    assert r.status_code == 200 and r.json()["total"] == 0
    r = client.put(f"{API}/residents/{rid}/news2-baseline", headers=login("gp.a"),
                   json={"observation_id": "00000000-0000-0000-0000-000000000000",
                         "reason": "x"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "observation_id"


def test_other_homes_deteriorations_do_not_exist_for_you(
    client: TestClient, admit: Admit, login: Login,
) -> None:
    rid = admit()["resident"]["id"]
    det_id = client.post(f"{API}/residents/{rid}/observations", headers=login("staff.a"),
                         json={**MEDIUM, "carer_concerned": True}).json()["deterioration_id"]
    nurse_b = login("nurse.b")
    assert client.get(f"{API}/deteriorations", headers=nurse_b).json() == []
    assert client.get(f"{API}/deteriorations/{det_id}", headers=nurse_b).status_code == 404
    assert client.post(f"{API}/deteriorations/{det_id}/acknowledge",
                       headers=nurse_b).status_code == 404
    assert client.post(f"{API}/residents/{rid}/observations", headers=nurse_b,
                       json={"pulse": 80}).status_code == 404
    assert client.get(f"{API}/residents/{rid}/observations", headers=nurse_b).status_code == 404
    # Coordinators watch but do not take observations.
    assert client.post(f"{API}/residents/{rid}/observations", headers=login("coord"),
                       json={"pulse": 80}).status_code == 403


def test_escalation_policy_over_http(
    client: TestClient, login: Login, sessions: sessionmaker[Session],
) -> None:
    got = client.get(f"{API}/escalation-policy", headers=login("gp.a")).json()
    assert got["customised"] is False and got["values"]["acknowledge_same_day_minutes"] == 30
    assert got["values"]["urgent_response_minutes"] == 120 and got["history"] == []
    assert got["floors"]["high_from"] == {"low": 1, "high": 7, "why": got["floors"][
        "high_from"]["why"]} and "RCP" in got["floors"]["high_from"]["why"]
    # Clinical policy is for clinical leads: not other clinicians, not admins.
    for who in ("gp.a", "admin"):
        r = client.put(f"{API}/escalation-policy", headers=login(who),
                       json={"acknowledge_urgent_minutes": 15, "reason": "x"})
        assert r.status_code == 403, who
    r = client.put(f"{API}/escalation-policy", headers=login("lead"),
                   json={"high_from": 5, "medium_from": 5, "reason": "x"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "medium_from"
    r = client.put(f"{API}/escalation-policy", headers=login("lead"),
                   json={"acknowledge_urgent_minutes": 15})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(PcnEscalationPolicy)) == 0
    r = client.put(f"{API}/escalation-policy", headers=login("lead"),
                   json={"acknowledge_urgent_minutes": 15, "reason": "Agreed at the PCN board"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["values"]["acknowledge_urgent_minutes"] == 15 and body["customised"]
    assert [(v["version"], v["reason"], v["changed_by"]["display_name"])
            for v in body["history"]] == [(1, "Agreed at the PCN board", "Lead")]
    r = client.put(f"{API}/escalation-policy", headers=login("lead"),
                   json={"repeat_obs_low_minutes": 180, "reason": "Winter pressures"})
    assert [v["version"] for v in r.json()["history"]] == [2, 1]
    with sessions() as s:
        stored = s.scalars(select(PcnEscalationPolicy)).one()
        assert stored.values == {"repeat_obs_low_minutes": 180}


@pytest.mark.parametrize(("field", "value", "floor"), [
    ("high_from", 20, "between 1 and 7"),
    ("high_from", 8, "RCP NEWS2"),
    ("medium_from", 6, "between 1 and 5"),
    ("urgent_response_minutes", 24 * 60, "within 2 hours"),
    ("urgent_response_minutes", 121, "between 1 and 120"),
    ("gp_urgent_minutes", 61, "between 1 and 60"),
    ("acknowledge_emergency_minutes", 16, "999 within 30 minutes"),
    ("acknowledge_urgent_minutes", 31, "between 1 and 30"),
    ("acknowledge_same_day_minutes", 61, "between 1 and 60"),
    ("repeat_obs_emergency_minutes", 31, "between 1 and 30"),
    ("repeat_obs_urgent_minutes", 61, "at least hourly"),
    ("repeat_obs_same_day_minutes", 241, "between 1 and 240"),
    ("repeat_obs_low_minutes", 361, "every 4-6 hours"),
    ("repeat_obs_zero_minutes", 721, "12-hourly"),
    ("full_set_minutes", 16, "between 1 and 15"),
    ("same_day_minutes", 0, "between 1 and 360"),
])
def test_the_national_floors_refuse_a_less_cautious_ladder(
    client: TestClient, login: Login, sessions: sessionmaker[Session], field: str, value: int,
    floor: str,
) -> None:
    r = client.put(f"{API}/escalation-policy", headers=login("lead"),
                   json={field: value, "reason": "try"})
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["field"] == field and floor in error["reason"], error
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(PcnEscalationPolicy)) == 0


def test_repeat_observations_step_completed_over_http(
    client: TestClient, admit: Admit, login: Login, sessions: sessionmaker[Session],
) -> None:
    rid = admit()["resident"]["id"]
    repeat_id = client.post(f"{API}/residents/{rid}/observations", headers=login("staff.a"),
                            json={**MEDIUM, "carer_concerned": True}).json()["repeat_step"]["id"]
    r = client.post(f"{API}/steps/{repeat_id}/complete", headers=login("staff.a"),
                    json={"outcome": {**MEDIUM, "pulse": 0}})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "outcome.pulse"
    r = client.post(f"{API}/steps/{repeat_id}/complete", headers=login("staff.a"),
                    json={"outcome": MEDIUM})
    assert r.status_code == 200, r.text
    with sessions() as s:
        assert s.get(Step, repeat_id).status == StepStatus.COMPLETED  # type: ignore[union-attr]
        assert _count(s, ObservationSet) == 2


def test_measures_per_home_for_the_coordinator(
    client: TestClient, admit: Admit, login: Login, clock: FrozenClock, ucr: User,
) -> None:
    from datetime import timedelta

    quick = planned(client, admit, login)
    slow = planned(client, admit, login)
    calm = admit()["resident"]["id"]
    staff = login("staff.a")
    first = client.post(f"{API}/residents/{quick}/observations", headers=staff,
                        json=MEDIUM).json()["deterioration_id"]
    second = client.post(f"{API}/residents/{slow}/observations", headers=staff,
                         json=MEDIUM).json()["deterioration_id"]
    full = {**MEDIUM, "respiration_rate": 16, "pulse": 80, "temperature": 37.0, "spo2": 97}
    client.post(f"{API}/residents/{calm}/observations", headers=staff, json=full)
    start = clock.now()
    clock.set(start + timedelta(minutes=90))
    r = client.post(f"{API}/deteriorations/{first}/decision", headers=login("ucr.a"),
                    json={"decision": "Seen.", "outcome": "seen_in_home"})
    assert r.status_code == 200
    clock.set(start + timedelta(hours=3))
    r = client.post(f"{API}/deteriorations/{second}/decision", headers=login("ucr.a"),
                    json={"decision": "Conveyed.", "outcome": "conveyed_to_ae"})
    assert r.status_code == 200
    assert client.get(f"{API}/deterioration-measures", headers=login("staff.a")).status_code \
        == 403
    got = client.get(f"{API}/deterioration-measures", headers=login("coord"),
                     params={"days": 7}).json()
    home_a = next(m for m in got if m["home_name"] == "Home A")
    assert home_a["escalations"] == 2
    assert (home_a["urgent_decided"], home_a["urgent_within_clock"]) == (2, 1)
    assert home_a["urgent_within_percent"] == 50
    assert home_a["outcomes"]["seen_in_home"] == 1 and home_a["outcomes"]["conveyed_to_ae"] == 1
    # Only the resident whose first full set was routine has a baseline: a set taken while
    # unwell never becomes one.
    assert (home_a["residents"], home_a["with_baseline"]) == (3, 1)
    home_b = next(m for m in got if m["home_name"] == "Home B")
    assert home_b["escalations"] == 0 and home_b["urgent_within_percent"] is None
