"""Forms of the home round: its steps' outcomes and the MDT's inputs."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from care.rounds.models import Response
from care.types import NO_NUL, Profession, ShortText, Text


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


OptionalText = str | None


class PrepareRoundOutcome(_Form):
    """The agenda is ready for the MDT meeting."""

    agenda_checked: bool = Field(title="I have checked the agenda with the home")
    notes: str | None = Field(default=None, max_length=4000, pattern=NO_NUL,
                              title="Notes for the MDT")

    @model_validator(mode="after")
    def _confirmed(self) -> PrepareRoundOutcome:
        if not self.agenda_checked:
            raise ValueError("confirm that the agenda has been checked with the home")
        return self


class ContactKind(StrEnum):
    IN_PERSON = "in_person"
    VIDEO = "video"
    PHONE = "phone"
    NOT_SEEN = "not_seen"


class ClinicalReviewOutcome(_Form):
    """A clinician's contact with a resident at (or after) the round."""

    contact: ContactKind = Field(title="How the resident was seen")
    outcome: Text = Field(title="Outcome of the review")
    review_on: date | None = Field(default=None, title="Review again on (opens a follow-up)")


class ReferralOutcome(_Form):
    """The co-opted member's response to the MDT's referral."""

    contact: ContactKind = Field(title="How the resident was seen")
    outcome: Text = Field(title="Assessment and advice")
    review_on: date | None = Field(default=None, title="Review again on (opens a follow-up)")


class MedicationReviewOutcome(_Form):
    """Structured medication review (pharmacist-led)."""

    medicines_count: int = Field(ge=0, le=60, title="Number of regular medicines after review")
    changes_made: bool = Field(title="Changes made")
    deprescribed: list[ShortText] = Field(default_factory=list, title="Medicines stopped")
    referred_to_gp: bool = Field(default=False, title="Referred back to the GP")
    summary: Text = Field(title="Summary shared with the resident and home")
    next_review_on: date = Field(title="Next review")


class RegistrationChoice(StrEnum):
    RE_REGISTER = "re_register"
    STAY = "stay_with_current_practice"
    UNDECIDED = "undecided"


class RegistrationConversationOutcome(_Form):
    """Re-registration with the aligned PCN's practice is the resident's choice."""

    choice: RegistrationChoice = Field(title="The resident's (or representative's) choice")
    notes: str | None = Field(default=None, max_length=4000, pattern=NO_NUL, title="Notes")


class DementiaOffer(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    NOT_APPROPRIATE = "not_appropriate"


class DementiaAssessmentOfferOutcome(_Form):
    offer: DementiaOffer = Field(title="Offer of a dementia assessment")
    referred_to: str | None = Field(default=None, max_length=200, pattern=NO_NUL,
                                    title="Referred to (e.g. memory service)")
    notes: str | None = Field(default=None, max_length=4000, pattern=NO_NUL, title="Notes")


# ---------------------------------------------------------------- MDT inputs

CO_OPTED = frozenset({
    Profession.DIETITIAN, Profession.SPEECH_AND_LANGUAGE_THERAPIST,
    Profession.OCCUPATIONAL_THERAPIST, Profession.PHYSIOTHERAPIST,
    Profession.MENTAL_HEALTH_NURSE, Profession.SOCIAL_WORKER, Profession.SOCIAL_PRESCRIBER,
    Profession.PHARMACIST, Profession.DISTRICT_NURSE, Profession.GERIATRICIAN,
})


class NominationIn(_Form):
    resident_id: uuid.UUID
    reason: ShortText = Field(title="Why should the MDT see them?")
    by_family: bool = Field(default=False, title="Raised by family (through staff)")
    fall: bool = Field(default=False, title="The resident has fallen")


class AgendaChangeIn(_Form):
    reason: ShortText = Field(title="Reason")


class AddToAgendaIn(AgendaChangeIn):
    resident_id: uuid.UUID


class DecisionIn(_Form):
    """The MDT's agreed response for one resident on the agenda."""

    response: Response
    clinician_id: uuid.UUID | None = Field(default=None, title="Clinician who will see them")
    by_date: date | None = Field(default=None, title="By when")
    referral_to: Profession | None = Field(default=None, title="Refer to")
    notes: str | None = Field(default=None, max_length=4000, pattern=NO_NUL, title="Notes")
    plan_change: str | None = Field(default=None, max_length=4000, pattern=NO_NUL,
                                    title="Agreed change to the care plan")
    end_of_life: bool = Field(
        default=False, title="The MDT recognises the resident may be in the last year of life "
        "(flagged first on every agenda from now on)")

    @model_validator(mode="after")
    def _complete(self) -> DecisionIn:
        if self.response == Response.CLINICAL_INPUT and (not self.clinician_id
                                                         or not self.by_date):
            raise ValueError("clinical input needs the clinician and the date to see them by")
        if self.response == Response.REFERRAL and (self.referral_to not in CO_OPTED
                                                   or not self.by_date):
            raise ValueError("a referral needs a co-opted profession and a date")
        return self


class MeetingIn(_Form):
    attendee_ids: list[uuid.UUID] = Field(min_length=1, title="Who attended")
