"""Reply sync against a real Dovecot: only replies to Parley's emails, threaded right."""

from collections.abc import Callable

import pytest
from imapclient import IMAPClient

from parley.channels.email.models import EmailRecord, Mailbox, MailboxFolder
from parley.channels.email.sync import mailbox_sync
from parley.inbox.models import Conversation, Message
from parley.outbox.email_send import email_message_send
from parley.outbox.models import OutboxItem
from parley.outbox.services import outbox_deliver
from tests.channels.email.servers import PASSWORD

pytestmark = pytest.mark.django_db


def _send(member, conversation, mailbox, subject="Hello", body="Would you like to work with us?"):  # type: ignore[no-untyped-def]
    message = email_message_send(
        member=member, conversation=conversation, mailbox=mailbox, subject=subject, body=body
    )
    item = OutboxItem.objects.get(message=message)
    assert outbox_deliver(item_id=item.pk) == OutboxItem.State.DONE
    message.refresh_from_db()
    return message


def _ref(message: Message) -> str:
    return f"<{message.provider_message_id}>"


def test_reply_to_our_email_is_stored_in_the_creators_thread(member, mailbox, creator_thread, append):  # type: ignore[no-untyped-def]
    # Given an email sent to a creator
    thread = creator_thread("anna@creators.test", "Anna")
    sent = _send(member, thread, mailbox)
    # When the creator replies and the mailbox syncs
    append(mailbox.address, sender="Anna <anna@creators.test>", in_reply_to=_ref(sent), references=_ref(sent))
    report = mailbox_sync(mailbox_id=mailbox.pk)
    # Then the reply is in Anna's thread, inbound, from Anna
    reply = Message.objects.get(conversation=thread, direction=Message.Direction.INBOUND)
    assert reply.body_text.startswith("Sounds good!")
    assert reply.author_creator_id == thread.creator_id
    assert reply.status == Message.Status.RECEIVED
    assert report.stored == 1
    thread.refresh_from_db()
    assert thread.awaiting_reply_since is not None
