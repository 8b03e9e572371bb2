"""The home round's forms <-> domain inputs: the MDT's decisions (a row per resident), adding
to and taking off the agenda, and care-home staff's nominations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.pages.formkit import FieldErrors, date_input, message_for, put, simple_errors, text

RESPONSE_ITEMS = [
    {"value": "clinical_input", "text": "Clinical input"},
    {"value": "referral", "text": "Refer to a co-opted member"},
    {"value": "maintain", "text": "Maintain the current plan"},
]
RESPONSE_WORDS = {i["value"]: i["text"] for i in RESPONSE_ITEMS}

# Words for the error messages, by the domain's field name.
DECISION_LABELS = {
    "response": "the MDT's response",
    "clinician_id": "the clinician who will see them",
    "by_date": "the date to see them by",
    "referral_to": "who to refer to",
    "plan_change": "the agreed change to the care plan",
    "notes": "the notes",
}
NOMINATION_LABELS = {"reason": "why the MDT should see them", "resident_id": "the resident"}
CHANGE_LABELS = {"reason": "the reason", "resident_id": "the resident to add"}
# Inputs chosen rather than typed: their errors say "Select ...".
CHOSEN = frozenset({"response", "clinician_id", "referral_to", "resident_id"})
DECISION_DATES = {"by_date"}


def parse_decision(form: Mapping[str, str], prefix: str) -> dict[str, Any] | None:
    """One resident's row of the MDT decisions form (inputs named ``<item id>-<field>``);
    None when the row was left alone, so the MDT can decide for some residents now."""
    data: dict[str, Any] = {}
    put(data, "response", text(form, f"{prefix}-response"))
    for name in ("clinician_id", "referral_to", "notes", "plan_change"):
        put(data, name, text(form, f"{prefix}-{name}"))
    put(data, "by_date", date_input(form, f"{prefix}-by_date"))
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
        input_id = f"{prefix}-{head}-day" if head in DECISION_DATES else f"{prefix}-{head}"
        message = message_for(head, reason, DECISION_LABELS, chosen=CHOSEN)
        found.add(input_id, f"{who}: {message[0].lower()}{message[1:]}")


def parse_nomination(form: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {"reason": text(form, "reason"),
                            "by_family": text(form, "by_family") == "yes",
                            "fall": text(form, "fall") == "yes"}
    put(data, "resident_id", text(form, "resident_id"))
    return data


def nomination_errors(errors: list[dict[str, str]]) -> FieldErrors:
    return simple_errors(errors, NOMINATION_LABELS, chosen=CHOSEN)


def agenda_add_errors(errors: list[dict[str, str]]) -> FieldErrors:
    """The 'add a resident' form's errors (its inputs are prefixed: the agenda has others)."""
    return simple_errors(errors, CHANGE_LABELS, "add-", chosen=CHOSEN)
