"""The pathway as declared: a version's stages, steps, who does them and their deadline rules,
what opens work during a journey and its safety floors (JSON), and the same drawn (SVG).
Read by anyone signed in: the definition names no resident."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api import problems
from api.deps import ApiActor
from api.pathway_schemas import PathwayOut, pathway_out
from api.schemas import problem_responses
from care.journeys import drawing
from care.journeys import pathway as pathways
from care.journeys.ledger import DEFAULT_PATHWAY

router = APIRouter(tags=["pathway"], responses=problem_responses(401, 404, 422))

Version = Annotated[int | None, Query(
    ge=1, le=1_000_000,
    description="An installed version (GET /api/v1/pathway lists them); the current one if "
                "not given. Running journeys follow the version they started on.")]

SVG = "image/svg+xml"


@router.get("/pathway", response_model=PathwayOut)
def get_pathway(actor: ApiActor, version: Version = None) -> PathwayOut:
    """The current pathway version (or `version`), as the engine applies it: the stages in
    order with their steps (kind, title, declaring domain, the roles who do it, priority, the
    deadline rule in words), where a journey rests, the reactions (what a domain reports and
    the steps it opens, `floors` naming the safety floors every version must keep), and the
    versions installed. 404 for a version not installed."""
    pathway = drawing.installed(DEFAULT_PATHWAY, version)
    return pathway_out(drawing.outline(pathway), pathways.versions(DEFAULT_PATHWAY),
                       pathways.current(DEFAULT_PATHWAY).version)


@router.get(
    "/pathway.svg", response_class=Response,
    responses={
        200: {"description": "The drawing, generated from the definition by Graphviz",
              "content": {SVG: {"schema": {"type": "string"}}}},
        503: {"description": "Graphviz is not installed on this server: the same content is "
                             "at GET /api/v1/pathway"},
    },
)
def get_pathway_drawing(request: Request, actor: ApiActor, version: Version = None) -> Response:
    """The same version drawn: an accessible SVG (a title and a description, a `viewBox` so it
    scales), generated from the definition, never drawn by hand."""
    pathway = drawing.installed(DEFAULT_PATHWAY, version)
    svg = drawing.render_svg(pathway)
    if svg is None:
        return problems.problem(503, "Service unavailable",
                                "the pathway cannot be drawn here (Graphviz is not installed); "
                                "GET /api/v1/pathway has the same content",
                                request.url.path)
    return Response(svg, media_type=SVG)
