"""The pathway as data: stages, the steps each opens in order, and the steps events open.

A pathway is read from a versioned TOML file (care/pathways/); a journey records the version
it follows, and a new version reaches running journeys only by an explicit migration
(care/journeys/migration.py). ``decide`` is the one function that applies a version: the fast
path in the completing transaction and the runner's flow both call it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from care.journeys.models import StepStatus
from care.journeys.registry import is_registered, step_type

# A step that is done, for what comes after it: completed, or skipped by a migration because
# the journey had already passed that point when the step was added to the pathway.
DONE = frozenset({StepStatus.COMPLETED, StepStatus.SKIPPED})


@dataclass(frozen=True)
class Trigger:
    """Something a domain reports that may open steps (declared by the domain)."""

    name: str
    description: str
    may_open: frozenset[str]
    # Safety floor: steps every pathway version must open on this trigger (e.g. the urgent
    # response to a deterioration). A version that leaves one out is refused when loaded.
    must_open: frozenset[str] = frozenset()


_TRIGGERS: dict[str, Trigger] = {}
# States a domain puts a journey in outside its pathway's stages (in hospital, discharged...).
_STATES: dict[str, str] = {}


def register_trigger(*triggers: Trigger) -> None:
    for trigger in triggers:
        _TRIGGERS[trigger.name] = trigger


def triggers() -> dict[str, Trigger]:
    return dict(_TRIGGERS)


def register_states(labels: dict[str, str]) -> None:
    _STATES.update(labels)


def stage_label(stage_id: str) -> str:
    """How people name a stage or state: from the pathway versions installed, else the state
    a domain registered."""
    for pathway in sorted(_VERSIONS.values(), key=lambda p: -p.version):
        for stage in pathway.stages:
            if stage.id == stage_id:
                return stage.label
    return _STATES.get(stage_id, stage_id.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Stage:
    id: str
    label: str
    steps: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Reaction:
    on: str
    opens: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Pathway:
    name: str
    version: int
    title: str
    stages: tuple[Stage, ...]
    # Where a journey rests once every step of every stage is done.
    rest_stage: str
    reactions: tuple[Reaction, ...] = ()
    source: str = ""
    changes: str = ""

    @property
    def sequence(self) -> tuple[tuple[str, str], ...]:
        """Every (stage id, step kind) in the order the steps open."""
        return tuple((stage.id, kind) for stage in self.stages for kind in stage.steps)

    @property
    def sequence_kinds(self) -> tuple[str, ...]:
        return tuple(kind for _, kind in self.sequence)

    def stage_of(self, kind: str) -> str | None:
        return next((stage for stage, k in self.sequence if k == kind), None)

    def opens_on(self, trigger: str) -> frozenset[str]:
        return frozenset(k for r in self.reactions if r.on == trigger for k in r.opens)

    def stage_label(self, stage_id: str) -> str:
        return next((s.label for s in self.stages if s.id == stage_id), stage_id)


class PathwayError(ValueError):
    pass


def load(path: Path) -> Pathway:
    """Read and check a pathway file against the registered step types and triggers."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        pathway = Pathway(
            name=data["name"],
            version=int(data["version"]),
            title=data["title"],
            source=data.get("source", ""),
            changes=data.get("changes", ""),
            rest_stage=data["rest_stage"],
            stages=tuple(Stage(id=s["id"], label=s["label"], steps=tuple(s.get("steps", ())),
                               description=s.get("description", ""))
                         for s in data["stage"]),
            reactions=tuple(Reaction(on=r["on"], opens=tuple(r["opens"]),
                                     description=r.get("description", ""))
                            for r in data.get("reaction", ())),
        )
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise PathwayError(f"{path.name}: not a pathway definition ({exc})") from exc
    check(pathway)
    return pathway


def check(pathway: Pathway) -> None:
    """Refuse a definition the engine could not apply safely."""
    where = f"pathway {pathway.name} v{pathway.version}"
    kinds = pathway.sequence_kinds
    if len(set(kinds)) != len(kinds):
        raise PathwayError(f"{where}: a step appears twice in the stages")
    stage_ids = [s.id for s in pathway.stages]
    if pathway.rest_stage not in stage_ids or len(set(stage_ids)) != len(stage_ids):
        raise PathwayError(f"{where}: stage ids must be unique and include the rest stage")
    clash = set(stage_ids) & set(_STATES)
    if clash:
        raise PathwayError(f"{where}: {sorted(clash)} name states a domain sets, not stages")
    for kind in (*kinds, *(k for r in pathway.reactions for k in r.opens)):
        if not is_registered(kind):
            raise PathwayError(f"{where}: no step type {kind!r} is registered")
    for reaction in pathway.reactions:
        trigger = _TRIGGERS.get(reaction.on)
        if trigger is None:
            raise PathwayError(f"{where}: no domain reports {reaction.on!r}")
        stray = set(reaction.opens) - trigger.may_open
        if stray:
            raise PathwayError(f"{where}: {reaction.on} cannot open {sorted(stray)}")
    for trigger in _TRIGGERS.values():
        missing = trigger.must_open - pathway.opens_on(trigger.name)
        if missing:
            raise PathwayError(
                f"{where}: {trigger.name} must open {sorted(missing)} (a safety floor: "
                "a pathway may add work, never drop an urgent response)")


# ---------------------------------------------------------------- the versions known


_VERSIONS: dict[tuple[str, int], Pathway] = {}
_CURRENT: dict[str, int] = {}


def install(pathway: Pathway, *, current: bool = False) -> None:
    check(pathway)
    _VERSIONS[(pathway.name, pathway.version)] = pathway
    if current or pathway.version > _CURRENT.get(pathway.name, 0):
        _CURRENT[pathway.name] = pathway.version


def uninstall(name: str, version: int) -> None:
    """Forget a version (tests that install a trial version clean up with this)."""
    _VERSIONS.pop((name, version), None)
    remaining = [v for (n, v) in _VERSIONS if n == name]
    if remaining:
        _CURRENT[name] = max(remaining)
    else:
        _CURRENT.pop(name, None)


def set_current(name: str, version: int) -> None:
    get(name, version)
    _CURRENT[name] = version


def get(name: str, version: int) -> Pathway:
    try:
        return _VERSIONS[(name, version)]
    except KeyError:
        raise PathwayError(f"pathway {name} has no version {version}") from None


def current(name: str) -> Pathway:
    if name not in _CURRENT:
        raise PathwayError(f"no pathway {name!r} is installed")
    return _VERSIONS[(name, _CURRENT[name])]


def versions(name: str) -> list[Pathway]:
    return sorted((p for (n, _), p in _VERSIONS.items() if n == name), key=lambda p: p.version)


# ---------------------------------------------------------------- applying a version


@dataclass(frozen=True)
class PathwayDecision:
    open_kinds: tuple[str, ...]
    stage: str


def decide(
    pathway: Pathway, in_care_home: bool, current_stage: str, steps: dict[str, StepStatus]
) -> PathwayDecision:
    """Which steps should exist now for the current care-home episode, and the journey's stage.

    ``steps`` maps each step kind already created for the episode to its status. Steps open
    one at a time in the declared order: the first one not done opens (if it does not exist
    yet) and gives the stage. Outside a care home nothing opens and the stage stays.
    """
    if not in_care_home:
        return PathwayDecision(open_kinds=(), stage=current_stage)
    for stage, kind in pathway.sequence:
        status = steps.get(kind)
        if status in DONE:
            continue
        return PathwayDecision(open_kinds=(kind,) if status is None else (), stage=stage)
    return PathwayDecision(open_kinds=(), stage=pathway.rest_stage)


def passed_over(pathway: Pathway, steps: dict[str, StepStatus]) -> tuple[str, ...]:
    """Steps of ``pathway`` a journey has already gone past (a later step is done) without
    ever having them: what a migration records as skipped rather than opening late."""
    sequence = pathway.sequence_kinds
    done_at = [i for i, k in enumerate(sequence) if steps.get(k) in DONE]
    if not done_at:
        return ()
    return tuple(k for k in sequence[:max(done_at)] if k not in steps)


def title_of(kind: str) -> str:
    return step_type(kind).title
