"""The urgent-response ladder, every minute: acknowledgement windows are short (30 minutes by
default), so this runs far more often than the deadline sweep."""

from __future__ import annotations

from prefect import flow

from tasks.deterioration import escalate_unacknowledged


@flow(name="urgent-ladder", log_prints=False)
async def urgent_ladder() -> dict[str, int]:
    """Every urgent step still unacknowledged after its route's time passes to the next
    responder on the ladder, exactly once per level."""
    return await escalate_unacknowledged()
