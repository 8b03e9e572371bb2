"""Every page of the product, in a real browser, as the people who use it, checked by axe-core
for WCAG 2.2 A and AA (the standard the pages must meet; see tests/browser/axe.py).

One world for the whole module, the way a PCN looks on a Sunday morning: residents with care
plans and days of observations, an urgent response waiting for the urgent community response
team, a 999 call, an A&E attendance to review, first contacts written as free text, this week's
home round with its agenda, decisions and the steps they opened, last week's round held, an
alert that did not reach its person, a journey that stalled. Each role (care-home staff, MDT
members, the clinical lead, the coordinator, the admin, and nobody signed in) visits every page
it can see, in one or two browser contexts, with the forms that matter sent with errors; the
phone-first pages (recording observations and the result, My work, urgent responses,
nominating) at a phone's width as well as a desktop's. Every violation on every page is
reported at the end, so one run shows them all.

Not pages, so not here: "/" (a redirect to My work), the POST endpoints that only redirect, and
the fragments self-refreshing pages fetch (/my-work/live, /urgent/live, /live/counts); /urgent
as refreshed in place is checked in test_urgent_alerts_in_browser.py.

Moving journeys between pathway versions needs a second version, which production does not have:
the tour above sees the page with one version installed; a second test installs the trial version
for itself alone (then moves its journey back and uninstalls it) and tours the form, its errors,
the preview and the migration recorded.
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.context import AppContext
from api.security import SESSION_COOKIE, issue_token
from care.assessments import service as assessments
from care.assessments.kinds import AssessmentStep
from care.assessments.models import CarePlan, FirstContactReview
from care.assessments.schemas import FirstContactResolutionIn, PreferredContact
from care.clock import FrozenClock
from care.delivery import outbox as deliveries
from care.delivery import service as delivery
from care.delivery.models import NotificationDelivery
from care.deterioration import service as deterioration
from care.deterioration.kinds import DETERIORATION, DeteriorationStep
from care.deterioration.models import Deterioration, ResponseOutcome
from care.deterioration.schemas import (
    BaselineIn,
    DecisionIn,
    EscalationPolicyIn,
    ObservationsIn,
)
from care.directory.access import Actor, load_actor
from care.directory.models import NotifyChannel, User
from care.journeys import migration, outbox
from care.journeys import notifications as inbox
from care.journeys import service as journeys
from care.journeys.models import Journey, Step, StepStatus
from care.residents import service as residents
from care.residents.schemas import AdmissionIn, HospitalStayIn
from care.rounds import service as rounds
from care.rounds.kinds import HOME_ROUND, RoundStep
from care.rounds.models import HomeRound, RoundStatus
from care.rounds.rules import next_round
from care.rounds.schemas import DecisionIn as RoundDecisionIn
from care.rounds.schemas import MeetingIn, NominationIn
from care.settings import Settings
from care.types import Profession, Role
from tests import alerts
from tests.browser import axe
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, require_chromium, serve
from tests.db import truncate_all
from tests.factories import ASSESSMENT, PCSP, World, admission, make_user, make_world
from tests.pathway_trial import trial_pathway

pytestmark = pytest.mark.browser

# A Sunday morning: home A's round is on Tuesday at 10:00 and its agenda is being prepared.
NOW = datetime.fromisoformat("2026-11-08T10:30:00+00:00")
DESK = {"viewport": {"width": 1280, "height": 1000}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
USUAL = {"respiration_rate": 16, "spo2": 96, "on_oxygen": False, "systolic_bp": 132,
         "pulse": 76, "consciousness": "alert", "temperature": 36.7}
# RR 22 (2) + SpO2 95 (1) + pulse 105 (1) + temperature 38.5 (1) = NEWS2 5, medium.
MEDIUM = {**USUAL, "respiration_rate": 22, "spo2": 95, "pulse": 105, "temperature": 38.5}


@dataclass
class Scene:
    """The ids the pages are reached by."""

    residents: dict[str, uuid.UUID] = field(default_factory=dict)
    observations: dict[str, uuid.UUID] = field(default_factory=dict)
    deteriorations: dict[str, uuid.UUID] = field(default_factory=dict)
    steps: dict[str, uuid.UUID] = field(default_factory=dict)
    rounds: dict[str, uuid.UUID] = field(default_factory=dict)
    homes: dict[str, uuid.UUID] = field(default_factory=dict)
    journeys: dict[str, uuid.UUID] = field(default_factory=dict)


# ---------------------------------------------------------------- the world


def _admit(s: Session, world: World, settings: Settings, given: str, family: str,
           days_ago: int, *, home: str = "a", **overrides: Any) -> uuid.UUID:
    who = "staff.a" if home == "a" else "coord"
    at = NOW - timedelta(days=days_ago)
    body = admission(world.home_a.id if home == "a" else world.home_b.id, at.date(),
                     given_name=given, family_name=family, **overrides)
    resident, _ = residents.admit(s, load_actor(s, world.users[who]), AdmissionIn(**body), at,
                                  settings)
    return resident.id


def _step(s: Session, resident_id: uuid.UUID | None, kind: str, *,
          home_round_id: uuid.UUID | None = None) -> Step:
    query = select(Step).where(Step.kind == kind)
    if resident_id is not None:
        query = query.where(Step.resident_id == resident_id)
    if home_round_id is not None:
        query = query.where(Step.about(HOME_ROUND, home_round_id))
    step = s.scalars(query.order_by(Step.opened_at)).first()
    assert step is not None, f"no {kind.value} step"
    return step


def _plan(s: Session, nurse: Actor, resident_id: uuid.UUID, settings: Settings,
          at: datetime, **wishes: str) -> None:
    plan = {**PCSP, "escalation_wishes": {**PCSP["escalation_wishes"], **wishes}}
    for kind, outcome in ((AssessmentStep.HOLISTIC_ASSESSMENT, ASSESSMENT),
                          (AssessmentStep.PCSP, plan)):
        journeys.complete_step(s, nurse, _step(s, resident_id, kind).id, outcome, at, settings)


def _observe(s: Session, actor: Actor, resident_id: uuid.UUID, at: datetime,
             **values: Any) -> Any:
    return deterioration.record_observations(s, actor, resident_id, ObservationsIn(**values), at)


def _legacy_first_contact(s: Session, world: World, resident_id: uuid.UUID,
                          text: str) -> uuid.UUID:
    """A care plan version whose first contact is words, and the review the upgrade opened."""
    current = assessments.current_plan(s, resident_id)
    assert current is not None
    legacy = CarePlan(resident_id=resident_id, version=current.version + 1,
                      goals=current.goals, actions=current.actions,
                      escalation_wishes={"hospital_admission": "discuss_first",
                                         "preferred_contact": text},
                      agreed_with="resident and family", review_date=current.review_date,
                      created_by_id=world.users["nurse.a"].id, created_at=NOW - timedelta(days=20),
                      change_reason="written before the first contact was coded")
    s.add(legacy)
    s.flush()
    review = FirstContactReview(resident_id=resident_id, care_plan_id=legacy.id,
                                care_plan_version=legacy.version, original_text=text,
                                opened_at=NOW - timedelta(days=2))
    s.add(review)
    s.flush()
    return review.id


def build(sessions: sessionmaker[Session], settings: Settings) -> tuple[World, Scene]:
    scene = Scene()
    r, obs, det, steps = scene.residents, scene.observations, scene.deteriorations, scene.steps
    with sessions() as s, s.begin():
        world = make_world(s)
        scene.homes = {"a": world.home_a.id, "b": world.home_b.id}
        for username, profession in (("ucr.a", Profession.URGENT_COMMUNITY_RESPONSE),
                                     ("matron.a", Profession.COMMUNITY_MATRON),
                                     ("pharmacist.a", Profession.PHARMACIST),
                                     ("dietitian.a", Profession.DIETITIAN)):
            world.users[username] = make_user(s, world.pcn, username, Role.MDT_MEMBER,
                                              profession, [world.home_a])
        lead = load_actor(s, world.users["lead"])
        # The PCN's ladder, changed once (its history has a row).
        deterioration.set_escalation_policy(s, lead, EscalationPolicyIn(
            urgent_response_minutes=90,
            reason="Agreed at the PCN clinical governance meeting"), NOW - timedelta(days=20))
    # The urgent community response team's alerts go by email (one of them will fail).
    alerts.choose(sessions, world.users["ucr.a"], NotifyChannel.EMAIL,
                  email_address="ucr.team@nhs.net")

    with sessions() as s, s.begin():
        staff = load_actor(s, world.users["staff.a"])
        nurse = load_actor(s, world.users["nurse.a"])
        gp = load_actor(s, world.users["gp.a"])
        ucr = load_actor(s, world.users["ucr.a"])
        lead = load_actor(s, world.users["lead"])
        r["margaret"] = _admit(s, world, settings, "Margaret", "Lane", 36, room="7")
        r["edith"] = _admit(s, world, settings, "Edith", "Moss", 36, room="3")
        r["arthur"] = _admit(s, world, settings, "Arthur", "Penn", 40, room="9")
        r["walter"] = _admit(s, world, settings, "Walter", "Gibbs", 12, room="14")
        r["vera"] = _admit(s, world, settings, "Vera", "Quinn", 30, room="5",
                           representative_name="Ann Quinn",
                           representative_relationship="daughter")
        r["ivy"] = _admit(s, world, settings, "Ivy", "Marsh", 20, room="2")
        r["bernard"] = _admit(s, world, settings, "Bernard", "Cole", 15, home="b", room="1")
        for name in ("margaret", "edith", "arthur", "vera"):
            _plan(s, nurse, r[name], settings, NOW - timedelta(days=28),
                  hospital_admission="no" if name == "edith" else "discuss_first")
        walter_assessment = _step(s, r["walter"], AssessmentStep.HOLISTIC_ASSESSMENT)
        journeys.complete_step(s, nurse, walter_assessment.id,
                               ASSESSMENT, NOW - timedelta(days=9), settings)
        steps["pcsp_done"] = _step(s, r["margaret"], AssessmentStep.PCSP).id
        # Margaret: three days of observations; two days ago a fever the GP advised on.
        for hours_ago, values in ((72, USUAL), (60, {**USUAL, "pulse": 96, "temperature": 38.2}),
                                  (48, USUAL), (30, {"pulse": 88, "spo2": 96}),
                                  (20, {**USUAL, "respiration_rate": 18}),
                                  (6, {**USUAL, "temperature": 37.6})):
            at = NOW - timedelta(hours=hours_ago)
            recorded = _observe(s, staff, r["margaret"], at, **values)
            if hours_ago == 48:
                obs["margaret_usual"] = recorded.observation.id
            if recorded.deterioration is not None:
                deterioration.decide(s, gp, recorded.deterioration.id, DecisionIn(
                    decision="Viral illness; fluids and paracetamol",
                    outcome=ResponseOutcome.ADVICE_ONLY), at + timedelta(hours=2), settings)
        deterioration.set_baseline(s, nurse, r["margaret"], BaselineIn(
            observation_id=obs["margaret_usual"], reason="Her usual, well"),
            NOW - timedelta(hours=40))
        # Arthur: an urgent response three days ago, conveyed to A&E: the matron reviews it.
        raised = _observe(s, staff, r["arthur"], NOW - timedelta(days=3), **MEDIUM)
        deterioration.acknowledge(s, ucr, raised.deterioration.id,
                                  NOW - timedelta(days=3) + timedelta(minutes=10))
        deterioration.decide(s, ucr, raised.deterioration.id, DecisionIn(
            decision="Suspected hip fracture after a fall", outcome=ResponseOutcome.CONVEYED_TO_AE),
            NOW - timedelta(days=3) + timedelta(minutes=50), settings)
        obs["arthur_trigger"], det["arthur"] = raised.observation.id, raised.deterioration.id
        # Ivy is in hospital (the return form is for her).
        residents.record_hospital_stay(s, staff, r["ivy"], HospitalStayIn(
            admitted_on=(NOW - timedelta(days=2)).date(), hospital_name="Royal Test Infirmary"),
            NOW - timedelta(days=2))
        steps["cancelled"] = _step(s, r["ivy"], AssessmentStep.HOLISTIC_ASSESSMENT).id
        # Care plans that say who to contact first in words, from before the choice was coded:
        # Vera's waits for the clinical lead, Arthur's was resolved yesterday.
        _legacy_first_contact(s, world, r["vera"], "Dr Shah, or her daughter")
        arthurs = _legacy_first_contact(s, world, r["arthur"], "His son first, then the GP")
        assessments.resolve_first_contact_review(s, lead, arthurs, FirstContactResolutionIn(
            preferred_contact=PreferredContact.GP,
            reason="His son asked to be told after the GP; the GP is first"),
            NOW - timedelta(days=1))
        # Last week's round for home A: held, every resident's plan maintained.
        last_week = next_round(NOW, world.home_a.round_weekday, world.home_a.round_time,
                               settings.timezone) - timedelta(days=7)
        held = rounds.ensure_round(s, world.home_a, last_week, last_week - timedelta(days=2),
                                   settings)
        held.status = RoundStatus.PREPARING
        facts = rounds.resident_facts(s, world.home_a.id, last_week.date(), round_id=held.id)
        rounds.refresh_agenda(s, held, facts, last_week - timedelta(days=2))
        rounds.record_attendance(s, lead, held.id, MeetingIn(attendee_ids=[
            world.users["lead"].id, world.users["nurse.a"].id, world.users["staff.a"].id]),
            last_week)
        for row in rounds.agenda(s, held):
            rounds.record_decision(s, lead, row.item.id, RoundDecisionIn(
                response="maintain", notes="Reviewed; no change"), last_week, settings)
        rounds.close_round(s, lead, held.id, last_week)
        scene.rounds["held"] = held.id

    with sessions() as s, s.begin():
        staff = load_actor(s, world.users["staff.a"])
        # Dorothy, new on Friday: possible undiagnosed dementia, her GP outside the PCN.
        r["dorothy"] = _admit(s, world, settings, "Dorothy", "Hughes", 2, room="12",
                              dementia_status="possible_undiagnosed",
                              gp_practice_ods="Y99999", gp_practice_name="Distant Vale Surgery")
        rounds.nominate(s, staff, NominationIn(
            resident_id=r["dorothy"], reason="Eating much less since Thursday", by_family=True),
            NOW - timedelta(hours=1), settings)
    with sessions() as s, s.begin():
        round_id = rounds.prepare_round(s, world.home_a.id, NOW, settings).round_id
        assert round_id is not None
        scene.rounds["this_week"] = round_id
        lead = load_actor(s, world.users["lead"])
        this_week = s.get(HomeRound, round_id)
        assert this_week is not None
        items = {row.resident.id: row.item.id for row in rounds.agenda(s, this_week)}
        by = NOW.date() + timedelta(days=7)
        rounds.record_decision(s, lead, items[r["walter"]], RoundDecisionIn(
            response="referral", referral_to=Profession.DIETITIAN, by_date=by,
            notes="Weigh weekly; fortified diet"), NOW, settings)
        rounds.record_decision(s, lead, items[r["margaret"]], RoundDecisionIn(
            response="clinical_input", clinician_id=world.users["lead"].id, by_date=by,
            notes="Review her breathlessness"), NOW, settings)
        others = [item for rid, item in items.items()
                  if rid not in (r["walter"], r["margaret"], r["dorothy"])]
        assert others, "the agenda has nobody to take off"
        rounds.remove_from_agenda(s, lead, others[0], "Seen by the GP on Friday; nothing new",
                                  NOW)

    # Now, this morning: Margaret's urgent response (its email fails), and Edith's 999.
    with sessions() as s, s.begin():
        staff = load_actor(s, world.users["staff.a"])
        raised = _observe(s, staff, r["margaret"], NOW - timedelta(minutes=10),
                          soft_signs=["eating_drinking_less", "not_themselves"],
                          carer_concerned=True, **MEDIUM)
        obs["margaret_trigger"], det["margaret"] = raised.observation.id, raised.deterioration.id
        raised = _observe(s, staff, r["edith"], NOW - timedelta(minutes=5),
                          **{**USUAL, "consciousness": "pain"})
        obs["edith_999"], det["edith"] = raised.observation.id, raised.deterioration.id
        partial = _observe(s, staff, r["walter"], NOW - timedelta(minutes=30), pulse=88,
                           spo2=96, soft_signs=["not_themselves"])
        obs["walter_partial"] = partial.observation.id
    with sessions() as s, s.begin():
        email = s.scalars(select(NotificationDelivery).where(
            NotificationDelivery.user_id == world.users["ucr.a"].id)).first()
        assert email is not None
        failed = deliveries.mark_failed(s, email.id, NOW - timedelta(minutes=8),
                                        error="550 5.1.1 mailbox unavailable", permanent=True,
                                        max_attempts=3, retry_seconds=15)
        assert failed is not None
        delivery.report_failure(s, failed, NOW - timedelta(minutes=8))
        # A journey advance that gave up: the stalled journeys page has something to show.
        journey = s.scalars(select(Journey).where(Journey.resident_id == r["bernard"])).one()
        message = outbox.enqueue(s, journey.id, "step_completed", NOW - timedelta(hours=1))
        s.flush()
        message.failed_at, message.attempts, message.last_error = NOW, 5, "database timeout"
        scene.journeys["bernard"] = journey.id

    # Steps taken by the people whose forms the tour opens.
    with sessions() as s, s.begin():
        def take(username: str, step: Step, name: str) -> None:
            journeys.claim_step(s, load_actor(s, world.users[username]), step.id, NOW)
            steps[name] = step.id

        take("nurse.a", _step(s, r["dorothy"], AssessmentStep.HOLISTIC_ASSESSMENT), "assessment")
        take("nurse.a", _step(s, r["walter"], AssessmentStep.PCSP), "pcsp")
        take("matron.a", _step(s, r["arthur"], DeteriorationStep.AE_REVIEW), "ae_review")
        smr = s.scalars(select(Step).where(Step.about(HOME_ROUND, round_id),
                                           Step.kind == RoundStep.MEDICATION_REVIEW)
                        .order_by(Step.resident_id)).all()
        assert len(smr) >= 3, smr
        take("pharmacist.a", smr[0], "medication_review")
        take("pharmacist.a", smr[1], "medication_review_done")
        journeys.complete_step(s, load_actor(s, world.users["pharmacist.a"]), smr[1].id, {
            "medicines_count": 7, "changes_made": True, "deprescribed": ["Simvastatin"],
            "referred_to_gp": False, "summary": "Statin stopped: no longer of benefit.",
            "next_review_on": "2027-05-01"}, NOW, settings)
        steps["medication_review_ready"] = smr[2].id
        take("dietitian.a", _step(s, r["walter"], RoundStep.REFERRAL), "referral")
        take("lead", _step(s, r["margaret"], RoundStep.CLINICAL_REVIEW), "clinical_review")
        take("gp.a", _step(s, r["dorothy"], RoundStep.DEMENTIA_ASSESSMENT_OFFER),
             "dementia_offer")
        take("coord", _step(s, r["dorothy"], RoundStep.REGISTRATION_CONVERSATION),
             "registration")
        take("coord", _step(s, None, RoundStep.PREPARE_ROUND, home_round_id=round_id),
             "prepare_round")
        current = s.get(Deterioration, det["margaret"])
        assert current is not None and current.urgent_step_id is not None
        steps["urgent"] = current.urgent_step_id
        repeat = s.scalars(select(Step).where(
            Step.about(DETERIORATION, det["margaret"]),
            Step.kind == DeteriorationStep.REPEAT_OBSERVATIONS,
            Step.status == StepStatus.READY)).one()
        steps["repeat"] = repeat.id
        # The clinical lead has read one notification, not the rest.
        lead = load_actor(s, world.users["lead"])
        first = inbox.notifications_for(s, lead.id, limit=1)
        assert first, "the clinical lead has no notifications"
        inbox.mark_read(s, lead, first[0].id, NOW)
    return world, scene


@dataclass(frozen=True)
class Site:
    url: str
    scene: Scene
    settings: Settings
    people: dict[str, tuple[uuid.UUID, str]]  # username: (id, role)

    def session_cookie(self, username: str) -> dict[str, Any]:
        """The session cookie signing in sets, for the person: the sign-in page itself is
        checked signed out, and a dozen people need not each wait for a password hash."""
        user_id, role = self.people[username]
        token = issue_token(self.settings.secret_key, user_id, role, NOW,
                            self.settings.session_minutes, kind="session")
        return {"name": SESSION_COOKIE, "value": token, "url": self.url, "httpOnly": True,
                "sameSite": "Lax"}


@pytest.fixture(scope="module")
def site(engine: Engine, app_engine: Engine, sessions: sessionmaker[Session]) -> Iterator[Site]:
    """The world, built once for the module, and the product serving it."""
    truncate_all(engine)
    settings = alerts.alert_settings(
        Settings(mode="demo", secret_key="t" * 48, runner_enabled=False),
        smtp_host="127.0.0.1", smtp_port=alerts.free_port(), smtp_starttls=False)
    world, scene = build(sessions, settings)
    people = {name: (user.id, user.role.value) for name, user in world.users.items()}
    with serve(create_app(AppContext(settings, app_engine, sessions, FrozenClock(NOW)))) as url:
        yield Site(url, scene, settings, people)
    truncate_all(engine)


# ---------------------------------------------------------------- the tour


class Tour:
    """One browser context: visits pages as one person at a time, runs axe on each and keeps
    what it found."""

    def __init__(self, site: Site, context: Any, page: Any, label: str) -> None:
        self.site, self.context, self.page, self.label = site, context, page, label
        self.checked: list[str] = []
        self.found: list[str] = []

    @classmethod
    async def open(cls, browser: Any, site: Site, width: dict[str, Any], label: str,
                   username: str | None = None) -> Tour:
        context = await browser.new_context(**width)
        # axe-core in each page of the context from the start: not sent over once a page.
        await context.add_init_script(path=str(axe.AXE_JS))
        page = await context.new_page()
        page.set_default_timeout(15_000)
        tour = cls(site, context, page, label)
        if username:
            await tour.sign_in_as(username)
        return tour

    async def sign_in_as(self, username: str) -> None:
        await self.context.add_cookies([self.site.session_cookie(username)])
        self.label = f"{self.label.split(' as ')[0]} as {username}"

    async def visit(self, path: str, what: str | None = None, *, status: int = 200,
                    check: bool = True) -> None:
        response = await self.page.goto(self.site.url + path)
        assert response is not None and response.status == status, (
            f"{what or path} ({self.label}): {response.status if response else None}, "
            f"expected {status}")
        if check:
            await self.check(what or path)

    async def submit(self, button: str, what: str, *, status: int = 422,
                     fill: dict[str, str] | None = None, tick: tuple[str, ...] = ()) -> None:
        """A form sent with errors: the page again, with its error summary."""
        for selector, value in (fill or {}).items():
            await self.page.fill(selector, value)
        for selector in tick:
            await self.page.check(selector)
        async with self.page.expect_navigation() as navigation:
            await self.page.locator(button).first.click()
        response = await navigation.value
        assert response is not None and response.status == status, (
            f"{what} ({self.label}): {response.status if response else None}, "
            f"expected {status}")
        await self.page.wait_for_load_state("load")
        assert await self.page.locator(".nhsuk-error-summary").is_visible(), (
            f"{what} ({self.label}): no error summary")
        await self.check(what)

    async def follow(self, button: str, what: str) -> None:
        """A form sent as it should be: the page it leads to (after its redirect, if any)."""
        async with self.page.expect_navigation() as navigation:
            await self.page.locator(button).first.click()
        response = await navigation.value
        assert response is not None and response.status == 200, (
            f"{what} ({self.label}): {response.status if response else None}, expected 200")
        await self.page.wait_for_load_state("load")
        await self.check(what)

    async def open_details(self) -> None:
        """Open every collapsed section, so what is in them is checked too."""
        await self.page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")

    async def check(self, what: str) -> None:
        self.checked.append(f"{what} ({self.label})")
        found = await axe.violations_async(self.page)
        if found:
            self.found.append(f"{what} ({self.label}): {self.page.url}\n{axe.describe(found)}")

    async def close(self) -> None:
        await self.context.close()


# ---------------------------------------------------------------- who sees what


async def signed_out(browser: Any, site: Site) -> list[Tour]:
    tours = [await Tour.open(browser, site, width, f"signed out, {label}")
             for width, label in ((DESK, "desktop"), (PHONE, "phone"))]
    for tour in tours:
        await tour.visit("/login")
        await tour.submit("#sign-in", "/login: wrong password", status=401,
                          fill={"#username": "staff.a", "#password": "not-the-password"})
    return tours


async def care_home_staff(browser: Any, site: Site) -> list[Tour]:
    r, o, d, st = (site.scene.residents, site.scene.observations, site.scene.deteriorations,
                   site.scene.steps)
    margaret = r["margaret"]
    phone = await Tour.open(browser, site, PHONE, "care-home staff, phone", "staff.a")
    await phone.visit("/my-work")
    await phone.visit("/urgent")
    await phone.visit(f"/residents/{margaret}", "a resident with an open escalation")
    await phone.visit(f"/residents/{margaret}/observations/new", "record observations")
    await phone.submit("#save-observations", "record observations: implausible pulse",
                       fill={"#respiration_rate": "22", "#pulse": "1050"})
    await phone.visit(f"/residents/{margaret}/observations/new?step={st['repeat']}",
                      "record observations, answering the repeat step")
    await phone.visit(f"/residents/{margaret}/observations/{o['margaret_trigger']}",
                      "observations saved: urgent response")
    await phone.visit(f"/residents/{r['edith']}/observations/{o['edith_999']}",
                      "observations saved: call 999")
    await phone.visit(f"/residents/{r['walter']}/observations/{o['walter_partial']}",
                      "observations saved: take a full set")
    await phone.visit(f"/residents/{margaret}/observations/{o['margaret_usual']}",
                      "observations saved: no escalation needed")
    await phone.visit(f"/residents/{margaret}/observations", "observation chart")
    await phone.visit(f"/deteriorations/{d['edith']}", "999 escalation, for the home")
    await phone.visit("/nominate")
    await phone.submit("#nominate", "nominate: nothing chosen")
    await phone.visit("/pathway", "the pathway drawn")
    await phone.visit(f"/pathway?resident={r['walter']}", "where a resident is: care planning")

    desk = await Tour.open(browser, site, DESK, "care-home staff, desktop", "staff.a")
    await desk.visit("/my-work")
    await desk.visit("/urgent")
    await desk.visit("/residents")
    await desk.visit("/residents?status=all&q=a", "residents: everyone matching a search")
    await desk.visit("/residents/new", "admit a resident")
    await desk.submit("#admit-submit", "admit a resident: nothing filled in")
    await desk.visit(f"/residents/{margaret}", "a resident with an open escalation")
    await desk.visit(f"/deteriorations/{d['margaret']}", "urgent response, for the home")
    await desk.visit(f"/deteriorations/{d['edith']}", "999 escalation, for the home")
    await desk.visit(f"/residents/{r['arthur']}/observations/{o['arthur_trigger']}",
                     "observations saved: the escalation it joined is closed")
    await desk.visit(f"/steps/{st['repeat']}", "repeat observations step")
    await desk.visit(f"/steps/{st['medication_review_ready']}", "a step for another profession")
    await desk.visit(f"/steps/{st['medication_review']}", "a step someone else is doing")
    for slug in ("hospital-stay", "discharge", "death"):
        await desk.visit(f"/residents/{margaret}/residence/{slug}",
                         f"record {slug.replace('-', ' ')}")
    await desk.submit("#submit-change", "record death: no date, not confirmed")
    await desk.visit(f"/residents/{r['ivy']}", "a resident in hospital")
    await desk.visit(f"/residents/{r['ivy']}/residence/readmission", "record return from hospital")
    await desk.visit(f"/steps/{st['cancelled']}", "a cancelled step")
    await desk.visit("/rounds", "/rounds (their one home's rounds)")
    await desk.visit(f"/rounds/{site.scene.rounds['this_week']}", "this week's agenda")
    await desk.visit(f"/rounds/{site.scene.rounds['held']}", "last week's round, held")
    await desk.visit("/nominate")
    await desk.visit("/notifications")
    await desk.visit("/escalation-ladder", "escalation ladder, read only")
    await desk.visit("/pathway", "the pathway drawn")
    await desk.visit(f"/pathway?resident={r['walter']}", "where a resident is: care planning")
    await desk.visit(f"/pathway?resident={r['ivy']}", "where a resident is: in hospital")
    await desk.visit(f"/pathway?resident={r['bernard']}",
                     "error page: a resident of another home", status=404)
    await desk.visit(f"/residents/{uuid.uuid4()}", "error page: not found", status=404)
    await desk.visit("/admin/stalled", "error page: not allowed", status=403)
    await desk.visit(f"/residents/{r['ivy']}/observations/new",
                     "error page: it has changed (in hospital)", status=409)
    return [phone, desk]


async def mdt_members(browser: Any, site: Site) -> list[Tour]:
    r, st, d = site.scene.residents, site.scene.steps, site.scene.deteriorations
    margaret = r["margaret"]
    desk = await Tour.open(browser, site, DESK, "MDT member, desktop", "nurse.a")
    await desk.visit("/my-work")
    await desk.visit(f"/steps/{st['assessment']}", "holistic assessment form")
    await desk.submit("#submit-outcome", "holistic assessment: nothing filled in")
    await desk.visit(f"/steps/{st['pcsp']}", "care plan form")
    await desk.submit("#submit-outcome", "care plan: a named clinician not chosen",
                      tick=("input[name=preferred_contact][value=named_clinician]",))
    await desk.visit(f"/steps/{st['pcsp_done']}", "a completed care plan")
    await desk.visit(f"/residents/{margaret}/observations", check=False)
    await desk.open_details()
    await desk.check("observation chart, as a clinician, its forms open")
    await desk.submit("#set-scale", "SpO2 scale: no reason")
    await desk.open_details()
    await desk.submit("#set-baseline", "new baseline: no set, no reason")
    await desk.visit(f"/residents/{margaret}/observations/new", "record observations")
    await desk.submit("#save-observations", "record observations: implausible pulse",
                      fill={"#pulse": "1050"})
    trigger = site.scene.observations["margaret_trigger"]
    await desk.visit(f"/residents/{margaret}/observations/{trigger}",
                     "observations saved: urgent response")
    await desk.visit(f"/deteriorations/{d['arthur']}", "a closed escalation")
    await desk.visit(f"/pathway?resident={margaret}",
                     "where a resident is: under MDT care, an urgent response open")
    for username, step, what in (("matron.a", "ae_review", "A&E attendance review"),
                                 ("pharmacist.a", "medication_review", "medication review"),
                                 ("dietitian.a", "referral", "referral"),
                                 ("gp.a", "dementia_offer", "dementia assessment offer")):
        await desk.sign_in_as(username)
        await desk.visit(f"/steps/{st[step]}", f"{what} form")
        await desk.submit("#submit-outcome", f"{what}: nothing filled in")
    await desk.sign_in_as("pharmacist.a")
    await desk.visit(f"/steps/{st['medication_review_done']}", "a completed medication review")
    await desk.sign_in_as("ucr.a")
    await desk.visit("/urgent")
    await desk.visit(f"/deteriorations/{d['margaret']}", "urgent response, for the responder")
    await desk.submit("#record-decision", "urgent response decision: nothing filled in")
    await desk.visit(f"/steps/{st['urgent']}", "urgent response step")
    await desk.visit("/notifications", "notifications: my last alert did not reach me")
    await desk.submit("#save-channel", "alert settings: email with no address",
                      fill={"#email": ""}, tick=("input[name=channel][value=email]",))

    phone = await Tour.open(browser, site, PHONE, "MDT member, phone", "ucr.a")
    await phone.visit("/my-work")
    await phone.visit("/urgent")
    await phone.visit(f"/deteriorations/{d['margaret']}", "urgent response, for the responder")
    return [desk, phone]


async def clinical_lead(browser: Any, site: Site) -> list[Tour]:
    st, rounds_ = site.scene.steps, site.scene.rounds
    desk = await Tour.open(browser, site, DESK, "clinical lead, desktop", "lead")
    await desk.visit("/my-work")
    await desk.visit("/urgent")
    await desk.visit("/coordinator")
    await desk.visit("/first-contact-reviews")
    await desk.submit("button[id$='-save']", "first contact review: no clinician, no reason",
                      tick=("input[value=named_clinician]",))
    await desk.visit("/first-contact-reviews?status=all", "first contact reviews, all")
    await desk.visit("/escalation-ladder", "escalation ladder, to change")
    await desk.submit("#save-ladder", "escalation ladder: beyond the floor, no reason",
                      fill={"#high_from": "12"})
    await desk.visit("/rounds", "/rounds (two homes)")
    await desk.visit(f"/homes/{site.scene.homes['a']}/rounds", "a home's rounds")
    await desk.visit(f"/rounds/{rounds_['this_week']}", "this week's agenda, to change")
    await desk.submit("#add-button", "agenda: add with no resident or reason")
    await desk.open_details()
    await desk.submit("button[id^='remove-button-']", "agenda: take off with no reason")
    assert await desk.page.locator("details[open] .nhsuk-error-message").is_visible(), (
        "the reason's error is hidden in a closed section")
    await desk.submit("#attendance-button", "agenda: attendance with nobody ticked")
    await desk.submit("#close-button", "agenda: closed with residents undecided")
    await desk.visit(f"/rounds/{rounds_['held']}", "last week's round, held")
    await desk.visit(f"/rounds/{rounds_['this_week']}/decisions", "the MDT's decisions")
    await desk.submit("#save-decisions", "the MDT's decisions: none chosen")
    await desk.visit(f"/steps/{st['clinical_review']}", "clinical review form")
    await desk.submit("#submit-outcome", "clinical review: nothing filled in")
    await desk.visit(f"/steps/{st['medication_review_ready']}", "a step to assign")
    await desk.visit(f"/residents/{site.scene.residents['margaret']}/observations", check=False)
    await desk.open_details()
    await desk.check("observation chart, as a clinician, its forms open")
    await desk.visit(f"/deteriorations/{site.scene.deteriorations['margaret']}",
                     "urgent response, for another clinician")
    await desk.submit("#save-recommendation", "SBARD recommendation: empty")
    await desk.visit("/notifications", "notifications: an alert not delivered")
    await desk.visit("/admin/stalled", "stalled journeys")
    await desk.visit("/pathway/migrations", "pathway versions in use: only one installed")
    return [desk]


async def coordinator(browser: Any, site: Site) -> list[Tour]:
    st = site.scene.steps
    desk = await Tour.open(browser, site, DESK, "coordinator, desktop", "coord")
    await desk.visit("/my-work")
    await desk.visit("/coordinator")
    await desk.submit("button[id^='assign-']", "coordinator: assign to nobody")
    await desk.visit(f"/steps/{st['registration']}", "registration conversation form")
    await desk.submit("#submit-outcome", "registration conversation: nothing chosen")
    await desk.visit(f"/steps/{st['prepare_round']}", "prepare the round form")
    await desk.submit("#submit-outcome", "prepare the round: not confirmed")
    await desk.visit(f"/steps/{st['assessment']}", "a step to reassign or release")
    await desk.submit("#assign", "a step: assign to nobody")
    await desk.visit("/residents/new", "admit a resident, to one of two homes")
    await desk.visit("/pathway?version=1", "the pathway drawn, a version by number")
    await desk.visit("/first-contact-reviews", "first contact reviews, read only")
    await desk.visit("/admin/stalled", "stalled journeys")
    await desk.visit(f"/homes/{site.scene.homes['b']}/rounds", "a home's rounds, none yet")
    await desk.visit(f"/residents/{site.scene.residents['bernard']}",
                     "a resident of the other home")
    await desk.visit("/pathway/migrations", "error page: moving journeys not allowed",
                     status=403)
    return [desk]


async def admin(browser: Any, site: Site) -> list[Tour]:
    desk = await Tour.open(browser, site, DESK, "admin, desktop", "admin")
    await desk.visit("/my-work")
    await desk.visit("/coordinator")
    await desk.visit("/admin/stalled", "stalled journeys, to re-run")
    await desk.submit("#rerun-selected button", "stalled journeys: none ticked, no reason")
    await desk.visit(f"/admin/journeys/{site.scene.journeys['bernard']}/rerun",
                     "a re-run previewed")
    await desk.submit("form[action$='/rerun'] button", "a re-run without a reason")
    await desk.visit("/admin/reruns", "re-runs asked for: none yet")
    await desk.visit("/residents")
    await desk.visit("/notifications")
    await desk.visit("/escalation-ladder", "escalation ladder, read only")
    await desk.visit("/pathway", "the pathway drawn, with the link to the versions in use")
    await desk.visit("/pathway/migrations", "pathway versions in use: only one installed")
    return [desk]


async def migrating(browser: Any, site: Site, journey_id: uuid.UUID) -> list[Tour]:
    """The clinical lead moves one journey to the trial version: the form, its errors, the
    preview and the migration recorded; the versions and the record at a phone's width too."""
    desk = await Tour.open(browser, site, DESK, "clinical lead, desktop, two versions", "lead")
    await desk.visit("/pathway/migrations", "pathway versions in use: the form to move journeys")
    await desk.submit("#preview-button", "move journeys: nothing chosen")
    await desk.page.check("#version-2")
    await desk.page.check("#scope-3")  # the journeys listed
    await desk.page.fill("#journey_ids", str(journey_id))
    await desk.page.fill("#reason", "Trial of medicines reconciliation in home B")
    await desk.follow("#preview-button", "move journeys: the changes previewed")
    await desk.follow("#apply-button", "move journeys: the migration recorded")
    recorded = desk.page.url.removeprefix(site.url)
    assert recorded.startswith("/pathway/migrations/"), recorded
    await desk.visit("/pathway/migrations", "pathway versions in use: a migration recorded")
    phone = await Tour.open(browser, site, PHONE, "clinical lead, phone, two versions", "lead")
    await phone.visit("/pathway/migrations", "pathway versions in use: the form to move journeys")
    await phone.visit(recorded, "a migration recorded")
    return [desk, phone]


ROLES: tuple[Callable[[Any, Site], Awaitable[list[Tour]]], ...] = (
    mdt_members, care_home_staff, clinical_lead, coordinator, admin, signed_out)
# Two people at a time: the browser checks one page while the server renders the next.
AT_ONCE = 2


async def tour_everything(
    site: Site, roles: tuple[Callable[[Any, Site], Awaitable[list[Tour]]], ...] = ROLES,
) -> list[Tour]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        gate = asyncio.Semaphore(AT_ONCE)

        async def one(role: Callable[[Any, Site], Awaitable[list[Tour]]]) -> list[Tour]:
            async with gate:
                tours = await role(browser, site)
                for tour in tours:
                    await tour.close()
                return tours

        try:
            done = await asyncio.gather(*(one(role) for role in roles))
        finally:
            await browser.close()
    return [tour for tours in done for tour in tours]


def _report(tours: list[Tour], started: float) -> None:
    checked = [page for tour in tours for page in tour.checked]
    found = [problem for tour in tours for problem in tour.found]
    print(f"\naxe-core checked {len(checked)} pages in {time.monotonic() - started:.1f}s")
    assert not found, (f"axe-core: WCAG 2.2 A/AA violations on {len(found)} of {len(checked)} "
                       "pages:\n\n" + "\n\n".join(found))


async def test_every_page_meets_wcag_2_2_aa(site: Site) -> None:
    require_chromium()
    started = time.monotonic()
    _report(await tour_everything(site), started)


def _at_care_planning_in_home_b(sessions: sessionmaker[Session], site: Site) -> uuid.UUID:
    """A resident of home B (Harold, admitted this morning) whose care plan is open: moving
    their journey to the trial version opens its inserted step."""
    with sessions() as s, s.begin():
        coordinator = load_actor(s, s.get_one(User, site.people["coord"][0]))
        body = admission(site.scene.homes["b"], NOW.date(), given_name="Harold",
                         family_name="Vine", room="4")
        resident, journey = residents.admit(s, coordinator, AdmissionIn(**body), NOW,
                                            site.settings)
        nurse = load_actor(s, s.get_one(User, site.people["nurse.b"][0]))
        journeys.complete_step(s, nurse, _step(s, resident.id,
                                               AssessmentStep.HOLISTIC_ASSESSMENT).id,
                               ASSESSMENT, NOW, site.settings)
        return journey.id


def _back_to_version_1(sessions: sessionmaker[Session], site: Site,
                       journey_id: uuid.UUID) -> None:
    """Before the trial version is uninstalled: no journey may be left following it."""
    lead_id = site.people["lead"][0]
    with sessions() as s, s.begin():
        record, moving = migration.start(
            s, load_actor(s, s.get_one(User, lead_id)), "ehch", 1,
            migration.Scope(journey_ids=[journey_id]), "The trial is over", NOW)
    results = migration.run(sessions, lead_id, record.id, moving, NOW, site.settings)
    assert all(r.ok for r in results), results


async def test_moving_journeys_between_versions_meets_wcag_2_2_aa(
    site: Site, sessions: sessionmaker[Session],
) -> None:
    require_chromium()
    started = time.monotonic()
    with trial_pathway():
        journey_id = _at_care_planning_in_home_b(sessions, site)
        try:
            tours = await tour_everything(
                site, (functools.partial(migrating, journey_id=journey_id),))
        finally:
            _back_to_version_1(sessions, site, journey_id)
    _report(tours, started)
