"""What every page's form code shares: reading a posted form, and putting the domain's errors
(and pydantic's) back on the inputs that caused them, in NHS.UK's words.

The domain validates; the pages only reshape, so the pages and the API accept exactly the same
input. Each area's own fields, words and parsing live beside its pages, in ``<area>_forms.py``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from api.pages.web import CSRF_FIELD
from care.directory.access import Actor
from care.directory.models import User
from care.errors import Forbidden
from care.journeys import service as journeys
from care.journeys.models import Step

_AT_LEAST = re.compile(r"at least (\d+) characters")


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


# ---------------------------------------------------------------- reading a posted form


def form_values(form: Mapping[str, str]) -> dict[str, str]:
    """What the person typed, to put back in the form after an error (never the CSRF token)."""
    return {key: value for key, value in form.items() if key != CSRF_FIELD}


def text(form: Mapping[str, str], name: str) -> str:
    return (form.get(name) or "").strip()


def optional(form: Mapping[str, str], name: str) -> str | None:
    return text(form, name) or None


def date_input(form: Mapping[str, str], name: str) -> str | None:
    """Day / month / year fields as an ISO date string; the domain judges whether it is real."""
    day, month, year = (text(form, f"{name}[{part}]") for part in ("day", "month", "year"))
    if not (day or month or year):
        return None
    return f"{year or '0000'}-{month.zfill(2) or '00'}-{day.zfill(2) or '00'}"


def date_values(name: str, day: date) -> dict[str, str]:
    """A date as the values of its day / month / year inputs (a form's suggested date)."""
    return {f"{name}[day]": str(day.day), f"{name}[month]": str(day.month),
            f"{name}[year]": str(day.year)}


def put(data: dict[str, Any], name: str, value: Any) -> None:
    """Only what was given: a missing answer is the domain's 'required' error, not ours."""
    if value is not None and value != "":
        data[name] = value


# ---------------------------------------------------------------- errors onto inputs


def errors_of(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic's errors in the domain's shape (a dotted ``field``, empty for a rule across the
    whole form), so one mapping puts both kinds on the form."""
    return [{"field": ".".join(str(p) for p in err["loc"]), "reason": err["msg"]}
            for err in exc.errors()]


def message_for(path: str, reason: str, labels: Mapping[str, str] | None = None, *,
                chosen: Collection[str] = ()) -> str:
    """A sentence a person can act on, from a domain error (NHS.UK error message style).
    ``labels`` are the form's words for its fields; ``chosen`` names the fields picked rather
    than typed (radios, selects), whose errors say "Select ..."."""
    parts = [p for p in path.split(".") if not p.isdigit()]
    if parts and parts[0] == "outcome":
        # A step's outcome form names its fields "outcome.<field>".
        parts = parts[1:]
    key = ".".join(parts)
    label = (labels or {}).get(key) or key.replace("_", " ").replace(".", " ") or "this"
    low = reason.lower()
    if key in chosen:
        return f"Select {label}"
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


def simple_errors(errors: list[dict[str, str]], labels: Mapping[str, str] | None = None,
                  prefix: str = "", *, chosen: Collection[str] = ()) -> FieldErrors:
    """Errors of a small flat form, one per input (``prefix`` tells apart several forms of one
    page)."""
    found = FieldErrors()
    for error in errors:
        head = (error.get("field") or "reason").split(".")[0]
        found.add(f"{prefix}{head}",
                  message_for(head, error.get("reason", ""), labels, chosen=chosen))
    return found


# ---------------------------------------------------------------- what a form offers

YES_NO_ITEMS: list[dict[str, str]] = [
    {"value": "yes", "text": "Yes"},
    {"value": "no", "text": "No"},
]


def member_items(members: Iterable[User]) -> list[dict[str, str]]:
    """Staff as select options, with their profession: "Dr Ann Lee (gp)"."""
    return [{"value": str(u.id),
             "text": f"{u.display_name} ({u.profession.value.replace('_', ' ')})"}
            for u in members]


def may_perform(actor: Actor, step: Step) -> bool:
    """Whether to offer this person the step's form: the service's own rule (role, and the
    profession the step names), which it checks again when the form comes back."""
    try:
        journeys.require_performer(actor, step, "do this step")
    except Forbidden:
        return False
    return True
