"""The assessment domain's step types: the holistic assessment and the care plan (PCSP)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from care.assessments import service
from care.assessments.kinds import AssessmentStep
from care.assessments.schemas import HolisticAssessmentOutcome, PcspOutcome
from care.directory.access import CLINICAL_ROLES, Actor
from care.journeys.models import Step
from care.journeys.registry import StepType
from care.settings import Settings


def _record(session: Session, step: Step, outcome: dict[str, Any], actor: Actor,
            now: datetime, settings: Settings) -> None:
    service.record_outcome(session, step, outcome, actor.user, now, channel=actor.channel)


# The GP contract's 7 working days by default; a PCN may set calendar days (README:
# Configuration), so the words do not promise a number the settings may change.
CONTRACT_DEADLINE = "within the contract's days of admission or re-admission"

STEP_TYPES = (
    StepType(AssessmentStep.HOLISTIC_ASSESSMENT, "Person-centred holistic assessment",
             "assessments", HolisticAssessmentOutcome, CLINICAL_ROLES, 2, CONTRACT_DEADLINE,
             _record),
    StepType(AssessmentStep.PCSP, "Personalised care and support plan", "assessments",
             PcspOutcome, CLINICAL_ROLES, 2, CONTRACT_DEADLINE, _record),
)
