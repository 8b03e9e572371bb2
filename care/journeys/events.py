"""Domain events: how one domain reacts to another without importing it.

A domain publishes a fact ("the resident left the home", "the responder decided: admitted");
the handlers care/composition.py subscribed run at once, in the publisher's session, so the
human action and every reaction to it commit or roll back together (one action, one
transaction). Handlers must not commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from care.directory.access import Actor


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened, in the past tense; subclasses add what happened to whom."""

    at: datetime
    actor: Actor | None


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Session, Any], None]

_HANDLERS: defaultdict[type[DomainEvent], list[Handler]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Callable[[Session, E], None]) -> None:
    """Run ``handler`` whenever ``event_type`` is published; subscribing twice is a no-op."""
    if handler not in _HANDLERS[event_type]:
        _HANDLERS[event_type].append(handler)


def publish(session: Session, event: DomainEvent) -> None:
    """Hand the event to its handlers, in subscription order, in the caller's transaction."""
    for handler in _HANDLERS.get(type(event), ()):
        handler(session, event)


def handlers_of(event_type: type[DomainEvent]) -> tuple[Handler, ...]:
    return tuple(_HANDLERS.get(event_type, ()))
