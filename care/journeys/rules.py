"""Pure rules of the journey: deadlines and the pathway. Values in, values out; no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

from care.clock import CARE_TIMEZONE, end_of_day
from care.journeys.models import Stage, StepKind, StepStatus

# ---------------------------------------------------------------- deadlines (invariant 6)

RULE_VERSION = "v1"


@dataclass(frozen=True)
class Deadline:
    due_at: datetime
    rule: str


@lru_cache(maxsize=64)
def _england_bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_working_day(day: date) -> bool:
    """Monday to Friday and not an England bank holiday."""
    return day.weekday() < 5 and day not in _england_bank_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (the start day itself does not count)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def deadline_after(base: date, *, rule: str, days: int, tz: str = CARE_TIMEZONE) -> Deadline:
    """Due at the end of the last allowed day, local time.

    Source: GP contract 2023/24 (EHCH): assessment and PCSP "within 7 working days" of
    (re)admission; the 2020 specification said 7 days, so both rules are offered (DOMAIN §2).
    """
    if days < 0:
        raise ValueError("days must not be negative")
    if rule == "working-days":
        last_day = add_working_days(base, days)
        name = f"{days}-working-days-england/{RULE_VERSION}"
    elif rule == "calendar-days":
        last_day = base + timedelta(days=days)
        name = f"{days}-calendar-days/{RULE_VERSION}"
    else:
        raise ValueError(f"unknown deadline rule {rule!r}")
    return Deadline(due_at=end_of_day(last_day, tz), rule=name)


# ---------------------------------------------------------------- the pathway


@dataclass(frozen=True)
class PathwayStep:
    """A step the pathway declares: what it is, and what must be completed before it opens."""

    kind: StepKind
    title: str
    after: StepKind | None
    stage_while_open: Stage


# The first two contract deadlines, declared once (DOMAIN.md journey steps 2 and 3).
PATHWAY: tuple[PathwayStep, ...] = (
    PathwayStep(
        StepKind.HOLISTIC_ASSESSMENT,
        "Person-centred holistic assessment",
        after=None,
        stage_while_open=Stage.ASSESSMENT,
    ),
    PathwayStep(
        StepKind.PCSP,
        "Personalised care and support plan",
        after=StepKind.HOLISTIC_ASSESSMENT,
        stage_while_open=Stage.CARE_PLANNING,
    ),
)
PATHWAY_BY_KIND = {s.kind: s for s in PATHWAY}
STAGE_WHEN_PATHWAY_DONE = Stage.UNDER_MDT_CARE


@dataclass(frozen=True)
class PathwayDecision:
    open_kinds: tuple[StepKind, ...]
    stage: Stage


def decide(
    in_care_home: bool, current_stage: Stage, steps: dict[StepKind, StepStatus]
) -> PathwayDecision:
    """Which steps should exist now for the current care-home episode, and the journey's stage.

    ``steps`` maps each step kind already created for the current episode to its status.
    Outside a care home (in hospital, discharged, deceased) nothing opens and the stage stays.
    """
    if not in_care_home:
        return PathwayDecision(open_kinds=(), stage=current_stage)
    to_open: list[StepKind] = []
    stage = STAGE_WHEN_PATHWAY_DONE
    for declared in PATHWAY:
        prerequisite_done = (
            declared.after is None or steps.get(declared.after) == StepStatus.COMPLETED
        )
        if not prerequisite_done:
            break
        status = steps.get(declared.kind)
        if status is None:
            to_open.append(declared.kind)
        if status != StepStatus.COMPLETED:
            stage = declared.stage_while_open
            break
    return PathwayDecision(open_kinds=tuple(to_open), stage=stage)
