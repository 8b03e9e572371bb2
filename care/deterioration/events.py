"""What the deterioration domain reports to others (care/journeys/events.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from care.journeys.events import DomainEvent


@dataclass(frozen=True)
class UrgentResponseDecided(DomainEvent):
    """The responder decided what the deterioration needed; ``admitted`` when that was a
    hospital admission, which the residents domain records as a hospital stay."""

    resident_id: uuid.UUID
    deterioration_id: uuid.UUID
    outcome: str
    admitted: bool
    admitted_on: date
    hospital_name: str | None
