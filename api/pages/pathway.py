"""The pathway drawn (issue 9): the current pathway version (or another installed one) as a
drawing generated from its definition, with the same content written out as text; for one
resident, where they are on the version their journey follows. Anyone signed in may read the
pathway; a resident's position only for residents of homes the person serves (404 otherwise).
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.deps import NowDep, SessionDep
from api.pages.web import PageRoute, PageSession, PageSessionDep, error_page, render
from care.audit.service import record as audit
from care.journeys import drawing
from care.journeys import pathway as pathways
from care.journeys.ledger import DEFAULT_PATHWAY
from care.journeys.migration import MIGRATING_ROLES
from care.journeys.position import Position, position_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _drawn(
    session: SessionDep, page: PageSession, now: NowDep, version: int | None,
    resident: uuid.UUID | None,
) -> tuple[pathways.Pathway, Position | None]:
    """The version to draw, and where the resident is on their journey's version."""
    if resident is None:
        return drawing.installed(DEFAULT_PATHWAY, version), None
    position = position_of(session, page.actor, resident)
    # Where a resident is on their pathway is part of their record: who looked is audited,
    # as for the resident's page (never logged: the audit table is the place for it).
    audit(session, at=now, actor=page.actor.user, action="pathway.position.view",
          entity="resident", entity_id=resident, resident_id=resident, channel="web")
    session.commit()
    return position.pathway, position


def _sentence(text: str) -> str:
    """'MDT members or …' as the start of a table cell: 'MDT members', never 'Mdt members'."""
    return text[:1].upper() + text[1:]


def _clause(text: str) -> str:
    """A trigger's words after 'When': 'A home's round…' as 'a home's round…', but an
    abbreviation ('NEWS2 …', 'A&E …') as written."""
    first = text.split(" ", 1)[0]
    return text if len(first) > 1 and not first[1:].islower() else text[:1].lower() + text[1:]


@router.get("/pathway")
def pathway_page(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep,
    version: int | None = None, resident: uuid.UUID | None = None,
) -> Response:
    pathway, position = _drawn(session, page, now, version, resident)
    highlight = position.highlight if position else None
    query = {"resident": str(resident)} if resident else {"version": str(pathway.version)}
    return render(request, "pages/pathway.html", page, {
        "pathway": pathway,
        "can_migrate": page.actor.role in MIGRATING_ROLES,
        "outline": drawing.outline(pathway),
        "svg": drawing.render_svg(pathway, highlight),
        "position": position,
        "highlight": highlight,
        "on_pathway": highlight is not None
        and any(s.id == highlight.stage for s in pathway.stages),
        "marked": {mark.value: [pathways.title_of(kind) for kind, m in highlight.marks
                                if m is mark]
                   for mark in drawing.Mark} if highlight else {},
        "current": pathways.current(pathway.name),
        "versions": pathways.versions(pathway.name),
        "drawing_url": f"/pathway/drawing.svg?{urlencode(query)}",
        "sentence": _sentence,
        "clause": _clause,
    }, now=now, settings=page.settings)


@router.get("/pathway/drawing.svg")
def pathway_drawing(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep,
    version: int | None = None, resident: uuid.UUID | None = None,
) -> Response:
    """The drawing on its own, to open full size or zoom in on."""
    pathway, position = _drawn(session, page, now, version, resident)
    svg = drawing.render_svg(pathway, position.highlight if position else None)
    if svg is None:
        return error_page(request, 503, "The drawing is not available",
                          "This server cannot draw the pathway (Graphviz is not installed). "
                          "The pathway page has the same content written out.")
    return Response(svg, media_type="image/svg+xml")
