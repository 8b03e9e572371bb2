"""The coordinator's view of their homes' open work and the admins' stalled journeys."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import Request
from starlette.responses import Response

from api.deps import ContextDep, NowDep, SessionDep
from api.pages.formkit import FieldErrors
from api.pages.steps_forms import assignee_items
from api.pages.web import (
    CheckedSessionDep,
    PageSession,
    PageSessionDep,
    flash,
    page_router,
    redirect,
    render,
)
from api.schemas import names_for
from care.audit.service import record_seen
from care.deterioration import service as deterioration_service
from care.directory.access import (
    ADMIN_ROLES,
    ASSIGNING_ROLES,
    OVERSEEING_ROLES,
)
from care.directory.service import homes_for, members_of
from care.errors import Forbidden
from care.journeys import service as journeys
from care.journeys.models import Journey
from care.journeys.service import StepFilters
from care.residents.models import Resident
from care.rounds import service as rounds_service

router = page_router()

COORDINATOR_LIMIT = 200


@router.get("/coordinator")
def coordinator(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep
) -> Response:
    return coordinator_page(request, page, session, now)


def coordinator_page(
    request: Request, page: PageSession, session: SessionDep, now: NowDep, *,
    errors: FieldErrors | None = None, values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The open work of every home the person oversees; with ``errors``, an assignment made
    from this page that could not be done (the step pages assign too)."""
    if not page.can_coordinate:
        raise Forbidden("only coordinators, clinical leads and admins see the coordinator view")
    can_assign = page.actor.role in ASSIGNING_ROLES
    homes: list[dict[str, Any]] = []
    assignees: dict[uuid.UUID, list[dict[str, str]]] = {}
    for home in homes_for(session, page.actor.home_ids):
        open_steps = journeys.list_steps(session, page.actor, StepFilters(
            status="open", home_id=home.id, sort="due_at", page_size=COORDINATOR_LIMIT), now)
        overdue = journeys.list_steps(session, page.actor, StepFilters(
            status="open", home_id=home.id, overdue=True, page_size=1), now)
        recent = rounds_service.rounds_for_home(session, page.actor, home.id, limit=4)
        homes.append({"home": home, "open": open_steps, "overdue": overdue.total,
                      "rounds": recent})
        if can_assign:
            members = members_of(session, home.id)
            for step, _ in open_steps.items:
                assignees[step.id] = assignee_items(step, members)
    window = 28
    per_home = {m.home_id: m for m in deterioration_service.measures(
        session, page.actor, now - timedelta(days=window), now)}
    for h in homes:
        h["measures"] = per_home.get(h["home"].id)
    names = names_for(session, {s.assignee_id for h in homes for s, _ in h["open"].items})
    record_seen(session, at=now, actor=page.actor.user, channel="web", action="coordinator.view",
                resident_ids={st.resident_id for h in homes for st, _ in h["open"].items})
    session.commit()
    return render(request, "pages/coordinator.html", page, {
        "homes": homes, "names": names, "can_assign": can_assign, "assignees": assignees,
        "errors": errors or FieldErrors(), "values": values or {}, "window": window,
    }, now=now, settings=page.settings, status_code=status_code)


@router.get("/admin/stalled")
def stalled(
    request: Request, page: PageSessionDep, session: SessionDep, ctx: ContextDep, now: NowDep
) -> Response:
    page.actor.require_role(OVERSEEING_ROLES, "see stalled journeys")
    found = journeys.find_stalled(session, now, ctx.settings, home_ids=page.actor.home_ids)
    return render(request, "pages/stalled.html", page, {
        "stalled": found, "can_rerun": page.actor.role in ADMIN_ROLES},
                  now=now, settings=page.settings)


@router.post("/admin/journeys/{journey_id}/rerun")
def rerun(
    journey_id: uuid.UUID, page: CheckedSessionDep, session: SessionDep, now: NowDep
) -> Response:
    page.actor.require_role(ADMIN_ROLES, "re-run journeys")
    journeys.request_rerun(session, page.actor, journey_id, now)
    resident = _journey_resident(session, journey_id)
    session.commit()
    response = redirect("/admin/stalled")
    who = f" for {resident}" if resident else ""
    flash(response, f"Re-run requested{who}. The journey will continue from where it stands.",
          page.settings, now)
    return response


def _journey_resident(session: SessionDep, journey_id: uuid.UUID) -> str | None:
    journey = session.get(Journey, journey_id)
    resident = session.get(Resident, journey.resident_id) if journey else None
    return resident.display_name if resident else None
