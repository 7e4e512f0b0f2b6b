"""Bounces against a real Dovecot: a bounce for a Parley email fails that message, tells its
author and marks the address; it is never stored in any thread."""

import pytest
from django.urls import reverse

from parley.channels.email.models import EmailRecord
from parley.channels.email.sync import mailbox_sync
from parley.core.errors import ValidationFailed
from parley.creators.models import Identity
from parley.inbox.models import Message, Notification
from parley.outbox.email_send import email_message_send
from parley.outbox.models import OutboxItem
from parley.outbox.services import outbox_deliver
from tests.channels.email.bounce_fixtures import FAILURES, bounce_eml

pytestmark = pytest.mark.django_db

ANNA = "anna@creators.test"


def _send(member, conversation, mailbox, subject="Hello", **kwargs):  # type: ignore[no-untyped-def]
    message = email_message_send(
        member=member,
        conversation=conversation,
        mailbox=mailbox,
        subject=subject,
        body="Would you like to work with us?",
        **kwargs,
    )
    item = OutboxItem.objects.get(message=message)
    assert outbox_deliver(item_id=item.pk) == OutboxItem.State.DONE
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    return message


def _bounce(append, mailbox, name, sent, **kwargs):  # type: ignore[no-untyped-def]
    raw = bounce_eml(name, msgid=sent.provider_message_id, sender=mailbox.address, **kwargs)
    append(mailbox.address, sender="", raw=raw)


def _anna(thread) -> Identity:  # type: ignore[no-untyped-def]
    return Identity.objects.get(creator_id=thread.creator_id, kind=Identity.Kind.EMAIL)


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_a_bounce_fails_the_message_notifies_its_author_and_marks_the_address(  # type: ignore[no-untyped-def]
    name, member, mailbox, creator_thread, append
):
    # Given an email Parley sent to Anna
    thread = creator_thread(ANNA, "Anna")
    sent = _send(member, thread, mailbox)
    # When the receiving side's bounce of this format arrives and the mailbox syncs
    _bounce(append, mailbox, name, sent)
    report = mailbox_sync(mailbox_id=mailbox.pk)
    # Then the message failed with the status code and the server's words
    status, words = FAILURES[name]
    sent.refresh_from_db()
    assert sent.status == Message.Status.FAILED
    assert f"({status})" in sent.status_reason and words in sent.status_reason
    # and its author is told it bounced and why
    note = Notification.objects.get(member=member, kind=Notification.Kind.SEND_FAILED)
    assert "bounced" in note.text and status in note.text and ANNA in note.text
    assert note.conversation_id == thread.pk
    # and nothing was stored in any thread: the bounce is no reply (Gmail's names our email
    # in In-Reply-To, which once made it one)
    assert list(Message.objects.values_list("id", flat=True)) == [sent.pk]
    # and Anna's address is bouncing (every format here is a 5.x.x)
    anna = _anna(thread)
    assert anna.bounced_at is not None and anna.bounce_status == status
    assert words in anna.bounce_diagnostic
    # and the bounce's UID is recorded against the message, so it is handled once
    record = EmailRecord.objects.get(folder__isnull=False)
    assert (record.bounce_of_id, record.message_id) == (sent.pk, None)
    assert report.bounces == 1 and report.stored == 0
    assert mailbox_sync(mailbox_id=mailbox.pk).bounces == 0
    assert Notification.objects.filter(kind=Notification.Kind.SEND_FAILED).count() == 1


def test_the_same_bounce_delivered_twice_tells_the_author_once(  # type: ignore[no-untyped-def]
    member, mailbox, creator_thread, append
):
    thread = creator_thread(ANNA, "Anna")
    sent = _send(member, thread, mailbox)
    _bounce(append, mailbox, "postfix", sent)
    _bounce(append, mailbox, "postfix", sent)
    report = mailbox_sync(mailbox_id=mailbox.pk)
    assert report.bounces == 2
    assert Notification.objects.filter(kind=Notification.Kind.SEND_FAILED).count() == 1
    assert EmailRecord.objects.filter(bounce_of=sent).count() == 2


def test_a_bounce_for_an_email_parley_did_not_send_is_ignored(  # type: ignore[no-untyped-def]
    member, mailbox, creator_thread, append
):
    # Given a sent Parley email, and a bounce for an email the user sent from Gmail itself
    thread = creator_thread(ANNA, "Anna")
    sent = _send(member, thread, mailbox)
    for name in ("gmail", "postfix", "exim"):
        append(
            mailbox.address,
            sender="",
            raw=bounce_eml(name, msgid="CAF=x1y2z3@mail.gmail.com", sender=mailbox.address),
        )
    # When the mailbox syncs
    report = mailbox_sync(mailbox_id=mailbox.pk)
    # Then nothing changes and nothing is recorded, like any unrelated email
    sent.refresh_from_db()
    assert sent.status == Message.Status.SENT and sent.status_reason == ""
    assert _anna(thread).bounced_at is None
    assert not Notification.objects.filter(kind=Notification.Kind.SEND_FAILED).exists()
    assert not EmailRecord.objects.filter(folder__isnull=False).exists()
    assert Message.objects.count() == 1
    assert report.bounces == 0 and report.skipped == 4  # and our own copy in Sent


def test_a_delay_is_noted_on_the_message_and_a_later_failure_fails_it(  # type: ignore[no-untyped-def]
    member, mailbox, creator_thread, append
):
    # Given a sent email, whose delivery the receiving server delays
    thread = creator_thread(ANNA, "Anna")
    sent = _send(member, thread, mailbox)
    _bounce(append, mailbox, "postfix_delayed", sent)
    mailbox_sync(mailbox_id=mailbox.pk)
    # Then it stays sent with a note, nobody is notified and the address is not bouncing
    sent.refresh_from_db()
    assert sent.status == Message.Status.SENT
    assert sent.status_reason.startswith("Delivery delayed (4.4.1)")
    assert "Connection timed out" in sent.status_reason
    assert not Notification.objects.exists()
    assert _anna(thread).bounced_at is None
    assert Message.objects.count() == 1
    # When the server gives up later
    _bounce(append, mailbox, "postfix", sent)
    mailbox_sync(mailbox_id=mailbox.pk)
    # Then the email failed
    sent.refresh_from_db()
    assert sent.status == Message.Status.FAILED and "(5.1.1)" in sent.status_reason
    assert _anna(thread).bounce_status == "5.1.1"


def test_a_reply_from_the_address_after_its_bounce_clears_it(  # type: ignore[no-untyped-def]
    member, mailbox, creator_thread, append
):
    thread = creator_thread(ANNA, "Anna")
    sent = _send(member, thread, mailbox)
    _bounce(append, mailbox, "gmail", sent)
    mailbox_sync(mailbox_id=mailbox.pk)
    assert _anna(thread).bounced_at is not None
    # When Anna answers after all (her mailbox was full, or the server erred)
    append(mailbox.address, sender=f"Anna <{ANNA}>", in_reply_to=f"<{sent.provider_message_id}>")
    mailbox_sync(mailbox_id=mailbox.pk)
    anna = _anna(thread)
    assert (anna.bounced_at, anna.bounce_status, anna.bounce_diagnostic) == (None, "", "")


def test_a_person_writing_from_postmaster_is_stored_as_a_reply(  # type: ignore[no-untyped-def]
    member, mailbox, creator_thread, append
):
    # Given an email that looks like a bounce by its sender, but is a person's answer
    thread = creator_thread(ANNA, "Anna")
    sent = _send(member, thread, mailbox)
    append(
        mailbox.address,
        sender="postmaster@creators.test",
        in_reply_to=f"<{sent.provider_message_id}>",
        body="Anna has a new address: anna@new.test",
    )
    report = mailbox_sync(mailbox_id=mailbox.pk)
    # Then it is stored in the thread like any reply, and nothing failed
    reply = Message.objects.get(direction=Message.Direction.INBOUND)
    assert reply.conversation_id == thread.pk and "new address" in reply.body_text
    assert report.stored == 1 and report.bounces == 0
    sent.refresh_from_db()
    assert sent.status == Message.Status.SENT


def test_a_broken_bounce_never_stops_the_folder(member, mailbox, creator_thread, append):  # type: ignore[no-untyped-def]
    # Given a report whose parts are garbage, then a bounce and a reply behind it
    thread = creator_thread(ANNA, "Anna")
    sent = _send(member, thread, mailbox)
    broken = (
        b"From: MAILER-DAEMON@mail.brand.example\r\nSubject: Undelivered Mail Returned to Sender"
        b'\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n'
        b"In-Reply-To: <" + sent.provider_message_id.encode() + b">\r\n\r\n--b\r\n"
        b"Content-Type: message/delivery-status\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"\xff\xfe\x00=====\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n\x00\x01--b--\r\n"
    )
    append(mailbox.address, sender="", raw=broken)
    _bounce(append, mailbox, "microsoft365", sent)
    append(mailbox.address, sender=ANNA, in_reply_to=f"<{sent.provider_message_id}>")
    # When the mailbox syncs
    report = mailbox_sync(mailbox_id=mailbox.pk)
    # Then the broken one is recorded with its error as unreadable (never stored as a
    # reply), the real bounce is recorded and the reply stored
    sent.refresh_from_db()
    assert sent.status == Message.Status.FAILED and "(5.1.10)" in sent.status_reason
    assert [m.body_text for m in Message.objects.filter(direction="in")] == ["Sounds good!"]
    assert (report.unreadable, report.bounces, report.stored) == (1, 1, 1)
    poison = EmailRecord.objects.get(folder__isnull=False, message=None, bounce_of=None)
    assert "delivery status notification" in poison.error
    mailbox.refresh_from_db()
    assert mailbox.unreadable_count == 1
    assert mailbox_sync(mailbox_id=mailbox.pk).looked_at == 0


# --- The pages ------------------------------------------------------------------------------


def test_the_thread_shows_why_and_the_sidebar_shows_the_bouncing_address(  # type: ignore[no-untyped-def]
    logged_in, member, mailbox, creator_thread, append
):
    thread = creator_thread(ANNA, "Anna")
    sent = _send(member, thread, mailbox)
    _bounce(append, mailbox, "postfix", sent)
    mailbox_sync(mailbox_id=mailbox.pk)
    html = logged_in.get(reverse("inbox:thread", args=[thread.id])).content.decode()
    # The message: failed, with the code and the diagnostic
    assert "Failed: Bounced (5.1.1): &lt;anna@creators.test&gt;: Recipient address rejected" in html
    # The sidebar: the address, marked bouncing with its code
    assert 'data-testid="bouncing"' in html
    assert "bounced: 5.1.1 on" in html


def test_sending_to_a_bouncing_address_asks_first(  # type: ignore[no-untyped-def]
    logged_in, member, mailbox, creator_thread, append
):
    # Given Anna's address hard-bounced
    thread = creator_thread(ANNA, "Anna")
    sent = _send(member, thread, mailbox)
    _bounce(append, mailbox, "gmail", sent)
    mailbox_sync(mailbox_id=mailbox.pk)
    url = reverse("inbox:send", args=[thread.id])
    data = {"channel": "email", "mailbox": mailbox.id, "subject": "Again", "body": "Try again?"}
    # When the next email is sent from the message box
    asked = logged_in.post(url, data)
    # Then nothing is sent: it says the address bounced and offers "Send anyway"
    html = asked.content.decode()
    assert asked.status_code == 422
    assert f"Email to {ANNA} bounced on" in html and "5.1.1" in html
    assert 'name="confirm_bouncing" value="1"' in html and "Send anyway" in html
    assert "Try again?" in html  # the draft is kept
    assert Message.objects.count() == 1
    # When it is sent anyway
    confirmed = logged_in.post(url, {**data, "confirm_bouncing": "1"})
    # Then it is queued
    assert confirmed.status_code == 200
    assert Message.objects.filter(subject="Again", status=Message.Status.QUEUED).exists()


def test_the_service_needs_confirmation_for_a_bouncing_address(  # type: ignore[no-untyped-def]
    member, mailbox, creator_thread, append
):
    thread = creator_thread(ANNA, "Anna")
    sent = _send(member, thread, mailbox)
    _bounce(append, mailbox, "rfc3464", sent)
    mailbox_sync(mailbox_id=mailbox.pk)
    with pytest.raises(ValidationFailed) as exc:
        email_message_send(
            member=member, conversation=thread, mailbox=mailbox, subject="Hi", body="Again?"
        )
    assert list(exc.value.errors) == ["confirm_bouncing"]
    assert "5.2.2" in exc.value.errors["confirm_bouncing"][0]
    assert "Mailbox full" in exc.value.errors["confirm_bouncing"][0]
    again = _send(member, thread, mailbox, confirm_bouncing=True)
    assert again.status == Message.Status.SENT
