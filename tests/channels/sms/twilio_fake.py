"""A local stand-in for Twilio's REST API, at the HTTP edge: a real HTTP server in a thread
that answers the real `twilio` library (pointed at it with PARLEY_TWILIO_API_URL) with the
JSON Twilio documents, so nothing of Parley's own is mocked.

Routes (paths as Twilio's; the host is whatever the library was pointed at):
- GET  /2010-04-01/Accounts/{AC}.json                          the account (login check)
- GET  /2010-04-01/Accounts/{AC}/IncomingPhoneNumbers.json     its numbers
- GET, POST /2010-04-01/Accounts/{AC}/IncomingPhoneNumbers/{PN}.json   one; set its webhook
- POST /2010-04-01/Accounts/{AC}/Messages.json                 create (send) a message
- GET  /2010-04-01/Accounts/{AC}/Messages/{MM}/Media/{ME}      an MMS file (auth), or a
                                                               redirect to a CDN path
- GET  /v1/Services, GET/POST /v1/Services/{MG}, GET /v1/Services/{MG}/PhoneNumbers
Errors are Twilio's shape: {"code", "message", "more_info", "status"}. Logins are HTTP basic
with the Account SID and auth token, or an API key SID and secret of that account.
"""

import base64
import contextlib
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.channels.email.servers import free_port

ACCOUNT_SID = "AC" + "a1" * 16
AUTH_TOKEN = "f00d" * 8
KEY_SID = "SK" + "b2" * 16
KEY_SECRET = "KeySecret" + "x" * 23
NUMBER_SID = "PN" + "c3" * 16
NUMBER = "+15017122661"
SECOND_SID = "PN" + "d4" * 16
SECOND = "+15017122662"
SERVICE_SID = "MG" + "e5" * 16
SERVICE_NUMBER = "+15017122663"

# Recipients the fake answers with an error, as Twilio does (its test credentials use
# numbers of the same kind).
INVALID_TO = "+15005550001"  # 21211 invalid number
OPTED_OUT_TO = "+15005550004"  # 21610 unsubscribed recipient


def sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@dataclass
class Sent:
    at: float  # time.monotonic() when the request arrived
    params: dict[str, str]
    sid: str
    login: str


@dataclass
class TwilioState:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    api_keys: dict[str, str] = field(default_factory=lambda: {KEY_SID: KEY_SECRET})
    status: str = "active"
    numbers: dict[str, dict[str, Any]] = field(default_factory=dict)
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    # The next message creates answered with these errors: (HTTP status, Twilio code).
    fail_next: list[tuple[int, int]] = field(default_factory=list)
    # Webhook updates refused as for an API key without the right (403, code 70051).
    updates_forbidden: bool = False
    # Seconds the message create waits before answering.
    delay: float = 0.0
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        self.account_sid, self.auth_token, self.status = ACCOUNT_SID, AUTH_TOKEN, "active"
        self.api_keys = {KEY_SID: KEY_SECRET}
        self.numbers = {
            NUMBER_SID: {"phone_number": NUMBER, "friendly_name": "Brand line", "sms": True},
            SECOND_SID: {"phone_number": SECOND, "friendly_name": "Voice only", "sms": False},
        }
        self.services = {
            SERVICE_SID: {"friendly_name": "Campaigns", "numbers": [SERVICE_NUMBER]},
        }
        self.media, self.sent, self.fail_next = {}, [], []
        self.updates_forbidden, self.delay, self.requests = False, 0.0, 0


def _error(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def num_segments(body: str) -> int:
    """Twilio's count, written apart from Parley's (GSM-7 taken as ASCII here)."""
    if not body:
        return 1
    if all(ord(ch) < 128 and ch not in "^{}[]~|\\" for ch in body):
        return 1 if len(body) <= 160 else -(-len(body) // 153)
    units = len(body.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)


def _now() -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())


class FakeTwilio:
    def __init__(self) -> None:
        self.state = TwilioState()
        self.state.reset()
        self.port = free_port()
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            # Headers and body leave as separate writes: with Nagle's algorithm the body
            # waited for the client's delayed ACK, some 30 ms a response.
            disable_nagle_algorithm = True
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: dict[str, Any] | bytes, kind: str = "") -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", kind or "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                # the client may have given up waiting (the timeout tests)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def _login(self) -> str | None:
                """The account the basic login opens, or None."""
                header = self.headers.get("Authorization", "")
                if not header.startswith("Basic "):
                    return None
                user, _sep, password = base64.b64decode(header[6:]).decode().partition(":")
                if user == state.account_sid and password == state.auth_token:
                    return user
                if state.api_keys.get(user) == password:
                    return user
                return None

            def _form(self) -> dict[str, str]:
                length = int(self.headers.get("Content-Length", 0) or 0)
                return dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))

            def _route(self, method: str) -> None:
                url = urllib.parse.urlsplit(self.path)
                parts = [p for p in url.path.split("/") if p]
                with state.lock:
                    state.requests += 1
                form = self._form() if method == "POST" else {}
                # CDN media: no login, as Twilio's own content hosts
                if parts[:2] == ["2010-04-01", "cdn"] and len(parts) == 3:
                    found = state.media.get(parts[2])
                    if found is None:
                        return self._send(404, b"", "text/plain")
                    return self._send(200, found[0], found[1])
                login = self._login()
                if login is None:
                    return self._send(
                        401, _error(401, 20003, "Authentication Error - invalid username")
                    )
                if parts and parts[0] == "2010-04-01":
                    return self._api(method, parts[1:], form, login)
                if parts[:2] == ["v1", "Services"]:
                    return self._services(method, parts[2:], form)
                return self._send(404, _error(404, 20404, "The requested resource was not found"))

            def _api(self, method: str, parts: list[str], form: dict[str, str], login: str) -> None:
                if len(parts) < 2 or parts[0] != "Accounts":
                    return self._send(404, _error(404, 20404, "Not found"))
                account = parts[1].removesuffix(".json")
                if account != state.account_sid:
                    return self._send(
                        404,
                        _error(
                            404, 20404, f"The requested resource /Accounts/{account} was not found"
                        ),
                    )
                rest = parts[2:]
                if not rest:
                    return self._send(
                        200,
                        {
                            "sid": account,
                            "friendly_name": "Brand Ltd",
                            "status": state.status,
                            "type": "Full",
                            "owner_account_sid": account,
                            "date_created": _now(),
                            "date_updated": _now(),
                            "uri": f"/2010-04-01/Accounts/{account}.json",
                            "subresource_uris": {},
                        },
                    )
                if rest[0] in ("IncomingPhoneNumbers.json",):
                    records = [self._number(k, v) for k, v in state.numbers.items()]
                    return self._send(200, self._page("incoming_phone_numbers", records))
                if rest[0] == "IncomingPhoneNumbers" and len(rest) == 2:
                    key = rest[1].removesuffix(".json")
                    number = state.numbers.get(key)
                    if number is None:
                        return self._send(
                            404, _error(404, 20404, "The requested resource was not found")
                        )
                    if method == "POST":
                        if state.updates_forbidden:
                            return self._send(
                                403, _error(403, 70051, "Authorization Error: not permitted")
                            )
                        number["sms_url"] = form.get("SmsUrl", number.get("sms_url", ""))
                    return self._send(200, self._number(key, number))
                if rest[0] == "Messages.json" and method == "POST":
                    return self._create(form, login)
                if rest[0] == "Messages" and len(rest) == 4 and rest[2] == "Media":
                    media = rest[3].removesuffix(".json")
                    found = state.media.get(media)
                    if found is None:
                        return self._send(404, _error(404, 20404, "Media not found"))
                    if media.startswith("MEredirect"):
                        self.send_response(307)
                        self.send_header(
                            "Location", f"https://api.twilio.com/2010-04-01/cdn/{media}"
                        )
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return None
                    return self._send(200, found[0], found[1])
                return self._send(404, _error(404, 20404, "Not found"))

            def _create(self, form: dict[str, str], login: str) -> None:
                arrived = time.monotonic()
                to = form.get("To", "")
                message_sid = sid("SM")
                with state.lock:
                    state.sent.append(Sent(arrived, form, message_sid, login))
                    failure = state.fail_next.pop(0) if state.fail_next else None
                if state.delay:  # taken, then slow to answer
                    time.sleep(state.delay)
                if failure is not None:
                    status, code = failure
                    words = {
                        20003: "Authenticate",
                        20429: "Too Many Requests",
                        21211: f"The 'To' number {to} is not a valid phone number.",
                        21610: "Attempt to send to unsubscribed recipient",
                    }
                    return self._send(status, _error(status, code, words.get(code, "Error")))
                if to == INVALID_TO:
                    return self._send(
                        400,
                        _error(400, 21211, f"The 'To' number {to} is not a valid phone number."),
                    )
                if to == OPTED_OUT_TO:
                    return self._send(
                        400, _error(400, 21610, "Attempt to send to unsubscribed recipient")
                    )
                if not form.get("From") and not form.get("MessagingServiceSid"):
                    return self._send(
                        400,
                        _error(
                            400, 21603, "The source 'From' phone number is required to send an SMS"
                        ),
                    )
                body = form.get("Body", "")
                return self._send(
                    201,
                    {
                        "account_sid": state.account_sid,
                        "api_version": "2010-04-01",
                        "body": body,
                        "date_created": _now(),
                        "date_sent": None,
                        "date_updated": _now(),
                        "direction": "outbound-api",
                        "error_code": None,
                        "error_message": None,
                        "from": form.get("From") or None,
                        "messaging_service_sid": form.get("MessagingServiceSid") or None,
                        "num_media": "0",
                        "num_segments": str(num_segments(body)),
                        "price": None,
                        "price_unit": "USD",
                        "sid": message_sid,
                        "status": "accepted" if form.get("MessagingServiceSid") else "queued",
                        "subresource_uris": {},
                        "to": to,
                        "uri": f"/2010-04-01/Accounts/{state.account_sid}/Messages/"
                        f"{message_sid}.json",
                    },
                )

            def _services(self, method: str, parts: list[str], form: dict[str, str]) -> None:
                if not parts:
                    records = [self._service(k, v) for k, v in state.services.items()]
                    return self._send(200, self._meta_page("services", records))
                service = state.services.get(parts[0])
                if service is None:
                    return self._send(
                        404, _error(404, 20404, "The requested resource was not found")
                    )
                if len(parts) == 2 and parts[1] == "PhoneNumbers":
                    records = [
                        {"sid": sid("PN"), "phone_number": n, "service_sid": parts[0]}
                        for n in service["numbers"]
                    ]
                    return self._send(200, self._meta_page("phone_numbers", records))
                if method == "POST":
                    if state.updates_forbidden:
                        return self._send(403, _error(403, 70051, "Authorization Error"))
                    service["inbound_request_url"] = form.get("InboundRequestUrl", "")
                    service["status_callback"] = form.get("StatusCallback", "")
                return self._send(200, self._service(parts[0], service))

            @staticmethod
            def _number(key: str, n: dict[str, Any]) -> dict[str, Any]:
                return {
                    "sid": key,
                    "account_sid": state.account_sid,
                    "phone_number": n["phone_number"],
                    "friendly_name": n["friendly_name"],
                    "capabilities": {"sms": n["sms"], "mms": n["sms"], "voice": True},
                    "sms_url": n.get("sms_url", ""),
                    "sms_method": "POST",
                }

            @staticmethod
            def _service(key: str, s: dict[str, Any]) -> dict[str, Any]:
                return {
                    "sid": key,
                    "account_sid": state.account_sid,
                    "friendly_name": s["friendly_name"],
                    "inbound_request_url": s.get("inbound_request_url", ""),
                    "status_callback": s.get("status_callback", ""),
                }

            @staticmethod
            def _page(key: str, records: list[Any]) -> dict[str, Any]:
                return {
                    key: records,
                    "end": max(0, len(records) - 1),
                    "first_page_uri": "",
                    "next_page_uri": None,
                    "page": 0,
                    "page_size": 50,
                    "previous_page_uri": None,
                    "start": 0,
                    "uri": "",
                }

            @staticmethod
            def _meta_page(key: str, records: list[Any]) -> dict[str, Any]:
                return {
                    key: records,
                    "meta": {
                        "key": key,
                        "page": 0,
                        "page_size": 50,
                        "first_page_url": "",
                        "previous_page_url": None,
                        "next_page_url": None,
                        "url": "",
                    },
                }

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_media(self, key: str, data: bytes, content_type: str) -> str:
        """A media file of an inbound MMS; its URL as Twilio gives it in the webhook."""
        self.state.media[key] = (data, content_type)
        return (
            f"https://api.twilio.com/2010-04-01/Accounts/{self.state.account_sid}"
            f"/Messages/MM{'0' * 32}/Media/{key}"
        )

    def stop(self) -> None:
        self.httpd.shutdown()
