"""Shared, expensive set-up once per session: the database (migrated) and the app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from care.clock import FrozenClock
from care.settings import Settings
from tests.db import reset_and_migrate, test_database_url, truncate_all
from tests.factories import World, make_world

# A Monday, so working-day arithmetic in tests is easy to follow.
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return test_database_url(Path(tmp_path_factory.mktemp("db")))


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = reset_and_migrate(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@pytest.fixture
def clean_db(engine: Engine) -> Iterator[None]:
    truncate_all(engine)
    yield


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings() -> Settings:
    return Settings(mode="demo", secret_key="t" * 48, runner_enabled=False)


@pytest.fixture
def world(clean_db: None, sessions: sessionmaker[Session]) -> World:
    with sessions() as session, session.begin():
        return make_world(session)
