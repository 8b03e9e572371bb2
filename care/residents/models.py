"""Resident and residence-episode tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from care.db import Base, new_id
from care.directory.models import CareHome
from care.types import enum_column


class DementiaStatus(StrEnum):
    DIAGNOSED = "diagnosed"
    NO_DEMENTIA = "no_dementia"
    POSSIBLE_UNDIAGNOSED = "possible_undiagnosed"
    UNKNOWN = "unknown"


class Setting(StrEnum):
    CARE_HOME = "care_home"
    HOSPITAL = "hospital"


class EpisodeStart(StrEnum):
    ADMISSION = "admission"
    READMISSION = "readmission"
    HOSPITAL_ADMISSION = "hospital_admission"


class EpisodeEnd(StrEnum):
    HOSPITAL_ADMISSION = "hospital_admission"
    RETURNED = "returned"
    DISCHARGE = "discharge"
    DEATH = "death"


class ResidentStatus(StrEnum):
    RESIDENT = "resident"
    IN_HOSPITAL = "in_hospital"
    DISCHARGED = "discharged"
    DECEASED = "deceased"


class Resident(Base):
    __tablename__ = "resident"
    __table_args__ = (
        # One active stay per NHS number: a second admission while the first is open is refused.
        Index(
            "uq_resident_active_nhs_number",
            "nhs_number",
            unique=True,
            postgresql_where=text("status IN ('resident', 'in_hospital')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # PII columns are marked in ``info`` so exports and logs can redact them.
    nhs_number: Mapped[str] = mapped_column(String(10), index=True, info={"pii": True})
    given_name: Mapped[str] = mapped_column(String(100), info={"pii": True})
    family_name: Mapped[str] = mapped_column(String(100), info={"pii": True})
    date_of_birth: Mapped[date] = mapped_column(info={"pii": True})
    home_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("care_home.id"), index=True)
    room: Mapped[str | None] = mapped_column(String(20), nullable=True)
    gp_practice_ods: Mapped[str] = mapped_column(String(10))
    gp_practice_name: Mapped[str] = mapped_column(String(200))
    gp_in_aligned_pcn: Mapped[bool]
    representative_name: Mapped[str | None] = mapped_column(
        String(200), nullable=True, info={"pii": True}
    )
    representative_relationship: Mapped[str | None] = mapped_column(String(100), nullable=True)
    representative_phone: Mapped[str | None] = mapped_column(
        String(40), nullable=True, info={"pii": True}
    )
    dementia_status: Mapped[DementiaStatus] = mapped_column(enum_column(DementiaStatus))
    status: Mapped[ResidentStatus] = mapped_column(enum_column(ResidentStatus))
    created_at: Mapped[datetime]

    home: Mapped[CareHome] = relationship(lazy="joined")

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def short_name(self) -> str:
        """How notifications name a resident: given name and initial, never an identifier."""
        return f"{self.given_name} {self.family_name[:1]}."


class Episode(Base):
    """A span of time in one setting; a care-home episode starts the 7-day clocks."""

    __tablename__ = "residence_episode"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    resident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("resident.id", ondelete="CASCADE"), index=True
    )
    home_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("care_home.id"))
    setting: Mapped[Setting] = mapped_column(enum_column(Setting))
    start_reason: Mapped[EpisodeStart] = mapped_column(enum_column(EpisodeStart))
    started_on: Mapped[date]
    ended_on: Mapped[date | None] = mapped_column(nullable=True)
    end_reason: Mapped[EpisodeEnd | None] = mapped_column(enum_column(EpisodeEnd), nullable=True)
    hospital_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime]
