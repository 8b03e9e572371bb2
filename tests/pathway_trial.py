"""A trial pathway version for tests: v1 with a step inserted between the holistic assessment
and the PCSP (a medicines reconciliation), as a PCN might pilot."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, Field

from care.directory.access import CLINICAL_ROLES
from care.journeys import pathway as pathways
from care.journeys import registry

RECONCILE = "medicines_reconciliation"


class ReconciliationOutcome(BaseModel):
    summary: str = Field(min_length=1, max_length=500)


def _record(*args: Any) -> None:
    """The trial step writes nothing beyond the step's own outcome."""


TRIAL_STEP = registry.StepType(
    RECONCILE, "Medicines reconciliation", "trial", ReconciliationOutcome, CLINICAL_ROLES, 2,
    "within the contract's days of admission or re-admission", _record)


def trial_version() -> pathways.Pathway:
    v1 = pathways.get("ehch", 1)
    stages = tuple(
        dataclasses.replace(stage, steps=(*stage.steps, RECONCILE))
        if stage.id == "assessment" else stage for stage in v1.stages)
    return dataclasses.replace(v1, version=2, stages=stages,
                               changes="Medicines reconciliation after the assessment.")


@contextmanager
def trial_pathway(*, current: bool = False) -> Iterator[pathways.Pathway]:
    """Install v2 for the test; v1 stays the version new journeys start on unless asked."""
    registry.register(TRIAL_STEP)
    v2 = trial_version()
    pathways.install(v2)
    if not current:
        pathways.set_current("ehch", 1)
    try:
        yield v2
    finally:
        pathways.uninstall("ehch", 2)
