"""A step's outcome form <-> the domain's outcome: the holistic assessment, the PCSP, the round's
outcome forms and the A&E review, flat form fields into the outcome dictionary, and domain field
errors (``outcome.goals.0.description``) back onto the inputs that caused them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from api.pages.first_contact_forms import first_contact
from api.pages.formkit import (
    FieldErrors,
    date_input,
    member_items,
    message_for,
    optional,
    put,
    text,
)
from care.assessments.kinds import AssessmentStep
from care.assessments.schemas import PreferredContact
from care.deterioration.kinds import DeteriorationStep
from care.deterioration.models import ResponseOutcome
from care.directory.models import User
from care.journeys.models import Step
from care.journeys.registry import step_type
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
HOSPITAL_WISH_WORDS = {item["value"]: item["text"] for item in HOSPITAL_WISHES}

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
OUTCOME_WORDS: dict[str, str] = {
    **{item["value"]: item["text"]
       for item in (*CONTACT_ITEMS, *REGISTRATION_ITEMS, *DEMENTIA_OFFER_ITEMS)},
    **{outcome.value: outcome.label for outcome in ResponseOutcome},
}
AVOIDABLE_ITEMS: list[dict[str, str]] = [
    {"value": "yes", "text": "Yes, it could have been avoided"},
    {"value": "no", "text": "No"},
    {"value": "unsure", "text": "Not sure"},
]

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
}
# The A&E review's "summary" is what happened, not the medication review's summary.
AE_REVIEW_LABELS = {**LABELS, "summary": "what happened and why",
                    "learning": "the learning and actions"}
# Inputs chosen rather than typed: their errors say "Select ...".
CHOSEN = frozenset({"contact", "changes_made", "choice", "offer",
                    "escalation_wishes.hospital_admission",
                    "escalation_wishes.preferred_contact",
                    "escalation_wishes.named_clinician_id"})
# Entered as a day / month / year date input.
DATE_FIELDS = {"review_date", "review_on", "next_review_on"}


def assignee_items(step: Step, members: list[User]) -> list[dict[str, str]]:
    """The home's MDT members who can do this kind of step (of its profession, when it names
    one), bar the person holding it."""
    roles = step_type(step.kind).performer_roles
    wanted = step.candidate_profession
    return member_items(u for u in members if u.role in roles and u.id != step.assignee_id
                        and (not wanted or u.profession.value == wanted))


@dataclass
class OutcomeForm:
    """An outcome parsed from the page, with where each list item came from on the form."""

    outcome: dict[str, Any]
    goal_rows: list[int] = field(default_factory=list)
    action_rows: list[int] = field(default_factory=list)
    deprescribed_rows: list[int] = field(default_factory=list)
    kind: str | None = None


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


def _parse_round_outcome(kind: str, form: Mapping[str, str]) -> OutcomeForm:
    parsed = OutcomeForm({})
    out = parsed.outcome
    if kind == RoundStep.PREPARE_ROUND:
        out["agenda_checked"] = text(form, "agenda_checked") == "yes"
        out["notes"] = optional(form, "notes")
    elif kind in REVIEW_KINDS:
        put(out, "contact", text(form, "contact"))
        out["outcome"] = text(form, "outcome")
        put(out, "review_on", date_input(form, "review_on"))
    elif kind == RoundStep.MEDICATION_REVIEW:
        put(out, "medicines_count", text(form, "medicines_count"))
        put(out, "changes_made", text(form, "changes_made"))
        stopped = []
        for row in range(DEPRESCRIBED_ROWS):
            medicine = text(form, f"deprescribed-{row}")
            if medicine:
                stopped.append(medicine)
                parsed.deprescribed_rows.append(row)
        out["deprescribed"] = stopped
        out["referred_to_gp"] = text(form, "referred_to_gp") == "yes"
        out["summary"] = text(form, "summary")
        put(out, "next_review_on", date_input(form, "next_review_on"))
    elif kind == RoundStep.REGISTRATION_CONVERSATION:
        put(out, "choice", text(form, "choice"))
        out["notes"] = optional(form, "notes")
    elif kind == RoundStep.DEMENTIA_ASSESSMENT_OFFER:
        put(out, "offer", text(form, "offer"))
        out["referred_to"] = optional(form, "referred_to")
        out["notes"] = optional(form, "notes")
    return parsed


def _parse_assessment(form: Mapping[str, str]) -> OutcomeForm:
    outcome: dict[str, Any] = {name: text(form, name) for name, _, _ in ASSESSMENT_DOMAINS}
    outcome["contributors"] = [
        line.strip() for line in text(form, "contributors").splitlines() if line.strip()
    ]
    outcome["existing_assessments_used"] = optional(form, "existing_assessments_used")
    return OutcomeForm(outcome)


def _parse_pcsp(form: Mapping[str, str]) -> OutcomeForm:
    parsed = OutcomeForm({})
    goals: list[dict[str, Any]] = []
    for row in range(GOAL_ROWS):
        description = text(form, f"goals-{row}-description")
        if description:
            goals.append({"description": description})
            parsed.goal_rows.append(row)
    actions: list[dict[str, Any]] = []
    for row in range(ACTION_ROWS):
        item = {
            "description": text(form, f"actions-{row}-description"),
            "owner": text(form, f"actions-{row}-owner"),
            "due": optional(form, f"actions-{row}-due"),
        }
        if item["description"] or item["owner"] or item["due"]:
            actions.append(item)
            parsed.action_rows.append(row)
    contact = first_contact(form)
    wishes: dict[str, Any] = {
        "preferred_contact": contact,
        "notes": optional(form, "escalation_notes"),
    }
    # Only with that choice: a clinician picked before the choice changed must not travel.
    if contact == PreferredContact.NAMED_CLINICIAN.value:
        put(wishes, "named_clinician_id", text(form, "named_clinician_id"))
    if text(form, "hospital_admission"):
        wishes["hospital_admission"] = text(form, "hospital_admission")
    parsed.outcome = {
        "goals": goals,
        "actions": actions,
        "escalation_wishes": wishes,
        "agreed_with": text(form, "agreed_with"),
    }
    review = date_input(form, "review_date")
    if review is not None:
        parsed.outcome["review_date"] = review
    return parsed


def _parse_ae_review(form: Mapping[str, str]) -> OutcomeForm:
    avoidable = text(form, "avoidable")
    return OutcomeForm({
        "summary": text(form, "summary"),
        "avoidable": {"yes": True, "no": False}.get(avoidable),
        "learning": optional(form, "learning"),
    })


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
    labels = AE_REVIEW_LABELS if parsed.kind == DeteriorationStep.AE_REVIEW else LABELS
    for error in errors:
        path = error.get("field") or "outcome"
        input_id = outcome_input_id(path, parsed)
        if input_id == "agenda_checked":
            # A checkbox: whatever the rule said, the person has to tick it.
            found.add(input_id, f"Confirm {LABELS['agenda_checked']}")
            continue
        found.add(input_id, message_for(path, error.get("reason", ""), labels, chosen=CHOSEN))
    return found
