"""Production-safe defaults (issue 11, finding 5): debug off unless asked for, Parley's own
404 and 500 pages, JSON errors from the API whatever DEBUG says, the security headers on
every page, and Secure cookies and HSTS under PARLEY_HTTPS=1."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse

from parley.core.errorpages import server_error

SHOW_SETTINGS = """
import django, json
django.setup()
from django.conf import settings
print(json.dumps({"DEBUG": settings.DEBUG}))
"""

HTTPS_REQUESTS = """
import django, json
django.setup()
from django.test import Client
client = Client()
plain = client.get("/login/")
secure = client.get("/login/", secure=True)
cookie = secure.cookies["csrftoken"]
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "hsts": secure.get("Strict-Transport-Security", ""),
    "csrf_cookie_secure": bool(cookie["secure"]),
}))
"""


def _run(script: str, tmp_path, **env: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    environ = {k: v for k, v in os.environ.items() if k not in ("PARLEY_DEBUG", "PARLEY_HTTPS")}
    environ.update(
        DJANGO_SETTINGS_MODULE="parley.settings",
        PARLEY_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **env,
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=environ,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_debug_is_off_unless_asked_for(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert _run(SHOW_SETTINGS, tmp_path)["DEBUG"] is False
    assert _run(SHOW_SETTINGS, tmp_path, PARLEY_DEBUG="1")["DEBUG"] is True


def test_https_deployments_get_secure_cookies_hsts_and_a_redirect(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Given PARLEY_HTTPS=1
    got = _run(HTTPS_REQUESTS, tmp_path, PARLEY_HTTPS="1")
    # Then plain HTTP is sent to HTTPS, HTTPS answers with HSTS and Secure cookies
    assert got["plain_status"] == 301 and got["plain_location"].startswith("https://")
    assert got["hsts"].startswith("max-age=31536000")
    assert got["csrf_cookie_secure"] is True
    # And without it (plain HTTP on a laptop) nothing of that
    got = _run(HTTPS_REQUESTS, tmp_path)
    assert got["plain_status"] == 200 and got["hsts"] == ""
    assert got["csrf_cookie_secure"] is False


def _csp(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    directives = [d.strip() for d in response["Content-Security-Policy"].split(";") if d.strip()]
    return {d.split()[0]: " ".join(d.split()[1:]) for d in directives}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/password-reset/", "/no-such-page/"])
def test_pages_send_the_security_headers(client, path: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path)
    csp = _csp(response)
    # Scripts and styles only from Parley itself: no inline code, no eval
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert csp["default-src"] == "'self'" and csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'self'" and csp["base-uri"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_the_inbox_and_the_email_frame_send_their_policies(logged_in, make_conversation):  # type: ignore[no-untyped-def]
    from parley.inbox.models import Message
    from parley.inbox.services import message_record

    conversation = make_conversation()
    message = message_record(
        conversation=conversation,
        channel="email",
        direction=Message.Direction.INBOUND,
        status=Message.Status.RECEIVED,
        body_text="hi",
        body_html="<p>hi</p>",
    )
    inbox = logged_in.get(reverse("inbox:list"))
    assert _csp(inbox)["script-src"] == "'self'"
    # The email's HTML keeps its own, stricter policy (not replaced by the site's)
    frame = logged_in.get(reverse("email:message_html", args=[message.pk]))
    assert frame["Content-Security-Policy"] == (
        "sandbox; default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'"
    )


@pytest.mark.django_db
def test_a_missing_page_is_parleys_own(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "Page not found" in text and "Back to the inbox" in text
    assert "app.css" in text  # Parley's page, not Django's plain one


@pytest.mark.django_db
def test_an_error_in_a_page_is_parleys_own_500_without_a_traceback(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth import views as auth_views

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret detail")

    monkeypatch.setattr(auth_views.LoginView, "get", broken)
    response = Client(raise_request_exception=False).get("/login/")
    assert response.status_code == 500
    text = response.content.decode()
    assert "Something went wrong" in text
    assert "secret detail" not in text and "Traceback" not in text


def test_django_s_500_handler_answers_json_under_the_api() -> None:
    request = RequestFactory().get("/api/v1/creators")
    response = server_error(request)
    assert response.status_code == 500
    assert json.loads(response.content) == {"detail": "Something went wrong on our side."}
