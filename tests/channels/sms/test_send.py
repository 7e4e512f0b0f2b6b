"""Sending SMS through the outbox to the local Twilio: the creator's phone in E.164, the
number's rate, segments counted and capped, opt-outs refused before Twilio, and Twilio's
errors (21211 invalid number, 21610 opted out, 20003 authentication, 429) handled."""

import pytest
from django.urls import reverse

from parley.channels.sms.health import opt_out_set
from parley.channels.sms.models import SmsOptOut, SmsRecord
from parley.channels.sms.services import webhook_urls
from parley.core.errors import ValidationFailed
from parley.inbox.models import Message
from parley.outbox.dispatch import outbox_dispatch_due
from parley.outbox.models import OutboxItem
from parley.outbox.services import outbox_deliver
from parley.outbox.sms_send import sms_message_send
from tests.channels.sms.twilio_fake import INVALID_TO, NUMBER, OPTED_OUT_TO
from tests.sms_fixtures import CREATOR_PHONE

pytestmark = pytest.mark.django_db


def send(member, conversation, number, body="Hei! Sopimus on valmis.", **kwargs):  # type: ignore[no-untyped-def]
    message = sms_message_send(
        member=member, conversation=conversation, number=number, body=body, **kwargs
    )
    outbox_deliver(item_id=message.outbox_item.id)
    message.refresh_from_db()
    return message


def test_an_sms_goes_to_twilio_from_the_number_with_a_status_callback(
    member, sms_number, phone_thread, twilio
):
    conversation = phone_thread()

    message = send(member, conversation, sms_number)

    assert message.status == Message.Status.SENT and message.channel == "sms"
    [sent] = twilio.state.sent
    assert sent.params["To"] == CREATOR_PHONE and sent.params["From"] == NUMBER
    assert sent.params["Body"] == "Hei! Sopimus on valmis."
    callback = webhook_urls(sms_number.account)[1] + f"?m={message.id}"
    assert sent.params["StatusCallback"] == callback
    record = SmsRecord.objects.get(message=message)
    assert record.message_sid == sent.sid == message.provider_sid
    assert (record.status, record.segments, record.encoding) == ("queued", 1, "GSM-7")


def test_a_messaging_service_sends_by_its_sid(member, sms_account, phone_thread, twilio):
    from parley.channels.sms.services import number_add
    from tests.channels.sms.twilio_fake import SERVICE_SID

    service = number_add(member=member, account=sms_account, twilio_sid=SERVICE_SID)
    send(member, phone_thread(), service)

    [sent] = twilio.state.sent
    assert sent.params["MessagingServiceSid"] == SERVICE_SID and "From" not in sent.params


def test_an_api_key_login_sends_with_the_key(member, twilio, phone_thread):
    from parley.channels.sms.services import Login, account_connect, number_add
    from tests.channels.sms.twilio_fake import ACCOUNT_SID, KEY_SECRET, KEY_SID, NUMBER_SID

    account = account_connect(
        member=member, login=Login(ACCOUNT_SID, api_key_sid=KEY_SID, api_key_secret=KEY_SECRET)
    )
    number = number_add(member=member, account=account, twilio_sid=NUMBER_SID)
    send(member, phone_thread(), number)

    assert twilio.state.sent[0].login == KEY_SID


@pytest.mark.parametrize(
    ("body", "words"),
    [("", "Write a message"), ("x" * 1531, "11 segments"), ("😀" * 336, "11 segments")],
)
def test_too_long_or_empty_is_refused_before_anything_is_queued(
    member, sms_number, phone_thread, twilio, body, words
):
    with pytest.raises(ValidationFailed) as caught:
        sms_message_send(member=member, conversation=phone_thread(), number=sms_number, body=body)
    assert words in caught.value.errors["body"][0]
    assert not Message.objects.filter(channel="sms").exists() and not twilio.state.sent


def test_ten_segments_go(member, sms_number, phone_thread, twilio):
    message = send(member, phone_thread(), sms_number, body="y" * 1530)
    assert message.status == Message.Status.SENT
    assert SmsRecord.objects.get(message=message).segments == 10


@pytest.mark.parametrize(
    ("phone", "words"),
    [("", "no phone number"), ("+1234", "not a valid phone number")],
)
def test_a_creator_without_a_valid_number_is_refused(
    member, sms_number, make_conversation, phone_thread, phone, words
):
    conversation = phone_thread(phone) if phone else make_conversation()
    with pytest.raises(ValidationFailed) as caught:
        sms_message_send(member=member, conversation=conversation, number=sms_number, body="Hi")
    assert words in caught.value.errors["conversation"][0]


def test_an_opted_out_number_is_refused_before_twilio_with_a_clear_message(
    member, sms_number, phone_thread, twilio
):
    conversation = phone_thread()
    opt_out_set(
        workspace_id=member.workspace_id, phone=CREATOR_PHONE, opted_out=True, keyword="STOP"
    )

    with pytest.raises(ValidationFailed) as caught:
        sms_message_send(member=member, conversation=conversation, number=sms_number, body="Hi")

    assert "opted out" in caught.value.errors["conversation"][0]
    assert not twilio.state.sent


def test_a_stop_after_queueing_stops_the_send_too(member, sms_number, phone_thread, twilio):
    conversation = phone_thread()
    message = sms_message_send(
        member=member, conversation=conversation, number=sms_number, body="Hi"
    )
    opt_out_set(
        workspace_id=member.workspace_id, phone=CREATOR_PHONE, opted_out=True, keyword="STOP"
    )

    outbox_deliver(item_id=message.outbox_item.id)

    message.refresh_from_db()
    assert message.status == Message.Status.FAILED and "opted out" in message.status_reason
    assert not twilio.state.sent


def test_twilio_21211_fails_with_its_meaning(member, sms_number, phone_thread, twilio):
    message = send(member, phone_thread(INVALID_TO), sms_number)

    assert message.status == Message.Status.FAILED
    assert "21211" in message.status_reason and "not a valid phone number" in message.status_reason
    sms_number.refresh_from_db()
    assert "21211" in sms_number.last_error
    assert OutboxItem.objects.get(message=message).attempts == 1  # not tried again


def test_twilio_21610_fails_and_marks_the_number_opted_out(
    member, sms_number, phone_thread, twilio
):
    conversation = phone_thread(OPTED_OUT_TO)

    message = send(member, conversation, sms_number)

    assert message.status == Message.Status.FAILED and "21610" in message.status_reason
    assert SmsOptOut.objects.get(phone=OPTED_OUT_TO).keyword == "21610"
    with pytest.raises(ValidationFailed):  # the next one is refused before Twilio
        sms_message_send(member=member, conversation=conversation, number=sms_number, body="Hi")
    assert len(twilio.state.sent) == 1


def test_twilio_20003_holds_the_queue_until_reconnected(member, sms_number, phone_thread, twilio):
    twilio.state.fail_next = [(401, 20003)]

    message = send(member, phone_thread(), sms_number)

    sms_number.account.refresh_from_db()
    assert sms_number.account.needs_reauth
    item = OutboxItem.objects.get(message=message)
    assert item.state == OutboxItem.State.PENDING and item.attempts == 0  # held, not failed
    assert message.status == Message.Status.QUEUED


def test_twilio_429_is_tried_again_later(member, sms_number, phone_thread, twilio):
    twilio.state.fail_next = [(429, 20429)]

    message = send(member, phone_thread(), sms_number)

    item = OutboxItem.objects.get(message=message)
    assert item.state == OutboxItem.State.PENDING and item.attempts == 1
    assert "20429" in item.last_error and message.status == Message.Status.QUEUED


def test_a_read_timeout_is_not_sent_twice(member, sms_number, phone_thread, twilio, settings):
    settings.PARLEY_TWILIO_TIMEOUT = 0.3
    twilio.state.delay = 1.0

    message = send(member, phone_thread(), sms_number)

    assert message.status == Message.Status.FAILED and "may have gone out" in message.status_reason
    twilio.state.delay = 0
    outbox_dispatch_due()
    assert len(twilio.state.sent) == 1


def test_the_message_box_sends_an_sms_and_counts_segments(
    logged_in, member, sms_number, phone_thread, twilio
):
    conversation = phone_thread()

    counted = logged_in.post(reverse("sms:segments"), {"body": "Grüße! 😀"})
    thread = logged_in.get(reverse("inbox:thread", args=[conversation.id])).content.decode()
    response = logged_in.post(
        reverse("inbox:send", args=[conversation.id]),
        {"channel": "sms", "sms_number": sms_number.id, "body": "Moi 👋"},
    )

    assert 'data-segments="1"' in counted.content.decode() and "UCS-2" in counted.content.decode()
    assert 'value="sms"' in thread and 'data-testid="sms-number"' in thread
    assert response.status_code == 200
    message = Message.objects.get(channel="sms")
    assert message.body_text == "Moi 👋" and message.status == Message.Status.QUEUED


def test_without_a_number_the_message_box_says_sms_is_not_connected(logged_in, phone_thread):
    conversation = phone_thread()

    thread = logged_in.get(reverse("inbox:thread", args=[conversation.id])).content.decode()

    assert 'data-testid="sms-not-connected"' in thread and "SMS is not connected" in thread
    assert '<option value="sms"' not in thread


def test_a_number_of_another_workspace_is_a_404_from_the_message_box(
    logged_in, other_member, phone_thread, sms_number
):
    from parley.channels.sms.models import SmsNumber

    conversation = phone_thread()
    SmsNumber.objects.filter(id=sms_number.id).update(workspace=other_member.workspace)

    response = logged_in.post(
        reverse("inbox:send", args=[conversation.id]),
        {"channel": "sms", "sms_number": sms_number.id, "body": "Hi"},
    )

    assert response.status_code == 404
