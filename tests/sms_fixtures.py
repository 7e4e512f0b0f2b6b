"""SMS fixtures for any test (a pytest plugin, see tests/conftest.py): the local Twilio
(tests/channels/sms/twilio_fake.py) with the real `twilio` library pointed at it, a
connected account and number, a creator with a phone, and webhooks signed as Twilio signs
them (the library's RequestValidator with the account's auth token)."""

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from twilio.request_validator import RequestValidator

from parley.accounts.models import Member
from parley.channels.sms.models import SmsNumber, TwilioAccount
from parley.channels.sms.services import Login, account_connect, number_add, webhook_urls
from parley.creators.models import Creator, Identity
from parley.inbox.models import Conversation
from parley.inbox.services import conversation_get_or_create
from tests.channels.sms.twilio_fake import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    NUMBER_SID,
    FakeTwilio,
)
from tests.factories import CreatorFactory, IdentityFactory

CREATOR_PHONE = "+358401234567"


@pytest.fixture(scope="session")
def twilio_session() -> Iterator[FakeTwilio]:
    server = FakeTwilio()
    yield server
    server.stop()


@pytest.fixture
def twilio(twilio_session: FakeTwilio, settings: Any) -> FakeTwilio:
    """The local Twilio, fresh for each test; Parley's Twilio client talks to it, and the
    webhook URLs Parley gives out are the test client's."""
    twilio_session.state.reset()
    settings.PARLEY_TWILIO_API_URL = twilio_session.base
    settings.PARLEY_PUBLIC_URL = "http://testserver"
    return twilio_session


@pytest.fixture
def sms_account(member: Member, twilio: FakeTwilio) -> TwilioAccount:
    return account_connect(
        member=member, login=Login(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)
    )


@pytest.fixture
def sms_number(member: Member, sms_account: TwilioAccount) -> SmsNumber:
    return number_add(member=member, account=sms_account, twilio_sid=NUMBER_SID)


@pytest.fixture
def phone_thread(member: Member) -> Callable[..., Conversation]:
    """A creator with a phone number (E.164) and their conversation."""

    def make(
        phone: str = CREATOR_PHONE, name: str = "Aino Virtanen", workspace: Any = None
    ) -> Conversation:
        creator: Creator = CreatorFactory(workspace=workspace or member.workspace, name=name)  # type: ignore[assignment]
        IdentityFactory(creator=creator, kind=Identity.Kind.PHONE, value=phone, normalized=phone)
        return conversation_get_or_create(creator=creator)

    return make


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


@pytest.fixture
def twilio_post() -> Callable[..., Any]:
    """POST a webhook as Twilio does: form-encoded, signed for the full URL."""

    def post(
        url: str,
        params: dict[str, str],
        *,
        token: str = AUTH_TOKEN,
        signature: str | None = None,
        client: Client | None = None,
    ) -> Any:
        full = url if url.startswith("http") else "http://testserver" + url
        parts = urlsplit(full)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {}
        sig = sign(full, params, token) if signature is None else signature
        if sig:
            headers["X-Twilio-Signature"] = sig
        return (client or Client()).post(path, params, headers=headers)

    return post


def inbound_params(
    *,
    body: str = "Hello from my phone",
    sender: str = CREATOR_PHONE,
    to: str = "+15017122661",
    sid: str = "SM" + "1" * 32,
    account_sid: str = ACCOUNT_SID,
    **extra: str,
) -> dict[str, str]:
    """Twilio's "A message comes in" parameters (SMS)."""
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": account_sid,
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
        "FromCountry": "FI",
        "ToCountry": "US",
        **extra,
    }


def inbound_url(account: TwilioAccount) -> str:
    return webhook_urls(account, base="http://testserver")[0]


def status_url(account: TwilioAccount) -> str:
    return webhook_urls(account, base="http://testserver")[1]
