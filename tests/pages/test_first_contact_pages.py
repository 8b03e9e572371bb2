"""The coded first contact on the pages: the PCSP form's radios and clinician list, its errors
on the field with the input kept, labels (never codes) wherever the PCSP is shown, no claim of
a DNACPR record; and the clinical lead's review list per role (issue 8, items 5 and 6)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments import service as assessments
from care.assessments.kinds import AssessmentStep
from care.assessments.models import FirstContactReview
from care.clock import FrozenClock
from care.deterioration import service as deterioration
from care.deterioration.models import Deterioration
from care.deterioration.schemas import ObservationsIn
from care.directory.access import load_actor
from care.journeys.models import Step, StepStatus
from care.settings import Settings
from tests.factories import World
from tests.pages.conftest import csrf_from
from tests.pages.test_pages import ASSESSMENT_FORM, _claim, _step
from tests.test_first_contact import CONCERN, admit_planned, legacy_plan

Browser = Callable[[str], TestClient]
Admit = Callable[..., uuid.UUID]

PCSP_FORM = {
    "goals-0-description": "Walk to the garden each day",
    "actions-0-description": "Physiotherapy referral", "actions-0-owner": "matron",
    "hospital_admission": "no",
    "agreed_with": "resident and son",
    "review_date[day]": "1", "review_date[month]": "3", "review_date[year]": "2027",
}


def _pcsp_form(browser_for: Browser, admit: Admit, sessions: sessionmaker[Session]
               ) -> tuple[TestClient, uuid.UUID, str, str]:
    resident_id = admit()
    client = browser_for("nurse.a")
    assessment = _step(sessions, resident_id, AssessmentStep.HOLISTIC_ASSESSMENT)
    csrf = _claim(client, assessment.id)
    r = client.post(f"/steps/{assessment.id}/complete", data={**ASSESSMENT_FORM,
                                                             "csrf_token": csrf})
    assert r.status_code == 303, r.text
    plan = _step(sessions, resident_id, AssessmentStep.PCSP)
    csrf = _claim(client, plan.id)
    return client, plan.id, csrf, client.get(f"/steps/{plan.id}").text


def test_pcsp_form_offers_coded_choices_and_no_false_dnacpr_claim(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session], world: World,
) -> None:
    _, _, _, form = _pcsp_form(browser_for, admit, sessions)
    assert "recorded separately" not in form and "recorded elsewhere" not in form
    assert ("carejourney does not yet hold CPR or ReSPECT decisions: check the resident's "
            "ReSPECT form or DNACPR record held by the home.") in form
    for value, label in (("gp", "GP"), ("palliative_care_team", "Palliative care team"),
                         ("urgent_community_response", "Urgent community response team"),
                         ("named_clinician", "A named clinician"),
                         ("none", "No preference: the usual route")):
        assert f'name="preferred_contact" type="radio" value="{value}"' in form, value
        assert label in form
    assert 'type="text"' not in form.split('id="preferred_contact"')[1].split("</fieldset>")[0]
    assert " checked" not in form.split("Who to contact first")[1].split("</fieldset>")[0]
    # The home's clinicians, not care-home staff nor people of another home.
    assert f'value="{world.users["gp.a"].id}"' in form
    assert f'value="{world.users["lead"].id}"' in form
    assert f'value="{world.users["staff.a"].id}"' not in form
    assert f'value="{world.users["nurse.b"].id}"' not in form


def test_pcsp_form_errors_sit_on_the_field_and_keep_the_input(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session], world: World,
) -> None:
    client, step_id, csrf, _ = _pcsp_form(browser_for, admit, sessions)
    r = client.post(f"/steps/{step_id}/complete",
                    data={**PCSP_FORM, "preferred_contact": "not GP", "csrf_token": csrf})
    assert r.status_code == 422
    assert 'href="#preferred_contact"' in r.text and "Select who to contact first" in r.text
    assert 'id="preferred_contact-error"' in r.text
    assert "Walk to the garden each day" in r.text

    r = client.post(f"/steps/{step_id}/complete",
                    data={**PCSP_FORM, "preferred_contact": "named_clinician",
                          "csrf_token": csrf})
    assert r.status_code == 422
    assert 'href="#named_clinician_id"' in r.text
    assert "Select a clinician who serves this home as the named first contact" in r.text
    assert 'value="named_clinician" checked' in r.text  # the choice is kept

    r = client.post(f"/steps/{step_id}/complete",
                    data={**PCSP_FORM, "preferred_contact": "named_clinician",
                          "named_clinician_id": str(world.users["nurse.b"].id),
                          "csrf_token": csrf})
    assert r.status_code == 422
    assert "Select a clinician who serves this home as the named first contact" in r.text

    gp = world.users["gp.a"]
    r = client.post(f"/steps/{step_id}/complete",
                    data={**PCSP_FORM, "preferred_contact": "named_clinician",
                          "named_clinician_id": str(gp.id), "csrf_token": csrf})
    assert r.status_code == 303, r.text
    with sessions() as s:
        step = s.get(Step, step_id)
        assert step is not None and step.status == StepStatus.COMPLETED
        assert step.outcome is not None
        assert step.outcome["escalation_wishes"]["named_clinician_id"] == str(gp.id)
    shown = client.get(f"/steps/{step_id}").text
    assert f"{gp.display_name} (named clinician)" in shown
    assert "named_clinician" not in shown.split('id="outcome"')[1]


def test_a_clinician_left_in_the_list_does_not_travel_with_another_choice(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session], world: World,
) -> None:
    client, step_id, csrf, _ = _pcsp_form(browser_for, admit, sessions)
    r = client.post(f"/steps/{step_id}/complete",
                    data={**PCSP_FORM, "preferred_contact": "palliative_care_team",
                          "named_clinician_id": str(world.users["gp.a"].id),
                          "csrf_token": csrf})
    assert r.status_code == 303, r.text
    with sessions() as s:
        step = s.get(Step, step_id)
        assert step is not None and step.outcome is not None
        wishes = step.outcome["escalation_wishes"]
        assert wishes["preferred_contact"] == "palliative_care_team"
        assert wishes["named_clinician_id"] is None
    assert "Palliative care team" in client.get(f"/steps/{step_id}").text


def test_deterioration_page_shows_the_label_or_the_words_awaiting_review(
    browser_for: Browser, world: World, sessions: sessionmaker[Session], settings: Settings,
    clock: FrozenClock,
) -> None:
    with sessions() as s, s.begin():
        coded = admit_planned(s, world, settings,
                              {"preferred_contact": "urgent_community_response"})
        words = legacy_plan(s, world, settings, "not GP, call Dr Smith")
    with sessions() as s, s.begin():
        staff = load_actor(s, world.users["staff.a"])
        for rid in (coded, words):
            deterioration.record_observations(s, staff, rid, ObservationsIn(**CONCERN),
                                              clock.now() + timedelta(minutes=1))
    client = browser_for("gp.a")
    with sessions() as s:
        ids = {d.resident_id: d.id for d in s.scalars(select(Deterioration))}
    page = client.get(f"/deteriorations/{ids[coded]}").text
    wishes = page.split('id="wishes"')[1].split("</dd>")[0]
    assert "Contact first: Urgent community response team." in wishes
    assert "urgent_community_response" not in wishes
    page = client.get(f"/deteriorations/{ids[words]}").text
    wishes = page.split('id="wishes"')[1].split("</dd>")[0]
    assert ("First contact recorded as free text, awaiting the clinical lead&#39;s review: "
            "&#39;not GP, call Dr Smith&#39;.") in wishes


def _review(world: World, sessions: sessionmaker[Session], settings: Settings) -> uuid.UUID:
    with sessions() as s, s.begin():
        legacy_plan(s, world, settings, "not GP, call Dr Smith")
        return s.scalars(select(FirstContactReview.id)).one()


def test_review_page_per_role(
    browser_for: Browser, world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    review_id = _review(world, sessions, settings)
    lead = browser_for("lead").get("/first-contact-reviews")
    assert lead.status_code == 200
    assert "not GP, call Dr Smith" in lead.text and f'id="{review_id}-form"' in lead.text
    coordinator = browser_for("coord")
    assert 'href="/first-contact-reviews"' in coordinator.get("/coordinator").text
    read = coordinator.get("/first-contact-reviews")
    assert read.status_code == 200 and "not GP, call Dr Smith" in read.text
    assert f'id="{review_id}-form"' not in read.text  # coordinators read, they do not resolve
    r = coordinator.post(f"/first-contact-reviews/{review_id}/resolve", data={
        "csrf_token": csrf_from(read.text), f"{review_id}-preferred_contact": "gp",
        f"{review_id}-reason": "asked"})
    assert r.status_code == 403
    for who in ("staff.a", "gp.a", "nurse.b"):
        assert browser_for(who).get("/first-contact-reviews").status_code == 403, who
    with sessions() as s:
        assert s.get(FirstContactReview, review_id).resolved_at is None  # type: ignore[union-attr]


def test_clinical_lead_resolves_on_the_page(
    browser_for: Browser, world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    review_id = _review(world, sessions, settings)
    client = browser_for("lead")
    page = client.get("/first-contact-reviews").text
    p = f"{review_id}-"
    r = client.post(f"/first-contact-reviews/{review_id}/resolve",
                    data={"csrf_token": csrf_from(page), f"{p}reason": ""})
    assert r.status_code == 422
    assert f'href="#{p}preferred_contact"' in r.text and f'href="#{p}reason"' in r.text
    assert "Select who to contact first" in r.text and "Enter why you chose this" in r.text

    r = client.post(f"/first-contact-reviews/{review_id}/resolve", data={
        "csrf_token": csrf_from(page), f"{p}preferred_contact": "named_clinician",
        f"{p}named_clinician_id": str(world.users["nurse.b"].id),
        f"{p}reason": "The family asked for the nurse"})
    assert r.status_code == 422
    assert "Select a clinician who serves the home as the named first contact" in r.text
    assert "The family asked for the nurse" in r.text  # kept

    r = client.post(f"/first-contact-reviews/{review_id}/resolve", data={
        "csrf_token": csrf_from(page), f"{p}preferred_contact": "palliative_care_team",
        f"{p}reason": "Known to the hospice; Dr Smith was the hospice doctor"})
    assert r.status_code == 303 and r.headers["location"] == "/first-contact-reviews"
    after = client.get("/first-contact-reviews").text
    assert "first contact is coded" in after and 'id="no-reviews"' in after
    resolved = client.get("/first-contact-reviews?status=resolved").text
    assert "Palliative care team" in resolved and "Known to the hospice" in resolved
    with sessions() as s:
        review = s.get(FirstContactReview, review_id)
        assert review is not None and review.resolved_by_id == world.users["lead"].id
        current = assessments.current_plan(s, review.resident_id)
        assert current is not None and current.version == review.resolved_plan_version
        assert current.escalation_wishes["preferred_contact"] == "palliative_care_team"


def test_a_pcsp_step_written_before_the_codes_quotes_its_words(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session],
) -> None:
    client, step_id, csrf, _ = _pcsp_form(browser_for, admit, sessions)
    r = client.post(f"/steps/{step_id}/complete",
                    data={**PCSP_FORM, "preferred_contact": "gp", "csrf_token": csrf})
    assert r.status_code == 303, r.text
    with sessions() as s, s.begin():
        step = s.get(Step, step_id)
        assert step is not None and step.outcome is not None
        # As an outcome recorded before the first contact was coded reads.
        step.outcome = {**step.outcome, "escalation_wishes": {
            **step.outcome["escalation_wishes"], "preferred_contact": "not GP"}}
    shown = client.get(f"/steps/{step_id}").text.split('id="preferred-contact"')[1]
    assert shown.split("</dd>")[0].strip(">").strip() == (
        "&#39;not GP&#39; (written as free text: never used to route an escalation)")
