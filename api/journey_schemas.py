"""Request and response bodies for re-runs and pathway migrations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import ResidentRef
from care.journeys.service import MAX_BULK_RERUN, RERUN_REASON_MAX

Reason = Field(min_length=1, max_length=RERUN_REASON_MAX,
               description="Why: kept on the journey's timeline and in the audit log")


class RerunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, min_length=1, max_length=RERUN_REASON_MAX,
                               description="Why: kept on the timeline and in the audit log")


class RerunPreviewOut(BaseModel):
    journey_id: uuid.UUID
    resident: ResidentRef
    stage_from: str
    stage_to: str
    would_open: list[str] = Field(description="Step kinds a re-run would open now")
    waiting: list[str] = Field(description="Why the journey is listed as stalled, if it is")


class BulkRerunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    journey_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_BULK_RERUN)
    reason: str = Reason


class ItemOut(BaseModel):
    journey_id: uuid.UUID
    ok: bool
    detail: dict[str, Any]
    error: str | None = None


class BulkRerunOut(BaseModel):
    rerun: int
    failed: int
    results: list[ItemOut]


class MigrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1, le=10_000, description="The pathway version to move to")
    reason: str = Field(min_length=5, max_length=RERUN_REASON_MAX)
    home_id: uuid.UUID | None = Field(default=None, description="Only this home's journeys")
    journey_ids: list[uuid.UUID] = Field(default_factory=list, max_length=5_000,
                                         description="Only these journeys")
    dry_run: bool = Field(default=True, description="List what would change; write nothing")


class JourneyChangeOut(BaseModel):
    journey_id: uuid.UUID
    from_version: int
    to_version: int
    stage_from: str
    stage_to: str
    opens: list[str]
    skips: list[str]
    closes: list[str]
    note: str


class MigrationOut(BaseModel):
    id: uuid.UUID | None = Field(description="The recorded migration (none for a dry run)")
    pathway: str
    to_version: int
    dry_run: bool
    at: datetime
    reason: str
    changes: list[JourneyChangeOut]
    failed: list[ItemOut] = Field(default_factory=list)
