"""SMS: the workspace's Twilio connection (connect, test, Twilio's list of numbers,
disconnect), its senders (add a number or Messaging Service, its rate, the default, remove)
and counting a text's segments. Changes are for admins (403 for other members). Secrets are
never returned. Sending an SMS: `POST /conversations/{id}/messages` with `channel: "sms"`;
bulk SMS: `POST /broadcasts` with `channel: "sms"`."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from parley.api.auth import acting_member
from parley.api.schemas import ErrorOut, FieldErrorsOut, PathId
from parley.api.sms_schemas import (
    AvailableOut,
    SegmentsIn,
    SegmentsOut,
    SmsConnectIn,
    SmsConnectionOut,
    SmsNumberIn,
    SmsNumberOut,
    SmsNumberPatch,
    SmsTestOut,
    connection_out,
    number_out,
    segments_out,
)
from parley.channels.sms.segments import sms_segments
from parley.channels.sms.selectors import account_active, account_get, number_get, number_list
from parley.channels.sms.services import (
    Login,
    account_connect,
    account_disconnect,
    account_test,
    number_add,
    number_remove,
    number_update,
    senders_available,
    webhook_base,
    webhook_urls,
)
from parley.core.errors import Conflict, PermissionDenied, ValidationFailed

router = Router(tags=["sms"])

NOT_FOUND = {404: ErrorOut}
ADMIN_ONLY = {403: ErrorOut}
INVALID = {422: FieldErrorsOut}
CONFLICT = {409: FieldErrorsOut}
# Twilio could not be reached, or answered with an error Parley cannot put on a field.
TWILIO_DOWN = {502: ErrorOut}
# Errors that are the request's, not Twilio's, even without a field (permission, conflict).
_STATE = (PermissionDenied, Conflict)


def _connection(request: HttpRequest) -> dict[str, Any]:
    workspace = acting_member(request).workspace
    account = account_active(workspace=workspace)
    numbers = number_list(workspace=workspace) if account is not None else []
    urls = webhook_urls(account, base=_base(request)) if account is not None else None
    return connection_out(account, numbers, urls)


def _base(request: HttpRequest) -> str:
    return webhook_base() or request.build_absolute_uri("/").rstrip("/")


def _twilio_down(exc: ValidationFailed) -> Status[dict[str, str]]:
    return Status(502, {"detail": " ".join(m for ms in exc.errors.values() for m in ms)})


@router.get("", response=SmsConnectionOut)
def sms_connection(request: HttpRequest) -> dict[str, Any]:
    """The Twilio connection (or `connected: false`), its senders with their health (last
    inbound, last error) and rate, and the webhook URLs to give Twilio."""
    return _connection(request)


@router.post(
    "/connection",
    response={201: SmsConnectionOut, **ADMIN_ONLY, **INVALID, **CONFLICT, **TWILIO_DOWN},
)
def sms_connect(request: HttpRequest, payload: SmsConnectIn) -> Status[Any]:
    """Connect the workspace's Twilio account. Twilio is asked first and nothing is saved
    unless it takes the credentials: a refused login is a 422 on `auth_token` or
    `api_key_secret`, an unknown account one on `account_sid`; 502 when Twilio cannot be
    reached; 409 when an account is connected already. Then add senders (`POST
    /sms/numbers`; `GET /sms/connection/numbers` lists the account's)."""
    member = acting_member(request)
    try:
        account_connect(
            member=member,
            login=Login(
                account_sid=payload.account_sid,
                auth_token=payload.auth_token or "",
                api_key_sid=payload.api_key_sid or "",
                api_key_secret=payload.api_key_secret or "",
            ),
        )
    except ValidationFailed as exc:
        if set(exc.errors) == {"__all__"} and not isinstance(exc, _STATE):
            return _twilio_down(exc)
        raise
    return Status(201, _connection(request))


@router.post("/connection/test", response={200: SmsTestOut, **NOT_FOUND})
def sms_connection_test(request: HttpRequest) -> dict[str, Any]:
    """Ask Twilio with the stored credentials now; the connection's health follows the
    answer (a refused login flags it: sending waits until it is connected again)."""
    account = account_get(workspace=acting_member(request).workspace)
    error = account_test(account=account)
    return {"ok": not error, "error": error}


@router.get("/connection/numbers", response={200: AvailableOut, **NOT_FOUND, **TWILIO_DOWN})
def sms_available(request: HttpRequest) -> Any:
    """The account's phone numbers and Messaging Services as Twilio lists them now, and
    whether each is a sender already."""
    workspace = acting_member(request).workspace
    account = account_get(workspace=workspace)
    try:
        available = senders_available(account=account)
    except ValidationFailed as exc:
        return _twilio_down(exc)
    taken = {n.twilio_sid for n in number_list(workspace=workspace)}
    return {
        "numbers": [
            {
                "sid": n.sid,
                "phone_number": n.phone_number,
                "friendly_name": n.friendly_name,
                "sms": n.sms,
                "added": n.sid in taken,
            }
            for n in available.numbers
        ],
        "services": [
            {
                "sid": s.sid,
                "friendly_name": s.friendly_name,
                "phone_numbers": list(s.phone_numbers),
                "added": s.sid in taken,
            }
            for s in available.services
        ],
    }


@router.delete("/connection", response={204: None, **ADMIN_ONLY, **NOT_FOUND})
def sms_disconnect(request: HttpRequest) -> Status[None]:
    """Forget the credentials and stop sending from the senders; the SMS in threads stay,
    what is queued fails when its turn comes, saying why."""
    member = acting_member(request)
    account_disconnect(member=member, account=account_get(workspace=member.workspace))
    return Status(204, None)


@router.post(
    "/numbers",
    response={201: SmsNumberOut, **ADMIN_ONLY, **NOT_FOUND, **INVALID, **CONFLICT, **TWILIO_DOWN},
)
def sms_number_add(request: HttpRequest, payload: SmsNumberIn) -> Status[Any]:
    """Send from a number or Messaging Service of the account. Twilio is asked for it first
    (422 on `twilio_sid` when the account has none such, or a number cannot text); with
    `set_webhooks` its webhooks are pointed at Parley, or `webhooks_error` says why Twilio
    refused. 404 when no account is connected, 409 when it is a sender already."""
    member = acting_member(request)
    account = account_get(workspace=member.workspace)
    try:
        number = number_add(
            member=member,
            account=account,
            twilio_sid=payload.twilio_sid,
            per_second=payload.per_second,
            set_webhooks=payload.set_webhooks,
            base=_base(request),
        )
    except ValidationFailed as exc:
        if set(exc.errors) == {"__all__"} and not isinstance(exc, _STATE):
            return _twilio_down(exc)
        raise
    return Status(201, number_out(number))


@router.patch(
    "/numbers/{number_id}", response={200: SmsNumberOut, **ADMIN_ONLY, **NOT_FOUND, **INVALID}
)
def sms_number_change(request: HttpRequest, number_id: PathId, payload: SmsNumberPatch) -> Any:
    """Its rate (messages a second, Twilio's throughput for it: 1 for a long code, 3
    toll-free, up to 100 for a short code; Parley never sends faster), or make it the
    default sender."""
    member = acting_member(request)
    number = number_get(workspace=member.workspace, id=number_id)
    number = number_update(
        member=member,
        number=number,
        per_second=payload.per_second,
        is_default=payload.is_default,
    )
    return number_out(number)


@router.delete("/numbers/{number_id}", response={204: None, **ADMIN_ONLY, **NOT_FOUND})
def sms_number_remove(request: HttpRequest, number_id: PathId) -> Status[None]:
    member = acting_member(request)
    number_remove(member=member, number=number_get(workspace=member.workspace, id=number_id))
    return Status(204, None)


@router.post("/segments", response={200: SegmentsOut, **INVALID})
def sms_segments_count(request: HttpRequest, payload: SegmentsIn) -> dict[str, Any]:
    """How many segments a text takes (GSM-7: 160 in one, 153 a segment beyond; UCS-2 once
    any character needs it, an emoji for one: 70 and 67), against the cap on one SMS."""
    return segments_out(sms_segments(payload.body.strip()))
