"""What completing a home-round step records: reviews, follow-ups, medication reviews, choices."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from care.clock import end_of_day, local_date
from care.directory.models import User
from care.journeys.ledger import NewStep, open_step
from care.journeys.models import Step
from care.rounds.kinds import REVIEW_COMPLETED, RoundStep
from care.rounds.models import ResidentEvent, ResidentEventKind
from care.settings import Settings

REVIEWS = (RoundStep.CLINICAL_REVIEW, RoundStep.REFERRAL, RoundStep.FOLLOW_UP)
EVENT_FOR_KIND: dict[str, ResidentEventKind] = {
    RoundStep.MEDICATION_REVIEW: ResidentEventKind.SMR,
    RoundStep.REGISTRATION_CONVERSATION: ResidentEventKind.REGISTRATION_CHOICE,
    RoundStep.DEMENTIA_ASSESSMENT_OFFER: ResidentEventKind.DEMENTIA_OFFER,
}


def record_outcome(
    session: Session, step: Step, outcome: dict[str, Any], actor: User, now: datetime,
    settings: Settings,
) -> None:
    """Reviews count as 'seen' for the agenda rules; a review date becomes a follow-up step
    for the same clinician; SMRs and choices are kept as resident events."""
    if step.resident_id is None:
        return
    kind = ResidentEventKind.ROUND_REVIEW if step.kind in REVIEWS else EVENT_FOR_KIND.get(step.kind)
    if kind is not None:
        session.add(ResidentEvent(resident_id=step.resident_id, kind=kind,
                                  on=local_date(now, settings.timezone),
                                  recorded_by_id=actor.id, step_id=step.id, data=outcome,
                                  created_at=now))
    review_on = outcome.get("review_on") if step.kind in REVIEWS else None
    if review_on:
        day = date.fromisoformat(review_on)
        open_step(session, NewStep(
            dedupe_key=f"follow-up:{step.id}",
            kind=RoundStep.FOLLOW_UP,
            title="Follow-up review",
            home_id=step.home_id,
            due_at=end_of_day(day, settings.timezone),
            deadline_rule="clinician-review-date/v1",
            deadline_base=now,
            priority=2,
            journey_id=step.journey_id,
            resident_id=step.resident_id,
            context_kind=step.context_kind,
            context_id=step.context_id,
            candidate_profession=step.candidate_profession,
            assignee_id=actor.id,
            instructions=f"Follow-up of {step.title.lower()}: {outcome.get('outcome', '')}"[:2000],
        trigger=REVIEW_COMPLETED,
    ), now)
