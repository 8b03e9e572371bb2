"""Shared column helpers and vocabularies used by several domain folders."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, TypeVar

from pydantic import AwareDatetime, BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError
from sqlalchemy import Enum

E = TypeVar("E", bound=StrEnum)

# PostgreSQL text and jsonb cannot hold U+0000: free text refuses it as invalid input (422)
# instead of failing in the database (500). A JSON Schema pattern, so the API documents it.
NO_NUL = r"^[^\x00]*$"

# RFC 3339 / ISO 8601 date-time with a time zone (Z or an offset), ASCII digits only.
_ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,9})?)?"
    r"([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)"
)


def _iso_datetime(value: object) -> object:
    """pydantic's lax mode reads a bare number as seconds since 1970 (``due_before=0.5``):
    an instant a person means is written as a date and a time with its zone."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value  # from our own code (the pages, the CLI, tests)
    if isinstance(value, str) and _ISO_DATETIME.fullmatch(value.strip()):
        return value.strip()
    raise PydanticCustomError(
        "iso_datetime",
        "must be an ISO 8601 date-time with a time zone, e.g. 2026-11-10T17:00:00Z",
    )


#: An instant from outside (a query parameter, a field): ISO 8601 with a time zone, no numbers.
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime)]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: object) -> object:
    """pydantic's lax mode reads 0 as 1970-01-01 (a date of birth of ``0`` was accepted)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # from our own code (the CLI, the demo, tests)
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        return value.strip()
    raise PydanticCustomError("iso_date", "must be a valid date as YYYY-MM-DD, e.g. 2026-11-02")


#: A calendar date from outside: ISO 8601 ``YYYY-MM-DD``, no numbers or date-times.
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def enum_column(enum: type[E]) -> Enum:
    """Store a StrEnum as VARCHAR with a CHECK constraint (portable, easy to migrate)."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=True,
        length=40,
        values_callable=lambda members: [m.value for m in members],
        name=enum.__name__.lower(),
    )


class Role(StrEnum):
    COORDINATOR = "coordinator"
    CLINICAL_LEAD = "clinical_lead"
    MDT_MEMBER = "mdt_member"
    CARE_HOME_STAFF = "care_home_staff"
    ADMIN = "admin"


class Profession(StrEnum):
    GP = "gp"
    GERIATRICIAN = "geriatrician"
    COMMUNITY_MATRON = "community_matron"
    ADVANCED_PRACTITIONER = "advanced_practitioner"
    DISTRICT_NURSE = "district_nurse"
    PRACTICE_NURSE = "practice_nurse"
    MENTAL_HEALTH_NURSE = "mental_health_nurse"
    PHARMACIST = "pharmacist"
    DIETITIAN = "dietitian"
    SPEECH_AND_LANGUAGE_THERAPIST = "speech_and_language_therapist"
    OCCUPATIONAL_THERAPIST = "occupational_therapist"
    PHYSIOTHERAPIST = "physiotherapist"
    SOCIAL_PRESCRIBER = "social_prescriber"
    SOCIAL_WORKER = "social_worker"
    CARE_HOME_STAFF = "care_home_staff"
    # Community responders a deterioration may be routed to (DOMAIN.md §6).
    URGENT_COMMUNITY_RESPONSE = "urgent_community_response"
    PALLIATIVE_CARE = "palliative_care"
    CARE_COORDINATOR = "care_coordinator"
    ADMINISTRATOR = "administrator"

    @property
    def label(self) -> str:
        """Who does the work, in words ("a GP", "the urgent community response team")."""
        return _PROFESSION_LABELS.get(self, "a " + self.value.replace("_", " "))


_PROFESSION_LABELS = {
    Profession.GP: "a GP",
    Profession.ADVANCED_PRACTITIONER: "an advanced practitioner",
    Profession.OCCUPATIONAL_THERAPIST: "an occupational therapist",
    Profession.URGENT_COMMUNITY_RESPONSE: "the urgent community response team",
    Profession.PALLIATIVE_CARE: "the palliative care team",
    Profession.CARE_HOME_STAFF: "the home's staff",
    Profession.ADMINISTRATOR: "an administrator",
}


# Free text a person types: trimmed, never empty, no NUL bytes, bounded.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000,
                                        pattern=NO_NUL)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300,
                                             pattern=NO_NUL)]
