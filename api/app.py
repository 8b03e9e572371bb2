"""The FastAPI application factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import openapi, problems
from api.context import AppContext
from api.pages.router import router as pages
from api.routers import (
    auth,
    deterioration,
    first_contact,
    homes,
    journeys,
    notification_channels,
    pathway,
    pathway_migrations,
    residents,
    rounds,
    steps,
)
from api.security import SecurityHeaders
from care import composition

STATIC_DIR = Path(__file__).parent / "static"


def create_app(ctx: AppContext) -> FastAPI:
    """Build the app around an injected context (settings, database, clock)."""
    app = FastAPI(
        title="carejourney",
        version="1.0.0",
        summary="Enhanced Health in Care Homes: every resident's journey, every deadline.",
        docs_url="/docs",
        openapi_url="/api/v1/openapi.json",
    )
    app.state.ctx = ctx
    composition.install()
    problems.install(app)
    app.add_middleware(SecurityHeaders)

    for module in (auth, residents, steps, journeys, homes, rounds, deterioration,
                   notification_channels, first_contact, pathway, pathway_migrations):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(pages)
    openapi.install(app)

    STATIC_DIR.mkdir(exist_ok=True)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
