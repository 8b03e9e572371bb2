"""PCN, care home, user and MDT membership tables."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from care.db import Base, new_id
from care.types import Profession, Role, enum_column


class HomeType(StrEnum):
    NURSING = "nursing"
    RESIDENTIAL = "residential"
    LEARNING_DISABILITY = "learning_disability"
    EXTRA_CARE = "extra_care"


class NotifyChannel(StrEnum):
    """How a person is told about urgent work outside the app (always in the app as well)."""

    IN_APP = "in_app"
    EMAIL = "email"
    SMS = "sms"

    @property
    def label(self) -> str:
        return {"in_app": "In carejourney only", "email": "Email",
                "sms": "Text message"}[self.value]


class Pcn(Base):
    __tablename__ = "pcn"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    ods_code: Mapped[str] = mapped_column(String(10), unique=True)
    # GP practice ODS codes in this PCN: a resident registered elsewhere is flagged.
    practice_ods_codes: Mapped[list[str]] = mapped_column(default=list)


class CareHome(Base):
    __tablename__ = "care_home"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    pcn_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pcn.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    home_type: Mapped[HomeType] = mapped_column(enum_column(HomeType))
    beds: Mapped[int] = mapped_column(Integer)
    cqc_location_id: Mapped[str] = mapped_column(String(20), unique=True)
    ods_code: Mapped[str] = mapped_column(String(10), unique=True)
    address: Mapped[str] = mapped_column(Text)
    postcode: Mapped[str] = mapped_column(String(10))
    # 0 = Monday ... 6 = Sunday, as datetime.weekday().
    round_weekday: Mapped[int] = mapped_column(SmallInteger)
    round_time: Mapped[time]
    clinical_lead_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id"), nullable=True
    )
    # A non-GP clinical lead is allowed by exception, with the reason recorded.
    clinical_lead_exception_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    pcn: Mapped[Pcn] = relationship(lazy="joined")


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    profession: Mapped[Profession] = mapped_column(enum_column(Profession))
    pcn_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pcn.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # Where urgent alerts go outside the app (issue 8); the person or an admin sets them.
    notify_channel: Mapped[NotifyChannel] = mapped_column(
        enum_column(NotifyChannel), default=NotifyChannel.IN_APP,
        server_default=NotifyChannel.IN_APP.value)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    # E.164 (+447700900123): GOV.UK Notify takes it as it is.
    mobile: Mapped[str | None] = mapped_column(String(20), nullable=True)


class HomeMembership(Base):
    """The homes a user serves: the care relationship that grants access (invariant 9)."""

    __tablename__ = "home_membership"
    __table_args__ = (UniqueConstraint("user_id", "home_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    home_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("care_home.id", ondelete="CASCADE"))
    # The home's consistent representative for the MDT and round (Sutton's care coordinator).
    is_home_representative: Mapped[bool] = mapped_column(default=False)


class LoginAttempt(Base):
    """Failed logins, kept in the database so the rate limit holds across API replicas."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
