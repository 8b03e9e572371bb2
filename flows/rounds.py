"""The weekly home rounds: every home on its own agreed day, none blocking another."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from prefect import flow

from tasks.rounds import list_homes, mark_missed_rounds, prepare_home_round


@flow(name="home-rounds", log_prints=False)
async def home_rounds(concurrency: int = 4) -> dict[str, Any]:
    """For every home whose round's preparation window is open: open the round, its
    'prepare the round' step and draft agenda. Each home is a separate task run, so one
    failing home is reported and retried on its own while the others go ahead. Then mark
    rounds that were neither held nor checked in as missed (the clinical lead is told)."""
    homes = await list_homes()
    limit = asyncio.Semaphore(concurrency)

    async def one(home_id: str) -> Any:
        async with limit:
            # return_state: a failing home becomes a failed state here, not an exception.
            return await cast(Any, prepare_home_round)(home_id, return_state=True)

    states = await asyncio.gather(*(one(h) for h in homes))
    prepared = [await s.aresult() for s in states if s.is_completed()]
    failed = [h for h, s in zip(homes, states, strict=True) if not s.is_completed()]
    missed = await mark_missed_rounds()
    return {
        "homes": len(homes),
        "rounds_open": sum(1 for p in prepared if p["round_id"]),
        "failed_homes": failed,
        "missed": missed,
    }
