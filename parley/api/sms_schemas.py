"""Request and response shapes of the SMS routes (parley/api/routers/sms.py): the workspace's
Twilio connection, its senders with their health and rate, Twilio's own list of numbers, and
counting segments. Limits and patterns are the SMS services' own, so the schema says them.
Secrets are write-only: never returned."""

from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints, model_validator

from parley.api.schemas import LEFT_OUT, Flag, Input, MemberRef, member_ref, text
from parley.channels.sms.models import SmsNumber, TwilioAccount
from parley.channels.sms.rules import max_segments
from parley.channels.sms.segments import SegmentCount
from parley.channels.sms.services import MAX_RATE, MIN_RATE

ACCOUNT_SID = r"^AC[0-9a-fA-F]{32}$"
KEY_SID = r"^SK[0-9a-fA-F]{32}$"
SENDER_SID = r"^(PN|MG)[0-9a-fA-F]{32}$"
SECRET = r"^[\x21-\x7e]{16,128}$"
# Text to count: what the message box takes.
MAX_COUNT_TEXT = 20_000

Secret = Annotated[str, StringConstraints(pattern=SECRET)]
Rate = Annotated[float, Field(ge=MIN_RATE, le=MAX_RATE)]


# An auth token, or an API key with its secret (with the auth token too, to take webhooks).
LOGIN_RULE: dict[str, Any] = {
    "anyOf": [{"required": ["auth_token"]}, {"required": ["api_key_sid", "api_key_secret"]}],
    "dependentRequired": {"api_key_sid": ["api_key_secret"], "api_key_secret": ["api_key_sid"]},
}


class SmsConnectIn(Input):
    """A Twilio account: the auth token, or an API key (SID and secret) to send with. Twilio
    signs its webhooks with the auth token, so without it inbound SMS and delivery reports
    are refused (403)."""

    model_config = ConfigDict(json_schema_extra=LOGIN_RULE)

    account_sid: Annotated[str, StringConstraints(pattern=ACCOUNT_SID)] = Field(
        ..., description="AC followed by 32 hexadecimal digits."
    )
    auth_token: Secret = Field(
        LEFT_OUT, description="The account's auth token.", json_schema_extra={"writeOnly": True}
    )
    api_key_sid: Annotated[str, StringConstraints(pattern=KEY_SID)] = Field(
        LEFT_OUT, description="An API key to send with instead of the auth token: SK…"
    )
    api_key_secret: Secret = Field(
        LEFT_OUT, description="The API key's secret.", json_schema_extra={"writeOnly": True}
    )

    @model_validator(mode="after")
    def _one_login(self) -> "SmsConnectIn":
        if bool(self.api_key_sid) != bool(self.api_key_secret):
            raise ValueError("api_key_sid and api_key_secret go together")
        if not self.auth_token and not self.api_key_sid:
            raise ValueError("give auth_token, or api_key_sid and api_key_secret")
        return self


class SmsAccountOut(Schema):
    account_sid: str
    friendly_name: str
    account_type: str = Field(..., description="`Trial` or `Full`, as Twilio says.")
    login: str = Field(..., description="`auth_token` or `api_key`.")
    api_key_sid: str
    verifies_webhooks: bool = Field(
        ..., description="The auth token is stored, so inbound SMS and reports are taken."
    )
    connected_at: datetime
    connected_by: MemberRef | None
    needs_reauth: bool = Field(..., description="Twilio refuses the login: sending waits.")
    last_checked_at: datetime | None
    last_error: str
    last_error_at: datetime | None


class SmsWebhooksOut(Schema):
    inbound_url: str = Field(..., description='Twilio\'s "A message comes in" (POST).')
    status_url: str = Field(..., description="The status callback (Parley also sends it).")


class SmsNumberOut(Schema):
    id: int
    kind: str = Field(..., description="`number` or `service` (a Messaging Service).")
    twilio_sid: str
    phone_number: str = Field(..., description="E.164; empty for a Messaging Service.")
    service_numbers: list[str]
    friendly_name: str
    is_default: bool
    per_second: float = Field(..., description="Messages a second it sends at, at most.")
    webhooks_set: bool = Field(..., description="Parley set its webhooks in Twilio.")
    webhooks_error: str = Field(..., description="Why Twilio refused that; paste them then.")
    added_at: datetime
    last_inbound_at: datetime | None
    last_sent_at: datetime | None
    last_error: str
    last_error_at: datetime | None


NUMBER_FIELDS = (
    *("id", "kind", "twilio_sid", "phone_number", "service_numbers", "friendly_name"),
    *("is_default", "per_second", "webhooks_set", "webhooks_error", "added_at"),
    *("last_inbound_at", "last_sent_at", "last_error", "last_error_at"),
)


def number_out(number: SmsNumber) -> dict[str, Any]:
    return {name: getattr(number, name) for name in NUMBER_FIELDS}


class SmsConnectionOut(Schema):
    connected: bool
    account: SmsAccountOut | None
    numbers: list[SmsNumberOut]
    webhooks: SmsWebhooksOut | None
    max_segments: int = Field(..., description="The most segments one SMS may take.")


def connection_out(
    account: TwilioAccount | None, numbers: list[SmsNumber], urls: tuple[str, str] | None
) -> dict[str, Any]:
    return {
        "connected": account is not None,
        "account": None
        if account is None
        else {
            "account_sid": account.account_sid,
            "friendly_name": account.friendly_name,
            "account_type": account.account_type,
            "login": "api_key" if account.api_key_sid else "auth_token",
            "api_key_sid": account.api_key_sid,
            "verifies_webhooks": account.verifies_webhooks,
            "connected_at": account.connected_at,
            "connected_by": member_ref(account.connected_by),
            "needs_reauth": account.needs_reauth,
            "last_checked_at": account.last_checked_at,
            "last_error": account.last_error,
            "last_error_at": account.last_error_at,
        },
        "numbers": [number_out(n) for n in numbers],
        "webhooks": None if urls is None else {"inbound_url": urls[0], "status_url": urls[1]},
        "max_segments": max_segments(),
    }


class SmsTestOut(Schema):
    ok: bool
    error: str = Field(..., description="What Twilio said; empty when it took the login.")


class TwilioNumberOut(Schema):
    sid: str
    phone_number: str
    friendly_name: str
    sms: bool = Field(..., description="It can send and receive SMS.")
    added: bool = Field(..., description="A sender of this workspace already.")


class TwilioServiceOut(Schema):
    sid: str
    friendly_name: str
    phone_numbers: list[str]
    added: bool


class AvailableOut(Schema):
    numbers: list[TwilioNumberOut]
    services: list[TwilioServiceOut]


class SmsNumberIn(Input):
    twilio_sid: Annotated[str, StringConstraints(pattern=SENDER_SID)] = Field(
        ..., description="A phone number (PN…) or Messaging Service (MG…) of the account."
    )
    per_second: Rate = Field(
        LEFT_OUT, description="Messages a second; left out: `PARLEY_SMS_DEFAULT_RATE`."
    )
    set_webhooks: Flag = Field(
        True, description="Point its webhooks at Parley through Twilio's API."
    )


class SmsNumberPatch(Input):
    # Leave a field out to keep it.
    per_second: Rate = Field(LEFT_OUT, description="Messages a second it sends at, at most.")
    is_default: Flag = Field(LEFT_OUT, description="true: make it the default sender.")


class SegmentsIn(Input):
    body: Annotated[str, text(MAX_COUNT_TEXT)]


class SegmentsOut(Schema):
    encoding: str = Field(..., description="`GSM-7` or `UCS-2` (any character outside GSM-7).")
    segments: int
    characters: int
    units: int = Field(..., description="Septets (GSM-7) or UTF-16 units (UCS-2).")
    per_segment: int = Field(..., description="160 or 153 (GSM-7), 70 or 67 (UCS-2).")
    max_segments: int
    over_limit: bool = Field(..., description="Too long to send (more than max_segments).")


def segments_out(count: SegmentCount) -> dict[str, Any]:
    return {
        "encoding": count.encoding,
        "segments": count.segments,
        "characters": count.characters,
        "units": count.units,
        "per_segment": count.per_segment,
        "max_segments": max_segments(),
        "over_limit": count.segments > max_segments(),
    }
