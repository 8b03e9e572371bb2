"""Deterioration and urgent response pages: care-home staff record observations from a phone
and see at once what happens next (999 first, when it is 999); the observation chart; the
responders' urgent queue; and the SBARD page where the responder acknowledges and records the
decision. Plain form POSTs over ``care.deterioration.service``, as the JSON API uses."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from api.deps import ContextDep, NowDep, SessionDep
from api.deterioration_schemas import chart_people, deterioration_people
from api.pages import deterioration_forms as forms
from api.pages import live
from api.pages.chart import ChartPoint, plot
from api.pages.formkit import (
    YES_NO_ITEMS,
    FieldErrors,
    errors_of,
    form_values,
    may_perform,
)
from api.pages.steps_forms import HOSPITAL_WISH_WORDS
from api.pages.web import (
    CheckedSessionDep,
    FormDep,
    PageSession,
    PageSessionDep,
    flash,
    fragment,
    page_router,
    redirect,
    render,
)
from api.schemas import names_for
from care.audit.service import record as audit
from care.audit.service import record_seen
from care.deterioration import service
from care.deterioration.kinds import DeteriorationStep
from care.deterioration.models import (
    Deterioration,
    DeteriorationStatus,
    ObservationSet,
    ResponseOutcome,
)
from care.deterioration.news2 import News2Result, Parameter, SubScore
from care.deterioration.routes import (
    DEFAULT_POLICY,
    RESPONDER_LABELS,
    Responder,
    Urgency,
    policy_values,
)
from care.deterioration.schemas import (
    BaselineIn,
    DecisionIn,
    EscalationPolicyIn,
    ObservationsIn,
    SbardIn,
    SoftSign,
    Spo2ScaleIn,
)
from care.directory.access import CLINICAL_ROLES, CLINICIANS, Actor
from care.errors import Conflict, InvalidInput
from care.journeys import service as journeys
from care.journeys.models import Step, StepStatus
from care.residents import service as residents
from care.residents.models import Resident, ResidentStatus

router = page_router()

URGENCY_WORDS: dict[Urgency, tuple[str, str]] = {
    Urgency.EMERGENCY: ("Emergency", "red"),
    Urgency.URGENT: ("Urgent", "orange"),
    Urgency.SAME_DAY: ("Same day", "yellow"),
    Urgency.ROUTINE: ("Routine", "grey"),
}
PARAMETER_WORDS: dict[str, str] = {
    "respiration_rate": "breathing rate",
    "spo2": "oxygen level (SpO2)",
    "air_or_oxygen": "air or oxygen",
    "systolic_bp": "blood pressure",
    "pulse": "pulse",
    "consciousness": "how alert they are",
    "temperature": "temperature",
}
def responder_words(det: Deterioration, level: int | None = None) -> str:
    """Who the ladder is at ("the GP"), in the SBARD's words."""
    return RESPONDER_LABELS[Responder(det.ladder[det.level if level is None else level])]


def calls_999(det: Deterioration) -> bool:
    """The open escalation's current responder is a 999 ambulance: the home calls now."""
    return (det.status == DeteriorationStatus.OPEN
            and Responder(det.ladder[det.level]) == Responder.AMBULANCE)


def stored_news2(row: ObservationSet) -> News2Result:
    """The NEWS2 as it was scored and stored with the set (for its words: never re-scored)."""
    values: dict[Parameter, Any] = {
        Parameter.RESPIRATION_RATE: row.respiration_rate, Parameter.SPO2: row.spo2,
        Parameter.AIR_OR_OXYGEN: row.on_oxygen, Parameter.SYSTOLIC_BP: row.systolic_bp,
        Parameter.PULSE: row.pulse,
        Parameter.CONSCIOUSNESS: row.consciousness.value if row.consciousness else None,
        Parameter.TEMPERATURE: float(row.temperature) if row.temperature is not None else None,
    }
    order = list(Parameter)
    subs = sorted(((Parameter(name), points) for name, points in row.sub_scores.items()),
                  key=lambda item: order.index(item[0]))
    return News2Result(
        scale=row.spo2_scale,
        sub_scores=tuple(SubScore(p, values[p], points) for p, points in subs),
        missing=tuple(sorted((Parameter(m) for m in row.missing), key=order.index)),
        complete=row.news2_complete, total=row.news2_total or 0,
        single_parameter_3=row.single_parameter_3, risk=row.risk)


@dataclass(frozen=True)
class Cell:
    """One value of a set in the chart's table: what was taken, and what it scored."""

    parameter: str
    text: str  # "not taken" when missing: never shown as normal
    points: int | None
    taken: bool


def cells(row: ObservationSet) -> list[Cell]:
    """The set's seven values in NEWS2 chart order."""
    shown: dict[str, str | None] = {
        "respiration_rate": None if row.respiration_rate is None else str(row.respiration_rate),
        "spo2": None if row.spo2 is None else f"{row.spo2}%",
        "air_or_oxygen": None if row.on_oxygen is None
        else ("Oxygen" if row.on_oxygen else "Air"),
        "systolic_bp": None if row.systolic_bp is None else str(row.systolic_bp),
        "pulse": None if row.pulse is None else str(row.pulse),
        "consciousness": None if row.consciousness is None
        else forms.CONSCIOUSNESS_WORDS[row.consciousness.value],
        "temperature": None if row.temperature is None else f"{row.temperature}°C",
    }
    found = []
    for parameter in Parameter:
        text = shown[parameter.value]
        points = row.sub_scores.get(parameter.value)
        if text is None:
            found.append(Cell(parameter.value, "not taken", None, False))
        else:
            # Taken but not scored: SpO2 on scale 2 without air or oxygen recorded.
            found.append(Cell(parameter.value, text if points is not None
                              else f"{text} (not scored)", points, True))
    return found


def _when(tz: str) -> Callable[[datetime], str]:
    """A short local date and time for tables: "Tue 10 Nov, 2:00pm"."""
    zone = ZoneInfo(tz)

    def when(value: datetime) -> str:
        local = value.astimezone(zone)
        return (f"{local:%a} {local.day} {local:%b}, {local.hour % 12 or 12}:{local:%M}"
                f"{'am' if local.hour < 12 else 'pm'}")

    return when


def _common(page: PageSession) -> dict[str, Any]:
    return {"urgency_words": URGENCY_WORDS, "parameter_words": PARAMETER_WORDS,
            "sign_labels": {s.value: s.label for s in SoftSign},
            "consciousness_words": forms.CONSCIOUSNESS_WORDS,
            "wish_words": HOSPITAL_WISH_WORDS,
            "responder_words": responder_words, "calls_999": calls_999, "cells": cells,
            "when": _when(page.settings.timezone),
            "tz": page.settings.timezone}


# ---------------------------------------------------------------- recording observations


def _repeat_step(session: SessionDep, actor: Actor, resident_id: uuid.UUID,
                 step_id: uuid.UUID | None) -> Step | None:
    """The repeat-observations step the link named, while it is still waiting."""
    if step_id is None:
        return None
    step = journeys.get_step(session, actor, step_id)
    if (step.kind != DeteriorationStep.REPEAT_OBSERVATIONS or step.resident_id != resident_id
            or not step.is_open):
        return None
    return step


def _recordable(session: SessionDep, page: PageSession, resident_id: uuid.UUID) -> Resident:
    page.actor.require_role(CLINICAL_ROLES, "record observations")
    resident = residents.get_resident(session, page.actor, resident_id)
    if resident.status != ResidentStatus.RESIDENT:
        raise Conflict(f"cannot record observations: {resident.display_name} is "
                       f"{resident.status.value.replace('_', ' ')}")
    return resident


def _form_page(
    request: Request, page: PageSession, session: SessionDep, now: NowDep,
    resident_id: uuid.UUID, *, step: Step | None, values: dict[str, str],
    errors: FieldErrors | None = None, status_code: int = 200,
) -> Response:
    resident = _recordable(session, page, resident_id)
    action = f"/residents/{resident_id}/observations/new" + (f"?step={step.id}" if step else "")
    return render(request, "pages/observations_new.html", page, {
        "resident": resident, "step": step, "action": action,
        "values": values, "errors": errors or FieldErrors(),
        "vitals": forms.VITALS, "oxygen_items": forms.OXYGEN_ITEMS,
        "consciousness_items": forms.CONSCIOUSNESS_ITEMS,
        "sign_items": [{"name": name, "id": name, "value": "yes", "text": label,
                        "checked": values.get(name) == "yes"}
                       for name, label in forms.SOFT_SIGN_FIELDS],
        "yes_no_items": YES_NO_ITEMS,
    }, now=now, settings=page.settings, status_code=status_code)


@router.get("/residents/{resident_id}/observations/new")
def observation_form(
    request: Request, resident_id: uuid.UUID, page: PageSessionDep, session: SessionDep,
    now: NowDep, step: uuid.UUID | None = None,
) -> Response:
    answering = _repeat_step(session, page.actor, resident_id, step)
    return _form_page(request, page, session, now, resident_id, step=answering, values={})


@router.post("/residents/{resident_id}/observations/new")
def record_observations(
    request: Request, resident_id: uuid.UUID, page: CheckedSessionDep, form: FormDep,
    session: SessionDep, ctx: ContextDep, now: NowDep, step: uuid.UUID | None = None,
) -> Response:
    """Validated field by field before anything is stored; a repeat-observations step named
    by the link is completed with the set (the journey records who answered it)."""
    answering = _repeat_step(session, page.actor, resident_id, step)
    raw, problems = forms.parse_observations(form, now, ctx.settings.timezone)

    def again(errors: FieldErrors) -> Response:
        return _form_page(request, page, session, now, resident_id, step=answering,
                          values=form_values(form), errors=errors, status_code=422)

    try:
        data = ObservationsIn.model_validate(raw)
    except ValidationError as exc:
        return again(forms.observation_errors(errors_of(exc), problems))
    if problems:
        return again(problems)
    try:
        if answering is not None and may_perform(page.actor, answering):
            done = journeys.complete_step(session, page.actor, answering.id,
                                          data.model_dump(mode="json"), now, ctx.settings)
            observation_id = uuid.UUID(str((done.outcome or {})["observation_set_id"]))
        else:
            # Anyone else's set answers the waiting repeat step too (the domain sees to it).
            recorded = service.record_observations(session, page.actor, resident_id, data, now)
            observation_id = recorded.observation.id
    except InvalidInput as exc:
        session.rollback()
        answering = _repeat_step(session, page.actor, resident_id, step)
        return again(forms.observation_errors(exc.errors))
    session.commit()
    return redirect(f"/residents/{resident_id}/observations/{observation_id}")


@dataclass
class NextSteps:
    """What happens after a set, in the words the result page uses."""

    call_999: bool = False
    responder: str | None = None
    respond_by: datetime | None = None
    acknowledged_by: str | None = None
    next_responder: str | None = None
    acknowledge_minutes: int | None = None
    repeat_by: datetime | None = None
    repeat_step: Step | None = None
    # Soft signs, concern or a partial set: a full set now (hazards H-03, H-09).
    full_set_step: Step | None = None
    reasons: tuple[str, ...] = ()
    closed: bool = False


def _next_steps(row: ObservationSet, view: service.DeteriorationView | None,
                names: dict[uuid.UUID, str], session: Session) -> NextSteps:
    routine_repeat, full_set = service.steps_after(session, row.id)
    full_set = full_set if full_set is not None and full_set.is_open else None
    if view is None:
        repeat = routine_repeat if routine_repeat is not None and routine_repeat.is_open else None
        return NextSteps(repeat_by=repeat.due_at if repeat else None, repeat_step=repeat,
                         full_set_step=full_set)
    det = view.deterioration
    if det.status != DeteriorationStatus.OPEN:
        return NextSteps(reasons=tuple(det.reasons), closed=True)
    step = view.current_step
    repeat = next((s for s in view.steps
                   if s.kind == DeteriorationStep.REPEAT_OBSERVATIONS and s.is_open), None)
    return NextSteps(
        # 999 when this set is what calls for it; a later, calmer set does not repeat the call.
        call_999=calls_999(det) and row.urgency == Urgency.EMERGENCY,
        responder=responder_words(det),
        respond_by=det.respond_by,
        acknowledged_by=names.get(step.assignee_id) if step and step.assignee_id else None,
        next_responder=responder_words(det, det.level + 1)
        if det.level + 1 < len(det.ladder) else None,
        acknowledge_minutes=det.acknowledge_within_minutes,
        repeat_by=repeat.due_at if repeat else None,
        repeat_step=repeat,
        full_set_step=full_set,
        reasons=tuple(det.reasons),
    )


@router.get("/residents/{resident_id}/observations/{observation_id}")
def observation_result(
    request: Request, resident_id: uuid.UUID, observation_id: uuid.UUID, page: PageSessionDep,
    session: SessionDep, now: NowDep,
) -> Response:
    resident, row, baseline = service.get_observation(session, page.actor, resident_id,
                                                      observation_id)
    view = service.view(session, page.actor, row.deterioration_id) if row.deterioration_id \
        else None
    names = names_for(session, [row.recorded_by_id, *(
        s.assignee_id for s in (view.steps if view else []))])
    audit(session, at=now, actor=page.actor.user, action="observations.view",
          entity="observation_set", entity_id=row.id, resident_id=resident_id, channel="web")
    session.commit()
    return render(request, "pages/observation_result.html", page, {
        **_common(page),
        "resident": resident, "row": row, "news2": stored_news2(row),
        "deterioration": view.deterioration if view else None,
        "next": _next_steps(row, view, names, session), "names": names,
        "baseline_set": baseline is not None and baseline.observation_set_id == row.id,
    }, now=now, settings=page.settings)


# ---------------------------------------------------------------- the chart


def _chart_page(
    request: Request, page: PageSession, session: SessionDep, now: NowDep,
    resident_id: uuid.UUID, *, errors: FieldErrors | None = None,
    values: dict[str, str] | None = None, status_code: int = 200,
) -> Response:
    data = service.chart(session, page.actor, resident_id)
    names = names_for(session, chart_people(data))
    baseline = data.baseline
    geometry = plot([ChartPoint(o.taken_at, o.news2_total, o.news2_complete)
                     for o in data.observations],
                    baseline.total if baseline else None, tz=page.settings.timezone)
    audit(session, at=now, actor=page.actor.user, action="observations.view",
          entity="resident", entity_id=resident_id, resident_id=resident_id, channel="web")
    session.commit()
    full_sets = [o for o in reversed(data.observations)
                 if o.news2_complete and o.news2_total is not None]
    zone = ZoneInfo(page.settings.timezone)
    return render(request, "pages/observations.html", page, {
        **_common(page),
        "chart": data, "resident": data.resident, "plot": geometry, "names": names,
        "rows": [(o, stored_news2(o)) for o in reversed(data.observations)],
        "scale_words": forms.SCALE_WORDS, "scale_items": forms.SCALE_ITEMS,
        "baseline_items": [{"value": "", "text": "Choose a full set"}] + [
            {"value": str(o.id), "text": f"NEWS2 {o.news2_total}, taken "
             + o.taken_at.astimezone(zone).strftime("%-d %b %H:%M")} for o in full_sets],
        "can_record": page.can_record_observations
        and data.resident.status == ResidentStatus.RESIDENT,
        "is_clinician": page.actor.role in CLINICIANS,
        "description": _chart_words(data.observations, baseline.total if baseline else None),
        "errors": errors or FieldErrors(), "values": values or {},
    }, now=now, settings=page.settings, status_code=status_code)


def _chart_words(rows: list[ObservationSet], baseline: int | None) -> str:
    """The chart in one paragraph, for screen readers (the table below has every value)."""
    scored = [o for o in rows if o.news2_total is not None]
    if not scored:
        return "No NEWS2 scores recorded yet."
    latest = scored[-1]
    words = [f"NEWS2 totals of {len(scored)} sets, oldest first: "
             + ", ".join(f"{o.news2_total}{'' if o.news2_complete else ' (partial)'}"
                         for o in scored) + "."]
    words.append(f"Latest {latest.news2_total}.")
    words.append(f"Baseline {baseline}." if baseline is not None else "No baseline set.")
    return " ".join(words)


@router.get("/residents/{resident_id}/observations")
def observation_chart(
    request: Request, resident_id: uuid.UUID, page: PageSessionDep, session: SessionDep,
    now: NowDep,
) -> Response:
    return _chart_page(request, page, session, now, resident_id)


def _clinician_change(
    request: Request, page: PageSession, session: SessionDep, now: NowDep,
    resident_id: uuid.UUID, form: dict[str, str], schema: type[BaseModel], prefix: str,
) -> BaseModel | Response:
    """The scale or baseline form, validated; or the chart again with the errors."""
    raw = {k: v.strip() for k, v in form_values(form).items() if v.strip()}
    try:
        return schema.model_validate(raw)
    except ValidationError as exc:
        errors = forms.clinician_errors(errors_of(exc), prefix)
        return _chart_page(request, page, session, now, resident_id, errors=errors,
                           values={prefix + k: v for k, v in form_values(form).items()},
                           status_code=422)


@router.post("/residents/{resident_id}/observations/scale")
def set_scale(
    request: Request, resident_id: uuid.UUID, page: CheckedSessionDep, form: FormDep,
    session: SessionDep, now: NowDep,
) -> Response:
    page.actor.require_role(CLINICIANS, "set the SpO2 scale")
    data = _clinician_change(request, page, session, now, resident_id, form, Spo2ScaleIn,
                             "scale-")
    if not isinstance(data, Spo2ScaleIn):
        assert isinstance(data, Response)
        return data
    service.set_spo2_scale(session, page.actor, resident_id, data, now)
    session.commit()
    response = redirect(f"/residents/{resident_id}/observations")
    flash(response, f"SpO2 {forms.SCALE_WORDS[data.scale].lower()} set. Observations from now "
                    "on are scored on it.", page.settings, now)
    return response


@router.post("/residents/{resident_id}/observations/baseline")
def set_baseline(
    request: Request, resident_id: uuid.UUID, page: CheckedSessionDep, form: FormDep,
    session: SessionDep, now: NowDep,
) -> Response:
    page.actor.require_role(CLINICIANS, "set a NEWS2 baseline")
    data = _clinician_change(request, page, session, now, resident_id, form, BaselineIn,
                             "baseline-")
    if not isinstance(data, BaselineIn):
        assert isinstance(data, Response)
        return data
    try:
        baseline = service.set_baseline(session, page.actor, resident_id, data, now)
    except InvalidInput as exc:
        session.rollback()
        return _chart_page(request, page, session, now, resident_id, status_code=422,
                           errors=forms.clinician_errors(exc.errors, "baseline-"),
                           values={"baseline-" + k: v for k, v in form_values(form).items()})
    total = baseline.total
    session.commit()
    response = redirect(f"/residents/{resident_id}/observations")
    flash(response, f"NEWS2 baseline set to {total}.", page.settings, now)
    return response


# ---------------------------------------------------------------- the urgent queue


@dataclass(frozen=True)
class _UrgentLists:
    html: str
    work: str  # the work itself, not its wording: a change is announced
    status: str
    resident_ids: list[uuid.UUID | None]


def _urgent_lists(
    request: Request, page: PageSession, session: SessionDep, now: datetime
) -> _UrgentLists:
    items = service.urgent_queue(session, page.actor)
    reviews = service.ae_attendances(session, page.actor)
    names = names_for(session, [i.step.assignee_id for i in items if i.step])
    mine = [i for i in items if i.for_me]
    html = fragment(request, "pages/_urgent_lists.html", page, {
        **_common(page), "mine": mine, "others": [i for i in items if not i.for_me],
        "reviews": reviews, "names": names,
    }, now=now, settings=page.settings)
    work = live.state([*((i.deterioration.id, i.deterioration.status, i.deterioration.level,
                          i.deterioration.urgency, i.step.id if i.step else None,
                          i.step.assignee_id if i.step else None, i.for_me) for i in items),
                       *((s.id, s.assignee_id) for s, _ in reviews)])
    status = (f"Updated at {_when(page.settings.timezone)(now)}: {len(mine)} for you, "
              f"{len(items) - len(mine)} others, {len(reviews)} A&E reviews.")
    return _UrgentLists(html, work, status,
                        [*(i.resident.id for i in items), *(r.id for _, r in reviews)])


def _urgent_region(request: Request, page: PageSession, lists: _UrgentLists) -> Any:
    return live.live_region(request, region_id="urgent-live", url="/urgent/live",
                            inner=lists.html, work=lists.work,
                            refresh=page.settings.live_refresh_seconds)


@router.get("/urgent")
def urgent_queue(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep
) -> Response:
    lists = _urgent_lists(request, page, session, now)
    record_seen(session, at=now, actor=page.actor.user, channel="web",
                action="deterioration.list", resident_ids=lists.resident_ids)
    session.commit()
    return render(request, "pages/urgent.html", page, {
        "queue_region": _urgent_region(request, page, lists),
    }, now=now, settings=page.settings)


@router.get("/urgent/live")
def urgent_live(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep,
    v: str = "", s: str = "",
) -> Response:
    """The queue again for an open /urgent page, only when what it shows has changed."""
    lists = _urgent_lists(request, page, session, now)
    if live.version(lists.html) == v:
        return live.unchanged()
    record_seen(session, at=now, actor=page.actor.user, channel="web",
                action="deterioration.list", resident_ids=lists.resident_ids)
    session.commit()
    return live.live_answer(request, _urgent_region(request, page, lists),
                            status_id="urgent-status", status_text=lists.status,
                            work_changed=lists.work != s)


# ---------------------------------------------------------------- one deterioration


def _deterioration_page(
    request: Request, page: PageSession, session: SessionDep, now: NowDep,
    deterioration_id: uuid.UUID, *, errors: FieldErrors | None = None,
    values: dict[str, str] | None = None, status_code: int = 200,
) -> Response:
    actor = page.actor
    view = service.view(session, actor, deterioration_id)
    det, step = view.deterioration, view.current_step
    people = deterioration_people(det, view.steps)
    people.update([det.opened_by_id, *(o.recorded_by_id for o in view.observations)])
    names = names_for(session, people)
    is_open = det.status == DeteriorationStatus.OPEN
    can_act = is_open and step is not None and step.is_open and may_perform(actor, step)
    return render(request, "pages/deterioration.html", page, {
        **_common(page),
        "det": det, "resident": view.resident, "step": step,
        "steps": view.steps, "observations": [(o, stored_news2(o)) for o in view.observations],
        "names": names, "is_open": is_open, "call_999": calls_999(det),
        "can_acknowledge": can_act and step is not None and step.status == StepStatus.READY,
        "can_decide": can_act and step is not None and step.assignee_id in (None, actor.id),
        "can_recommend": is_open and actor.role in CLINICAL_ROLES,
        "outcome_items": forms.OUTCOME_ITEMS,
        "errors": errors or FieldErrors(), "values": values or {},
    }, now=now, settings=page.settings, status_code=status_code)


@router.get("/deteriorations/{deterioration_id}")
def deterioration_detail(
    request: Request, deterioration_id: uuid.UUID, page: PageSessionDep, session: SessionDep,
    now: NowDep,
) -> Response:
    det = service.get_deterioration(session, page.actor, deterioration_id)
    audit(session, at=now, actor=page.actor.user, action="deterioration.view",
          entity="deterioration", entity_id=det.id, resident_id=det.resident_id, channel="web")
    session.commit()
    return _deterioration_page(request, page, session, now, deterioration_id)


@router.post("/deteriorations/{deterioration_id}/acknowledge")
def acknowledge(
    deterioration_id: uuid.UUID, page: CheckedSessionDep, session: SessionDep, now: NowDep
) -> Response:
    service.acknowledge(session, page.actor, deterioration_id, now)
    session.commit()
    response = redirect(f"/deteriorations/{deterioration_id}")
    flash(response, "You have acknowledged this. It is yours: the ladder has stopped and the "
                    "home can see you have it. Record your decision below.", page.settings, now)
    return response


@router.post("/deteriorations/{deterioration_id}/sbard")
def recommend(
    request: Request, deterioration_id: uuid.UUID, page: CheckedSessionDep, form: FormDep,
    session: SessionDep, now: NowDep,
) -> Response:
    try:
        data = SbardIn.model_validate({"recommendation": form.get("recommendation", "")})
    except ValidationError as exc:
        return _deterioration_page(
            request, page, session, now, deterioration_id, values=form_values(form),
            errors=forms.clinician_errors(errors_of(exc)),
            status_code=422)
    service.complete_sbard(session, page.actor, deterioration_id, data, now)
    session.commit()
    response = redirect(f"/deteriorations/{deterioration_id}#sbard")
    flash(response, "Recommendation added to the SBARD.", page.settings, now)
    return response


@router.post("/deteriorations/{deterioration_id}/decision")
def decide(
    request: Request, deterioration_id: uuid.UUID, page: CheckedSessionDep, form: FormDep,
    session: SessionDep, ctx: ContextDep, now: NowDep,
) -> Response:
    def again(errors: FieldErrors) -> Response:
        return _deterioration_page(request, page, session, now, deterioration_id,
                                   values=form_values(form), errors=errors, status_code=422)

    try:
        data = DecisionIn.model_validate(forms.parse_response_decision(form))
    except ValidationError as exc:
        return again(forms.response_decision_errors(errors_of(exc)))
    try:
        service.decide(session, page.actor, deterioration_id, data, now, ctx.settings)
    except InvalidInput as exc:
        session.rollback()
        return again(forms.response_decision_errors(exc.errors))
    session.commit()
    message = f"Decision recorded: {data.outcome.label.lower()}. The urgent response is closed."
    if data.outcome == ResponseOutcome.ADMITTED:
        message += " The hospital admission is recorded; the resident's steps wait for them."
    if data.outcome.attended_ae:
        message += " The community matron will review the A&E attendance with the home."
    response = redirect(f"/deteriorations/{deterioration_id}")
    flash(response, message, page.settings, now)
    return response


# ---------------------------------------------------------------- the PCN's escalation ladder

def _ladder_page(
    request: Request, page: PageSession, session: SessionDep, now: datetime, *,
    values: dict[str, str] | None = None, errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:
    policy, stored = service.escalation_policy(session, page.actor)
    current = policy_values(policy)
    history = service.policy_history(session, page.actor)
    names = names_for(session, [stored.updated_by_id if stored else None,
                                *(v.changed_by_id for v in history)])
    return render(request, "pages/escalation_ladder.html", page, {
        "fields": forms.LADDER_FIELDS, "current": current,
        "defaults": policy_values(DEFAULT_POLICY),
        "history": history, "names": names,
        "stored": stored, "updated_by": names.get(stored.updated_by_id) if stored else None,
        "can_edit": page.actor.role in service.POLICY_EDITORS,
        "values": values if values is not None else {k: str(v) for k, v in current.items()
                                                      if v is not None},
        "errors": errors or FieldErrors(),
    }, now=now, settings=page.settings, status_code=status_code)


@router.get("/escalation-ladder")
def escalation_ladder(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep
) -> Response:
    """Everyone may read the PCN's ladder and its history; clinical leads change it."""
    return _ladder_page(request, page, session, now)


@router.post("/escalation-ladder")
def set_escalation_ladder(
    request: Request, page: CheckedSessionDep, form: FormDep, session: SessionDep,
    now: NowDep,
) -> Response:
    page.actor.require_role(service.POLICY_EDITORS, "change the escalation ladder")
    values, data = forms.parse_ladder(form)
    try:
        parsed = EscalationPolicyIn.model_validate(data)
        service.set_escalation_policy(session, page.actor, parsed, now)
    except ValidationError as exc:
        session.rollback()
        return _ladder_page(request, page, session, now, values=values, status_code=422,
                            errors=forms.ladder_errors(errors_of(exc)))
    except InvalidInput as exc:
        session.rollback()
        return _ladder_page(request, page, session, now, values=values, status_code=422,
                            errors=forms.ladder_errors(exc.errors))
    session.commit()
    response = redirect("/escalation-ladder")
    flash(response, "Escalation ladder saved. It applies to escalations raised from now on.",
          page.settings, now)
    return response
