"""Deadlines in plain words: a table of cases (pure rule, no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from care.journeys.wording import date_in_words, datetime_in_words, due_in_words, is_overdue

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # Monday 9am in London (GMT)
END_OF = lambda d: datetime(2026, 11, d, 23, 59, 59, tzinfo=UTC)  # noqa: E731


@pytest.mark.parametrize(
    ("due_at", "words"),
    [
        (END_OF(2), "due today"),
        (END_OF(3), "due tomorrow"),
        (END_OF(4), "due in 2 days"),
        (END_OF(11), "due in 9 days"),
        (datetime(2026, 11, 2, 11, 0, tzinfo=UTC), "due in 2 hours"),
        (datetime(2026, 11, 2, 9, 40, tzinfo=UTC), "due in 40 minutes"),
        (datetime(2026, 11, 2, 9, 0, 20, tzinfo=UTC), "due in 1 minute"),
        (datetime(2026, 11, 2, 8, 30, tzinfo=UTC), "overdue since 08:30 today"),
        (datetime(2026, 11, 1, 23, 59, tzinfo=UTC), "1 day overdue"),
        (datetime(2026, 10, 30, 23, 59, tzinfo=UTC), "3 days overdue"),
    ],
)
def test_due_in_words(due_at: datetime, words: str) -> None:
    assert due_in_words(due_at, NOW) == words


def test_days_follow_the_london_calendar_not_utc() -> None:
    # 23:30 UTC on 1 July is 00:30 BST on 2 July: "today" in London, not yesterday.
    summer_now = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    assert due_in_words(datetime(2026, 7, 2, 22, 59, tzinfo=UTC), summer_now) == "due today"
    assert due_in_words(datetime(2026, 7, 3, 22, 59, tzinfo=UTC), summer_now) == "due tomorrow"


def test_overdue_and_dates() -> None:
    assert is_overdue(datetime(2026, 11, 1, tzinfo=UTC), NOW)
    assert not is_overdue(END_OF(2), NOW)
    assert date_in_words(END_OF(11)) == "11 November 2026"
    assert datetime_in_words(datetime(2026, 7, 1, 13, 5, tzinfo=UTC)) == "1 July 2026 at 2:05pm"
