"""Advance one resident's journey: the flow run that follows every outbox signal."""

from __future__ import annotations

from typing import Any

from prefect import flow
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
    return await apply_pathway(journey_id, flow_run_id=str(flow_run.get_id() or "") or None)
