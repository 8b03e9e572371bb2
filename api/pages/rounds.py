"""The weekly home round's pages: a home's rounds history, the agenda (printable, for the
meeting), the MDT's decisions for several residents in one sitting, and the nomination page
care-home staff use on a phone. Plain form POSTs over ``care.rounds.service``."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from pydantic import ValidationError
from starlette.responses import Response

from api.deps import ContextDep, NowDep, SessionDep
from api.pages import rounds_forms as forms
from api.pages.formkit import FieldErrors, errors_of, form_values, member_items
from api.pages.web import (
    ROUND_PREPARING_ROLES,
    CheckedSessionDep,
    FormDep,
    PageSession,
    PageSessionDep,
    flash,
    page_router,
    redirect,
    render,
)
from care.directory.access import CLINICIANS
from care.directory.models import CareHome
from care.directory.service import homes_for, members_of, members_with_representation
from care.errors import Conflict, InvalidInput, NotFound
from care.residents import service as residents
from care.residents.models import Resident
from care.rounds import service as rounds
from care.rounds.models import HomeRound, ItemSource, RoundStatus
from care.rounds.rules import DEFAULT_POLICY, next_round, preparation_opens
from care.rounds.schemas import (
    CO_OPTED,
    AddToAgendaIn,
    AgendaChangeIn,
    DecisionIn,
    MeetingIn,
    NominationIn,
)

router = page_router()

# The same people as the service's MDT_ROLES (the service checks again on every action).
DECIDERS = rounds.MDT_ROLES
STATUS_WORDS = {
    RoundStatus.PLANNED: ("Planned", "grey"),
    RoundStatus.PREPARING: ("Preparing", "blue"),
    RoundStatus.AGREED: ("MDT agreed", "purple"),
    RoundStatus.HELD: ("Held", "green"),
    RoundStatus.CHECK_IN: ("Check-in", "green"),
    RoundStatus.MISSED: ("Missed", "red"),
}


def _resident_name(session: SessionDep, resident_id: uuid.UUID) -> str:
    """For a banner: the resident's name ("The resident" should the row have gone)."""
    resident = session.get(Resident, resident_id)
    return resident.display_name if resident else "The resident"


# ---------------------------------------------------------------- rounds history


@router.get("/rounds")
def rounds_index(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep
) -> Response:
    """Where the navigation's 'Rounds' lands: straight to the home, if the person serves one."""
    homes = homes_for(session, page.actor.home_ids)
    if len(homes) == 1:
        return redirect(f"/homes/{homes[0].id}/rounds")
    return render(request, "pages/rounds_index.html", page, {"homes": homes},
                  now=now, settings=page.settings)


@router.get("/homes/{home_id}/rounds")
def home_rounds(
    request: Request, home_id: uuid.UUID, page: PageSessionDep, session: SessionDep,
    ctx: ContextDep, now: NowDep,
) -> Response:
    history = rounds.rounds_for_home(session, page.actor, home_id)
    home = session.get(CareHome, home_id)
    if home is None:
        raise NotFound("care home not found")
    round_at = next_round(now, home.round_weekday, home.round_time, ctx.settings.timezone)
    return render(request, "pages/home_rounds.html", page, {
        "home": home, "history": history, "status_words": STATUS_WORDS,
        "next_round": round_at, "opens": preparation_opens(round_at, DEFAULT_POLICY),
        "can_prepare": page.can_prepare_rounds,
        "tz": ZoneInfo(ctx.settings.timezone),
    }, now=now, settings=page.settings)


@router.post("/homes/{home_id}/rounds/prepare")
def prepare_now(
    home_id: uuid.UUID, page: CheckedSessionDep, session: SessionDep, ctx: ContextDep,
    now: NowDep,
) -> Response:
    page.actor.require_role(ROUND_PREPARING_ROLES, "prepare home rounds")
    page.actor.require_serves(home_id, "care home")
    result = rounds.prepare_round(session, home_id, now, ctx.settings)
    if result.round_id is None:
        session.rollback()
        home = session.get(CareHome, home_id)
        assert home is not None
        tz = ZoneInfo(ctx.settings.timezone)
        round_at = next_round(now, home.round_weekday, home.round_time, ctx.settings.timezone)
        opens = preparation_opens(round_at, DEFAULT_POLICY).astimezone(tz)
        response = redirect(f"/homes/{home_id}/rounds")
        flash(response, f"The next round is on {round_at.astimezone(tz):%A %-d %B at %H:%M}. "
                        f"Its preparation opens on {opens:%A %-d %B at %H:%M}; the agenda "
                        "cannot be prepared before then.", page.settings, now, kind="info")
        return response
    session.commit()
    response = redirect(f"/rounds/{result.round_id}")
    flash(response, f"Agenda prepared: {result.agenda_size} resident(s) on it.",
          page.settings, now)
    return response


# ---------------------------------------------------------------- the agenda


def _agenda_page(
    request: Request, page: PageSession, session: SessionDep, now: NowDep, rnd: HomeRound, *,
    errors: FieldErrors | None = None, values: dict[str, str] | None = None,
    undecided: list[str] | None = None, status_code: int = 200,
) -> Response:
    home = session.get(CareHome, rnd.home_id)
    rows = rounds.agenda(session, rnd, include_removed=True)
    members = members_with_representation(session, rnd.home_id)
    attended = {a.user_id for a in rounds.attendance(session, rnd)}
    on_agenda = {row.resident.id for row in rows if row.item.removed_at is None}
    addable = [r for r in residents.living_in(session, {rnd.home_id}) if r.id not in on_agenda]
    is_mdt = page.actor.role in rounds.MDT_ROLES
    agenda_open = rnd.status in (RoundStatus.PLANNED, RoundStatus.PREPARING, RoundStatus.AGREED)
    names = {u.id: u.display_name for u, _ in members}
    return render(request, "pages/round.html", page, {
        "round": rnd, "home": home, "rows": rows,
        "active": [r for r in rows if r.item.removed_at is None],
        "removed": [r for r in rows if r.item.removed_at is not None],
        "members": members, "attended": attended, "names": names,
        "addable": addable, "can_change": is_mdt and agenda_open,
        "can_decide": page.actor.role in DECIDERS and agenda_open,
        "can_close": is_mdt and rnd.status not in (RoundStatus.HELD, RoundStatus.CHECK_IN),
        "status_words": STATUS_WORDS, "response_words": forms.RESPONSE_WORDS,
        "source_words": _source_words,
        "errors": errors or FieldErrors(), "values": values or {},
        "undecided": undecided or [],
        "tz": ZoneInfo(page.settings.timezone),
    }, now=now, settings=page.settings, status_code=status_code)


def _source_words(item: Any) -> str:
    if item.source == ItemSource.MDT:
        return "Added by the MDT"
    if item.source == ItemSource.NOMINATION:
        family = any(r.get("text", "").startswith("Family") for r in item.reasons)
        staff = any(r.get("text", "").startswith("Care-home staff") for r in item.reasons)
        who = " and ".join(w for w, yes in (("staff", staff), ("family", family)) if yes)
        return f"Nominated by {who or 'staff'}"
    return "Selected by the rules"


@router.get("/rounds/{round_id}")
def round_agenda(
    request: Request, round_id: uuid.UUID, page: PageSessionDep, session: SessionDep,
    now: NowDep,
) -> Response:
    rnd = rounds.get_round(session, page.actor, round_id)
    return _agenda_page(request, page, session, now, rnd)


@router.post("/rounds/{round_id}/add")
def agenda_add(
    request: Request, round_id: uuid.UUID, page: CheckedSessionDep, form: FormDep,
    session: SessionDep, now: NowDep,
) -> Response:
    rnd = rounds.get_round(session, page.actor, round_id)
    raw: dict[str, Any] = {"reason": (form.get("reason") or "").strip()}
    if (form.get("resident_id") or "").strip():
        raw["resident_id"] = form["resident_id"].strip()
    try:
        data = AddToAgendaIn.model_validate(raw)
        item = rounds.add_to_agenda(session, page.actor, round_id, data, now)
    except ValidationError as exc:
        errors = forms.agenda_add_errors(errors_of(exc))
        return _agenda_page(request, page, session, now, rnd, errors=errors,
                            values=form_values(form), status_code=422)
    except InvalidInput as exc:
        session.rollback()
        rnd = rounds.get_round(session, page.actor, round_id)
        return _agenda_page(request, page, session, now, rnd, values=form_values(form),
                            errors=forms.agenda_add_errors(exc.errors),
                            status_code=422)
    name = _resident_name(session, item.resident_id)
    session.commit()
    response = redirect(f"/rounds/{round_id}")
    flash(response, f"{name} added to the agenda.", page.settings, now)
    return response


@router.post("/rounds/{round_id}/items/{item_id}/remove")
def agenda_remove(
    request: Request, round_id: uuid.UUID, item_id: uuid.UUID, page: CheckedSessionDep,
    form: FormDep, session: SessionDep, now: NowDep,
) -> Response:
    rnd = rounds.get_round(session, page.actor, round_id)
    input_id = f"remove-{item_id}"
    try:
        data = AgendaChangeIn.model_validate({"reason": (form.get("reason") or "").strip()})
    except ValidationError:
        errors = FieldErrors()
        errors.add(input_id, "Enter why this resident is being taken off the agenda")
        return _agenda_page(request, page, session, now, rnd, errors=errors,
                            values={input_id: form.get("reason", "")}, status_code=422)
    item = rounds.remove_from_agenda(session, page.actor, item_id, data.reason, now)
    if item.round_id != round_id:
        raise NotFound("agenda item not found")
    name = _resident_name(session, item.resident_id)
    session.commit()
    response = redirect(f"/rounds/{round_id}")
    flash(response, f"{name} taken off this week's agenda.", page.settings, now)
    return response


@router.post("/rounds/{round_id}/attendance")
def attendance(
    request: Request, round_id: uuid.UUID, page: CheckedSessionDep, form: FormDep,
    session: SessionDep, now: NowDep,
) -> Response:
    rnd = rounds.get_round(session, page.actor, round_id)
    ids: list[uuid.UUID] = []
    for key, value in form.items():
        if key.startswith("attendee-") and value == "yes":
            try:
                ids.append(uuid.UUID(key.removeprefix("attendee-")))
            except ValueError:
                continue
    errors = FieldErrors()
    try:
        rounds.record_attendance(session, page.actor, round_id, MeetingIn(attendee_ids=ids),
                                 now)
    except ValidationError:
        errors.add("attendance", "Select who attended the MDT meeting")
    except InvalidInput:
        session.rollback()
        rnd = rounds.get_round(session, page.actor, round_id)
        errors.add("attendance", "Select only people who serve this home")
    if errors:
        return _agenda_page(request, page, session, now, rnd, errors=errors,
                            values=form_values(form), status_code=422)
    session.commit()
    response = redirect(f"/rounds/{round_id}#attendance")
    flash(response, f"Attendance recorded: {len(ids)} people.", page.settings, now)
    return response


@router.post("/rounds/{round_id}/close")
def close(
    request: Request, round_id: uuid.UUID, page: CheckedSessionDep, form: FormDep,
    session: SessionDep, now: NowDep,
) -> Response:
    rnd = rounds.get_round(session, page.actor, round_id)
    notes = (form.get("notes") or "").strip() or None
    try:
        rnd = rounds.close_round(session, page.actor, round_id, now, notes)
    except InvalidInput as exc:
        session.rollback()
        rnd = rounds.get_round(session, page.actor, round_id)
        undecided = [row.resident.display_name for row in rounds.agenda(session, rnd)
                     if row.decision is None]
        errors = FieldErrors()
        errors.add("close", f"The round cannot be closed: {exc.detail}. Record a response "
                            "for " + ", ".join(undecided) + ".")
        return _agenda_page(request, page, session, now, rnd, errors=errors,
                            values=form_values(form), undecided=undecided, status_code=422)
    status = rnd.status
    session.commit()
    response = redirect(f"/rounds/{round_id}")
    words = ("Round recorded as held." if status == RoundStatus.HELD
             else "Nobody needed review: the week is recorded as a check-in, and it counts.")
    flash(response, words, page.settings, now)
    return response


# ---------------------------------------------------------------- decisions in one sitting


def _decisions_page(
    request: Request, page: PageSession, session: SessionDep, now: NowDep, rnd: HomeRound, *,
    errors: FieldErrors | None = None, values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    home = session.get(CareHome, rnd.home_id)
    rows = rounds.agenda(session, rnd)
    clinicians = [u for u in members_of(session, rnd.home_id) if u.role in CLINICIANS]
    return render(request, "pages/decisions.html", page, {
        "round": rnd, "home": home,
        "undecided": [r for r in rows if r.decision is None],
        "decided": [r for r in rows if r.decision is not None],
        "response_items": forms.RESPONSE_ITEMS, "response_words": forms.RESPONSE_WORDS,
        "clinician_items": member_items(clinicians),
        "referral_items": [{"value": p.value, "text": p.value.replace("_", " ").capitalize()}
                           for p in sorted(CO_OPTED, key=lambda p: p.value)],
        "errors": errors or FieldErrors(), "values": values or {},
        "tz": ZoneInfo(page.settings.timezone),
    }, now=now, settings=page.settings, status_code=status_code)


@router.get("/rounds/{round_id}/decisions")
def decisions_form(
    request: Request, round_id: uuid.UUID, page: PageSessionDep, session: SessionDep,
    now: NowDep,
) -> Response:
    rnd = rounds.get_round(session, page.actor, round_id)
    page.actor.require_role(DECIDERS, "record MDT decisions")
    return _decisions_page(request, page, session, now, rnd)


@router.post("/rounds/{round_id}/decisions")
def record_decisions(
    request: Request, round_id: uuid.UUID, page: CheckedSessionDep, form: FormDep,
    session: SessionDep, ctx: ContextDep, now: NowDep,
) -> Response:
    """Every filled-in row in one transaction: if any fails, nothing is stored."""
    rnd = rounds.get_round(session, page.actor, round_id)
    page.actor.require_role(DECIDERS, "record MDT decisions")
    errors = FieldErrors()
    recorded: list[tuple[str, str]] = []
    rows = [r for r in rounds.agenda(session, rnd) if r.decision is None]
    for row in rows:
        prefix = str(row.item.id)
        raw = forms.parse_decision(form, prefix)
        if raw is None:
            continue
        who = row.resident.display_name
        try:
            data = DecisionIn.model_validate(raw)
        except ValidationError as exc:
            forms.decision_errors(prefix, who, raw, errors_of(exc), errors)
            continue
        try:
            with session.begin_nested():
                rounds.record_decision(session, page.actor, row.item.id, data, now,
                                       ctx.settings)
        except InvalidInput as exc:
            forms.decision_errors(prefix, who, raw, exc.errors
                                  or [{"field": "response", "reason": exc.detail}], errors)
            continue
        except (Conflict, NotFound) as exc:
            errors.add(f"{prefix}-response", f"{who}: {exc.detail}")
            continue
        recorded.append((who, forms.RESPONSE_WORDS[data.response.value]))
    if not errors and not recorded:
        errors.add("decisions", "Choose a response for at least one resident")
    if errors:
        session.rollback()
        rnd = rounds.get_round(session, page.actor, round_id)
        return _decisions_page(request, page, session, now, rnd, errors=errors,
                               values=form_values(form), status_code=422)
    session.commit()
    response = redirect(f"/rounds/{round_id}/decisions")
    flash(response, "Recorded: " + "; ".join(f"{who}: {what.lower()}" for who, what in recorded)
          + ".", page.settings, now)
    return response


# ---------------------------------------------------------------- nominating from a phone


def _nominate_page(
    request: Request, page: PageSession, session: SessionDep, now: NowDep, *,
    errors: FieldErrors | None = None, values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    page.actor.require_role(rounds.NOMINATING_ROLES, "nominate residents for the round")
    homes = homes_for(session, page.actor.home_ids)
    people = residents.living_in(session, page.actor.home_ids)
    several = len(homes) > 1
    items = [{"value": "", "text": "Choose a resident"}] + [
        {"value": str(r.id), "text": r.display_name
         + (f", room {r.room}" if r.room else "") + (f" ({r.home.name})" if several else "")}
        for r in people]
    return render(request, "pages/nominate.html", page, {
        "resident_items": items, "errors": errors or FieldErrors(),
        "values": values or {}, "has_residents": bool(people),
    }, now=now, settings=page.settings, status_code=status_code)


@router.get("/nominate")
def nominate_form(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep
) -> Response:
    return _nominate_page(request, page, session, now)


@router.post("/nominate")
def nominate(
    request: Request, page: CheckedSessionDep, form: FormDep, session: SessionDep,
    ctx: ContextDep, now: NowDep,
) -> Response:
    values = form_values(form)
    try:
        data = NominationIn.model_validate(forms.parse_nomination(form))
        nomination = rounds.nominate(session, page.actor, data, now, ctx.settings)
    except ValidationError as exc:
        return _nominate_page(request, page, session, now, values=values, status_code=422,
                              errors=forms.nomination_errors(errors_of(exc)))
    except InvalidInput as exc:
        session.rollback()
        return _nominate_page(request, page, session, now, values=values, status_code=422,
                              errors=forms.nomination_errors(exc.errors))
    name = _resident_name(session, nomination.resident_id)
    taken_up = nomination.round_id is not None
    session.commit()
    response = redirect("/nominate")
    flash(response, f"Thank you. {name} is on the list for the MDT"
          + (" at this week's round." if taken_up else " at the next home round."),
          page.settings, now)
    return response
