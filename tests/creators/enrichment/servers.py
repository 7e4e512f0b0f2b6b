"""A local Influencers Club API for the enrichment tests: a real HTTP server in a thread
that answers the two endpoints Parley calls in the provider's documented formats
(https://docs.influencers.club/openapi, /guides/usage-limits, /guides/faq; the vendor's
client at github.com/Influencers-Club/influencers-club-mcp), including its errors: 401/403
for a refused key, 404, 429 with Retry-After past the rate limit, 5xx, and answers that are
not JSON. Nothing reaches the internet.

Each handle has a default behaviour (below); a test can queue answers for a handle with
`script(handle, *answers)`, served in order before the default.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "ic-test-key-123"
PROFILE = "/public/v1/creators/enrich/handle/profile/"
ANALYTICS = "/public/v1/creators/enrich/handle/analytics/"


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # a dict/list is sent as JSON; bytes as they are
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def found(email: str, handle: str = "creator", platform: str = "tiktok") -> Answer:
    """A profile-tier answer with a validated email (0.2 credits)."""
    return Answer(
        body={
            "result": {
                "email": email,
                "first_name": "Jane",
                "location": "Helsinki, Finland",
                platform: {"username": handle, "follower_count": 120_500, "is_verified": False},
            },
            "credits_cost": 0.2,
        }
    )


def audience_answer(handle: str = "dancer") -> Answer:
    """An analytics-tier answer with the followers' demographics."""
    return Answer(
        body={
            "result": {
                "tiktok": {
                    "username": handle,
                    "follower_count": 254_300,
                    "engagement_percent": 6.21,
                    "audience": {
                        "audience_followers": {
                            "success": True,
                            "data": {
                                "audience_credibility": 0.81,
                                "audience_genders": [
                                    {"code": "MALE", "weight": 0.3812},
                                    {"code": "FEMALE", "weight": 0.6188},
                                ],
                                "audience_ages": [
                                    {"code": "25-34", "weight": 0.2611},
                                    {"code": "13-17", "weight": 0.1203},
                                    {"code": "18-24", "weight": 0.4902},
                                    {"code": "35-44", "weight": 0.0901},
                                    {"code": "45-64", "weight": 0.0352},
                                    {"code": "65-", "weight": 0.0031},
                                ],
                                "audience_geo": {
                                    "countries": [
                                        {"id": 1, "name": "Finland", "code": "FI", "weight": 0.31},
                                        {"id": 2, "name": "Germany", "code": "DE", "weight": 0.22},
                                        {"id": 3, "name": "Sweden", "code": "SE", "weight": 0.12},
                                        {"id": 4, "name": "Estonia", "code": "EE", "weight": 0.08},
                                        {"id": 5, "name": "Norway", "code": "NO", "weight": 0.06},
                                        {"id": 6, "name": "Austria", "code": "AT", "weight": 0.05},
                                    ],
                                    "cities": [
                                        {"id": 9, "name": "Helsinki", "weight": 0.12},
                                    ],
                                },
                            },
                        },
                        "audience_commenters": {"success": False, "error": "empty_audience"},
                    },
                }
            },
            "credits_cost": 0.8,
        }
    )


def throttled(seconds: int | str = 7) -> Answer:
    """429 past the rate limit (300 requests a minute), the way Django REST Framework says it."""
    return Answer(
        429,
        {"detail": f"Request was throttled. Expected available in {seconds} seconds."},
        {"Retry-After": str(seconds)},
    )


class ProviderServer:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.scripts: dict[str, list[Answer]] = {}
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            # Headers and body leave as separate writes: with Nagle's algorithm the body
            # waited for the client's delayed ACK, some 30 ms a response.
            disable_nagle_algorithm = True
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, answer: Answer) -> None:
                if answer.delay:
                    time.sleep(answer.delay)
                if isinstance(answer.body, bytes | bytearray):
                    data, kind = bytes(answer.body), "text/html; charset=utf-8"
                else:
                    data, kind = json.dumps(answer.body).encode(), "application/json"
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout test): nobody to answer

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = None
                with server.lock:
                    server.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body}
                    )
                if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                    return self._send(
                        Answer(401, {"detail": "Authentication credentials were not provided."})
                    )
                if self.path not in (PROFILE, ANALYTICS) or not isinstance(body, dict):
                    return self._send(Answer(404, {"detail": "Not found."}))
                handle = str(body.get("handle", ""))
                with server.lock:
                    queued = server.scripts.get(handle)
                    answer = queued.pop(0) if queued else None
                if answer is None:
                    answer = server.default(self.path, body)
                return self._send(answer)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def default(self, path: str, body: dict[str, Any]) -> Answer:
        handle = str(body.get("handle", ""))
        if handle == "nobody":
            return Answer(404, {"detail": "Not found."})
        if path == PROFILE:
            if handle.startswith("no.email"):
                # "must_have" and no valid email: no data, no credits.
                return Answer(body={"result": {}, "credits_cost": 0})
            return found(f"{handle}@example.com", handle, str(body.get("platform", "tiktok")))
        if handle == "empty.audience":
            return Answer(
                body={
                    "result": {
                        "tiktok": {
                            "username": handle,
                            "audience": {
                                "audience_followers": {"success": False, "error": "empty_audience"}
                            },
                        }
                    },
                    "credits_cost": 0,
                }
            )
        return audience_answer(handle)

    def script(self, handle: str, *answers: Answer) -> None:
        with self.lock:
            self.scripts.setdefault(handle, []).extend(answers)

    def calls(self, path: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if path is None or r["path"] == path]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
