"""The Reports page: the figures in words, the periods, the empty state, bad input."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.reports.messages import inbound, reply


@pytest.fixture
def answered(member, make_conversation):  # type: ignore[no-untyped-def]
    """One reply after 2 h 30 min, yesterday; one creator waiting for two days."""
    now = timezone.now()
    conversation = make_conversation(at=now - timedelta(days=1))
    inbound(conversation, now - timedelta(days=1))
    reply(conversation, member, now - timedelta(days=1) + timedelta(hours=2, minutes=30))
    make_conversation(inbound=1, at=now - timedelta(days=2))


def test_reports_page_shows_team_and_member_figures_and_the_chart(logged_in, member, answered):
    response = logged_in.get(reverse("reports:responses"), {"period": "7"})

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="team-median">2 h 30 min<' in page
    assert 'data-testid="waiting">1<' in page
    assert 'href="/inbox/?awaiting=1">1</a>' in page
    assert f'data-member="{member.id}"' in page
    chart = page[page.index('<svg class="daily-chart"') :]
    assert chart[: chart.index("</svg>")].count("<rect ") == 7
    assert 'data-testid="axis-top">2 h 30 min<' in page
    assert 'aria-current="page" data-testid="period-7"' in page


def test_reports_page_without_responses_says_what_to_do_first(logged_in):
    response = logged_in.get(reverse("reports:responses"))

    assert response.status_code == 200
    assert 'data-testid="reports-empty"' in response.content.decode()
    assert 'href="/reports/" aria-current="page"' in response.content.decode()


@pytest.mark.parametrize("period", ["14", "x", "9" * 5000, "7\u202e", "[]"])
def test_a_bad_period_is_a_400_with_the_default_period(logged_in, period):
    response = logged_in.get(reverse("reports:responses"), {"period": period})

    assert response.status_code == 400
    assert "7, 30 or 90" in response.content.decode()


def test_a_nul_in_the_period_is_a_400(logged_in):
    response = logged_in.get(reverse("reports:responses"), {"period": "30\x00"})

    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_reports_page_counts_only_own_workspace(client, other_member, answered):
    client.force_login(other_member.user)

    response = client.get(reverse("reports:responses"), {"period": "90"})

    assert 'data-testid="reports-empty"' in response.content.decode()
    assert 'data-testid="waiting">0<' in response.content.decode()
