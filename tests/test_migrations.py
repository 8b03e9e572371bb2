"""Migrations applied to a database that already holds care data, and rolled back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
FIRST = "a2940ab4fa5f"


@pytest.fixture
def scratch_url(database_url: str) -> Iterator[str]:
    """A throwaway database on the same server as the test database."""
    url = make_url(database_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"cj_migrations_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    return config


def test_steps_made_before_the_home_round_keep_their_natural_key(scratch_url: str) -> None:
    config = _config(scratch_url)
    command.upgrade(config, FIRST)
    engine = create_engine(scratch_url)
    ids = {k: uuid.uuid4() for k in ("pcn", "home", "user", "resident", "episode", "journey",
                                     "step")}
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO pcn VALUES (:pcn, 'P', 'U1', '[]')"), ids)
        conn.execute(text(
            "INSERT INTO app_user VALUES (:user, 'u', 'U', 'x', 'admin', 'administrator', :pcn,"
            " true, now())"), ids)
        conn.execute(text(
            "INSERT INTO care_home VALUES (:home, :pcn, 'H', 'nursing', 10, '1-1', 'H1', 'a',"
            " 'p', 1, '10:00', NULL, NULL)"), ids)
        conn.execute(text(
            "INSERT INTO resident VALUES (:resident, '9990000018', 'A', 'B', '1940-01-01', :home,"
            " NULL, 'Y1', 'S', true, NULL, NULL, NULL, 'unknown', 'resident', now())"), ids)
        conn.execute(text(
            "INSERT INTO residence_episode VALUES (:episode, :resident, :home, 'care_home',"
            " 'admission', '2026-11-02', NULL, NULL, NULL, NULL, now())"), ids)
        conn.execute(text(
            "INSERT INTO journey VALUES (:journey, :resident, :home, 'assessment', 'active',"
            " :episode, now(), NULL, NULL, NULL, 1)"), ids)
        conn.execute(text(
            "INSERT INTO step (id, journey_id, resident_id, home_id, episode_id, kind, title,"
            " status, priority, candidate_group, due_at, deadline_rule, deadline_base,"
            " opened_at, version) VALUES (:step, :journey, :resident, :home, :episode,"
            " 'holistic_assessment', 'T', 'ready', 2, 'g', now(), 'r', now(), now(), 1)"), ids)
    command.upgrade(config, "head")
    with engine.connect() as conn:
        key = conn.execute(text("SELECT dedupe_key FROM step WHERE id = :step"), ids).scalar()
    assert key == f"{ids['episode']}:holistic_assessment"
    command.downgrade(config, FIRST)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM step")).scalar() == 1
    command.upgrade(config, "head")
    engine.dispose()
