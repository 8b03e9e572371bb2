"""Outcome forms of the clinical steps. Their JSON Schema is served with each step."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from care.types import NO_NUL, ShortText, Text


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class HolisticAssessmentOutcome(_Form):
    """Person-centred holistic assessment: five domains and what matters to the person."""

    physical: Text = Field(title="Physical health needs")
    psychological: Text = Field(title="Psychological and cognitive needs")
    functional: Text = Field(title="Functional needs (mobility, daily living)")
    social: Text = Field(title="Social needs")
    environmental: Text = Field(title="Environmental needs")
    what_matters: Text = Field(title="What matters to the person")
    contributors: list[ShortText] = Field(
        default_factory=list, title="Who contributed (resident, family, MDT members)"
    )
    existing_assessments_used: str | None = Field(
        default=None, max_length=4000, pattern=NO_NUL,
        title="Existing assessments drawn on"
    )


class Goal(_Form):
    description: Text = Field(title="Goal, in the person's words where possible")


class PlanAction(_Form):
    description: Text = Field(title="Need and action")
    owner: ShortText = Field(title="Who is responsible")
    due: date | None = Field(default=None, title="By when")


class HospitalAdmissionWish(StrEnum):
    YES = "yes"
    DISCUSS = "discuss_first"
    NO = "no"


class PreferredContact(StrEnum):
    """Who to contact first when the resident becomes unwell: a coded choice, because the
    route must never guess from words ("not GP" once routed to the GP)."""

    GP = "gp"
    PALLIATIVE_CARE_TEAM = "palliative_care_team"
    URGENT_COMMUNITY_RESPONSE = "urgent_community_response"
    NAMED_CLINICIAN = "named_clinician"

    @property
    def label(self) -> str:
        """In words, as the pages and the SBARD show it."""
        return CONTACT_LABELS[self]


CONTACT_LABELS = {
    PreferredContact.GP: "GP",
    PreferredContact.PALLIATIVE_CARE_TEAM: "Palliative care team",
    PreferredContact.URGENT_COMMUNITY_RESPONSE: "Urgent community response team",
    PreferredContact.NAMED_CLINICIAN: "A named clinician",
}
_CODES = frozenset(c.value for c in PreferredContact)
_CHOICES = ("'gp' (GP), 'palliative_care_team', 'urgent_community_response' or "
            "'named_clinician' (with named_clinician_id)")

# carejourney holds no CPR or ReSPECT decision: saying one is "recorded separately" would send
# staff looking for a record that is not here (issue 8, item 5).
NO_CPR_RECORD = ("carejourney does not yet hold CPR or ReSPECT decisions: check the resident's "
                 "ReSPECT form or DNACPR record held by the home.")


class EscalationWishes(_Form):
    """Treatment escalation preferences."""

    model_config = ConfigDict(json_schema_extra={"description": (
        "Treatment escalation preferences. " + NO_CPR_RECORD)})

    hospital_admission: HospitalAdmissionWish = Field(
        title="Would the person want to be admitted to hospital if they became unwell?"
    )
    preferred_contact: PreferredContact | None = Field(
        default=None, title="Who to contact first",
        description="A coded choice; with none, the route's default applies (the GP, or the "
                    "palliative care team at the end of life). Free text is refused: write "
                    "anything else under notes.",
    )
    named_clinician_id: uuid.UUID | None = Field(
        default=None, validate_default=True, title="The named clinician to contact first",
        description="Required when preferred_contact is 'named_clinician', and only then: the "
                    "user id of an active clinician serving the resident's home.",
    )
    notes: str | None = Field(default=None, max_length=4000, pattern=NO_NUL,
                              title="Other wishes")

    @field_validator("preferred_contact", mode="before")
    @classmethod
    def _coded(cls, value: Any) -> Any:
        return coded_only(value)

    @field_validator("named_clinician_id")
    @classmethod
    def _only_for_named(cls, value: uuid.UUID | None, info: ValidationInfo) -> uuid.UUID | None:
        return only_for_named(value, info)


def coded_only(value: Any) -> Any:
    """Refuse anything but a code, saying why (pydantic's enum message does not say that free
    text, once accepted, no longer is)."""
    if value is None or (isinstance(value, str) and value in _CODES):
        return value
    raise PydanticCustomError(
        "coded_choice",
        "must be one of {choices}; free text is not accepted (write anything else under "
        "notes)", {"choices": _CHOICES})


def only_for_named(value: uuid.UUID | None, info: ValidationInfo) -> uuid.UUID | None:
    """A named clinician's id is required with that choice, and refused with any other (a
    left-over id must not travel with a different first contact)."""
    if "preferred_contact" not in info.data:
        return value  # the choice itself was refused: that is the error to show
    contact = info.data["preferred_contact"]
    if contact == PreferredContact.NAMED_CLINICIAN and value is None:
        raise PydanticCustomError("named_clinician_missing",
                                  "is required when the first contact is a named clinician")
    if contact != PreferredContact.NAMED_CLINICIAN and value is not None:
        raise PydanticCustomError(
            "named_clinician_unexpected",
            "is only for a named clinician as the first contact: leave it out")
    return value


class FirstContactResolutionIn(_Form):
    """The clinical lead's coding of a first contact that was written as free text."""

    preferred_contact: PreferredContact | None = Field(
        title="Who to contact first",
        description="The coded first contact; null for none, so the route's default applies "
                    "(the GP, or the palliative care team at the end of life).",
    )
    named_clinician_id: uuid.UUID | None = Field(
        default=None, validate_default=True, title="The named clinician to contact first",
        description="Required when preferred_contact is 'named_clinician', and only then.",
    )
    reason: Text = Field(title="Why this choice: what the words meant, and who was asked")

    @field_validator("preferred_contact", mode="before")
    @classmethod
    def _coded(cls, value: Any) -> Any:
        return coded_only(value)

    @field_validator("named_clinician_id")
    @classmethod
    def _only_for_named(cls, value: uuid.UUID | None, info: ValidationInfo) -> uuid.UUID | None:
        return only_for_named(value, info)


class PcspOutcome(_Form):
    """Personalised care and support plan, agreed with the person and their family."""

    goals: list[Goal] = Field(min_length=1, title="Goals")
    actions: list[PlanAction] = Field(min_length=1, title="Needs and actions, with owners")
    escalation_wishes: EscalationWishes
    agreed_with: ShortText = Field(title="Agreed with (resident, family, representative)")
    review_date: date = Field(title="Review date")
