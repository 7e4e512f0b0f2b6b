"""Request and response shapes of the REST API.

Output schemas read model attributes (`from_attributes`); `resolve_*` methods flatten
related rows that the selectors already loaded. Inputs carry types only: the services
check values, so a rule and its translated message live in one place.
"""

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import AwareDatetime

from parley.accounts.models import Member
from parley.campaigns.models import CampaignMember
from parley.creators.models import Note
from parley.inbox.models import Conversation, InboxEntry, Message, Notification

PAGE_LIMIT_MAX = 100


# Errors -------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str


class FieldErrorsOut(Schema):
    detail: dict[str, list[str]] = Field(
        ..., description="Field name (or `__all__`) → its messages."
    )


class CountOut(Schema):
    count: int


# Workspace, members, clients ---------------------------------------------------------


class WorkspaceOut(Schema):
    id: int
    name: str
    kind: str


class MemberOut(Schema):
    id: int
    name: str
    email: str
    role: str

    @staticmethod
    def resolve_name(obj: Member) -> str:
        return str(obj.user)

    @staticmethod
    def resolve_email(obj: Member) -> str:
        return obj.user.email


class MeOut(Schema):
    member: MemberOut
    workspace: WorkspaceOut


class ClientOut(Schema):
    id: int
    name: str


class ClientIn(Schema):
    name: str


# Tags ----------------------------------------------------------------------------------


class TagOut(Schema):
    id: int
    name: str


class TagIn(Schema):
    name: str


class CreatorIdsIn(Schema):
    creator_ids: list[int] = Field(..., min_length=1, max_length=5000)


# Conversations -------------------------------------------------------------------------


class CreatorRef(Schema):
    id: int
    name: str


class MemberRef(Schema):
    id: int
    name: str


def member_ref(member: Member | None) -> dict[str, Any] | None:
    # Plain data, not a MemberRef: Ninja re-validates nested schema instances.
    return {"id": member.id, "name": str(member.user)} if member is not None else None


class ConversationFilterQuery(Schema):
    """The inbox filters, as query parameters. Repeat a list parameter for several ids."""

    campaign: int | None = Field(None, description="One campaign (the inbox drop-down).")
    campaigns: list[int] = Field(default_factory=list, description="Any of these campaigns.")
    tags: list[int] = Field(default_factory=list, description="Any of these tags.")
    clients: list[int] = Field(default_factory=list, description="Any of these clients.")
    unread: bool = False
    assigned_to_me: bool = False
    awaiting: bool = Field(False, description="Waiting longer than the response-time goal.")
    q: str = Field("", description="Name, handle or email of the creator.")
    cursor: str | None = Field(None, description="`next_cursor` of the previous page.")
    limit: int = Field(30, ge=1, le=PAGE_LIMIT_MAX)


class ConversationItemOut(Schema):
    id: int
    creator: CreatorRef
    unread: bool
    marked_unread: bool
    last_activity_at: datetime
    last_inbound_at: datetime | None
    awaiting_reply_since: datetime | None
    preview: str
    channels: list[str]
    assignee_id: int | None
    campaign_status: str | None = Field(
        None, description="The creator's status in the `campaign` filtered on, if any."
    )

    @classmethod
    def build(cls, entry: InboxEntry) -> "ConversationItemOut":
        conversation = entry.conversation
        return cls(
            id=conversation.id,
            creator=CreatorRef(id=conversation.creator.id, name=conversation.creator.name),
            unread=entry.unread,
            marked_unread=entry.marked_unread,
            last_activity_at=conversation.last_activity_at,
            last_inbound_at=conversation.last_inbound_at,
            awaiting_reply_since=conversation.awaiting_reply_since,
            preview=conversation.preview,
            channels=conversation.channel_list,
            assignee_id=conversation.assignee_id,
            campaign_status=getattr(entry, "campaign_status", None),
        )


class ConversationPageOut(Schema):
    items: list[ConversationItemOut]
    next_cursor: str | None


class ConversationOut(Schema):
    id: int
    creator: CreatorRef
    assignee: MemberRef | None
    last_activity_at: datetime
    last_inbound_at: datetime | None
    awaiting_reply_since: datetime | None
    preview: str
    channels: list[str]
    campaign_ids: list[int] = Field(..., description="Campaigns the thread has messages for.")

    @classmethod
    def build(cls, conversation: Conversation, campaign_ids: list[int]) -> "ConversationOut":
        assignee = conversation.assignee
        return cls(
            id=conversation.id,
            creator=CreatorRef(id=conversation.creator.id, name=conversation.creator.name),
            assignee=MemberRef(id=assignee.id, name=str(assignee.user)) if assignee else None,
            last_activity_at=conversation.last_activity_at,
            last_inbound_at=conversation.last_inbound_at,
            awaiting_reply_since=conversation.awaiting_reply_since,
            preview=conversation.preview,
            channels=conversation.channel_list,
            campaign_ids=sorted(campaign_ids),
        )


class UnreadCountOut(Schema):
    unread: int


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int


class AuthorOut(Schema):
    kind: str = Field(..., description="`member` or `creator`.")
    id: int
    name: str


class MessageOut(Schema):
    id: int
    conversation_id: int
    channel: str
    direction: str
    status: str
    status_reason: str
    subject: str
    body_text: str
    body_html: str = Field(..., description="Sanitised HTML; show it in a sandbox.")
    campaign_id: int | None
    author: AuthorOut | None
    created_at: datetime
    sent_at: datetime | None
    scheduled_for: datetime | None
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_author(obj: Message) -> dict[str, Any] | None:
        if obj.author_member is not None:
            member = obj.author_member
            return {"kind": "member", "id": member.id, "name": str(member.user)}
        if obj.author_creator is not None:
            creator = obj.author_creator
            return {"kind": "creator", "id": creator.id, "name": creator.name}
        return None

    @staticmethod
    def resolve_attachments(obj: Message) -> list[Any]:
        return list(obj.attachments.all())


class ThreadQuery(Schema):
    campaign: int | None = Field(None, description="Only this campaign's messages.")


class MessageIn(Schema):
    body: str
    # Email needs a mailbox, a subject and threading headers (outbox.email_send); until the
    # API has a route for that, only the in-app channel is accepted here.
    channel: Literal["inapp"] = Field("inapp", description="Only `inapp` for now.")
    subject: str = ""
    campaign_id: int | None = None
    send_at: AwareDatetime | None = Field(
        None, description="Schedule for later (ISO 8601 with a time zone)."
    )


class MarkUnreadIn(Schema):
    message_id: int | None = Field(
        None, description="Unread from this message on; else the whole conversation."
    )


class AssignIn(Schema):
    member_id: int | None = Field(..., description="A member of the workspace, or null.")


# Creators ------------------------------------------------------------------------------


class IdentityOut(Schema):
    id: int
    kind: str
    value: str
    url: str
    followers: int | None
    is_primary: bool


class IdentityIn(Schema):
    kind: str
    value: str
    url: str = ""


class NewIdentityIn(Schema):
    kind: str
    value: str


class CreatorItemOut(Schema):
    id: int
    name: str
    first_name: str
    preferred_channel: str
    identities: list[IdentityOut]

    @staticmethod
    def resolve_identities(obj: Any) -> list[Any]:
        return list(obj.identities.all())


class CreatorPageOut(Schema):
    items: list[CreatorItemOut]
    next_cursor: str | None


class CreatorListQuery(Schema):
    q: str = Field("", max_length=100, description="Name, handle or email.")
    tag: int | None = Field(None, description="Only creators with this tag.")
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=PAGE_LIMIT_MAX)


class NoteOut(Schema):
    id: int
    body: str
    author: MemberRef | None
    created_at: datetime

    @staticmethod
    def resolve_author(obj: Note) -> dict[str, Any] | None:
        return member_ref(obj.author)


class NoteIn(Schema):
    body: str


class CreatorCampaignOut(Schema):
    campaign_id: int
    campaign_name: str
    status: str

    @staticmethod
    def resolve_campaign_name(obj: CampaignMember) -> str:
        return obj.campaign.name


class CreatorOut(Schema):
    id: int
    name: str
    first_name: str
    preferred_channel: str
    custom_fields: dict[str, str]
    created_at: datetime
    identities: list[IdentityOut]
    tags: list[TagOut]
    notes: list[NoteOut]
    campaigns: list[CreatorCampaignOut]


class CreatorIn(Schema):
    name: str
    first_name: str = ""
    preferred_channel: str = "email"
    identities: list[NewIdentityIn] = Field(default_factory=list)
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class CreatorPatch(Schema):
    name: str | None = None
    first_name: str | None = None
    preferred_channel: str | None = None
    custom_fields: dict[str, Any] | None = None


class CustomFieldsIn(Schema):
    fields: dict[str, Any] = Field(
        ..., description="Merged into the creator's fields; null or empty removes a field."
    )


class CustomFieldsOut(Schema):
    custom_fields: dict[str, str]


class CreatorTagIn(Schema):
    tag_id: int


# Campaigns -----------------------------------------------------------------------------


class CampaignOut(Schema):
    id: int
    name: str
    status: str
    client: ClientOut | None
    created_at: datetime


class CampaignIn(Schema):
    name: str
    client_id: int | None = None
    status: str = "active"


class CampaignPatch(Schema):
    name: str | None = None
    status: str | None = None
    client_id: int | None = Field(None, description="A client of the workspace, or null.")


class CampaignMemberOut(Schema):
    creator: CreatorRef
    status: str
    updated_at: datetime


class CampaignMemberPageOut(Schema):
    items: list[CampaignMemberOut]
    next_cursor: str | None


class PageQuery(Schema):
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=PAGE_LIMIT_MAX)


class CampaignMembersIn(Schema):
    creator_ids: list[int] = Field(..., min_length=1, max_length=5000)
    status: str = CampaignMember.Status.INVITED.value


class CampaignMemberStatusIn(Schema):
    status: str


# Notifications -------------------------------------------------------------------------


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    conversation_id: int | None
    creator: CreatorRef | None
    created_at: datetime
    read_at: datetime | None

    @staticmethod
    def resolve_creator(obj: Notification) -> Any:
        return obj.conversation.creator if obj.conversation is not None else None


class NotificationQuery(Schema):
    limit: int = Field(10, ge=1, le=50)
