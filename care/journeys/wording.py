"""Plain-English wording for deadlines and times, as people on the pages read them."""

from __future__ import annotations

from datetime import datetime, timedelta

from care.clock import CARE_TIMEZONE, local_date, local_datetime

DEFAULT_TZ = CARE_TIMEZONE


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def due_in_words(due_at: datetime, now: datetime, tz: str = DEFAULT_TZ) -> str:
    """How far away a deadline is, in the words a person would use ("due in 2 days").

    Days are counted on the calendar of ``tz`` (deadlines fall at the end of a local day),
    so a step due tonight is "due today" all day and "1 day overdue" tomorrow morning.
    Source: NHS service manual, content style guide (dates and times in plain words).
    """
    due_local = local_datetime(due_at, tz)
    days = (due_local.date() - local_date(now, tz)).days
    if due_at >= now:
        left = due_at - now
        if left < timedelta(hours=1):
            return f"due in {_plural(max(1, int(left.total_seconds() // 60)), 'minute')}"
        if left < timedelta(hours=3):
            return f"due in {_plural(int(left.total_seconds() // 3600), 'hour')}"
        if days <= 0:
            return "due today"
        if days == 1:
            return "due tomorrow"
        return f"due in {days} days"
    late = -days
    if late <= 0:
        return f"overdue since {due_local:%H:%M} today"
    return f"{_plural(late, 'day')} overdue"


def is_overdue(due_at: datetime, now: datetime) -> bool:
    """Past its deadline (an open step only; completed steps are judged by completion time)."""
    return due_at < now


def date_in_words(value: datetime, tz: str = DEFAULT_TZ) -> str:
    """A local date as NHS.UK writes it: "11 November 2026"."""
    local = local_datetime(value, tz)
    return f"{local.day} {local:%B %Y}"


def datetime_in_words(value: datetime, tz: str = DEFAULT_TZ) -> str:
    """A local date and time: "2 November 2026 at 9:05am"."""
    local = local_datetime(value, tz)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{suffix}"
