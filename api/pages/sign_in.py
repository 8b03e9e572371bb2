"""Signing in and out. The sign-in form's CSRF token is bound to a pre-session cookie (there is
no session yet); a failed attempt counts towards the rate limit; after sign-in the person goes
back to the page they asked for, if it is on this site."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from api.deps import ContextDep, NowDep, SessionDep
from api.pages.web import (
    CSRF_FIELD,
    PRE_SESSION_COOKIE,
    CheckedSessionDep,
    FormDep,
    flash,
    page_router,
    pre_session_nonce,
    redirect,
    render,
    safe_next,
    set_pre_session,
    set_session_cookie,
)
from api.security import SESSION_COOKIE, csrf_ok, csrf_token, issue_token, read_token
from care.audit.service import record as audit
from care.demo import DEMO_PASSWORD, USERS
from care.directory.service import authenticate
from care.errors import InvalidInput, RateLimited

router = page_router()


@router.get("/")
def home() -> Response:
    return redirect("/my-work")


def _login_page(
    request: Request, ctx: ContextDep, now: NowDep, *, nonce: str, username: str = "",
    error: str | None = None, status_code: int = 200, next_url: str = "/my-work",
) -> Response:
    settings = ctx.settings
    response = render(request, "pages/login.html", None, {
        "csrf": csrf_token(settings.secret_key, f"pre:{nonce}"),
        "username": username,
        "error": error,
        "next": next_url,
        "demo_users": _demo_users() if settings.mode == "demo" else [],
    }, now=now, settings=settings, status_code=status_code)
    set_pre_session(response, nonce, settings)
    return response


def _demo_users() -> list[tuple[str, str, str]]:
    return [(username, name, role.value.replace("_", " "))
            for username, name, role, _, _ in USERS] + [("password", DEMO_PASSWORD, "")]


@router.get("/login")
def login_form(request: Request, ctx: ContextDep, now: NowDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token and read_token(ctx.settings.secret_key, token, "session", now):
        return redirect(safe_next(request.query_params.get("next")))
    return _login_page(request, ctx, now, nonce=pre_session_nonce(request),
                       next_url=safe_next(request.query_params.get("next")))


@router.post("/login")
def login(
    request: Request, form: FormDep, session: SessionDep, ctx: ContextDep, now: NowDep
) -> Response:
    settings = ctx.settings
    nonce = request.cookies.get(PRE_SESSION_COOKIE)
    username = (form.get("username") or "").strip()
    next_url = safe_next(form.get("next"))
    if not nonce or not csrf_ok(settings.secret_key, f"pre:{nonce}", form.get(CSRF_FIELD)):
        return _login_page(request, ctx, now, nonce=pre_session_nonce(request),
                           username=username, status_code=403, next_url=next_url,
                           error="Your sign-in form had expired. Try again.")
    if not username or not form.get("password"):
        return _login_page(request, ctx, now, nonce=nonce, username=username, status_code=400,
                           next_url=next_url, error="Enter your username and password")
    try:
        user = authenticate(session, username, form.get("password") or "", now,
                            max_failures=settings.login_max_failures,
                            window_minutes=settings.login_window_minutes)
    except RateLimited as exc:
        return _login_page(request, ctx, now, nonce=nonce, username=username, status_code=429,
                           next_url=next_url, error=f"There have been {exc.detail}.")
    except InvalidInput:
        return _login_page(request, ctx, now, nonce=nonce, username="", status_code=400,
                           next_url=next_url,
                           error="The username or password is not right. Check and try again.")
    if user is None:
        session.commit()  # the failed attempt counts towards the rate limit
        return _login_page(request, ctx, now, nonce=nonce, username=username, status_code=401,
                           next_url=next_url,
                           error="The username or password is not right. Check and try again.")
    audit(session, at=now, actor=user, action="session.start", entity="user",
          entity_id=user.id, channel="web")
    session.commit()
    token = issue_token(settings.secret_key, user.id, user.role.value, now,
                        settings.session_minutes, kind="session")
    response = redirect(next_url)
    set_session_cookie(response, token, settings)
    response.delete_cookie(PRE_SESSION_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(page: CheckedSessionDep, now: NowDep) -> Response:
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    flash(response, "You have signed out.", page.settings, now)
    return response
