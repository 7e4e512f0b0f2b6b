"""Real servers for the email tests: Dovecot (IMAP), aiosmtpd (SMTP) and a small OAuth 2.0
authorization server (authorization code + PKCE, refresh tokens, revocation, introspection
for Dovecot's XOAUTH2). Started by fixtures in conftest.py; nothing reaches the internet."""

import base64
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from authlib.oauth2.rfc7636 import create_s256_code_challenge

PASSWORD = "secret-pw-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


# --- OAuth 2.0 authorization server --------------------------------------------------------


@dataclass
class OAuthState:
    client_id: str = "parley-test-client"
    client_secret: str = "parley-test-secret"
    user: str = "brand@gmail.test"
    expires_in: int = 3600
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    access: dict[str, str] = field(default_factory=dict)
    refresh: dict[str, str] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    refreshes: int = 0
    pkce_checked: int = 0
    # OpenID Connect: send an ID token (unsigned here) naming the user with the tokens.
    id_token: bool = True


class OAuthServer:
    def __init__(self) -> None:
        self.state = OAuthState()
        self.port = free_port()
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            # Headers and body leave as separate writes: with Nagle's algorithm the body
            # waited for the client's delayed ACK, some 30 ms a response.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, code: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/authorize":
                    if (
                        q.get("client_id") != state.client_id
                        or q.get("code_challenge_method") != "S256"
                    ):
                        return self._json(400, {"error": "invalid_request"})
                    code = secrets.token_urlsafe(16)
                    state.codes[code] = {
                        "challenge": q["code_challenge"],
                        "redirect_uri": q["redirect_uri"],
                        "user": state.user,
                    }
                    target = (
                        q["redirect_uri"]
                        + "?"
                        + urllib.parse.urlencode({"code": code, "state": q.get("state", "")})
                    )
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.end_headers()
                    return None
                if url.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    if token not in state.access:
                        return self._json(401, {"error": "invalid_token"})
                    return self._json(200, {"email": state.access[token]})
                return self._json(404, {})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                if self.path == "/introspect":  # Dovecot's XOAUTH2 check
                    user = state.access.get(form.get("token", ""))
                    return self._json(200, {"active": bool(user), "username": user or ""})
                if self.path != "/token":
                    return self._json(404, {})
                if (form.get("client_id"), form.get("client_secret")) != (
                    state.client_id,
                    state.client_secret,
                ):
                    return self._json(401, {"error": "invalid_client"})
                if form.get("grant_type") == "authorization_code":
                    grant = state.codes.pop(form.get("code", ""), None)
                    if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                        return self._json(400, {"error": "invalid_grant"})
                    if (
                        create_s256_code_challenge(form.get("code_verifier", ""))
                        != grant["challenge"]
                    ):
                        return self._json(400, {"error": "invalid_grant"})
                    state.pkce_checked += 1
                    user = grant["user"]
                elif form.get("grant_type") == "refresh_token":
                    rt = form.get("refresh_token", "")
                    if rt in state.revoked or rt not in state.refresh:
                        return self._json(400, {"error": "invalid_grant"})
                    state.refreshes += 1
                    user = state.refresh[rt]
                else:
                    return self._json(400, {"error": "unsupported_grant_type"})
                access = secrets.token_urlsafe(24)
                refresh = secrets.token_urlsafe(24)
                state.access[access] = user
                state.refresh[refresh] = user
                body: dict[str, Any] = {
                    "access_token": access,
                    "refresh_token": refresh,
                    "token_type": "Bearer",
                    "expires_in": state.expires_in,
                }
                if state.id_token:
                    claims = base64.urlsafe_b64encode(json.dumps({"email": user}).encode())
                    body["id_token"] = "e30." + claims.decode().rstrip("=") + "."
                return self._json(200, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def revoke_all(self) -> None:
        self.state.revoked.update(self.state.refresh)
        self.state.access.clear()

    def stop(self) -> None:
        self.httpd.shutdown()


# --- Dovecot --------------------------------------------------------------------------------

DOVECOT_CONF = """\
base_dir = {tmp}/run
state_dir = {tmp}/state
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
mail_location = maildir:{tmp}/mail/%u
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
log_path = {tmp}/dovecot.log
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2
  args = {tmp}/oauth2.conf.ext
}}
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {tmp}/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={tmp}/mail/%u
}}
"""

OAUTH2_CONF = """\
introspection_mode = post
introspection_url = {url}/introspect
username_attribute = username
active_attribute = active
active_value = true
force_introspection = yes
"""


class Dovecot:
    def __init__(self, *, oauth_url: str) -> None:
        binary = shutil.which("dovecot") or (
            "/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None
        )
        if binary is None:
            raise FileNotFoundError("dovecot")
        self.tmp = Path(tempfile.mkdtemp(prefix="parley-dovecot-"))
        os.chmod(self.tmp, 0o755)
        self.port = free_port()
        (self.tmp / "mail").mkdir()
        shutil.chown(self.tmp / "mail", "dovecot", "dovecot")
        # Dovecot re-reads the users file only when its mtime changes (1 s resolution), so
        # every account the tests will use is written before it starts and handed out later.
        self._pool = [f"user{i}-{secrets.token_hex(2)}" for i in range(300)]
        (self.tmp / "users").write_text(
            "".join(f"{local}@example.com:{{PLAIN}}{PASSWORD}\n" for local in self._pool)
        )
        os.chmod(self.tmp / "users", 0o644)
        (self.tmp / "oauth2.conf.ext").write_text(OAUTH2_CONF.format(url=oauth_url))
        conf = self.tmp / "dovecot.conf"
        conf.write_text(DOVECOT_CONF.format(tmp=self.tmp, port=self.port))
        self._n = 0
        self._lock = threading.Lock()
        subprocess.run([binary, "-c", str(conf)], check=True)
        wait_port(self.port)

    def add_user(self) -> str:
        with self._lock:
            local = self._pool[self._n]
            self._n += 1
        return f"{local}@example.com"

    def maildir(self, address: str) -> Path:
        return self.tmp / "mail" / address

    def stop(self) -> None:
        pid_file = self.tmp / "run" / "master.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().strip())
            os.kill(pid, 15)
            for _ in range(50):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
        shutil.rmtree(self.tmp, ignore_errors=True)


# --- SMTP -----------------------------------------------------------------------------------


class SmtpHandler:
    def __init__(self, oauth: OAuthState | None = None) -> None:
        self.messages: list[Any] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.oauth = oauth
        self.users: dict[str, str] = {}
        # Tests script the server: refuse every message with this answer (e.g. a provider's
        # daily quota), or call this once a message is taken, before answering.
        self.refuse: str | None = None
        self.refused = 0  # how many emails were refused so far
        # ... or refuse recipients with this answer; and whether EHLO offers PIPELINING
        # (RFC 2920), as Gmail, Microsoft 365 and Postfix do.
        self.refuse_rcpt: str | None = None
        self.pipelining = True
        self.on_accept: Callable[[], None] | None = None

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.refuse_rcpt is not None:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse is not None:
            self.refused += 1
            return self.refuse
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        if self.on_accept is not None:
            self.on_accept()
        return "250 OK"

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:
        if len(args) < 2 or self.oauth is None:
            return AuthResult(success=False)
        raw = base64.b64decode(args[1]).decode()
        parts = dict(p.split("=", 1) for p in raw.split("\x01") if "=" in p)
        token = parts.get("auth", "").removeprefix("Bearer ")
        ok = self.oauth.access.get(token) == parts.get("user")
        return AuthResult(success=ok)

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            login, password = data.login.decode(), data.password.decode()
            if self.users.get(login) == password:
                return AuthResult(success=True, auth_data=data)
        return AuthResult(success=False, handled=False)


class SmtpServer:
    def __init__(self, oauth: OAuthState | None = None) -> None:
        self.handler = SmtpHandler(oauth)
        self.port = free_port()
        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self.handler.authenticate,
            auth_require_tls=False,
            auth_required=True,
        )
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
