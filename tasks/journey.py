"""Tasks that move journeys on. Each is one transaction and safe to run twice.

The database work runs in a worker thread (``asyncio.to_thread``) so that several journeys
can advance concurrently in one runner's event loop.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from care.db import unit_of_work
from care.directory.service import forget_login_attempts
from care.journeys import escalation, idempotency
from care.journeys import service as journeys
from tasks.runtime import get_runtime


@task(name="apply-pathway", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
async def apply_pathway(journey_id: str, flow_run_id: str | None = None) -> dict[str, Any]:
    """Open whatever the pathway says is due for this journey (idempotent)."""
    return await asyncio.to_thread(_apply_pathway, journey_id, flow_run_id)


def _apply_pathway(journey_id: str, flow_run_id: str | None) -> dict[str, Any]:
    rt = get_runtime()
    with unit_of_work(rt.sessions) as session:
        result = journeys.advance_journey(
            session,
            uuid.UUID(journey_id),
            now=rt.clock.now(),
            settings=rt.settings,
            flow_run_id=uuid.UUID(flow_run_id) if flow_run_id else None,
        )
    return {"journey_id": journey_id, "opened": list(result.opened), "stage": result.stage}


@task(name="sweep-deadlines", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
async def sweep_deadlines() -> dict[str, int]:
    """Mark breached steps overdue and escalate each breach once."""
    return await asyncio.to_thread(_sweep_deadlines)


def _sweep_deadlines() -> dict[str, int]:
    rt = get_runtime()
    with unit_of_work(rt.sessions) as session:
        report = escalation.sweep_deadlines(session, rt.clock.now())
    return {"breached": len(report.breached), "notifications": report.notifications}


@task(name="heal-stalled-journeys", cache_policy=NO_CACHE)
async def heal_stalled() -> dict[str, int]:
    """Re-run journeys whose next step never opened (e.g. a crash after a completion)."""
    return await asyncio.to_thread(_heal_stalled)


def _heal_stalled() -> dict[str, int]:
    rt = get_runtime()
    with unit_of_work(rt.sessions) as session:
        healed = journeys.heal_pathway_gaps(session, rt.clock.now())
    return {"requeued": healed}


@task(name="forget-expired-records", cache_policy=NO_CACHE)
async def forget_expired() -> dict[str, int]:
    """Idempotency results (kept a day for retries) and old failed sign-ins hold personal
    data that has served its purpose: delete them."""
    return await asyncio.to_thread(_forget_expired)


def _forget_expired() -> dict[str, int]:
    rt = get_runtime()
    now = rt.clock.now()
    with unit_of_work(rt.sessions) as session:
        results = idempotency.purge(session, now - timedelta(days=1))
        logins = forget_login_attempts(
            session, now - timedelta(minutes=rt.settings.login_window_minutes))
    return {"idempotency_results_forgotten": results, "login_attempts_forgotten": logins}
