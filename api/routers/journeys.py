"""Journeys that need attention (stalled) and re-runs; the caller's notifications."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import ApiActor, ContextDep, NowDep, SessionDep, SettingsDep
from api.journey_schemas import BulkRerunIn, BulkRerunOut, ItemOut, RerunIn, RerunPreviewOut
from api.schemas import (
    NotificationList,
    NotificationOut,
    Page,
    RerunOut,
    StalledJourneyOut,
    notification_out,
    problem_responses,
    resident_ref,
)
from care.directory.access import ADMIN_ROLES, OVERSEEING_ROLES
from care.journeys import notifications
from care.journeys import service as journeys
from care.paging import MAX_PAGE, MAX_PAGE_SIZE

router = APIRouter(responses=problem_responses(401, 422))



@router.get("/journeys", response_model=Page[StalledJourneyOut], tags=["journeys"],
            responses=problem_responses(403))
def list_journeys(
    actor: ApiActor, session: SessionDep, now: NowDep, settings: SettingsDep,
    status: Literal["stalled"],
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> Page[StalledJourneyOut]:
    """Stalled journeys in the homes you serve: something that should have happened has not
    (a successor step never opened, an advance failed or has waited too long)."""
    actor.require_role(OVERSEEING_ROLES, "list stalled journeys")
    stalled = journeys.find_stalled(session, now, settings, home_ids=actor.home_ids)
    start = (page - 1) * page_size
    return Page[StalledJourneyOut](
        items=[
            StalledJourneyOut(
                journey_id=s.journey.id, resident=resident_ref(s.resident),
                home_id=s.journey.home_id, stage=s.journey.stage, status=s.journey.status,
                last_advanced_at=s.journey.last_advanced_at, reasons=s.reasons,
            )
            for s in stalled[start:start + page_size]
        ],
        total=len(stalled), page=page, page_size=page_size,
    )


@router.get("/journeys/{journey_id}/rerun-preview", response_model=RerunPreviewOut,
            tags=["journeys"], responses=problem_responses(403, 404))
def rerun_preview(journey_id: uuid.UUID, actor: ApiActor, session: SessionDep, now: NowDep,
                  settings: SettingsDep) -> RerunPreviewOut:
    """What a re-run would do now (nothing is written): the steps it would open and the stage
    the journey would be in, with why the journey is listed as stalled."""
    preview = journeys.rerun_preview(session, actor, journey_id, now, settings)
    return RerunPreviewOut(journey_id=journey_id, resident=resident_ref(preview.resident),
                           stage_from=preview.stage_from, stage_to=preview.stage_to,
                           would_open=list(preview.would_open), waiting=preview.waiting)


@router.post("/journeys/{journey_id}/rerun", status_code=202, response_model=RerunOut,
             tags=["journeys"], responses=problem_responses(403, 404))
def rerun(journey_id: uuid.UUID, actor: ApiActor, session: SessionDep, now: NowDep,
          body: RerunIn | None = None) -> RerunOut:
    """Run the journey again (admin). Always safe: advancing never opens a step twice.
    See `rerun-preview` first; give a `reason` to keep on the timeline."""
    actor.require_role(ADMIN_ROLES, "re-run journeys")
    message = journeys.request_rerun(session, actor, journey_id, now,
                                     why=body.reason if body else None)
    out = RerunOut(journey_id=journey_id, outbox_id=message.id)
    session.commit()
    return out


@router.post("/journeys/rerun", response_model=BulkRerunOut, tags=["journeys"],
             responses=problem_responses(403))
def rerun_many(body: BulkRerunIn, actor: ApiActor, ctx: ContextDep, now: NowDep
               ) -> BulkRerunOut:
    """Re-run a selection of journeys (admin), each in its own transaction: one that cannot
    be re-run is reported in `results` and the others still run."""
    results = journeys.rerun_many(ctx.sessions, actor, body.journey_ids, body.reason, now)
    return BulkRerunOut(
        rerun=sum(r.ok for r in results), failed=sum(not r.ok for r in results),
        results=[ItemOut(journey_id=r.journey_id, ok=r.ok, detail=r.detail, error=r.error)
                 for r in results])


@router.get("/notifications", response_model=NotificationList, tags=["notifications"])
def list_notifications(
    actor: ApiActor, session: SessionDep,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> NotificationList:
    """Your notifications (reminders, escalations), newest first."""
    notes = notifications.notifications_for(session, actor.id, unread_only=unread, limit=limit)
    return NotificationList(items=[notification_out(n) for n in notes])


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut,
             tags=["notifications"], responses=problem_responses(404))
def mark_read(
    notification_id: uuid.UUID, actor: ApiActor, session: SessionDep, now: NowDep
) -> NotificationOut:
    """Mark one of your notifications as read (reading it again changes nothing)."""
    note = notifications.mark_read(session, actor, notification_id, now)
    body = notification_out(note)
    session.commit()
    return body
