"""The home round's step types, and what a round reports that opens them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from care.directory.access import CLINICIANS, PREPARERS, Actor
from care.journeys.models import Step
from care.journeys.pathway import Trigger
from care.journeys.registry import StepType
from care.rounds import effects
from care.rounds.kinds import REVIEW_COMPLETED, ROUND_DECIDED, ROUND_PREPARING, RoundStep
from care.rounds.schemas import (
    ClinicalReviewOutcome,
    DementiaAssessmentOfferOutcome,
    MedicationReviewOutcome,
    PrepareRoundOutcome,
    ReferralOutcome,
    RegistrationConversationOutcome,
)
from care.settings import Settings


def _record(session: Session, step: Step, outcome: dict[str, Any], actor: Actor,
            now: datetime, settings: Settings) -> None:
    effects.record_outcome(session, step, outcome, actor.user, now, settings)


STEP_TYPES = (
    StepType(RoundStep.PREPARE_ROUND, "Prepare the home round", "rounds", PrepareRoundOutcome,
             PREPARERS, 2, "by the round's start", _record),
    StepType(RoundStep.CLINICAL_REVIEW, "Review at the home round", "rounds",
             ClinicalReviewOutcome, CLINICIANS, 2, "by the date the MDT agreed", _record),
    StepType(RoundStep.REFERRAL, "Referral from the home round", "rounds", ReferralOutcome,
             CLINICIANS, 2, "by the date the MDT agreed", _record),
    StepType(RoundStep.FOLLOW_UP, "Follow-up review", "rounds", ClinicalReviewOutcome,
             CLINICIANS, 3, "on the review date the clinician set", _record),
    StepType(RoundStep.MEDICATION_REVIEW, "Structured medication review", "rounds",
             MedicationReviewOutcome, CLINICIANS, 3, "within 28 days", _record),
    StepType(RoundStep.REGISTRATION_CONVERSATION, "Conversation about GP registration",
             "rounds", RegistrationConversationOutcome, PREPARERS, 3, "within 28 days",
             _record),
    StepType(RoundStep.DEMENTIA_ASSESSMENT_OFFER, "Offer a dementia assessment", "rounds",
             DementiaAssessmentOfferOutcome, CLINICIANS, 3, "within 28 days", _record),
)


TRIGGERS = (
    Trigger(ROUND_PREPARING, "A home's weekly round enters its preparation window",
            may_open=frozenset({RoundStep.PREPARE_ROUND, RoundStep.MEDICATION_REVIEW,
                                RoundStep.REGISTRATION_CONVERSATION,
                                RoundStep.DEMENTIA_ASSESSMENT_OFFER})),
    Trigger(ROUND_DECIDED, "The MDT agrees a response for a resident at the round",
            may_open=frozenset({RoundStep.CLINICAL_REVIEW, RoundStep.REFERRAL})),
    Trigger(REVIEW_COMPLETED, "A clinician completes a review and sets a review date",
            may_open=frozenset({RoundStep.FOLLOW_UP})),
)
