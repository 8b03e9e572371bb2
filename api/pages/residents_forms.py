"""The residents' forms <-> domain inputs: admitting a resident, and the changes to where they
live (hospital stay, return, discharge, death), with the domain's errors back on their inputs.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from api.pages.formkit import FieldErrors, date_input, message_for, optional, text
from care.residents.models import ResidentStatus
from care.residents.rules import nhs_number_problem
from care.residents.schemas import DeathIn, DischargeIn, HospitalStayIn, ReadmissionIn

# ---------------------------------------------------------------- admission

DEMENTIA_ITEMS: list[dict[str, str]] = [
    {"value": "diagnosed", "text": "Diagnosed with dementia"},
    {"value": "possible_undiagnosed", "text": "Possible dementia, not yet diagnosed"},
    {"value": "no_dementia", "text": "No dementia"},
    {"value": "unknown", "text": "Not known"},
]
ADMISSION_TEXT = [
    "nhs_number", "given_name", "family_name", "home_id", "room", "gp_practice_ods",
    "gp_practice_name", "representative_name", "representative_relationship",
    "representative_phone", "dementia_status",
]
ADMISSION_OPTIONAL = {"room", "representative_name", "representative_relationship",
                      "representative_phone"}
ADMISSION_DATES = ("date_of_birth", "admitted_on")
# Words for the error messages, by the domain's field name.
ADMISSION_LABELS: dict[str, str] = {
    "nhs_number": "the NHS number",
    "given_name": "the first name",
    "family_name": "the last name",
    "date_of_birth": "the date of birth",
    "home_id": "the care home",
    "admitted_on": "the admission date",
    "room": "the room",
    "gp_practice_ods": "the GP practice ODS code",
    "gp_practice_name": "the GP practice name",
    "representative_name": "the representative's name",
    "representative_relationship": "the representative's relationship",
    "representative_phone": "the representative's phone number",
    "dementia_status": "the dementia diagnosis status",
}
ADMISSION_CHOSEN = frozenset({"home_id", "dementia_status"})


def parse_admission(form: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in ADMISSION_TEXT:
        value = text(form, name)
        if value or name not in ADMISSION_OPTIONAL:
            data[name] = value
    for name in ADMISSION_DATES:
        day = date_input(form, name)
        if day is not None:
            data[name] = day
    if not data.get("dementia_status"):
        data.pop("dementia_status", None)
    return data


def admission_errors(
    errors: list[dict[str, str]], form: Mapping[str, str] | None = None
) -> FieldErrors:
    """Field errors for the admission form, in form order. With ``form`` (a schema failure),
    the NHS number is checked too, so the person sees every problem at once."""
    found = FieldErrors()
    if form is not None and not any(e.get("field") == "nhs_number" for e in errors):
        raw = text(form, "nhs_number")
        problem = nhs_number_problem(raw) if raw else "Field required"
        if problem:
            found.add("nhs_number", message_for("nhs_number", problem, ADMISSION_LABELS))
    for error in errors:
        path = error.get("field") or "nhs_number"
        head = path.split(".")[0]
        input_id = f"{head}-day" if head in ADMISSION_DATES else head
        found.add(input_id, message_for(head, error.get("reason", ""), ADMISSION_LABELS,
                                        chosen=ADMISSION_CHOSEN))
    return found


# ---------------------------------------------------------------- residence changes


class ResidenceChangeKind(StrEnum):
    """The changes to where a resident lives, as they appear in the page's address."""

    HOSPITAL_STAY = "hospital-stay"
    READMISSION = "readmission"
    DISCHARGE = "discharge"
    DEATH = "death"


@dataclass(frozen=True)
class ChangeField:
    """A free-text input on a residence-change form."""

    name: str
    label: str
    words: str
    hint: str | None = None
    multiline: bool = False


@dataclass(frozen=True)
class ResidenceChange:
    """One change recorded from the resident page: hospital stay, return, discharge, death."""

    slug: ResidenceChangeKind
    # The link text, by the resident statuses the change can be recorded from.
    actions: Mapping[ResidentStatus, str]
    date_field: str
    date_legend: str
    date_words: str
    fields: tuple[ChangeField, ...]
    schema: type[BaseModel]
    button: str
    # Discharge and death end the journey and cancel its open steps: the person must say they
    # understand, not just press a button.
    confirm: bool = False
    warning_button: bool = False

    def title(self, status: ResidentStatus) -> str:
        return self.actions.get(status) or next(iter(self.actions.values()))

    def url(self, resident_id: uuid.UUID) -> str:
        return residence_change_url(resident_id, self.slug)

    @property
    def labels(self) -> dict[str, str]:
        return {self.date_field: self.date_words, **{f.name: f.words for f in self.fields}}


def residence_change_url(resident_id: uuid.UUID, kind: ResidenceChangeKind) -> str:
    """The change's form (GET), and where it is sent (POST)."""
    return f"/residents/{resident_id}/residence/{kind.value}"


_NOTE = ChangeField("note", "Note (optional)", "the note",
                    hint="Only what the MDT needs to know. Do not copy the discharge letter.",
                    multiline=True)

RESIDENCE_CHANGES: dict[ResidenceChangeKind, ResidenceChange] = {change.slug: change for change in (
    ResidenceChange(
        slug=ResidenceChangeKind.HOSPITAL_STAY,
        actions={ResidentStatus.RESIDENT: "Record hospital admission"},
        date_field="admitted_on", date_legend="Date they went into hospital",
        date_words="the date they went into hospital",
        fields=(ChangeField("hospital_name", "Hospital (optional)", "the hospital name",
                            hint="For example, Royal Test Infirmary"), _NOTE),
        schema=HospitalStayIn, button="Record hospital admission",
    ),
    ResidenceChange(
        slug=ResidenceChangeKind.READMISSION,
        actions={ResidentStatus.IN_HOSPITAL: "Record return from hospital",
                 ResidentStatus.DISCHARGED: "Record re-admission"},
        date_field="readmitted_on", date_legend="Date they came back to the home",
        date_words="the date they came back to the home",
        fields=(_NOTE,),
        schema=ReadmissionIn, button="Record return to the home",
    ),
    ResidenceChange(
        slug=ResidenceChangeKind.DISCHARGE,
        actions={ResidentStatus.RESIDENT: "Record discharge",
                 ResidentStatus.IN_HOSPITAL: "Record discharge"},
        date_field="discharged_on", date_legend="Date they left the home",
        date_words="the date they left the home",
        fields=(ChangeField("destination", "Where they went (optional)", "where they went",
                            hint="For example, their own home, or another care home"),),
        schema=DischargeIn, button="Record discharge", confirm=True, warning_button=True,
    ),
    ResidenceChange(
        slug=ResidenceChangeKind.DEATH,
        actions={ResidentStatus.RESIDENT: "Record death",
                 ResidentStatus.IN_HOSPITAL: "Record death"},
        date_field="died_on", date_legend="Date of death", date_words="the date of death",
        fields=(ChangeField("place_of_death", "Place of death (optional)", "the place of death",
                            hint="For example, in the care home, or in hospital"),),
        schema=DeathIn, button="Record death", confirm=True, warning_button=True,
    ),
)}

CONFIRM_FIELD = "confirm"
CONFIRM_MESSAGE = "Confirm that the open steps will be cancelled and the journey will end"


def changes_for(status: ResidentStatus) -> list[tuple[ResidenceChange, str]]:
    """The changes that can be recorded for a resident in this status, with their link text."""
    return [(change, change.actions[status]) for change in RESIDENCE_CHANGES.values()
            if status in change.actions]


def parse_change(change: ResidenceChange, form: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {name: optional(form, name) for name in
                            (f.name for f in change.fields)}
    day = date_input(form, change.date_field)
    if day is not None:
        data[change.date_field] = day
    return data


def change_errors(change: ResidenceChange, errors: list[dict[str, str]]) -> FieldErrors:
    """Field errors for a residence-change form, in form order (the date first)."""
    found = FieldErrors()
    order = [change.date_field, *(f.name for f in change.fields)]

    def head_of(error: dict[str, str]) -> str:
        return (error.get("field") or change.date_field).split(".")[0]

    for error in sorted(errors, key=lambda e: order.index(head_of(e))
                        if head_of(e) in order else len(order)):
        head = head_of(error)
        input_id = f"{head}-day" if head == change.date_field else head
        found.add(input_id, message_for(head, error.get("reason", ""), change.labels))
    return found
