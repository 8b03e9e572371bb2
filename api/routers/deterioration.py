"""Deterioration and urgent response: observations with NEWS2, the SpO2 scale and baseline,
the urgent queue, acknowledgement, SBARD, the responder's decision, and the PCN's ladder."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from sqlalchemy.orm import Session

from api import idempotent
from api.deps import ApiActor, NowDep, SessionDep, SettingsDep
from api.deterioration_schemas import (
    BaselineOut,
    ChartOut,
    DeteriorationDetailOut,
    DeteriorationOut,
    EscalationPolicyOut,
    FloorOut,
    HomeMeasuresOut,
    PolicyVersionOut,
    RecordedOut,
    ScaleOut,
    baseline_out,
    chart_out,
    chart_people,
    deterioration_detail_out,
    deterioration_people,
    queue_out,
    recorded_out,
)
from api.schemas import PersonRef, names_for, person_ref, problem_responses
from care.audit.service import record as audit
from care.audit.service import record_seen
from care.deterioration import service as deterioration
from care.deterioration.routes import DEFAULT_POLICY, FLOORS, policy_values
from care.deterioration.schemas import (
    BaselineIn,
    DecisionIn,
    EscalationPolicyIn,
    ObservationsIn,
    SbardIn,
    Spo2ScaleIn,
)
from care.journeys import idempotency
from care.journeys.models import Step
from care.residents.models import Resident

router = APIRouter(tags=["deterioration"], responses=problem_responses(401, 404, 422))
WRITE_PROBLEMS = problem_responses(400, 403, 409)


@router.post("/residents/{resident_id}/observations", response_model=RecordedOut,
             status_code=201, responses=WRITE_PROBLEMS)
def record_observations(
    resident_id: uuid.UUID, data: ObservationsIn, request: Request, response: Response,
    actor: ApiActor, session: SessionDep, now: NowDep,
    idempotency_key: Annotated[str | None, Header(
        max_length=idempotency.MAX_KEY_LENGTH,
        description="Makes retries from a phone safe: a repeat with the same key and body "
        "returns the first result and records nothing twice.",
    )] = None,
) -> RecordedOut:
    """Record any subset of a NEWS2 set, soft signs and concern. Implausible values are refused
    field by field (422, nothing stored); missing values are listed, never scored as normal.
    The response carries the NEWS2, the escalation route (with `call_999`) and, when the set
    escalates, the urgent step already open for the first responder; the repeat-observations
    step; and, after soft signs, concern or a partial set, the 'take a full set now' step."""
    call, earlier = idempotent.replay(session, actor.id, idempotency_key, request, response,
                                      data.model_dump(mode="json"))
    if earlier is not None:
        return RecordedOut.model_validate(earlier)
    recorded = deterioration.record_observations(session, actor, resident_id, data, now)
    step_ids = [i for i in (recorded.urgent_step_id, recorded.repeat_step_id,
                            recorded.full_set_step_id) if i]
    steps = {s.id: s for s in (session.get(Step, i) for i in step_ids) if s is not None}
    names = names_for(session, [actor.id, *(s.assignee_id for s in steps.values())])
    resident = session.get(Resident, resident_id)
    assert resident is not None
    body = recorded_out(recorded, steps, now, names, resident)
    idempotent.remember(session, actor.id, call, 201, body.model_dump(mode="json"), now)
    session.commit()
    return body


@router.get("/residents/{resident_id}/observations", response_model=ChartOut)
def observation_chart(
    resident_id: uuid.UUID, actor: ApiActor, session: SessionDep, now: NowDep,
    limit: Annotated[int, Query(ge=1, le=500, description="The most recent sets")] = 50,
) -> ChartOut:
    """The resident's observation chart: recent sets oldest first, the NEWS2 baseline and the
    SpO2 scale in use (with who decided it and when)."""
    chart = deterioration.chart(session, actor, resident_id, limit=limit)
    body = chart_out(chart, names_for(session, chart_people(chart)))
    audit(session, at=now, actor=actor.user, channel=actor.channel, action="observations.view",
          entity="resident", entity_id=resident_id, resident_id=resident_id)
    session.commit()
    return body


@router.put("/residents/{resident_id}/spo2-scale", response_model=ScaleOut,
            responses=WRITE_PROBLEMS)
def set_spo2_scale(
    resident_id: uuid.UUID, data: Spo2ScaleIn, actor: ApiActor, session: SessionDep,
    now: NowDep,
) -> ScaleOut:
    """Set the SpO2 scale for this resident (clinicians only). Scale 2 is only for hypercapnic
    respiratory failure with a prescribed 88-92% target."""
    decision = deterioration.set_spo2_scale(session, actor, resident_id, data, now)
    names = names_for(session, [decision.decided_by_id])
    body = ScaleOut(scale=decision.scale, reason=decision.reason,
                    decided_by=person_ref(decision.decided_by_id, names),
                    decided_at=decision.decided_at)
    session.commit()
    return body


def baseline_person(names: dict[uuid.UUID, str], user_id: uuid.UUID) -> PersonRef | None:
    return person_ref(user_id, names)


@router.put("/residents/{resident_id}/news2-baseline", response_model=BaselineOut,
            responses=WRITE_PROBLEMS)
def set_baseline(
    resident_id: uuid.UUID, data: BaselineIn, actor: ApiActor, session: SessionDep,
    now: NowDep,
) -> BaselineOut:
    """Re-baseline the resident's NEWS2 from one of their full sets (clinicians only). The first
    full set after admission becomes the baseline by itself."""
    baseline = deterioration.set_baseline(session, actor, resident_id, data, now)
    body = baseline_out(baseline, names_for(session, [baseline.set_by_id]))
    session.commit()
    return body


@router.get("/deteriorations", response_model=list[DeteriorationOut])
def urgent_queue(
    actor: ApiActor, session: SessionDep, now: NowDep,
    status: Literal["open", "closed", "all"] = "open",
    home_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeteriorationOut]:
    """The urgent queue: deteriorations in your homes, yours and your profession's first, then
    soonest due."""
    items = deterioration.urgent_queue(session, actor, status=status, home_id=home_id,
                                       limit=limit)
    names = names_for(session, (i.step.assignee_id for i in items if i.step))
    body = queue_out(items, now, names)
    record_seen(session, at=now, actor=actor.user, channel=actor.channel,
                action="deterioration.list", resident_ids={i.resident.id for i in items})
    session.commit()
    return body


def _detail(session: Session, actor: ApiActor, deterioration_id: uuid.UUID,
            now: NowDep) -> DeteriorationDetailOut:
    v = deterioration.view(session, actor, deterioration_id)
    names = names_for(session, [*deterioration_people(v.deterioration, v.steps),
                                *(o.recorded_by_id for o in v.observations)])
    return deterioration_detail_out(v, now, names)


@router.get("/deteriorations/{deterioration_id}", response_model=DeteriorationDetailOut)
def get_deterioration(
    deterioration_id: uuid.UUID, actor: ApiActor, session: SessionDep, now: NowDep,
) -> DeteriorationDetailOut:
    """One deterioration: route, ladder, who has it, the SBARD, its steps and observations."""
    body = _detail(session, actor, deterioration_id, now)
    audit(session, at=now, actor=actor.user, channel=actor.channel, action="deterioration.view",
          entity="deterioration", entity_id=deterioration_id, resident_id=body.resident.id)
    session.commit()
    return body


@router.post("/deteriorations/{deterioration_id}/acknowledge",
             response_model=DeteriorationDetailOut, responses=WRITE_PROBLEMS)
def acknowledge(
    deterioration_id: uuid.UUID, actor: ApiActor, session: SessionDep, now: NowDep,
) -> DeteriorationDetailOut:
    """Acknowledge the urgent step (the current responder's profession only): it becomes
    yours and the ladder stops. 409 if someone else already has it."""
    deterioration.acknowledge(session, actor, deterioration_id, now)
    body = _detail(session, actor, deterioration_id, now)
    session.commit()
    return body


@router.put("/deteriorations/{deterioration_id}/sbard", response_model=DeteriorationDetailOut,
            responses=WRITE_PROBLEMS)
def complete_sbard(
    deterioration_id: uuid.UUID, data: SbardIn, actor: ApiActor, session: SessionDep,
    now: NowDep,
) -> DeteriorationDetailOut:
    """Add (or change) the SBARD recommendation to the drafted situation, background and
    assessment."""
    deterioration.complete_sbard(session, actor, deterioration_id, data, now)
    body = _detail(session, actor, deterioration_id, now)
    session.commit()
    return body


@router.post("/deteriorations/{deterioration_id}/decision",
             response_model=DeteriorationDetailOut, responses=WRITE_PROBLEMS)
def decide(
    deterioration_id: uuid.UUID, data: DecisionIn, actor: ApiActor, session: SessionDep,
    now: NowDep, settings: SettingsDep,
) -> DeteriorationDetailOut:
    """The responder's decision and outcome. Closes the deterioration; an admission records
    the hospital stay (the journey pauses); any A&E attendance is queued for the matron."""
    deterioration.decide(session, actor, deterioration_id, data, now, settings)
    body = _detail(session, actor, deterioration_id, now)
    session.commit()
    return body


def _policy_body(session: Session, actor: ApiActor) -> EscalationPolicyOut:
    policy, stored = deterioration.escalation_policy(session, actor)
    history = deterioration.policy_history(session, actor)
    names = names_for(session, [stored.updated_by_id if stored else None,
                                *(v.changed_by_id for v in history)])
    return EscalationPolicyOut(
        values=policy_values(policy), defaults=policy_values(DEFAULT_POLICY),
        floors={name: FloorOut(low=f.low, high=f.high, why=f.why) for name, f in FLOORS.items()},
        customised=stored is not None,
        updated_by=person_ref(stored.updated_by_id, names) if stored else None,
        updated_at=stored.updated_at if stored else None, note=stored.note if stored else None,
        history=[PolicyVersionOut(version=v.version, values=v.values, reason=v.reason,
                                  changed_by=person_ref(v.changed_by_id, names),
                                  changed_at=v.changed_at) for v in history])


@router.get("/escalation-policy", response_model=EscalationPolicyOut)
def get_escalation_policy(actor: ApiActor, session: SessionDep) -> EscalationPolicyOut:
    """Your PCN's escalation ladder: NEWS2 thresholds, response, acknowledgement and
    repeat-observation times (minutes), the floors each may be set within, and every
    version with who changed it, when and why."""
    return _policy_body(session, actor)


@router.put("/escalation-policy", response_model=EscalationPolicyOut, responses=WRITE_PROBLEMS)
def set_escalation_policy(
    data: EscalationPolicyIn, actor: ApiActor, session: SessionDep, now: NowDep,
) -> EscalationPolicyOut:
    """Set your PCN's ladder (clinical leads only), with the reason. Fields left out keep the
    defaults; values beyond the national floors are 422 with the field and the floor. It
    applies to escalations raised from now on; the version is kept."""
    deterioration.set_escalation_policy(session, actor, data, now)
    body = _policy_body(session, actor)
    session.commit()
    return body


@router.get("/deterioration-measures", response_model=list[HomeMeasuresOut],
            responses=problem_responses(403))
def deterioration_measures(
    actor: ApiActor, session: SessionDep, now: NowDep,
    days: Annotated[int, Query(ge=1, le=366, description="The period, ending now")] = 28,
) -> list[HomeMeasuresOut]:
    """Per home you serve (coordinators, clinical leads, admins): escalations raised in the
    period, urgent responses within the 2-hour clock, outcomes, and residents with a NEWS2
    baseline."""
    return [HomeMeasuresOut(home_id=m.home_id, home_name=m.home_name, days=days,
                            escalations=m.escalations, urgent_due=m.urgent_due,
                            urgent_decided=m.urgent_decided,
                            urgent_within_clock=m.urgent_within_clock,
                            urgent_within_percent=m.urgent_within_percent,
                            outcomes=m.outcomes, residents=m.residents,
                            with_baseline=m.with_baseline)
            for m in deterioration.measures(session, actor, now - timedelta(days=days), now)]
