"""The Reports page's chart: the team's median response time by day, as inline SVG sized by
attributes (the Content-Security-Policy allows no inline style), with a line at the goal
when a day reaches it."""

from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from parley.reports.selectors import DayFigures
from parley.reports.templatetags.report_tags import duration

HEIGHT = 120
BAR = 10  # each day's column, with a gap


def daily_chart_svg(daily: list[DayFigures], *, goal_seconds: int) -> SafeString:
    medians = [d.responses.median or 0 for d in daily]
    top = max([*medians, 1.0])
    scale = (HEIGHT - 4) / top
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
    goal = ""
    if top >= goal_seconds:
        y = HEIGHT - goal_seconds * scale
        goal = format_html(
            '<line x1="0" x2="{}" y1="{}" y2="{}" class="goal"><title>{}</title></line>',
            width,
            f"{y:.1f}",
            f"{y:.1f}",
            _("Goal: %(goal)s") % {"goal": duration(goal_seconds)},
        )
    return format_html(
        '<svg class="daily-chart" viewBox="0 0 {} {}" preserveAspectRatio="none" role="img" '
        'aria-label="{}" data-testid="daily-chart">{}{}</svg>',
        width,
        HEIGHT,
        _("The team's median response time by day"),
        bars,
        goal,
    )
