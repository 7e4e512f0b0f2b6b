from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from parley.accounts.models import Member
from parley.core.errors import ValidationFailed
from parley.core.views import member_view
from parley.reports.charts import daily_chart
from parley.reports.selectors import DEFAULT_PERIOD, PERIODS, period_days, response_report


@member_view
@require_GET
def responses(request: HttpRequest, member: Member) -> HttpResponse:
    """Reports: the team's and each member's response times over 7, 30 or 90 days, the
    team's median by day, and how many conversations wait for a reply now."""
    errors: list[str] = []
    try:
        days = period_days(request.GET.get("period"))
    except ValidationFailed as exc:
        errors = [m for messages in exc.errors.values() for m in messages]
        days = DEFAULT_PERIOD
    report = response_report(workspace=member.workspace, days=days)
    context = {
        "report": report,
        "periods": PERIODS,
        "errors": errors,
        "chart": daily_chart(report.daily, goal_seconds=report.goal_hours * 3600),
    }
    return render(request, "reports/responses.html", context, status=400 if errors else 200)
