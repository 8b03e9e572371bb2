"""Serve the deployments declared in prefect.yaml from one long-lived process.

The embedded default uses this instead of a work pool and workers, so `prefect.yaml` stays
the single place where deployments and their schedules are declared.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import yaml
from prefect import serve
from prefect.deployments.runner import RunnerDeployment
from prefect.flows import load_flow_from_entrypoint

ROOT = Path(__file__).resolve().parent.parent


def load_deployments(path: Path = ROOT / "prefect.yaml") -> list[RunnerDeployment]:
    """Build runnable deployments from prefect.yaml (interval and cron schedules)."""
    spec: dict[str, Any] = yaml.safe_load(path.read_text())
    deployments: list[RunnerDeployment] = []
    for item in spec["deployments"]:
        flow: Any = load_flow_from_entrypoint(str(ROOT / item["entrypoint"]))
        intervals = [timedelta(seconds=s["interval"]) for s in item.get("schedules", [])
                     if "interval" in s]
        crons = [s["cron"] for s in item.get("schedules", []) if "cron" in s]
        deployments.append(cast(RunnerDeployment, flow.to_deployment(
                name=item["name"],
                description=item.get("description"),
                tags=item.get("tags"),
                parameters=item.get("parameters") or None,
                interval=intervals or None,
                cron=crons or None,
                concurrency_limit=item.get("concurrency_limit"),
            )))
    return deployments


def main() -> None:
    # Schedules stay active when this process stops: the next start serves them again.
    serve(*load_deployments(), pause_on_shutdown=False, print_starting_message=False)


if __name__ == "__main__":
    main()
