"""The scheduled deadline sweep: escalate breaches once, and heal stalled journeys."""

from __future__ import annotations

from typing import Any

from prefect import flow

from tasks.journey import forget_expired, heal_stalled, sweep_deadlines


@flow(name="deadline-sweep", log_prints=False)
async def deadline_sweep() -> dict[str, Any]:
    """Every step past its due time is marked overdue and escalated exactly once; journeys
    whose next step never opened are queued to advance again; expired records are forgotten."""
    escalated = await sweep_deadlines()
    healed = await heal_stalled()
    forgotten = await forget_expired()
    return {**escalated, **healed, **forgotten}
