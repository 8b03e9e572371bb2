"""What completing a step writes besides the step itself, by kind."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from care.assessments import service as assessments
from care.directory.models import User
from care.journeys.models import Step, StepKind
from care.rounds import effects as rounds
from care.settings import Settings


def record_outcome(
    session: Session, step: Step, outcome: dict[str, Any], actor: User, now: datetime,
    settings: Settings,
) -> None:
    """Write the clinical record a completed step produces, in the completing transaction."""
    if step.kind in (StepKind.HOLISTIC_ASSESSMENT, StepKind.PCSP):
        assessments.record_outcome(session, step, outcome, actor, now)
    else:
        rounds.record_outcome(session, step, outcome, actor, now, settings)
