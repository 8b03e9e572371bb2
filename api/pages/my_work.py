"""My work: the steps assigned to the person and their homes' queue, refreshing itself while
open (``live``)."""

from __future__ import annotations

import uuid

from fastapi import Request
from starlette.responses import Response

from api.deps import NowDep, SessionDep
from api.pages import live
from api.pages.web import (
    PageSession,
    PageSessionDep,
    fragment,
    page_router,
    render,
)
from care.audit.service import record_seen
from care.directory.service import homes_for
from care.journeys import notifications as inbox
from care.journeys import service as journeys
from care.journeys.registry import step_types
from care.journeys.service import StepFilters

router = page_router()

MY_WORK_LIMIT = 100


def _my_work_lists(
    request: Request, page: PageSession, session: SessionDep, now: NowDep
) -> tuple[str, str, str, set[uuid.UUID | None]]:
    """My work's lists as HTML, the version of the work in them, a status line for screen
    readers, and the residents they name."""
    actor = page.actor
    mine = journeys.list_steps(session, actor, StepFilters(
        status="open", assignee="me", sort="due_at", page_size=MY_WORK_LIMIT), now)
    queue = journeys.list_steps(session, actor, StepFilters(
        status="open", assignee="unassigned", sort="due_at", page_size=MY_WORK_LIMIT), now)
    notes = inbox.notifications_for(session, actor.id, limit=10)
    homes = {h.id: h for h in homes_for(session, actor.home_ids)}
    html = fragment(request, "pages/_my_work_lists.html", page, {
        "mine": mine, "queue": queue, "notifications": notes, "homes": homes,
        "can_perform": any(actor.role in t.performer_roles for t in step_types()),
    }, now=now, settings=page.settings)
    work = live.state([mine.total, queue.total, *(st.id for st, _ in mine.items),
                       *(st.id for st, _ in queue.items), *(n.id for n in notes)])
    status = (f"Updated: {mine.total} assigned to you, {queue.total} waiting in your homes' "
              "queue.")
    return html, work, status, {st.resident_id for st, _ in [*mine.items, *queue.items]}


@router.get("/my-work")
def my_work(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep
) -> Response:
    html, work, _, seen = _my_work_lists(request, page, session, now)
    record_seen(session, at=now, actor=page.actor.user, channel="web", action="my_work.view",
                resident_ids=seen)
    session.commit()
    region = live.live_region(request, region_id="my-work-live", url="/my-work/live",
                              inner=html, work=work, refresh=page.settings.live_refresh_seconds)
    return render(request, "pages/my_work.html", page, {"lists_region": region},
                  now=now, settings=page.settings)


@router.get("/my-work/live")
def my_work_live(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep,
    v: str = "", s: str = "",
) -> Response:
    """My work's lists again for an open page, only when what they show has changed."""
    html, work, status, seen = _my_work_lists(request, page, session, now)
    if live.version(html) == v:
        return live.unchanged()
    record_seen(session, at=now, actor=page.actor.user, channel="web", action="my_work.view",
                resident_ids=seen)
    session.commit()
    region = live.live_region(request, region_id="my-work-live", url="/my-work/live",
                              inner=html, work=work, refresh=page.settings.live_refresh_seconds)
    return live.live_answer(request, region, status_id="my-work-status", status_text=status,
                            work_changed=work != s)
