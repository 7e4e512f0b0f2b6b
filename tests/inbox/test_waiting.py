"""Conversations waiting for our reply past the 24-hour goal are marked in the list and the
thread; a reply takes the mark away."""

from datetime import UTC, datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from parley.inbox.services import message_record
from parley.inbox.waiting import waiting_text

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def test_waiting_text_says_hours_then_days_and_nothing_within_the_goal():
    assert waiting_text(None, NOW) == ""
    assert waiting_text(NOW - timedelta(hours=23, minutes=59), NOW) == ""
    assert waiting_text(NOW - timedelta(hours=26), NOW) == "Waiting 26 h"
    assert waiting_text(NOW - timedelta(days=3, hours=5), NOW) == "Waiting 3 d"


def test_list_and_thread_mark_a_creator_waiting_over_a_day(logged_in, member, make_conversation):
    late = make_conversation(name="Late Lina", inbound=1, at=timezone.now() - timedelta(hours=30))
    make_conversation(name="Fresh Fay", inbound=1)

    page = logged_in.get(reverse("inbox:list")).content.decode()
    thread = logged_in.get(reverse("inbox:thread", args=[late.id])).content.decode()

    rows = {
        row.split('data-conversation="')[1].split('"')[0]: row
        for row in page.split("<li")[1:]
        if 'data-conversation="' in row
    }
    assert 'data-testid="waiting-mark">Waiting 30 h<' in rows[str(late.id)]
    assert len([r for r in rows.values() if "waiting-mark" in r]) == 1
    assert 'data-testid="waiting-mark"' in thread and "Waiting 30 h" in thread


def test_a_reply_takes_the_mark_away(logged_in, member, make_conversation):
    late = make_conversation(inbound=1, at=timezone.now() - timedelta(hours=30))
    message_record(
        conversation=late,
        channel="inapp",
        direction="out",
        status="sent",
        body_text="Sorry for the wait",
        author_member=member,
    )

    thread = logged_in.get(reverse("inbox:thread", args=[late.id])).content.decode()

    assert "waiting-mark" not in thread
