"""The API through HTTP, on the real database, with the injected (frozen) clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.context import AppContext
from care.clock import FrozenClock
from care.journeys import service as journeys
from care.settings import Settings
from tests.factories import PASSWORD, World, admission

Headers = dict[str, str]


@pytest.fixture
def app(
    world: World, app_engine: Engine, sessions: sessionmaker[Session], clock: FrozenClock,
    settings: Settings,
) -> FastAPI:
    return create_app(AppContext(settings, app_engine, sessions, clock))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def token_for(client: TestClient, username: str, password: str = PASSWORD) -> str:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


@pytest.fixture
def login(client: TestClient, clock: FrozenClock) -> Callable[[str], Headers]:
    """Bearer headers for a world user, signed in as the clock stands (reused until it moves:
    password hashing is deliberately slow)."""
    tokens: dict[tuple[str, datetime], str] = {}

    def _login(username: str) -> Headers:
        key = (username, clock.now())
        if key not in tokens:
            tokens[key] = token_for(client, username)
        return {"Authorization": f"Bearer {tokens[key]}"}

    return _login


@pytest.fixture
def admit(
    client: TestClient, world: World, clock: FrozenClock, login: Callable[[str], Headers]
) -> Callable[..., dict[str, Any]]:
    """Admit a resident through the API (to home A by care-home staff unless told otherwise)."""

    def _admit(username: str = "staff.a", home: str = "a", **overrides: Any) -> dict[str, Any]:
        home_id = world.home_a.id if home == "a" else world.home_b.id
        r = client.post("/api/v1/residents", headers=login(username),
                        json=admission(home_id, clock.now().date(), **overrides))
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    return _admit


def complete_with_fast_path_down(
    client: TestClient, step_id: str, headers: dict[str, str], outcome: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    """Complete a step as if the process died between the commit and the fast-path advance:
    the completion commits with its outbox message, the next step does not open."""
    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("process killed between commit and advance")

    monkeypatch.setattr(journeys, "fast_path_advance", crash)
    try:
        return client.post(f"/api/v1/steps/{step_id}/complete", headers=headers,
                           json={"outcome": outcome})
    finally:
        monkeypatch.undo()
