"""The acknowledgement ladder: an urgent step nobody has acknowledged in time passes to the
next responder on the route, exactly once per level; when the ladder runs out, the clinical
lead and the home's representatives are told, once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Interval, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from care.deterioration import recording
from care.deterioration.models import Deterioration, DeteriorationStatus
from care.deterioration.routes import RESPONDER_LABELS, Responder, Urgency
from care.directory.models import CareHome
from care.journeys.ledger import add_event
from care.journeys.models import Step, StepEscalation, StepStatus
from care.journeys.notifications import notify
from care.residents import Resident

UNACKNOWLEDGED = "unacknowledged"
#: What staff are told when nobody on the ladder answers: plainly, what to do now (H-08).
CALL_NOW = ("Call NHS 111 now, or 999 if it is an emergency (not breathing, unresponsive, "
            "chest pain, stroke signs, severe bleeding, fitting). Do not wait for the app.")
CALL_999_NOW = "Call 999 now: this is an emergency. Do not wait for the app."


@dataclass
class LadderReport:
    passed_on: list[uuid.UUID] = field(default_factory=list)  # deteriorations moved up a level
    exhausted: list[uuid.UUID] = field(default_factory=list)  # nobody left on the ladder


def escalate_unacknowledged(session: Session, now: datetime, *, limit: int = 200) -> LadderReport:
    """Each urgent step still unacknowledged after its route's time escalates once: the
    ``(step, 'unacknowledged')`` unique key decides, so overlapping sweeps never double up."""
    report = LadderReport()
    minute: ColumnElement[timedelta] = literal_column("interval '1 minute'", Interval)
    already = select(StepEscalation.id).where(
        StepEscalation.step_id == Step.id, StepEscalation.level == UNACKNOWLEDGED
    ).exists()
    rows = session.execute(
        select(Deterioration, Step)
        .join(Step, Step.id == Deterioration.urgent_step_id)
        .where(
            Deterioration.status == DeteriorationStatus.OPEN,
            Step.status == StepStatus.READY,
            ~already,
            Step.opened_at + minute * Deterioration.acknowledge_within_minutes <= now,
        )
        .order_by(Step.opened_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Deterioration)
    ).tuples().all()
    for det, step in rows:
        won = session.execute(
            insert(StepEscalation).values(step_id=step.id, level=UNACKNOWLEDGED, at=now)
            .on_conflict_do_nothing(index_elements=["step_id", "level"])
            .returning(StepEscalation.id)
        ).scalar_one_or_none()
        if won is None:
            continue
        resident = session.get(Resident, det.resident_id)
        home = session.get(CareHome, det.home_id)
        assert resident is not None and home is not None
        was = RESPONDER_LABELS[Responder(det.ladder[det.level])]
        minutes = det.acknowledge_within_minutes
        nxt_level = recording.present_level(session, det, det.level + 1)
        if nxt_level is not None:
            det.level = nxt_level
            nxt = RESPONDER_LABELS[Responder(det.ladder[det.level])]
            recording.cancel(session, step, f"not acknowledged within {minutes} minutes by the "
                             f"{was}; passed to the {nxt}", now)
            recording.open_urgent_step(session, det, resident, now)
            add_event(session, det.journey_id, "deterioration.passed_on",
                      f"Not acknowledged by the {was} within {minutes} minutes: passed to the "
                      f"{nxt}", now, step_id=step.id,
                      data={"deterioration_id": str(det.id), "level": det.level})
            message = (f"Not acknowledged in {minutes} min: urgent response for "
                       f"{resident.short_name} at {home.name} passed from the {was} "
                       f"to the {nxt}.")
            report.passed_on.append(det.id)
            recipients = {home.clinical_lead_id} if home.clinical_lead_id else set()
        else:
            # An emergency ladder never offers 111: the route already decided it is 999.
            what_now = (CALL_999_NOW if det.urgency == Urgency.EMERGENCY
                        or recording.at_999(det) else CALL_NOW)
            message = (f"Nobody has answered the urgent response for {resident.short_name} at "
                       f"{home.name} ({was} was the last on the ladder). {what_now}")
            add_event(session, det.journey_id, "deterioration.unanswered",
                      f"Ladder exhausted: the {was} has not acknowledged. Staff told: {what_now}",
                      now, step_id=step.id,
                      data={"deterioration_id": str(det.id)})
            report.exhausted.append(det.id)
            recipients = set(recording.home_staff(session, home.id))
            if home.clinical_lead_id:
                recipients.add(home.clinical_lead_id)
        for user_id in recipients:
            notify(session, user_id, "escalation", message, now, step_id=step.id,
                   resident_id=resident.id)
    return report
