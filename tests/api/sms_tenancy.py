"""The SMS routes in the tenancy walk (tests/api/test_tenancy.py): each workspace's own Twilio
account and number and a creator with a phone; the cases with another workspace's ids; and,
for the routes without ids, tests that they see and touch only the token's workspace."""

from typing import Any

from django.utils import timezone

from parley.accounts.models import Member
from parley.channels.sms.models import SmsNumber, SmsOptOut, SmsRecord, TwilioAccount
from parley.core.crypto import secret_encrypt
from parley.creators.models import Creator, Identity
from tests.channels.sms.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, NUMBER, NUMBER_SID, SERVICE_SID


def sms_world(*, acting: Member, creator: Creator, prefix: str) -> dict[str, int]:
    """A Twilio account (the local Twilio's, both: an agency may use one account for two
    brands), one number, and a phone for the creator. Only the own workspace's token is the
    one the local Twilio takes."""
    own = not prefix
    account = TwilioAccount.objects.create(
        workspace=acting.workspace,
        connected_by=acting,
        account_sid=ACCOUNT_SID,
        auth_token=secret_encrypt(AUTH_TOKEN if own else "f" * 32),
        webhook_key=f"{prefix or 'own'}-key-" + "k" * 30,
        connected_at=timezone.now(),
    )
    number = SmsNumber.objects.create(
        workspace=acting.workspace,
        account=account,
        twilio_sid=NUMBER_SID if own else SERVICE_SID,
        kind=SmsNumber.Kind.NUMBER if own else SmsNumber.Kind.SERVICE,
        phone_number=NUMBER if own else "",
        is_default=True,
        added_at=timezone.now(),
    )
    phone = "+358401234567" if own else "+358409876543"
    Identity.objects.create(
        workspace=acting.workspace, creator=creator, kind="phone", value=phone, normalized=phone
    )
    return {"sms_number": number.id}


def sms_snapshot() -> dict[str, list[Any]]:
    return {
        "twilio_accounts": list(
            TwilioAccount.objects.order_by("id").values_list(
                "id", "workspace_id", "is_active", "auth_token", "needs_reauth", "last_checked_at"
            )
        ),
        "sms_numbers": list(
            SmsNumber.objects.order_by("id").values_list(
                "id", "workspace_id", "is_active", "is_default", "per_second"
            )
        ),
        "sms_records": list(SmsRecord.objects.order_by("id").values_list("id", "message_id")),
        "sms_opt_outs": list(SmsOptOut.objects.order_by("id").values_list("id", "opted_out")),
    }


_SMS = {"channel": "sms", "body": "Hei!"}
_BULK = {"creator_ids": ["{creator}"], "channel": "sms", "body": "Hei {{ first_name }}!"}

SMS_CASES: list[tuple[tuple[str, str], str, str, Any, dict[str, Any]]] = [
    (
        ("patch", "/sms/numbers/{number_id}"),
        "patch",
        "/sms/numbers/{f_sms_number}",
        {"per_second": 2},
        {},
    ),
    (("delete", "/sms/numbers/{number_id}"), "delete", "/sms/numbers/{f_sms_number}", None, {}),
    (
        ("post", "/conversations/{conversation_id}/messages"),
        "post",
        "/conversations/{conversation}/messages",
        {**_SMS, "number_id": "{f_sms_number}"},
        {},
    ),
    (
        ("post", "/conversations/{conversation_id}/messages"),
        "post",
        "/conversations/{f_conversation}/messages",
        {**_SMS, "number_id": "{sms_number}"},
        {},
    ),
    (
        ("post", "/broadcasts"),
        "post",
        "/broadcasts",
        {**_BULK, "sms_number_id": "{f_sms_number}"},
        {},
    ),
    (
        ("post", "/broadcasts"),
        "post",
        "/broadcasts",
        {**_BULK, "sms_number_id": "{f_sms_number}", "check_only": True},
        {},
    ),
]

SMS_ROUTES_WITHOUT_IDS = {
    ("get", "/sms"): "test_sms_connection_is_own_workspace_only",
    ("post", "/sms/connection"): "test_sms_connect_lands_in_own_workspace",
    ("post", "/sms/connection/test"): "test_sms_test_asks_with_own_credentials_only",
    ("get", "/sms/connection/numbers"): "test_sms_available_numbers_mark_own_senders_only",
    ("delete", "/sms/connection"): "test_sms_disconnect_is_own_workspace_only",
    ("post", "/sms/numbers"): "test_sms_number_added_to_own_workspace",
    ("post", "/sms/segments"): "test_sms_segments_read_and_change_nothing",
}


def _foreign_account(world: dict[str, int]) -> TwilioAccount:
    return SmsNumber.objects.get(id=world["f_sms_number"]).account


def test_sms_connection_is_own_workspace_only(api, world):  # type: ignore[no-untyped-def]
    body = api.get("/sms").json()

    assert [n["id"] for n in body["numbers"]] == [world["sms_number"]]
    assert "own-key" in body["webhooks"]["inbound_url"]


def test_sms_connect_lands_in_own_workspace(api, member, world, twilio):  # type: ignore[no-untyped-def]
    foreign = _foreign_account(world)
    assert api.delete("/sms/connection").status_code == 204

    response = api.post("/sms/connection", {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN})

    assert response.status_code == 201, response.content
    account = TwilioAccount.objects.get(workspace=member.workspace, is_active=True)
    assert account.id != foreign.id
    after = TwilioAccount.objects.get(id=foreign.id)
    assert (after.is_active, after.auth_token) == (True, foreign.auth_token)


def test_sms_test_asks_with_own_credentials_only(api, world, twilio):  # type: ignore[no-untyped-def]
    foreign = _foreign_account(world)

    assert api.post("/sms/connection/test").json() == {"ok": True, "error": ""}

    after = TwilioAccount.objects.get(id=foreign.id)
    assert after.last_checked_at == foreign.last_checked_at and not after.needs_reauth


def test_sms_available_numbers_mark_own_senders_only(api, world, twilio):  # type: ignore[no-untyped-def]
    body = api.get("/sms/connection/numbers").json()

    assert {n["sid"]: n["added"] for n in body["numbers"]}[NUMBER_SID] is True
    # the other workspace sends from the service; here it is not added
    assert {s["sid"]: s["added"] for s in body["services"]}[SERVICE_SID] is False


def test_sms_disconnect_is_own_workspace_only(api, world):  # type: ignore[no-untyped-def]
    assert api.delete("/sms/connection").status_code == 204

    foreign = SmsNumber.objects.get(id=world["f_sms_number"])
    assert foreign.is_active and foreign.account.is_active
    assert not SmsNumber.objects.get(id=world["sms_number"]).is_active


def test_sms_number_added_to_own_workspace(api, member, world, twilio):  # type: ignore[no-untyped-def]
    response = api.post("/sms/numbers", {"twilio_sid": SERVICE_SID, "set_webhooks": False})

    assert response.status_code == 201, response.content
    added = SmsNumber.objects.get(id=response.json()["id"])
    assert added.workspace_id == member.workspace_id and not added.is_default
    assert SmsNumber.objects.get(id=world["f_sms_number"]).is_default


def test_sms_segments_read_and_change_nothing(api, world):  # type: ignore[no-untyped-def]
    from tests.api.test_tenancy import snapshot

    before = snapshot()
    assert api.post("/sms/segments", {"body": "Hei"}).json()["segments"] == 1
    assert snapshot() == before
