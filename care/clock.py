"""Time is injected (ARCHITECTURE.md invariant 7): rules take ``now``, services take a clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

# The one definition of the service's time zone; ``Settings.timezone`` defaults to it.
CARE_TIMEZONE = "Europe/London"


@lru_cache(maxsize=8)
def zone(tz: str = CARE_TIMEZONE) -> ZoneInfo:
    return ZoneInfo(tz)


def local_datetime(moment: datetime, tz: str = CARE_TIMEZONE) -> datetime:
    """``moment`` on England's wall clock (BST in summer, GMT in winter)."""
    return moment.astimezone(zone(tz))


def local_date(moment: datetime, tz: str = CARE_TIMEZONE) -> date:
    """The calendar date people in England see at ``moment`` (BST-aware, not UTC's).

    Every date derived from an instant goes through here: between midnight and 1am in
    summer, UTC's date is still yesterday's.
    """
    return local_datetime(moment, tz).date()


def start_of_day(day: date, tz: str = CARE_TIMEZONE) -> datetime:
    """Local midnight at the start of ``day``: the base of a deadline counted in days."""
    return datetime.combine(day, time.min, tzinfo=zone(tz))


def end_of_day(day: date, tz: str = CARE_TIMEZONE) -> datetime:
    """The last second of ``day`` in England: what "due by <date>" means for a step."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone(tz))


def local_time(moment: datetime, tz: str = CARE_TIMEZONE) -> str:
    """The wall-clock time people in England see at ``moment``, e.g. "14:30" (BST-aware)."""
    return local_datetime(moment, tz).strftime("%H:%M")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock tests move by hand, so a week passes without sleeping."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now
