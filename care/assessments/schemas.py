"""Outcome forms of the clinical steps. Their JSON Schema is served with each step."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from care.types import NO_NUL

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000,
                                        pattern=NO_NUL)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300,
                                             pattern=NO_NUL)]


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


class EscalationWishes(_Form):
    """Treatment escalation preferences; a DNACPR decision is recorded elsewhere, individually."""

    hospital_admission: HospitalAdmissionWish = Field(
        title="Would the person want to be admitted to hospital if they became unwell?"
    )
    preferred_contact: ShortText | None = Field(
        default=None, title="Who to contact first (e.g. GP, palliative care team)"
    )
    notes: str | None = Field(default=None, max_length=4000, pattern=NO_NUL,
                              title="Other wishes")


class PcspOutcome(_Form):
    """Personalised care and support plan, agreed with the person and their family."""

    goals: list[Goal] = Field(min_length=1, title="Goals")
    actions: list[PlanAction] = Field(min_length=1, title="Needs and actions, with owners")
    escalation_wishes: EscalationWishes
    agreed_with: ShortText = Field(title="Agreed with (resident, family, representative)")
    review_date: date = Field(title="Review date")
