"""Holistic assessment and personalised care and support plan (PCSP) tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from care.assessments.schemas import PreferredContact
from care.db import Base, new_id
from care.types import enum_column


class HolisticAssessment(Base):
    __tablename__ = "holistic_assessment"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    resident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("resident.id", ondelete="CASCADE"), index=True
    )
    step_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("step.id"), unique=True)
    physical: Mapped[str] = mapped_column(Text)
    psychological: Mapped[str] = mapped_column(Text)
    functional: Mapped[str] = mapped_column(Text)
    social: Mapped[str] = mapped_column(Text)
    environmental: Mapped[str] = mapped_column(Text)
    what_matters: Mapped[str] = mapped_column(Text)
    contributors: Mapped[list[Any]] = mapped_column(default=list)
    existing_assessments_used: Mapped[str | None] = mapped_column(Text, nullable=True)
    completed_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"))
    completed_at: Mapped[datetime]


class CarePlan(Base):
    """A PCSP version; a later version supersedes an earlier one for the same resident."""

    __tablename__ = "care_plan"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    resident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("resident.id", ondelete="CASCADE"), index=True
    )
    step_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("step.id"), unique=True, nullable=True
    )
    version: Mapped[int] = mapped_column(Integer)
    goals: Mapped[list[Any]]
    actions: Mapped[list[Any]]
    escalation_wishes: Mapped[dict[str, Any]]
    agreed_with: Mapped[str] = mapped_column(String(300))
    review_date: Mapped[date]
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime]
    change_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class FirstContactReview(Base):
    """Free text found in a current PCSP's first-contact field when it became a coded choice
    (issue 8), waiting for the clinical lead to code it. The care plan row it quotes is the
    clinical record and is never rewritten: resolving makes a new plan version."""

    __tablename__ = "first_contact_review"
    __table_args__ = (
        CheckConstraint("(resolved_at IS NULL) = (resolved_by_id IS NULL)",
                        name="resolved_together"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    resident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("resident.id", ondelete="CASCADE"), index=True
    )
    # The plan version whose words are quoted; one review per version.
    care_plan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("care_plan.id", ondelete="CASCADE"), unique=True
    )
    care_plan_version: Mapped[int] = mapped_column(Integer)
    original_text: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None] = mapped_column(nullable=True)
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id"), nullable=True
    )
    # The coded choice; None once resolved means "no first contact: the default route".
    resolution: Mapped[PreferredContact | None] = mapped_column(
        enum_column(PreferredContact), nullable=True
    )
    resolution_named_clinician_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id"), nullable=True
    )
    resolution_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The PCSP version that carries the resolution (made by it, or that superseded the text).
    resolved_plan_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
