"""Home rounds, their agendas, nominations, attendance, MDT decisions and round contacts."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from care.db import Base, new_id
from care.types import enum_column


class RoundStatus(StrEnum):
    PLANNED = "planned"          # scheduled; preparation not yet open
    PREPARING = "preparing"      # 'prepare the round' step open, agenda being shaped
    AGREED = "agreed"            # the MDT meeting has agreed a response for each resident
    HELD = "held"                # the round took place; contacts recorded
    CHECK_IN = "check_in"        # nobody needed review: a recorded check-in, which counts
    MISSED = "missed"            # neither held nor checked in by the end of its day

    @property
    def label(self) -> str:
        return {"agreed": "MDT agreed", "check_in": "check-in"}.get(self.value, self.value)


DONE_STATUSES = (RoundStatus.HELD, RoundStatus.CHECK_IN)


class ItemSource(StrEnum):
    RULES = "rules"
    NOMINATION = "nomination"
    MDT = "mdt"


class Response(StrEnum):
    CLINICAL_INPUT = "clinical_input"
    REFERRAL = "referral"
    MAINTAIN = "maintain"


class ResidentEventKind(StrEnum):
    FALL = "fall"
    DETERIORATION = "deterioration"
    SMR = "structured_medication_review"
    ROUND_REVIEW = "round_review"
    REGISTRATION_CHOICE = "registration_choice"
    DEMENTIA_OFFER = "dementia_offer"
    END_OF_LIFE = "end_of_life"  # the MDT recognised the resident may be in the last year of life


class HomeRound(Base):
    __tablename__ = "home_round"
    __table_args__ = (UniqueConstraint("home_id", "week"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    home_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("care_home.id"), index=True)
    week: Mapped[str] = mapped_column(String(10))
    scheduled_at: Mapped[datetime]
    status: Mapped[RoundStatus] = mapped_column(enum_column(RoundStatus))
    meeting_at: Mapped[datetime | None] = mapped_column(nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    completed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id"), nullable=True
    )
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime]


class AgendaItem(Base):
    __tablename__ = "agenda_item"
    __table_args__ = (UniqueConstraint("round_id", "resident_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    round_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("home_round.id", ondelete="CASCADE"), index=True
    )
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"))
    score: Mapped[int] = mapped_column(Integer)
    # [{"reason": ..., "text": ..., "score": ...}], as the rules (or people) gave them.
    reasons: Mapped[list[Any]]
    source: Mapped[ItemSource] = mapped_column(enum_column(ItemSource))
    end_of_life: Mapped[bool] = mapped_column(default=False)
    removed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    removed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id"), nullable=True
    )
    removed_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime]


class Nomination(Base):
    """Care-home staff (or family, through staff) asking for a resident to be seen."""

    __tablename__ = "nomination"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    home_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("care_home.id"), index=True)
    resident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("resident.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    by_family: Mapped[bool] = mapped_column(default=False)
    nominated_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime]
    # The round whose agenda took it up; open nominations go to the next round.
    round_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("home_round.id", ondelete="SET NULL"), nullable=True
    )


class RoundAttendance(Base):
    __tablename__ = "round_attendance"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("home_round.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"))
    home_representative: Mapped[bool] = mapped_column(default=False)


class AgendaDecision(Base):
    """The MDT's agreed response for one resident on the agenda."""

    __tablename__ = "agenda_decision"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="CASCADE"), unique=True
    )
    response: Mapped[Response] = mapped_column(enum_column(Response))
    clinician_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id"), nullable=True
    )
    by_date: Mapped[date | None] = mapped_column(nullable=True)
    referral_to: Mapped[str | None] = mapped_column(String(40), nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    plan_change: Mapped[str | None] = mapped_column(Text, nullable=True)
    step_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("step.id"), nullable=True)
    decided_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime]


class ResidentEvent(Base):
    """Things that happen to a resident that the agenda rules weigh (falls, reviews...)."""

    __tablename__ = "resident_event"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    resident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("resident.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ResidentEventKind] = mapped_column(enum_column(ResidentEventKind))
    on: Mapped[date]
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id"), nullable=True
    )
    step_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("step.id"), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
