"""What completing a deterioration step records: repeat observations, the responder's
decision and outcome (an admission becomes a hospital stay; an A&E attendance is queued for
the matron's review), and the matron's review itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from care.clock import local_date
from care.deterioration import recording
from care.deterioration.events import UrgentResponseDecided
from care.deterioration.kinds import DETERIORATION, DeteriorationStep
from care.deterioration.models import Deterioration, DeteriorationStatus, ResponseOutcome
from care.deterioration.schemas import DecisionIn, ObservationsIn
from care.directory.access import Actor
from care.errors import Conflict
from care.journeys.events import publish
from care.journeys.ledger import add_event
from care.journeys.models import Step
from care.residents import Resident
from care.settings import Settings


def record_outcome(
    session: Session, step: Step, outcome: dict[str, Any], actor: Actor, now: datetime,
    settings: Settings,
) -> None:
    resident = session.get(Resident, step.resident_id)
    assert resident is not None
    if step.kind == DeteriorationStep.REPEAT_OBSERVATIONS:
        recorded = recording.record(session, resident, ObservationsIn.model_validate(outcome),
                                    actor.user, now, answering=step)
        step.outcome = {**outcome, "observation_set_id": str(recorded.observation.id)}
    elif step.kind == DeteriorationStep.URGENT_RESPONSE:
        decide(session, step, resident, DecisionIn.model_validate(outcome), actor, now, settings)


def decide(
    session: Session, step: Step, resident: Resident, decision: DecisionIn, actor: Actor,
    now: datetime, settings: Settings,
) -> None:
    """Close the deterioration with the responder's decision; then what the outcome calls for."""
    det = session.get(Deterioration, step.context_of(DETERIORATION), with_for_update=True)
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
    # An admission becomes the resident's hospital stay (care/composition.py), same transaction.
    publish(session, UrgentResponseDecided(
        at=now, actor=actor, resident_id=resident.id, deterioration_id=det.id,
        outcome=decision.outcome.value, admitted=decision.outcome == ResponseOutcome.ADMITTED,
        admitted_on=local_date(now, settings.timezone), hospital_name=decision.hospital_name))
    if decision.outcome.attended_ae:
        recording.queue_ae_review(session, det, now,
                                  f"Decision: {decision.decision}", tz=settings.timezone)
