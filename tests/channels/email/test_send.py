"""Connecting and sending, against a real SMTP server (aiosmtpd) and Dovecot."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from parley.accounts.models import Member
from parley.channels.email.mime import HeaderInjection, email_build, message_id_make, token_parse
from parley.channels.email.models import EmailRecord, Mailbox, MailboxFolder
from parley.channels.email.services import ServerSettings, mailbox_connect_imap
from parley.core.crypto import secret_decrypt, secret_encrypt, secret_rotate
from parley.core.errors import ValidationFailed
from parley.inbox.models import Message
from parley.outbox.email_send import email_message_send
from parley.outbox.models import OutboxItem
from parley.outbox.services import outbox_deliver
from tests.channels.email.servers import PASSWORD, free_port
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _deliver(message: Message) -> Message:
    outbox_deliver(item_id=OutboxItem.objects.get(message=message).pk)
    message.refresh_from_db()
    return message


def test_connect_saves_an_encrypted_secret_and_folder_baselines(mailbox, imap_user):  # type: ignore[no-untyped-def]
    assert mailbox.is_default and mailbox.access == Mailbox.Access.FULL
    assert PASSWORD not in mailbox.secret and secret_decrypt(mailbox.secret) == PASSWORD
    roles = dict(MailboxFolder.objects.filter(mailbox=mailbox).values_list("role", "name"))
    assert roles == {"inbox": "INBOX", "sent": "Sent"}


@pytest.mark.parametrize("problem", ["password", "smtp_host", "imap_host"])
def test_a_refused_connection_is_a_clear_error_and_nothing_is_saved(
    member, servers, imap_user, problem
):  # type: ignore[no-untyped-def]
    password = "wrong" if problem == "password" else PASSWORD
    if problem == "smtp_host":
        servers = ServerSettings(**{**servers.__dict__, "smtp_port": free_port()})
    if problem == "imap_host":
        servers = ServerSettings(**{**servers.__dict__, "imap_port": free_port()})
    with pytest.raises(ValidationFailed) as caught:
        mailbox_connect_imap(
            member=member,
            address=imap_user,
            display_name="",
            access="full",
            servers=servers,
            username=imap_user,
            password=password,
        )
    text = str(caught.value)
    if problem == "password":
        assert "refused the user name or password" in text
    else:
        assert "Could not reach" in text and "connection refused" in text
    assert PASSWORD not in text
    assert not Mailbox.objects.exists()


def test_send_goes_through_the_outbox_with_our_message_id_and_thread_headers(  # type: ignore[no-untyped-def]
    member, mailbox, creator_thread, smtp_server
):
    thread = creator_thread("anna@creators.test", "Anna Virtanen")
    # When a first email is queued
    first = email_message_send(
        member=member,
        conversation=thread,
        mailbox=mailbox,
        subject="Yhteistyö / Zusammenarbeit",
        body="Hei Anna!",
    )
    # Then it is queued in the outbox under the mailbox's sending key
    assert first.status == Message.Status.QUEUED
    item = OutboxItem.objects.get(message=first)
    assert item.sender_key == f"mailbox:{mailbox.pk}" and item.channel == "email"
    # When the outbox delivers it, and a second one in the same thread
    before = len(smtp_server.handler.messages)
    first = _deliver(first)
    attachment = SimpleUploadedFile("brief.pdf", b"%PDF brief", content_type="application/pdf")
    second = _deliver(
        email_message_send(
            member=member,
            conversation=thread,
            mailbox=mailbox,
            subject="Re: Yhteistyö",
            body="Brief attached.",
            attachments=[attachment],
        )
    )
    # Then both are sent, with our signed Message-IDs and the thread's headers
    assert first.status == second.status == Message.Status.SENT and first.sent_at
    got = smtp_server.handler.messages[before:]
    assert [m["Message-ID"] for m in got] == [
        f"<{first.provider_message_id}>",
        f"<{second.provider_message_id}>",
    ]
    assert token_parse(got[0]["Message-ID"]) == (member.workspace_id, first.pk)
    assert got[0]["Subject"] == "Yhteistyö / Zusammenarbeit"
    assert got[0]["From"].addresses[0].addr_spec == mailbox.address
    assert got[0]["From"].addresses[0].display_name == "Brand Team"
    assert got[1]["In-Reply-To"] == f"<{first.provider_message_id}>"
    assert first.provider_message_id in got[1]["References"]
    parts = [p for p in got[1].iter_attachments()]
    assert parts[0].get_filename() == "brief.pdf" and parts[0].get_content() == b"%PDF brief"
    assert smtp_server.handler.envelopes[-1][1] == ["anna@creators.test"]


def test_subject_with_line_breaks_or_oversized_attachments_are_refused(
    member, mailbox, creator_thread, settings
):  # type: ignore[no-untyped-def]
    thread = creator_thread()
    with pytest.raises(ValidationFailed) as caught:
        email_message_send(
            member=member,
            conversation=thread,
            mailbox=mailbox,
            subject="Hi\r\nBcc: everyone@example.com",
            body="x",
        )
    assert "line breaks" in caught.value.errors["subject"][0]
    settings.PARLEY_EMAIL_ATTACHMENT_MAX_BYTES = 1000
    big = SimpleUploadedFile("big.bin", b"x" * 2000)
    with pytest.raises(ValidationFailed) as caught:
        email_message_send(
            member=member,
            conversation=thread,
            mailbox=mailbox,
            subject="Hi",
            body="x",
            attachments=[big],
        )
    assert "the limit is 1000" in caught.value.errors["attachments"][0]
    assert not Message.objects.filter(channel="email").exists()


def test_another_workspaces_mailbox_cannot_be_used(mailbox, creator_thread, other_member):  # type: ignore[no-untyped-def]
    thread = creator_thread()
    with pytest.raises(ValidationFailed) as caught:
        email_message_send(
            member=other_member, conversation=thread, mailbox=mailbox, subject="Hi", body="x"
        )
    assert set(caught.value.errors) >= {"mailbox", "conversation"}


def test_header_injection_is_impossible_in_the_builder() -> None:
    for field in ("subject", "from_name", "to_name"):
        values: dict[str, Any] = {
            "subject": "s",
            "from_name": "f",
            "to_name": "t",
            field: "a\nBcc: x@y.z",
        }
        with pytest.raises(HeaderInjection):
            email_build(
                from_addr="a@b.c", to_addr="d@e.f", body_text="x", message_id="<m@b.c>", **values
            )


def test_signed_token_rejects_tampering(settings) -> None:
    mid = message_id_make(workspace_id=3, message_id=42, domain="brand.test")
    assert token_parse(mid) == (3, 42)
    assert token_parse(mid.replace("parley.3.42", "parley.3.43")) is None
    assert token_parse("<random@brand.test>") is None


def test_secret_keys_rotate(settings) -> None:
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PARLEY_SECRET_KEYS = [old]
    token = secret_encrypt("app-password")
    settings.PARLEY_SECRET_KEYS = [new, old]
    assert secret_decrypt(token) == "app-password"
    rotated = secret_rotate(token)
    settings.PARLEY_SECRET_KEYS = [new]
    assert secret_decrypt(rotated) == "app-password"


def test_non_admin_cannot_connect(member, servers, imap_user):  # type: ignore[no-untyped-def]
    plain: Member = MemberFactory(workspace=member.workspace, role="member")  # type: ignore[assignment]
    with pytest.raises(ValidationFailed):
        mailbox_connect_imap(
            member=plain,
            address=imap_user,
            display_name="",
            access="full",
            servers=servers,
            username=imap_user,
            password=PASSWORD,
        )


def test_disconnected_mailbox_fails_queued_mail_with_a_reason(member, mailbox, creator_thread):  # type: ignore[no-untyped-def]
    from parley.channels.email.services import mailbox_disconnect

    message = email_message_send(
        member=member, conversation=creator_thread(), mailbox=mailbox, subject="Hi", body="x"
    )
    mailbox_disconnect(member=member, mailbox=mailbox)
    message = _deliver(message)
    assert message.status == Message.Status.FAILED
    assert "disconnected" in message.status_reason
    assert EmailRecord.objects.filter(message=message).exists()
