"""Parley's own pages pass its Content-Security-Policy in Chromium (issue 11, finding 5):
no inline script, style or eval anywhere on the login page, the inbox with a thread and an
email's HTML open, the email settings page and the 404 page; and the behaviours that
used to be inline handlers still work."""

import pytest
from playwright.sync_api import Page, expect

from parley.inbox.models import Message
from parley.inbox.services import message_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs in every document before the page's own scripts: records what the policy refused.
COLLECT = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample || ""}`);
});
"""


def _watch(page: Page) -> list[str]:
    console: list[str] = []
    page.add_init_script(COLLECT)
    page.on(
        "console",
        lambda msg: (
            console.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    return console


def _violations(page: Page, console: list[str]) -> list[str]:
    page.wait_for_load_state("networkidle")
    return [*page.evaluate("window.__cspViolations || []"), *console]


def test_main_pages_raise_no_csp_violation(page: Page, login, member, make_conversation):  # type: ignore[no-untyped-def]
    conversation = make_conversation(name="Hanna Html")
    message_record(
        conversation=conversation,
        channel="email",
        direction=Message.Direction.INBOUND,
        status=Message.Status.RECEIVED,
        body_text="Rates attached",
        body_html=(
            '<p style="color:red">Rates <b>attached</b></p>'
            '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        ),
    )
    console = _watch(page)

    page.goto("/login/")
    assert _violations(page, console) == []

    login()
    # The inbox with the thread and its email's HTML (the sandboxed frame) open
    page.locator("[data-testid=row]", has_text="Hanna Html").locator("a").click()
    frame = page.frame_locator("iframe.email-html")
    expect(frame.locator("b")).to_have_text("attached")
    # Links that focus a field (were onclick attributes)
    page.locator(".thread-head details.kebab summary").click()
    page.locator("a[data-focus='#add-tag input']").click()
    expect(page.locator("#add-tag input").first).to_be_focused()
    assert _violations(page, console) == []

    # Choosing a language submits its form (was an onchange attribute)
    page.locator("details.usermenu summary").click()
    with page.expect_navigation():
        page.locator("select[name=language]").select_option("de")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    assert _violations(page, console) == []

    page.goto("/settings/integrations/email/")
    assert _violations(page, console) == []
    page.goto("/no-such-page/")
    assert _violations(page, console) == []

    # And the watch works: an inline script added now is refused and reported
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.ran = 1'; document.head.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert any("script-src" in v for v in _violations(page, console))
    assert page.evaluate("window.ran === undefined")
