"""The SMS API against the local Twilio: connect (tested first, secrets never returned),
test, Twilio's list of numbers, add a sender, its rate, disconnect; counting segments;
sending an SMS to a conversation; a bulk SMS through the broadcasts API."""

import pytest

from parley.channels.sms.health import opt_out_set
from parley.channels.sms.models import SmsNumber, TwilioAccount
from parley.inbox.models import Message
from tests.api.conftest import ApiClient
from tests.channels.sms.twilio_fake import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    KEY_SECRET,
    KEY_SID,
    NUMBER,
    NUMBER_SID,
    SERVICE_SID,
)
from tests.sms_fixtures import CREATOR_PHONE

pytestmark = pytest.mark.django_db


def test_connect_then_add_a_number_and_see_it(api, twilio):
    assert api.get("/sms").json()["connected"] is False

    connected = api.post("/sms/connection", {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN})

    assert connected.status_code == 201, connected.content
    body = connected.json()
    assert body["account"]["login"] == "auth_token" and body["account"]["verifies_webhooks"]
    assert AUTH_TOKEN not in connected.content.decode()
    assert body["webhooks"]["inbound_url"].endswith("/inbound/")
    available = api.get("/sms/connection/numbers").json()
    assert {n["sid"]: n["added"] for n in available["numbers"]}[NUMBER_SID] is False
    assert [s["sid"] for s in available["services"]] == [SERVICE_SID]

    added = api.post("/sms/numbers", {"twilio_sid": NUMBER_SID, "per_second": 3})

    assert added.status_code == 201, added.content
    assert added.json()["phone_number"] == NUMBER and added.json()["per_second"] == 3
    assert added.json()["webhooks_set"] and added.json()["is_default"]
    listed = api.get("/sms").json()
    assert [n["twilio_sid"] for n in listed["numbers"]] == [NUMBER_SID]
    assert api.get("/sms/connection/numbers").json()["numbers"][0]["added"] is True
    assert api.post("/sms/numbers", {"twilio_sid": NUMBER_SID}).status_code == 409


def test_connect_with_an_api_key(api, twilio):
    response = api.post(
        "/sms/connection",
        {"account_sid": ACCOUNT_SID, "api_key_sid": KEY_SID, "api_key_secret": KEY_SECRET},
    )
    assert response.status_code == 201
    account = response.json()["account"]
    assert (account["login"], account["verifies_webhooks"]) == ("api_key", False)
    assert KEY_SECRET not in response.content.decode()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"account_sid": ACCOUNT_SID, "auth_token": "0" * 32}, "auth_token"),
        (
            {"account_sid": ACCOUNT_SID, "api_key_sid": KEY_SID, "api_key_secret": "1" * 32},
            "api_key_secret",
        ),
    ],
)
def test_wrong_credentials_are_a_422_on_the_field(api, twilio, body, field):
    response = api.post("/sms/connection", body)

    assert response.status_code == 422
    assert field in response.json()["detail"]
    assert not TwilioAccount.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"account_sid": ACCOUNT_SID},  # no login at all
        {"account_sid": ACCOUNT_SID, "api_key_sid": KEY_SID},  # a key without its secret
        {"account_sid": "AC12", "auth_token": AUTH_TOKEN},
        {"account_sid": ACCOUNT_SID, "auth_token": "short"},
        {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "extra": 1},
    ],
)
def test_malformed_connect_bodies_are_422(api, twilio, body):
    assert api.post("/sms/connection", body).status_code == 422


def test_twilio_unreachable_is_502(api, settings):
    settings.PARLEY_TWILIO_API_URL = "http://127.0.0.1:9"  # nothing listens

    response = api.post("/sms/connection", {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN})

    assert response.status_code == 502 and "could not be reached" in response.json()["detail"]


def test_members_may_read_but_not_change(member, teammate, sms_number):
    from parley.accounts.services import api_token_create

    other = ApiClient(api_token_create(member=teammate, name="t")[1])

    assert other.get("/sms").json()["connected"] is True
    assert other.post("/sms/connection/test").json() == {"ok": True, "error": ""}
    assert other.delete("/sms/connection").status_code == 403
    assert other.patch(f"/sms/numbers/{sms_number.id}", {"per_second": 5}).status_code == 403
    assert other.post("/sms/numbers", {"twilio_sid": SERVICE_SID}).status_code == 403


def test_rate_default_remove_and_disconnect(api, member, sms_number, twilio):
    service = api.post("/sms/numbers", {"twilio_sid": SERVICE_SID}).json()

    changed = api.patch(f"/sms/numbers/{service['id']}", {"per_second": 25.5, "is_default": True})

    assert changed.status_code == 200
    assert (changed.json()["per_second"], changed.json()["is_default"]) == (25.5, True)
    assert api.patch(f"/sms/numbers/{service['id']}", {"per_second": 0}).status_code == 422
    assert api.patch(f"/sms/numbers/{service['id']}", {"per_second": 501}).status_code == 422
    assert api.delete(f"/sms/numbers/{service['id']}").status_code == 204
    assert SmsNumber.objects.get(id=sms_number.id).is_default
    assert api.delete("/sms/connection").status_code == 204
    assert api.get("/sms").json() == {
        "connected": False,
        "account": None,
        "numbers": [],
        "webhooks": None,
        "max_segments": 10,
    }
    assert api.post("/sms/connection/test").status_code == 404


def test_a_refused_test_says_why(api, sms_account, twilio):
    twilio.state.auth_token = "rotated" * 5
    assert api.post("/sms/connection/test").json()["ok"] is False
    assert api.get("/sms").json()["account"]["needs_reauth"] is True


@pytest.mark.parametrize(
    ("text", "encoding", "segments", "over"),
    [
        ("Hei, mitä kuuluu?", "GSM-7", 1, False),
        ("Hi 😀", "UCS-2", 1, False),
        ("a" * 161, "GSM-7", 2, False),
        ("a" * 1531, "GSM-7", 11, True),
    ],
)
def test_segments(api, text, encoding, segments, over):
    body = api.post("/sms/segments", {"body": text}).json()
    assert (body["encoding"], body["segments"], body["over_limit"]) == (encoding, segments, over)


def test_send_an_sms_to_a_conversation(api, sms_number, phone_thread, twilio):
    conversation = phone_thread()

    response = api.post(
        f"/conversations/{conversation.id}/messages", {"channel": "sms", "body": "Moi!"}
    )

    assert response.status_code == 201, response.content
    assert response.json()["channel"] == "sms" and response.json()["status"] == "queued"
    explicit = api.post(
        f"/conversations/{conversation.id}/messages",
        {"channel": "sms", "number_id": sms_number.id, "body": "Again"},
    )
    assert explicit.status_code == 201


@pytest.mark.parametrize(
    ("setup", "status", "field"),
    [
        ("opted_out", 409, "conversation"),
        ("no_phone", 409, "conversation"),
        ("too_long", 422, "body"),
    ],
)
def test_sms_refusals(
    api, member, sms_number, phone_thread, make_conversation, twilio, setup, status, field
):
    conversation = make_conversation() if setup == "no_phone" else phone_thread()
    if setup == "opted_out":
        opt_out_set(
            workspace_id=member.workspace_id, phone=CREATOR_PHONE, opted_out=True, keyword="STOP"
        )
    body = "x" * 1531 if setup == "too_long" else "Hi"

    response = api.post(
        f"/conversations/{conversation.id}/messages", {"channel": "sms", "body": body}
    )

    assert response.status_code == status
    assert field in response.json()["detail"]
    assert not Message.objects.filter(channel="sms").exists()


def test_sms_without_a_connected_number_is_404(api, phone_thread, twilio):
    conversation = phone_thread()
    response = api.post(
        f"/conversations/{conversation.id}/messages", {"channel": "sms", "body": "Hi"}
    )
    assert response.status_code == 404


def test_a_bulk_sms_through_the_broadcasts_api(
    api, member, sms_number, phone_thread, make_conversation, twilio
):
    texted = phone_thread()
    silent = make_conversation(name="No Phone")

    checked = api.post(
        "/broadcasts",
        {
            "creator_ids": [texted.creator_id, silent.creator_id],
            "channel": "sms",
            "body": "Hei {{ first_name }}!",
            "check_only": True,
        },
    )

    assert checked.status_code == 200, checked.content
    body = checked.json()
    assert body["ok"] and body["sendable"] == 1
    assert body["skipped"] == [
        {"creator_id": silent.creator_id, "name": "No Phone", "reason": "No phone number"}
    ]
    assert body["segments"] == [{"creator_id": texted.creator_id, "segments": 1}]

    sent = api.post(
        "/broadcasts",
        {
            "creator_ids": [texted.creator_id, silent.creator_id],
            "channel": "sms",
            "sms_number_id": sms_number.id,
            "body": "Hei {{ first_name }}!",
        },
    )
    assert sent.status_code == 201, sent.content
    assert sent.json()["channel"] == "sms"
