"""Deadlines as data: working days in England and the contract's day counts. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

from care.clock import CARE_TIMEZONE, end_of_day

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
