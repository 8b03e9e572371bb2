"""The assessment domain's step kinds (declared in steps.py)."""

from __future__ import annotations

from enum import StrEnum


class AssessmentStep(StrEnum):
    HOLISTIC_ASSESSMENT = "holistic_assessment"
    PCSP = "pcsp"
