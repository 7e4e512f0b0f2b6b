"""Hostile and broken mail against a real Dovecot: every email is stored or flagged, the
folder's sync always moves on, and the mailbox says at once what could not be read."""

import os
import subprocess
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.urls import reverse
from django.utils import timezone

from parley.channels.email import sync
from parley.channels.email.models import EmailRecord, Mailbox, MailboxFolder
from parley.channels.email.sync import folder_lease, mailbox_sync
from parley.core.workers import HOST
from parley.inbox.models import Message, Notification
from parley.outbox.email_send import email_message_send
from parley.outbox.models import OutboxItem
from parley.outbox.services import outbox_deliver

pytestmark = pytest.mark.django_db


def _send(member, conversation, mailbox):  # type: ignore[no-untyped-def]
    message = email_message_send(
        member=member, conversation=conversation, mailbox=mailbox, subject="Hello", body="Hi!"
    )
    item = OutboxItem.objects.get(message=message)
    assert outbox_deliver(item_id=item.pk) == OutboxItem.State.DONE
    message.refresh_from_db()
    return message


def _ref(message: Message) -> str:
    return f"<{message.provider_message_id}>"


def _reply_with_attachment(sent: Message, filename: str, *, subject: str = "Re: Hello") -> bytes:
    msg = EmailMessage()
    msg["From"] = "Anna <anna@creators.test>"
    msg["To"] = "brand@example.com"
    msg["Subject"] = subject
    msg["In-Reply-To"] = _ref(sent)
    msg.set_content("Here is the file.")
    msg.add_attachment(b"payload", maintype="text", subtype="plain", filename=filename)
    return bytes(msg)


def _inbound(thread) -> list[Message]:  # type: ignore[no-untyped-def]
    return list(Message.objects.filter(conversation=thread, direction="in").order_by("id"))


@pytest.mark.parametrize(
    "filename",
    ["../../poison.txt", "/etc/passwd", "C:\\Windows\\evil.exe", "a." + "x" * 120, "x" * 300],
)
def test_attachment_named_like_a_path_is_stored_safely_and_sync_goes_on(  # type: ignore[no-untyped-def]
    member, mailbox, creator_thread, append, settings, filename
):
    # Given an email sent to Anna, and her reply with an attachment named like a path
    thread = creator_thread("anna@creators.test", "Anna")
    sent = _send(member, thread, mailbox)
    append(mailbox.address, sender="", raw=_reply_with_attachment(sent, filename))
    append(mailbox.address, sender="anna@creators.test", in_reply_to=_ref(sent), body="later")
    # When the mailbox syncs
    report = mailbox_sync(mailbox_id=mailbox.pk)
    # Then both replies are stored, the attachment inside the media folder under a safe
    # name, its original name kept for display, and nothing counted as unreadable
    first, second = _inbound(thread)
    attachment = first.attachments.get()
    stored = Path(attachment.file.path).resolve()
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert "/" not in Path(attachment.file.name).name and ".." not in attachment.file.name
    assert len(attachment.file.name) <= 100
    assert attachment.filename == filename[:255]
    assert attachment.file.read() == b"payload"
    assert second.body_text == "later"
    assert report.stored == 2 and report.unreadable == 0
    folder = MailboxFolder.objects.get(mailbox=mailbox, role="inbox")
    assert folder.last_uid == max(EmailRecord.objects.filter(folder=folder).values_list("uid"))[0]


def test_email_that_cannot_be_stored_is_stored_flagged_and_the_next_one_is_synced(  # type: ignore[no-untyped-def]
    member, mailbox, creator_thread, append, monkeypatch, teammate
):
    # Given a reply whose attachment the file storage refuses (a full disk, say)
    thread = creator_thread("anna@creators.test", "Anna")
    sent = _send(member, thread, mailbox)
    append(mailbox.address, sender="", raw=_reply_with_attachment(sent, "rates.pdf"))
    append(mailbox.address, sender="anna@creators.test", in_reply_to=_ref(sent), body="later")

    def full_disk(self, name, content):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", full_disk)
    # When the mailbox syncs
    report = mailbox_sync(mailbox_id=mailbox.pk)
    # Then the reply is stored flagged with the reason (its text kept), the next reply too
    flagged, later = _inbound(thread)
    assert flagged.is_malformed and "No space left on device" in flagged.status_reason
    assert flagged.body_text.startswith("Here is the file.")
    assert later.body_text == "later" and not later.is_malformed
    assert report.unreadable == 1
    # And the mailbox counts it, with the error and time, and the admins were told
    mailbox.refresh_from_db()
    assert mailbox.unreadable_count == 1
    assert "No space left" in mailbox.last_unreadable_error and mailbox.last_unreadable_at
    notified = set(
        Notification.objects.filter(kind=Notification.Kind.SYNC_ERROR).values_list(
            "member_id", flat=True
        )
    )
    assert notified == {member.pk}  # the owner; not the plain teammate


def test_email_that_cannot_even_be_flagged_is_recorded_and_the_folder_moves_on(  # type: ignore[no-untyped-def]
    member, mailbox, creator_thread, append, monkeypatch
):
    # Given a reply that raises whatever storing it tries
    thread = creator_thread("anna@creators.test", "Anna")
    sent = _send(member, thread, mailbox)
    append(mailbox.address, sender="anna@creators.test", in_reply_to=_ref(sent), subject="boom")
    append(mailbox.address, sender="anna@creators.test", in_reply_to=_ref(sent), body="later")
    real = sync.message_record

    def explode(**kwargs):  # type: ignore[no-untyped-def]
        if kwargs["subject"] == "boom":
            raise KeyError("any exception class at all")
        return real(**kwargs)

    monkeypatch.setattr(sync, "message_record", explode)
    # When the mailbox syncs, twice
    mailbox_sync(mailbox_id=mailbox.pk)
    again = mailbox_sync(mailbox_id=mailbox.pk)
    # Then its UID is recorded with the error, the next reply is stored once, and the second
    # pass has nothing left to look at: the folder moved past it
    poison = EmailRecord.objects.get(folder__mailbox=mailbox, message__isnull=True)
    assert "KeyError" in poison.error and "any exception class" in poison.error
    assert [m.body_text for m in _inbound(thread)] == ["later"]
    assert again.looked_at == 0
    mailbox.refresh_from_db()
    assert mailbox.unreadable_count == 1 and "KeyError" in mailbox.last_unreadable_error


def test_a_failing_sync_pass_shows_on_the_mailbox_at_once(member, mailbox, monkeypatch):  # type: ignore[no-untyped-def]
    # Given a sync pass that raises something nobody expected
    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError("unexpected")

    monkeypatch.setattr(sync, "folder_sync", broken)
    # When it runs (twice)
    for _ in range(2):
        with pytest.raises(ZeroDivisionError):
            mailbox_sync(mailbox_id=mailbox.pk)
    # Then the mailbox has the error and its time, and the admins were told once
    mailbox.refresh_from_db()
    assert "ZeroDivisionError: unexpected" in mailbox.last_error and mailbox.last_error_at
    assert Notification.objects.filter(kind=Notification.Kind.SYNC_ERROR).count() == 1


def test_mailbox_page_shows_what_could_not_be_read(logged_in, mailbox):  # type: ignore[no-untyped-def]
    Mailbox.objects.filter(id=mailbox.id).update(
        unreadable_count=3,
        last_unreadable_error="SuspiciousFileOperation: bad name",
        last_unreadable_at=timezone.now(),
        last_error="ZeroDivisionError: unexpected",
        last_error_at=timezone.now(),
    )
    page = logged_in.get(reverse("email:settings")).content.decode()
    assert "3 emails could not be fully read" in page
    assert "SuspiciousFileOperation: bad name" in page
    assert "ZeroDivisionError: unexpected" in page


NO_BOUNDARY = (
    b"From: anna@creators.test\r\nTo: brand@example.com\r\nSubject: Re: Hello\r\n"
    b"In-Reply-To: {ref}\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="declared-but-never-used"\r\n\r\n'
    b"--actual\r\nContent-Type: text/plain\r\n\r\nThe readable text of my reply.\r\n"
    b"--actual\r\nContent-Type: text/plain\r\n\r\nand more\r\n"
)


def test_multipart_with_a_missing_boundary_shows_its_text(  # type: ignore[no-untyped-def]
    member, mailbox, creator_thread, append, logged_in
):
    # Given a reply whose multipart boundary is not the one its parts use
    thread = creator_thread("anna@creators.test", "Anna")
    sent = _send(member, thread, mailbox)
    append(mailbox.address, sender="", raw=NO_BOUNDARY.replace(b"{ref}", _ref(sent).encode()))
    # When it syncs
    mailbox_sync(mailbox_id=mailbox.pk)
    # Then it is flagged, its text is the body, and there is no opaque multipart download
    (reply,) = _inbound(thread)
    assert reply.is_malformed
    assert "The readable text of my reply." in reply.body_text and "and more" in reply.body_text
    assert not reply.attachments.exists()
    page = logged_in.get(reverse("inbox:thread", args=[thread.pk])).content.decode()
    assert "The readable text of my reply." in page


def test_reply_in_the_same_second_sorts_after_the_email_it_answers(  # type: ignore[no-untyped-def]
    member, mailbox, creator_thread, append
):
    # Given an email Parley sent, and a reply the server dates in the same whole second
    thread = creator_thread("anna@creators.test", "Anna")
    sent = _send(member, thread, mailbox)
    same_second = sent.created_at.replace(microsecond=0)
    append(
        mailbox.address, sender="anna@creators.test", in_reply_to=_ref(sent), arrived=same_second
    )
    # When it syncs
    mailbox_sync(mailbox_id=mailbox.pk)
    # Then the reply is after the email in the thread, and it is the thread's last activity
    (reply,) = _inbound(thread)
    assert reply.created_at > sent.created_at
    thread.refresh_from_db()
    assert thread.last_activity_at == reply.created_at
    assert thread.entries.get(member=member).unread


def test_reply_from_a_server_whose_clock_runs_behind_is_still_new(  # type: ignore[no-untyped-def]
    member, mailbox, creator_thread, append
):
    # Given a reply dated ten minutes before the email it answers
    thread = creator_thread("anna@creators.test", "Anna")
    sent = _send(member, thread, mailbox)
    append(
        mailbox.address,
        sender="anna@creators.test",
        in_reply_to=_ref(sent),
        arrived=sent.created_at - timedelta(minutes=10),
    )
    # When it syncs
    mailbox_sync(mailbox_id=mailbox.pk)
    # Then it still sorts after it and moves the conversation to the top as unread
    (reply,) = _inbound(thread)
    assert reply.created_at > sent.created_at
    thread.refresh_from_db()
    assert thread.last_activity_at == reply.created_at
    entry = thread.entries.get(member=member)
    assert entry.unread and entry.sort_at == reply.created_at


def _dead_pid() -> int:
    proc = subprocess.Popen(["sleep", "30"])
    proc.kill()
    proc.wait()
    return proc.pid


def test_a_dead_workers_folder_is_taken_over_at_once(mailbox):  # type: ignore[no-untyped-def]
    # Given a folder leased for minutes by a sync worker of this host that was SIGKILLed
    folder = MailboxFolder.objects.get(mailbox=mailbox, role="inbox")
    dead = f"sync:{HOST}:{_dead_pid()}:0a1b2c3d"
    MailboxFolder.objects.filter(id=folder.id).update(
        leased_by=dead, lease_until=timezone.now() + timedelta(minutes=3)
    )
    # When another worker asks for it
    # Then it gets it without waiting for the lease to run out
    assert folder_lease(folder=folder, worker_id="sync:other:1:ffffffff")
    folder.refresh_from_db()
    assert folder.leased_by == "sync:other:1:ffffffff"


def test_a_live_workers_folder_is_left_alone(mailbox):  # type: ignore[no-untyped-def]
    # Given a folder leased by a live worker of this host (our parent process), and one of
    # another host
    folder = MailboxFolder.objects.get(mailbox=mailbox, role="inbox")
    for holder in (f"sync:{HOST}:{os.getppid()}:0a1b2c3d", "sync:elsewhere:1:0a1b2c3d"):
        MailboxFolder.objects.filter(id=folder.id).update(
            leased_by=holder, lease_until=timezone.now() + timedelta(seconds=20)
        )
        # Then another worker does not get it while the lease runs
        assert not folder_lease(folder=folder, worker_id="sync:other:1:ffffffff")


def test_the_lease_is_short() -> None:
    assert timedelta(seconds=30) >= sync.LEASE
