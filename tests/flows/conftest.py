"""One Prefect test server per session; tasks use the test database through the runtime."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from care.clock import FrozenClock
from care.settings import Settings
from tasks import runtime


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture
def flow_runtime(
    prefect_server: None, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> runtime.Runtime:
    rt = runtime.Runtime(settings=settings, sessions=sessions, clock=clock)
    runtime.configure(rt)
    return rt
