"""The pages through HTTP (TestClient), on the real database, with the injected clock."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.context import AppContext
from care.clock import FrozenClock
from care.directory.access import load_actor
from care.residents import service as residents
from care.residents.schemas import AdmissionIn
from care.settings import Settings
from tests.factories import PASSWORD, World, admission

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


@pytest.fixture
def app(
    world: World, app_engine: Engine, sessions: sessionmaker[Session], clock: FrozenClock,
    settings: Settings,
) -> FastAPI:
    return create_app(AppContext(settings, app_engine, sessions, clock))


@pytest.fixture
def make_client(app: FastAPI) -> Iterator[Callable[[], TestClient]]:
    """Fresh browsers (cookie jars) on the same app: one per person in a test."""
    clients: list[TestClient] = []

    def _make() -> TestClient:
        client = TestClient(app, follow_redirects=False)
        client.__enter__()
        clients.append(client)
        return client

    yield _make
    for client in clients:
        client.__exit__(None, None, None)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    """Through the form, with its CSRF token, as a person would."""
    page = client.get("/login")
    assert page.status_code == 200
    r = client.post("/login", data={"username": username, "password": password,
                                    "csrf_token": csrf_from(page.text)})
    assert r.status_code == 303, r.text
    return client


@pytest.fixture
def browser_for(make_client: Callable[[], TestClient]) -> Callable[[str], TestClient]:
    def _for(username: str) -> TestClient:
        return sign_in(make_client(), username)

    return _for


@pytest.fixture
def admit(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> Callable[..., uuid.UUID]:
    """Admit a resident through the service (home A by care-home staff unless told otherwise)."""

    def _admit(home: str = "a", on: date | None = None, **overrides: object) -> uuid.UUID:
        home_id = world.home_a.id if home == "a" else world.home_b.id
        with sessions() as s, s.begin():
            staff = load_actor(s, world.users["staff.a" if home == "a" else "coord"])
            body = admission(home_id, on or clock.now().date(), **overrides)
            resident, _ = residents.admit(s, staff, AdmissionIn(**body), clock.now(), settings)
            return resident.id

    return _admit
