"""Tasks that keep urgent responses moving. Each is one transaction and safe to run twice."""

from __future__ import annotations

import asyncio

from prefect import task
from prefect.cache_policies import NO_CACHE

from care.db import unit_of_work
from care.deterioration import ladder
from tasks.runtime import get_runtime


@task(name="escalate-unacknowledged", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
async def escalate_unacknowledged() -> dict[str, int]:
    """Pass each urgent step nobody acknowledged in time to the next responder, once a level."""
    return await asyncio.to_thread(_escalate_unacknowledged)


def _escalate_unacknowledged() -> dict[str, int]:
    rt = get_runtime()
    with unit_of_work(rt.sessions) as session:
        report = ladder.escalate_unacknowledged(session, rt.clock.now())
    # Counts only: no resident or deterioration ids in Prefect's records.
    return {"passed_on": len(report.passed_on), "ladder_exhausted": len(report.exhausted)}
