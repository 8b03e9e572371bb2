"""The JSON shape of the pathway as declared (GET /api/v1/pathway): a version's stages in order
with their steps (who does them, their deadline rule), the reactions with their safety floors,
and the versions installed. Built from ``care.journeys.drawing.outline``, the same outline the
page writes out beside the drawing."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from care.journeys import pathway as pathways
from care.journeys.drawing import Outline, StepOutline
from care.types import Role


class PathwayStepOut(BaseModel):
    kind: str = Field(description="The step kind, declared by its domain")
    title: str
    domain: str = Field(description="The domain that declares it (care/<domain>/steps.py)")
    performer_roles: list[Role] = Field(description="The roles that may take and complete it")
    who: str = Field(description="Who does it, in words")
    priority: int = Field(description="1 urgent, 2 high, 3 routine")
    deadline: str = Field(description="How its deadline is set, in words")


class PathwayStageOut(BaseModel):
    id: str
    label: str
    description: str
    rest: bool = Field(description="Where a journey rests once every step before it is done")
    steps: list[PathwayStepOut] = Field(
        description="In the order they open, each when the one before is completed")


class PathwayReactionOut(BaseModel):
    on: str = Field(description="What a domain reports (the trigger's name)")
    when: str = Field(description="The trigger in words, as its domain declares it")
    description: str = Field(description="Why this version opens these steps on it")
    opens: list[PathwayStepOut]
    floors: list[str] = Field(
        description="Kinds among `opens` that are safety floors: every version must open them "
                    "on this trigger (a version may add work, never drop an urgent response)")


class PathwayVersionOut(BaseModel):
    version: int
    title: str
    changes: str
    current: bool = Field(description="New journeys follow the current version")


class PathwayOut(BaseModel):
    name: str
    version: int
    title: str
    source: str = Field(description="The policy the version follows")
    changes: str = Field(description="What this version changed")
    current: bool = Field(description="Whether new journeys follow this version")
    rest_stage: str
    stages: list[PathwayStageOut]
    reactions: list[PathwayReactionOut]
    versions: list[PathwayVersionOut] = Field(description="Every version installed, oldest first")


def step_out(step: StepOutline) -> PathwayStepOut:
    return PathwayStepOut(kind=step.kind, title=step.title, domain=step.domain,
                          performer_roles=list(step.roles), who=step.who,
                          priority=step.priority, deadline=step.deadline)


def pathway_out(shape: Outline, versions: Sequence[pathways.Pathway],
                current: int) -> PathwayOut:
    pathway = shape.pathway
    return PathwayOut(
        name=pathway.name, version=pathway.version, title=pathway.title, source=pathway.source,
        changes=pathway.changes, current=pathway.version == current,
        rest_stage=pathway.rest_stage,
        stages=[PathwayStageOut(id=s.id, label=s.label, description=s.description,
                                rest=s.rest, steps=[step_out(k) for k in s.steps])
                for s in shape.stages],
        reactions=[PathwayReactionOut(on=r.on, when=r.when, description=r.description,
                                      opens=[step_out(k) for k in r.opens], floors=list(r.floors))
                   for r in shape.reactions],
        versions=[PathwayVersionOut(version=v.version, title=v.title, changes=v.changes,
                                    current=v.version == current) for v in versions],
    )
