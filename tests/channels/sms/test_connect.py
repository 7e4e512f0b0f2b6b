"""Connecting Twilio against the local Twilio: tested before saving, secrets encrypted, clear
errors for wrong credentials, numbers and Messaging Services picked, webhooks set through
Twilio's API or shown to paste when the key may not."""

import pytest

from parley.channels.sms.models import SmsNumber, TwilioAccount
from parley.channels.sms.services import (
    Login,
    account_connect,
    account_disconnect,
    account_test,
    number_add,
    number_remove,
    number_update,
    senders_available,
    webhook_urls,
)
from parley.core.crypto import secret_decrypt
from parley.core.errors import Conflict, PermissionDenied, ValidationFailed
from parley.inbox.models import Notification
from tests.channels.sms.twilio_fake import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    KEY_SECRET,
    KEY_SID,
    NUMBER,
    NUMBER_SID,
    SECOND_SID,
    SERVICE_NUMBER,
    SERVICE_SID,
)

pytestmark = pytest.mark.django_db


def test_connect_with_the_auth_token_stores_it_encrypted(member, twilio):
    account = account_connect(
        member=member, login=Login(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)
    )

    stored = TwilioAccount.objects.get(id=account.id)
    assert stored.workspace_id == member.workspace_id and stored.is_active
    assert stored.friendly_name == "Brand Ltd" and stored.account_type == "Full"
    assert AUTH_TOKEN not in stored.auth_token and secret_decrypt(stored.auth_token) == AUTH_TOKEN
    assert stored.api_key_sid == "" and len(stored.webhook_key) >= 40
    assert twilio.state.requests == 1  # Twilio was asked first


@pytest.mark.parametrize(
    ("login", "field", "words"),
    [
        (Login(ACCOUNT_SID, auth_token="0" * 32), "auth_token", "refused this Account SID"),
        (
            Login(ACCOUNT_SID, api_key_sid=KEY_SID, api_key_secret="y" * 32),
            "api_key_secret",
            "refused this API key",
        ),
        (Login("AC" + "9" * 32, auth_token=AUTH_TOKEN), "auth_token", "refused"),
        (Login("AC12", auth_token=AUTH_TOKEN), "account_sid", "AC followed by 32"),
        (Login(ACCOUNT_SID), "auth_token", "Enter the auth token"),
        (
            Login(ACCOUNT_SID, api_key_sid="SK1", api_key_secret=KEY_SECRET),
            "api_key_sid",
            "SK followed",
        ),
    ],
)
def test_wrong_credentials_are_a_clear_error_and_nothing_is_saved(
    member, twilio, login, field, words
):
    with pytest.raises(ValidationFailed) as caught:
        account_connect(member=member, login=login)

    assert field in caught.value.errors
    assert words in " ".join(caught.value.errors[field])
    assert not TwilioAccount.objects.exists()


def test_an_account_twilio_does_not_know_is_said_so(member, twilio):
    twilio.state.api_keys = {}
    twilio.state.account_sid = "AC" + "7" * 32  # the login opens another account
    twilio.state.auth_token = AUTH_TOKEN

    with pytest.raises(ValidationFailed):
        account_connect(member=member, login=Login(ACCOUNT_SID, auth_token=AUTH_TOKEN))
    assert not TwilioAccount.objects.exists()


def test_a_suspended_account_is_refused(member, twilio):
    twilio.state.status = "suspended"
    with pytest.raises(ValidationFailed) as caught:
        account_connect(member=member, login=Login(ACCOUNT_SID, auth_token=AUTH_TOKEN))
    assert "suspended" in caught.value.errors["account_sid"][0]


def test_connect_with_an_api_key_and_the_token_for_webhooks(member, twilio):
    account = account_connect(
        member=member,
        login=Login(
            ACCOUNT_SID, auth_token=AUTH_TOKEN, api_key_sid=KEY_SID, api_key_secret=KEY_SECRET
        ),
    )

    assert account.api_key_sid == KEY_SID
    assert secret_decrypt(account.api_key_secret) == KEY_SECRET
    assert account.verifies_webhooks
    # both were tried: the key (to send with) and the token (to check webhooks with)
    assert twilio.state.requests == 2


def test_an_api_key_alone_sends_but_cannot_verify_webhooks(member, twilio):
    account = account_connect(
        member=member, login=Login(ACCOUNT_SID, api_key_sid=KEY_SID, api_key_secret=KEY_SECRET)
    )
    assert not account.verifies_webhooks


def test_only_admins_connect_and_one_account_at_a_time(member, teammate, twilio):
    with pytest.raises(PermissionDenied):
        account_connect(member=teammate, login=Login(ACCOUNT_SID, auth_token=AUTH_TOKEN))
    account_connect(member=member, login=Login(ACCOUNT_SID, auth_token=AUTH_TOKEN))
    with pytest.raises(Conflict):
        account_connect(member=member, login=Login(ACCOUNT_SID, auth_token=AUTH_TOKEN))


def test_reconnecting_keeps_the_webhook_urls(member, sms_account):
    before = webhook_urls(sms_account)
    account_disconnect(member=member, account=sms_account)
    assert TwilioAccount.objects.get(id=sms_account.id).auth_token == ""

    again = account_connect(member=member, login=Login(ACCOUNT_SID, auth_token=AUTH_TOKEN))

    assert again.id == sms_account.id and webhook_urls(again) == before


def test_numbers_and_services_are_listed_from_twilio(sms_account):
    available = senders_available(account=sms_account)

    assert {(n.sid, n.phone_number, n.sms) for n in available.numbers} >= {
        (NUMBER_SID, NUMBER, True),
        (SECOND_SID, "+15017122662", False),
    }
    assert [(s.sid, s.phone_numbers) for s in available.services] == [
        (SERVICE_SID, (SERVICE_NUMBER,))
    ]


def test_adding_a_number_sets_its_webhook_in_twilio(member, sms_account, twilio):
    number = number_add(member=member, account=sms_account, twilio_sid=NUMBER_SID)

    assert (number.phone_number, number.kind, number.is_default) == (NUMBER, "number", True)
    assert number.webhooks_set and number.per_second == 1.0
    assert twilio.state.numbers[NUMBER_SID]["sms_url"] == webhook_urls(sms_account)[0]


def test_adding_a_messaging_service_sets_both_webhooks(member, sms_account, twilio):
    service = number_add(member=member, account=sms_account, twilio_sid=SERVICE_SID)

    assert service.kind == SmsNumber.Kind.SERVICE and service.service_numbers == [SERVICE_NUMBER]
    inbound, status = webhook_urls(sms_account)
    stored = twilio.state.services[SERVICE_SID]
    assert (stored["inbound_request_url"], stored["status_callback"]) == (inbound, status)


def test_when_the_key_may_not_set_webhooks_the_number_says_why(member, sms_account, twilio):
    twilio.state.updates_forbidden = True

    number = number_add(member=member, account=sms_account, twilio_sid=NUMBER_SID)

    assert not number.webhooks_set and "70051" in number.webhooks_error


@pytest.mark.parametrize(
    ("sid", "field"),
    [(SECOND_SID, "twilio_sid"), ("PN" + "0" * 32, "twilio_sid"), ("XX1", "twilio_sid")],
)
def test_a_number_that_cannot_text_or_is_not_the_accounts_is_refused(
    member, sms_account, sid, field
):
    with pytest.raises(ValidationFailed) as caught:
        number_add(member=member, account=sms_account, twilio_sid=sid)
    assert field in caught.value.errors
    assert not SmsNumber.objects.exists()


def test_rate_default_and_remove(member, sms_account):
    first = number_add(member=member, account=sms_account, twilio_sid=NUMBER_SID)
    second = number_add(member=member, account=sms_account, twilio_sid=SERVICE_SID)
    assert not second.is_default

    number_update(member=member, number=second, per_second=30, is_default=True)
    first.refresh_from_db()
    assert (second.per_second, second.is_default, first.is_default) == (30, True, False)
    with pytest.raises(ValidationFailed):
        number_update(member=member, number=second, per_second=0)
    with pytest.raises(ValidationFailed):
        number_update(member=member, number=second, per_second=10_000)

    number_remove(member=member, number=second)
    first.refresh_from_db()
    assert first.is_default


def test_a_test_that_twilio_refuses_flags_the_account_once(member, sms_account, twilio):
    assert account_test(account=sms_account) == ""
    twilio.state.auth_token = "changed" * 5

    error = account_test(account=sms_account)
    account_test(account=sms_account)

    assert "20003" in error
    sms_account.refresh_from_db()
    assert sms_account.needs_reauth
    assert Notification.objects.filter(kind=Notification.Kind.REAUTH).count() == 1
