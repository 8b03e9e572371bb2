"""Residents: the list and its search, admitting a resident, a resident's page, and the
changes to where they live (hospital stay, return, discharge, death)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.responses import RedirectResponse, Response

from api.deps import ContextDep, NowDep, SessionDep
from api.pages import residents_forms as forms
from api.pages.formkit import FieldErrors, date_values, errors_of, form_values
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
from care.audit.service import record as audit
from care.clock import local_date
from care.deterioration import recording as deterioration_recording
from care.directory.access import ADMITTING_ROLES
from care.directory.service import homes_for
from care.errors import Conflict, InvalidInput
from care.journeys import service as journeys
from care.journeys.service import StepFilters
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
from care.settings import Settings

router = page_router()

RESIDENTS_PER_PAGE = 50


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
    values: dict[str, str], errors: FieldErrors | None = None, status_code: int = 200,
) -> Response:
    return render(request, "pages/resident_new.html", page, {
        "home_items": [{"value": str(h.id), "text": h.name}
                       for h in homes_for(session, page.actor.home_ids)],
        "values": values,
        "errors": errors or FieldErrors(),
        "dementia_items": forms.DEMENTIA_ITEMS,
    }, now=now, settings=page.settings, status_code=status_code)


@router.get("/residents/new")
def admit_form(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep
) -> Response:
    page.actor.require_role(ADMITTING_ROLES, "admit residents")
    today = local_date(now, page.settings.timezone)
    values = {**date_values("admitted_on", today), "dementia_status": "unknown"}
    homes = homes_for(session, page.actor.home_ids)
    if len(homes) == 1:
        values["home_id"] = str(homes[0].id)
    return _admit_page(request, page, session, now, values=values)


@router.post("/residents/new")
def admit(
    request: Request, page: CheckedSessionDep, form: FormDep, session: SessionDep,
    ctx: ContextDep, now: NowDep,
) -> Response:
    values = form_values(form)
    try:
        data = AdmissionIn.model_validate(forms.parse_admission(form))
        resident, _ = residents.admit(session, page.actor, data, now, ctx.settings)
    except ValidationError as exc:
        errors = forms.admission_errors(errors_of(exc), form)
        return _admit_page(request, page, session, now, values=values, errors=errors,
                           status_code=422)
    except InvalidInput as exc:
        session.rollback()
        return _admit_page(request, page, session, now, values=values,
                           errors=forms.admission_errors(exc.errors), status_code=422)
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
        "changes": forms.changes_for(view.resident.status)
        if page.actor.role in ADMITTING_ROLES else [],
        # An open escalation is the first thing anyone opening the record should see.
        "escalation": deterioration_recording.open_deterioration(session, resident_id),
    }, now=now, settings=page.settings)


# ---------------------------------------------------------------- residence changes


def _change_page(
    request: Request, page: PageSession, session: SessionDep, now: NowDep,
    change: forms.ResidenceChange, resident_id: uuid.UUID, *, values: dict[str, str],
    errors: FieldErrors | None = None, status_code: int = 200,
) -> Response:
    view = journeys.journey_for_resident(session, page.actor, resident_id)
    return render(request, "pages/residence_change.html", page, {
        "change": change,
        "title": change.title(view.resident.status),
        "resident": view.resident,
        "open_steps": [s for s in view.steps if s.is_open],
        "values": values,
        "errors": errors or FieldErrors(),
        "confirm_field": forms.CONFIRM_FIELD,
    }, now=now, settings=page.settings, status_code=status_code)


def _changeable(
    page: PageSession, session: SessionDep, resident_id: uuid.UUID,
    change: forms.ResidenceChange,
) -> Resident:
    """The resident, if this person may record this change for them now."""
    page.actor.require_role(ADMITTING_ROLES, "record changes to where a resident lives")
    resident = residents.get_resident(session, page.actor, resident_id)
    if resident.status not in change.actions:
        status = resident.status.value.replace("_", " ")
        raise Conflict(f"{change.title(resident.status).lower()} is not possible: "
                       f"{resident.display_name} is {status}")
    return resident


@router.get("/residents/{resident_id}/residence/{kind}")
def change_form(
    request: Request, resident_id: uuid.UUID, kind: forms.ResidenceChangeKind,
    page: PageSessionDep, session: SessionDep, now: NowDep,
) -> Response:
    change = forms.RESIDENCE_CHANGES[kind]
    _changeable(page, session, resident_id, change)
    values: dict[str, str] = {}
    if not change.confirm:
        # Discharge and death dates are left blank so they are entered deliberately.
        values = date_values(change.date_field, local_date(now, page.settings.timezone))
    return _change_page(request, page, session, now, change, resident_id, values=values)


@router.post("/residents/{resident_id}/residence/{kind}")
def record_change(
    request: Request, resident_id: uuid.UUID, kind: forms.ResidenceChangeKind,
    page: CheckedSessionDep, form: FormDep, session: SessionDep, ctx: ContextDep, now: NowDep,
) -> Response:
    change = forms.RESIDENCE_CHANGES[kind]
    _changeable(page, session, resident_id, change)
    values = form_values(form)

    def again(errors: FieldErrors) -> Response:
        return _change_page(request, page, session, now, change, resident_id, values=values,
                            errors=errors, status_code=422)

    errors = FieldErrors()
    data: BaseModel | None = None
    try:
        data = change.schema.model_validate(forms.parse_change(change, form))
    except ValidationError as exc:
        errors = forms.change_errors(change, errors_of(exc))
    if change.confirm and form.get(forms.CONFIRM_FIELD) != "yes":
        errors.add(forms.CONFIRM_FIELD, forms.CONFIRM_MESSAGE)
    if data is None or errors:
        return again(errors)
    try:
        resident = _record(session, page, resident_id, data, now, ctx.settings)
    except InvalidInput as exc:
        session.rollback()
        return again(forms.change_errors(change, exc.errors))
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


def _moved_to(kind: forms.ResidenceChangeKind) -> Callable[[uuid.UUID], Response]:
    def moved(resident_id: uuid.UUID) -> Response:
        return RedirectResponse(forms.residence_change_url(resident_id, kind), status_code=308)

    return moved


# Where the changes were before they moved under /residence/ (bookmarks, forms left open):
# one literal address each, never '/residents/{id}/{anything}', which took other pages' paths.
for _kind in forms.ResidenceChangeKind:
    router.add_api_route(f"/residents/{{resident_id}}/{_kind.value}", _moved_to(_kind),
                         methods=["GET", "POST"])
