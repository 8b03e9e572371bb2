"""Alembic environment: the URL comes from the caller (config attribute) or the environment.

Migrations run as the schema owner. After every run, in the same transaction, the
application role gets exactly its privileges on every table then present (issue 8), so the
grants follow each migration without a step anyone can forget.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import Connection

from care.models import Base
from carejourney.db_roles import application_role, grant_application_role

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = (config.attributes.get("url") or os.environ.get("CAREJOURNEY_MIGRATION_DATABASE_URL")
           or os.environ.get("CAREJOURNEY_DATABASE_URL"))
    if not url:
        raise SystemExit(
            "Set CAREJOURNEY_MIGRATION_DATABASE_URL (the schema owner), or run migrations "
            "through `carejourney migrate`, which starts the embedded PostgreSQL."
        )
    return str(url)


def _app_role() -> str:
    """Given by the caller, else the user in the application's URL, else carejourney_app."""
    return str(config.attributes.get("app_role")
               or application_role(os.environ.get("CAREJOURNEY_DATABASE_URL")))


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
        grant_application_role(connection, _app_role())


def run_migrations_offline() -> None:
    # SQL scripts for a DBA: the grants are theirs to run (see README, "Database roles").
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
