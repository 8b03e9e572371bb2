"""The observation chart's geometry, pure: no database, no browser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.pages.chart import BOTTOM, HEIGHT, LEFT, RIGHT, TOP, WIDTH, ChartPoint, plot

T0 = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
TZ = "Europe/London"


def test_points_spread_over_time_and_rise_with_the_score() -> None:
    result = plot([ChartPoint(T0, 0, True), ChartPoint(T0 + timedelta(hours=2), 3, False),
                   ChartPoint(T0 + timedelta(hours=8), 7, True)], baseline=1, tz=TZ)
    first, middle, last = result.points
    assert first.x == LEFT and last.x == WIDTH - RIGHT
    assert middle.x == pytest.approx(LEFT + (WIDTH - RIGHT - LEFT) / 4)
    # Higher scores sit higher on the page (smaller y), inside the plot area.
    assert TOP < last.y < middle.y < first.y < HEIGHT - BOTTOM
    assert [p.hollow for p in result.points] == [False, True, False]
    assert result.path.startswith(f"M {LEFT},") and result.path.count(" L ") == 2
    assert result.baseline_y is not None and middle.y < result.baseline_y < first.y


def test_the_scale_is_linear_and_the_bands_meet_at_the_rcp_thresholds() -> None:
    result = plot([ChartPoint(T0, 0, True), ChartPoint(T0 + timedelta(hours=1), 4, True)],
                  baseline=None, tz=TZ)
    ticks = {t.label: t.position for t in result.y_ticks}
    assert list(ticks) == [str(v) for v in range(0, 10)]  # at least 0-9, so bands show
    assert [t.label for t in result.y_ticks if not t.minor] == ["0", "2", "4", "6", "8"]
    step = ticks["0"] - ticks["1"]
    assert ticks["4"] == pytest.approx(ticks["0"] - 4 * step)
    low, medium, high = result.bands
    assert (low.risk, medium.risk, high.risk) == ("low", "medium", "high")
    # 4 is in the low band, 5 and 6 in the medium one, 7 in the high one.
    assert low.y < ticks["4"] < low.y + low.height
    assert medium.y < ticks["5"] and ticks["6"] < medium.y + medium.height
    assert medium.y == pytest.approx(low.y - medium.height)
    assert high.y < ticks["7"] < medium.y and high.y == pytest.approx(TOP)
    assert low.y + low.height == pytest.approx(HEIGHT - BOTTOM)
    assert result.baseline_y is None


def test_high_scores_stretch_the_scale_up_to_twenty() -> None:
    result = plot([ChartPoint(T0, 12, True), ChartPoint(T0 + timedelta(hours=1), 20, True)],
                  baseline=None, tz=TZ)
    labels = [t.label for t in result.y_ticks]
    assert labels[-1] == "20" and labels[1] == "2"  # every other score once it is crowded
    assert result.points[1].y > TOP


def test_unscored_sets_are_left_off_and_a_single_set_sits_in_the_middle() -> None:
    result = plot([ChartPoint(T0, None, False), ChartPoint(T0 + timedelta(hours=1), 2, False)],
                  baseline=None, tz=TZ)
    assert len(result.points) == 1 and result.path == ""
    assert result.points[0].x == WIDTH - RIGHT
    alone = plot([ChartPoint(T0, 2, True)], baseline=2, tz=TZ)
    assert alone.points[0].x == pytest.approx((LEFT + WIDTH - RIGHT) / 2)
    assert alone.baseline_y == pytest.approx(alone.points[0].y)
    assert [(t.label, t.sublabel) for t in alone.x_ticks] == [("10 Nov", "08:00")]
    empty = plot([], baseline=None, tz=TZ)
    assert empty.points == () and empty.x_ticks == () and empty.path == ""


def test_time_labels_are_local_and_at_most_six() -> None:
    points = [ChartPoint(T0 + timedelta(hours=4 * i), i % 5, True) for i in range(20)]
    result = plot(points, baseline=None, tz=TZ)
    assert len(result.x_ticks) == 6
    assert result.x_ticks[0].position == LEFT and result.x_ticks[-1].position == WIDTH - RIGHT
    summer = plot([ChartPoint(datetime(2026, 7, 1, 8, 0, tzinfo=UTC), 1, True)], None, tz=TZ)
    assert summer.x_ticks[0].sublabel == "09:00"  # British Summer Time
