"""The Reports chart's y-axis: the top of the scale, the goal where its line is, and 0."""

import re
from datetime import date, timedelta

from parley.reports.charts import HEIGHT, daily_chart
from parley.reports.selectors import DayFigures, Figures

HOUR = 3600


def _days(*medians: float | None) -> list[DayFigures]:
    start = date(2026, 11, 1)
    return [
        DayFigures(start + timedelta(days=i), Figures(count=1 if m else 0, median=m))
        for i, m in enumerate(medians)
    ]


def _label(axis: str, name: str) -> tuple[float, str]:
    found = re.search(rf'<text x="[\d.]+" y="([\d.]+)" class="{name}"[^>]*>([^<]*)</text>', axis)
    assert found, axis
    return float(found.group(1)), found.group(2)


def test_the_axis_names_the_top_of_the_scale_the_goal_at_its_line_and_zero():
    chart = daily_chart(_days(2 * HOUR, 48 * HOUR, None), goal_seconds=24 * HOUR)

    top_y, top = _label(chart.axis, "top")
    goal_y, goal = _label(chart.axis, "goal")
    zero_y, zero = _label(chart.axis, "zero")
    line = re.search(r'<line x1="0" x2="\d+" y1="([\d.]+)"', chart.bars)
    assert (top, goal, zero) == ("2 d", "1 d", "0")
    assert line and float(line.group(1)) == goal_y
    assert top_y < goal_y < zero_y <= HEIGHT
    assert chart.goal_shown


def test_without_a_day_over_the_goal_there_is_no_goal_line_or_label():
    chart = daily_chart(_days(2 * HOUR, 90 * 60), goal_seconds=24 * HOUR)

    assert "<line" not in chart.bars
    assert 'class="goal"' not in chart.axis
    assert _label(chart.axis, "top")[1] == "2 h"
    assert not chart.goal_shown


def test_the_top_label_gives_way_to_the_goal_when_they_would_overlap():
    chart = daily_chart(_days(25 * HOUR), goal_seconds=24 * HOUR)

    assert 'class="top"' not in chart.axis
    assert _label(chart.axis, "goal")[1] == "1 d"
