"""Browser: connect an IMAP/SMTP mailbox through the settings form in Chromium.

(The rest of the issue's browser test, sending from the inbox message box and seeing an
APPENDed reply appear without reload, needs the message box wired to email_message_send.)
"""

import pytest

from parley.channels.email.models import Mailbox
from tests.browser.conftest import browser, login, page  # noqa: F401  (fixtures)
from tests.channels.email.servers import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_connect_a_mailbox_through_the_form(login, page, imap_user, servers):  # type: ignore[no-untyped-def]  # noqa: F811
    login()
    page.goto("/settings/integrations/email/")
    page.click("#connect-imap")
    page.fill("input[name=address]", imap_user)
    page.fill("input[name=display_name]", "Brand Team")
    page.check("input[name=access][value=full]")
    page.fill("input[name=smtp_host]", servers.smtp_host)
    page.fill("input[name=smtp_port]", str(servers.smtp_port))
    page.select_option("select[name=smtp_tls]", "none")
    page.fill("input[name=imap_host]", servers.imap_host)
    page.fill("input[name=imap_port]", str(servers.imap_port))
    page.select_option("select[name=imap_tls]", "none")
    # A wrong password: a clear message on the form, nothing saved
    page.fill("input[name=password]", "wrong")
    page.click("form.connect-form button[type=submit]")
    assert page.locator(".errors").first.inner_text().strip() != ""
    assert "refused the user name or password" in page.content()
    assert not Mailbox.objects.exists()
    # The right one: connected, listed as default with its health
    page.fill("input[name=password]", PASSWORD)
    page.click("form.connect-form button[type=submit]")
    page.wait_for_url("**/settings/integrations/email/")
    row = page.locator("table.mailboxes tr", has_text=imap_user)
    assert "Default" in row.inner_text() and "Full access" in row.inner_text()
    assert Mailbox.objects.get().address == imap_user
