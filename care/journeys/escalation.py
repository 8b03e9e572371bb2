"""The deadline sweep: find breached steps and escalate each breach exactly once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from care.clock import local_date, local_time
from care.directory.models import CareHome, HomeMembership, User
from care.journeys.ledger import add_event
from care.journeys.models import (
    OPEN_STATUSES,
    Step,
    StepEscalation,
)
from care.journeys.notifications import notify
from care.residents.models import Resident

OVERDUE = "overdue"


@dataclass
class SweepReport:
    breached: list[uuid.UUID] = field(default_factory=list)
    notifications: int = 0


def sweep_deadlines(session: Session, now: datetime, *, limit: int = 500) -> SweepReport:
    """Mark open steps past due as overdue and escalate: reminder + clinical lead notice.

    Exactly once per breach: the ``(step_id, level)`` unique key decides who escalates, so
    overlapping sweeps (or a re-run sweep) never notify twice. ``SKIP LOCKED`` lets two sweeps
    share the work.
    """
    report = SweepReport()
    already = select(StepEscalation.id).where(
        StepEscalation.step_id == Step.id, StepEscalation.level == OVERDUE
    ).exists()
    breached = session.scalars(
        select(Step)
        .where(Step.status.in_(OPEN_STATUSES), Step.due_at < now, ~already)
        .order_by(Step.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Step)
    ).all()
    for step in breached:
        won = session.execute(
            insert(StepEscalation)
            .values(step_id=step.id, level=OVERDUE, at=now)
            .on_conflict_do_nothing(index_elements=["step_id", "level"])
            .returning(StepEscalation.id)
        ).scalar_one_or_none()
        if won is None:
            continue
        step.overdue_since = now
        report.breached.append(step.id)
        report.notifications += _escalate(session, step, now)
    return report


def _escalate(session: Session, step: Step, now: datetime) -> int:
    home = session.get(CareHome, step.home_id)
    resident = session.get(Resident, step.resident_id)
    assert home is not None and resident is not None
    who = resident.short_name
    # Urgent clocks run in hours: show the time; pathway deadlines run in days.
    due = (f"{local_date(step.due_at):%d %b} {local_time(step.due_at)}" if step.priority == 1
           else step.due_at.strftime("%d %b %Y"))
    recipients: set[uuid.UUID] = set()
    if step.assignee_id is not None:
        recipients.add(step.assignee_id)
        notify(session, step.assignee_id, "reminder",
               f"Reminder: {step.title} for {who} was due {due} and is now overdue.", now,
               step_id=step.id, resident_id=resident.id)
    else:
        # Nobody holds it: remind the home's named representative(s) for the MDT.
        reps = session.scalars(
            select(HomeMembership.user_id).where(
                HomeMembership.home_id == home.id, HomeMembership.is_home_representative
            )
        ).all()
        for user_id in reps:
            recipients.add(user_id)
            notify(session, user_id, "reminder",
                   f"Unassigned and overdue: {step.title} for {who} (due {due}).", now,
                   step_id=step.id, resident_id=resident.id)
    lead_notified = home.clinical_lead_id is not None
    if home.clinical_lead_id is not None:
        notify(session, home.clinical_lead_id, "escalation",
               f"Overdue at {home.name}: {step.title} for {who} was due {due}.", now,
               step_id=step.id, resident_id=resident.id)
    holder = session.get(User, step.assignee_id) if step.assignee_id else None
    add_event(session, step.journey_id, "step.overdue",
              f"{step.title} is overdue (was due {due})", now, step_id=step.id)
    add_event(session, step.journey_id, "step.escalated",
              "Reminder sent to " + (holder.display_name if holder else "the home's representative")
              + ("; clinical lead notified" if lead_notified else ""), now, step_id=step.id,
              data={"level": OVERDUE, "recipients": sorted(str(r) for r in recipients)})
    return len(recipients) + (1 if lead_notified else 0)
