"""A creator's message and a member's reply, as the Reports tests record them."""

from parley.inbox.models import Message
from parley.inbox.services import message_record


def inbound(conversation, at):  # type: ignore[no-untyped-def]
    message_record(
        conversation=conversation,
        channel="inapp",
        direction=Message.Direction.INBOUND,
        status=Message.Status.RECEIVED,
        body_text="hi",
        author_creator=conversation.creator,
        created_at=at,
    )


def reply(conversation, author, at):  # type: ignore[no-untyped-def]
    return message_record(
        conversation=conversation,
        channel="inapp",
        direction=Message.Direction.OUTBOUND,
        status=Message.Status.SENT,
        body_text="answer",
        author_member=author,
        created_at=at,
    )
