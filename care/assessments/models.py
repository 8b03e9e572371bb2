"""Holistic assessment and personalised care and support plan (PCSP) tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from care.db import Base, new_id


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
