"""Plumbing the pages share: templates, the session cookie, CSRF, flash messages and errors.

Pages authenticate by a signed, HttpOnly session cookie; every POST carries a CSRF token bound
to that session (or, before sign-in, to a pre-session cookie). Domain errors become HTML pages
here, in one place, the way ``api/problems.py`` turns them into problem details for the API.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jwt
from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, FileSystemLoader, PackageLoader
from starlette.responses import RedirectResponse, Response

from api.deps import ContextDep, NowDep, SessionDep
from api.security import ALGORITHM, SESSION_COOKIE, csrf_ok, csrf_token, read_token
from care.assessments.rules import coded_contact, contact_words, named_clinician_id
from care.clock import local_time
from care.deterioration.service import urgent_queue
from care.directory.access import CLINICAL_ROLES, OVERSEEING_ROLES, Actor, load_actor
from care.directory.service import get_user
from care.errors import Conflict, Forbidden, NotFound
from care.journeys.notifications import unread_count
from care.journeys.pathway import stage_label
from care.journeys.wording import (
    date_in_words,
    datetime_in_words,
    due_in_words,
    is_overdue,
)
from care.residents.rules import format_nhs_number
from care.rounds.service import NOMINATING_ROLES
from care.settings import Settings
from care.types import Role

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
PRE_SESSION_COOKIE = "cj_pre"
FLASH_COOKIE = "cj_flash"
CSRF_FIELD = "csrf_token"

ROUND_PREPARING_ROLES = frozenset({Role.COORDINATOR, Role.CLINICAL_LEAD})


def _iso_date_words(value: str | None) -> str:
    """A stored ISO date ("2027-03-01") as NHS.UK writes it: "1 March 2027"."""
    if not value:
        return ""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return f"{day.day} {day:%B %Y}"


def _time_words(value: datetime | None) -> str:
    """A local clock time, as NHS.UK writes it: "4:05pm"."""
    if value is None:
        return ""
    hours, minutes = local_time(value).split(":")
    hour = int(hours)
    return f"{hour % 12 or 12}:{minutes}{'am' if hour < 12 else 'pm'}"


def _contact_words(wishes: Mapping[str, Any] | None,
                   names: Mapping[uuid.UUID, str] | None = None, *,
                   awaiting_review: bool = True) -> str | None:
    """The PCSP's first contact in words (never the code), naming a named clinician from the
    escalation's snapshot or from ``names``."""
    clinician = named_clinician_id(wishes)
    name = (wishes or {}).get("named_clinician_name") or (
        (names or {}).get(clinician) if clinician else None)
    return contact_words(wishes, name, awaiting_review=awaiting_review)


def _contact_sentence(wishes: Mapping[str, Any] | None) -> str | None:
    """"Contact first: GP", or the legacy free text marked as awaiting review."""
    words = _contact_words(wishes)
    return f"Contact first: {words}" if words and coded_contact(wishes) else words


def _environment() -> Environment:
    """Our templates first, then the NHS.UK component macros (``nhsuk/components/...``)."""
    env = Environment(
        loader=ChoiceLoader([
            FileSystemLoader(TEMPLATES_DIR),
            PackageLoader("nhsuk_frontend_jinja"),
        ]),
        # The NHS.UK macros read chained optional parameters (params.hint.text).
        undefined=ChainableUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["nhs_number"] = format_nhs_number
    env.filters["date_words"] = date_in_words
    env.filters["datetime_words"] = datetime_in_words
    env.globals["stage_label"] = stage_label
    env.filters["iso_date_words"] = _iso_date_words
    env.filters["time_words"] = _time_words
    env.filters["contact_words"] = _contact_words
    env.filters["contact_sentence"] = _contact_sentence
    env.filters["humanise"] = lambda value: str(getattr(value, "value", value)).replace("_", " ")
    return env


templates = Jinja2Templates(env=_environment())


# ---------------------------------------------------------------- errors as pages


class LoginRequired(Exception):
    """No valid session: send the person to the sign-in page, then back."""


class CsrfRefused(Exception):
    """A POST without the form's CSRF token (or with another session's)."""


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    return templates.TemplateResponse(
        request, "pages/error.html",
        {"title": title, "detail": detail, "page": None, "flash": None}, status_code=status,
    )


def _login_redirect(request: Request) -> Response:
    if request.headers.get("HX-Request"):
        # A page refreshing itself after the session ended: reload it whole, so the person
        # sees the sign-in page instead of a list that silently stopped updating.
        return Response(status_code=200, headers={"HX-Refresh": "true"})
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    if request.method != "GET":
        target = "/my-work"
    response = RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


class PageRoute(APIRoute):
    """Turns sign-in, CSRF and domain errors into redirects or HTML error pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                return _login_redirect(request)
            except RequestValidationError:
                # Only malformed path or query values reach here (forms are read by hand).
                return error_page(request, 404, "Page not found",
                                  "Check the web address is correct.")
            except CsrfRefused:
                return error_page(request, 403, "Your form could not be sent",
                                  "The form had expired or did not come from this service. "
                                  "Go back, reload the page and try again.")
            except NotFound as exc:
                return error_page(request, 404, "Page not found",
                                  f"We could not find that: {exc.detail}.")
            except Forbidden as exc:
                return error_page(request, 403, "You cannot do this", exc.detail.capitalize())
            except Conflict as exc:
                return error_page(request, 409, "This has changed", exc.detail.capitalize())

        return page_handler


def page_router() -> APIRouter:
    """A router of pages: errors answered as HTML (``PageRoute``), and none of them in the
    API's OpenAPI document."""
    return APIRouter(route_class=PageRoute, include_in_schema=False)


# ---------------------------------------------------------------- who is signed in


@dataclass(frozen=True)
class PageSession:
    """The signed-in person on this request, with their CSRF token."""

    actor: Actor
    csrf: str
    settings: Settings
    # Unread notifications, for the count in the header on every page.
    unread: int = 0
    # Open deteriorations waiting on this person (or their profession), for the header.
    urgent: int = 0

    @property
    def can_coordinate(self) -> bool:
        return self.actor.role in OVERSEEING_ROLES

    @property
    def is_admin(self) -> bool:
        return self.actor.role == Role.ADMIN

    @property
    def can_nominate(self) -> bool:
        """Care-home staff first: their advice on whom the MDT should see is an input."""
        return self.actor.role in NOMINATING_ROLES

    @property
    def can_prepare_rounds(self) -> bool:
        return self.actor.role in ROUND_PREPARING_ROLES

    @property
    def can_record_observations(self) -> bool:
        return self.actor.role in CLINICAL_ROLES

    @property
    def sees_urgent(self) -> bool:
        """Everyone who serves homes; admins run the service and respond to no one."""
        return self.actor.role != Role.ADMIN


def get_page_session(
    request: Request, session: SessionDep, ctx: ContextDep, now: NowDep
) -> PageSession:
    token = request.cookies.get(SESSION_COOKIE)
    claims = read_token(ctx.settings.secret_key, token, "session", now) if token else None
    if claims is None:
        raise LoginRequired
    user = get_user(session, uuid.UUID(claims["sub"]))
    if user is None:
        raise LoginRequired
    actor = load_actor(session, user, channel="web")
    urgent = (sum(1 for item in urgent_queue(session, actor) if item.for_me)
              if actor.role != Role.ADMIN else 0)
    return PageSession(actor, csrf_token(ctx.settings.secret_key, claims["jti"]), ctx.settings,
                       unread=unread_count(session, user.id), urgent=urgent)


PageSessionDep = Annotated[PageSession, Depends(get_page_session)]


async def read_form(request: Request) -> dict[str, str]:
    """The posted form as plain strings (files are not accepted on any page)."""
    form = await request.form()
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


FormDep = Annotated[dict[str, str], Depends(read_form)]


def checked_session(page: PageSessionDep, form: FormDep, request: Request, ctx: ContextDep,
                    now: NowDep) -> PageSession:
    """The signed-in person, once the form's CSRF token matches their session."""
    token = request.cookies.get(SESSION_COOKIE) or ""
    claims = read_token(ctx.settings.secret_key, token, "session", now) or {}
    if not csrf_ok(ctx.settings.secret_key, str(claims.get("jti", "")), form.get(CSRF_FIELD)):
        raise CsrfRefused
    return page


CheckedSessionDep = Annotated[PageSession, Depends(checked_session)]


# ---------------------------------------------------------------- before sign-in


def pre_session_nonce(request: Request) -> str:
    """The pre-session nonce the login form's CSRF token is bound to (new if none yet)."""
    return request.cookies.get(PRE_SESSION_COOKIE) or secrets.token_urlsafe(24)


def set_pre_session(response: Response, nonce: str, settings: Settings) -> None:
    response.set_cookie(PRE_SESSION_COOKIE, nonce, max_age=3600, path="/login", httponly=True,
                        samesite="lax", secure=settings.cookie_secure)


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.session_minutes * 60, path="/",
                        httponly=True, samesite="lax", secure=settings.cookie_secure)


def safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would let a phishing link reuse our login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/my-work"
    return target


# ---------------------------------------------------------------- flash messages


def flash(response: Response, message: str, settings: Settings, now: datetime,
          kind: str = "success") -> None:
    """A one-time banner for the next page; signed so nobody can plant text in our pages."""
    token = jwt.encode(
        {"kind": "flash", "msg": message, "type": kind,
         "exp": int((now + timedelta(minutes=5)).timestamp())},
        settings.secret_key, algorithm=ALGORITHM,
    )
    response.set_cookie(FLASH_COOKIE, token, max_age=300, path="/", httponly=True,
                        samesite="lax", secure=settings.cookie_secure)


def take_flash(request: Request, settings: Settings, now: datetime) -> dict[str, str] | None:
    token = request.cookies.get(FLASH_COOKIE)
    if not token:
        return None
    try:
        claims = jwt.decode(token, settings.secret_key, algorithms=[ALGORITHM],
                            options={"verify_exp": False})
    except jwt.PyJWTError:
        return None
    if claims.get("kind") != "flash" or int(claims.get("exp", 0)) < int(now.timestamp()):
        return None
    return {"message": str(claims.get("msg", "")), "type": str(claims.get("type", "success"))}


def redirect(url: str) -> RedirectResponse:
    """After a POST: 303 so the browser GETs the next page (no resubmission on reload)."""
    return RedirectResponse(url, status_code=303)


def _shared(page: PageSession | None, now: datetime, settings: Settings) -> dict[str, Any]:
    return {
        "page": page,
        "now": now,
        "demo": settings.mode == "demo",
        "refresh": settings.live_refresh_seconds,
        "due_words": lambda due: due_in_words(due, now, settings.timezone),
        "overdue": lambda due: is_overdue(due, now),
    }


def fragment(
    request: Request, name: str, page: PageSession | None, context: Mapping[str, Any], *,
    now: datetime, settings: Settings,
) -> str:
    """A part of a page (for a page that refreshes itself), with the pages' shared context."""
    return templates.get_template(name).render(
        {"request": request, **_shared(page, now, settings), **context})


def render(
    request: Request, name: str, page: PageSession | None, context: Mapping[str, Any], *,
    now: datetime, settings: Settings, status_code: int = 200,
) -> Response:
    """Render a page with the layout's shared context; consumes any pending flash message."""
    message = take_flash(request, settings, now)
    full: dict[str, Any] = {
        **_shared(page, now, settings),
        "flash": message,
        **context,
    }
    response = templates.TemplateResponse(request, name, full, status_code=status_code)
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response
