"""The deterioration domain's step kinds and what it reports (declared in
steps.py)."""

from __future__ import annotations

from enum import StrEnum


class DeteriorationStep(StrEnum):
    URGENT_RESPONSE = "urgent_response"
    REPEAT_OBSERVATIONS = "repeat_observations"
    AE_REVIEW = "ae_review"


ESCALATED = "deterioration.escalated"
OBSERVED = "observations.recorded"
WENT_TO_HOSPITAL = "deterioration.hospital_attendance"

# What a deterioration step is part of (Step.context_kind).
DETERIORATION = "deterioration"
