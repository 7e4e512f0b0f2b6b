"""Browser fixtures (a pytest plugin, loaded by tests/conftest.py): Playwright driving
Debian's Chromium against the live test server. One browser for the whole session."""

import os
import shutil
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# around it are ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("PARLEY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test`, which installs it.")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
    _wait_for_requests_in_flight(live_server)


def _wait_for_requests_in_flight(live_server) -> None:  # type: ignore[no-untyped-def]
    """Let the live server finish what the closed page had asked (a poll, say) before the
    test's database is flushed: a request still reading while PostgreSQL truncates the
    tables is a deadlock. The server keeps its request threads in `_threads`. A request the
    page sent just before it closed can still be waiting to be accepted, and start a thread
    after the others ended: the server must stay quiet for QUIET seconds."""
    httpd = live_server.thread.httpd
    deadline = time.monotonic() + 10
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        busy = [t for t in list(getattr(httpd, "_threads", [])) if t.is_alive()]
        for thread in busy:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if busy:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= QUIET:
            return
        time.sleep(0.05)


QUIET = 0.2


@pytest.fixture
def login(page: Page, member):  # type: ignore[no-untyped-def]
    def do() -> Page:
        page.goto("/login/")
        page.fill("input[name=username]", member.user.email)
        page.fill("input[name=password]", "pw-for-tests-1")
        page.click("button[type=submit]")
        page.wait_for_url("**/inbox/")
        return page

    return do
