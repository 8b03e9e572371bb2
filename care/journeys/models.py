"""Journey, step, journey event, outbox, escalation, notification and idempotency tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    and_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from care.db import Base, new_id
from care.types import enum_column


class JourneyStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class StepStatus(StrEnum):
    READY = "ready"
    CLAIMED = "claimed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"
    # Never opened: a pathway migration found the journey already past this step.
    SKIPPED = "skipped"


OPEN_STATUSES = (StepStatus.READY, StepStatus.CLAIMED)


class Journey(Base):
    __tablename__ = "journey"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    resident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("resident.id", ondelete="CASCADE"), unique=True
    )
    home_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("care_home.id"), index=True)
    # A stage of its pathway version (care/pathways/*.toml), or a state the residents domain
    # sets while the resident is away (in hospital, discharged, died).
    stage: Mapped[str] = mapped_column(String(40))
    status: Mapped[JourneyStatus] = mapped_column(enum_column(JourneyStatus))
    current_episode_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("residence_episode.id"), nullable=True
    )
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_advanced_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_flow_run_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    # The pathway definition (care/pathways/) this journey follows; changed only by a migration.
    pathway: Mapped[str] = mapped_column(String(40), server_default="ehch")
    pathway_version: Mapped[int] = mapped_column(Integer, server_default="1")
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Step(Base):
    """One piece of human work (never called a 'task': that word is Prefect's)."""

    __tablename__ = "step"
    __table_args__ = (
        # Each step has a natural key (e.g. "<episode>:pcsp", "round:<id>:prepare"): opening it
        # twice is a no-op, so advancing a journey or a round again cannot duplicate work.
        UniqueConstraint("dedupe_key"),
        Index("ix_step_open_due", "due_at", postgresql_where=text("status IN ('ready','claimed')")),
        Index("ix_step_home_status", "home_id", "status"),
        Index("ix_step_context", "context_kind", "context_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    dedupe_key: Mapped[str] = mapped_column(String(160))
    # Resident steps belong to a journey; home-level steps (preparing a round) do not.
    journey_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("journey.id", ondelete="CASCADE"), index=True, nullable=True
    )
    resident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("resident.id", ondelete="CASCADE"), nullable=True, index=True
    )
    home_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("care_home.id"))
    episode_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("residence_episode.id"), nullable=True
    )
    # The domain record the step is part of, named by its domain: a home round, an escalation.
    # The engine never reads it; the domain that opened the step finds its steps by it.
    context_kind: Mapped[str | None] = mapped_column(String(40), nullable=True)
    context_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    # A kind a domain declared (care/journeys/registry.py); the engine refuses any other.
    kind: Mapped[str] = mapped_column(String(40))
    # Only members of this profession may take it (a referral to the dietitian, an SMR).
    candidate_profession: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # What the step asks, in the words of whoever opened it (e.g. the MDT's referral reason).
    instructions: Mapped[str | None] = mapped_column(Text, nullable=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[StepStatus] = mapped_column(enum_column(StepStatus))
    # Lower is more urgent (1 = urgent, 3 = routine).
    priority: Mapped[int] = mapped_column(SmallInteger, default=3)
    candidate_group: Mapped[str] = mapped_column(String(80))
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id"), nullable=True, index=True
    )
    due_at: Mapped[datetime]
    deadline_rule: Mapped[str] = mapped_column(String(60))
    deadline_base: Mapped[datetime]
    opened_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    completed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id"), nullable=True
    )
    outcome: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    cancelled_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    overdue_since: Mapped[datetime | None] = mapped_column(nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @classmethod
    def about(cls, kind: str, record_id: uuid.UUID) -> ColumnElement[bool]:
        """The steps a domain opened as part of one of its records."""
        return and_(cls.context_kind == kind, cls.context_id == record_id)

    def context_of(self, kind: str) -> uuid.UUID | None:
        """The id of the domain record of ``kind`` this step is part of, if it is."""
        return self.context_id if self.context_kind == kind else None


class JourneyEvent(Base):
    """Append-only history of a journey, in care terms."""

    __tablename__ = "journey_event"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    journey_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("journey.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(60))
    summary: Mapped[str] = mapped_column(Text)
    step_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("step.id"), nullable=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class OutboxMessage(Base):
    """'This journey should advance': written in the same transaction as the change (invariant 4).

    Runners claim messages with a lease (``SKIP LOCKED``), so several can drain at once and a
    crashed runner's messages are picked up again when its lease runs out.
    """

    __tablename__ = "journey_outbox"
    __table_args__ = (
        Index(
            "ix_journey_outbox_pending",
            "available_at",
            postgresql_where=text("processed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    journey_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("journey.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime]
    available_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    leased_until: Mapped[datetime | None] = mapped_column(nullable=True)
    processed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    flow_run_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)


class StepEscalation(Base):
    """One row per breach level of a step: the unique key makes escalation exactly-once."""

    __tablename__ = "step_escalation"
    __table_args__ = (UniqueConstraint("step_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    step_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("step.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    step_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("step.id"), nullable=True)
    resident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("resident.id", ondelete="CASCADE"), nullable=True
    )
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None] = mapped_column(nullable=True)


class IdempotencyRecord(Base):
    """The first result of a call made with an ``Idempotency-Key``, replayed on repeats."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(SmallInteger)
    response: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class PathwayMigration(Base):
    """One explicit move of running journeys to another pathway version: who, when, why, and
    what happened to each journey (the per-journey detail is also on each timeline)."""

    __tablename__ = "pathway_migration"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    pathway: Mapped[str] = mapped_column(String(40))
    to_version: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    # What the admin limited it to: a home, a list of journeys, or every journey.
    scope: Mapped[dict[str, Any]]
    actor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[datetime]
    results: Mapped[dict[str, Any]] = mapped_column(default=dict)
