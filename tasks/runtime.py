"""The process-wide database and clock that Prefect tasks use.

Set once at start-up by whoever hosts the flows (the product's process, a worker, a test);
a worker process that was not configured builds it from the environment on first use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from care import composition
from care.clock import Clock, SystemClock
from care.db import make_engine, make_session_factory
from care.settings import Settings, get_settings


@dataclass
class Runtime:
    settings: Settings
    sessions: sessionmaker[Session]
    clock: Clock


_runtime: Runtime | None = None
_lock = threading.Lock()


def configure(runtime: Runtime) -> None:
    global _runtime
    composition.install()
    _runtime = runtime


def get_runtime() -> Runtime:
    global _runtime
    with _lock:
        if _runtime is None:
            composition.install()
            settings = get_settings()
            if not settings.database_url:
                raise RuntimeError(
                    "CAREJOURNEY_DATABASE_URL is not set: start flows through `carejourney`, "
                    "which sets it (embedded PostgreSQL) for every process it starts"
                )
            engine = make_engine(settings.database_url, pool_size=5)
            _runtime = Runtime(settings, make_session_factory(engine), SystemClock())
        return _runtime
