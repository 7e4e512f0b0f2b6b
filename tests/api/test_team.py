"""The team routes: figures, preferences, tokens, saved replies, editing a waiting message;
hostile input is a clear 4xx, never a 5xx."""

from datetime import timedelta

import pytest
from django.utils import timezone

from parley.accounts.models import ApiToken
from parley.inbox.models import NotificationPreference
from parley.outbox.models import OutboxItem
from parley.outbox.services import message_send
from parley.replies.models import SavedReply
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(member, make_conversation):  # type: ignore[no-untyped-def]
    return message_send(
        member=member,
        conversation=make_conversation(),
        channel="inapp",
        body="Later",
        send_at=timezone.now() + timedelta(days=1),
    )


def test_report_answers_each_period_and_refuses_others(api):
    for period in ("7", "30", "90"):
        body = api.get("/reports/response-times", period=period).json()
        assert body["period"] == int(period) and len(body["days"]) == int(period)
    for bad in ("14", "x", "9" * 500, "30\u202e"):
        assert api.get("/reports/response-times", period=bad).status_code == 422


def test_saved_reply_crud_and_render(api, make_conversation):
    conversation = make_conversation(name="Mia Laine")
    created = api.post("/saved-replies", {"name": "Hi", "body": "Hi {{ first_name }}"}).json()

    patched = api.patch(f"/saved-replies/{created['id']}", {"subject": "For {{ name }}"})
    rendered = api.post(
        f"/saved-replies/{created['id']}/render", {"conversation_id": conversation.id}
    )

    assert patched.json()["body"] == "Hi {{ first_name }}"
    assert rendered.json() == {"subject": "For Mia Laine", "body": "Hi Mia"}
    assert api.delete(f"/saved-replies/{created['id']}").status_code == 204
    assert not SavedReply.objects.exists()


def test_a_bad_template_is_a_422_with_its_line(api):
    response = api.post("/saved-replies", {"name": "Bad", "body": "ok\n{{ first_name }"})

    assert response.status_code == 422
    assert response.json()["detail"]["body"][0].startswith("Line 2:")


@pytest.mark.parametrize(
    "body",
    [
        {"name": "a\x00b", "body": "x"},
        {"name": "x" * 81, "body": "x"},
        {"name": "\u202e", "body": "x"},
        {"name": 5, "body": "x"},
        {"name": "ok", "body": ["x"]},
        {"name": "ok", "body": "x" * 50_001},
        {"name": "ok", "body": "x", "extra": 1},
    ],
)
def test_saved_reply_hostile_input_is_a_422(api, body):
    assert api.post("/saved-replies", body).status_code == 422
    assert not SavedReply.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"preferences": [{"kind": "nope", "in_app": True, "email": True}]},
        {"preferences": [{"kind": "inbound", "in_app": "yes", "email": True}]},
        {"preferences": [{"kind": "inbound\x00", "in_app": True, "email": True}]},
        {"preferences": [{"kind": "inbound", "in_app": True, "email": True}] * 50},
        {"preferences": "inbound"},
    ],
)
def test_preferences_hostile_input_is_a_422(api, body):
    assert api.put("/notification-preferences", body).status_code == 422
    assert not NotificationPreference.objects.exists()


def test_tokens_create_list_revoke_and_a_revoked_token_stops_working(api, member):
    created = api.post("/api-tokens", {"name": "CRM"}).json()
    second = ApiClient(created["token"])

    assert second.get("/me").status_code == 200
    assert "token" not in api.get("/api-tokens").json()[0]
    assert api.delete(f"/api-tokens/{created['id']}").status_code == 204
    assert second.get("/me").status_code == 401
    for bad in ({"name": "x" * 81}, {"name": "a\x00"}, {"name": 7}):
        assert api.post("/api-tokens", bad).status_code == 422
    assert ApiToken.objects.filter(member=member).count() == 1


def test_edit_a_waiting_message_then_409_once_claimed(api, pending):
    path = f"/conversations/{pending.conversation_id}/messages/{pending.id}"
    later = (timezone.now() + timedelta(hours=3)).isoformat()

    edited = api.patch(path, {"body": "Sooner", "send_at": later})
    OutboxItem.objects.filter(message=pending).update(
        lease_until=timezone.now() + timedelta(minutes=5), leased_by="w"
    )
    refused = api.patch(path, {"body": "Again"})

    assert edited.status_code == 200 and edited.json()["body_text"] == "Sooner"
    assert refused.status_code == 409
    pending.refresh_from_db()
    assert pending.body_text == "Sooner"


@pytest.mark.parametrize(
    "body",
    [{"body": ""}, {"body": "x" * 50_001}, {"send_at": "tomorrow"}, {"send_at": 12}, {"x": 1}],
)
def test_edit_hostile_input_is_a_422(api, pending, body):
    path = f"/conversations/{pending.conversation_id}/messages/{pending.id}"
    assert api.patch(path, body).status_code == 422
