"""Every table, imported in one place so Alembic and tests see the whole metadata."""

from care.assessments.models import CarePlan, HolisticAssessment
from care.audit.models import AuditEvent
from care.db import Base
from care.directory.models import CareHome, HomeMembership, LoginAttempt, Pcn, User
from care.journeys.models import (
    IdempotencyRecord,
    Journey,
    JourneyEvent,
    Notification,
    OutboxMessage,
    Step,
    StepEscalation,
)
from care.residents.models import Episode, Resident

__all__ = [
    "AuditEvent",
    "Base",
    "CareHome",
    "CarePlan",
    "Episode",
    "HolisticAssessment",
    "HomeMembership",
    "IdempotencyRecord",
    "Journey",
    "JourneyEvent",
    "LoginAttempt",
    "Notification",
    "OutboxMessage",
    "Pcn",
    "Resident",
    "Step",
    "StepEscalation",
    "User",
]
