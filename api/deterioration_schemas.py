"""Response bodies for observations, NEWS2, escalation routes, deteriorations and the ladder."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from api.schemas import PersonRef, ResidentRef, StepOut, person_ref, resident_ref, step_out
from care.deterioration.models import (
    Deterioration,
    DeteriorationStatus,
    News2Baseline,
    ObservationSet,
    ResponseOutcome,
)
from care.deterioration.news2 import Consciousness, News2Result, RiskBand, SpO2Scale
from care.deterioration.recording import Recorded
from care.deterioration.routes import Route, Urgency, minutes
from care.deterioration.schemas import SoftSign
from care.deterioration.service import Chart, DeteriorationView, QueueItem
from care.journeys.models import Step
from care.residents.models import Resident


class News2Out(BaseModel):
    total: int | None = Field(description="None when nothing was scored (never read as 0)")
    complete: bool = Field(description="False: a partial score from the parameters present")
    missing: list[str] = Field(description="Parameters not recorded; never scored as normal")
    sub_scores: dict[str, int]
    single_parameter_3: bool
    risk: RiskBand | None
    scale: SpO2Scale
    label: str = Field(description="In plain words, e.g. 'NEWS2 6 (medium risk)'")
    notes: list[str] = []


def news2_out(result: News2Result) -> News2Out:
    return News2Out(
        total=result.total if result.risk is not None else None, complete=result.complete,
        missing=[p.value for p in result.missing],
        sub_scores={s.parameter.value: s.points for s in result.sub_scores},
        single_parameter_3=result.single_parameter_3, risk=result.risk, scale=result.scale,
        label=result.label, notes=list(result.notes))


class RouteOut(BaseModel):
    urgency: Urgency
    call_999: bool = Field(description="Call 999 now: never wait for anything else")
    ladder: list[str] = Field(description="First responder, then who takes over if "
                              "the step is not acknowledged in time")
    respond_within_minutes: int | None
    repeat_observations_in_minutes: int | None
    reasons: list[str]


def route_out(route: Route) -> RouteOut:
    return RouteOut(urgency=route.urgency, call_999=route.call_999,
                    ladder=[r.value for r in route.ladder],
                    respond_within_minutes=minutes(route.respond_within),
                    repeat_observations_in_minutes=minutes(route.repeat_obs_in),
                    reasons=list(route.reasons))


class ObservationOut(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID
    taken_at: datetime
    recorded_at: datetime
    recorded_by: PersonRef | None
    respiration_rate: int | None
    spo2: int | None
    on_oxygen: bool | None
    systolic_bp: int | None
    pulse: int | None
    consciousness: Consciousness | None
    temperature: Decimal | None
    spo2_scale: SpO2Scale
    news2_total: int | None
    news2_complete: bool
    single_parameter_3: bool
    risk: RiskBand | None
    sub_scores: dict[str, int]
    missing: list[str]
    soft_signs: list[SoftSign]
    soft_signs_note: str | None
    carer_concerned: bool
    medical_emergency: bool
    urgency: Urgency
    deterioration_id: uuid.UUID | None


def observation_out(row: ObservationSet, names: Mapping[uuid.UUID, str]) -> ObservationOut:
    return ObservationOut(
        id=row.id, resident_id=row.resident_id, taken_at=row.taken_at,
        recorded_at=row.recorded_at, recorded_by=person_ref(row.recorded_by_id, names),
        respiration_rate=row.respiration_rate, spo2=row.spo2, on_oxygen=row.on_oxygen,
        systolic_bp=row.systolic_bp, pulse=row.pulse, consciousness=row.consciousness,
        temperature=row.temperature, spo2_scale=row.spo2_scale, news2_total=row.news2_total,
        news2_complete=row.news2_complete, single_parameter_3=row.single_parameter_3,
        risk=row.risk, sub_scores=row.sub_scores, missing=row.missing,
        soft_signs=[SoftSign(s) for s in row.soft_signs], soft_signs_note=row.soft_signs_note,
        carer_concerned=row.carer_concerned, medical_emergency=row.medical_emergency,
        urgency=row.urgency, deterioration_id=row.deterioration_id)


class RecordedOut(BaseModel):
    observation: ObservationOut
    news2: News2Out
    route: RouteOut
    deterioration_id: uuid.UUID | None = Field(
        description="The escalation these observations opened or joined")
    escalated: bool = Field(description="An escalation opened, or became more urgent")
    urgent_step: StepOut | None
    repeat_step: StepOut | None
    full_set_step: StepOut | None = Field(
        default=None, description="Soft signs, concern or a partial set: take a full set now "
                                  "(due within 15 minutes by default)")
    baseline_set: bool = Field(description="This was the resident's first full set, so it "
                               "became their NEWS2 baseline")


def recorded_out(recorded: Recorded, steps: Mapping[uuid.UUID, Step], now: datetime,
                 names: Mapping[uuid.UUID, str], resident: Resident) -> RecordedOut:
    def one(step_id: uuid.UUID | None) -> StepOut | None:
        step = steps.get(step_id) if step_id else None
        return step_out(step, now, names, resident) if step else None

    return RecordedOut(
        observation=observation_out(recorded.observation, names),
        news2=news2_out(recorded.news2), route=route_out(recorded.route),
        deterioration_id=recorded.deterioration.id if recorded.deterioration else None,
        escalated=recorded.escalated, urgent_step=one(recorded.urgent_step_id),
        repeat_step=one(recorded.repeat_step_id), full_set_step=one(recorded.full_set_step_id),
        baseline_set=recorded.baseline_set)


class BaselineOut(BaseModel):
    total: int
    observation_id: uuid.UUID
    reason: str
    set_by: PersonRef | None
    set_at: datetime


def baseline_out(b: News2Baseline, names: Mapping[uuid.UUID, str]) -> BaselineOut:
    return BaselineOut(total=b.total, observation_id=b.observation_set_id, reason=b.reason,
                       set_by=person_ref(b.set_by_id, names), set_at=b.set_at)


class ScaleOut(BaseModel):
    scale: SpO2Scale
    reason: str | None = Field(description="None: the default, scale 1")
    decided_by: PersonRef | None
    decided_at: datetime | None


class ChartOut(BaseModel):
    resident: ResidentRef
    spo2_scale: ScaleOut
    baseline: BaselineOut | None
    open_deterioration_id: uuid.UUID | None
    observations: list[ObservationOut] = Field(description="Oldest first")


def chart_people(chart: Chart) -> set[uuid.UUID | None]:
    ids: set[uuid.UUID | None] = {o.recorded_by_id for o in chart.observations}
    ids.add(chart.baseline.set_by_id if chart.baseline else None)
    ids.add(chart.scale_decision.decided_by_id if chart.scale_decision else None)
    return ids


def chart_out(chart: Chart, names: Mapping[uuid.UUID, str]) -> ChartOut:
    d = chart.scale_decision
    return ChartOut(
        resident=resident_ref(chart.resident),
        spo2_scale=ScaleOut(scale=chart.scale, reason=d.reason if d else None,
                            decided_by=person_ref(d.decided_by_id, names) if d else None,
                            decided_at=d.decided_at if d else None),
        baseline=baseline_out(chart.baseline, names) if chart.baseline else None,
        open_deterioration_id=chart.open_deterioration.id if chart.open_deterioration else None,
        observations=[observation_out(o, names) for o in chart.observations])


class SbardOut(BaseModel):
    situation: str
    background: str
    assessment: str
    suggested_recommendation: str
    recommendation: str | None = Field(description="Completed by the staff member")
    recommendation_by: PersonRef | None
    decision: str | None = Field(description="The responder's decision")
    decided_by: PersonRef | None


class DeteriorationOut(BaseModel):
    id: uuid.UUID
    resident: ResidentRef
    home_id: uuid.UUID
    status: DeteriorationStatus
    urgency: Urgency
    reasons: list[str]
    ladder: list[str]
    level: int = Field(description="Index into the ladder of who has it now")
    current_responder: str
    respond_by: datetime | None = Field(description="The route's clock (2 h for UCR)")
    acknowledged: bool
    acknowledged_by: PersonRef | None
    opened_at: datetime
    closed_at: datetime | None
    outcome: ResponseOutcome | None
    within_clock: bool | None = Field(description="Decided by the route's time (None: open)")
    wishes: dict[str, Any] = Field(description="The escalation wishes the route followed")
    current_step: StepOut | None


class DeteriorationDetailOut(DeteriorationOut):
    sbard: SbardOut
    steps: list[StepOut]
    observations: list[ObservationOut]


def deterioration_people(det: Deterioration, steps: list[Step]) -> set[uuid.UUID | None]:
    ids: set[uuid.UUID | None] = {det.sbard_completed_by_id, det.decided_by_id}
    ids.update(i for s in steps for i in (s.assignee_id, s.completed_by_id))
    return ids


def deterioration_out(det: Deterioration, resident: Resident, step: Step | None, now: datetime,
                      names: Mapping[uuid.UUID, str]) -> DeteriorationOut:
    acknowledged = step is not None and step.assignee_id is not None
    return DeteriorationOut(
        id=det.id, resident=resident_ref(resident), home_id=det.home_id, status=det.status,
        urgency=det.urgency, reasons=det.reasons, ladder=det.ladder, level=det.level,
        current_responder=det.ladder[det.level], respond_by=det.respond_by,
        acknowledged=acknowledged,
        acknowledged_by=person_ref(step.assignee_id, names) if step and acknowledged else None,
        opened_at=det.opened_at, closed_at=det.closed_at, outcome=det.outcome,
        within_clock=(None if det.closed_at is None else
                      det.respond_by is None or det.closed_at <= det.respond_by),
        wishes=det.wishes,
        current_step=step_out(step, now, names, resident) if step else None)


def deterioration_detail_out(v: DeteriorationView, now: datetime,
                             names: Mapping[uuid.UUID, str]) -> DeteriorationDetailOut:
    det = v.deterioration
    base = deterioration_out(det, v.resident, v.current_step, now, names)
    sbard = det.sbard or {}
    return DeteriorationDetailOut(
        **base.model_dump(),
        sbard=SbardOut(situation=sbard.get("situation", ""),
                       background=sbard.get("background", ""),
                       assessment=sbard.get("assessment", ""),
                       suggested_recommendation=sbard.get("suggested_recommendation", ""),
                       recommendation=sbard.get("recommendation"),
                       recommendation_by=person_ref(det.sbard_completed_by_id, names),
                       decision=det.decision, decided_by=person_ref(det.decided_by_id, names)),
        steps=[step_out(s, now, names, v.resident) for s in v.steps],
        observations=[observation_out(o, names) for o in v.observations])


def queue_out(items: list[QueueItem], now: datetime,
              names: Mapping[uuid.UUID, str]) -> list[DeteriorationOut]:
    return [deterioration_out(i.deterioration, i.resident, i.step, now, names) for i in items]


class FloorOut(BaseModel):
    low: int
    high: int
    why: str = Field(description="The national standard behind the bound")


class PolicyVersionOut(BaseModel):
    version: int
    values: dict[str, int | None] = Field(description="Differences from the defaults")
    reason: str
    changed_by: PersonRef | None = Field(description="None: brought within the floors by an "
                                                     "upgrade")
    changed_at: datetime


class EscalationPolicyOut(BaseModel):
    values: dict[str, int | None] = Field(description="The ladder in force for your PCN")
    defaults: dict[str, int | None]
    floors: dict[str, FloorOut] = Field(description="What each field may be set to: the "
                                                    "national standards are floors")
    customised: bool
    updated_by: PersonRef | None
    updated_at: datetime | None
    note: str | None = Field(description="The reason given for the version in force")
    history: list[PolicyVersionOut] = Field(description="Every version, newest first")


class HomeMeasuresOut(BaseModel):
    home_id: uuid.UUID
    home_name: str
    days: int
    escalations: int = Field(description="Deteriorations raised in the period")
    urgent_due: int = Field(description="Urgent (2-hour) escalations due by now: decided, or "
                                        "raised more than 2 hours ago (still waiting counts "
                                        "as a miss)")
    urgent_decided: int = Field(description="...of which decided")
    urgent_within_clock: int = Field(
        description="...decided within the national 2 hours of being raised (whatever the "
                    "PCN's own clock)")
    urgent_within_percent: int | None = Field(
        description="urgent_within_clock of urgent_due; national standard: at least 70%")
    outcomes: dict[str, int] = Field(description="Advice only, seen in the home, ambulance "
                                     "call-out, conveyed to A&E, admitted")
    residents: int = Field(description="Residents living in the home now")
    with_baseline: int = Field(description="...of whom have a baseline NEWS2")
