"""What completing a step writes besides the step itself, by kind."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from care.assessments import service as assessments
from care.deterioration import effects as deterioration
from care.directory.access import Actor
from care.journeys.models import Step, StepKind
from care.rounds import effects as rounds
from care.settings import Settings

DETERIORATION_KINDS = (StepKind.URGENT_RESPONSE, StepKind.REPEAT_OBSERVATIONS, StepKind.AE_REVIEW)


def record_outcome(
    session: Session, step: Step, outcome: dict[str, Any], actor: Actor, now: datetime,
    settings: Settings,
) -> None:
    """Write the clinical record a completed step produces, in the completing transaction."""
    if step.kind in (StepKind.HOLISTIC_ASSESSMENT, StepKind.PCSP):
        assessments.record_outcome(session, step, outcome, actor.user, now, channel=actor.channel)
    elif step.kind in DETERIORATION_KINDS:
        deterioration.record_outcome(session, step, outcome, actor, now, settings)
    else:
        rounds.record_outcome(session, step, outcome, actor.user, now, settings)
