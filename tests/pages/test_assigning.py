"""Coordinators and clinical leads assign steps to named members of the home's MDT and release
steps held by others, from the step page and the coordinator page."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments.kinds import AssessmentStep
from care.audit.models import AuditEvent
from care.journeys.models import Step, StepStatus
from tests.factories import World
from tests.pages.conftest import csrf_from

Browser = Callable[[str], TestClient]
Admit = Callable[..., uuid.UUID]


def _assessment(sessions: sessionmaker[Session], resident_id: uuid.UUID) -> Step:
    with sessions() as s:
        return s.scalars(select(Step).where(Step.resident_id == resident_id,
                                            Step.kind == AssessmentStep.HOLISTIC_ASSESSMENT)).one()


def _options(html: str, select_id: str) -> str:
    return html.split(f'id="{select_id}"')[1].split("</select>")[0]


def test_coordinator_assigns_from_the_step_page_and_the_assignee_sees_it(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session], world: World,
) -> None:
    resident_id = admit(given_name="Ada", family_name="Abbott")
    step = _assessment(sessions, resident_id)
    coord = browser_for("coord")
    page = coord.get(f"/steps/{step.id}").text
    assert 'id="assign-form"' in page
    options = _options(page, "assignee_id")
    # Home A's members who can do an assessment; not home B's nurse, not the coordinator.
    for name in ("Nurse A", "Gp A", "Staff A", "Lead"):
        assert name in options
    for name in ("Nurse B", "Coord", "Admin"):
        assert name not in options
    assert "(district nurse)" in options

    nurse = world.users["nurse.a"]
    r = coord.post(f"/steps/{step.id}/assign", data={
        "csrf_token": csrf_from(page), "assignee_id": str(nurse.id), "from": "step"})
    assert r.status_code == 303 and r.headers["location"] == f"/steps/{step.id}"
    after = coord.get(r.headers["location"]).text
    assert "Person-centred holistic assessment assigned to Nurse A" in after
    assert "taken by Nurse A" in after
    assert "Release from Nurse A" in after
    assert "Nurse A" not in _options(after, "assignee_id")  # reassign to someone else

    done = _assessment(sessions, resident_id)
    assert (done.status, done.assignee_id) == (StepStatus.CLAIMED, nurse.id)
    with sessions() as s:
        [entry] = s.scalars(select(AuditEvent).where(AuditEvent.action == "step.assign")).all()
    assert (entry.channel, entry.user_id, entry.resident_id) == (
        "web", world.users["coord"].id, resident_id)
    assert entry.after is not None and entry.after["assignee_id"] == str(nurse.id)

    mine = browser_for("nurse.a").get("/my-work").text
    assigned = mine.split('id="assigned-to-me"')[1].split("</table>")[0]
    assert "Ada Abbott" in assigned and "Person-centred holistic assessment" in assigned
    assert 'id="outcome-form"' in browser_for("nurse.a").get(f"/steps/{step.id}").text


def test_assign_errors_are_shown_as_an_error_summary(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session], world: World,
) -> None:
    step = _assessment(sessions, admit())
    lead = browser_for("lead")
    csrf = csrf_from(lead.get(f"/steps/{step.id}").text)

    r = lead.post(f"/steps/{step.id}/assign", data={"csrf_token": csrf, "assignee_id": ""})
    assert r.status_code == 422
    assert 'href="#assignee_id"' in r.text and "Select who to assign this step to" in r.text

    r = lead.post(f"/steps/{step.id}/assign", data={
        "csrf_token": csrf, "assignee_id": str(world.users["nurse.b"].id)})
    assert r.status_code == 422 and "There is a problem" in r.text
    assert "The person chosen is not an active member serving this resident" in r.text
    assert 'id="assignee_id-error"' in r.text

    r = lead.post(f"/steps/{step.id}/assign", data={
        "csrf_token": csrf, "assignee_id": str(world.users["admin"].id)})
    assert r.status_code == 422
    assert "The person chosen cannot do this kind of step" in r.text

    assert _assessment(sessions, step.resident_id).status == StepStatus.READY
    with sessions() as s:
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "step.assign")).all() == []


def test_coordinator_page_assigns_and_releases(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session], world: World,
) -> None:
    step = _assessment(sessions, admit(given_name="Bill", family_name="Baker"))
    coord = browser_for("coord")
    page = coord.get("/coordinator").text
    select_id = f"assignee-{step.id}"
    assert "Gp A" in _options(page, select_id)
    csrf = csrf_from(page)

    r = coord.post(f"/steps/{step.id}/assign", data={
        "csrf_token": csrf, "assignee_id": str(world.users["nurse.b"].id), "from": "coordinator"})
    assert r.status_code == 422
    assert "<h1>Open and overdue steps by home</h1>" in r.text
    assert f'href="#{select_id}"' in r.text and f'id="{select_id}-error"' in r.text

    r = coord.post(f"/steps/{step.id}/assign", data={
        "csrf_token": csrf, "assignee_id": str(world.users["gp.a"].id), "from": "coordinator"})
    assert r.status_code == 303
    assert r.headers["location"] == f"/coordinator#home-{world.home_a.id}"
    page = coord.get("/coordinator").text
    assert "assigned to Gp A" in page
    assert f'id="release-{step.id}"' in page
    assert _assessment(sessions, step.resident_id).assignee_id == world.users["gp.a"].id

    r = coord.post(f"/steps/{step.id}/release", data={"csrf_token": csrf, "from": "coordinator"})
    assert r.status_code == 303
    assert r.headers["location"] == f"/coordinator#home-{world.home_a.id}"
    released = _assessment(sessions, step.resident_id)
    assert (released.status, released.assignee_id) == (StepStatus.READY, None)
    assert "is back in the home&#39;s queue" in coord.get("/coordinator").text
    with sessions() as s:
        entries = s.scalars(select(AuditEvent).where(AuditEvent.action == "step.release")).all()
    assert [(e.channel, e.user_id) for e in entries] == [("web", world.users["coord"].id)]


def test_coordinator_releases_a_step_someone_else_holds_from_the_step_page(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session],
) -> None:
    step = _assessment(sessions, admit())
    nurse = browser_for("nurse.a")
    page = nurse.get(f"/steps/{step.id}").text
    nurse.post(f"/steps/{step.id}/claim", data={"csrf_token": csrf_from(page)})
    # Another MDT member may not release it...
    gp = browser_for("gp.a")
    page = gp.get(f"/steps/{step.id}").text
    assert 'id="release"' not in page
    r = gp.post(f"/steps/{step.id}/release", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 403
    # ...a clinical lead may, and comes back to the step to hand it on.
    lead = browser_for("lead")
    page = lead.get(f"/steps/{step.id}").text
    assert "Release from Nurse A" in page
    r = lead.post(f"/steps/{step.id}/release", data={"csrf_token": csrf_from(page),
                                                      "from": "step"})
    assert r.status_code == 303 and r.headers["location"] == f"/steps/{step.id}"
    assert _assessment(sessions, step.resident_id).status == StepStatus.READY


def test_only_coordinators_and_clinical_leads_assign(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session], world: World,
) -> None:
    step = _assessment(sessions, admit())
    nurse_page = browser_for("nurse.a").get(f"/steps/{step.id}").text
    assert 'id="assign-form"' not in nurse_page and 'name="assignee_id"' not in nurse_page

    staff = browser_for("staff.a")
    page = staff.get(f"/steps/{step.id}").text
    assert 'id="assign-form"' not in page
    r = staff.post(f"/steps/{step.id}/assign", data={
        "csrf_token": csrf_from(page), "assignee_id": str(world.users["nurse.a"].id)})
    assert r.status_code == 403 and "You cannot do this" in r.text
    assert "may not assign steps" in r.text

    admin_page = browser_for("admin").get("/coordinator").text
    assert 'name="assignee_id"' not in admin_page and "Assign or release" not in admin_page

    assert browser_for("nurse.b").post(f"/steps/{step.id}/assign", data={
        "csrf_token": csrf_from(page), "assignee_id": str(world.users["nurse.a"].id),
    }).status_code == 403  # another session's token
    assert _assessment(sessions, step.resident_id).status == StepStatus.READY
