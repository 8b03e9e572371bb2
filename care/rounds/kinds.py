"""The home round's step kinds and what a round reports (declared in steps.py)."""

from __future__ import annotations

from enum import StrEnum


class RoundStep(StrEnum):
    PREPARE_ROUND = "prepare_round"
    CLINICAL_REVIEW = "clinical_review"
    REFERRAL = "referral"
    FOLLOW_UP = "follow_up"
    MEDICATION_REVIEW = "medication_review"
    REGISTRATION_CONVERSATION = "registration_conversation"
    DEMENTIA_ASSESSMENT_OFFER = "dementia_assessment_offer"


ROUND_PREPARING = "round.preparing"
ROUND_DECIDED = "round.decided"
REVIEW_COMPLETED = "round.review_completed"

# What a home-round step is part of (Step.context_kind).
HOME_ROUND = "home_round"
