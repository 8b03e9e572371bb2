"""Observation sets, the resident's SpO2 scale and NEWS2 baseline, deteriorations (one
escalation each, with its route, SBARD and outcome) and each PCN's escalation ladder."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from care.db import Base, new_id
from care.deterioration.news2 import Consciousness, RiskBand, SpO2Scale
from care.deterioration.routes import Urgency
from care.types import enum_column


class ObservationSet(Base):
    """One set of observations as taken, with the NEWS2 it scored at the time.

    Missing values stay NULL and are listed in ``missing``: never stored or scored as normal.
    """

    __tablename__ = "observation_set"
    __table_args__ = (Index("ix_observation_set_resident_taken", "resident_id", "taken_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"))
    home_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("care_home.id"))
    taken_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"))
    respiration_rate: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    spo2: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    on_oxygen: Mapped[bool | None] = mapped_column(nullable=True)
    systolic_bp: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    pulse: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    consciousness: Mapped[Consciousness | None] = mapped_column(
        enum_column(Consciousness), nullable=True
    )
    temperature: Mapped[Decimal | None] = mapped_column(Numeric(3, 1), nullable=True)
    spo2_scale: Mapped[SpO2Scale] = mapped_column(enum_column(SpO2Scale))
    # None when nothing was scored (soft signs only): an empty set is never "NEWS2 0".
    news2_total: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    news2_complete: Mapped[bool]
    single_parameter_3: Mapped[bool]
    risk: Mapped[RiskBand | None] = mapped_column(enum_column(RiskBand), nullable=True)
    sub_scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    missing: Mapped[list[Any]] = mapped_column(default=list)
    soft_signs: Mapped[list[Any]] = mapped_column(default=list)
    soft_signs_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    carer_concerned: Mapped[bool] = mapped_column(default=False)
    medical_emergency: Mapped[bool] = mapped_column(default=False)
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency))
    deterioration_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("deterioration.id", ondelete="SET NULL", use_alter=True), nullable=True,
        index=True,
    )
    # The repeat-observations step these observations answered, if any.
    step_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("step.id"), nullable=True)


class Spo2ScaleDecision(Base):
    """A clinician's decision of the resident's SpO2 scale (history; the latest applies)."""

    __tablename__ = "spo2_scale_decision"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    resident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("resident.id", ondelete="CASCADE"), index=True
    )
    scale: Mapped[SpO2Scale] = mapped_column(enum_column(SpO2Scale))
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime]


class News2Baseline(Base):
    """The resident's usual NEWS2 (history; the latest applies). Set from the first full set
    after admission; re-baselined by a clinician."""

    __tablename__ = "news2_baseline"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    resident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("resident.id", ondelete="CASCADE"), index=True
    )
    observation_set_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("observation_set.id"))
    total: Mapped[int] = mapped_column(SmallInteger)
    reason: Mapped[str] = mapped_column(Text)
    set_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"))
    set_at: Mapped[datetime]


class DeteriorationStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ResponseOutcome(StrEnum):
    """What happened, each further than the last (DOMAIN.md §6)."""

    ADVICE_ONLY = "advice_only"
    SEEN_IN_HOME = "seen_in_home"
    AMBULANCE_CALL_OUT = "ambulance_call_out"
    CONVEYED_TO_AE = "conveyed_to_ae"
    ADMITTED = "admitted_to_hospital"

    @property
    def label(self) -> str:
        return _OUTCOME_LABELS[self]

    @property
    def attended_ae(self) -> bool:
        return self in (ResponseOutcome.CONVEYED_TO_AE, ResponseOutcome.ADMITTED)


_OUTCOME_LABELS = {
    ResponseOutcome.ADVICE_ONLY: "Advice only",
    ResponseOutcome.SEEN_IN_HOME: "Seen in the home",
    ResponseOutcome.AMBULANCE_CALL_OUT: "Ambulance called out (not conveyed)",
    ResponseOutcome.CONVEYED_TO_AE: "Conveyed to A&E (not admitted)",
    ResponseOutcome.ADMITTED: "Admitted to hospital",
}


class Deterioration(Base):
    """One escalation for a resident: what triggered it, its route and ladder, the SBARD, the
    responder's decision and the outcome. At most one is open per resident at a time."""

    __tablename__ = "deterioration"
    __table_args__ = (
        Index("uq_deterioration_open_per_resident", "resident_id", unique=True,
              postgresql_where=text("status = 'open'")),
        Index("ix_deterioration_home_status", "home_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"))
    home_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("care_home.id"))
    journey_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("journey.id", ondelete="CASCADE"), nullable=True
    )
    status: Mapped[DeteriorationStatus] = mapped_column(enum_column(DeteriorationStatus))
    opened_at: Mapped[datetime]
    opened_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"))
    trigger_observation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("observation_set.id", use_alter=True)
    )
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency))
    ladder: Mapped[list[Any]]  # Responder values, first responder first
    level: Mapped[int] = mapped_column(SmallInteger, default=0)  # index into ladder
    reasons: Mapped[list[Any]]
    wishes: Mapped[dict[str, Any]]  # the escalation wishes the route followed, as they were
    # The route's clock (2 h for urgent community response); None for routine monitoring.
    respond_by: Mapped[datetime | None] = mapped_column(nullable=True)
    acknowledge_within_minutes: Mapped[int] = mapped_column(Integer)
    repeat_obs_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    urgent_step_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("step.id", use_alter=True), nullable=True
    )
    sbard: Mapped[dict[str, Any]]
    sbard_completed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id"), nullable=True
    )
    sbard_completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    outcome: Mapped[ResponseOutcome | None] = mapped_column(
        enum_column(ResponseOutcome), nullable=True
    )
    decision: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id"), nullable=True
    )
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class PcnEscalationPolicy(Base):
    """A PCN's own escalation ladder in force: overrides of ``routes.Policy``'s defaults.
    Every change is also kept as an ``EscalationPolicyVersion``."""

    __tablename__ = "pcn_escalation_policy"

    pcn_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pcn.id", ondelete="CASCADE"),
                                              primary_key=True)
    values: Mapped[dict[str, Any]]
    updated_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)


class EscalationPolicyVersion(Base):
    """Each version of a PCN's ladder, kept for ever: what it was, who set it, when and why
    (clinical policy is changed by clinical leads only, with a reason; hazard H-01)."""

    __tablename__ = "escalation_policy_version"
    __table_args__ = (UniqueConstraint("pcn_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    pcn_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pcn.id", ondelete="CASCADE"),
                                              index=True)
    version: Mapped[int] = mapped_column(Integer)
    values: Mapped[dict[str, Any]]  # the overrides, as stored in PcnEscalationPolicy
    reason: Mapped[str] = mapped_column(Text)
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"),
                                                            nullable=True)
    changed_at: Mapped[datetime]
