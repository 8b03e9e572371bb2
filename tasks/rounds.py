"""Tasks of the weekly home round. Each home is its own transaction: one home's failure
never stops (or rolls back) another's."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from care.db import unit_of_work
from care.rounds import service as rounds
from tasks.runtime import get_runtime


@task(name="list-homes", cache_policy=NO_CACHE)
async def list_homes() -> list[str]:
    """Every home's opaque id."""
    return await asyncio.to_thread(_list_homes)


def _list_homes() -> list[str]:
    rt = get_runtime()
    with unit_of_work(rt.sessions) as session:
        return [str(h) for h in rounds.all_home_ids(session)]


@task(name="prepare-home-round", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
async def prepare_home_round(home_id: str) -> dict[str, Any]:
    """Open the home's next round, its preparation step and draft agenda when it is time."""
    return await asyncio.to_thread(_prepare, home_id)


def _prepare(home_id: str) -> dict[str, Any]:
    rt = get_runtime()
    with unit_of_work(rt.sessions) as session:
        result = rounds.prepare_round(session, uuid.UUID(home_id), rt.clock.now(), rt.settings)
    return {"home_id": home_id, "round_id": str(result.round_id) if result.round_id else None,
            "opened": result.opened, "agenda": result.agenda_size}


@task(name="mark-missed-rounds", cache_policy=NO_CACHE)
async def mark_missed_rounds() -> int:
    """Rounds with neither a round nor a check-in recorded by the end of their day."""
    return await asyncio.to_thread(_missed)


def _missed() -> int:
    rt = get_runtime()
    with unit_of_work(rt.sessions) as session:
        return len(rounds.mark_missed_rounds(session, rt.clock.now()))
