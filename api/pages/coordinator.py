"""The coordinator's view of their homes' open work and the admins' stalled journeys."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Query, Request
from starlette.responses import Response

from api.deps import ContextDep, NowDep, SessionDep
from api.pages import live
from api.pages.formkit import FieldErrors, form_values, text
from api.pages.steps_forms import assignee_items
from api.pages.web import (
    CheckedSessionDep,
    FormDep,
    PageSession,
    PageSessionDep,
    flash,
    fragment,
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
from care.errors import Forbidden, InvalidInput
from care.journeys import pathway as pathways
from care.journeys import service as journeys
from care.journeys.models import Journey
from care.journeys.registry import step_type
from care.journeys.service import RERUN_REASON_MAX, StepFilters
from care.residents.models import Resident
from care.rounds import service as rounds_service
from care.types import IsoDateTime

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
    return _stalled_page(request, page, session, ctx, now)


def _stalled_page(
    request: Request, page: PageSession, session: SessionDep, ctx: ContextDep, now: NowDep,
    *, errors: FieldErrors | None = None, values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    page.actor.require_role(OVERSEEING_ROLES, "see stalled journeys")
    found = journeys.find_stalled(session, now, ctx.settings, home_ids=page.actor.home_ids)
    return render(request, "pages/stalled.html", page, {
        "stalled": found, "can_rerun": page.actor.role in ADMIN_ROLES,
        "errors": errors or FieldErrors(), "values": values or {}, "selected": SELECTED,
        "reason_max": RERUN_REASON_MAX,
    }, now=now, settings=page.settings, status_code=status_code)


@router.get("/admin/journeys/{journey_id}/rerun")
def rerun_preview(
    journey_id: uuid.UUID, request: Request, page: PageSessionDep, session: SessionDep,
    ctx: ContextDep, now: NowDep,
) -> Response:
    """What a re-run would do, before it runs: the runner's own decision, nothing written."""
    return _preview_page(request, page, session, ctx, now, journey_id)


def _preview_page(
    request: Request, page: PageSession, session: SessionDep, ctx: ContextDep, now: NowDep,
    journey_id: uuid.UUID, *, errors: FieldErrors | None = None,
    values: dict[str, str] | None = None, status_code: int = 200,
) -> Response:
    preview = journeys.rerun_preview(session, page.actor, journey_id, now, ctx.settings)
    record_seen(session, at=now, actor=page.actor.user, channel="web",
                action="journey.rerun_preview", resident_ids={preview.resident.id})
    session.commit()
    return render(request, "pages/rerun_preview.html", page, {
        "preview": preview, "would_open": [step_type(k).title for k in preview.would_open],
        "stage_from": pathways.stage_label(preview.stage_from),
        "stage_to": pathways.stage_label(preview.stage_to),
        "can_rerun": page.actor.role in ADMIN_ROLES, "errors": errors or FieldErrors(),
        "values": values or {}, "reason_max": RERUN_REASON_MAX,
    }, now=now, settings=page.settings, status_code=status_code)


@router.post("/admin/journeys/{journey_id}/rerun")
def rerun(
    journey_id: uuid.UUID, request: Request, page: CheckedSessionDep, form: FormDep,
    session: SessionDep, ctx: ContextDep, now: NowDep,
) -> Response:
    page.actor.require_role(ADMIN_ROLES, "re-run journeys")
    reason = text(form, "reason")
    try:
        if not reason:
            raise InvalidInput("say why you are re-running this journey", field="reason")
        journeys.request_rerun(session, page.actor, journey_id, now, why=reason)
    except InvalidInput as exc:
        session.rollback()
        found = FieldErrors()
        found.add("reason", exc.args[0] if exc.args else "check the reason")
        return _preview_page(request, page, session, ctx, now, journey_id, errors=found,
                             values=form_values(form), status_code=422)
    resident = _journey_resident(session, journey_id)
    session.commit()
    response = redirect(f"/admin/reruns?since={_since(now)}")
    who = f" for {resident}" if resident else ""
    flash(response, f"Re-run requested{who}. The journey will continue from where it stands.",
          page.settings, now)
    return response


SELECTED = "select-"


@router.post("/admin/journeys/rerun")
def rerun_selected(
    request: Request, page: CheckedSessionDep, form: FormDep, session: SessionDep,
    ctx: ContextDep, now: NowDep,
) -> Response:
    """Re-run the journeys ticked on the stalled list, each in its own transaction."""
    page.actor.require_role(ADMIN_ROLES, "re-run journeys")
    chosen: list[uuid.UUID] = []
    for key in form:
        if key.startswith(SELECTED):
            try:
                chosen.append(uuid.UUID(key.removeprefix(SELECTED)))
            except ValueError:
                continue
    session.close()
    try:
        results = journeys.rerun_many(ctx.sessions, page.actor, chosen, text(form, "reason"),
                                      now)
    except InvalidInput as exc:
        found = FieldErrors()
        found.add("journeys" if exc.field == "journey_ids" else "reason",
                  exc.args[0] if exc.args else "check the form")
        return _stalled_page(request, page, session, ctx, now, errors=found,
                             values=form_values(form), status_code=422)
    failed = [r for r in results if not r.ok]
    response = redirect(f"/admin/reruns?since={_since(now)}")
    message = f"{len(results) - len(failed)} re-runs requested."
    if failed:
        message += f" {len(failed)} could not be: " + "; ".join(
            sorted({r.error or "unknown error" for r in failed}))
    flash(response, message, page.settings, now)
    return response


def _since(now: datetime) -> str:
    return quote((now - timedelta(seconds=1)).isoformat(timespec="seconds"))


def _progress(request: Request, page: PageSession, session: SessionDep, since: datetime,
              now: datetime) -> tuple[str, str, str]:
    rows = journeys.rerun_progress(session, page.actor, since)
    html = fragment(request, "pages/_rerun_progress.html", page,
                    {"rows": rows, "since": since}, now=now, settings=page.settings)
    done = sum(r.state == "done" for r in rows)
    status = f"{done} of {len(rows)} re-runs done."
    return html, live.state([(r.journey.id, r.state) for r in rows]), status


@router.get("/admin/reruns")
def reruns(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep,
    since: Annotated[IsoDateTime | None, Query()] = None,
) -> Response:
    """The re-runs you asked for, and how far the journey runner has got with each."""
    since = since or now - timedelta(hours=1)
    html, work, _ = _progress(request, page, session, since, now)
    region = live.live_region(request, region_id="reruns-live",
                              url=f"/admin/reruns/live?since={quote(since.isoformat())}",
                              inner=html, work=work, refresh=page.settings.live_refresh_seconds)
    return render(request, "pages/reruns.html", page, {
        "region": region, "since": since, "refresh": page.settings.live_refresh_seconds,
    }, now=now, settings=page.settings)


@router.get("/admin/reruns/live")
def reruns_live(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep,
    since: Annotated[IsoDateTime | None, Query()] = None, v: str = "", s: str = "",
) -> Response:
    since = since or now - timedelta(hours=1)
    html, work, status = _progress(request, page, session, since, now)
    if live.version(html) == v:
        return live.unchanged()
    region = live.live_region(request, region_id="reruns-live",
                              url=f"/admin/reruns/live?since={quote(since.isoformat())}",
                              inner=html, work=work, refresh=page.settings.live_refresh_seconds)
    return live.live_answer(request, region, status_id="reruns-status", status_text=status,
                            work_changed=work != s)


def _journey_resident(session: SessionDep, journey_id: uuid.UUID) -> str | None:
    journey = session.get(Journey, journey_id)
    resident = session.get(Resident, journey.resident_id) if journey else None
    return resident.display_name if resident else None
