"""One step: taking it, giving it back, assigning it, and completing it with its outcome form
(``steps_forms``)."""

from __future__ import annotations

import uuid

from fastapi import Request
from starlette.responses import Response

from api.deps import ContextDep, NowDep, SessionDep
from api.pages import steps_forms as forms
from api.pages.coordinator import coordinator_page
from api.pages.first_contact_forms import FIRST_CONTACT_ITEMS, clinician_items
from api.pages.formkit import YES_NO_ITEMS, FieldErrors, form_values, may_perform
from api.pages.web import (
    CheckedSessionDep,
    FormDep,
    PageSession,
    PageSessionDep,
    flash,
    page_router,
    redirect,
    render,
)
from api.schemas import names_for
from care.assessments.kinds import AssessmentStep
from care.assessments.rules import named_clinician_id
from care.audit.service import record as audit
from care.directory.access import ASSIGNING_ROLES
from care.directory.models import CareHome
from care.directory.service import members_of
from care.errors import InvalidInput
from care.journeys import service as journeys
from care.journeys.models import Step, StepStatus
from care.journeys.service import StepFilters
from care.residents import service as residents
from care.rounds.kinds import HOME_ROUND

router = page_router()


def _step_page(
    request: Request, page: PageSession, session: SessionDep, now: NowDep, step: Step, *,
    errors: FieldErrors | None = None, values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    actor = page.actor
    resident = (residents.get_resident(session, actor, step.resident_id)
                if step.resident_id else None)
    home = resident.home if resident else session.get(CareHome, step.home_id)
    can_perform = may_perform(actor, step)
    mine = step.assignee_id == actor.id
    is_pcsp = step.kind == AssessmentStep.PCSP
    clinician = (named_clinician_id((step.outcome or {}).get("escalation_wishes"))
                 if is_pcsp else None)
    names = names_for(session, {step.assignee_id, step.completed_by_id, clinician})
    can_assign = step.is_open and actor.role in ASSIGNING_ROLES
    return render(request, "pages/step.html", page, {
        "step": step,
        "can_assign": can_assign,
        "assignees": forms.assignee_items(step, members_of(session, step.home_id))
        if can_assign else [],
        "resident": resident,
        "home": home,
        "names": names,
        "can_claim": step.status == StepStatus.READY and can_perform,
        "can_release": step.status == StepStatus.CLAIMED
        and (mine or actor.role in ASSIGNING_ROLES),
        "show_form": step.status == StepStatus.CLAIMED and mine and can_perform,
        "can_perform": can_perform,
        "errors": errors or FieldErrors(),
        "values": values or {},
        "domains": forms.ASSESSMENT_DOMAINS,
        "hospital_wishes": forms.HOSPITAL_WISHES,
        "wish_words": forms.HOSPITAL_WISH_WORDS,
        "first_contact_items": FIRST_CONTACT_ITEMS,
        "clinician_items": clinician_items(members_of(session, step.home_id))
        if is_pcsp and step.is_open else [],
        "goal_rows": range(forms.GOAL_ROWS),
        "action_rows": range(forms.ACTION_ROWS),
        "is_assessment": step.kind == AssessmentStep.HOLISTIC_ASSESSMENT,
        "kind": step.kind,
        "review_kinds": [k.value for k in forms.REVIEW_KINDS],
        "contact_items": forms.CONTACT_ITEMS,
        "registration_items": forms.REGISTRATION_ITEMS,
        "dementia_offer_items": forms.DEMENTIA_OFFER_ITEMS,
        "yes_no_items": YES_NO_ITEMS,
        "outcome_words": forms.OUTCOME_WORDS,
        "deprescribed_rows": range(forms.DEPRESCRIBED_ROWS),
        "avoidable_items": forms.AVOIDABLE_ITEMS,
    }, now=now, settings=page.settings, status_code=status_code)


@router.get("/steps/{step_id}")
def step_detail(
    request: Request, step_id: uuid.UUID, page: PageSessionDep, session: SessionDep,
    now: NowDep,
) -> Response:
    step = journeys.get_step(session, page.actor, step_id)
    audit(session, at=now, actor=page.actor.user, action="step.view", entity="step",
          entity_id=step.id, resident_id=step.resident_id, channel="web")
    session.commit()
    return _step_page(request, page, session, now, step)


@router.post("/steps/{step_id}/claim")
def step_claim(
    step_id: uuid.UUID, page: CheckedSessionDep, session: SessionDep, now: NowDep
) -> Response:
    step = journeys.claim_step(session, page.actor, step_id, now)
    title = step.title
    session.commit()
    response = redirect(f"/steps/{step_id}")
    flash(response, f"You have taken this step: {title}.", page.settings, now)
    return response


@router.post("/steps/{step_id}/release")
def step_release(
    step_id: uuid.UUID, page: CheckedSessionDep, form: FormDep, session: SessionDep,
    now: NowDep,
) -> Response:
    step = journeys.release_step(session, page.actor, step_id, now)
    title, home_id = step.title, step.home_id
    session.commit()
    response = redirect(_back_to(form.get("from"), step_id, home_id))
    flash(response, f"{title} is back in the home's queue.", page.settings, now)
    return response


def _back_to(origin: str | None, step_id: uuid.UUID, home_id: uuid.UUID) -> str:
    """Where a coordinator's action returns to: the page the button was on."""
    if origin == "coordinator":
        return f"/coordinator#home-{home_id}"
    if origin == "step":
        return f"/steps/{step_id}"
    return "/my-work"


@router.post("/steps/{step_id}/assign")
def step_assign(
    request: Request, step_id: uuid.UUID, page: CheckedSessionDep, form: FormDep,
    session: SessionDep, now: NowDep,
) -> Response:
    page.actor.require_role(ASSIGNING_ROLES, "assign steps")
    origin = "coordinator" if form.get("from") == "coordinator" else "step"
    input_id = f"assignee-{step_id}" if origin == "coordinator" else "assignee_id"
    raw = (form.get("assignee_id") or "").strip()
    errors = FieldErrors()
    try:
        assignee_id = uuid.UUID(raw)
    except ValueError:
        errors.add(input_id, "Select who to assign this step to")
    else:
        try:
            step = journeys.assign_step(session, page.actor, step_id, assignee_id, now)
        except InvalidInput as exc:
            session.rollback()
            errors.add(input_id, _assign_message(exc))
    if errors:
        values = {input_id: raw}
        if origin == "coordinator":
            return coordinator_page(request, page, session, now, errors=errors, values=values,
                                    status_code=422)
        step = journeys.get_step(session, page.actor, step_id)
        return _step_page(request, page, session, now, step, errors=errors, values=values,
                          status_code=422)
    title, home_id = step.title, step.home_id
    who = names_for(session, {step.assignee_id}).get(assignee_id, "them")
    session.commit()
    response = redirect(_back_to(origin, step_id, home_id))
    flash(response, f"{title} assigned to {who}. It is in their My work.", page.settings, now)
    return response


def _assign_message(exc: InvalidInput) -> str:
    reason = exc.errors[0]["reason"] if exc.errors else exc.detail
    if reason.startswith("is "):
        return f"The person chosen {reason}"
    return ("The person chosen cannot do this kind of step. Choose a clinical member of the "
            "home's MDT")


@router.post("/steps/{step_id}/complete")
def step_complete(
    request: Request, step_id: uuid.UUID, page: CheckedSessionDep, form: FormDep,
    session: SessionDep, ctx: ContextDep, now: NowDep,
) -> Response:
    step = journeys.get_step(session, page.actor, step_id)
    parsed = forms.parse_outcome(step.kind, form)
    try:
        done = journeys.complete_step(session, page.actor, step_id, parsed.outcome, now,
                                      ctx.settings)
    except InvalidInput as exc:
        session.rollback()
        step = journeys.get_step(session, page.actor, step_id)
        return _step_page(request, page, session, now, step,
                          errors=forms.outcome_errors(exc.errors, parsed),
                          values=form_values(form), status_code=422)
    resident_id, title, round_id = done.resident_id, done.title, done.context_of(HOME_ROUND)
    session.commit()
    message = f"{title} completed."
    if resident_id is None:
        # A home-level step (preparing the round): back to the round it was for.
        response = redirect(f"/rounds/{round_id}" if round_id else "/my-work")
        flash(response, message, page.settings, now)
        return response
    opened = journeys.list_steps(session, page.actor, StepFilters(
        status="open", resident_id=resident_id, page_size=5), now)
    if opened.items:
        message += " Next: " + ", ".join(s.title for s, _ in opened.items) + "."
    response = redirect(f"/residents/{resident_id}")
    flash(response, message, page.settings, now)
    return response
