"""A real browser (Debian's Chromium, driven by Playwright) through an urgent response: care-home
staff record observations on a phone; the urgent community response team sees the urgent step
in their work list at once, acknowledges it and records the decision on the SBARD page."""

from __future__ import annotations

import re
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments.kinds import AssessmentStep
from care.clock import FrozenClock
from care.deterioration import service
from care.deterioration.models import (
    Deterioration,
    DeteriorationStatus,
    ObservationSet,
    ResponseOutcome,
)
from care.deterioration.schemas import DecisionIn, ObservationsIn
from care.directory.access import load_actor
from care.journeys import service as journeys
from care.journeys.models import Step, StepStatus
from care.residents import service as residents
from care.residents.schemas import AdmissionIn
from care.settings import Settings
from care.types import Profession, Role
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.factories import ASSESSMENT, PASSWORD, PCSP, World, admission, make_user

SHOTS = Path("/tmp/shots")
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
DESK = {"viewport": {"width": 1280, "height": 1000}}
NOW = datetime.fromisoformat("2026-11-10T14:00:00+00:00")
USUAL = {"respiration_rate": 16, "spo2": 96, "on_oxygen": False, "systolic_bp": 132,
         "pulse": 76, "consciousness": "alert", "temperature": 36.7}

pytestmark = pytest.mark.browser


@pytest.fixture
def margaret(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> uuid.UUID:
    """A resident with a plan (hospital: discuss first; GP first) and three days of
    observations; the urgent community response team serves the home."""
    clock.set(NOW)
    with sessions() as s, s.begin():
        make_user(s, world.pcn, "ucr.a", Role.MDT_MEMBER, Profession.URGENT_COMMUNITY_RESPONSE,
                  [world.home_a])
        staff = load_actor(s, world.users["staff.a"])
        body = admission(world.home_a.id, date(2026, 10, 5), given_name="Margaret",
                         family_name="Lane", room="7")
        resident, _ = residents.admit(s, staff, AdmissionIn(**body), NOW - timedelta(days=36),
                                      settings)
        nurse = load_actor(s, world.users["nurse.a"])
        for kind, outcome in ((AssessmentStep.HOLISTIC_ASSESSMENT, ASSESSMENT),
                              (AssessmentStep.PCSP, PCSP)):
            step = s.scalars(select(Step).where(Step.resident_id == resident.id,
                                                Step.kind == kind)).one()
            journeys.complete_step(s, nurse, step.id, outcome, NOW - timedelta(days=34), settings)
        history: list[tuple[int, dict[str, Any]]] = [
            (72, USUAL), (60, {**USUAL, "pulse": 96, "temperature": 38.2}), (48, USUAL),
            (30, {"pulse": 88, "spo2": 96}),  # a partial set: the blood pressure cuff was away
            (20, {**USUAL, "respiration_rate": 18}), (6, {**USUAL, "temperature": 37.6}),
        ]
        for hours_ago, values in history:
            recorded = service.record_observations(s, staff, resident.id,
                                                   ObservationsIn(**values),
                                                   NOW - timedelta(hours=hours_ago))
            if recorded.deterioration is not None:
                # NEWS2 2 two days ago: the GP gave advice the same afternoon.
                gp = load_actor(s, world.users["gp.a"])
                service.decide(s, gp, recorded.deterioration.id, DecisionIn(
                    decision="Viral illness; fluids and paracetamol",
                    outcome=ResponseOutcome.ADVICE_ONLY), NOW - timedelta(hours=hours_ago - 2),
                    settings)
        return resident.id


def _watch(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: problems.append(msg.text)
            if msg.type == "error" and "font" not in msg.text else None)
    return problems


def _sign_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/login?next=/my-work")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")


def test_staff_record_on_a_phone_and_the_responder_acknowledges_and_decides(
    live_url: str, margaret: uuid.UUID, sessions: sessionmaker[Session], world: World,
) -> None:
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # The responder is signed in on their laptop before anything happens.
            desk = browser.new_context(**DESK)
            responder = desk.new_page()
            responder.set_default_timeout(15_000)
            problems = _watch(responder)
            _sign_in(responder, live_url, "ucr.a")
            expect(responder.locator("h1")).to_have_text("My work")

            # Care-home staff, on a phone: resident page, then the form.
            phone = browser.new_context(**PHONE)
            page = phone.new_page()
            page.set_default_timeout(15_000)
            problems += _watch(page)
            _sign_in(page, live_url, "staff.a")
            page.goto(f"{live_url}/residents/{margaret}")
            page.click("#record-observations")
            expect(page.locator("h1")).to_have_text("Record observations")
            for box in ("#pulse", "#save-observations"):
                size = page.locator(box).bounding_box()
                assert size is not None and size["height"] >= 48, (box, size)
            save = page.locator("#save-observations").bounding_box()
            assert save is not None and save["width"] > 300
            assert page.locator("#pulse").get_attribute("inputmode") == "numeric"
            page.screenshot(path=str(SHOTS / "observation_form_phone.png"), full_page=True)

            # A typing slip first: refused on the field, nothing lost.
            page.fill("#respiration_rate", "22")
            page.fill("#pulse", "1050")
            page.click("#save-observations")
            expect(page.locator(".nhsuk-error-summary")).to_contain_text("Pulse: 1050")
            expect(page.locator("#respiration_rate")).to_have_value("22")
            page.screenshot(path=str(SHOTS / "observation_form_error_phone.png"),
                            full_page=True)
            page.fill("#pulse", "105")
            page.fill("#spo2", "95")
            page.get_by_label("Breathing room air").check()
            page.fill("#systolic_bp", "128")
            page.get_by_label("Alert: awake, as usual for them").check()
            page.fill("#temperature", "38.5")
            page.get_by_label("Eating or drinking less").check()
            page.get_by_label("Not their usual self").check()
            page.locator("#carer_concerned").check()  # "Yes"
            page.click("#save-observations")
            expect(page.locator("h1")).to_have_text("Observations saved")
            recorded_at = time.monotonic()
            expect(page.locator("#news2-label")).to_have_text("NEWS2 5 (medium risk)")
            expect(page.locator("#route")).to_contain_text(
                "Urgent: the urgent community response team will respond")
            expect(page.locator("#route")).to_contain_text("Respond by 4:00pm")
            expect(page.locator("#repeat")).to_contain_text("by 3:00pm")
            expect(page.locator("#call-999")).to_have_count(0)
            page.screenshot(path=str(SHOTS / "observation_result_phone.png"), full_page=True)

            # The responder's work list shows the urgent step straight away.
            responder.goto(f"{live_url}/my-work")
            row = responder.locator("#unassigned-queue tr", has_text="Margaret Lane").filter(
                has_text="Urgent response: urgent community response team")
            expect(row).to_be_visible(timeout=1_000)
            assert time.monotonic() - recorded_at < 1.0
            expect(responder.locator("#urgent-count")).to_have_text("1")
            responder.click("a[href='/urgent']")
            item = responder.locator("#for-you li", has_text="Margaret Lane")
            expect(item).to_contain_text("Waiting to be acknowledged")
            expect(item).to_contain_text("Respond by 4:00pm")
            item.get_by_role("link", name="Margaret Lane").click()

            # The SBARD page: situation, background and assessment drafted; acknowledge.
            expect(responder.locator("h1")).to_have_text("Margaret Lane: urgent response")
            expect(responder.locator("#sbard-s")).to_contain_text("eating or drinking less")
            expect(responder.locator("#sbard-b")).to_contain_text(
                "wants hospital admission discussed")
            expect(responder.locator("#sbard-a")).to_contain_text("NEWS2 5")
            responder.screenshot(path=str(SHOTS / "sbard_page.png"), full_page=True)
            responder.emulate_media(media="print")
            expect(responder.locator("#acknowledge")).to_be_hidden()
            expect(responder.locator("#sbard-list")).to_be_visible()
            responder.emulate_media(media="screen")
            responder.click("#acknowledge")
            expect(responder.locator(".nhsuk-notification-banner--success")).to_contain_text(
                "You have acknowledged this")
            expect(responder.locator("#who-has-it")).to_contain_text("Ucr A")

            responder.get_by_label("Seen in the home").check()
            responder.fill("#decision-text", "Chest infection. Antibiotics started; fluids "
                                             "encouraged; repeat observations hourly.")
            responder.click("#record-decision")
            expect(responder.locator(".nhsuk-notification-banner--success")).to_contain_text(
                "Decision recorded: seen in the home")
            expect(responder.locator("#sbard-d")).to_contain_text("Antibiotics started")
            responder.screenshot(path=str(SHOTS / "sbard_page_decided.png"), full_page=True)

            # The chart, with the new set, the baseline and the partial one.
            responder.goto(f"{live_url}/residents/{margaret}/observations")
            expect(responder.locator("#news2-chart")).to_be_visible()
            expect(responder.locator("#chart-baseline")).to_have_count(1)
            expect(responder.locator("circle.app-chart__point--partial")).to_have_count(1)
            responder.screenshot(path=str(SHOTS / "observation_chart.png"), full_page=True)
            page.goto(f"{live_url}/residents/{margaret}/observations")
            page.screenshot(path=str(SHOTS / "observation_chart_phone.png"), full_page=True)
            phone.close()
            desk.close()
            assert problems == [], problems
        finally:
            browser.close()

    with sessions() as s:
        earlier, det = s.scalars(select(Deterioration).where(
            Deterioration.resident_id == margaret).order_by(Deterioration.opened_at)).all()
        assert earlier.outcome == ResponseOutcome.ADVICE_ONLY and det.opened_at == NOW
        assert det.status == DeteriorationStatus.CLOSED
        assert det.outcome == ResponseOutcome.SEEN_IN_HOME
        ucr = s.scalars(select(Step).where(Step.id == det.urgent_step_id)).one()
        assert ucr.status == StepStatus.COMPLETED and ucr.completed_by_id == det.decided_by_id
        assert ucr.candidate_profession == Profession.URGENT_COMMUNITY_RESPONSE.value
        trigger = s.get(ObservationSet, det.trigger_observation_id)
        assert trigger is not None and trigger.news2_total == 5 and trigger.news2_complete
        assert trigger.recorded_by_id == world.users["staff.a"].id
        assert set(trigger.soft_signs) == {"eating_drinking_less", "not_themselves"}
        assert trigger.carer_concerned


def test_responds_to_pain_only_says_call_999_first_even_with_no_admission_wish(
    live_url: str, world: World, sessions: sessionmaker[Session], clock: FrozenClock,
    settings: Settings,
) -> None:
    """Hazard H-04: P entered as an observation (the emergency box left alone) is 999 first,
    whatever the score (3) or the plan (no hospital admission)."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    clock.set(NOW)
    with sessions() as s, s.begin():
        staff = load_actor(s, world.users["staff.a"])
        body = admission(world.home_a.id, date(2026, 10, 5), given_name="Edith",
                         family_name="Moss", room="3")
        resident, _ = residents.admit(s, staff, AdmissionIn(**body), NOW - timedelta(days=36),
                                      settings)
        nurse = load_actor(s, world.users["nurse.a"])
        plan = {**PCSP, "escalation_wishes": {**PCSP["escalation_wishes"],
                                              "hospital_admission": "no"}}
        for kind, outcome in ((AssessmentStep.HOLISTIC_ASSESSMENT, ASSESSMENT),
                              (AssessmentStep.PCSP, plan)):
            step = s.scalars(select(Step).where(Step.resident_id == resident.id,
                                                Step.kind == kind)).one()
            journeys.complete_step(s, nurse, step.id, outcome, NOW - timedelta(days=34), settings)
        rid = resident.id
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            phone = browser.new_context(**PHONE)
            page = phone.new_page()
            page.set_default_timeout(15_000)
            problems = _watch(page)
            _sign_in(page, live_url, "staff.a")
            page.goto(f"{live_url}/residents/{rid}/observations/new")
            pain = page.get_by_label("Only responds to pain")
            expect(page.locator("#consciousness-4-item-hint, .nhsuk-radios__hint").filter(
                has_text="call 999 now").first).to_be_visible()
            for box, value in (("#respiration_rate", "18"), ("#spo2", "96"),
                               ("#systolic_bp", "128"), ("#pulse", "80"),
                               ("#temperature", "36.9")):
                page.fill(box, value)
            page.get_by_label("Breathing room air").check()
            pain.check()
            page.click("#save-observations")
            expect(page.locator("h1")).to_have_text("Observations saved")
            # Call 999 is the first thing on the page, before the heading and the score.
            first = page.locator("main .nhsuk-card, main h1").first
            expect(first).to_have_attribute("id", "call-999")
            expect(page.locator("#call-999")).to_contain_text("Call 999 now")
            expect(page.locator("#call-999")).to_contain_text("Responds only to pain")
            expect(page).to_have_title(re.compile(r"^Call 999 now"))
            expect(page.locator("#news2-label")).to_have_text("NEWS2 3 (low-medium risk)")
            expect(page.locator("#full-set")).to_have_count(0)  # the call comes first
            page.screenshot(path=str(SHOTS / "responds_to_pain_999.png"), full_page=True)
            phone.close()
            assert problems == [], problems
        finally:
            browser.close()
    with sessions() as s:
        det = s.scalars(select(Deterioration).where(Deterioration.resident_id == rid)).one()
        assert det.ladder == ["ambulance_999"] and det.wishes["hospital_admission"] == "no"
        call = s.get(Step, det.urgent_step_id)
        assert call is not None and call.assignee_id == world.users["staff.a"].id
