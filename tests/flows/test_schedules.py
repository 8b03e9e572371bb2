"""prefect.yaml's schedules really produce flow runs on the product's own Prefect server.

Without this, a Prefect server that cannot schedule (it once failed on every pass with the
SQLAlchemy of the day) leaves the deadline sweep, the home rounds and the urgent-response
ladder silently never running, while everything else looks healthy."""

from __future__ import annotations

import asyncio
import time

from flows.scheduler import load_deployments


async def test_every_scheduled_deployment_gets_runs(prefect_api: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.exceptions import ObjectNotFound

    deployments = await asyncio.to_thread(load_deployments)  # sync API, as `serve` uses it
    scheduled = {d.name for d in deployments if d.schedules}
    assert scheduled == {"deadline-sweep", "urgent-ladder", "home-rounds"}
    ids = {}
    async with get_client() as client:
        for deployment in deployments:
            # A leftover from an earlier run (the external server keeps Prefect's database)
            # would bring its old runs along and let this test pass without the scheduler.
            try:
                old = await client.read_deployment_by_name(
                    f"{deployment.flow_name}/{deployment.name}")
            except ObjectNotFound:
                pass
            else:
                await client.delete_deployment(old.id)
    for deployment in deployments:
        ids[deployment.name] = await deployment.apply()  # type: ignore[misc]  # as `serve` does
    wanted = {ids[name] for name in scheduled}
    seen: set[object] = set()
    deadline = time.monotonic() + 60
    async with get_client() as client:
        while time.monotonic() < deadline and seen != wanted:
            runs = await client.read_flow_runs(deployment_filter=DeploymentFilter(
                id=DeploymentFilterId(any_=list(wanted))))
            seen = {r.deployment_id for r in runs}
            await asyncio.sleep(1)
        for deployment_id in wanted:  # leave nothing scheduled for the other flow tests
            await client.delete_deployment(deployment_id)
    assert seen == wanted, "the Prefect scheduler created no runs for some deployments"
