"""Advance one resident's journey: the flow run that follows every outbox signal."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.context import TagsContext
from prefect.runtime import flow_run

from tasks.journey import apply_pathway


@flow(
    name="advance-journey",
    flow_run_name="advance-journey-{journey_id}",
    log_prints=False,
    validate_parameters=True,
)
async def advance_journey(journey_id: str, reason: str = "advance") -> dict[str, Any]:
    """Open the steps now due for the journey, set its stage, record this run on it.

    Parameters are opaque ids only: no patient identifiers reach Prefect.
    """
    # The runner tags this flow run with the opaque journey id (the UI groups a journey's
    # runs by it). Task runs must not inherit that tag: Prefect keeps a concurrency-slot
    # service (a thread and an API client) per distinct set of task-run tags for the life of
    # the process, so a per-journey task tag would leak a thread for every journey advanced.
    with TagsContext(current_tags=set()):
        return await apply_pathway(journey_id,
                                   flow_run_id=str(flow_run.get_id() or "") or None)
