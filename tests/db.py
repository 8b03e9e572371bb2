"""The test database: the embedded PostgreSQL by default, or ``TEST_DATABASE_URL``.

Two roles, as in production: ``TEST_DATABASE_URL``'s user (a superuser) owns the schema,
migrates, resets and truncates; the application role (``carejourney_app``) is what the app,
services, flows and CLI under test connect as, so the suite proves its grants suffice.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import Engine, make_url

from carejourney.db_roles import APP_ROLE, ensure_role, with_role

ROOT = Path(__file__).resolve().parent.parent
# For servers that ask for one; the embedded server and CI's trust their connections.
APP_PASSWORD = "carejourney-test-only"


def worker_suffix() -> str:
    """The pytest-xdist worker's name ("_gw0"), or nothing when the suite runs in one process."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"_{worker}" if worker else ""


def test_database_url(tmp_root: Path) -> str:
    """An external server when TEST_DATABASE_URL is set (CI's second pass), else embedded.

    Each pytest-xdist worker gets a database of its own on the external server (each starts
    its own embedded server anyway), so workers never reset each other's tables.
    """
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return database_of_its_own(url, worker_suffix()) if worker_suffix() else url
    from carejourney import embedded

    return embedded.start(tmp_root / "embedded").url()


def database_of_its_own(url: str, suffix: str) -> str:
    """``url``'s database with ``suffix`` added, created on the same server if missing."""
    base = make_url(url)
    name = f"{base.database}{suffix}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT",
                          poolclass=pool.NullPool)
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": name}).scalar()
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


# Roles belong to the whole server, so pytest-xdist workers (one database each) take turns:
# two ALTER ROLEs at once fail with "tuple concurrently updated".
ROLE_LOCK = 7_274_101


def ensure_app_role(url: str) -> str:
    """The application role on ``url``'s server (created by its superuser if missing): its URL."""
    admin = create_engine(make_url(url).set(database="postgres"), poolclass=pool.NullPool)
    try:
        with admin.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ROLE_LOCK})
            ensure_role(conn, APP_ROLE, APP_PASSWORD)
    finally:
        admin.dispose()
    return with_role(url, APP_ROLE, APP_PASSWORD)


def reset_and_migrate(url: str) -> Engine:
    """Drop everything and run the real migrations (with the grant step), so tests prove them
    too. Returns the owner's engine."""
    ensure_app_role(url)
    engine = create_engine(url, pool_size=10, max_overflow=20)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["app_role"] = APP_ROLE
    command.upgrade(config, "head")
    return engine


def truncate_all(engine: Engine) -> None:
    """Empty every table: the owner's engine only (the application role may not TRUNCATE)."""
    with engine.begin() as conn:
        tables = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )).scalars().all()
        conn.execute(text(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
        ))
