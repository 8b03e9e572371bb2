"""The HTML pages: server-rendered on the NHS.UK design system, over the same domain services
as the JSON API. Every core action is a plain form POST (CSRF-checked), so it works without
JavaScript; each mutation commits once, then redirects (303) to a page that shows the result.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from api.deps import ContextDep, NowDep, SessionDep
from api.pages import deterioration as deterioration_pages
from api.pages import first_contact_forms, formkit, live, residents_forms, steps_forms
from api.pages.web import (
    CSRF_FIELD,
    PRE_SESSION_COOKIE,
    CheckedSessionDep,
    FormDep,
    PageRoute,
    PageSession,
    PageSessionDep,
    flash,
    fragment,
    pre_session_nonce,
    redirect,
    render,
    safe_next,
    set_pre_session,
    set_session_cookie,
)
from api.schemas import names_for
from api.security import SESSION_COOKIE, csrf_ok, csrf_token, issue_token, read_token
from care.assessments.rules import named_clinician_id
from care.audit.service import record as audit
from care.audit.service import record_seen
from care.delivery import service as delivery
from care.delivery.schemas import ContactIn
from care.delivery.transports import available_channels
from care.deterioration import recording as deterioration_recording
from care.deterioration import service as deterioration_service
from care.directory.access import (
    ADMIN_ROLES,
    ADMITTING_ROLES,
    ASSIGNING_ROLES,
    OVERSEEING_ROLES,
)
from care.directory.models import CareHome
from care.directory.service import authenticate, homes_for, members_of
from care.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited
from care.journeys import notifications as inbox
from care.journeys import service as journeys
from care.journeys.models import Journey, Step, StepKind, StepStatus
from care.journeys.service import StepFilters
from care.journeys.steps import STEP_TYPES
from care.journeys.wording import date_in_words
from care.paging import clamp_page
from care.residents import service as residents
from care.residents.models import Resident
from care.residents.schemas import (
    AdmissionIn,
    DeathIn,
    DischargeIn,
    HospitalStayIn,
    ReadmissionIn,
)
from care.rounds import service as rounds_service
from care.settings import Settings

router = APIRouter(route_class=PageRoute, include_in_schema=False)
# First: '/residents/{id}/observations' would otherwise be taken for a residence change below.
router.include_router(deterioration_pages.router)
router.include_router(live.router)

MY_WORK_LIMIT = 100
RESIDENTS_PER_PAGE = 50
COORDINATOR_LIMIT = 200
NOTIFICATIONS_LIMIT = 200


# ---------------------------------------------------------------- signing in and out


@router.get("/")
def home() -> Response:
    return redirect("/my-work")


def _login_page(
    request: Request, ctx: ContextDep, now: NowDep, *, nonce: str, username: str = "",
    error: str | None = None, status_code: int = 200, next_url: str = "/my-work",
) -> Response:
    settings = ctx.settings
    response = render(request, "pages/login.html", None, {
        "csrf": csrf_token(settings.secret_key, f"pre:{nonce}"),
        "username": username,
        "error": error,
        "next": next_url,
        "demo_users": _demo_users() if settings.mode == "demo" else [],
    }, now=now, settings=settings, status_code=status_code)
    set_pre_session(response, nonce, settings)
    return response


def _demo_users() -> list[tuple[str, str, str]]:
    from care.demo import DEMO_PASSWORD, USERS

    return [(username, name, role.value.replace("_", " "))
            for username, name, role, _, _ in USERS] + [("password", DEMO_PASSWORD, "")]


@router.get("/login")
def login_form(request: Request, ctx: ContextDep, now: NowDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token and read_token(ctx.settings.secret_key, token, "session", now):
        return redirect(safe_next(request.query_params.get("next")))
    return _login_page(request, ctx, now, nonce=pre_session_nonce(request),
                       next_url=safe_next(request.query_params.get("next")))


@router.post("/login")
def login(
    request: Request, form: FormDep, session: SessionDep, ctx: ContextDep, now: NowDep
) -> Response:
    settings = ctx.settings
    nonce = request.cookies.get(PRE_SESSION_COOKIE)
    username = (form.get("username") or "").strip()
    next_url = safe_next(form.get("next"))
    if not nonce or not csrf_ok(settings.secret_key, f"pre:{nonce}", form.get(CSRF_FIELD)):
        return _login_page(request, ctx, now, nonce=pre_session_nonce(request),
                           username=username, status_code=403, next_url=next_url,
                           error="Your sign-in form had expired. Try again.")
    if not username or not form.get("password"):
        return _login_page(request, ctx, now, nonce=nonce, username=username, status_code=400,
                           next_url=next_url, error="Enter your username and password")
    try:
        user = authenticate(session, username, form.get("password") or "", now,
                            max_failures=settings.login_max_failures,
                            window_minutes=settings.login_window_minutes)
    except RateLimited as exc:
        return _login_page(request, ctx, now, nonce=nonce, username=username, status_code=429,
                           next_url=next_url, error=f"There have been {exc.detail}.")
    except InvalidInput:
        return _login_page(request, ctx, now, nonce=nonce, username="", status_code=400,
                           next_url=next_url,
                           error="The username or password is not right. Check and try again.")
    if user is None:
        session.commit()  # the failed attempt counts towards the rate limit
        return _login_page(request, ctx, now, nonce=nonce, username=username, status_code=401,
                           next_url=next_url,
                           error="The username or password is not right. Check and try again.")
    audit(session, at=now, actor=user, action="session.start", entity="user",
          entity_id=user.id, channel="web")
    session.commit()
    token = issue_token(settings.secret_key, user.id, user.role.value, now,
                        settings.session_minutes, kind="session")
    response = redirect(next_url)
    set_session_cookie(response, token, settings)
    response.delete_cookie(PRE_SESSION_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(page: CheckedSessionDep, now: NowDep) -> Response:
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    flash(response, "You have signed out.", page.settings, now)
    return response


# ---------------------------------------------------------------- my work


def _my_work_lists(
    request: Request, page: PageSession, session: SessionDep, now: NowDep
) -> tuple[str, str, str, set[uuid.UUID | None]]:
    """My work's lists as HTML, the version of the work in them, a status line for screen
    readers, and the residents they name."""
    actor = page.actor
    mine = journeys.list_steps(session, actor, StepFilters(
        status="open", assignee="me", sort="due_at", page_size=MY_WORK_LIMIT), now)
    queue = journeys.list_steps(session, actor, StepFilters(
        status="open", assignee="unassigned", sort="due_at", page_size=MY_WORK_LIMIT), now)
    notes = inbox.notifications_for(session, actor.id, limit=10)
    homes = {h.id: h for h in homes_for(session, actor.home_ids)}
    html = fragment(request, "pages/_my_work_lists.html", page, {
        "mine": mine, "queue": queue, "notifications": notes, "homes": homes,
        "can_perform": any(actor.role in t.performer_roles for t in STEP_TYPES.values()),
    }, now=now, settings=page.settings)
    work = live.state([mine.total, queue.total, *(st.id for st, _ in mine.items),
                       *(st.id for st, _ in queue.items), *(n.id for n in notes)])
    status = (f"Updated: {mine.total} assigned to you, {queue.total} waiting in your homes' "
              "queue.")
    return html, work, status, {st.resident_id for st, _ in [*mine.items, *queue.items]}


@router.get("/my-work")
def my_work(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep
) -> Response:
    html, work, _, seen = _my_work_lists(request, page, session, now)
    record_seen(session, at=now, actor=page.actor.user, channel="web", action="my_work.view",
                resident_ids=seen)
    session.commit()
    region = live.live_region(request, region_id="my-work-live", url="/my-work/live",
                              inner=html, work=work, refresh=page.settings.live_refresh_seconds)
    return render(request, "pages/my_work.html", page, {"lists_region": region},
                  now=now, settings=page.settings)


@router.get("/my-work/live")
def my_work_live(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep,
    v: str = "", s: str = "",
) -> Response:
    """My work's lists again for an open page, only when what they show has changed."""
    html, work, status, seen = _my_work_lists(request, page, session, now)
    if live.version(html) == v:
        return live.unchanged()
    record_seen(session, at=now, actor=page.actor.user, channel="web", action="my_work.view",
                resident_ids=seen)
    session.commit()
    region = live.live_region(request, region_id="my-work-live", url="/my-work/live",
                              inner=html, work=work, refresh=page.settings.live_refresh_seconds)
    return live.live_answer(request, region, status_id="my-work-status", status_text=status,
                            work_changed=work != s)


# ---------------------------------------------------------------- steps


def _step_page(
    request: Request, page: PageSession, session: SessionDep, now: NowDep, step: Step, *,
    errors: formkit.FieldErrors | None = None, values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    actor = page.actor
    resident = (residents.get_resident(session, actor, step.resident_id)
                if step.resident_id else None)
    home = resident.home if resident else session.get(CareHome, step.home_id)
    can_perform = formkit.may_perform(actor, step)
    mine = step.assignee_id == actor.id
    is_pcsp = step.kind == StepKind.PCSP
    names = names_for(session, {step.assignee_id, step.completed_by_id,
                             named_clinician_id((step.outcome or {}).get("escalation_wishes"))
                             if is_pcsp else None})
    can_assign = step.is_open and actor.role in ASSIGNING_ROLES
    return render(request, "pages/step.html", page, {
        "step": step,
        "can_assign": can_assign,
        "assignees": steps_forms.assignee_items(step, members_of(session, step.home_id))
        if can_assign else [],
        "resident": resident,
        "home": home,
        "names": names,
        "can_claim": step.status == StepStatus.READY and can_perform,
        "can_release": step.status == StepStatus.CLAIMED
        and (mine or actor.role in ASSIGNING_ROLES),
        "show_form": step.status == StepStatus.CLAIMED and mine and can_perform,
        "can_perform": can_perform,
        "errors": errors or formkit.FieldErrors(),
        "values": values or {},
        "domains": steps_forms.ASSESSMENT_DOMAINS,
        "hospital_wishes": steps_forms.HOSPITAL_WISHES,
        "wish_words": steps_forms.HOSPITAL_WISH_WORDS,
        "first_contact_items": first_contact_forms.FIRST_CONTACT_ITEMS,
        "clinician_items": first_contact_forms.clinician_items(members_of(session, step.home_id))
        if is_pcsp and step.is_open else [],
        "goal_rows": range(steps_forms.GOAL_ROWS),
        "action_rows": range(steps_forms.ACTION_ROWS),
        "is_assessment": step.kind == StepKind.HOLISTIC_ASSESSMENT,
        "kind": step.kind.value,
        "review_kinds": [k.value for k in steps_forms.REVIEW_KINDS],
        "contact_items": steps_forms.CONTACT_ITEMS,
        "registration_items": steps_forms.REGISTRATION_ITEMS,
        "dementia_offer_items": steps_forms.DEMENTIA_OFFER_ITEMS,
        "yes_no_items": formkit.YES_NO_ITEMS,
        "outcome_words": steps_forms.OUTCOME_WORDS,
        "deprescribed_rows": range(steps_forms.DEPRESCRIBED_ROWS),
        "avoidable_items": steps_forms.AVOIDABLE_ITEMS,
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
    errors = formkit.FieldErrors()
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
            return _coordinator_page(request, page, session, now, errors=errors, values=values,
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
    parsed = steps_forms.parse_outcome(step.kind, form)
    try:
        done = journeys.complete_step(session, page.actor, step_id, parsed.outcome, now,
                                      ctx.settings)
    except InvalidInput as exc:
        session.rollback()
        step = journeys.get_step(session, page.actor, step_id)
        return _step_page(request, page, session, now, step,
                          errors=steps_forms.outcome_errors(exc.errors, parsed),
                          values=formkit.form_values(form), status_code=422)
    resident_id, title, round_id = done.resident_id, done.title, done.home_round_id
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


# ---------------------------------------------------------------- residents


@router.get("/residents")
def resident_list(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep,
    q: str = "", status: str = "active", p: int = 1,
) -> Response:
    status = status if status in ("active", "all") else "active"
    # A search box, not a form field: what cannot be searched for (U+0000, which PostgreSQL text
    # cannot hold; more than the API's 100 characters) is dropped rather than refused.
    q = q.replace("\x00", "")[:100]

    def listed(number: int) -> residents.ResidentPage:
        return residents.list_residents(
            session, page.actor, home_id=None, status=None if status == "all" else status,
            search=q.strip() or None, page=number, page_size=RESIDENTS_PER_PAGE,
        )

    # ?p= comes from links but can be edited: any number shows the nearest real page.
    p = clamp_page(p)
    found = listed(p)
    pages = max(1, -(-found.total // found.page_size))
    if p > pages:
        p = pages
        found = listed(p)
    return render(request, "pages/residents.html", page, {
        "found": found, "q": q, "status": status, "p": p, "pages": pages,
        "can_admit": page.actor.role in ADMITTING_ROLES,
    }, now=now, settings=page.settings)


def _admit_page(
    request: Request, page: PageSession, session: SessionDep, now: NowDep, *,
    values: dict[str, str], errors: formkit.FieldErrors | None = None, status_code: int = 200,
) -> Response:
    return render(request, "pages/resident_new.html", page, {
        "home_items": [{"value": str(h.id), "text": h.name}
                       for h in homes_for(session, page.actor.home_ids)],
        "values": values,
        "errors": errors or formkit.FieldErrors(),
        "dementia_items": residents_forms.DEMENTIA_ITEMS,
    }, now=now, settings=page.settings, status_code=status_code)


@router.get("/residents/new")
def admit_form(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep
) -> Response:
    page.actor.require_role(ADMITTING_ROLES, "admit residents")
    today = now.astimezone(ZoneInfo(page.settings.timezone)).date()
    values = {"admitted_on[day]": str(today.day), "admitted_on[month]": str(today.month),
              "admitted_on[year]": str(today.year), "dementia_status": "unknown"}
    homes = homes_for(session, page.actor.home_ids)
    if len(homes) == 1:
        values["home_id"] = str(homes[0].id)
    return _admit_page(request, page, session, now, values=values)


@router.post("/residents/new")
def admit(
    request: Request, page: CheckedSessionDep, form: FormDep, session: SessionDep,
    ctx: ContextDep, now: NowDep,
) -> Response:
    values = formkit.form_values(form)
    try:
        data = AdmissionIn.model_validate(residents_forms.parse_admission(form))
        resident, _ = residents.admit(session, page.actor, data, now, ctx.settings)
    except ValidationError as exc:
        errors = residents_forms.admission_errors(formkit.errors_of(exc), form)
        return _admit_page(request, page, session, now, values=values, errors=errors,
                           status_code=422)
    except InvalidInput as exc:
        session.rollback()
        return _admit_page(request, page, session, now, values=values,
                           errors=residents_forms.admission_errors(exc.errors), status_code=422)
    resident_id, name = resident.id, resident.display_name
    session.commit()
    response = redirect(f"/residents/{resident_id}")
    flash(response, f"{name} admitted. The holistic assessment step is open for the home's MDT.",
          page.settings, now)
    return response


@router.get("/residents/{resident_id}")
def resident_detail(
    request: Request, resident_id: uuid.UUID, page: PageSessionDep, session: SessionDep,
    now: NowDep,
) -> Response:
    view = journeys.journey_for_resident(session, page.actor, resident_id)
    audit(session, at=now, actor=page.actor.user, action="resident.view", entity="resident",
          entity_id=resident_id, resident_id=resident_id, channel="web")
    session.commit()
    names = names_for(session, {s.assignee_id for s in view.steps}
                   | {s.completed_by_id for s in view.steps})
    return render(request, "pages/resident.html", page, {
        "resident": view.resident,
        "journey": view.journey,
        "open_steps": [s for s in view.steps if s.is_open],
        "steps": view.steps,
        "events": list(reversed(view.events)),
        "names": names,
        "changes": residents_forms.changes_for(view.resident.status)
        if page.actor.role in ADMITTING_ROLES else [],
        # An open escalation is the first thing anyone opening the record should see.
        "escalation": deterioration_recording.open_deterioration(session, resident_id),
    }, now=now, settings=page.settings)


# ---------------------------------------------------------------- residence changes


def _change(slug: str) -> residents_forms.ResidenceChange:
    if slug not in set(residents_forms.ResidenceChangeKind):
        raise NotFound("page not found")
    return residents_forms.RESIDENCE_CHANGES[residents_forms.ResidenceChangeKind(slug)]


def _change_page(
    request: Request, page: PageSession, session: SessionDep, now: NowDep,
    change: residents_forms.ResidenceChange, resident_id: uuid.UUID, *, values: dict[str, str],
    errors: formkit.FieldErrors | None = None, status_code: int = 200,
) -> Response:
    view = journeys.journey_for_resident(session, page.actor, resident_id)
    return render(request, "pages/residence_change.html", page, {
        "change": change,
        "title": change.title(view.resident.status),
        "resident": view.resident,
        "open_steps": [s for s in view.steps if s.is_open],
        "values": values,
        "errors": errors or formkit.FieldErrors(),
        "confirm_field": residents_forms.CONFIRM_FIELD,
    }, now=now, settings=page.settings, status_code=status_code)


def _changeable(
    page: PageSession, session: SessionDep, resident_id: uuid.UUID,
    change: residents_forms.ResidenceChange,
) -> Resident:
    """The resident, if this person may record this change for them now."""
    page.actor.require_role(ADMITTING_ROLES, "record changes to where a resident lives")
    resident = residents.get_resident(session, page.actor, resident_id)
    if resident.status not in change.actions:
        status = resident.status.value.replace("_", " ")
        raise Conflict(f"{change.title(resident.status).lower()} is not possible: "
                       f"{resident.display_name} is {status}")
    return resident


@router.get("/residents/{resident_id}/{slug}")
def change_form(
    request: Request, resident_id: uuid.UUID, slug: str, page: PageSessionDep,
    session: SessionDep, now: NowDep,
) -> Response:
    change = _change(slug)
    _changeable(page, session, resident_id, change)
    values: dict[str, str] = {}
    if not change.confirm:
        # Discharge and death dates are left blank so they are entered deliberately.
        today = now.astimezone(ZoneInfo(page.settings.timezone)).date()
        values = {f"{change.date_field}[day]": str(today.day),
                  f"{change.date_field}[month]": str(today.month),
                  f"{change.date_field}[year]": str(today.year)}
    return _change_page(request, page, session, now, change, resident_id, values=values)


@router.post("/residents/{resident_id}/{slug}")
def record_change(
    request: Request, resident_id: uuid.UUID, slug: str, page: CheckedSessionDep,
    form: FormDep, session: SessionDep, ctx: ContextDep, now: NowDep,
) -> Response:
    change = _change(slug)
    _changeable(page, session, resident_id, change)
    values = formkit.form_values(form)

    def again(errors: formkit.FieldErrors) -> Response:
        return _change_page(request, page, session, now, change, resident_id, values=values,
                            errors=errors, status_code=422)

    errors = formkit.FieldErrors()
    data: BaseModel | None = None
    try:
        data = change.schema.model_validate(residents_forms.parse_change(change, form))
    except ValidationError as exc:
        errors = residents_forms.change_errors(change, formkit.errors_of(exc))
    if change.confirm and form.get(residents_forms.CONFIRM_FIELD) != "yes":
        errors.add(residents_forms.CONFIRM_FIELD, "Confirm that the open steps will be "
                                                  "cancelled and the journey will end")
    if data is None or errors:
        return again(errors)
    try:
        resident = _record(session, page, resident_id, data, now, ctx.settings)
    except InvalidInput as exc:
        session.rollback()
        return again(residents_forms.change_errors(change, exc.errors))
    except Conflict as exc:
        # Another active admission of the same person: a fact to fix, shown by the date.
        session.rollback()
        errors.add(f"{change.date_field}-day", exc.detail[0].upper() + exc.detail[1:])
        return again(errors)
    name = resident.display_name
    session.commit()
    response = redirect(f"/residents/{resident_id}")
    flash(response, _change_done(session, page, resident_id, name, data, now), page.settings,
          now)
    return response


def _record(
    session: SessionDep, page: PageSession, resident_id: uuid.UUID, data: BaseModel,
    now: NowDep, settings: Settings,
) -> Resident:
    """The service for the change, chosen by the validated input."""
    actor = page.actor
    if isinstance(data, HospitalStayIn):
        return residents.record_hospital_stay(session, actor, resident_id, data, now)
    if isinstance(data, ReadmissionIn):
        return residents.record_readmission(session, actor, resident_id, data, now, settings)
    if isinstance(data, DischargeIn):
        return residents.record_discharge(session, actor, resident_id, data, now)
    if isinstance(data, DeathIn):
        return residents.record_death(session, actor, resident_id, data, now)
    raise TypeError(f"no service records {type(data).__name__}")


def _change_done(
    session: SessionDep, page: PageSession, resident_id: uuid.UUID, name: str, data: BaseModel,
    now: NowDep,
) -> str:
    """The success banner: what changed, and what the MDT does next."""
    if isinstance(data, HospitalStayIn):
        return (f"Hospital admission recorded for {name}. Their open steps are cancelled; "
                "new ones open when they return to the home.")
    if isinstance(data, ReadmissionIn):
        opened = journeys.list_steps(session, page.actor, StepFilters(
            status="open", resident_id=resident_id, sort="due_at", page_size=5), now)
        message = f"Return to the home recorded for {name}."
        if opened.items:
            message += " Next: " + ", ".join(
                f"{s.title}, due {date_in_words(s.due_at, page.settings.timezone)}"
                for s, _ in opened.items) + "."
        return message
    what = "Death" if isinstance(data, DeathIn) else "Discharge"
    return f"{what} recorded for {name}. Open steps are cancelled and the journey has ended."



# ---------------------------------------------------------------- coordinator and admin


@router.get("/coordinator")
def coordinator(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep
) -> Response:
    return _coordinator_page(request, page, session, now)


def _coordinator_page(
    request: Request, page: PageSession, session: SessionDep, now: NowDep, *,
    errors: formkit.FieldErrors | None = None, values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    if not page.can_coordinate:
        raise Forbidden("only coordinators, clinical leads and admins see the coordinator view")
    can_assign = page.actor.role in ASSIGNING_ROLES
    homes: list[dict[str, Any]] = []
    assignees: dict[uuid.UUID, list[dict[str, str]]] = {}
    for home in homes_for(session, page.actor.home_ids):
        open_steps = journeys.list_steps(session, page.actor, StepFilters(
            status="open", home_id=home.id, sort="due_at", page_size=COORDINATOR_LIMIT), now)
        overdue = journeys.list_steps(session, page.actor, StepFilters(
            status="open", home_id=home.id, overdue=True, page_size=1), now)
        recent = rounds_service.rounds_for_home(session, page.actor, home.id, limit=4)
        homes.append({"home": home, "open": open_steps, "overdue": overdue.total,
                      "rounds": recent})
        if can_assign:
            members = members_of(session, home.id)
            for step, _ in open_steps.items:
                assignees[step.id] = steps_forms.assignee_items(step, members)
    window = 28
    per_home = {m.home_id: m for m in deterioration_service.measures(
        session, page.actor, now - timedelta(days=window), now)}
    for h in homes:
        h["measures"] = per_home.get(h["home"].id)
    names = names_for(session, {s.assignee_id for h in homes for s, _ in h["open"].items})
    record_seen(session, at=now, actor=page.actor.user, channel="web", action="coordinator.view",
                resident_ids={st.resident_id for h in homes for st, _ in h["open"].items})
    session.commit()
    return render(request, "pages/coordinator.html", page, {
        "homes": homes, "names": names, "can_assign": can_assign, "assignees": assignees,
        "errors": errors or formkit.FieldErrors(), "values": values or {}, "window": window,
    }, now=now, settings=page.settings, status_code=status_code)


@router.get("/admin/stalled")
def stalled(
    request: Request, page: PageSessionDep, session: SessionDep, ctx: ContextDep, now: NowDep
) -> Response:
    page.actor.require_role(OVERSEEING_ROLES, "see stalled journeys")
    found = journeys.find_stalled(session, now, ctx.settings, home_ids=page.actor.home_ids)
    return render(request, "pages/stalled.html", page, {
        "stalled": found, "can_rerun": page.actor.role in ADMIN_ROLES},
                  now=now, settings=page.settings)


@router.post("/admin/journeys/{journey_id}/rerun")
def rerun(
    journey_id: uuid.UUID, page: CheckedSessionDep, session: SessionDep, now: NowDep
) -> Response:
    page.actor.require_role(ADMIN_ROLES, "re-run journeys")
    journeys.request_rerun(session, page.actor, journey_id, now)
    resident = _journey_resident(session, journey_id)
    session.commit()
    response = redirect("/admin/stalled")
    who = f" for {resident}" if resident else ""
    flash(response, f"Re-run requested{who}. The journey will continue from where it stands.",
          page.settings, now)
    return response


def _journey_resident(session: SessionDep, journey_id: uuid.UUID) -> str | None:
    journey = session.get(Journey, journey_id)
    resident = session.get(Resident, journey.resident_id) if journey else None
    return resident.display_name if resident else None


# ---------------------------------------------------------------- notifications


@router.get("/notifications")
def notifications(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep
) -> Response:
    return _notifications_page(request, page, session, now)


def _notifications_page(
    request: Request, page: PageSession, session: SessionDep, now: NowDep, *,
    errors: formkit.FieldErrors | None = None, values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    notes = inbox.notifications_for(session, page.actor.id, limit=NOTIFICATIONS_LIMIT)
    user = page.actor.user
    # Names staff and links to the step, never a resident: nothing here to audit as seen.
    problems = delivery.delivery_problems(session, page.actor, now)
    return render(request, "pages/notifications.html", page, {
        "notifications": notes,
        "problems": problems,
        "channels": available_channels(page.settings),
        "contact": values or {"channel": user.notify_channel.value, "email": user.email or "",
                              "mobile": user.mobile or ""},
        "last_failure": delivery.last_failure_for(session, user.id),
        "errors": errors or formkit.FieldErrors(),
    }, now=now, settings=page.settings, status_code=status_code)


@router.post("/notifications/channel")
def notification_channel(
    request: Request, page: CheckedSessionDep, form: FormDep, session: SessionDep, now: NowDep,
) -> Response:
    """The person's own channel for urgent alerts (admins set others' through the API)."""
    values = {k: (form.get(k) or "").strip() for k in ("channel", "email", "mobile")}
    errors = formkit.FieldErrors()
    try:
        data = ContactIn(channel=values["channel"] or "in_app", email=values["email"] or None,
                         mobile=values["mobile"] or None)
        delivery.set_contact(session, page.actor, page.actor.id, data, now, page.settings)
    except ValidationError as exc:
        for error in formkit.errors_of(exc):
            errors.add(error["field"], formkit.message_for(error["field"], error["reason"]))
    except InvalidInput as exc:
        for error in exc.errors:
            errors.add(error["field"], error["reason"][:1].upper() + error["reason"][1:])
    if errors:
        session.rollback()
        return _notifications_page(request, page, session, now, errors=errors, values=values,
                                   status_code=422)
    session.commit()
    response = redirect("/notifications#channel-section")
    flash(response, "Your alert settings are saved.", page.settings, now)
    return response


@router.post("/notifications/{notification_id}/read")
def notification_read(
    notification_id: uuid.UUID, page: CheckedSessionDep, session: SessionDep, now: NowDep
) -> Response:
    inbox.mark_read(session, page.actor, notification_id, now)
    session.commit()
    response = redirect("/notifications")
    flash(response, "Notification marked as read.", page.settings, now)
    return response


# The home round's pages live in their own module; one router serves every page.
from api.pages import rounds as _rounds  # noqa: E402

router.include_router(_rounds.router)
