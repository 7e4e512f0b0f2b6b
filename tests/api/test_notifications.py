from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from parley.inbox.models import Notification
from parley.inbox.services import conversation_assign, conversation_mark_unread
from tests.api.conftest import PREFIX

pytestmark = pytest.mark.django_db


def test_list_latest_notifications_first(api, member, make_conversation):
    # given three inbound messages in three conversations, at different times
    now = timezone.now()
    made = [
        make_conversation(name=f"Creator {i}", inbound=1, at=now - timedelta(hours=3 - i))
        for i in range(3)
    ]

    # when the latest two are asked for
    response = api.get("/notifications", limit=2)

    # then the newest comes first, with its conversation and creator
    assert response.status_code == 200
    items = response.json()
    assert [n["conversation_id"] for n in items] == [made[2].id, made[1].id]
    assert items[0]["kind"] == "inbound"
    assert items[0]["creator"] == {"id": made[2].creator_id, "name": "Creator 2"}
    assert items[0]["read_at"] is None
    assert items[0]["text"].startswith("hello 0")


def test_the_text_is_in_the_requests_language(api, member, teammate, make_conversation):
    conversation = make_conversation(name="Mia Laine")
    with translation.override("en"):  # assigned by a teammate who reads English
        conversation_assign(actor=teammate, conversation=conversation, assignee=member)

    answer = api.client.get(
        PREFIX + "/notifications", headers={**api._headers(), "Accept-Language": "de"}
    )

    assert answer.status_code == 200
    with translation.override("de"):
        german = gettext("%(actor)s assigned a conversation to you") % {"actor": teammate}
    assert answer.json()[0]["text"] == german != Notification.objects.get(kind="assigned").text


def test_list_is_the_members_own(api, member, teammate, make_conversation):
    conversation = make_conversation()
    conversation_mark_unread(member=teammate, conversation=conversation)

    assert api.get("/notifications").json() == []


def test_list_rejects_a_bad_limit(api):
    response = api.get("/notifications", limit=500)

    assert response.status_code == 422
    assert response.json() == {"detail": {"limit": ["Ensure this is at most 50."]}}


def test_mark_all_read(api, member, teammate, make_conversation):
    make_conversation(inbound=2)

    response = api.post("/notifications/read")

    assert response.status_code == 200
    assert response.json() == {"count": 2}
    assert not Notification.objects.filter(member=member, read_at__isnull=True).exists()
    # a teammate's stay unread
    assert Notification.objects.filter(member=teammate, read_at__isnull=True).count() == 2
    assert api.post("/notifications/read").json() == {"count": 0}
