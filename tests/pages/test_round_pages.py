"""The home round's pages through the app: nominating, the agenda, attendance, the MDT's
decisions in one sitting, closing the round, the rounds history, and the new step forms."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.clock import FrozenClock
from care.directory.models import User
from care.journeys.models import Step, StepStatus
from care.rounds import service as rounds
from care.rounds.kinds import RoundStep
from care.rounds.models import (
    AgendaDecision,
    AgendaItem,
    HomeRound,
    ItemSource,
    Nomination,
    ResidentEvent,
    ResidentEventKind,
    RoundAttendance,
    RoundStatus,
)
from care.settings import Settings
from care.types import Profession, Role
from tests.factories import World, make_user
from tests.pages.conftest import csrf_from

Browser = Callable[[str], TestClient]
Admit = Callable[..., uuid.UUID]

WINDOW_OPEN = datetime.fromisoformat("2026-11-08T10:30:00+00:00")  # Sunday; round Tue 10:00


@pytest.fixture
def in_window(clock: FrozenClock) -> FrozenClock:
    clock.set(WINDOW_OPEN)
    return clock


def _prepare(sessions: sessionmaker[Session], world: World, clock: FrozenClock,
             settings: Settings) -> uuid.UUID:
    with sessions() as s, s.begin():
        round_id = rounds.prepare_round(s, world.home_a.id, clock.now(), settings).round_id
    assert round_id is not None
    return round_id


def _items(sessions: sessionmaker[Session], round_id: uuid.UUID) -> dict[uuid.UUID, AgendaItem]:
    with sessions() as s:
        return {i.resident_id: i for i in s.scalars(
            select(AgendaItem).where(AgendaItem.round_id == round_id))}


def _post(client: TestClient, page_url: str, url: str, data: dict[str, str]) -> object:
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    return client.post(url, data={**data, "csrf_token": csrf_from(page.text)})


# ---------------------------------------------------------------- nominating


def test_staff_nominate_a_resident_and_it_goes_on_the_round_being_prepared(
    world: World, sessions: sessionmaker[Session], in_window: FrozenClock, settings: Settings,
    browser_for: Browser, admit: Admit,
) -> None:
    resident_id = admit(given_name="Edna", family_name="Moss")
    round_id = _prepare(sessions, world, in_window, settings)
    staff = browser_for("staff.a")
    page = staff.get("/nominate")
    assert page.status_code == 200 and "Edna Moss" in page.text
    assert 'href="/nominate"' in page.text  # in the navigation

    r = staff.post("/nominate", data={"resident_id": str(resident_id), "reason": "",
                                      "csrf_token": csrf_from(page.text)})
    assert r.status_code == 422
    assert "There is a problem" in r.text and 'href="#reason"' in r.text
    assert f'<option value="{resident_id}" selected' in r.text

    r = staff.post("/nominate", data={"resident_id": str(resident_id),
                                      "reason": "eating less this week", "by_family": "yes",
                                      "fall": "yes", "csrf_token": csrf_from(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/nominate"
    done = staff.get("/nominate")
    assert "Edna Moss is on the list for the MDT at this week&#39;s round" in done.text
    with sessions() as s:
        nomination = s.scalars(select(Nomination)).one()
        assert nomination.by_family and nomination.reason == "eating less this week"
        assert nomination.round_id == round_id
        assert nomination.nominated_by_id == world.users["staff.a"].id
        fall = s.scalars(select(ResidentEvent).where(
            ResidentEvent.kind == ResidentEventKind.FALL)).one()
        assert fall.resident_id == resident_id
    item = _items(sessions, round_id)[resident_id]
    assert item.source == ItemSource.NOMINATION
    assert "Family (through staff): eating less this week" in [r["text"] for r in item.reasons]


def test_a_home_b_resident_cannot_be_nominated_by_home_a_staff(
    world: World, sessions: sessionmaker[Session], in_window: FrozenClock,
    browser_for: Browser, admit: Admit,
) -> None:
    other = admit(home="b")
    staff = browser_for("staff.a")
    assert str(other) not in staff.get("/nominate").text
    r = _post(staff, "/nominate", "/nominate", {"resident_id": str(other), "reason": "worried"})
    assert r.status_code == 404  # type: ignore[attr-defined]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Nomination)) == 0


# ---------------------------------------------------------------- the agenda


def test_the_agenda_shows_reasons_and_the_mdt_changes_it_and_records_attendance(
    world: World, sessions: sessionmaker[Session], in_window: FrozenClock, settings: Settings,
    browser_for: Browser, admit: Admit,
) -> None:
    first = admit(given_name="Albert", family_name="Ash")
    second = admit(given_name="Beryl", family_name="Birch")
    round_id = _prepare(sessions, world, in_window, settings)
    lead = browser_for("lead")
    url = f"/rounds/{round_id}"
    page = lead.get(url)
    assert page.status_code == 200
    assert "Albert Ash" in page.text and "Beryl Birch" in page.text
    assert "Selected by the rules" in page.text
    assert "Home representative" in page.text  # staff.a is the home's representative

    # Taking someone off needs a reason.
    items = _items(sessions, round_id)
    remove = f"{url}/items/{items[first].id}/remove"
    r = _post(lead, url, remove, {"reason": ""})
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert "Enter why this resident is being taken off the agenda" in r.text  # type: ignore[attr-defined]
    r = _post(lead, url, remove, {"reason": "seen by the GP yesterday"})
    assert r.status_code == 303  # type: ignore[attr-defined]
    removed = _items(sessions, round_id)[first]
    assert removed.removed_at is not None and removed.removed_reason == "seen by the GP yesterday"
    assert "seen by the GP yesterday" in lead.get(url).text

    # And back on, by the MDT, with a reason.
    r = _post(lead, url, f"{url}/add", {"resident_id": str(first), "reason": ""})
    assert r.status_code == 422 and "Enter the reason" in r.text  # type: ignore[attr-defined]
    r = _post(lead, url, f"{url}/add", {"resident_id": str(first), "reason": "weight loss"})
    assert r.status_code == 303  # type: ignore[attr-defined]
    back = _items(sessions, round_id)[first]
    assert back.removed_at is None and back.source == ItemSource.MDT
    assert "Added by the MDT" in lead.get(url).text

    # Attendance: checkboxes of the home's members, the representative marked.
    r = _post(lead, url, f"{url}/attendance", {})
    assert r.status_code == 422 and "Select who attended" in r.text  # type: ignore[attr-defined]
    r = _post(lead, url, f"{url}/attendance", {
        f"attendee-{world.users['lead'].id}": "yes",
        f"attendee-{world.users['staff.a'].id}": "yes"})
    assert r.status_code == 303  # type: ignore[attr-defined]
    with sessions() as s:
        rows = {a.user_id: a.home_representative for a in s.scalars(select(RoundAttendance))}
    assert rows == {world.users["lead"].id: False, world.users["staff.a"].id: True}

    # Closing with residents still undecided: the error summary lists them; nothing changes.
    r = _post(lead, url, f"{url}/close", {})
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert "Albert Ash" in r.text and "Beryl Birch" in r.text  # type: ignore[attr-defined]
    assert "have no agreed response yet" in r.text  # type: ignore[attr-defined]
    with sessions() as s:
        assert s.get(HomeRound, round_id).status == RoundStatus.PREPARING  # type: ignore[union-attr]
    assert second  # both stay on the agenda


def test_decisions_for_several_residents_in_one_sitting_then_the_round_is_held(
    world: World, sessions: sessionmaker[Session], in_window: FrozenClock, settings: Settings,
    browser_for: Browser, admit: Admit,
) -> None:
    first = admit(given_name="Albert", family_name="Ash")
    second = admit(given_name="Beryl", family_name="Birch")
    third = admit(given_name="Cyril", family_name="Cedar")
    round_id = _prepare(sessions, world, in_window, settings)
    items = _items(sessions, round_id)
    a, b, c = (str(items[r].id) for r in (first, second, third))
    lead = browser_for("lead")
    url = f"/rounds/{round_id}/decisions"
    page = lead.get(url)
    assert page.status_code == 200
    assert all(f'name="{p}-response"' in page.text for p in (a, b, c))
    assert "Dietitian" in page.text and "Gp A (gp)" in page.text

    # One good row and one incomplete: errors per resident, and nothing is stored.
    r = _post(lead, url, url, {
        f"{a}-response": "referral", f"{a}-referral_to": "dietitian",
        f"{a}-by_date[day]": "17", f"{a}-by_date[month]": "11", f"{a}-by_date[year]": "2026",
        f"{b}-response": "clinical_input", f"{b}-notes": "chest sounds"})
    assert r.status_code == 422  # type: ignore[attr-defined]
    body = r.text  # type: ignore[attr-defined]
    assert "Beryl Birch: select the clinician who will see them" in body
    assert f'href="#{b}-clinician_id"' in body and "Nothing has been saved" in body
    assert "chest sounds" in body  # input kept
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(AgendaDecision)) == 0
        assert s.scalar(select(func.count()).select_from(Step).where(
            Step.kind == RoundStep.REFERRAL)) == 0

    # A date in the past is the service's error, mapped onto that resident's date.
    r = _post(lead, url, url, {
        f"{b}-response": "clinical_input", f"{b}-clinician_id": str(world.users["gp.a"].id),
        f"{b}-by_date[day]": "1", f"{b}-by_date[month]": "11", f"{b}-by_date[year]": "2026"})
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert "Beryl Birch: the date to see them by must not be in the past" in r.text  # type: ignore[attr-defined]

    r = _post(lead, url, url, {
        f"{a}-response": "referral", f"{a}-referral_to": "dietitian",
        f"{a}-by_date[day]": "17", f"{a}-by_date[month]": "11", f"{a}-by_date[year]": "2026",
        f"{a}-notes": "weight down 3 kg",
        f"{b}-response": "clinical_input", f"{b}-clinician_id": str(world.users["gp.a"].id),
        f"{b}-by_date[day]": "10", f"{b}-by_date[month]": "11", f"{b}-by_date[year]": "2026",
        f"{c}-response": "maintain",
        # A clinician picked before the MDT chose 'maintain' does not travel with it.
        f"{c}-clinician_id": str(world.users["gp.a"].id)})
    assert r.status_code == 303, r.text  # type: ignore[attr-defined]
    with sessions() as s:
        decisions = {d.item_id: d for d in s.scalars(select(AgendaDecision))}
        assert decisions[items[first].id].referral_to == "dietitian"
        assert decisions[items[third].id].clinician_id is None
        referral = s.scalars(select(Step).where(Step.kind == RoundStep.REFERRAL)).one()
        assert referral.candidate_profession == "dietitian" and referral.resident_id == first
        assert "weight down 3 kg" in (referral.instructions or "")
        review = s.scalars(select(Step).where(Step.kind == RoundStep.CLINICAL_REVIEW)).one()
        assert review.assignee_id == world.users["gp.a"].id and review.resident_id == second
        assert s.get(HomeRound, round_id).status == RoundStatus.AGREED  # type: ignore[union-attr]
    assert "Every resident on the agenda has an agreed response" in lead.get(url).text

    agenda = f"/rounds/{round_id}"
    r = _post(lead, agenda, f"{agenda}/close", {"notes": "good round"})
    assert r.status_code == 303  # type: ignore[attr-defined]
    assert "Round recorded as held" in lead.get(agenda).text
    with sessions() as s:
        rnd = s.get(HomeRound, round_id)
        assert rnd is not None and rnd.status == RoundStatus.HELD and rnd.notes == "good round"


def test_an_empty_agenda_closes_as_a_check_in(
    world: World, sessions: sessionmaker[Session], in_window: FrozenClock, settings: Settings,
    browser_for: Browser,
) -> None:
    round_id = _prepare(sessions, world, in_window, settings)
    lead = browser_for("lead")
    url = f"/rounds/{round_id}"
    assert "Record a check-in" in lead.get(url).text
    r = _post(lead, url, f"{url}/close", {})
    assert r.status_code == 303  # type: ignore[attr-defined]
    with sessions() as s:
        assert s.get(HomeRound, round_id).status == RoundStatus.CHECK_IN  # type: ignore[union-attr]
    history = lead.get(f"/homes/{world.home_a.id}/rounds")
    assert "Check-in" in history.text and "2026-W46" in history.text


# ---------------------------------------------------------------- access


def test_other_homes_rounds_do_not_exist_and_staff_cannot_decide(
    world: World, sessions: sessionmaker[Session], in_window: FrozenClock, settings: Settings,
    browser_for: Browser, admit: Admit,
) -> None:
    resident = admit()
    round_id = _prepare(sessions, world, in_window, settings)
    nurse_b = browser_for("nurse.b")
    assert nurse_b.get(f"/rounds/{round_id}").status_code == 404
    assert nurse_b.get(f"/rounds/{round_id}/decisions").status_code == 404
    assert nurse_b.get(f"/homes/{world.home_a.id}/rounds").status_code == 404

    staff = browser_for("staff.a")
    agenda = staff.get(f"/rounds/{round_id}")
    assert agenda.status_code == 200 and "Record MDT decisions" not in agenda.text
    assert staff.get(f"/rounds/{round_id}/decisions").status_code == 403
    item = _items(sessions, round_id)[resident]
    r = staff.post(f"/rounds/{round_id}/decisions", data={
        f"{item.id}-response": "maintain", "csrf_token": csrf_from(agenda.text)})
    assert r.status_code == 403 and "You cannot do this" in r.text
    r = staff.post(f"/homes/{world.home_a.id}/rounds/prepare",
                   data={"csrf_token": csrf_from(agenda.text)})
    assert r.status_code == 403
    r = staff.post(f"/rounds/{round_id}/close", data={})  # no CSRF token
    assert r.status_code == 403 and "could not be sent" in r.text
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(AgendaDecision)) == 0


# ---------------------------------------------------------------- history and preparing


def test_coordinators_prepare_the_next_round_once_its_window_is_open(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, browser_for: Browser,
) -> None:
    clock.set(datetime.fromisoformat("2026-11-05T09:00:00+00:00"))  # Thursday: too early
    coord = browser_for("coord")
    url = f"/homes/{world.home_a.id}/rounds"
    page = coord.get(url)
    assert page.status_code == 200 and "No rounds yet" in page.text
    assert 'href="/rounds"' in page.text  # 'Rounds' in the navigation
    r = _post(coord, url, f"{url}/prepare", {})
    assert r.status_code == 303 and r.headers["location"] == url  # type: ignore[attr-defined]
    told = coord.get(url).text
    assert "Its preparation opens on Sunday 8 November" in told
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(HomeRound)) == 0

    clock.set(WINDOW_OPEN)
    coord = browser_for("coord")  # days later: a new session
    r = _post(coord, url, f"{url}/prepare", {})
    assert r.status_code == 303  # type: ignore[attr-defined]
    with sessions() as s:
        rnd = s.scalars(select(HomeRound)).one()
    assert r.headers["location"] == f"/rounds/{rnd.id}"  # type: ignore[attr-defined]
    history = coord.get(url).text
    assert "Preparing" in history and f'href="/rounds/{rnd.id}"' in history
    assert "Prepare next round now" in history
    assert "Prepare next round now" not in browser_for("nurse.a").get(url).text


# ---------------------------------------------------------------- the round's steps


def test_the_prepare_step_is_home_level_and_links_to_the_agenda(
    world: World, sessions: sessionmaker[Session], in_window: FrozenClock, settings: Settings,
    browser_for: Browser,
) -> None:
    round_id = _prepare(sessions, world, in_window, settings)
    with sessions() as s:
        step = s.scalars(select(Step).where(Step.kind == RoundStep.PREPARE_ROUND)).one()
    coord = browser_for("coord")
    work = coord.get("/my-work")
    assert work.status_code == 200 and "Whole home (round agenda)" in work.text
    url = f"/steps/{step.id}"
    page = coord.get(url)
    assert page.status_code == 200 and "Home A" in page.text
    assert f'href="/rounds/{round_id}"' in page.text
    assert "Check the draft agenda with the home" in page.text  # the instructions
    r = _post(coord, url, f"{url}/claim", {})
    assert r.status_code == 303  # type: ignore[attr-defined]
    r = _post(coord, url, f"{url}/complete", {"notes": "all fine"})
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert "Confirm that you have checked the agenda with the home" in r.text  # type: ignore[attr-defined]
    assert 'href="#agenda_checked"' in r.text  # type: ignore[attr-defined]
    r = _post(coord, url, f"{url}/complete", {"agenda_checked": "yes", "notes": "all fine"})
    assert r.status_code == 303  # type: ignore[attr-defined]
    assert r.headers["location"] == f"/rounds/{round_id}"  # type: ignore[attr-defined]
    with sessions() as s:
        done = s.get(Step, step.id)
        assert done is not None and done.status == StepStatus.COMPLETED
        assert done.outcome == {"agenda_checked": True, "notes": "all fine"}


def _referral(sessions: sessionmaker[Session], world: World, clock: FrozenClock,
              settings: Settings, resident_id: uuid.UUID) -> uuid.UUID:
    from care.directory.access import load_actor
    from care.rounds.schemas import DecisionIn

    round_id = _prepare(sessions, world, clock, settings)
    item = _items(sessions, round_id)[resident_id]
    with sessions() as s, s.begin():
        decision = rounds.record_decision(s, load_actor(s, world.users["lead"]), item.id,
                                          DecisionIn(response="referral",
                                                     referral_to="dietitian",
                                                     by_date="2026-11-17"),
                                          clock.now(), settings)
        assert decision.step_id is not None
        return decision.step_id


def test_a_referral_is_for_the_dietitian_only_and_its_review_date_opens_a_follow_up(
    world: World, sessions: sessionmaker[Session], in_window: FrozenClock, settings: Settings,
    browser_for: Browser, admit: Admit,
) -> None:
    resident = admit(given_name="Dora", family_name="Dale")
    with sessions() as s, s.begin():
        make_user(s, world.pcn, "dietitian.a", Role.MDT_MEMBER, Profession.DIETITIAN,
                  [world.home_a])
    step_id = _referral(sessions, world, in_window, settings, resident)
    url = f"/steps/{step_id}"

    gp = browser_for("gp.a")
    page = gp.get(url)
    assert "For: dietitian" in page.text and 'id="claim"' not in page.text
    assert "Only a dietitian serving the home takes this step" in page.text
    assert gp.post(f"{url}/claim", data={"csrf_token": csrf_from(page.text)}).status_code == 403

    dietitian = browser_for("dietitian.a")
    work = dietitian.get("/my-work")
    assert "Referral: dietitian" in work.text and "For: dietitian" in work.text
    assert _post(dietitian, url, f"{url}/claim", {}).status_code == 303  # type: ignore[attr-defined]
    r = _post(dietitian, url, f"{url}/complete", {"outcome": "Fortify meals"})
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert "Select how the resident was seen" in r.text  # type: ignore[attr-defined]
    assert "Fortify meals" in r.text  # type: ignore[attr-defined]
    r = _post(dietitian, url, f"{url}/complete", {
        "contact": "video", "outcome": "Fortify meals; weekly weights",
        "review_on[day]": "24", "review_on[month]": "11", "review_on[year]": "2026"})
    assert r.status_code == 303, r.text  # type: ignore[attr-defined]
    with sessions() as s:
        follow = s.scalars(select(Step).where(Step.kind == RoundStep.FOLLOW_UP)).one()
        dietitian_id = s.scalars(select(User.id).where(User.username == "dietitian.a")).one()
        assert follow.assignee_id == dietitian_id and follow.resident_id == resident
    done = dietitian.get(url).text
    assert "Video call" in done and "24 November 2026" in done


def test_the_medication_review_form_maps_errors_and_records_the_review(
    world: World, sessions: sessionmaker[Session], in_window: FrozenClock, settings: Settings,
    browser_for: Browser, admit: Admit,
) -> None:
    resident = admit()
    _prepare(sessions, world, in_window, settings)
    with sessions() as s, s.begin():
        make_user(s, world.pcn, "pharm.a", Role.MDT_MEMBER, Profession.PHARMACIST,
                  [world.home_a])
        smr = s.scalars(select(Step).where(Step.kind == RoundStep.MEDICATION_REVIEW,
                                           Step.resident_id == resident)).one()
    pharmacist = browser_for("pharm.a")
    url = f"/steps/{smr.id}"
    assert _post(pharmacist, url, f"{url}/claim", {}).status_code == 303  # type: ignore[attr-defined]
    r = _post(pharmacist, url, f"{url}/complete", {
        "medicines_count": "lots", "deprescribed-1": "Amitriptyline", "summary": ""})
    assert r.status_code == 422  # type: ignore[attr-defined]
    body = r.text  # type: ignore[attr-defined]
    assert "Enter the number of regular medicines after the review as a whole number" in body
    assert "Select whether changes were made" in body
    assert "Enter the summary shared with the resident and home" in body
    assert "Enter the next review date" in body
    assert 'value="Amitriptyline"' in body
    r = _post(pharmacist, url, f"{url}/complete", {
        "medicines_count": "7", "changes_made": "yes", "deprescribed-1": "Amitriptyline",
        "referred_to_gp": "yes", "summary": "Stopped amitriptyline (falls risk).",
        "next_review_on[day]": "8", "next_review_on[month]": "5",
        "next_review_on[year]": "2027"})
    assert r.status_code == 303, r.text  # type: ignore[attr-defined]
    with sessions() as s:
        done = s.get(Step, smr.id)
        assert done is not None and done.outcome is not None
        assert done.outcome["deprescribed"] == ["Amitriptyline"]
        assert done.outcome["medicines_count"] == 7 and done.outcome["referred_to_gp"] is True
        event = s.scalars(select(ResidentEvent).where(
            ResidentEvent.kind == ResidentEventKind.SMR)).one()
        assert event.resident_id == resident


def test_registration_and_dementia_offer_forms(
    world: World, sessions: sessionmaker[Session], in_window: FrozenClock, settings: Settings,
    browser_for: Browser, admit: Admit,
) -> None:
    resident = admit(gp_practice_ods="Z99999", gp_practice_name="Far Surgery",
                     dementia_status="possible_undiagnosed")
    _prepare(sessions, world, in_window, settings)
    with sessions() as s:
        steps = {st.kind: st for st in s.scalars(select(Step).where(
            Step.resident_id == resident, Step.kind.in_(
                (RoundStep.REGISTRATION_CONVERSATION, RoundStep.DEMENTIA_ASSESSMENT_OFFER))))}
    assert set(steps) == {RoundStep.REGISTRATION_CONVERSATION,
                          RoundStep.DEMENTIA_ASSESSMENT_OFFER}
    nurse = browser_for("nurse.a")
    url = f"/steps/{steps[RoundStep.REGISTRATION_CONVERSATION].id}"
    assert "Far Surgery" in nurse.get(url).text  # the instructions
    _post(nurse, url, f"{url}/claim", {})
    r = _post(nurse, url, f"{url}/complete", {"notes": "daughter present"})
    assert r.status_code == 422 and "Select the resident&#39;s choice" in r.text  # type: ignore[attr-defined]
    r = _post(nurse, url, f"{url}/complete", {"choice": "stay_with_current_practice",
                                              "notes": "daughter present"})
    assert r.status_code == 303  # type: ignore[attr-defined]

    url = f"/steps/{steps[RoundStep.DEMENTIA_ASSESSMENT_OFFER].id}"
    _post(nurse, url, f"{url}/claim", {})
    r = _post(nurse, url, f"{url}/complete", {"offer": "accepted",
                                              "referred_to": "memory service"})
    assert r.status_code == 303  # type: ignore[attr-defined]
    with sessions() as s:
        offer = s.get(Step, steps[RoundStep.DEMENTIA_ASSESSMENT_OFFER].id)
        assert offer is not None and offer.outcome is not None
        assert offer.outcome["offer"] == "accepted"
        assert offer.outcome["referred_to"] == "memory service"
