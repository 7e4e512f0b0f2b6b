"""SMS in Chromium, against the local Twilio (tests/channels/sms/twilio_fake.py): connect
the account and pick its number in Settings, send an SMS from the message box (the segment
count follows the text), a signed inbound webhook shows in the open thread without a
reload, then STOP shows the opt-out in the sidebar."""

from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from parley.channels.sms.models import SmsNumber, TwilioAccount
from parley.inbox.models import Message
from parley.outbox.dispatch import outbox_dispatch_due
from tests.channels.sms.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, NUMBER
from tests.sms_fixtures import CREATOR_PHONE, inbound_params, sign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _webhook(url: str, params: dict[str, str]) -> int:
    """POST as Twilio does: form-encoded, signed for the full URL with the auth token."""
    response = requests.post(
        url, data=params, headers={"X-Twilio-Signature": sign(url, params)}, timeout=10
    )
    return response.status_code


def test_connect_send_receive_and_opt_out(  # type: ignore[no-untyped-def]
    login, live_server, twilio, settings, phone_thread
):
    settings.PARLEY_PUBLIC_URL = live_server.url
    conversation = phone_thread(name="Aino Virtanen")
    page = login()

    # When I connect Twilio in Settings with the account's SID and auth token
    page.goto("/settings/integrations/sms/")
    expect(page.locator("[data-testid=sms-none]")).to_be_visible()
    page.locator("#connect-twilio").click()
    page.get_by_label("Account SID").fill(ACCOUNT_SID)
    page.get_by_label("Auth token").fill(AUTH_TOKEN)
    page.get_by_role("button", name="Test and connect").click()
    # and pick the SMS number it lists
    page.get_by_label(NUMBER, exact=False).first.check()
    page.get_by_role("button", name="Add").click()
    # Then the number is a sender, its webhooks set by Parley
    expect(page.locator("[data-testid=sms-numbers]")).to_contain_text(NUMBER)
    account = TwilioAccount.objects.get()
    number = SmsNumber.objects.get()
    assert number.phone_number == NUMBER and number.webhooks_set
    inbound_url = live_server.url + f"/sms/twilio/{account.webhook_key}/inbound/"

    # When I write an SMS to the creator from the message box
    page.goto(f"/inbox/c/{conversation.id}/")
    page.select_option("[data-testid=channel]", "sms")
    page.fill("textarea[name=body]", "Hei Aino, paketti lähti tänään!")
    # Then the segment count follows the text (ä is in GSM-7: one segment)
    expect(page.locator("[data-testid=sms-segments-count]")).to_have_attribute("data-segments", "1")
    page.fill("textarea[name=body]", "Hei Aino 🎁 paketti lähti tänään!")
    expect(page.locator("[data-testid=sms-segments-count]")).to_contain_text("UCS-2")
    page.get_by_role("button", name="Send").click()
    sent = page.locator("[data-testid=message]").last
    expect(sent).to_contain_text("Hei Aino 🎁 paketti lähti tänään!")
    # and the worker hands it to Twilio, to the creator's phone from the number
    assert outbox_dispatch_due() == 1
    assert [(s.params["To"], s.params["From"]) for s in twilio.state.sent] == [
        (CREATOR_PHONE, NUMBER)
    ]
    assert Message.objects.get(direction="out").status == "sent"

    # When the creator answers (Twilio posts the signed webhook)
    assert _webhook(inbound_url, inbound_params(body="Kiitos, odotan innolla!", to=NUMBER)) == 200
    # Then it shows in the open thread without a reload
    expect(page.locator("[data-testid=message]").last).to_contain_text(
        "Kiitos, odotan innolla!", timeout=5000
    )

    # When they reply STOP
    params: dict[str, Any] = inbound_params(body=" stop ", to=NUMBER, sid="SM" + "2" * 32)
    assert _webhook(inbound_url, params) == 200
    # Then the sidebar says the number opted out, without a reload
    expect(page.locator("[data-testid=sms-opted-out]")).to_contain_text(CREATOR_PHONE, timeout=5000)
    # and a forged webhook is refused
    forged = requests.post(
        inbound_url,
        data=inbound_params(body="forged", to=NUMBER, sid="SM" + "3" * 32),
        headers={"X-Twilio-Signature": "bm90LWEtc2lnbmF0dXJl"},
        timeout=10,
    )
    assert forged.status_code == 403
    assert not Message.objects.filter(body_text="forged").exists()
