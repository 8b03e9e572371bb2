"""What each step kind is: its outcome form and who may do it. One place per concept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from care.assessments.schemas import HolisticAssessmentOutcome, PcspOutcome
from care.journeys.models import StepKind
from care.types import Role

# Care-home staff are core MDT members (DOMAIN.md): they may take and complete steps too.
CLINICAL_ROLES = frozenset({Role.MDT_MEMBER, Role.CLINICAL_LEAD, Role.CARE_HOME_STAFF})


@dataclass(frozen=True)
class StepType:
    kind: StepKind
    outcome_model: type[BaseModel]
    performer_roles: frozenset[Role]
    priority: int

    def outcome_schema(self) -> dict[str, Any]:
        return self.outcome_model.model_json_schema()


STEP_TYPES: dict[StepKind, StepType] = {
    StepKind.HOLISTIC_ASSESSMENT: StepType(
        StepKind.HOLISTIC_ASSESSMENT, HolisticAssessmentOutcome, CLINICAL_ROLES, priority=2
    ),
    StepKind.PCSP: StepType(StepKind.PCSP, PcspOutcome, CLINICAL_ROLES, priority=2),
}


def candidate_group(home_id: object) -> str:
    """The home's MDT: everyone serving the home in a clinical role may take the step."""
    return f"home:{home_id}:mdt"
