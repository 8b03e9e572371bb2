"""HTML forms <-> domain inputs: flat form fields into outcome, admission and residence-change
dictionaries, and
domain field errors (``outcome.goals.0.description``) back onto the inputs that caused them.

The domain validates; this module only reshapes, so the pages and the API accept exactly the
same outcomes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from care.assessments.kinds import AssessmentStep
from care.assessments.schemas import PreferredContact
from care.assessments.service import CLINICIAN_ROLES
from care.deterioration.kinds import DeteriorationStep
from care.deterioration.models import ResponseOutcome
from care.directory.models import User
from care.residents.models import ResidentStatus
from care.residents.rules import nhs_number_problem
from care.residents.schemas import DeathIn, DischargeIn, HospitalStayIn, ReadmissionIn
from care.rounds.kinds import RoundStep

GOAL_ROWS = 3
ACTION_ROWS = 4

ASSESSMENT_DOMAINS: list[tuple[str, str, str]] = [
    ("physical", "Physical health needs",
     "Long-term conditions, medicines, pain, nutrition and hydration, continence, skin."),
    ("psychological", "Psychological and cognitive needs",
     "Mood, anxiety, memory, dementia, delirium risk, capacity."),
    ("functional", "Functional needs",
     "Mobility, falls risk, help needed with washing, dressing, eating."),
    ("social", "Social needs",
     "Family and friends, activities, faith and culture, communication."),
    ("environmental", "Environmental needs",
     "Room, equipment, access to outside space, hazards."),
    ("what_matters", "What matters to the person",
     "In their own words where possible."),
]

HOSPITAL_WISHES: list[dict[str, str]] = [
    {"value": "yes", "text": "Yes, admit to hospital if needed"},
    {"value": "discuss_first", "text": "Discuss with the person or their representative first"},
    {"value": "no", "text": "No, care for the person in the home where possible"},
]
DEMENTIA_ITEMS: list[dict[str, str]] = [
    {"value": "diagnosed", "text": "Diagnosed with dementia"},
    {"value": "possible_undiagnosed", "text": "Possible dementia, not yet diagnosed"},
    {"value": "no_dementia", "text": "No dementia"},
    {"value": "unknown", "text": "Not known"},
]
HOSPITAL_WISH_WORDS = {item["value"]: item["text"] for item in HOSPITAL_WISHES}
# The PCSP's coded first contact (issue 8). "No preference" is the route's default, stored as
# no code; it has its own value so that no radio is chosen for the person in advance.
NO_FIRST_CONTACT = "none"
FIRST_CONTACT_ITEMS: list[dict[str, Any]] = [
    *({"value": c.value, "text": c.label} for c in PreferredContact),
    {"divider": "or"},
    {"value": NO_FIRST_CONTACT, "text": "No preference: the usual route",
     "hint": {"text": "The GP, or the palliative care team at the end of life"}},
]



def clinician_items(members: list[User]) -> list[dict[str, str]]:
    """The home's clinicians, for naming one as a resident's first contact."""
    return [{"value": str(u.id),
             "text": f"{u.display_name} ({u.profession.value.replace('_', ' ')})"}
            for u in members if u.role in CLINICIAN_ROLES]


# Words for the error messages, by the domain's field path (list indexes removed).
LABELS: dict[str, str] = {
    "physical": "the physical health needs",
    "psychological": "the psychological and cognitive needs",
    "functional": "the functional needs",
    "social": "the social needs",
    "environmental": "the environmental needs",
    "what_matters": "what matters to the person",
    "contributors": "who contributed",
    "existing_assessments_used": "the existing assessments drawn on",
    "goals": "a goal",
    "goals.description": "the goal",
    "actions": "a need and action with who is responsible",
    "actions.description": "the need and action",
    "actions.owner": "who is responsible for this action",
    "actions.due": "the date the action is due by",
    "escalation_wishes.hospital_admission": "whether the person would want hospital admission",
    "escalation_wishes.preferred_contact": "who to contact first",
    "escalation_wishes.named_clinician_id": "a clinician who serves this home as the named "
                                            "first contact",
    "escalation_wishes.notes": "other wishes",
    "agreed_with": "who the plan was agreed with",
    "review_date": "the review date",
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
    "agenda_checked": "that you have checked the agenda with the home",
    "contact": "how the resident was seen",
    "outcome": "the outcome",
    "review_on": "the date to review again",
    "medicines_count": "the number of regular medicines after the review",
    "changes_made": "whether changes were made",
    "deprescribed": "the medicine stopped",
    "referred_to_gp": "whether they were referred back to the GP",
    "summary": "the summary shared with the resident and home",
    "next_review_on": "the next review date",
    "choice": "the resident's choice",
    "offer": "what happened to the offer of an assessment",
    "referred_to": "who they were referred to",
    "notes": "the notes",
    "resident_id": "the resident",
    "reason": "the reason",
    "response": "the MDT's response",
    "clinician_id": "the clinician who will see them",
    "by_date": "the date to see them by",
    "referral_to": "who to refer to",
    "plan_change": "the agreed change to the care plan",
    "attendee_ids": "who attended",
}

# Inputs chosen rather than typed: their errors say "Select ...".
SELECT_FIELDS = {"home_id", "dementia_status", "contact", "changes_made", "choice", "offer",
                 "resident_id", "response", "clinician_id", "referral_to", "attendee_ids"}
# Chosen too, wherever they appear (the PCSP form, the clinical lead's first-contact review).
SELECT_ENDINGS = ("hospital_admission", "preferred_contact", "named_clinician_id")

_AT_LEAST = re.compile(r"at least (\d+) characters")

# Domain fields that are entered as a day / month / year date input on the pages.
DATE_FIELDS = {"review_date", "date_of_birth", "admitted_on", "review_on", "next_review_on",
               "by_date"}


@dataclass
class FieldErrors:
    """Errors keyed by input id, in the order the summary should list them."""

    by_id: dict[str, str] = field(default_factory=dict)

    def add(self, input_id: str, message: str) -> None:
        self.by_id.setdefault(input_id, message)

    def __bool__(self) -> bool:
        return bool(self.by_id)

    def get(self, input_id: str) -> dict[str, str] | None:
        """The ``errorMessage`` parameter for an NHS.UK component, or None."""
        message = self.by_id.get(input_id)
        return {"text": message} if message else None

    def summary(self) -> list[dict[str, str]]:
        """The ``errorList`` of an NHS.UK error summary: each links to its input."""
        return [{"text": text, "href": f"#{input_id}"} for input_id, text in self.by_id.items()]


def message_for(path: str, reason: str, labels: Mapping[str, str] | None = None) -> str:
    """A sentence a person can act on, from a domain error (NHS.UK error message style).
    ``labels`` overrides the shared words where one field name means something else on a form."""
    parts = [p for p in path.split(".") if not p.isdigit()]
    if parts and parts[0] == "outcome":
        parts = parts[1:]
    key = ".".join(parts)
    label = (labels or {}).get(key) or LABELS.get(
        key, key.replace("_", " ").replace(".", " ") or "this")
    low = reason.lower()
    if key.endswith(SELECT_ENDINGS) or key in SELECT_FIELDS:
        return f"Select {label}"
    if key == "agenda_checked":
        return f"Confirm {label}"
    if "valid integer" in low:
        return f"Enter {label} as a whole number"
    if "required" in low or "at least 1 character" in low or low.startswith("enter"):
        return f"Enter {label}"
    longer = _AT_LEAST.search(low)
    if longer:
        return f"Enter {label} (at least {longer.group(1)} characters)"
    if "at least 1 item" in low:
        return f"Add {label}"
    if "valid date" in low:
        return f"Enter {label} as a real date, for example 27 3 2027"
    if "at most" in low:
        return f"{label[0].upper()}{label[1:]} is too long"
    if low.startswith("input should be"):
        return f"{label[0].upper()}{label[1:]} must be {reason[len('input should be '):]}"
    return f"{label[0].upper()}{label[1:]} {reason}"


def _text(form: Mapping[str, str], name: str) -> str:
    return (form.get(name) or "").strip()


def _optional(form: Mapping[str, str], name: str) -> str | None:
    return _text(form, name) or None


def _date(form: Mapping[str, str], name: str) -> str | None:
    """Day / month / year fields as an ISO date string; the domain judges whether it is real."""
    day, month, year = (_text(form, f"{name}[{part}]") for part in ("day", "month", "year"))
    if not (day or month or year):
        return None
    return f"{year or '0000'}-{month.zfill(2) or '00'}-{day.zfill(2) or '00'}"


# ---------------------------------------------------------------- step outcomes


@dataclass
class OutcomeForm:
    """An outcome parsed from the page, with where each list item came from on the form."""

    outcome: dict[str, Any]
    goal_rows: list[int] = field(default_factory=list)
    action_rows: list[int] = field(default_factory=list)
    deprescribed_rows: list[int] = field(default_factory=list)
    kind: str | None = None


# The outcome form each step kind shows (templates/pages/_round_outcome_form.html).
REVIEW_KINDS = (RoundStep.CLINICAL_REVIEW, RoundStep.REFERRAL, RoundStep.FOLLOW_UP)
DEPRESCRIBED_ROWS = 4

CONTACT_ITEMS: list[dict[str, str]] = [
    {"value": "in_person", "text": "In person"},
    {"value": "video", "text": "Video call"},
    {"value": "phone", "text": "Phone call"},
    {"value": "not_seen", "text": "Not seen"},
]
REGISTRATION_ITEMS: list[dict[str, str]] = [
    {"value": "re_register", "text": "Re-register with the home's aligned practice"},
    {"value": "stay_with_current_practice", "text": "Stay with their current practice"},
    {"value": "undecided", "text": "Not decided yet"},
]
DEMENTIA_OFFER_ITEMS: list[dict[str, str]] = [
    {"value": "accepted", "text": "Accepted"},
    {"value": "declined", "text": "Declined"},
    {"value": "not_appropriate", "text": "Not appropriate at the moment"},
]
YES_NO_ITEMS: list[dict[str, str]] = [
    {"value": "yes", "text": "Yes"},
    {"value": "no", "text": "No"},
]
OUTCOME_WORDS: dict[str, str] = {
    **{item["value"]: item["text"]
       for item in (*CONTACT_ITEMS, *REGISTRATION_ITEMS, *DEMENTIA_OFFER_ITEMS)},
    **{outcome.value: outcome.label for outcome in ResponseOutcome},
}


def parse_outcome(kind: str, form: Mapping[str, str]) -> OutcomeForm:
    if kind == AssessmentStep.HOLISTIC_ASSESSMENT:
        parsed = _parse_assessment(form)
    elif kind == AssessmentStep.PCSP:
        parsed = _parse_pcsp(form)
    elif kind == DeteriorationStep.AE_REVIEW:
        parsed = _parse_ae_review(form)
    else:
        parsed = _parse_round_outcome(kind, form)
    parsed.kind = kind
    return parsed


def _put(outcome: dict[str, Any], name: str, value: Any) -> None:
    """Only what was given: a missing answer is the domain's 'required' error, not ours."""
    if value is not None and value != "":
        outcome[name] = value


def _parse_round_outcome(kind: str, form: Mapping[str, str]) -> OutcomeForm:
    parsed = OutcomeForm({})
    out = parsed.outcome
    if kind == RoundStep.PREPARE_ROUND:
        out["agenda_checked"] = _text(form, "agenda_checked") == "yes"
        out["notes"] = _optional(form, "notes")
    elif kind in REVIEW_KINDS:
        _put(out, "contact", _text(form, "contact"))
        out["outcome"] = _text(form, "outcome")
        _put(out, "review_on", _date(form, "review_on"))
    elif kind == RoundStep.MEDICATION_REVIEW:
        _put(out, "medicines_count", _text(form, "medicines_count"))
        _put(out, "changes_made", _text(form, "changes_made"))
        stopped = []
        for row in range(DEPRESCRIBED_ROWS):
            medicine = _text(form, f"deprescribed-{row}")
            if medicine:
                stopped.append(medicine)
                parsed.deprescribed_rows.append(row)
        out["deprescribed"] = stopped
        out["referred_to_gp"] = _text(form, "referred_to_gp") == "yes"
        out["summary"] = _text(form, "summary")
        _put(out, "next_review_on", _date(form, "next_review_on"))
    elif kind == RoundStep.REGISTRATION_CONVERSATION:
        _put(out, "choice", _text(form, "choice"))
        out["notes"] = _optional(form, "notes")
    elif kind == RoundStep.DEMENTIA_ASSESSMENT_OFFER:
        _put(out, "offer", _text(form, "offer"))
        out["referred_to"] = _optional(form, "referred_to")
        out["notes"] = _optional(form, "notes")
    return parsed


def _parse_assessment(form: Mapping[str, str]) -> OutcomeForm:
    outcome: dict[str, Any] = {name: _text(form, name) for name, _, _ in ASSESSMENT_DOMAINS}
    outcome["contributors"] = [
        line.strip() for line in _text(form, "contributors").splitlines() if line.strip()
    ]
    outcome["existing_assessments_used"] = _optional(form, "existing_assessments_used")
    return OutcomeForm(outcome)


def _parse_pcsp(form: Mapping[str, str]) -> OutcomeForm:
    parsed = OutcomeForm({})
    goals: list[dict[str, Any]] = []
    for row in range(GOAL_ROWS):
        text = _text(form, f"goals-{row}-description")
        if text:
            goals.append({"description": text})
            parsed.goal_rows.append(row)
    actions: list[dict[str, Any]] = []
    for row in range(ACTION_ROWS):
        item = {
            "description": _text(form, f"actions-{row}-description"),
            "owner": _text(form, f"actions-{row}-owner"),
            "due": _optional(form, f"actions-{row}-due"),
        }
        if item["description"] or item["owner"] or item["due"]:
            actions.append(item)
            parsed.action_rows.append(row)
    contact = _optional(form, "preferred_contact")
    contact = None if contact == NO_FIRST_CONTACT else contact
    wishes: dict[str, Any] = {
        "preferred_contact": contact,
        "notes": _optional(form, "escalation_notes"),
    }
    # Only with that choice: a clinician picked before the choice changed must not travel.
    if contact == PreferredContact.NAMED_CLINICIAN.value:
        _put(wishes, "named_clinician_id", _text(form, "named_clinician_id"))
    if _text(form, "hospital_admission"):
        wishes["hospital_admission"] = _text(form, "hospital_admission")
    parsed.outcome = {
        "goals": goals,
        "actions": actions,
        "escalation_wishes": wishes,
        "agreed_with": _text(form, "agreed_with"),
    }
    review = _date(form, "review_date")
    if review is not None:
        parsed.outcome["review_date"] = review
    return parsed


def outcome_input_id(path: str, parsed: OutcomeForm) -> str:
    """The id of the input a domain error path points at (``outcome.actions.1.owner``)."""
    parts = path.split(".")
    if parts and parts[0] == "outcome":
        parts = parts[1:]
    if not parts:
        # A rule across the whole form: the one rule of 'prepare the round' is the checkbox.
        return "agenda_checked" if parsed.kind == RoundStep.PREPARE_ROUND else "outcome"
    head = parts[0]
    if head == "deprescribed":
        index = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        rows = parsed.deprescribed_rows
        return f"deprescribed-{rows[index] if index < len(rows) else 0}"
    if head in ("goals", "actions"):
        rows = parsed.goal_rows if head == "goals" else parsed.action_rows
        index = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        row = rows[index] if index < len(rows) else 0
        leaf = parts[2] if len(parts) > 2 else "description"
        return f"{head}-{row}-{leaf}"
    if head == "escalation_wishes":
        leaf = parts[1] if len(parts) > 1 else "hospital_admission"
        return {"notes": "escalation_notes"}.get(leaf, leaf)
    if head in DATE_FIELDS:
        return f"{head}-day"
    return head


def outcome_errors(errors: list[dict[str, str]], parsed: OutcomeForm) -> FieldErrors:
    found = FieldErrors()
    # The A&E review's "summary" is what happened, not the medication review's summary.
    labels = AE_REVIEW_LABELS if parsed.kind == DeteriorationStep.AE_REVIEW else None
    for error in errors:
        path = error.get("field") or "outcome"
        input_id = outcome_input_id(path, parsed)
        if input_id == "agenda_checked":
            path = "agenda_checked"
        found.add(input_id, message_for(path, error.get("reason", ""), labels))
    return found


def outcome_values(kind: str, form: Mapping[str, str]) -> dict[str, str]:
    """What the person typed, to put back in the form after an error."""
    return {key: value for key, value in form.items() if key != "csrf_token"}


# ---------------------------------------------------------------- admission


ADMISSION_TEXT = [
    "nhs_number", "given_name", "family_name", "home_id", "room", "gp_practice_ods",
    "gp_practice_name", "representative_name", "representative_relationship",
    "representative_phone", "dementia_status",
]
ADMISSION_OPTIONAL = {"room", "representative_name", "representative_relationship",
                      "representative_phone"}


def parse_admission(form: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in ADMISSION_TEXT:
        value = _text(form, name)
        if value or name not in ADMISSION_OPTIONAL:
            data[name] = value
    for name in ("date_of_birth", "admitted_on"):
        day = _date(form, name)
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
        raw = _text(form, "nhs_number")
        problem = nhs_number_problem(raw) if raw else "Field required"
        if problem:
            found.add("nhs_number", message_for("nhs_number", problem))
    for error in errors:
        path = error.get("field") or "nhs_number"
        head = path.split(".")[0]
        input_id = f"{head}-day" if head in DATE_FIELDS else head
        found.add(input_id, message_for(head, error.get("reason", "")))
    return found


# ---------------------------------------------------------------- residence changes


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

    slug: str
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

    @property
    def labels(self) -> dict[str, str]:
        return {self.date_field: self.date_words, **{f.name: f.words for f in self.fields}}


_NOTE = ChangeField("note", "Note (optional)", "the note",
                    hint="Only what the MDT needs to know. Do not copy the discharge letter.",
                    multiline=True)

RESIDENCE_CHANGES: dict[str, ResidenceChange] = {change.slug: change for change in (
    ResidenceChange(
        slug="hospital-stay",
        actions={ResidentStatus.RESIDENT: "Record hospital admission"},
        date_field="admitted_on", date_legend="Date they went into hospital",
        date_words="the date they went into hospital",
        fields=(ChangeField("hospital_name", "Hospital (optional)", "the hospital name",
                            hint="For example, Royal Test Infirmary"), _NOTE),
        schema=HospitalStayIn, button="Record hospital admission",
    ),
    ResidenceChange(
        slug="readmission",
        actions={ResidentStatus.IN_HOSPITAL: "Record return from hospital",
                 ResidentStatus.DISCHARGED: "Record re-admission"},
        date_field="readmitted_on", date_legend="Date they came back to the home",
        date_words="the date they came back to the home",
        fields=(_NOTE,),
        schema=ReadmissionIn, button="Record return to the home",
    ),
    ResidenceChange(
        slug="discharge",
        actions={ResidentStatus.RESIDENT: "Record discharge",
                 ResidentStatus.IN_HOSPITAL: "Record discharge"},
        date_field="discharged_on", date_legend="Date they left the home",
        date_words="the date they left the home",
        fields=(ChangeField("destination", "Where they went (optional)", "where they went",
                            hint="For example, their own home, or another care home"),),
        schema=DischargeIn, button="Record discharge", confirm=True, warning_button=True,
    ),
    ResidenceChange(
        slug="death",
        actions={ResidentStatus.RESIDENT: "Record death",
                 ResidentStatus.IN_HOSPITAL: "Record death"},
        date_field="died_on", date_legend="Date of death", date_words="the date of death",
        fields=(ChangeField("place_of_death", "Place of death (optional)", "the place of death",
                            hint="For example, in the care home, or in hospital"),),
        schema=DeathIn, button="Record death", confirm=True, warning_button=True,
    ),
)}

CONFIRM_FIELD = "confirm"


def changes_for(status: ResidentStatus) -> list[tuple[ResidenceChange, str]]:
    """The changes that can be recorded for a resident in this status, with their link text."""
    return [(change, change.actions[status]) for change in RESIDENCE_CHANGES.values()
            if status in change.actions]


def parse_change(change: ResidenceChange, form: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {name: _optional(form, name) for name in
                            (f.name for f in change.fields)}
    day = _date(form, change.date_field)
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


# ---------------------------------------------------------------- the home round


def parse_decision(form: Mapping[str, str], prefix: str) -> dict[str, Any] | None:
    """One resident's row of the MDT decisions form (inputs named ``<item id>-<field>``);
    None when the row was left alone, so the MDT can decide for some residents now."""
    data: dict[str, Any] = {}
    _put(data, "response", _text(form, f"{prefix}-response"))
    for name in ("clinician_id", "referral_to", "notes", "plan_change"):
        _put(data, name, _text(form, f"{prefix}-{name}"))
    _put(data, "by_date", _date(form, f"{prefix}-by_date"))
    if form.get(f"{prefix}-end_of_life"):
        data["end_of_life"] = True
    if "response" not in data:
        return None
    response = data["response"]
    # Only the inputs of the chosen response count: a clinician picked before the MDT
    # settled on a referral must not travel with it.
    if response != "clinical_input":
        data.pop("clinician_id", None)
    if response != "referral":
        data.pop("referral_to", None)
    if response == "maintain":
        data.pop("by_date", None)
    return data


def decision_errors(
    prefix: str, who: str, data: Mapping[str, Any], errors: list[dict[str, str]],
    found: FieldErrors,
) -> None:
    """A resident's decision errors onto their inputs; the summary names the resident."""
    for error in errors:
        head = (error.get("field") or "").split(".")[0]
        reason = error.get("reason", "")
        if head in ("", "body", "__root__"):
            # The rule across the row: which part of the chosen response is missing.
            if data.get("response") == "clinical_input" and not data.get("clinician_id"):
                head = "clinician_id"
            elif data.get("response") == "referral" and not data.get("referral_to"):
                head = "referral_to"
            else:
                head, reason = "by_date", "Field required"
        input_id = f"{prefix}-{head}-day" if head in DATE_FIELDS else f"{prefix}-{head}"
        message = message_for(head, reason)
        found.add(input_id, f"{who}: {message[0].lower()}{message[1:]}")


def parse_nomination(form: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {"reason": _text(form, "reason"),
                            "by_family": _text(form, "by_family") == "yes",
                            "fall": _text(form, "fall") == "yes"}
    _put(data, "resident_id", _text(form, "resident_id"))
    return data


def simple_errors(errors: list[dict[str, str]], labels: Mapping[str, str] | None = None,
                  prefix: str = "") -> FieldErrors:
    """Errors of a small flat form, one per input."""
    found = FieldErrors()
    for error in errors:
        head = (error.get("field") or "reason").split(".")[0]
        found.add(f"{prefix}{head}", message_for(head, error.get("reason", ""), labels))
    return found


# ---------------------------------------------------------------- deterioration


@dataclass(frozen=True)
class VitalField:
    """A number typed on the observation form, in NEWS2 chart order."""

    name: str
    label: str
    suffix: str
    hint: str
    words: str  # in an error message: "Enter the pulse as a whole number"
    decimal: bool = False


VITALS: tuple[VitalField, ...] = (
    VitalField("respiration_rate", "Breathing rate", "breaths a minute",
               "Count the breaths for a full minute", "the breathing rate"),
    VitalField("spo2", "Oxygen level (SpO2)", "%", "From the finger probe", "the oxygen level"),
    VitalField("systolic_bp", "Blood pressure: the top number", "mmHg",
               "The systolic pressure, for example 128 from 128/80",
               "the top blood pressure number"),
    VitalField("pulse", "Pulse", "beats a minute", "Count for a full minute if irregular",
               "the pulse"),
    VitalField("temperature", "Temperature", "°C", "For example, 37.2", "the temperature",
               decimal=True),
)
OXYGEN_ITEMS: list[dict[str, str]] = [
    {"value": "air", "text": "Breathing room air"},
    {"value": "oxygen", "text": "On oxygen"},
]
CONSCIOUSNESS_ITEMS: list[dict[str, Any]] = [
    {"value": "alert", "text": "Alert: awake, as usual for them"},
    {"value": "new_confusion", "text": "New confusion, or more confused than usual"},
    {"value": "voice", "text": "Only responds when you speak to them"},
    {"value": "pain", "text": "Only responds to pain",
     "hint": {"text": "A medical emergency: call 999 now"}},
    {"value": "unresponsive", "text": "Does not respond at all",
     "hint": {"text": "A medical emergency: call 999 now"}},
]
CONSCIOUSNESS_WORDS = {
    "alert": "Alert", "new_confusion": "New confusion", "voice": "Voice", "pain": "Pain",
    "unresponsive": "Unresponsive",
}
OBSERVATION_LABELS: dict[str, str] = {
    **{v.name: v.words for v in VITALS},
    "on_oxygen": "whether they are on air or oxygen",
    "consciousness": "how alert they are",
    "soft_signs": "the signs noticed",
    "soft_signs_note": "what else you noticed",
    "taken_at": "the time the observations were taken",
}
SIGN_PREFIX = "sign-"
TAKEN_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]?([0-5]\d)$")


def parse_observations(
    form: Mapping[str, str], now: datetime, tz: str
) -> tuple[dict[str, Any], FieldErrors]:
    """The observation form as ``ObservationsIn`` input: a blank box is a value not taken.
    Soft signs come as one checkbox each (``sign-<value>``), so none is lost to the form's
    one-value-per-name reading."""
    data: dict[str, Any] = {}
    problems = FieldErrors()
    for vital in VITALS:
        _put(data, vital.name, _text(form, vital.name).replace(",", ".") if vital.decimal
             else _text(form, vital.name))
    oxygen = _text(form, "on_oxygen")
    if oxygen in ("air", "oxygen"):
        data["on_oxygen"] = oxygen == "oxygen"
    _put(data, "consciousness", _text(form, "consciousness"))
    signs = sorted(key.removeprefix(SIGN_PREFIX) for key, value in form.items()
                   if key.startswith(SIGN_PREFIX) and value == "yes")
    if signs:
        data["soft_signs"] = signs
    _put(data, "soft_signs_note", _text(form, "soft_signs_note"))
    data["carer_concerned"] = _text(form, "carer_concerned") == "yes"
    data["medical_emergency"] = _text(form, "medical_emergency") == "yes"
    taken = _text(form, "taken_at")
    if taken:
        found = TAKEN_TIME.match(taken)
        if found is None:
            problems.add("taken_at", "Enter the time as hours and minutes, for example 14:30")
        else:
            data["taken_at"] = _taken_at(int(found.group(1)), int(found.group(2)), now, tz)
    return data, problems


def _taken_at(hour: int, minute: int, now: datetime, tz: str) -> str:
    """A clock time today; a time later than now is last night's (recorded after midnight)."""
    local = now.astimezone(ZoneInfo(tz))
    at = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if at > local + timedelta(minutes=5):
        at -= timedelta(days=1)
    return at.isoformat()


def observation_errors(errors: list[dict[str, str]], found: FieldErrors | None = None
                       ) -> FieldErrors:
    """Errors onto the observation form's inputs, in the order of the form."""
    found = found or FieldErrors()
    order = ["medical_emergency", *(v.name for v in VITALS), "on_oxygen", "consciousness",
             "soft_signs", "soft_signs_note", "taken_at"]

    def head_of(error: dict[str, str]) -> str:
        parts = [p for p in (error.get("field") or "observations").split(".")
                 if p != "outcome" and not p.isdigit()]
        return parts[0] if parts else "observations"

    for error in sorted(errors, key=lambda e: order.index(head_of(e))
                        if head_of(e) in order else len(order)):
        head, reason = head_of(error), error.get("reason", "")
        if head in ("observations", "body"):
            found.add("respiration_rate", "Enter at least one observation, or tick a sign you "
                                          "noticed, or say you are worried")
            continue
        low = reason.lower()
        label = OBSERVATION_LABELS.get(head, head.replace("_", " "))
        vital = next((v for v in VITALS if v.name == head), None)
        if vital is not None and ("valid integer" in low or "valid number" in low):
            example = "for example 37.2" if vital.decimal else "a whole number"
            found.add(head, f"Enter {label} as {example}")
        elif vital is not None:
            # The domain's own words: what is wrong with the reading, and what to do.
            found.add(head, f"{label.removeprefix('the ').capitalize()}: {reason}")
        else:
            found.add(head, message_for(head, reason, OBSERVATION_LABELS))
    return found


OUTCOME_ITEMS: list[dict[str, str]] = [
    {"value": o.value, "text": o.label} for o in ResponseOutcome
]
DECISION_LABELS = {"decision": "your decision and plan", "outcome": "what happened",
                   "hospital_name": "the hospital", "recommendation": "your recommendation",
                   "reason": "the reason", "scale": "the SpO2 scale",
                   "observation_id": "the set of observations to use as the baseline"}


def parse_response_decision(form: Mapping[str, str]) -> dict[str, Any]:
    """The responder's decision; the hospital only travels with an admission."""
    data: dict[str, Any] = {"decision": _text(form, "decision")}
    _put(data, "outcome", _text(form, "outcome"))
    if data.get("outcome") == ResponseOutcome.ADMITTED.value:
        _put(data, "hospital_name", _text(form, "hospital_name"))
    return data


def response_decision_errors(errors: list[dict[str, str]]) -> FieldErrors:
    """The decision form's errors, in its order: what happened, the hospital, the decision."""
    found = FieldErrors()
    order = ["outcome", "hospital_name", "decision"]

    def head_of(error: dict[str, str]) -> str:
        parts = [p for p in (error.get("field") or "decision").split(".") if p != "outcome"]
        # "outcome.outcome" (the step's form) and "outcome" (the schema) are the same radios.
        return parts[0] if parts else "outcome"

    for error in sorted(errors, key=lambda e: order.index(head_of(e))
                        if head_of(e) in order else len(order)):
        head = head_of(error)
        if head == "outcome":
            found.add("outcome", "Select what happened")
        else:
            found.add(head, message_for(head, error.get("reason", ""), DECISION_LABELS))
    return found


AVOIDABLE_ITEMS: list[dict[str, str]] = [
    {"value": "yes", "text": "Yes, it could have been avoided"},
    {"value": "no", "text": "No"},
    {"value": "unsure", "text": "Not sure"},
]
AE_REVIEW_LABELS = {"summary": "what happened and why", "learning": "the learning and actions"}


def _parse_ae_review(form: Mapping[str, str]) -> OutcomeForm:
    avoidable = _text(form, "avoidable")
    return OutcomeForm({
        "summary": _text(form, "summary"),
        "avoidable": {"yes": True, "no": False}.get(avoidable),
        "learning": _optional(form, "learning"),
    })
