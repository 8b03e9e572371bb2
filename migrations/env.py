"""Alembic environment: the URL comes from the caller (config attribute) or the environment."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool

from care.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("url") or os.environ.get("CAREJOURNEY_DATABASE_URL")
    if not url:
        raise SystemExit(
            "Set CAREJOURNEY_DATABASE_URL, or run migrations through `carejourney migrate`, "
            "which starts the embedded PostgreSQL."
        )
    return str(url)


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
