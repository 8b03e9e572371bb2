"""Reading a stored PCSP's first contact: a coded choice, or legacy free text that only the
clinical lead may turn into one (issue 8: free text must never steer the route)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from care.assessments.schemas import PreferredContact

FREE_TEXT_WORDS = ("First contact recorded as free text, awaiting the clinical lead's review: "
                   "'{text}'")
# A completed PCSP step shows what was written then; its review may since have been resolved.
FREE_TEXT_AS_WRITTEN = "'{text}' (written as free text: never used to route an escalation)"


def coded_contact(wishes: Mapping[str, Any] | None) -> PreferredContact | None:
    """The first contact when it is one of the codes; None when absent or free text."""
    value = (wishes or {}).get("preferred_contact")
    if not isinstance(value, str):
        return None
    try:
        return PreferredContact(value)
    except ValueError:
        return None


def free_text_contact(wishes: Mapping[str, Any] | None) -> str | None:
    """Legacy words in the first-contact field (written before it was coded), kept readable for
    people and never read by the route."""
    value = (wishes or {}).get("preferred_contact")
    if value is None or coded_contact(wishes) is not None:
        return None
    text = str(value).strip()
    return text or None


def named_clinician_id(wishes: Mapping[str, Any] | None) -> uuid.UUID | None:
    """The named clinician, when the coded first contact is one (and the id is well formed)."""
    if coded_contact(wishes) != PreferredContact.NAMED_CLINICIAN:
        return None
    try:
        return uuid.UUID(str((wishes or {}).get("named_clinician_id")))
    except ValueError:
        return None


def contact_words(wishes: Mapping[str, Any] | None, clinician_name: str | None = None,
                  *, awaiting_review: bool = True) -> str | None:
    """The first contact as people read it: the label, never the code; legacy free text quoted
    and marked as awaiting review (or, for a record of the past, as never routed); None when
    the plan names nobody."""
    code = coded_contact(wishes)
    if code == PreferredContact.NAMED_CLINICIAN:
        return f"{clinician_name} (named clinician)" if clinician_name else code.label
    if code is not None:
        return code.label
    text = free_text_contact(wishes)
    if text is None:
        return None
    return (FREE_TEXT_WORDS if awaiting_review else FREE_TEXT_AS_WRITTEN).format(text=text)
