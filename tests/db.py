"""The test database: the embedded PostgreSQL by default, or ``TEST_DATABASE_URL``."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent


def test_database_url(tmp_root: Path) -> str:
    """An external server when TEST_DATABASE_URL is set (CI's second pass), else embedded."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    from carejourney import embedded

    return embedded.start(tmp_root / "embedded").url()


def reset_and_migrate(url: str) -> Engine:
    """Drop everything and run the real migrations, so tests prove them too."""
    engine = create_engine(url, pool_size=10, max_overflow=20)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    command.upgrade(config, "head")
    return engine


def truncate_all(engine: Engine) -> None:
    with engine.begin() as conn:
        tables = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )).scalars().all()
        conn.execute(text(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
        ))
