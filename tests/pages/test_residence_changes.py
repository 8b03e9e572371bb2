"""Recording where a resident is, through the pages: hospital stay, return, discharge, death.
Each form goes through the app with its CSRF token; the rows it wrote are checked."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments.kinds import AssessmentStep
from care.audit.models import AuditEvent
from care.clock import FrozenClock
from care.journeys.models import Journey, Step, StepStatus
from care.residents.kinds import Stage
from care.residents.models import Episode, EpisodeEnd, EpisodeStart, Resident, ResidentStatus
from care.residents.models import Setting as Place
from tests.factories import World
from tests.pages.conftest import csrf_from

Browser = Callable[[str], TestClient]
Admit = Callable[..., uuid.UUID]
LONDON = ZoneInfo("Europe/London")


def _date(prefix: str, day: date) -> dict[str, str]:
    return {f"{prefix}[day]": str(day.day), f"{prefix}[month]": str(day.month),
            f"{prefix}[year]": str(day.year)}


def _form(client: TestClient, resident_id: uuid.UUID, slug: str) -> str:
    page = client.get(f"/residents/{resident_id}/residence/{slug}")
    assert page.status_code == 200, page.text
    return csrf_from(page.text)


def _steps(sessions: sessionmaker[Session], resident_id: uuid.UUID) -> list[Step]:
    with sessions() as s:
        return list(s.scalars(select(Step).where(Step.resident_id == resident_id)
                              .order_by(Step.opened_at, Step.kind)))


def _episodes(sessions: sessionmaker[Session], resident_id: uuid.UUID) -> list[Episode]:
    with sessions() as s:
        return list(s.scalars(select(Episode).where(Episode.resident_id == resident_id)
                              .order_by(Episode.started_on, Episode.created_at)))


def _resident(sessions: sessionmaker[Session], resident_id: uuid.UUID) -> Resident:
    with sessions() as s:
        resident = s.get(Resident, resident_id)
        assert resident is not None
        return resident


def _audits(sessions: sessionmaker[Session], action: str) -> list[AuditEvent]:
    with sessions() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_hospital_stay_then_return_opens_a_new_assessment_due_7_working_days_later(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session], clock: FrozenClock,
    world: World,
) -> None:
    resident_id = admit(given_name="Ada", family_name="Abbott")  # Monday 2 November
    clock.advance(days=2)
    client = browser_for("staff.a")
    page = client.get(f"/residents/{resident_id}").text
    assert 'id="action-hospital-stay"' in page and "Record hospital admission" in page
    assert 'id="action-discharge"' in page and 'id="action-death"' in page
    assert 'id="action-readmission"' not in page

    form = client.get(f"/residents/{resident_id}/residence/hospital-stay")
    assert 'name="admitted_on[day]" type="text" value="4"' in form.text  # today
    assert "Person-centred holistic assessment" in form.text  # the step that will pause
    r = client.post(f"/residents/{resident_id}/residence/hospital-stay", data={
        "csrf_token": csrf_from(form.text), **_date("admitted_on", date(2026, 11, 3)),
        "hospital_name": "Royal Test Infirmary", "note": "Fall; suspected hip fracture.",
    })
    assert r.status_code == 303 and r.headers["location"] == f"/residents/{resident_id}"
    page = client.get(r.headers["location"]).text
    assert "Hospital admission recorded for Ada Abbott" in page
    assert '<dd class="nhsuk-summary-list__value" id="stage">In hospital</dd>' in page
    assert "admitted to hospital; new steps open on return" in page
    assert 'id="action-readmission"' in page and "Record return from hospital" in page
    assert 'id="action-hospital-stay"' not in page

    [care_home, hospital] = _episodes(sessions, resident_id)
    assert (care_home.setting, care_home.ended_on, care_home.end_reason) == (
        Place.CARE_HOME, date(2026, 11, 3), EpisodeEnd.HOSPITAL_ADMISSION)
    assert (hospital.setting, hospital.start_reason, hospital.started_on) == (
        Place.HOSPITAL, EpisodeStart.HOSPITAL_ADMISSION, date(2026, 11, 3))
    assert hospital.hospital_name == "Royal Test Infirmary"
    assert hospital.note == "Fall; suspected hip fracture."
    [first] = _steps(sessions, resident_id)
    assert first.status == StepStatus.CANCELLED
    assert first.cancelled_reason == "admitted to hospital; new steps open on return"
    assert _resident(sessions, resident_id).status == ResidentStatus.IN_HOSPITAL
    [entry] = _audits(sessions, "resident.hospital_stay")
    assert (entry.channel, entry.resident_id, entry.user_id) == (
        "web", resident_id, world.users["staff.a"].id)

    # Back on Tuesday 10 November: 7 working days later is Thursday 19 November.
    clock.advance(days=7)
    client = browser_for("staff.a")
    csrf = _form(client, resident_id, "readmission")
    r = client.post(f"/residents/{resident_id}/residence/readmission", data={
        "csrf_token": csrf, **_date("readmitted_on", date(2026, 11, 10)),
        "note": "Home with a walking frame.",
    })
    assert r.status_code == 303, r.text
    page = client.get(f"/residents/{resident_id}").text
    assert "Return to the home recorded for Ada Abbott" in page
    assert "Person-centred holistic assessment, due 19 November 2026" in page  # the banner
    assert 'id="stage">Holistic assessment</dd>' in page
    open_table = page.split('id="open-steps"')[1].split("</table>")[0]
    assert "Person-centred holistic assessment" in open_table
    assert "19 November 2026" in open_table
    earlier = page.split('id="earlier-steps"')[1].split("</table>")[0]
    assert "admitted to hospital; new steps open on return" in earlier

    steps = _steps(sessions, resident_id)
    assert [(s.kind, s.status) for s in steps] == [
        (AssessmentStep.HOLISTIC_ASSESSMENT, StepStatus.CANCELLED),
        (AssessmentStep.HOLISTIC_ASSESSMENT, StepStatus.READY),
    ]
    assert steps[1].due_at.astimezone(LONDON).date() == date(2026, 11, 19)
    episodes = _episodes(sessions, resident_id)
    assert [(e.setting, e.start_reason, e.started_on, e.ended_on) for e in episodes] == [
        (Place.CARE_HOME, EpisodeStart.ADMISSION, date(2026, 11, 2), date(2026, 11, 3)),
        (Place.HOSPITAL, EpisodeStart.HOSPITAL_ADMISSION, date(2026, 11, 3),
         date(2026, 11, 10)),
        (Place.CARE_HOME, EpisodeStart.READMISSION, date(2026, 11, 10), None),
    ]
    assert episodes[1].end_reason == EpisodeEnd.RETURNED
    assert steps[1].episode_id == episodes[2].id
    assert [e.channel for e in _audits(sessions, "resident.readmit")] == ["web"]
    # And the new step waits in the MDT's queue.
    assert "Ada Abbott" in browser_for("nurse.a").get("/my-work").text


def test_hospital_stay_errors_are_summarised_and_the_input_kept(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session],
) -> None:
    resident_id = admit()
    client = browser_for("nurse.a")
    csrf = _form(client, resident_id, "hospital-stay")
    base = {"csrf_token": csrf, "hospital_name": "Royal Test Infirmary", "note": "Chest pain."}

    r = client.post(f"/residents/{resident_id}/residence/hospital-stay",
                    data={**base, **_date("admitted_on", date(2026, 11, 9))})
    assert r.status_code == 422
    assert "There is a problem" in r.text and 'href="#admitted_on-day"' in r.text
    assert "The date they went into hospital must not be in the future" in r.text
    assert 'value="Royal Test Infirmary"' in r.text and "Chest pain." in r.text
    assert 'value="9"' in r.text  # the date as typed

    r = client.post(f"/residents/{resident_id}/residence/hospital-stay", data={
        **base, "admitted_on[day]": "31", "admitted_on[month]": "2", "admitted_on[year]": "2026"})
    assert r.status_code == 422
    assert "Enter the date they went into hospital as a real date" in r.text

    r = client.post(f"/residents/{resident_id}/residence/hospital-stay",
                    data={**base, "hospital_name": "x" * 201})
    assert r.status_code == 422
    assert "Enter the date they went into hospital" in r.text
    assert 'href="#hospital_name"' in r.text and "The hospital name is too long" in r.text
    assert r.text.index('href="#admitted_on-day"') < r.text.index('href="#hospital_name"')

    r = client.post(f"/residents/{resident_id}/residence/hospital-stay",
                    data={**base, **_date("admitted_on", date(2026, 10, 30))})
    assert r.status_code == 422 and "must not be before the current episode began" in r.text

    assert _resident(sessions, resident_id).status == ResidentStatus.RESIDENT
    assert [s.status for s in _steps(sessions, resident_id)] == [StepStatus.READY]
    assert len(_episodes(sessions, resident_id)) == 1
    assert _audits(sessions, "resident.hospital_stay") == []


def test_discharge_warns_and_needs_explicit_confirmation(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session], world: World,
) -> None:
    resident_id = admit(given_name="Bill", family_name="Baker")
    client = browser_for("coord")
    form = client.get(f"/residents/{resident_id}/residence/discharge")
    assert form.status_code == 200
    assert "Open steps will be cancelled" in form.text
    warning = form.text.split('id="steps-to-cancel"')[1].split("</ul>")[0]
    assert "Person-centred holistic assessment" in warning
    # The date is entered deliberately, not prefilled with today.
    assert 'name="discharged_on[day]" type="text" value=""' in form.text
    data = {"csrf_token": csrf_from(form.text), **_date("discharged_on", date(2026, 11, 2)),
            "destination": "Own home with a care package"}

    r = client.post(f"/residents/{resident_id}/residence/discharge", data=data)
    assert r.status_code == 422
    assert 'href="#confirm"' in r.text
    assert "Confirm that the open steps will be cancelled and the journey will end" in r.text
    assert 'value="Own home with a care package"' in r.text
    assert _resident(sessions, resident_id).status == ResidentStatus.RESIDENT
    assert _steps(sessions, resident_id)[0].status == StepStatus.READY

    r = client.post(f"/residents/{resident_id}/residence/discharge",
                    data={**data, "confirm": "yes"})
    assert r.status_code == 303, r.text
    page = client.get(f"/residents/{resident_id}").text
    assert "Discharge recorded for Bill Baker" in page
    assert 'id="stage">Discharged</dd>' in page
    assert "resident discharged from the home" in page
    assert "Discharged from the home to Own home with a care package" in page  # timeline
    assert "No open steps." in page
    assert 'id="action-readmission"' in page and "Record re-admission" in page
    assert 'id="action-discharge"' not in page

    [step] = _steps(sessions, resident_id)
    assert (step.status, step.cancelled_reason) == (
        StepStatus.CANCELLED, "resident discharged from the home")
    [episode] = _episodes(sessions, resident_id)
    assert (episode.ended_on, episode.end_reason) == (date(2026, 11, 2), EpisodeEnd.DISCHARGE)
    with sessions() as s:
        journey = s.scalars(select(Journey).where(Journey.resident_id == resident_id)).one()
        assert journey.stage == Stage.DISCHARGED and journey.finished_at is not None
    [entry] = _audits(sessions, "resident.discharge")
    assert (entry.channel, entry.user_id) == ("web", world.users["coord"].id)
    # Nothing more to discharge: the form is refused.
    assert client.get(f"/residents/{resident_id}/residence/discharge").status_code == 409


def test_death_cancels_open_steps_and_ends_the_journey(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session],
) -> None:
    resident_id = admit(given_name="Cora", family_name="Cole")
    client = browser_for("nurse.a")
    form = client.get(f"/residents/{resident_id}/residence/death")
    assert "This cannot be undone here" in form.text
    assert "I understand that the open step will be cancelled" in form.text
    r = client.post(f"/residents/{resident_id}/residence/death", data={
        "csrf_token": csrf_from(form.text), **_date("died_on", date(2026, 11, 2)),
        "place_of_death": "In the care home", "confirm": "yes",
    })
    assert r.status_code == 303, r.text
    page = client.get(f"/residents/{resident_id}").text
    assert "Death recorded for Cora Cole" in page
    assert 'id="stage">Died</dd>' in page
    assert "Died (In the care home)" in page
    assert "resident died" in page
    assert 'id="residence-actions"' not in page  # nothing more to record
    [step] = _steps(sessions, resident_id)
    assert (step.status, step.cancelled_reason) == (StepStatus.CANCELLED, "resident died")
    assert _resident(sessions, resident_id).status == ResidentStatus.DECEASED
    [episode] = _episodes(sessions, resident_id)
    assert episode.end_reason == EpisodeEnd.DEATH
    assert [e.channel for e in _audits(sessions, "resident.death")] == ["web"]
    assert client.get(f"/residents/{resident_id}/residence/readmission").status_code == 409


def test_readmission_is_refused_while_the_person_is_admitted_elsewhere(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session],
) -> None:
    first = admit(nhs_number="9990001243")
    client = browser_for("staff.a")
    csrf = _form(client, first, "discharge")
    client.post(f"/residents/{first}/residence/discharge", data={
        "csrf_token": csrf, **_date("discharged_on", date(2026, 11, 2)), "confirm": "yes"})
    admit(nhs_number="9990001243")  # admitted again, as a new resident record
    csrf = _form(client, first, "readmission")
    r = client.post(f"/residents/{first}/residence/readmission", data={
        "csrf_token": csrf, **_date("readmitted_on", date(2026, 11, 2))})
    assert r.status_code == 422
    assert 'href="#readmitted_on-day"' in r.text
    assert "This person already has an active admission to a care home" in r.text
    assert _resident(sessions, first).status == ResidentStatus.DISCHARGED


def test_who_may_record_residence_changes(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session],
) -> None:
    resident_id = admit()
    admin = browser_for("admin")
    page = admin.get(f"/residents/{resident_id}").text
    assert 'id="residence-actions"' not in page
    assert admin.get(f"/residents/{resident_id}/residence/hospital-stay").status_code == 403
    r = admin.post(f"/residents/{resident_id}/residence/death", data={
        "csrf_token": csrf_from(page), **_date("died_on", date(2026, 11, 2)), "confirm": "yes"})
    assert r.status_code == 403

    other_home = browser_for("nurse.b")
    assert other_home.get(f"/residents/{resident_id}/residence/discharge").status_code == 404
    r = other_home.post(f"/residents/{resident_id}/residence/discharge", data={
        "csrf_token": csrf_from(other_home.get("/my-work").text),
        **_date("discharged_on", date(2026, 11, 2)), "confirm": "yes"})
    assert r.status_code == 404

    nurse = browser_for("nurse.a")
    assert nurse.get(f"/residents/{resident_id}/residence/moved-to-mars").status_code == 404
    r = nurse.post(f"/residents/{resident_id}/residence/hospital-stay",
                   data=_date("admitted_on", date(2026, 11, 2)))
    assert r.status_code == 403  # no CSRF token
    assert _resident(sessions, resident_id).status == ResidentStatus.RESIDENT
