"""A live server for the browser tests: the product's app under uvicorn on the test database,
and Debian's Chromium for Playwright to drive."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.context import AppContext
from care.clock import FrozenClock
from care.settings import Settings
from tests.factories import World

CHROMIUM = Path("/usr/bin/chromium")


def require_chromium() -> None:
    """Skip on a developer machine without Chromium; in CI (CI=true) its absence is a failure:
    a browser test that silently does not run proves nothing."""
    import os

    if CHROMIUM.exists():
        return
    message = "Debian chromium is not installed (apt-get install -y chromium)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
# Playwright's own browser download is not reachable here; Debian's Chromium with these works.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """An app served by uvicorn in a background thread; its base URL while the block runs."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_url(
    world: World, app_engine: Engine, sessions: sessionmaker[Session], clock: FrozenClock,
    settings: Settings,
) -> Iterator[str]:
    """The product's app served by uvicorn in a background thread, on the test database."""
    with serve(create_app(AppContext(settings, app_engine, sessions, clock))) as url:
        yield url
