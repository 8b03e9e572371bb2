"""What the residents domain reports to others (care/journeys/events.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from care.journeys.events import DomainEvent


@dataclass(frozen=True)
class ResidentLeftHome(DomainEvent):
    """The resident left the care home: into hospital, discharged, or died."""

    resident_id: uuid.UUID
    reason: str
    to_hospital: bool
