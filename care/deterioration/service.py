"""Deterioration services for people: record observations, set the SpO2 scale and baseline,
read the chart and the urgent queue, acknowledge, complete the SBARD, decide, and keep the
PCN's escalation ladder. They take a session and never commit (the caller owns the
transaction), and check the care relationship and the role first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, false, func, select
from sqlalchemy.orm import Session

from care.audit.service import record as audit
from care.deterioration import recording
from care.deterioration.kinds import DETERIORATION, DeteriorationStep
from care.deterioration.models import (
    Deterioration,
    DeteriorationStatus,
    EscalationPolicyVersion,
    News2Baseline,
    ObservationSet,
    PcnEscalationPolicy,
    ResponseOutcome,
    Spo2ScaleDecision,
)
from care.deterioration.news2 import SCALE_1, SpO2Scale
from care.deterioration.routes import (
    NATIONAL_URGENT_RESPONSE,
    Policy,
    PolicyError,
    Urgency,
    policy_values,
    policy_with,
)
from care.deterioration.schemas import (
    BaselineIn,
    DecisionIn,
    EscalationPolicyIn,
    ObservationsIn,
    SbardIn,
    Spo2ScaleIn,
)
from care.directory.access import CLINICAL_ROLES, CLINICIANS, OVERSEEING_ROLES, Actor
from care.directory.models import CareHome, Pcn
from care.errors import Conflict, InvalidInput, NotFound
from care.journeys import service as journeys
from care.journeys.ledger import add_event
from care.journeys.models import OPEN_STATUSES, Step
from care.residents import Resident, ResidentStatus
from care.settings import Settings
from care.types import Profession, Role

#: Clinical policy is a clinical decision: clinical leads only, not admins (hazard H-01).
POLICY_EDITORS = frozenset({Role.CLINICAL_LEAD})


def _resident(session: Session, actor: Actor, resident_id: uuid.UUID, *,
              lock: bool = False) -> Resident:
    query = select(Resident).where(Resident.id == resident_id)
    resident = session.scalar(query.with_for_update(of=Resident) if lock else query)
    if resident is None or not actor.serves(resident.home_id):
        raise NotFound("resident not found")
    return resident


# ---------------------------------------------------------------- observations


def record_observations(
    session: Session, actor: Actor, resident_id: uuid.UUID, data: ObservationsIn, now: datetime,
) -> recording.Recorded:
    """Care staff and clinicians record a set; the escalation it calls for opens at once."""
    actor.require_role(CLINICAL_ROLES, "record observations")
    # The resident row lock serialises two sets recorded at once, so one escalation opens.
    resident = _resident(session, actor, resident_id, lock=True)
    if resident.status != ResidentStatus.RESIDENT:
        raise Conflict(f"cannot record observations: the resident is "
                       f"{resident.status.value.replace('_', ' ')}")
    recorded = recording.record(session, resident, data, actor.user, now)
    row = recorded.observation
    audit(session, at=now, actor=actor.user, channel=actor.channel,
          action="observations.record", entity="observation_set", entity_id=row.id,
          resident_id=resident.id,
          after={"news2": row.news2_total, "complete": row.news2_complete,
                 "urgency": row.urgency.value,
                 "deterioration_id": str(row.deterioration_id) if row.deterioration_id else None})
    return recorded


#: The routine repeat and 'full set now' steps a set opened (read by the result page).
steps_after = recording.steps_after


@dataclass
class Chart:
    resident: Resident
    observations: list[ObservationSet]  # oldest first
    baseline: News2Baseline | None
    scale: SpO2Scale
    scale_decision: Spo2ScaleDecision | None
    open_deterioration: Deterioration | None


def chart(session: Session, actor: Actor, resident_id: uuid.UUID, *, limit: int = 50) -> Chart:
    """The resident's recent observations, oldest first, with the baseline and the scale."""
    resident = _resident(session, actor, resident_id)
    rows = session.scalars(
        select(ObservationSet).where(ObservationSet.resident_id == resident.id)
        .order_by(ObservationSet.taken_at.desc(), ObservationSet.recorded_at.desc())
        .limit(limit)
    ).all()
    decision = recording.scale_decision(session, resident.id)
    return Chart(resident, list(reversed(rows)), recording.baseline_of(session, resident.id),
                 decision.scale if decision else SCALE_1, decision,
                 recording.open_deterioration(session, resident.id))


def get_observation(
    session: Session, actor: Actor, resident_id: uuid.UUID, observation_id: uuid.UUID,
) -> tuple[Resident, ObservationSet, News2Baseline | None]:
    """One set of the resident's (however old), with the baseline in force now."""
    resident = _resident(session, actor, resident_id)
    row = session.get(ObservationSet, observation_id)
    if row is None or row.resident_id != resident.id:
        raise NotFound("observation set not found")
    return resident, row, recording.baseline_of(session, resident.id)


def set_spo2_scale(
    session: Session, actor: Actor, resident_id: uuid.UUID, data: Spo2ScaleIn, now: datetime,
) -> Spo2ScaleDecision:
    """Scale 2 is a clinician's decision for this resident, recorded with who, when and why."""
    actor.require_role(CLINICIANS, "set the SpO2 scale")
    resident = _resident(session, actor, resident_id, lock=True)
    current = recording.scale_decision(session, resident.id)
    before = current.scale if current else SCALE_1
    decision = Spo2ScaleDecision(resident_id=resident.id, scale=data.scale, reason=data.reason,
                                 decided_by_id=actor.id, decided_at=now)
    session.add(decision)
    session.flush()
    audit(session, at=now, actor=actor.user, channel=actor.channel, action="spo2_scale.set",
          entity="resident", entity_id=resident.id, resident_id=resident.id,
          before={"scale": before.value}, after={"scale": data.scale.value})
    return decision


def set_baseline(
    session: Session, actor: Actor, resident_id: uuid.UUID, data: BaselineIn, now: datetime,
) -> News2Baseline:
    """A clinician re-baselines the resident from one of their full sets."""
    actor.require_role(CLINICIANS, "set a NEWS2 baseline")
    resident = _resident(session, actor, resident_id, lock=True)
    row = session.get(ObservationSet, data.observation_id)
    if row is None or row.resident_id != resident.id:
        raise InvalidInput("is not one of this resident's observation sets",
                           field="observation_id")
    if not row.news2_complete or row.news2_total is None:
        raise InvalidInput("a baseline needs a full set of observations (this one was partial)",
                           field="observation_id")
    before = recording.baseline_of(session, resident.id)
    baseline = News2Baseline(resident_id=resident.id, observation_set_id=row.id,
                             total=row.news2_total, reason=data.reason, set_by_id=actor.id,
                             set_at=now)
    session.add(baseline)
    session.flush()
    audit(session, at=now, actor=actor.user, channel=actor.channel, action="news2_baseline.set",
          entity="resident", entity_id=resident.id, resident_id=resident.id,
          before={"total": before.total} if before else None, after={"total": row.news2_total})
    return baseline


# ---------------------------------------------------------------- deteriorations


@dataclass
class DeteriorationView:
    deterioration: Deterioration
    resident: Resident
    steps: list[Step]
    observations: list[ObservationSet]

    @property
    def current_step(self) -> Step | None:
        for step in self.steps:
            if step.id == self.deterioration.urgent_step_id:
                return step
        return None


def get_deterioration(session: Session, actor: Actor, deterioration_id: uuid.UUID, *,
                      lock: bool = False) -> Deterioration:
    query = select(Deterioration).where(Deterioration.id == deterioration_id)
    det = session.scalar(query.with_for_update() if lock else query)
    if det is None or not actor.serves(det.home_id):
        raise NotFound("deterioration not found")
    return det


def view(session: Session, actor: Actor, deterioration_id: uuid.UUID) -> DeteriorationView:
    det = get_deterioration(session, actor, deterioration_id)
    resident = session.get(Resident, det.resident_id)
    assert resident is not None
    steps = session.scalars(select(Step).where(Step.about(DETERIORATION, det.id))
                            .order_by(Step.opened_at)).all()
    observations = session.scalars(
        select(ObservationSet).where(ObservationSet.deterioration_id == det.id)
        .order_by(ObservationSet.taken_at)).all()
    return DeteriorationView(det, resident, list(steps), list(observations))


@dataclass
class QueueItem:
    deterioration: Deterioration
    resident: Resident
    step: Step | None
    for_me: bool  # the current step is mine, or for my profession


def urgent_queue(
    session: Session, actor: Actor, *, status: str = "open", home_id: uuid.UUID | None = None,
    limit: int = 100,
) -> list[QueueItem]:
    """Deteriorations in the user's homes: open ones soonest-due first (most urgent first
    on ties); the user's own and their profession's first of all."""
    conditions: list[Any] = [Deterioration.home_id.in_(actor.home_ids)]
    if status != "all":
        conditions.append(Deterioration.status == DeteriorationStatus(status))
    if home_id is not None:
        conditions.append(Deterioration.home_id == home_id)
    # A 999 call the ladder reached has no profession: it is every home staff member's.
    staff = actor.user.profession == Profession.CARE_HOME_STAFF
    mine = and_(Step.status.in_(OPEN_STATUSES),
                (Step.assignee_id == actor.id)
                | (Step.candidate_profession == actor.user.profession.value)
                | (and_(Step.candidate_profession.is_(None), Step.assignee_id.is_(None))
                   if staff else false()))
    rows = session.execute(
        select(Deterioration, Resident, Step)
        .join(Resident, Resident.id == Deterioration.resident_id)
        .outerjoin(Step, Step.id == Deterioration.urgent_step_id)
        .where(*conditions)
        .order_by(case((mine, 0), else_=1),
                  Deterioration.status.desc(),  # open before closed
                  Deterioration.respond_by.asc().nulls_last(),
                  Deterioration.opened_at.desc())
        .limit(limit)
    ).tuples().all()
    return [QueueItem(d, r, s, bool(s is not None and s.is_open and (
        s.assignee_id == actor.id or s.candidate_profession == actor.user.profession.value
        or (staff and s.candidate_profession is None and s.assignee_id is None))))
        for d, r, s in rows]


def acknowledge(
    session: Session, actor: Actor, deterioration_id: uuid.UUID, now: datetime,
) -> Deterioration:
    """The responder takes the urgent step: the ladder stops and everyone sees who has it."""
    det = get_deterioration(session, actor, deterioration_id, lock=True)
    if det.status != DeteriorationStatus.OPEN:
        raise Conflict("this deterioration is closed; nothing to acknowledge")
    if det.urgent_step_id is None:
        raise Conflict("this deterioration has no urgent step to acknowledge")
    step = journeys.claim_step(session, actor, det.urgent_step_id, now)
    add_event(session, det.journey_id, "deterioration.acknowledged",
              f"Acknowledged by {actor.user.display_name}", now, step_id=step.id,
              actor=actor.user, data={"deterioration_id": str(det.id)})
    return det


def complete_sbard(
    session: Session, actor: Actor, deterioration_id: uuid.UUID, data: SbardIn, now: datetime,
) -> Deterioration:
    """The staff member adds their recommendation to the drafted SBARD."""
    actor.require_role(CLINICAL_ROLES, "complete an SBARD")
    det = get_deterioration(session, actor, deterioration_id, lock=True)
    before = (det.sbard or {}).get("recommendation")
    det.sbard = {**(det.sbard or {}), "recommendation": data.recommendation}
    det.sbard_completed_by_id = actor.id
    det.sbard_completed_at = now
    add_event(session, det.journey_id, "deterioration.sbard",
              f"SBARD recommendation added by {actor.user.display_name}", now, actor=actor.user,
              data={"deterioration_id": str(det.id)})
    audit(session, at=now, actor=actor.user, channel=actor.channel, action="sbard.complete",
          entity="deterioration", entity_id=det.id, resident_id=det.resident_id,
          before={"recommendation": before}, after={"recommendation": data.recommendation})
    return det


def decide(
    session: Session, actor: Actor, deterioration_id: uuid.UUID, data: DecisionIn, now: datetime,
    settings: Settings,
) -> Step:
    """The responder's decision and outcome: completes the current urgent step (taking it
    first if nobody has), which closes the deterioration."""
    det = get_deterioration(session, actor, deterioration_id)
    if det.status != DeteriorationStatus.OPEN or det.urgent_step_id is None:
        raise Conflict("this deterioration is already closed")
    step = journeys.get_step(session, actor, det.urgent_step_id)
    if step.assignee_id is None:
        journeys.claim_step(session, actor, step.id, now)
    return journeys.complete_step(session, actor, step.id, data.model_dump(mode="json"), now,
                                  settings)


def ae_attendances(session: Session, actor: Actor) -> list[tuple[Step, Resident]]:
    """A&E attendances waiting for the matron's review with the home."""
    return list(session.execute(
        select(Step, Resident).join(Resident, Resident.id == Step.resident_id)
        .where(Step.kind == DeteriorationStep.AE_REVIEW, Step.status.in_(OPEN_STATUSES),
               Step.home_id.in_(actor.home_ids))
        .order_by(Step.due_at)
    ).tuples())


# ---------------------------------------------------------------- the PCN's ladder


def escalation_policy(session: Session, actor: Actor) -> tuple[Policy, PcnEscalationPolicy | None]:
    stored = session.get(PcnEscalationPolicy, actor.user.pcn_id)
    return recording.policy_for_pcn(session, actor.user.pcn_id), stored


def policy_history(session: Session, actor: Actor, *, limit: int = 50
                   ) -> list[EscalationPolicyVersion]:
    """Every version of the PCN's ladder, newest first: what, who, when and why."""
    return list(session.scalars(
        select(EscalationPolicyVersion)
        .where(EscalationPolicyVersion.pcn_id == actor.user.pcn_id)
        .order_by(EscalationPolicyVersion.version.desc()).limit(limit)))


def set_escalation_policy(
    session: Session, actor: Actor, data: EscalationPolicyIn, now: datetime,
) -> Policy:
    """A clinical lead sets the PCN's ladder, with the reason; it applies to escalations from
    now on, and the version is kept. Values beyond the national floors are refused."""
    actor.require_role(POLICY_EDITORS, "change the escalation ladder (clinical policy)")
    values = data.model_dump(exclude={"reason"}, exclude_none=True)
    try:
        policy = policy_with(values)
    except PolicyError as exc:
        raise InvalidInput("the escalation ladder is outside the national floors",
                           errors=[{"field": f, "reason": r} for f, r in exc.errors]) from exc
    # The PCN's row serialises two saves (a double click, two leads at once): without it the
    # first ever save has no policy row to lock and the second would fail on the insert.
    session.get(Pcn, actor.user.pcn_id, with_for_update=True)
    stored = session.get(PcnEscalationPolicy, actor.user.pcn_id, with_for_update=True)
    before = policy_values(recording.policy_for_pcn(session, actor.user.pcn_id))
    if stored is None:
        stored = PcnEscalationPolicy(pcn_id=actor.user.pcn_id, values=values,
                                     updated_by_id=actor.id, updated_at=now,
                                     note=data.reason[:500])
        session.add(stored)
    else:
        stored.values = values
        stored.updated_by_id = actor.id
        stored.updated_at = now
        stored.note = data.reason[:500]
    latest = session.scalar(select(func.max(EscalationPolicyVersion.version)).where(
        EscalationPolicyVersion.pcn_id == actor.user.pcn_id)) or 0
    session.add(EscalationPolicyVersion(pcn_id=actor.user.pcn_id, version=latest + 1,
                                        values=values, reason=data.reason,
                                        changed_by_id=actor.id, changed_at=now))
    session.flush()
    audit(session, at=now, actor=actor.user, channel=actor.channel,
          action="escalation_policy.set", entity="pcn", entity_id=actor.user.pcn_id,
          before=dict(before), after={**policy_values(policy), "reason": data.reason})
    return policy


# ---------------------------------------------------------------- what the coordinator watches


@dataclass
class HomeMeasures:
    """Per home over a period (DOMAIN.md, "What the contract and the seeds measure")."""

    home_id: uuid.UUID
    home_name: str
    escalations: int = 0
    # Urgent (2-hour route) escalations due by now: decided, or raised over 2 hours ago.
    urgent_due: int = 0
    urgent_decided: int = 0  # ...of which decided
    # ...decided within the national 2 hours of being raised (standard: at least 70%),
    # whatever clock the PCN's ladder set: hazard H-01.
    urgent_within_clock: int = 0
    outcomes: dict[str, int] = field(
        default_factory=lambda: {o.value: 0 for o in ResponseOutcome})
    residents: int = 0
    with_baseline: int = 0

    @property
    def urgent_within_percent(self) -> int | None:
        if not self.urgent_due:
            return None
        return round(100 * self.urgent_within_clock / self.urgent_due)


def measures(
    session: Session, actor: Actor, since: datetime, now: datetime,
) -> list[HomeMeasures]:
    """Escalations raised since ``since`` in each home the user serves: how many; urgent
    (2-hour) responses decided within 2 hours of being raised (conservative: from when the
    escalation opened, even if it became urgent later), out of every urgent escalation that is
    due by now (decided, or raised more than 2 hours ago: one still waiting is a miss, not left
    out); outcomes (ambulance, A&E, admission); and how many current residents have a
    baseline NEWS2. For coordinators, clinical leads and admins."""
    actor.require_role(OVERSEEING_ROLES, "see the homes' measures")
    homes = sorted(actor.home_ids)
    found = {home_id: HomeMeasures(home_id, name) for home_id, name in session.execute(
        select(CareHome.id, CareHome.name).where(CareHome.id.in_(homes))).tuples()}
    raised = session.execute(
        select(Deterioration.home_id, Deterioration.urgency, Deterioration.outcome,
               Deterioration.decided_by_id.is_not(None), Deterioration.opened_at,
               Deterioration.closed_at)
        .where(Deterioration.home_id.in_(homes), Deterioration.opened_at >= since)
    ).tuples()
    for home_id, urgency, outcome, decided, opened_at, closed_at in raised:
        m = found[home_id]
        m.escalations += 1
        if outcome is not None:
            m.outcomes[outcome.value] += 1
        if urgency != Urgency.URGENT:
            continue
        deadline = opened_at + NATIONAL_URGENT_RESPONSE
        left_in_time = not decided and closed_at is not None and closed_at <= deadline
        if left_in_time:
            continue  # the resident left (hospital, death) before the clock ran out
        if decided or now >= deadline:
            m.urgent_due += 1
            m.urgent_decided += int(decided)
            m.urgent_within_clock += int(decided and closed_at is not None
                                         and closed_at <= deadline)
    has_baseline = select(News2Baseline.id).where(
        News2Baseline.resident_id == Resident.id).exists()
    living = session.execute(
        select(Resident.home_id, func.count(), func.count().filter(has_baseline))
        .where(Resident.home_id.in_(homes), Resident.status == ResidentStatus.RESIDENT)
        .group_by(Resident.home_id)
    ).tuples()
    for home_id, residents, with_baseline in living:
        found[home_id].residents = residents
        found[home_id].with_baseline = with_baseline
    return [found[h] for h in homes if h in found]
