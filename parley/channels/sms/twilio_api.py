"""Parley's edge to Twilio: the official `twilio` library, and nothing else speaks to Twilio.

The library's own HTTP client (requests) is used through its documented extension point, a
custom `http_client` (twilio-python's advanced example "custom HTTP client"): it adds a
timeout and, when `PARLEY_TWILIO_API_URL` is set, sends every request for a `*.twilio.com`
host to that base URL instead, path unchanged. The tests and benchmarks set it to a local
server that answers with Twilio's documented JSON; in production it is empty.

Every Twilio failure comes out as `TwilioFailed` (Twilio's error code, HTTP status and
message) or `TwilioUnreachable` (no answer; `maybe_sent` when the request may have reached
Twilio before the answer was lost). Secrets are never logged.
"""

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.views.decorators.debug import sensitive_variables
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

logger = logging.getLogger(__name__)
# The library logs every request and answer at INFO (URLs with their query, which can hold
# phone numbers); Parley keeps its client's log to warnings and errors.
http_logger = logging.getLogger(f"{__name__}.http")
http_logger.setLevel(logging.WARNING)

TWILIO_HOST_SUFFIX = ".twilio.com"


class TwilioFailed(Exception):
    """Twilio answered with an error."""

    def __init__(self, *, status: int, code: int | None, message: str):
        self.status, self.code, self.message = status, code, message
        super().__init__(f"{status} {code}: {message}")


class TwilioUnreachable(Exception):
    """No answer from Twilio. `maybe_sent`: the request may have been taken before the
    answer was lost (a read timeout), so sending it again could send it twice."""

    def __init__(self, message: str, *, maybe_sent: bool = False):
        self.maybe_sent = maybe_sent
        super().__init__(message)


def api_url(url: str) -> str:
    """`url` as Parley requests it: a Twilio host is replaced by PARLEY_TWILIO_API_URL when
    that is set (a local server in tests); anything else is left as it is."""
    base = str(getattr(settings, "PARLEY_TWILIO_API_URL", "") or "").rstrip("/")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if base and (host == "twilio.com" or host.endswith(TWILIO_HOST_SUFFIX)):
        return base + parts.path + (f"?{parts.query}" if parts.query else "")
    return url


def timeout() -> float:
    return float(getattr(settings, "PARLEY_TWILIO_TIMEOUT", 15))


class ParleyHttpClient(TwilioHttpClient):
    """Twilio's HTTP client with a timeout, pointed at PARLEY_TWILIO_API_URL when set."""

    def __init__(self) -> None:
        super().__init__(timeout=timeout(), logger=http_logger)
        # Plain HTTP is only ever the local test server; keep its connections too.
        if self.session is not None:
            self.session.mount("http://", requests.adapters.HTTPAdapter())

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        return super().request(method, api_url(url), *args, **kwargs)


@sensitive_variables("password")
def client_for(*, account_sid: str, username: str, password: str) -> Client:
    """A client that logs in with the auth token (username = Account SID) or an API key
    (username = the key's SID, password = its secret) for `account_sid`."""
    return Client(
        username=username,
        password=password,
        account_sid=account_sid,
        http_client=ParleyHttpClient(),
        environment={},  # never TWILIO_* from the environment: the workspace's own account
    )


def _call(do: Any) -> Any:
    try:
        return do()
    except TwilioRestException as exc:
        raise TwilioFailed(
            status=int(exc.status), code=exc.code, message=str(exc.msg or "")[:500]
        ) from None
    except requests.exceptions.ReadTimeout:
        raise TwilioUnreachable("Twilio did not answer in time.", maybe_sent=True) from None
    except requests.exceptions.RequestException as exc:
        raise TwilioUnreachable(
            f"Twilio could not be reached ({exc.__class__.__name__})."
        ) from None
    except TwilioException as exc:  # an answer the library could not read
        raise TwilioUnreachable(f"Twilio's answer could not be read: {exc}"[:300]) from None


# --- The account, its numbers and Messaging Services ----------------------------------------


@dataclass(frozen=True)
class AccountInfo:
    sid: str
    friendly_name: str
    status: str  # active, suspended, closed
    type: str  # Trial, Full


@dataclass(frozen=True)
class TwilioNumber:
    sid: str  # PN…
    phone_number: str  # E.164
    friendly_name: str
    sms: bool  # SMS-capable
    sms_url: str  # its "A message comes in" webhook now


@dataclass(frozen=True)
class TwilioService:
    sid: str  # MG…
    friendly_name: str
    inbound_request_url: str
    phone_numbers: tuple[str, ...]


def account_fetch(client: Client, account_sid: str) -> AccountInfo:
    """The account the credentials open (TwilioFailed 401/20003 when they are wrong)."""
    account = _call(lambda: client.api.v2010.accounts(account_sid).fetch())
    return AccountInfo(
        sid=account.sid or account_sid,
        friendly_name=account.friendly_name or "",
        status=account.status or "",
        type=account.type or "",
    )


def _number(n: Any) -> TwilioNumber:
    capabilities = n.capabilities or {}
    return TwilioNumber(
        sid=n.sid,
        phone_number=n.phone_number or "",
        friendly_name=n.friendly_name or "",
        sms=bool(capabilities.get("sms", capabilities.get("SMS", True))),
        sms_url=n.sms_url or "",
    )


def numbers_list(client: Client, *, limit: int = 200) -> list[TwilioNumber]:
    """The account's phone numbers (at most `limit`)."""
    return [_number(n) for n in _call(lambda: client.incoming_phone_numbers.list(limit=limit))]


def number_fetch(client: Client, sid: str) -> TwilioNumber:
    return _number(_call(lambda: client.incoming_phone_numbers(sid).fetch()))


def _service(client: Client, s: Any) -> TwilioService:
    numbers = _call(lambda: client.messaging.v1.services(s.sid).phone_numbers.list(limit=50))
    return TwilioService(
        sid=s.sid,
        friendly_name=s.friendly_name or "",
        inbound_request_url=s.inbound_request_url or "",
        phone_numbers=tuple(n.phone_number for n in numbers if n.phone_number),
    )


def services_list(client: Client, *, limit: int = 50) -> list[TwilioService]:
    """The account's Messaging Services with their sender numbers."""
    services = _call(lambda: client.messaging.v1.services.list(limit=limit))
    return [_service(client, s) for s in services]


def service_fetch(client: Client, sid: str) -> TwilioService:
    return _service(client, _call(lambda: client.messaging.v1.services(sid).fetch()))


def number_webhooks_set(client: Client, sid: str, *, inbound_url: str) -> None:
    """Point the number's "A message comes in" webhook at Parley. (A message's status
    callback is given with each message Parley sends.)"""
    _call(lambda: client.incoming_phone_numbers(sid).update(sms_url=inbound_url, sms_method="POST"))


def service_webhooks_set(client: Client, sid: str, *, inbound_url: str, status_url: str) -> None:
    """Point the Messaging Service's incoming-message and status webhooks at Parley (and
    let them take precedence over its numbers' own)."""
    _call(
        lambda: client.messaging.v1.services(sid).update(
            inbound_request_url=inbound_url,
            inbound_method="POST",
            status_callback=status_url,
            use_inbound_webhook_on_number=False,
        )
    )


# --- Sending --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    sid: str
    status: str
    segments: int | None


def message_create(
    client: Client,
    *,
    to: str,
    body: str,
    from_number: str = "",
    service_sid: str = "",
    status_callback: str = "",
) -> Created:
    """Create (send) one message from a number or through a Messaging Service."""
    kwargs: dict[str, Any] = {"to": to, "body": body}
    if service_sid:
        kwargs["messaging_service_sid"] = service_sid
    else:
        kwargs["from_"] = from_number
    if status_callback:
        kwargs["status_callback"] = status_callback
    message = _call(lambda: client.messages.create(**kwargs))
    try:
        segments = int(message.num_segments) if message.num_segments is not None else None
    except (TypeError, ValueError):
        segments = None
    return Created(sid=message.sid or "", status=message.status or "", segments=segments)


# --- Media of an inbound MMS ---------------------------------------------------------------

# Where Twilio keeps media: its API, which redirects to its content delivery hosts.
MEDIA_HOSTS = ("api.twilio.com", ".twiliocdn.com", ".amazonaws.com")
MAX_REDIRECTS = 3


class MediaRefused(Exception):
    """A media URL Parley does not fetch, or a file that is too large."""


def _media_host_allowed(url: str, *, first: bool) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if api_url(url) != url:  # a Twilio host rewritten to the local test server
        return True
    if parts.scheme != "https":
        return False
    if first:  # the webhook's MediaUrl is always on Twilio's API
        return host == "api.twilio.com"
    return any(host == h.lstrip(".") or host.endswith(h) for h in MEDIA_HOSTS if h)


@sensitive_variables("password")
def media_fetch(*, url: str, username: str, password: str, max_bytes: int) -> tuple[bytes, str]:
    """Download one MMS media file with the account's credentials (Twilio may require them
    on media URLs). Only Twilio's hosts are fetched, redirects followed by hand to Twilio's
    content hosts only, without the credentials; at most `max_bytes`. Returns the bytes and
    the content type."""
    if not _media_host_allowed(url, first=True):
        raise MediaRefused("not a Twilio media URL")
    auth: tuple[str, str] | None = (username, password)
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            response = requests.get(
                api_url(url), auth=auth, timeout=timeout(), stream=True, allow_redirects=False
            )
        except requests.exceptions.RequestException as exc:
            raise TwilioUnreachable(f"media: {exc.__class__.__name__}") from None
        if response.status_code in (301, 302, 303, 307, 308):
            url = requests.compat.urljoin(url, response.headers.get("Location", ""))
            response.close()
            if not _media_host_allowed(url, first=False):
                raise MediaRefused("redirected outside Twilio")
            auth = None  # the credentials go to Twilio's API only
            continue
        if response.status_code != 200:
            response.close()
            raise TwilioFailed(status=response.status_code, code=None, message="media download")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            response.close()
            raise MediaRefused("too large")
        data = bytearray()
        for chunk in response.iter_content(64 * 1024):
            data.extend(chunk)
            if len(data) > max_bytes:
                response.close()
                raise MediaRefused("too large")
        content_type = response.headers.get("Content-Type", "application/octet-stream")
        return bytes(data), content_type.split(";")[0].strip()[:120]
    raise MediaRefused("too many redirects")
