"""Message search: the messages of the token's workspace whose text or subject match."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from parley.api.auth import acting_member
from parley.api.schemas import CURSOR_HELP, CreatorRef, Cursor, FieldErrorsOut, Search
from parley.inbox.search import MAX_TERMS, MessageHit, message_search

router = Router(tags=["search"])


class MessageSearchQuery(Schema):
    q: Search = Field(
        ...,
        description=(
            "Words (each required, each the beginning of a word; with the workspace's "
            'search language, its inflected forms on PostgreSQL) and "quoted phrases". '
            "Words of one character outside quotes are left out; a search with no word "
            f"of two letters or digits left, or more than {MAX_TERMS} words, is a 422."
        ),
    )
    cursor: Cursor | None = Field(None, description=CURSOR_HELP)
    limit: int = Field(20, ge=1, le=100)


class MessageHitOut(Schema):
    id: int
    conversation_id: int
    creator: CreatorRef
    channel: str
    direction: str
    subject: str
    created_at: datetime
    snippet_html: str = Field(
        ...,
        description="The text around the match, HTML-escaped, the matched words in <mark>.",
    )

    @classmethod
    def build(cls, hit: MessageHit) -> "MessageHitOut":
        m = hit.message
        return cls(
            id=m.id,
            conversation_id=m.conversation_id,
            creator=CreatorRef(id=m.conversation.creator_id, name=m.conversation.creator.name),
            channel=m.channel,
            direction=m.direction,
            subject=m.subject,
            created_at=m.created_at,
            snippet_html=str(hit.snippet),
        )


class MessageSearchOut(Schema):
    items: list[MessageHitOut]
    next_cursor: str | None


@router.get("/messages", response={200: MessageSearchOut, 422: FieldErrorsOut})
def messages_search(request: HttpRequest, params: Query[MessageSearchQuery]) -> MessageSearchOut:
    """The workspace's messages matching `q`, newest stored first, with a snippet each."""
    member = acting_member(request)
    page = message_search(
        workspace=member.workspace, q=params.q, cursor=params.cursor, limit=params.limit
    )
    return MessageSearchOut(
        items=[MessageHitOut.build(hit) for hit in page.hits], next_cursor=page.next_cursor
    )
