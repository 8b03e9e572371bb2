"""Sign-in for API clients: the OAuth2 password form in, a signed expiring bearer token out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import NowDep, SessionDep, SettingsDep
from api.schemas import TokenOut, problem_responses
from api.security import issue_token
from care.audit.service import record as audit
from care.directory.service import authenticate
from care.errors import RateLimited

router = APIRouter(tags=["auth"])


@router.post("/auth/token", response_model=TokenOut,
             responses=problem_responses(400, 401, 422, 429))
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep,
    settings: SettingsDep, now: NowDep,
) -> TokenOut:
    """Exchange a username and password for a bearer token.

    Failed attempts are stored (and audited, never with the password) even though the call
    fails, so the rate limit holds across API replicas.
    """
    username = form.username.strip().lower()[:80]
    try:
        user = authenticate(session, form.username, form.password, now,
                            max_failures=settings.login_max_failures,
                            window_minutes=settings.login_window_minutes)
    except RateLimited:
        audit(session, at=now, actor=None, action="auth.login_refused", entity="user",
              entity_id=username, after={"reason": "rate limited"})
        session.commit()
        raise
    if user is None:
        audit(session, at=now, actor=None, action="auth.login_failed", entity="user",
              entity_id=username)
        session.commit()
        raise HTTPException(401, "the username or password is wrong",
                            headers={"WWW-Authenticate": "Bearer"})
    audit(session, at=now, actor=user, action="auth.login", entity="user", entity_id=user.id)
    session.commit()
    access_token = issue_token(settings.secret_key, user.id, user.role.value, now,
                               settings.token_minutes, kind="api")
    return TokenOut(access_token=access_token, expires_in=settings.token_minutes * 60)
