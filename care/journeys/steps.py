"""What each step kind is: its outcome form and who may do it. One place per concept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from care.assessments.schemas import HolisticAssessmentOutcome, PcspOutcome
from care.deterioration.schemas import AeReviewOutcome, DecisionIn, ObservationsIn
from care.journeys.models import StepKind
from care.rounds.schemas import (
    ClinicalReviewOutcome,
    DementiaAssessmentOfferOutcome,
    MedicationReviewOutcome,
    PrepareRoundOutcome,
    ReferralOutcome,
    RegistrationConversationOutcome,
)
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


CLINICIANS = frozenset({Role.MDT_MEMBER, Role.CLINICAL_LEAD})
PREPARERS = frozenset({*CLINICAL_ROLES, Role.COORDINATOR})

STEP_TYPES: dict[StepKind, StepType] = {
    t.kind: t
    for t in (
        StepType(StepKind.HOLISTIC_ASSESSMENT, HolisticAssessmentOutcome, CLINICAL_ROLES, 2),
        StepType(StepKind.PCSP, PcspOutcome, CLINICAL_ROLES, 2),
        StepType(StepKind.PREPARE_ROUND, PrepareRoundOutcome, PREPARERS, 2),
        StepType(StepKind.CLINICAL_REVIEW, ClinicalReviewOutcome, CLINICIANS, 2),
        StepType(StepKind.REFERRAL, ReferralOutcome, CLINICIANS, 2),
        StepType(StepKind.FOLLOW_UP, ClinicalReviewOutcome, CLINICIANS, 3),
        StepType(StepKind.MEDICATION_REVIEW, MedicationReviewOutcome, CLINICIANS, 3),
        StepType(StepKind.REGISTRATION_CONVERSATION, RegistrationConversationOutcome,
                 PREPARERS, 3),
        StepType(StepKind.DEMENTIA_ASSESSMENT_OFFER, DementiaAssessmentOfferOutcome,
                 CLINICIANS, 3),
        # Urgent steps say who by profession; a 999 step is for whoever is in the home.
        StepType(StepKind.URGENT_RESPONSE, DecisionIn, CLINICAL_ROLES, 1),
        StepType(StepKind.REPEAT_OBSERVATIONS, ObservationsIn, CLINICAL_ROLES, 1),
        StepType(StepKind.AE_REVIEW, AeReviewOutcome, CLINICIANS, 2),
    )
}
