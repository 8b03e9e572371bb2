"""The form that moves running journeys to another pathway version <-> the domain's inputs:
the version, which journeys (all in my homes, one home, or a list), and why.

The inputs are checked by the API's own ``MigrationIn``, so the pages accept exactly what
``POST /api/v1/pathway/migrations`` accepts; the words are the pages' own.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from api.journey_schemas import MigrationIn
from api.pages.formkit import FieldErrors, errors_of, text
from care.directory.access import Actor
from care.errors import InvalidInput, NotFound
from care.journeys.migration import Scope
from care.journeys.service import RERUN_REASON_MAX

ALL, HOME, LISTED = "all", "home", "journeys"
# The inputs in the order the page shows them (their ids are their names).
FIELDS = ("version", "scope", "home_id", "journey_ids", "reason")
_SEPARATORS = re.compile(r"[\s,;]+")
_VERSION = re.compile(r"[0-9]{1,5}")
VERSION_NOT_INSTALLED = "Select a version that is installed"


@dataclass(frozen=True)
class MigrationChoice:
    """A valid form: what to dry-run or apply."""

    version: int
    scope: Scope
    reason: str
    # Which of the three ways the journeys were chosen, to show the form as it was sent.
    kind: str

    def carried(self) -> dict[str, str]:
        """The same choice as the preview's hidden inputs, for the apply form."""
        values = {"version": str(self.version), "scope": self.kind, "reason": self.reason}
        if self.scope.home_id is not None:
            values["home_id"] = str(self.scope.home_id)
        if self.scope.journey_ids:
            values["journey_ids"] = " ".join(str(j) for j in self.scope.journey_ids)
        return values


def journey_ids(raw: str) -> tuple[list[uuid.UUID], str | None]:
    """Ids one a line or separated by commas; the first that is not an id is named."""
    found: list[uuid.UUID] = []
    for part in _SEPARATORS.split(raw.strip()):
        if not part:
            continue
        try:
            journey_id = uuid.UUID(part)
        except ValueError:
            shown = part if len(part) <= 40 else part[:40] + "…"
            return [], f"“{shown}” is not a journey id: enter each id as it is written"
        if journey_id not in found:
            found.append(journey_id)
    return found, None


def read(form: Mapping[str, str], actor: Actor, installed: Collection[int],
         ) -> tuple[MigrationChoice | None, FieldErrors]:
    """The choice the form makes, or the errors to put on it (in the form's order). The
    domain checks the version and the journeys again; checking here too shows every error
    at once."""
    errors = FieldErrors()
    kind, reason = text(form, "scope"), text(form, "reason")
    version = int(text(form, "version")) if _VERSION.fullmatch(text(form, "version")) else None
    if version is None:
        errors.add("version", "Select the version to move journeys to")
    elif version not in installed:
        errors.add("version", VERSION_NOT_INSTALLED)
    home_id: uuid.UUID | None = None
    listed: list[uuid.UUID] = []
    if kind not in (ALL, HOME, LISTED):
        errors.add("scope", "Select which journeys to move")
    elif kind == HOME:
        try:
            home_id = uuid.UUID(text(form, "home_id"))
        except ValueError:
            errors.add("home_id", "Select the care home")
        else:
            if not actor.serves(home_id):
                errors.add("home_id", "Select a care home you serve")
    elif kind == LISTED:
        listed, problem = journey_ids(form.get("journey_ids") or "")
        if problem:
            errors.add("journey_ids", problem)
        elif not listed:
            errors.add("journey_ids", "Enter the ids of the journeys to move")
    try:
        body = MigrationIn(version=version or 1, reason=reason, home_id=home_id,
                           journey_ids=listed)
    except ValidationError as exc:
        for error in errors_of(exc):
            name = error["field"].split(".")[0]
            errors.add(name, _message(name, error["reason"], reason))
        body = None
    if errors or body is None:
        return None, _ordered(errors)
    return MigrationChoice(body.version, Scope(home_id=body.home_id,
                                               journey_ids=body.journey_ids),
                           body.reason, kind), errors


def _message(name: str, problem: str, reason: str) -> str:
    low = problem.lower()
    if name == "reason":
        if not reason:
            return "Enter why you are moving these journeys"
        if "at most" in low:
            return (f"Why you are moving these journeys must be {RERUN_REASON_MAX} characters "
                    "or fewer")
        return "Enter why you are moving these journeys (at least 5 characters)"
    if name == "journey_ids":
        return "Enter at most 5,000 journey ids: move a home's journeys by choosing the home"
    return "Select the version to move journeys to"


def _ordered(errors: FieldErrors) -> FieldErrors:
    """The summary lists the errors in the order the inputs come on the page."""
    ordered = FieldErrors()
    for name in FIELDS:
        if name in errors.by_id:
            ordered.add(name, errors.by_id[name])
    return ordered


def domain_errors(exc: InvalidInput | NotFound) -> FieldErrors:
    """What the domain refused (an unknown version, journeys not in homes served, a home not
    served, a reason too short), on the input at fault."""
    found = FieldErrors()
    if isinstance(exc, NotFound):
        found.add("home_id", "Select a care home you serve")
    elif exc.field == "version":
        found.add("version", VERSION_NOT_INSTALLED)
    elif exc.field == "journey_ids":
        found.add("journey_ids", exc.detail[:1].upper() + exc.detail[1:]
                  + ": check the ids, or move a home's journeys by choosing the home")
    elif exc.field == "reason":
        found.add("reason", "Enter why you are moving these journeys (at least 5 characters)")
    else:
        found.add("scope", exc.detail[:1].upper() + exc.detail[1:])
    return found


def scope_words(scope: Mapping[str, Any] | None, home_names: Mapping[uuid.UUID, str],
                who: str) -> str:
    """Which journeys a migration covered, in words: "Every journey in Home A"."""
    scope = scope or {}
    home_id = scope.get("home_id")
    home = (home_names.get(uuid.UUID(home_id), "a home you do not serve") if home_id
            else None)
    listed = len(scope.get("journey_ids") or [])
    if listed:
        words = f"{listed} journey{'s' if listed != 1 else ''} listed"
        return f"{words}, in {home}" if home else words
    if home:
        return f"Every journey in {home}"
    return f"Every journey in the homes {who} serve{'' if who == 'you' else 's'}"
