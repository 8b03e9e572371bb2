"""RFC 9457 problem details for every error; each domain error maps to one status here."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from care.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, RateLimited

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[DomainError], tuple[int, str]] = {
    NotFound: (404, "Not found"),
    Forbidden: (403, "Forbidden"),
    Conflict: (409, "Conflict"),
    InvalidInput: (422, "Invalid input"),
    RateLimited: (429, "Too many requests"),
}


def problem(
    status: int,
    title: str,
    detail: str,
    instance: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://carejourney.example/problems/{title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def status_for(exc: DomainError) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400, "Bad request"


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


UNEXPECTED = "something went wrong on our side; nothing was changed"


def _unexpected(path: str) -> JSONResponse:
    return problem(500, "Internal server error", UNEXPECTED, path)


class UnexpectedErrors:
    """Any exception a route lets escape becomes a 500 problem, and goes no further.

    Starlette's handler for ``Exception`` answers from ServerErrorMiddleware and then re-raises,
    so the server (uvicorn) sees an exception after a response and closes the keep-alive
    connection: the client's next request on it fails. Caught here, inside the other
    middleware, the connection stays usable and the 500 carries the security headers too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            # Nothing about the failure (which may quote patient data) reaches the client.
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:  # too late for a problem response: the server must end the stream
                raise
            await _unexpected(scope.get("path", ""))(scope, receive, send)


PROBED = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path. Starlette's 405 names only the methods of
    the first route that matched the path, but GET and POST /residents are two routes; RFC 9110
    (15.5.6) wants the resource's whole list in ``Allow``. Each method is tried against the
    routing table (``BaseRoute.matches``, the public way to ask; FastAPI's included routers
    keep their routes to themselves)."""
    routes = [r for r in request.app.router.routes if not isinstance(r, Mount)]
    return [method for method in PROBED
            if any(route.matches({**request.scope, "method": method})[0] == Match.FULL
                   for route in routes)]


def install(app: FastAPI) -> None:
    """Register the handlers that turn errors into problem details."""

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        status, title = status_for(exc)
        errors = exc.errors if isinstance(exc, InvalidInput) else None
        if errors is None and exc.field:
            errors = [{"field": exc.field, "reason": exc.detail}]
        detail = exc.detail if not exc.field else f"{exc.field}: {exc.detail}"
        headers = {"Retry-After": "900"} if isinstance(exc, RateLimited) else None
        return problem(status, title, detail, request.url.path, errors=errors, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field(e["loc"]), "reason": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:5])
        return problem(422, "Invalid input", detail, request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
                 405: "Method not allowed"}.get(exc.status_code, "Error")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            allowed = allowed_methods(request)
            if allowed:
                headers["Allow"] = ", ".join(allowed)
        return problem(exc.status_code, title, str(exc.detail), request.url.path,
                       headers=headers or None)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        # Only for failures outside UnexpectedErrors (in the outer middleware).
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _unexpected(request.url.path)

    # Added before the app's other middleware, so it runs inside them.
    app.add_middleware(UnexpectedErrors)
