"""Twilio's webhooks, signed with a real RequestValidator signature: inbound SMS and MMS land
in the creator's thread by phone number; forged, replayed, unsigned, tampered and oversize
requests are refused (403 / 413) and store nothing; a repeat is stored once; opt-out words;
status callbacks; a webhook for workspace A never lands in workspace B."""

import logging
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from parley.accounts.models import Member
from parley.channels.sms.inbound import sms_media_fetch
from parley.channels.sms.models import SmsMedia, SmsNumber, SmsOptOut, SmsRecord, TwilioAccount
from parley.core.crypto import secret_encrypt
from parley.creators.models import Creator, Identity
from parley.inbox.models import Attachment, Conversation, InboxEntry, Message
from parley.outbox.services import outbox_deliver
from parley.outbox.sms_send import sms_message_send
from tests.channels.sms.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, NUMBER
from tests.factories import MemberFactory, WorkspaceFactory
from tests.sms_fixtures import CREATOR_PHONE, inbound_params, inbound_url, status_url

pytestmark = pytest.mark.django_db


def test_a_signed_sms_lands_in_the_creators_thread(member, sms_number, phone_thread, twilio_post):
    conversation = phone_thread()

    response = twilio_post(inbound_url(sms_number.account), inbound_params(body="Kiitos! ✅"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml") and b"<Response>" in response.content
    message = Message.objects.get(conversation=conversation, direction="in")
    assert (message.channel, message.body_text, message.author_creator_id) == (
        "sms",
        "Kiitos! ✅",
        conversation.creator_id,
    )
    conversation.refresh_from_db()
    assert conversation.awaiting_reply_since is not None
    assert InboxEntry.objects.get(member=member, conversation=conversation).unread
    record = SmsRecord.objects.get(message=message)
    assert (record.number_id, record.from_number, record.encoding) == (
        sms_number.id,
        CREATOR_PHONE,
        "UCS-2",
    )
    sms_number.refresh_from_db()
    assert sms_number.last_inbound_at is not None


def test_the_same_webhook_twice_is_stored_once(sms_number, phone_thread, twilio_post):
    phone_thread()
    params = inbound_params()

    first = twilio_post(inbound_url(sms_number.account), params)
    again = twilio_post(inbound_url(sms_number.account), params)  # Twilio retries, or a replay

    assert first.status_code == again.status_code == 200
    assert Message.objects.filter(direction="in").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_at_the_same_moment_are_stored_once(
    member, twilio, phone_thread, twilio_post
):
    from parley.channels.sms.services import Login, account_connect, number_add
    from tests.channels.sms.twilio_fake import NUMBER_SID

    account = account_connect(member=member, login=Login(ACCOUNT_SID, auth_token=AUTH_TOKEN))
    number_add(member=member, account=account, twilio_sid=NUMBER_SID)
    phone_thread()
    params = inbound_params(sid="SM" + "7" * 32)
    barrier = threading.Barrier(4)
    codes: list[int] = []

    def deliver() -> None:
        barrier.wait()
        try:
            codes.append(twilio_post(inbound_url(account), params).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert codes == [200] * 4
    assert Message.objects.filter(direction="in", channel="sms").count() == 1
    assert SmsRecord.objects.filter(message_sid=params["MessageSid"]).count() == 1


@pytest.mark.parametrize(
    "how",
    [
        "unsigned",
        "forged",
        "wrong token",
        "tampered",
        "another account sid",
        "other url",
        "lowercase",
    ],
)
def test_anything_but_twilios_signature_is_403_and_stores_nothing(
    sms_number, phone_thread, twilio_post, how, caplog
):
    phone_thread()
    url = inbound_url(sms_number.account)
    params = inbound_params()
    kwargs: dict = {}
    if how == "unsigned":
        kwargs["signature"] = ""
    elif how == "forged":
        kwargs["signature"] = "bm90IGEgc2lnbmF0dXJlIGF0IGFsbA=="
    elif how == "wrong token":
        kwargs["token"] = "0" * 32
    elif how == "lowercase":  # the right signature, changed in one letter's case
        from tests.sms_fixtures import sign

        good = sign(url, params)
        kwargs["signature"] = good.swapcase()
    if how == "tampered":  # signed, then the body changed on the way
        from tests.sms_fixtures import sign

        kwargs["signature"] = sign(url, params)
        params = {**params, "Body": "Send the payment to another account"}
    if how == "another account sid":
        params = {**params, "AccountSid": "AC" + "9" * 32}
    if how == "other url":  # signed for the status callback URL, sent to the inbound one
        from tests.sms_fixtures import sign

        kwargs["signature"] = sign(status_url(sms_number.account), params)

    with caplog.at_level(logging.INFO):
        response = twilio_post(url, params, **kwargs)

    assert response.status_code == 403
    assert not Message.objects.filter(direction="in").exists()
    assert not SmsRecord.objects.exists()
    # what is logged: the account and why, never the token, the signature or the SMS
    logged = caplog.text
    assert "signature" in logged or "another Twilio account" in logged
    assert AUTH_TOKEN not in logged
    assert not kwargs.get("signature") or kwargs["signature"] not in logged
    assert CREATOR_PHONE not in logged and "Hello from my phone" not in logged


def test_an_unknown_key_and_a_get_are_refused(sms_number, twilio_post):
    assert twilio_post("/sms/twilio/nope/inbound/", inbound_params()).status_code == 403
    assert Client().get(inbound_url(sms_number.account)).status_code == 405


def test_an_account_without_its_auth_token_refuses_every_webhook(member, twilio, twilio_post):
    from parley.channels.sms.services import Login, account_connect
    from tests.channels.sms.twilio_fake import KEY_SECRET, KEY_SID

    account = account_connect(
        member=member, login=Login(ACCOUNT_SID, api_key_sid=KEY_SID, api_key_secret=KEY_SECRET)
    )

    assert twilio_post(inbound_url(account), inbound_params()).status_code == 403


def test_an_oversize_webhook_is_refused(sms_number, twilio_post):
    params = inbound_params(Body="x" * 70_000)

    response = twilio_post(inbound_url(sms_number.account), params)

    assert response.status_code == 413
    assert not Message.objects.exists()


def test_an_unknown_number_becomes_a_creator_from_sms(member, sms_number, twilio_post):
    response = twilio_post(
        inbound_url(sms_number.account), inbound_params(sender="+4915123456789", body="Hallo!")
    )

    assert response.status_code == 200
    identity = Identity.objects.get(normalized="+4915123456789")
    creator = identity.creator
    assert (identity.kind, identity.source, identity.is_primary) == ("phone", "sms", True)
    assert creator.workspace_id == member.workspace_id
    assert creator.name == "+49 1512 3456789" and creator.first_name == ""
    assert creator.preferred_channel == Creator.Channel.SMS
    conversation = Conversation.objects.get(creator=creator)
    assert conversation.assignee_id is None and not creator.campaign_memberships.exists()
    assert Message.objects.get(conversation=conversation).body_text == "Hallo!"

    # the next one from the number finds the same creator
    twilio_post(
        inbound_url(sms_number.account),
        inbound_params(sender="+4915123456789", body="Noch da?", sid="SM" + "2" * 32),
    )
    assert Creator.objects.filter(workspace=member.workspace).count() == 1
    assert Message.objects.filter(conversation=conversation).count() == 2


def test_a_number_libphonenumber_does_not_know_still_becomes_a_creator(
    member, sms_number, twilio_post
):
    # Twilio's own test numbers are possible numbers but not valid ones to libphonenumber.
    response = twilio_post(
        inbound_url(sms_number.account), inbound_params(sender="+15005550006", body="Test")
    )

    assert response.status_code == 200
    assert Identity.objects.get(normalized="+15005550006").source == "sms"


def test_the_sidebar_says_from_sms(logged_in, sms_number, twilio_post):
    twilio_post(inbound_url(sms_number.account), inbound_params(sender="+4915123456789"))
    conversation = Conversation.objects.get()

    page = logged_in.get(reverse("inbox:thread", args=[conversation.id])).content.decode()

    assert 'data-testid="from-sms"' in page


def test_a_webhook_for_workspace_a_never_lands_in_workspace_b(
    member, sms_number, phone_thread, twilio_post
):
    # workspace B: its own Twilio account and number, and a creator with the same phone
    b_member: Member = MemberFactory(workspace=WorkspaceFactory(name="B"))  # type: ignore[assignment]
    b_account = TwilioAccount.objects.create(
        workspace=b_member.workspace,
        account_sid="AC" + "b" * 32,
        auth_token=secret_encrypt("b" * 32),
        webhook_key="b-key-" + "x" * 30,
        connected_at=timezone.now(),
    )
    SmsNumber.objects.create(
        workspace=b_member.workspace,
        account=b_account,
        twilio_sid="PN" + "b" * 32,
        phone_number=NUMBER,  # the same number string, as a test of routing by account
        added_at=timezone.now(),
    )
    a_thread = phone_thread()
    b_thread = phone_thread(workspace=b_member.workspace)
    params = inbound_params()

    # A's webhook, signed with A's token, sent to A's URL: A's thread only
    assert twilio_post(inbound_url(sms_number.account), params).status_code == 200
    # the same request, signature and all, replayed to B's URL: 403
    from tests.sms_fixtures import sign

    replay = sign(inbound_url(sms_number.account), params)
    assert twilio_post(inbound_url(b_account), params, signature=replay).status_code == 403
    # signed for B's URL with A's token: still 403 (B checks with its own token)
    assert (
        twilio_post(inbound_url(b_account), {**params, "MessageSid": "SM" + "3" * 32}).status_code
        == 403
    )
    # B's token but A's account in the body: 403
    assert (
        twilio_post(
            inbound_url(b_account), {**params, "MessageSid": "SM" + "4" * 32}, token="b" * 32
        ).status_code
        == 403
    )

    assert Message.objects.filter(conversation=a_thread, direction="in").count() == 1
    assert not Message.objects.filter(conversation=b_thread).exists()
    assert not Message.objects.filter(workspace=b_member.workspace).exists()


def test_mms_media_are_fetched_with_the_accounts_login_and_stored_safely(
    member, sms_number, phone_thread, twilio, twilio_post, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    conversation = phone_thread()
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    direct = twilio.add_media("ME" + "1" * 32, png, "image/png")
    redirected = twilio.add_media("MEredirect" + "2" * 22, b"%PDF-1.4 tiny", "application/pdf")
    params = inbound_params(
        body="",
        NumMedia="3",
        MediaUrl0=direct,
        MediaContentType0="image/png",
        MediaUrl1=redirected,
        MediaContentType1="application/pdf",
        MediaUrl2="https://evil.example/steal?x=1",
        MediaContentType2="image/jpeg",
    )

    twilio_post(inbound_url(sms_number.account), params)
    record = SmsRecord.objects.get()
    stored = sms_media_fetch(record_id=record.id)

    assert stored == 2 and record.num_media == 3
    attachments = list(Attachment.objects.filter(message__conversation=conversation).order_by("id"))
    assert [a.content_type for a in attachments] == ["image/png", "application/pdf"]
    assert attachments[0].file.read() == png
    assert all(
        a.filename.startswith("mms-") and "/" not in str(a.file.name).split("attachments/")[1][8:]
        for a in attachments
    )
    assert SmsMedia.objects.get(index=2).state == SmsMedia.State.FAILED  # never fetched
    assert sms_media_fetch(record_id=record.id) == 0  # idempotent


@pytest.mark.parametrize(
    "word", ["STOP", " stop ", "Stop!", "stopall", "UNSUBSCRIBE", "cancel", "End", "quit"]
)
def test_opt_out_words_opt_the_number_out(
    logged_in, member, sms_number, phone_thread, twilio_post, word
):
    conversation = phone_thread()

    twilio_post(inbound_url(sms_number.account), inbound_params(body=word))

    opt_out = SmsOptOut.objects.get(workspace=member.workspace, phone=CREATOR_PHONE)
    assert opt_out.opted_out and opt_out.keyword == word.strip().rstrip("!").upper()
    assert Message.objects.filter(
        conversation=conversation, direction="in", body_text=word
    ).exists()
    assert Message.objects.filter(conversation=conversation, direction="event").exists()
    sidebar = logged_in.get(reverse("inbox:thread", args=[conversation.id])).content.decode()
    assert 'data-testid="sms-opted-out"' in sidebar


@pytest.mark.parametrize("word", ["START", "unstop", "Yes"])
def test_start_words_opt_back_in(member, sms_number, phone_thread, twilio_post, twilio, word):
    conversation = phone_thread()
    twilio_post(inbound_url(sms_number.account), inbound_params(body="STOP"))
    twilio_post(inbound_url(sms_number.account), inbound_params(body=word, sid="SM" + "5" * 32))

    assert not SmsOptOut.objects.get(phone=CREATOR_PHONE).opted_out
    message = sms_message_send(
        member=member, conversation=conversation, number=sms_number, body="Hi"
    )
    assert message.status == "queued"


def _sent(member, sms_number, conversation):  # type: ignore[no-untyped-def]
    message = sms_message_send(
        member=member, conversation=conversation, number=sms_number, body="Hi"
    )
    outbox_deliver(item_id=message.outbox_item.id)
    message.refresh_from_db()
    return message


def _callback(twilio_post, account, message, status, **extra):  # type: ignore[no-untyped-def]
    params = {
        "MessageSid": message.provider_sid or extra.pop("sid", ""),
        "MessageStatus": status,
        "AccountSid": ACCOUNT_SID,
        "To": CREATOR_PHONE,
        "From": NUMBER,
        **extra,
    }
    return twilio_post(status_url(account) + f"?m={message.id}", params)


def test_status_callbacks_move_a_message_on_and_never_back(
    member, sms_number, phone_thread, twilio_post, twilio
):
    message = _sent(member, sms_number, phone_thread())
    account = sms_number.account

    # handed to Twilio: sent by Parley, queued at Twilio
    assert message.status == Message.Status.SENT and message.status_reason == "At Twilio: queued"
    seen = []
    for status in ("queued", "sending", "sent", "delivered"):
        assert _callback(twilio_post, account, message, status).status_code == 204
        message.refresh_from_db()
        seen.append((message.status, message.status_reason))
    assert seen == [
        ("sent", "At Twilio: queued"),
        ("sent", "At Twilio: sending"),
        ("sent", ""),
        ("delivered", ""),
    ]

    _callback(twilio_post, account, message, "sent")  # late, or replayed
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED


@pytest.mark.parametrize(
    ("status", "code", "words"),
    [
        ("undelivered", "30003", "Unreachable handset"),
        ("failed", "30007", "Filtered by the carrier"),
        ("undelivered", "30999", "twilio.com/docs/errors/30999"),
    ],
)
def test_undelivered_and_failed_show_the_code_and_its_meaning(
    member, sms_number, phone_thread, twilio_post, twilio, status, code, words
):
    message = _sent(member, sms_number, phone_thread())

    _callback(twilio_post, sms_number.account, message, status, ErrorCode=code)

    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert f"Twilio error {code}" in message.status_reason and words in message.status_reason
    sms_number.refresh_from_db()
    assert code in sms_number.last_error
    assert SmsRecord.objects.get(message=message).error_code == int(code)


def test_a_21610_callback_opts_the_number_out(
    member, sms_number, phone_thread, twilio_post, twilio
):
    message = _sent(member, sms_number, phone_thread())

    _callback(twilio_post, sms_number.account, message, "failed", ErrorCode="21610")

    assert SmsOptOut.objects.get(phone=CREATOR_PHONE).opted_out


def test_a_callback_names_its_message_when_the_sid_was_never_noted(
    member, sms_number, phone_thread, twilio_post, twilio
):
    # the worker died after Twilio took it: the message has no sid, the callback names it
    message = sms_message_send(
        member=member, conversation=phone_thread(), number=sms_number, body="Hi"
    )
    sid = "SM" + "6" * 32

    _callback(twilio_post, sms_number.account, message, "delivered", sid=sid)

    record = SmsRecord.objects.get(message=message)
    message.refresh_from_db()
    assert record.message_sid == sid and message.provider_sid == sid
    assert message.status == Message.Status.DELIVERED


def test_a_delivered_report_before_the_batch_is_recorded_stands(
    member, sms_number, phone_thread, twilio_post, twilio, monkeypatch
):
    """The status callback can beat the outbox writing the batch's outcome: the message stays
    delivered, the outbox row is settled."""
    from parley.channels.sms import adapter as sms_adapter

    conversation = phone_thread()
    message = sms_message_send(
        member=member, conversation=conversation, number=sms_number, body="Hi"
    )
    original = sms_adapter.SmsBatch.send

    def send_then_report(self, msg):  # type: ignore[no-untyped-def]
        result = original(self, msg)
        msg.provider_sid = result.provider_id
        _callback(twilio_post, sms_number.account, msg, "delivered")
        return result

    monkeypatch.setattr(sms_adapter.SmsBatch, "send", send_then_report)
    outbox_deliver(item_id=message.outbox_item.id)

    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert message.outbox_item.state == "done"


def test_a_forged_status_callback_changes_nothing(
    member, sms_number, phone_thread, twilio_post, twilio
):
    message = _sent(member, sms_number, phone_thread())

    response = twilio_post(
        status_url(sms_number.account),
        {
            "MessageSid": message.provider_sid,
            "MessageStatus": "failed",
            "ErrorCode": "30007",
            "AccountSid": ACCOUNT_SID,
        },
        token="0" * 32,
    )

    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
