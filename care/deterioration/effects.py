"""What completing a deterioration step records: repeat observations, the responder's
decision and outcome (an admission becomes a hospital stay; an A&E attendance is queued for
the matron's review), and the matron's review itself."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from care.clock import local_date
from care.deterioration import recording
from care.deterioration.models import Deterioration, DeteriorationStatus, ResponseOutcome
from care.deterioration.schemas import DecisionIn, ObservationsIn
from care.directory.access import Actor
from care.errors import Conflict
from care.journeys.ledger import NewStep, add_event, open_step
from care.journeys.models import Step, StepKind
from care.residents.models import Resident
from care.settings import Settings
from care.types import Profession

AE_REVIEW_DAYS = 7


def record_outcome(
    session: Session, step: Step, outcome: dict[str, Any], actor: Actor, now: datetime,
    settings: Settings,
) -> None:
    resident = session.get(Resident, step.resident_id)
    assert resident is not None
    if step.kind == StepKind.REPEAT_OBSERVATIONS:
        recorded = recording.record(session, resident, ObservationsIn.model_validate(outcome),
                                    actor.user, now, answering=step)
        step.outcome = {**outcome, "observation_set_id": str(recorded.observation.id)}
    elif step.kind == StepKind.URGENT_RESPONSE:
        decide(session, step, resident, DecisionIn.model_validate(outcome), actor, now, settings)


def decide(
    session: Session, step: Step, resident: Resident, decision: DecisionIn, actor: Actor,
    now: datetime, settings: Settings,
) -> None:
    """Close the deterioration with the responder's decision; then what the outcome calls for."""
    det = session.get(Deterioration, step.deterioration_id, with_for_update=True)
    if det is None:
        return
    if det.status != DeteriorationStatus.OPEN:
        raise Conflict("this deterioration is already closed"
                       + (f" ({det.outcome.label.lower()})" if det.outcome else ""))
    det.status = DeteriorationStatus.CLOSED
    det.outcome = decision.outcome
    det.decision = decision.decision
    det.decided_by_id = actor.id
    det.closed_at = now
    for other in recording.open_urgent_steps(session, det.id):
        if other.id != step.id:
            recording.cancel(session, other, f"decided by {actor.user.display_name}", now)
    add_event(session, det.journey_id, "deterioration.decided",
              f"Decision by {actor.user.display_name}: {decision.outcome.label}", now,
              step_id=step.id, actor=actor.user,
              data={"deterioration_id": str(det.id), "outcome": decision.outcome.value,
                    "within_clock": det.respond_by is None or now <= det.respond_by})
    if decision.outcome == ResponseOutcome.ADMITTED:
        # Imported here: the residents service imports the journey service, which imports
        # these effects.
        from care.residents import service as residents
        from care.residents.schemas import HospitalStayIn

        residents.record_hospital_stay(session, actor, resident.id, HospitalStayIn(
            admitted_on=local_date(now), hospital_name=decision.hospital_name,
            note="Admitted after an urgent response"), now)
    if decision.outcome.attended_ae:
        due = datetime.combine(local_date(now) + timedelta(days=AE_REVIEW_DAYS), time(23, 59),
                               ZoneInfo(settings.timezone))
        open_step(session, NewStep(
            dedupe_key=f"det:{det.id}:ae-review",
            kind=StepKind.AE_REVIEW,
            title="Review the A&E attendance with the home",
            home_id=det.home_id,
            due_at=due,
            deadline_rule="ae-review-7-days/v1",
            deadline_base=now,
            priority=2,
            journey_id=det.journey_id,
            resident_id=det.resident_id,
            deterioration_id=det.id,
            candidate_profession=Profession.COMMUNITY_MATRON.value,
            instructions=f"{decision.outcome.label} on {local_date(now):%d %b %Y}. "
                         f"Decision: {decision.decision}"[:2000],
        ), now)
