"""The resident's coded first contact on a form (issue 8): the choice in the PCSP step's form,
and the clinical lead's resolution of a first contact written as free text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.pages.formkit import FieldErrors, member_items, simple_errors
from care.assessments.schemas import PreferredContact
from care.assessments.service import CLINICIAN_ROLES
from care.directory.models import User

# "No preference" is the route's default, stored as no code; it has its own value so that no
# radio is chosen for the person in advance.
NO_FIRST_CONTACT = "none"
FIRST_CONTACT_ITEMS: list[dict[str, Any]] = [
    *({"value": c.value, "text": c.label} for c in PreferredContact),
    {"divider": "or"},
    {"value": NO_FIRST_CONTACT, "text": "No preference: the usual route",
     "hint": {"text": "The GP, or the palliative care team at the end of life"}},
]
RESOLUTION_LABELS = {
    "preferred_contact": "who to contact first",
    "named_clinician_id": "a clinician who serves the home as the named first contact",
    "reason": "why you chose this",
}
RESOLUTION_CHOSEN = frozenset({"preferred_contact", "named_clinician_id"})


def clinician_items(members: list[User]) -> list[dict[str, str]]:
    """The home's clinicians, for naming one as a resident's first contact."""
    return member_items(u for u in members if u.role in CLINICIAN_ROLES)


def first_contact(form: Mapping[str, str], prefix: str = "") -> str | None:
    """The chosen first contact's code; None for "No preference" (or no choice)."""
    contact = (form.get(f"{prefix}preferred_contact") or "").strip() or None
    return None if contact == NO_FIRST_CONTACT else contact


def parse_resolution(form: Mapping[str, str], prefix: str) -> dict[str, Any]:
    """One review's form as ``FirstContactResolutionIn`` input; "No preference" is null."""
    data: dict[str, Any] = {"reason": (form.get(f"{prefix}reason") or "").strip()}
    contact = (form.get(f"{prefix}preferred_contact") or "").strip()
    if contact:
        data["preferred_contact"] = first_contact(form, prefix)
    clinician = (form.get(f"{prefix}named_clinician_id") or "").strip()
    if contact == PreferredContact.NAMED_CLINICIAN.value and clinician:
        data["named_clinician_id"] = clinician
    return data


def resolution_errors(errors: list[dict[str, str]], prefix: str) -> FieldErrors:
    """One review's errors onto its own inputs (the list shows a form per review)."""
    return simple_errors(errors, RESOLUTION_LABELS, prefix, chosen=RESOLUTION_CHOSEN)
