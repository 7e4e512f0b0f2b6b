"""The Reports page's chart: the team's median response time by day, as inline SVG sized by
attributes (the Content-Security-Policy allows no inline style), with a line at the goal
when a day reaches it, and a y-axis beside it: the top of the scale, the goal and zero.

The bars' SVG stretches to the page's width (`preserveAspectRatio="none"`), which would
stretch text too; the axis is an SVG of its own, drawn at its size, with the bars' height
(HEIGHT, the CSS height of both)."""

from dataclasses import dataclass

from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from parley.reports.selectors import DayFigures
from parley.reports.templatetags.report_tags import duration

HEIGHT = 140
TOP = 8  # room above the tallest bar for the top label's upper half
BAR = 10  # each day's column, with a gap
AXIS_WIDTH = 64
# Labels closer than this (px) to one above them are left out (the goal wins over the top).
LABEL_GAP = 14


@dataclass(frozen=True)
class Chart:
    bars: SafeString
    axis: SafeString
    goal_shown: bool


def daily_chart(daily: list[DayFigures], *, goal_seconds: int) -> Chart:
    medians = [d.responses.median or 0 for d in daily]
    top = max([*medians, 1.0])
    scale = (HEIGHT - TOP) / top
    width = BAR * len(daily)

    def bar(index: int, day: DayFigures) -> tuple[object, ...]:
        figures = day.responses
        height = max(1.0, (figures.median or 0) * scale) if figures.count else 0
        label = (
            ngettext(
                "%(day)s: median %(median)s, %(n)d response",
                "%(day)s: median %(median)s, %(n)d responses",
                figures.count,
            )
            % {
                "day": formats.date_format(day.day, "MONTH_DAY_FORMAT"),
                "median": duration(figures.median),
                "n": figures.count,
            }
            if figures.count
            else _("%(day)s: no responses")
            % {"day": formats.date_format(day.day, "MONTH_DAY_FORMAT")}
        )
        css = "over" if (figures.median or 0) > goal_seconds else "ok"
        return (
            index * BAR + 1,
            f"{HEIGHT - height:.1f}",
            BAR - 2,
            f"{height:.1f}",
            css,
            label,
        )

    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" class="{}"><title>{}</title></rect>',
        (bar(i, d) for i, d in enumerate(daily)),
    )
    goal_shown = top >= goal_seconds
    goal = ""
    goal_y = HEIGHT - goal_seconds * scale
    if goal_shown:
        goal = format_html(
            '<line x1="0" x2="{}" y1="{}" y2="{}" class="goal"><title>{}</title></line>',
            width,
            f"{goal_y:.1f}",
            f"{goal_y:.1f}",
            _("Goal: %(goal)s") % {"goal": duration(goal_seconds)},
        )
    svg = format_html(
        '<svg class="daily-chart" viewBox="0 0 {} {}" preserveAspectRatio="none" role="img" '
        'aria-label="{}" data-testid="daily-chart">{}{}</svg>',
        width,
        HEIGHT,
        _("The team's median response time by day"),
        bars,
        goal,
    )
    goal_tick = (goal_y, duration(goal_seconds)) if goal_shown else None
    return Chart(bars=svg, axis=_axis(top, goal_tick), goal_shown=goal_shown)


def _axis(top: float, goal: tuple[float, str] | None) -> SafeString:
    """The y-axis: the top of the scale, the goal (when drawn: its height and label) and 0;
    the top's label is left out where it would overlap the goal's."""
    ticks: list[tuple[float, str, str]] = [(HEIGHT, "0", "zero")]
    goal_y = None
    if goal is not None:
        goal_y, label = goal
        ticks.append((goal_y, label, "goal"))
    if goal_y is None or goal_y - TOP >= LABEL_GAP:
        ticks.append((TOP, duration(top), "top"))
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" class="{}" data-testid="axis-{}">{}</text>',
        (
            (AXIS_WIDTH - 6, f"{min(max(y, 10.0), HEIGHT - 1):.1f}", css, css, text)
            for y, text, css in ticks
        ),
    )
    return format_html(
        '<svg class="chart-y" viewBox="0 0 {} {}" width="{}" height="{}" aria-hidden="true">'
        "{}</svg>",
        AXIS_WIDTH,
        HEIGHT,
        AXIS_WIDTH,
        HEIGHT,
        labels,
    )
