"""The inbox message box sending email: the view's validation and tenancy."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from parley.inbox.models import Message
from parley.outbox.models import OutboxItem

pytestmark = pytest.mark.django_db


def _send(client, conversation, **data):  # type: ignore[no-untyped-def]
    payload = {"channel": "email", "subject": "Hello", "body": "Hi there", **data}
    return client.post(reverse("inbox:send", args=[conversation.id]), payload)


def test_email_is_offered_only_with_a_mailbox(logged_in, member, creator_thread, connect):
    conversation = creator_thread()
    html = logged_in.get(reverse("inbox:thread", args=[conversation.id])).content.decode()
    assert 'value="email"' not in html and "Email is not connected" in html
    mailbox = connect()
    html = logged_in.get(reverse("inbox:thread", args=[conversation.id])).content.decode()
    assert 'value="email"' in html and mailbox.address in html


def test_email_send_queues_through_the_outbox(logged_in, creator_thread, mailbox):
    conversation = creator_thread()
    response = _send(
        logged_in,
        conversation,
        mailbox=mailbox.id,
        attachments=SimpleUploadedFile("brief.txt", b"the brief"),
    )
    assert response.status_code == 200
    message = Message.objects.get(conversation=conversation)
    assert (message.channel, message.status, message.subject) == ("email", "queued", "Hello")
    assert message.attachments.get().filename == "brief.txt"
    assert OutboxItem.objects.get(message=message).sender_key == mailbox.sender_key


def test_email_send_errors_are_clear_and_keep_nothing(logged_in, creator_thread, mailbox, settings):
    conversation = creator_thread()
    no_mailbox = _send(logged_in, conversation)
    assert no_mailbox.status_code == 422 and "Choose the mailbox" in no_mailbox.content.decode()
    injected = _send(logged_in, conversation, mailbox=mailbox.id, subject="Hi\r\nBcc: x@y.z")
    assert injected.status_code == 422 and "line breaks" in injected.content.decode()
    settings.PARLEY_EMAIL_ATTACHMENT_MAX_BYTES = 10
    too_big = _send(
        logged_in,
        conversation,
        mailbox=mailbox.id,
        attachments=SimpleUploadedFile("big.bin", b"x" * 100),
    )
    assert too_big.status_code == 422 and "the limit is" in too_big.content.decode()
    assert 'value="Hi there"' not in too_big.content.decode()  # body kept in the textarea
    assert "Hi there" in too_big.content.decode()
    assert not Message.objects.filter(conversation=conversation).exists()


def test_another_workspaces_mailbox_is_404(logged_in, creator_thread, other_member, connect):
    theirs = connect(who=other_member)
    conversation = creator_thread()
    assert _send(logged_in, conversation, mailbox=theirs.id).status_code == 404
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "name", ["a." + "x" * 120, "../../etc/passwd", "C:\\temp\\brief.txt", "\u202etxt.exe", "CON"]
)
def test_upload_with_a_hostile_name_is_stored_under_a_safe_one(  # type: ignore[no-untyped-def]
    logged_in, creator_thread, mailbox, name
):
    # Given a file whose name is a path, too long an extension, a bidi override or reserved
    conversation = creator_thread()
    # When it is sent from the message box
    response = _send(
        logged_in, conversation, mailbox=mailbox.id, attachments=SimpleUploadedFile(name, b"doc")
    )
    # Then the email is queued with it, stored under a safe name, the name kept for display
    assert response.status_code == 200
    attachment = Message.objects.get(conversation=conversation).attachments.get()
    stored = attachment.file.name.rsplit("/", 1)[-1]
    assert ".." not in attachment.file.name and "\\" not in stored and "\u202e" not in stored
    assert len(attachment.file.name) <= 100 and attachment.file.read() == b"doc"
    assert attachment.filename and "\u202e" not in attachment.filename
