"""Headers on every page: no caching of resident data, HSTS when served over HTTPS."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.context import AppContext
from care.clock import FrozenClock
from care.settings import Settings
from tests.factories import World
from tests.pages.conftest import sign_in


def test_pages_are_never_cached_and_carry_the_security_headers(
    make_client: Callable[[], TestClient],
) -> None:
    client = sign_in(make_client(), "nurse.a")
    for path in ("/", "/my-work", "/notifications", "/residents", "/login"):
        r = client.get(path, follow_redirects=False)
        assert r.headers["cache-control"] == "no-store", path
        assert r.headers["x-frame-options"] == "DENY"
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert "strict-transport-security" not in r.headers  # demo: plain http


def test_hsts_when_cookies_are_secure(
    world: World, app_engine: Engine, sessions: sessionmaker[Session], clock: FrozenClock,
) -> None:
    settings = Settings(mode="production", secret_key="s" * 48, runner_enabled=False)
    with TestClient(create_app(AppContext(settings, app_engine, sessions, clock)),
                    base_url="https://testserver") as client:
        r = client.get("/login")
        assert r.headers["strict-transport-security"].startswith("max-age=31536000")
