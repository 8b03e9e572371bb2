"""One Prefect server per test session, on PostgreSQL beside the test database (Prefect's
SQLite mode answers 'database is locked' under concurrent flow runs)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from care.clock import FrozenClock
from care.settings import Settings
from carejourney import prefect_server
from tasks import runtime
from tests.db import worker_suffix


@pytest.fixture(scope="session")
def prefect_api(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from prefect.settings import PREFECT_API_URL, PREFECT_LOGGING_LEVEL, temporary_settings

    prefect_url = prefect_server.prefect_database_url(database_url,
                                                      "prefect_test" + worker_suffix())
    # The scheduler service looks for due schedules every 2 s instead of 60 s, so a test can
    # watch it create the runs of prefect.yaml's deployments.
    proc, api = prefect_server.start(
        prefect_url, Path(tmp_path_factory.mktemp("prefect")), prefect_server.free_port(),
        extra_env={"PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2"})
    try:
        with temporary_settings({PREFECT_API_URL: api, PREFECT_LOGGING_LEVEL: "WARNING"}):
            yield api
    finally:
        prefect_server.stop(proc)


@pytest.fixture
def flow_runtime(
    prefect_api: str, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> runtime.Runtime:
    rt = runtime.Runtime(settings=settings, sessions=sessions, clock=clock)
    runtime.configure(rt)
    return rt
