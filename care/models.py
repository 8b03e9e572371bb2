"""Every table, imported in one place so Alembic and tests see the whole metadata."""

from care.assessments.models import CarePlan, FirstContactReview, HolisticAssessment
from care.audit.models import AuditEvent
from care.db import Base
from care.delivery.models import NotificationDelivery
from care.deterioration.models import (
    Deterioration,
    EscalationPolicyVersion,
    News2Baseline,
    ObservationSet,
    PcnEscalationPolicy,
    Spo2ScaleDecision,
)
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
from care.rounds.models import (
    AgendaDecision,
    AgendaItem,
    HomeRound,
    Nomination,
    ResidentEvent,
    RoundAttendance,
)

__all__ = [
    "AgendaDecision",
    "AgendaItem",
    "AuditEvent",
    "Base",
    "CareHome",
    "CarePlan",
    "Deterioration",
    "Episode",
    "EscalationPolicyVersion",
    "FirstContactReview",
    "HolisticAssessment",
    "HomeMembership",
    "HomeRound",
    "IdempotencyRecord",
    "Journey",
    "JourneyEvent",
    "LoginAttempt",
    "News2Baseline",
    "Nomination",
    "Notification",
    "NotificationDelivery",
    "ObservationSet",
    "OutboxMessage",
    "Pcn",
    "PcnEscalationPolicy",
    "Resident",
    "ResidentEvent",
    "RoundAttendance",
    "Spo2ScaleDecision",
    "Step",
    "StepEscalation",
    "User",
]
