"""The deterioration pages through the app: the observation form (errors, 999 first, the route
the resident's wishes choose), the chart, the urgent queue, the SBARD page with acknowledgement
and the decision, the repeat-observations and A&E review steps, and CSRF on every form."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments.kinds import AssessmentStep
from care.audit.models import AuditEvent
from care.clock import FrozenClock
from care.deterioration.kinds import DeteriorationStep
from care.deterioration.models import (
    Deterioration,
    DeteriorationStatus,
    ObservationSet,
    ResponseOutcome,
    Spo2ScaleDecision,
)
from care.deterioration.news2 import SpO2Scale
from care.directory.access import load_actor
from care.directory.models import User
from care.journeys import service as journeys
from care.journeys.models import Step, StepStatus
from care.residents import service as residents
from care.residents.schemas import AdmissionIn, HospitalStayIn
from care.settings import Settings
from care.types import Profession, Role
from tests.factories import ASSESSMENT, PCSP, World, admission, make_user
from tests.pages.conftest import csrf_from

Browser = Callable[[str], TestClient]

NOW = datetime.fromisoformat("2026-11-10T14:00:00+00:00")  # a Tuesday afternoon
NORMAL = {"respiration_rate": "16", "spo2": "97", "on_oxygen": "air", "systolic_bp": "130",
          "pulse": "72", "consciousness": "alert", "temperature": "36.8"}
# RR 22 (2) + SpO2 95 (1) + pulse 105 (1) + temperature 38.5 (1) = 5: medium risk.
MEDIUM = {**NORMAL, "respiration_rate": "22", "spo2": "95", "pulse": "105",
          "temperature": "38.5"}
# RR 25 (3) + SpO2 93 (2) + systolic 105 (1) + pulse 115 (2) = 8: high risk.
HIGH = {**NORMAL, "respiration_rate": "25", "spo2": "93", "systolic_bp": "105", "pulse": "115"}


@pytest.fixture
def at_now(clock: FrozenClock) -> FrozenClock:
    clock.set(NOW)
    return clock


@pytest.fixture
def responders(world: World, sessions: sessionmaker[Session]) -> dict[str, User]:
    with sessions() as s, s.begin():
        return {
            "ucr": make_user(s, world.pcn, "ucr.a", Role.MDT_MEMBER,
                             Profession.URGENT_COMMUNITY_RESPONSE, [world.home_a]),
            "matron": make_user(s, world.pcn, "matron.a", Role.MDT_MEMBER,
                                Profession.COMMUNITY_MATRON, [world.home_a]),
        }


@pytest.fixture
def planned(
    world: World, sessions: sessionmaker[Session], settings: Settings, at_now: FrozenClock,
    responders: dict[str, User],
) -> Callable[..., uuid.UUID]:
    """A resident of home A with an assessment and a PCSP holding their escalation wishes."""

    def _planned(hospital: str = "discuss_first", contact: str | None = "gp",
                 **overrides: Any) -> uuid.UUID:
        with sessions() as s, s.begin():
            staff = load_actor(s, world.users["staff.a"])
            resident, _ = residents.admit(
                s, staff, AdmissionIn(**admission(world.home_a.id, date(2026, 10, 5),
                                                  **overrides)),
                NOW - timedelta(days=30), settings)
            nurse = load_actor(s, world.users["nurse.a"])
            pcsp = {**PCSP, "escalation_wishes": {"hospital_admission": hospital,
                                                  "preferred_contact": contact}}
            for kind, outcome in ((AssessmentStep.HOLISTIC_ASSESSMENT, ASSESSMENT),
                                  (AssessmentStep.PCSP, pcsp)):
                step = s.scalars(select(Step).where(Step.resident_id == resident.id,
                                                    Step.kind == kind)).one()
                journeys.complete_step(s, nurse, step.id, outcome, NOW - timedelta(days=28),
                                       settings)
            return resident.id

    return _planned


def _post_form(client: TestClient, page_url: str, url: str, data: dict[str, str]) -> Any:
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    return client.post(url, data={**data, "csrf_token": csrf_from(page.text)})


def _record(client: TestClient, resident_id: uuid.UUID, data: dict[str, str],
            step: uuid.UUID | None = None) -> Any:
    url = f"/residents/{resident_id}/observations/new" + (f"?step={step}" if step else "")
    return _post_form(client, url, url, data)


def _count(sessions: sessionmaker[Session], model: Any) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _user_id(sessions: sessionmaker[Session], username: str) -> uuid.UUID:
    with sessions() as s:
        return s.scalars(select(User.id).where(User.username == username)).one()


def _deterioration(sessions: sessionmaker[Session], resident_id: uuid.UUID) -> Deterioration:
    with sessions() as s:
        return s.scalars(select(Deterioration).where(
            Deterioration.resident_id == resident_id)).one()


# ---------------------------------------------------------------- the observation form


def test_the_form_is_for_a_phone_and_carries_csrf(
    planned: Callable[..., uuid.UUID], browser_for: Browser,
) -> None:
    rid = planned()
    staff = browser_for("staff.a")
    resident_page = staff.get(f"/residents/{rid}")
    assert f'href="/residents/{rid}/observations/new"' in resident_page.text
    assert f'href="/residents/{rid}/observations"' in resident_page.text
    page = staff.get(f"/residents/{rid}/observations/new")
    assert page.status_code == 200
    assert csrf_from(page.text)
    assert page.text.count('inputmode="numeric"') >= 4 and 'inputmode="decimal"' in page.text
    assert 'name="on_oxygen"' in page.text and 'value="new_confusion"' in page.text
    assert 'name="sign-eating_drinking_less"' in page.text
    assert "Eating or drinking less" in page.text
    assert "Emergency? Call 999 first" in page.text
    assert "Are you, or their family, worried about them?" in page.text
    assert 'href="/urgent"' in page.text  # in the navigation


def test_an_implausible_pulse_shows_field_errors_and_stores_nothing(
    planned: Callable[..., uuid.UUID], sessions: sessionmaker[Session], browser_for: Browser,
) -> None:
    rid = planned()
    staff = browser_for("staff.a")
    r = _record(staff, rid, {"respiration_rate": "18", "pulse": "0", "temperature": "98.6",
                             "sign-more_sleepy": "yes", "soft_signs_note": "hard to wake"})
    assert r.status_code == 422
    assert "There is a problem" in r.text
    assert 'href="#pulse"' in r.text and 'href="#temperature"' in r.text
    assert "no pulse is a medical emergency: call 999 now" in r.text
    assert "was it measured in °F?" in r.text
    # What was typed stays in the form.
    assert 'value="18"' in r.text and "hard to wake" in r.text
    assert re.search(r'name="sign-more_sleepy"[^>]*checked', r.text)
    assert _count(sessions, ObservationSet) == 0
    assert _count(sessions, Deterioration) == 0

    nothing = _record(staff, rid, {})
    assert nothing.status_code == 422 and 'href="#respiration_rate"' in nothing.text
    assert "Enter at least one observation" in nothing.text
    words = _record(staff, rid, {"pulse": "fast"})
    assert words.status_code == 422 and "Enter the pulse as a whole number" in words.text
    assert _count(sessions, ObservationSet) == 0


def test_a_high_score_says_call_999_before_anything_else_when_they_would_go_to_hospital(
    planned: Callable[..., uuid.UUID], sessions: sessionmaker[Session], browser_for: Browser,
) -> None:
    rid = planned(hospital="yes", contact=None)
    staff = browser_for("staff.a")
    r = _record(staff, rid, HIGH)
    assert r.status_code == 303
    with sessions() as s:
        row = s.scalars(select(ObservationSet)).one()
    assert r.headers["location"] == f"/residents/{rid}/observations/{row.id}"
    page = staff.get(r.headers["location"])
    assert page.status_code == 200
    main = page.text[page.text.index('id="maincontent"'):]
    assert main.index("Call 999 now") < main.index("Observations saved") < main.index('id="news2"')
    assert "NEWS2 8 (high risk)" in main
    assert 'id="call-999"' in main and "nhsuk-card--care--emergency" in main
    det = _deterioration(sessions, rid)
    assert det.ladder == ["ambulance_999"]
    assert f'href="/deteriorations/{det.id}#decision"' in main


def test_a_high_score_goes_to_the_gp_when_their_plan_says_no_hospital(
    planned: Callable[..., uuid.UUID], sessions: sessionmaker[Session], browser_for: Browser,
) -> None:
    rid = planned(hospital="no", contact="gp")
    staff = browser_for("staff.a")
    page = staff.get(_record(staff, rid, HIGH).headers["location"])
    assert "Call 999 now" not in page.text
    route = page.text[page.text.index('id="route"'):]
    assert "Emergency: the GP will respond" in route
    assert "Respond by" in route and "due in 1 hour" in route
    assert "passes to the urgent community response team" in route
    assert "Wishes no hospital admission" in page.text
    assert 'id="repeat"' in page.text and "Take their observations again by" in page.text
    det = _deterioration(sessions, rid)
    assert det.ladder[0] == "gp"


def test_a_partial_set_says_so_and_lists_what_was_not_taken(
    planned: Callable[..., uuid.UUID], browser_for: Browser,
) -> None:
    rid = planned()
    staff = browser_for("staff.a")
    page = staff.get(_record(staff, rid, {"pulse": "72", "spo2": "97"}).headers["location"])
    assert "from a partial set" in page.text and 'id="partial"' in page.text
    missing = page.text[page.text.index('id="missing"'):]
    assert "breathing rate" in missing and "temperature" in missing
    # Never "no escalation needed, carry on" from a partial set (hazard H-09).
    assert "No escalation needed" not in page.text
    assert "No escalation from what was recorded, but this was not a full set" in page.text


def test_the_chart_draws_news2_over_time_with_the_baseline(
    planned: Callable[..., uuid.UUID], at_now: FrozenClock, browser_for: Browser,
) -> None:
    rid = planned()
    staff = browser_for("staff.a")
    _record(staff, rid, NORMAL)  # the first full set: the baseline, NEWS2 0
    at_now.set(NOW + timedelta(hours=2))
    _record(staff, rid, {"pulse": "115", "temperature": "38.5"})  # partial: 3
    at_now.set(NOW + timedelta(hours=3))
    _record(staff, rid, MEDIUM)
    page = staff.get(f"/residents/{rid}/observations")
    assert page.status_code == 200
    assert '<svg class="app-chart__svg"' in page.text and "<title" in page.text
    assert 'id="chart-baseline"' in page.text and "Baseline 0" in page.text
    assert page.text.count('class="app-chart__point') == 3
    assert page.text.count("app-chart__point--partial") == 1
    assert "app-chart__band--high" in page.text and 'class="app-chart__line"' in page.text
    desc = re.search(r'<desc id="chart-desc">([^<]*)</desc>', page.text)
    assert desc and "0, 3 (partial), 5" in desc.group(1)
    table = page.text[page.text.index('id="observations"'):]
    assert table.count("data-observation-id") == 3
    assert "not taken" in table and "Test Surgery" not in table
    assert "Staff A" in table  # who recorded
    assert "Scale 1" in page.text
    assert 'id="clinician-forms"' not in page.text  # staff do not set the scale


def test_a_clinician_sets_the_spo2_scale_and_a_new_baseline(
    planned: Callable[..., uuid.UUID], sessions: sessionmaker[Session], at_now: FrozenClock,
    browser_for: Browser,
) -> None:
    rid = planned()
    staff = browser_for("staff.a")
    _record(staff, rid, NORMAL)
    at_now.set(NOW + timedelta(hours=1))
    _record(staff, rid, MEDIUM)
    gp = browser_for("gp.a")
    url = f"/residents/{rid}/observations"
    r = _post_form(gp, url, f"{url}/scale", {"scale": "scale_2", "reason": ""})
    assert r.status_code == 422 and 'href="#scale-reason"' in r.text
    r = _post_form(gp, url, f"{url}/scale", {"scale": "scale_2",
                                             "reason": "COPD, target 88-92% prescribed"})
    assert r.status_code == 303
    page = gp.get(url)
    assert "Scale 2 (target 88-92%)" in page.text and "Gp A" in page.text
    with sessions() as s:
        decision = s.scalars(select(Spo2ScaleDecision)).one()
        assert decision.scale == SpO2Scale.SCALE_2
        medium = s.scalars(select(ObservationSet).where(
            ObservationSet.news2_total == 5)).one()
    r = _post_form(gp, url, f"{url}/baseline", {"observation_id": str(medium.id),
                                                "reason": "Her usual since the stroke"})
    assert r.status_code == 303
    assert "NEWS2 baseline set to 5" in gp.get(url).text
    # Care-home staff cannot: the service refuses, whatever the form says.
    r = _post_form(staff, url, f"{url}/scale", {"scale": "scale_1", "reason": "better"})
    assert r.status_code == 403


# ---------------------------------------------------------------- the urgent queue


def test_the_urgent_queue_shows_the_responder_their_step_and_no_other_homes(
    planned: Callable[..., uuid.UUID], sessions: sessionmaker[Session], browser_for: Browser,
) -> None:
    rid = planned(given_name="Iris", family_name="Quill")
    staff = browser_for("staff.a")
    _record(staff, rid, MEDIUM)
    det = _deterioration(sessions, rid)
    assert det.ladder[0] == "urgent_community_response"

    ucr = browser_for("ucr.a")
    queue = ucr.get("/urgent")
    assert queue.status_code == 200
    mine = queue.text[queue.text.index('id="for-you"'):queue.text.index('id="others-heading"')]
    assert "Iris Quill" in mine and f'href="/deteriorations/{det.id}"' in mine
    assert "Waiting to be acknowledged" in mine and "Respond by" in mine
    assert "due in 2 hours" in mine and "Urgent" in mine
    assert 'id="urgent-count">1<' in queue.text

    # The GP sees it too, but not as theirs.
    gp_queue = browser_for("gp.a").get("/urgent")
    others = gp_queue.text[gp_queue.text.index('id="others-heading"'):]
    assert "Iris Quill" in others

    # A nurse serving only home B sees nothing of it, and cannot open it.
    nurse_b = browser_for("nurse.b")
    assert "Iris Quill" not in nurse_b.get("/urgent").text
    assert nurse_b.get(f"/deteriorations/{det.id}").status_code == 404
    assert nurse_b.get(f"/residents/{rid}/observations").status_code == 404
    assert browser_for("admin").get("/my-work").text.count('href="/urgent"') == 0

    # Seeing the queue and opening the escalation are audited, as any view of a resident is.
    ucr.get(f"/deteriorations/{det.id}")
    with sessions() as s:
        seen = {(e.action, e.channel, e.user_id): e for e in s.scalars(select(AuditEvent))}
    ucr_id = _user_id(sessions, "ucr.a")
    listed = seen[("deterioration.list", "web", ucr_id)]
    assert listed.after == {"resident_ids": [str(rid)]}
    opened = seen[("deterioration.view", "web", ucr_id)]
    assert opened.entity_id == str(det.id) and opened.resident_id == rid


# ---------------------------------------------------------------- the SBARD page


def test_the_responder_acknowledges_and_decides_and_the_deterioration_closes(
    planned: Callable[..., uuid.UUID], sessions: sessionmaker[Session], at_now: FrozenClock,
    responders: dict[str, User], browser_for: Browser,
) -> None:
    rid = planned()
    staff = browser_for("staff.a")
    _record(staff, rid, MEDIUM)
    det = _deterioration(sessions, rid)
    url = f"/deteriorations/{det.id}"

    # Staff add their recommendation to the drafted SBARD.
    page = staff.get(url)
    assert page.status_code == 200
    assert "S: Situation" in page.text and "NEWS2 5" in page.text
    assert "discussed with them or their family first" in page.text  # from their PCSP
    assert 'id="acknowledge"' not in page.text  # not theirs to acknowledge
    r = _post_form(staff, url, f"{url}/sbard", {"recommendation": ""})
    assert r.status_code == 422 and 'href="#recommendation"' in r.text
    r = _post_form(staff, url, f"{url}/sbard",
                   {"recommendation": "Please visit today; she is off her food"})
    assert r.status_code == 303
    assert _deterioration(sessions, rid).sbard["recommendation"] == (
        "Please visit today; she is off her food")

    # The GP is next on the ladder, not now: no button, and the service refuses.
    gp = browser_for("gp.a")
    assert 'id="acknowledge"' not in gp.get(url).text
    assert _post_form(gp, url, f"{url}/acknowledge", {}).status_code == 403

    at_now.set(NOW + timedelta(minutes=10))
    ucr = browser_for("ucr.a")
    page = ucr.get(url)
    assert 'id="acknowledge"' in page.text
    r = _post_form(ucr, url, f"{url}/acknowledge", {})
    assert r.status_code == 303
    with sessions() as s:
        step = s.get(Step, det.urgent_step_id)
        assert step is not None and step.status == StepStatus.CLAIMED
        assert step.assignee_id == responders["ucr"].id
    page = ucr.get(url)
    assert "has acknowledged it" in page.text and 'id="decision-form"' in page.text
    assert "Ucr A" in staff.get(url).text  # the home sees who has it

    r = _post_form(ucr, url, f"{url}/decision", {"decision": "Chest infection; antibiotics",
                                                 "hospital_name": "Royal Test"})
    assert r.status_code == 422 and "Select what happened" in r.text
    assert "Chest infection; antibiotics" in r.text
    at_now.set(NOW + timedelta(minutes=70))
    r = _post_form(ucr, url, f"{url}/decision", {
        "outcome": "seen_in_home", "decision": "Chest infection; antibiotics started",
        "hospital_name": "ignored unless admitted"})
    assert r.status_code == 303
    with sessions() as s:
        closed = s.get(Deterioration, det.id)
        assert closed is not None and closed.status == DeteriorationStatus.CLOSED
        assert closed.outcome == ResponseOutcome.SEEN_IN_HOME
        assert closed.decided_by_id == responders["ucr"].id
        assert closed.closed_at == NOW + timedelta(minutes=70)
        step = s.get(Step, det.urgent_step_id)
        assert step is not None and step.status == StepStatus.COMPLETED
        assert step.outcome is not None and step.outcome.get("hospital_name") is None
    page = ucr.get(url)
    assert "Decision recorded: seen in the home" in page.text
    assert 'id="decision-form"' not in page.text and "Seen in the home" in page.text
    assert "Nothing is waiting for you." in ucr.get("/urgent").text


def test_forms_without_their_csrf_token_are_refused(
    planned: Callable[..., uuid.UUID], sessions: sessionmaker[Session], browser_for: Browser,
) -> None:
    rid = planned()
    staff = browser_for("staff.a")
    r = staff.post(f"/residents/{rid}/observations/new", data=HIGH)
    assert r.status_code == 403
    assert _count(sessions, ObservationSet) == 0
    _record(staff, rid, MEDIUM)
    det = _deterioration(sessions, rid)
    ucr = browser_for("ucr.a")
    assert ucr.post(f"/deteriorations/{det.id}/acknowledge", data={}).status_code == 403
    r = ucr.post(f"/deteriorations/{det.id}/decision",
                 data={"outcome": "advice_only", "decision": "x", "csrf_token": "forged"})
    assert r.status_code == 403
    assert _deterioration(sessions, rid).status == DeteriorationStatus.OPEN


# ---------------------------------------------------------------- the new step kinds


def test_a_repeat_observations_step_opens_the_form_and_the_set_completes_it(
    planned: Callable[..., uuid.UUID], sessions: sessionmaker[Session], at_now: FrozenClock,
    world: World, browser_for: Browser,
) -> None:
    rid = planned()
    staff = browser_for("staff.a")
    _record(staff, rid, MEDIUM)
    with sessions() as s:
        repeat = s.scalars(select(Step).where(
            Step.kind == DeteriorationStep.REPEAT_OBSERVATIONS)).one()
    step_page = staff.get(f"/steps/{repeat.id}")
    link = f"/residents/{rid}/observations/new?step={repeat.id}"
    assert f'href="{link}"' in step_page.text and 'id="claim"' not in step_page.text
    form = staff.get(link)
    assert 'id="answering"' in form.text and repeat.title in form.text

    at_now.set(NOW + timedelta(minutes=55))
    r = _record(staff, rid, NORMAL, step=repeat.id)
    assert r.status_code == 303
    with sessions() as s:
        done = s.get(Step, repeat.id)
        assert done is not None and done.status == StepStatus.COMPLETED
        assert done.completed_by_id == world.users["staff.a"].id
        row = s.scalars(select(ObservationSet).where(ObservationSet.step_id == repeat.id)).one()
        assert done.outcome is not None and done.outcome["observation_set_id"] == str(row.id)
    assert r.headers["location"] == f"/residents/{rid}/observations/{row.id}"
    assert "See the observations and their NEWS2" in staff.get(f"/steps/{repeat.id}").text


def test_the_urgent_step_leads_to_the_deterioration_page(
    planned: Callable[..., uuid.UUID], sessions: sessionmaker[Session], browser_for: Browser,
) -> None:
    rid = planned()
    _record(browser_for("staff.a"), rid, MEDIUM)
    det = _deterioration(sessions, rid)
    page = browser_for("ucr.a").get(f"/steps/{det.urgent_step_id}")
    assert f'href="/deteriorations/{det.id}"' in page.text and 'id="claim"' not in page.text


def test_the_matron_reviews_an_a_and_e_attendance_on_its_step(
    planned: Callable[..., uuid.UUID], sessions: sessionmaker[Session], world: World,
    settings: Settings, responders: dict[str, User], browser_for: Browser,
) -> None:
    rid = planned(given_name="Olive", family_name="Stone")
    _record(browser_for("staff.a"), rid, MEDIUM)
    det = _deterioration(sessions, rid)
    ucr = browser_for("ucr.a")
    url = f"/deteriorations/{det.id}"
    assert _post_form(ucr, url, f"{url}/decision", {
        "outcome": "conveyed_to_ae", "decision": "Fall with head injury on anticoagulants",
    }).status_code == 303
    with sessions() as s:
        review = s.scalars(select(Step).where(
            Step.kind == DeteriorationStep.AE_REVIEW)).one()

    matron = browser_for("matron.a")
    queue = matron.get("/urgent")
    reviews = queue.text[queue.text.index('id="ae-reviews-heading"'):]
    assert "Olive Stone" in reviews and f'href="/steps/{review.id}"' in reviews
    step_url = f"/steps/{review.id}"
    assert _post_form(matron, step_url, f"{step_url}/claim", {}).status_code == 303
    page = matron.get(step_url)
    assert 'name="avoidable"' in page.text and 'id="deterioration-link"' in page.text
    r = _post_form(matron, step_url, f"{step_url}/complete", {"avoidable": "yes"})
    assert r.status_code == 422 and "Enter what happened and why" in r.text
    r = _post_form(matron, step_url, f"{step_url}/complete", {
        "summary": "Fell at night; conveyed for a CT scan", "avoidable": "yes",
        "learning": "Sensor mat; review night-time checks"})
    assert r.status_code == 303
    with sessions() as s:
        done = s.get(Step, review.id)
        assert done is not None and done.status == StepStatus.COMPLETED
        assert done.outcome == {"summary": "Fell at night; conveyed for a CT scan",
                                "avoidable": True,
                                "learning": "Sensor mat; review night-time checks"}
    shown = matron.get(step_url).text
    assert "Could it have been avoided" in shown and "Sensor mat" in shown
    assert "Olive Stone" not in matron.get("/urgent").text


def test_only_carers_and_clinicians_record_and_only_for_residents_in_the_home(
    planned: Callable[..., uuid.UUID], sessions: sessionmaker[Session], world: World,
    browser_for: Browser,
) -> None:
    rid = planned()
    coord = browser_for("coord")
    assert coord.get(f"/residents/{rid}/observations/new").status_code == 403
    assert 'id="record-observations"' not in coord.get(f"/residents/{rid}").text
    with sessions() as s, s.begin():
        staff = load_actor(s, world.users["staff.a"])
        residents.record_hospital_stay(s, staff, rid, HospitalStayIn(admitted_on=NOW.date()),
                                       NOW)
    staff_browser = browser_for("staff.a")
    page = staff_browser.get(f"/residents/{rid}/observations/new")
    assert page.status_code == 409 and "in hospital" in page.text
    assert 'id="record-observations"' not in staff_browser.get(f"/residents/{rid}").text


def test_the_coordinator_sees_each_homes_escalations_and_baselines(
    planned: Callable[..., uuid.UUID], sessions: sessionmaker[Session], at_now: FrozenClock,
    responders: dict[str, User], browser_for: Browser, world: World,
) -> None:
    rid = planned()
    staff = browser_for("staff.a")
    _record(staff, rid, MEDIUM)
    det = _deterioration(sessions, rid)
    at_now.set(NOW + timedelta(hours=3))  # decided after the 2-hour clock
    ucr = browser_for("ucr.a")
    url = f"/deteriorations/{det.id}"
    assert _post_form(ucr, url, f"{url}/decision", {
        "outcome": "conveyed_to_ae", "decision": "Fast AF; ambulance took her in"}
    ).status_code == 303
    page = browser_for("coord").get("/coordinator")
    card = page.text.split(f'id="deterioration-{world.home_a.id}"')[1].split("</p>")[0]
    assert "1 escalation;" in card
    assert "0 of 1 (0%)" in card and "app-overdue" in card  # under the 70% standard
    assert "conveyed to A&amp;E 1" in card
    assert "Baseline NEWS2: 0 of 1 residents" in card


def test_an_open_escalation_heads_the_residents_record(
    planned: Callable[..., uuid.UUID], sessions: sessionmaker[Session], at_now: FrozenClock,
    responders: dict[str, User], browser_for: Browser,
) -> None:
    rid = planned()
    staff = browser_for("staff.a")
    assert 'id="open-escalation"' not in staff.get(f"/residents/{rid}").text
    _record(staff, rid, MEDIUM)
    det = _deterioration(sessions, rid)
    page = staff.get(f"/residents/{rid}").text
    banner = page.split('id="open-escalation"')[1].split("</div>")[0]
    assert "Urgent since" in banner and "NEWS2 5: medium clinical risk" in banner
    assert f'href="/deteriorations/{det.id}"' in banner
    assert page.index('id="open-escalation"') < page.index('id="resident-details"')


def test_the_clinical_lead_sets_the_pcns_escalation_ladder(
    sessions: sessionmaker[Session], browser_for: Browser,
) -> None:
    from care.deterioration.models import PcnEscalationPolicy

    gp = browser_for("gp.a")
    page = gp.get("/escalation-ladder")
    assert page.status_code == 200 and 'id="save-ladder"' not in page.text
    assert "30 minutes" in page.text.split('id="ladder"')[1]  # read-only, the defaults
    assert gp.post("/escalation-ladder", data={"acknowledge_same_day_minutes": "10",
                                               "csrf_token": csrf_from(page.text)}
                   ).status_code == 403
    admin = browser_for("admin")
    assert 'id="save-ladder"' not in admin.get("/escalation-ladder").text  # clinical leads only
    lead = browser_for("lead")
    form = lead.get("/escalation-ladder")
    assert 'id="save-ladder"' in form.text and 'value="30"' in form.text
    assert "Allowed 1 to 120: the national urgent community response" in form.text
    assert lead.post("/escalation-ladder",
                     data={"acknowledge_same_day_minutes": "10"}).status_code == 403
    bad = _post_form(lead, "/escalation-ladder", "/escalation-ladder",
                     {"acknowledge_same_day_minutes": "ten", "reason": "x"})
    assert bad.status_code == 422 and 'href="#acknowledge_same_day_minutes"' in bad.text
    assert 'value="ten"' in bad.text  # what was typed is kept
    crossed = _post_form(lead, "/escalation-ladder", "/escalation-ladder",
                         {"high_from": "5", "medium_from": "5", "reason": "x"})
    assert crossed.status_code == 422 and 'href="#medium_from"' in crossed.text
    assert "must be below the high-risk threshold" in crossed.text
    beyond = _post_form(lead, "/escalation-ladder", "/escalation-ladder",
                        {"urgent_response_minutes": "1440", "reason": "x"})
    assert beyond.status_code == 422 and 'href="#urgent_response_minutes"' in beyond.text
    assert "within 2 hours" in beyond.text
    no_reason = _post_form(lead, "/escalation-ladder", "/escalation-ladder",
                           {"acknowledge_same_day_minutes": "15"})
    assert no_reason.status_code == 422 and 'href="#reason"' in no_reason.text
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(PcnEscalationPolicy)) == 0
    ok = _post_form(lead, "/escalation-ladder", "/escalation-ladder", {
        "high_from": "7", "medium_from": "5", "acknowledge_same_day_minutes": "25",
        "urgent_response_minutes": "", "reason": "Agreed at the PCN board"})
    assert ok.status_code == 303
    with sessions() as s:
        stored = s.scalars(select(PcnEscalationPolicy)).one()
        # Only what differs from the default is kept, so later defaults still reach this PCN.
        assert stored.values == {"acknowledge_same_day_minutes": 25}
        assert stored.note == "Agreed at the PCN board"
    shown = gp.get("/escalation-ladder").text
    assert "25 minutes" in shown and "(default 30)" in shown and "Agreed at the PCN board" in shown
    history = shown.split('id="ladder-history"')[1]
    assert "Agreed at the PCN board" in history and "acknowledge same day minutes 25" in history


# ---------------------------------------------------------------- issue 8: what the result says


def test_a_partial_set_asks_for_the_rest_before_anything_else(
    planned: Callable[..., uuid.UUID], browser_for: Browser,
) -> None:
    """H-09: a lone temperature is not 'carry on as usual': the page names what is missing
    and links the 'take a full set now' step, due in 15 minutes."""
    rid = planned()
    staff = browser_for("staff.a")
    r = _record(staff, rid, {"temperature": "36.8"})
    assert r.status_code == 303
    page = staff.get(r.headers["location"])
    html = page.text
    assert 'id="full-set"' in html and "Take a full set of observations now" in html
    assert html.index('id="full-set"') < html.index('id="news2"')
    full_set = html.split('id="full-set"')[1].split('id="news2"')[0]
    assert "Pulse" in full_set or "pulse" in full_set
    assert "due in 15 minutes" in html
    assert "from a partial set" in html
    assert "No escalation needed. Carry on with their usual care" not in html
    assert "not a full set: take the rest now" in html


def test_soft_signs_alone_ask_for_a_full_set_now(
    planned: Callable[..., uuid.UUID], browser_for: Browser,
) -> None:
    """H-03: soft signs without observations: a full set now, not in 4 hours."""
    rid = planned()
    staff = browser_for("staff.a")
    r = _record(staff, rid, {"sign-more_sleepy": "yes"})
    assert r.status_code == 303
    html = staff.get(r.headers["location"]).text
    assert 'id="full-set"' in html and "due in 15 minutes" in html
    assert 'id="take-full-set"' in html


def test_a_routine_low_score_still_says_when_to_repeat(
    planned: Callable[..., uuid.UUID], browser_for: Browser,
) -> None:
    """H-02: NEWS2 1-4 without an escalation: repeat within 4 hours, never '12 hours'."""
    rid = planned()
    staff = browser_for("staff.a")
    _record(staff, rid, {**NORMAL, "pulse": "95"})  # NEWS2 1: the baseline
    r = _record(staff, rid, {**NORMAL, "pulse": "95"})
    html = staff.get(r.headers["location"]).text
    repeat = html.split('id="repeat"')[1].split("</p>")[0]
    assert "by <strong>6:00pm</strong>" in repeat  # 2:00pm + 4 hours
    assert "12 hours" not in html and 'id="full-set"' not in html
