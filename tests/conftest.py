"""Shared, expensive set-up once per session: the database (migrated) and the app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from care import composition
from care.clock import FrozenClock
from care.directory.models import User
from care.settings import Settings
from care.types import Profession, Role
from carejourney.db_roles import APP_ROLE, with_role
from tests.db import APP_PASSWORD, reset_and_migrate, test_database_url, truncate_all
from tests.factories import World, make_user, make_world

# A Monday, so working-day arithmetic in tests is easy to follow.
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

# Every domain's step types, the reactions between domains and the pathway versions.
composition.install()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The schema owner's URL (a superuser): migrations, resets, scratch databases."""
    return test_database_url(Path(tmp_path_factory.mktemp("db")))


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The owner's engine: for resetting and inspecting, not for the code under test."""
    engine = reset_and_migrate(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app_database_url(engine: Engine, database_url: str) -> str:
    """The application role's URL (after the migration granted it its privileges)."""
    return with_role(database_url, APP_ROLE, APP_PASSWORD)


@pytest.fixture(scope="session")
def app_engine(app_database_url: str) -> Iterator[Engine]:
    """What the product connects as: every service, page, API and flow test runs on it."""
    engine = create_engine(app_database_url, pool_size=10, max_overflow=20)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sessions(app_engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(app_engine, expire_on_commit=False)


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


@pytest.fixture
def responders(world: World, sessions: sessionmaker[Session]) -> dict[str, User]:
    """Home A's urgent community response team, community matron and palliative care team
    (the world itself has none, so a ladder's absent responders can be tested too)."""
    with sessions() as s, s.begin():
        return {
            "ucr": make_user(s, world.pcn, "ucr.a", Role.MDT_MEMBER,
                             Profession.URGENT_COMMUNITY_RESPONSE, [world.home_a]),
            "matron": make_user(s, world.pcn, "matron.a", Role.MDT_MEMBER,
                                Profession.COMMUNITY_MATRON, [world.home_a]),
            "palliative": make_user(s, world.pcn, "palliative.a", Role.MDT_MEMBER,
                                    Profession.PALLIATIVE_CARE, [world.home_a]),
        }
