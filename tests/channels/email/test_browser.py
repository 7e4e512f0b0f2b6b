"""Browser: connect an IMAP/SMTP mailbox through the settings form in Chromium,

and send from the inbox message box, then see the creator's reply without a reload.
"""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from playwright.sync_api import expect

from parley.channels.email.models import Mailbox
from parley.inbox.models import Message
from tests.channels.email.servers import PASSWORD
from tests.conftest import database_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_connect_a_mailbox_through_the_form(login, page, imap_user, servers):  # type: ignore[no-untyped-def]
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
    assert page.locator(".connect-form .error").first.inner_text().strip() != ""
    assert "refused the user name or password" in page.content()
    assert not Mailbox.objects.exists()
    # The right one: connected, listed as default with its health
    page.fill("input[name=password]", PASSWORD)
    page.click("form.connect-form button[type=submit]")
    page.wait_for_url("**/settings/integrations/email/")
    row = page.locator("table.mailboxes tr", has_text=imap_user)
    assert "Default" in row.inner_text() and "Full access" in row.inner_text()
    assert Mailbox.objects.get().address == imap_user


def test_send_from_the_inbox_and_see_the_reply_without_reload(  # type: ignore[no-untyped-def]
    login,
    page,
    imap_user,
    servers,
    smtp_server,
    creator_thread,
    append,
):
    """Connect through the form, email a creator from the message box, a real `parley worker`
    sends it over SMTP and watches IMAP; the creator's reply shows in the thread."""
    conversation = creator_thread(email="maya@creators.test", name="Maya Lind")
    login()
    page.goto("/settings/integrations/email/")
    page.click("#connect-imap")
    page.fill("input[name=address]", imap_user)
    page.check("input[name=access][value=full]")
    page.fill("input[name=smtp_host]", servers.smtp_host)
    page.fill("input[name=smtp_port]", str(servers.smtp_port))
    page.select_option("select[name=smtp_tls]", "none")
    page.fill("input[name=imap_host]", servers.imap_host)
    page.fill("input[name=imap_port]", str(servers.imap_port))
    page.select_option("select[name=imap_tls]", "none")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.connect-form button[type=submit]")
    page.wait_for_url("**/settings/integrations/email/")

    worker = subprocess.Popen(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "worker", "--interval", "0.2"],
        env={**os.environ, "DATABASE_URL": database_url()},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        page.goto(f"/inbox/c/{conversation.id}/")
        page.select_option("[data-testid=channel]", "email")
        page.fill("input[name=subject]", "Summer collab")
        page.fill("textarea[name=body]", "Hi Maya, fancy a summer collab?")
        page.get_by_role("button", name="Send").click()
        sent = page.locator("[data-testid=message]").last
        expect(sent).to_contain_text("Hi Maya, fancy a summer collab?")
        expect(sent.locator("[data-testid=status]")).to_contain_text("Sent", timeout=20_000)
        message = Message.objects.get(conversation=conversation, direction="out")
        assert any(
            m["Subject"] == "Summer collab" and "maya@creators.test" in m["To"]
            for m in smtp_server.handler.messages
        )

        append(
            imap_user,
            sender="Maya Lind <maya@creators.test>",
            subject="Re: Summer collab",
            body="Yes please! Send the brief.",
            in_reply_to=f"<{message.provider_message_id}>",
        )
        expect(page.locator("[data-testid=message]").last).to_contain_text(
            "Yes please! Send the brief.", timeout=20_000
        )
    finally:
        worker.terminate()
        _out, err = worker.communicate(timeout=15)
    reply = Message.objects.get(conversation=conversation, direction="in")
    assert reply.author_creator_id == conversation.creator_id, err.decode()[-2000:]
