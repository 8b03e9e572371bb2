"""The step types the engine knows, as the domains declare them (care/composition.py registers).

The engine itself knows no clinical step: a kind is a string a domain declared, with the form
its outcome must fit, who may do it, its priority, how its deadline is set (in words, for the
pathway page) and what completing it writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from care.directory.access import Actor
from care.journeys.models import Step
from care.settings import Settings
from care.types import Role

# What completing a step writes besides the step itself, in the completing transaction.
OnComplete = Callable[[Session, Step, dict[str, Any], Actor, datetime, Settings], None]


@dataclass(frozen=True)
class StepType:
    kind: str
    title: str
    domain: str
    outcome_model: type[BaseModel]
    performer_roles: frozenset[Role]
    # Lower is more urgent (1 = urgent, 3 = routine).
    priority: int
    # How the deadline is set, in the words the pathway page shows.
    deadline: str
    on_complete: OnComplete | None = None

    def outcome_schema(self) -> dict[str, Any]:
        return self.outcome_model.model_json_schema()


class UnknownStepKind(LookupError):
    pass


_TYPES: dict[str, StepType] = {}


def register(*types: StepType) -> None:
    """Declare step types; registering the same declaration again is a no-op."""
    for declared in types:
        known = _TYPES.get(declared.kind)
        if known is not None and known != declared:
            raise ValueError(f"step kind {declared.kind!r} is declared twice "
                             f"({known.domain} and {declared.domain})")
        _TYPES[declared.kind] = declared


def step_type(kind: str) -> StepType:
    try:
        return _TYPES[kind]
    except KeyError:
        raise UnknownStepKind(f"no step type {kind!r} is registered") from None


def step_types() -> tuple[StepType, ...]:
    return tuple(_TYPES.values())


def is_registered(kind: str) -> bool:
    return kind in _TYPES
