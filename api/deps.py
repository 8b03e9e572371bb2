"""Annotated dependencies: the request's context, database session, clock and actor."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from api.context import AppContext
from api.security import read_token
from care.directory.access import Actor, load_actor
from care.directory.service import get_user
from care.settings import Settings


def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


ContextDep = Annotated[AppContext, Depends(get_context)]


def get_settings_dep(ctx: ContextDep) -> Settings:
    return ctx.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_session(ctx: ContextDep) -> Iterator[Session]:
    """One session per request; routes commit explicitly, anything else rolls back."""
    with ctx.sessions() as session:
        try:
            yield session
        finally:
            if session.in_transaction():
                session.rollback()


SessionDep = Annotated[Session, Depends(get_session)]


def get_now(ctx: ContextDep) -> datetime:
    return ctx.clock.now()


NowDep = Annotated[datetime, Depends(get_now)]

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def get_api_actor(
    token: Annotated[str | None, Depends(oauth2)], session: SessionDep, ctx: ContextDep,
    now: NowDep,
) -> Actor:
    """The user behind a valid bearer token (API calls never authenticate by cookie: CSRF)."""
    if not token:
        raise _unauthorised("sign in first: send a bearer token from POST /api/v1/auth/token")
    claims = read_token(ctx.settings.secret_key, token, "api", now)
    if claims is None:
        raise _unauthorised("the token is invalid or has expired")
    user = get_user(session, uuid.UUID(claims["sub"]))
    if user is None:
        raise _unauthorised("the account is no longer active")
    return load_actor(session, user)


ApiActor = Annotated[Actor, Depends(get_api_actor)]
