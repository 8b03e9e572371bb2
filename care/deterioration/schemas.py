"""What people send: observations with soft signs, the SpO2 scale, a baseline, the SBARD
recommendation, the responder's decision, an A&E review and a PCN's escalation ladder."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from care.deterioration.models import ResponseOutcome
from care.deterioration.news2 import Consciousness, Observations, SpO2Scale, implausible
from care.deterioration.routes import FLOORS
from care.types import NO_NUL, IsoDateTime, ShortText, Text


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SoftSign(StrEnum):
    """Early, non-numeric signs that someone is becoming unwell, in this product's own words
    (RESTORE2 is a trademarked tool and is not reproduced)."""

    NOT_THEMSELVES = "not_themselves"
    EATING_DRINKING_LESS = "eating_drinking_less"
    MORE_CONFUSED = "more_confused"
    MORE_SLEEPY = "more_sleepy"
    BREATHING_DIFFERENTLY = "breathing_differently"
    NEW_PAIN = "new_pain"
    HAD_A_FALL = "had_a_fall"
    LESS_MOBILE = "less_mobile"
    SKIN_CHANGES = "skin_changes"
    PASSING_LESS_URINE = "passing_less_urine"
    VOMITING_OR_DIARRHOEA = "vomiting_or_diarrhoea"
    AGITATED = "agitated"

    @property
    def label(self) -> str:
        return SOFT_SIGN_LABELS[self]


SOFT_SIGN_LABELS = {
    SoftSign.NOT_THEMSELVES: "Not their usual self",
    SoftSign.EATING_DRINKING_LESS: "Eating or drinking less",
    SoftSign.MORE_CONFUSED: "More confused than usual",
    SoftSign.MORE_SLEEPY: "Sleepier or harder to wake",
    SoftSign.BREATHING_DIFFERENTLY: "Breathing differently",
    SoftSign.NEW_PAIN: "New or worse pain",
    SoftSign.HAD_A_FALL: "Has had a fall",
    SoftSign.LESS_MOBILE: "Less able to move about",
    SoftSign.SKIN_CHANGES: "Skin looks different (pale, mottled, clammy)",
    SoftSign.PASSING_LESS_URINE: "Passing less urine",
    SoftSign.VOMITING_OR_DIARRHOEA: "Vomiting or diarrhoea",
    SoftSign.AGITATED: "More agitated or distressed",
}


class ObservationsIn(_Form):
    """Any subset of a NEWS2 set, soft signs and concern. Missing values are fine (and shown as
    missing); implausible ones are refused field by field."""

    respiration_rate: int | None = Field(default=None, title="Respiration rate (breaths/min)")
    spo2: int | None = Field(default=None, title="SpO2 (%)")
    on_oxygen: bool | None = Field(default=None, title="On oxygen? (false = room air)")
    systolic_bp: int | None = Field(default=None, title="Systolic blood pressure (mmHg)")
    pulse: int | None = Field(default=None, title="Pulse (beats/min)")
    consciousness: Consciousness | None = Field(
        default=None, title="Consciousness (ACVPU; new confusion counts as C)")
    temperature: float | None = Field(default=None, title="Temperature (°C)")
    soft_signs: list[SoftSign] = Field(default_factory=list, max_length=len(SoftSign),
                                       title="Soft signs noticed")
    soft_signs_note: str | None = Field(default=None, max_length=2000, pattern=NO_NUL,
                                        title="Anything else noticed, in your words")
    carer_concerned: bool = Field(default=False,
                                  title="Are you (or the family) worried about them?")
    medical_emergency: bool = Field(
        default=False,
        title="Emergency: not breathing, choking, chest pain, stroke signs, severe bleeding, "
              "unresponsive or fitting")
    taken_at: IsoDateTime | None = Field(default=None,
                                      title="When taken (default now; at most 24 hours ago)")

    @field_validator("respiration_rate", "spo2", "systolic_bp", "pulse", "temperature")
    @classmethod
    def _plausible(cls, value: int | float | None, info: ValidationInfo) -> int | float | None:
        """Refused here, with the field and the reason, before anything is stored."""
        if value is not None and info.field_name is not None:
            alone: Any = {info.field_name: value}
            for _, reason in implausible(Observations(**alone)):
                raise PydanticCustomError("implausible", reason)
        return value

    @model_validator(mode="after")
    def _unique_signs(self) -> ObservationsIn:
        self.soft_signs = sorted(set(self.soft_signs))
        return self


class Spo2ScaleIn(_Form):
    scale: SpO2Scale
    reason: Text = Field(title="Why (e.g. COPD with a prescribed 88-92% target)")


class BaselineIn(_Form):
    observation_id: uuid.UUID = Field(title="A full set of observations to use as the baseline")
    reason: Text


class SbardIn(_Form):
    recommendation: Text = Field(title="Recommendation: what you are asking for")


class DecisionIn(_Form):
    """The responder's decision (SBARD 'D') and what happened; the urgent step's outcome form."""

    decision: Text = Field(title="Decision and plan")
    outcome: ResponseOutcome = Field(title="Outcome")
    hospital_name: ShortText | None = Field(default=None, title="Hospital (if admitted)")

    @model_validator(mode="after")
    def _hospital_when_admitted(self) -> DecisionIn:
        if self.outcome != ResponseOutcome.ADMITTED and self.hospital_name:
            raise ValueError("hospital_name is only for an admission")
        return self


class AeReviewOutcome(_Form):
    """The matron's review of an A&E attendance with the home (Hillingdon's practice)."""

    summary: Text = Field(title="What happened and why")
    avoidable: bool | None = Field(default=None,
                                   title="Could it have been avoided? (leave blank if unsure)")
    learning: str | None = Field(default=None, max_length=4000, pattern=NO_NUL,
                                 title="Learning and actions for the home")


def _setting(name: str, title: str) -> Any:
    """A ladder field: optional (unset keeps the default), bounded by its national floor,
    which is checked in ``routes.policy_with`` so the 422 names the floor and its source."""
    floor = FLOORS[name]
    return Field(default=None, title=title,
                 description=f"{floor.low}-{floor.high}: {floor.why}")


class EscalationPolicyIn(_Form):
    """A PCN's ladder. Every field optional: unset fields keep the product's defaults. Values
    beyond the national floors are refused (422 with the field and the floor)."""

    high_from: int | None = _setting("high_from", "NEWS2 from which risk is high (emergency)")
    medium_from: int | None = _setting("medium_from",
                                       "NEWS2 from which risk is medium (urgent response)")
    rise_from_baseline: int | None = _setting(
        "rise_from_baseline", "A low score this far above the baseline: same-day review")
    low_without_baseline_from: int | None = _setting(
        "low_without_baseline_from", "With no baseline yet, a same-day review from this score")
    urgent_response_minutes: int | None = _setting(
        "urgent_response_minutes", "Urgent community response within (minutes)")
    gp_urgent_minutes: int | None = _setting(
        "gp_urgent_minutes", "High score, no hospital admission wish: response within (minutes)")
    same_day_minutes: int | None = _setting("same_day_minutes",
                                            "Same-day review within (minutes)")
    acknowledge_emergency_minutes: int | None = _setting(
        "acknowledge_emergency_minutes", "Emergency: pass on if not acknowledged in (minutes)")
    acknowledge_urgent_minutes: int | None = _setting(
        "acknowledge_urgent_minutes", "Urgent: pass on if not acknowledged in (minutes)")
    acknowledge_same_day_minutes: int | None = _setting(
        "acknowledge_same_day_minutes", "Same day: pass on if not acknowledged in (minutes)")
    repeat_obs_emergency_minutes: int | None = _setting(
        "repeat_obs_emergency_minutes", "Emergency: repeat observations every (minutes)")
    repeat_obs_urgent_minutes: int | None = _setting(
        "repeat_obs_urgent_minutes", "Urgent: repeat observations every (minutes)")
    repeat_obs_same_day_minutes: int | None = _setting(
        "repeat_obs_same_day_minutes", "Same day: repeat observations every (minutes)")
    repeat_obs_low_minutes: int | None = _setting(
        "repeat_obs_low_minutes", "NEWS2 1-4, no escalation: repeat observations every (minutes)")
    repeat_obs_zero_minutes: int | None = _setting(
        "repeat_obs_zero_minutes", "NEWS2 0: repeat observations every (minutes; unset: no "
        "prompt)")
    full_set_minutes: int | None = _setting(
        "full_set_minutes", "Soft signs or a partial set: take a full set within (minutes)")
    reason: Text = Field(title="Why the ladder is changing (kept with this version)")
