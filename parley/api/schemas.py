"""Request and response shapes of the REST API.

Output schemas read model attributes (`from_attributes`); `resolve_*` methods flatten
related rows that the selectors already loaded.

Inputs state every rule the services apply, so the OpenAPI schema is the truth: a request
it calls valid is never rejected as invalid (only 404 for an id that is not there, 409 for
a name or address that is taken), and one it calls invalid is always a 422. The rules come
from one place: the limits are the services' own constants, the choices their models'
TextChoices, the patterns those of `parley.core.text` and `parley.creators.normalize`.
Ids are 1 to 2**63-1 everywhere; no text may hold a NUL character.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from ninja import Field, Path, Schema
from pydantic import (
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Strict,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from parley.accounts.models import Member
from parley.accounts.services import MAX_CLIENT_NAME
from parley.campaigns.models import Campaign, CampaignMember
from parley.campaigns.services import MAX_NAME as MAX_CAMPAIGN_NAME
from parley.core.cursor import MAX_LENGTH as MAX_CURSOR
from parley.core.text import MAX_ID, NON_BLANK, NUL_FREE
from parley.creators import services as creators
from parley.creators.models import Creator, Identity, Note
from parley.creators.normalize import (
    EMAIL_PATTERN,
    HANDLE_PATTERN,
    MAX_URL,
    MAX_VALUE,
    OTHER_PATTERN,
    PHONE_PATTERN,
    URL_PATTERN,
)
from parley.inbox.filters import MAX_FILTER_IDS, MAX_QUERY
from parley.inbox.models import Conversation, InboxEntry, Message, Notification
from parley.outbox.services import MAX_BODY, MAX_SUBJECT

PAGE_LIMIT_MAX = 100
CURSOR_HELP = (
    "`next_cursor` of the previous page, exactly as it was given (opaque: any other "
    "value is a 422)."
)


# Reusable input types ------------------------------------------------------------------


def text(max_length: int) -> StringConstraints:
    """Any text up to `max_length` characters, without NUL."""
    return StringConstraints(max_length=max_length, pattern=NUL_FREE)


def nonblank(max_length: int) -> StringConstraints:
    """Text that is not empty once stripped, up to `max_length` characters, without NUL."""
    return StringConstraints(min_length=1, max_length=max_length, pattern=NON_BLANK)


def _whole_number(value: Any) -> Any:
    # JSON Schema counts 5.0 as an integer; text such as "5" is none.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# An id in a JSON body: a JSON integer (not "5"), 1 to 2**63-1.
Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID), BeforeValidator(_whole_number)]
# An id in the query string (text that holds a number).
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]
# An id in the path: a malformed one (`-1`, `abc`, 20 digits) is a JSON 422, not a 404 page.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _text_only(value: Any) -> Any:
    # pydantic would read a number as a Unix time; the schema says a string.
    if not isinstance(value, str | datetime):
        raise PydanticCustomError("datetime_type", "Input should be a valid datetime")
    return value


# An ISO 8601 time with a time zone, as a JSON string.
AwareTime = Annotated[AwareDatetime, BeforeValidator(_text_only)]
Cursor = Annotated[str, text(MAX_CURSOR)]
Search = Annotated[str, text(MAX_QUERY)]

# The default of a PATCH field that may be left out but takes no null: None means "left
# out" to the router (exclude_unset), and null from the client is still an error.
LEFT_OUT: Any = None

# Choices, from the models (mypy sees plain str: a Literal built at run time is no type).
if TYPE_CHECKING:
    ChannelName: TypeAlias = str
    CampaignStatus: TypeAlias = str
    MemberStatus: TypeAlias = str
else:
    ChannelName = Literal[tuple(Creator.Channel.values)]
    CampaignStatus = Literal[tuple(Campaign.Status.values)]
    MemberStatus = Literal[tuple(CampaignMember.Status.values)]

HANDLE_KINDS = tuple(
    kind.value
    for kind in (
        Identity.Kind.INSTAGRAM,
        Identity.Kind.TIKTOK,
        Identity.Kind.YOUTUBE,
        Identity.Kind.TWITTER,
    )
)


class Input(Schema):
    """A request body: a field the schema does not name is an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


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


class ClientIn(Input):
    name: Annotated[str, nonblank(MAX_CLIENT_NAME)]


# Tags ----------------------------------------------------------------------------------


class TagOut(Schema):
    id: int
    name: str


class TagIn(Input):
    name: Annotated[str, nonblank(creators.MAX_TAG)]


class CreatorIdsIn(Input):
    creator_ids: list[Id] = Field(..., min_length=1, max_length=5000)


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

    campaign: QueryId | None = Field(None, description="One campaign (the inbox drop-down).")
    campaigns: list[QueryId] = Field(
        default_factory=list, max_length=MAX_FILTER_IDS, description="Any of these campaigns."
    )
    tags: list[QueryId] = Field(
        default_factory=list, max_length=MAX_FILTER_IDS, description="Any of these tags."
    )
    clients: list[QueryId] = Field(
        default_factory=list, max_length=MAX_FILTER_IDS, description="Any of these clients."
    )
    unread: bool = False
    assigned_to_me: bool = False
    awaiting: bool = Field(False, description="Waiting longer than the response-time goal.")
    q: Search = Field("", description="Name, handle or email of the creator.")
    cursor: Cursor | None = Field(None, description=CURSOR_HELP)
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
    campaign: QueryId | None = Field(None, description="Only this campaign's messages.")


class MessageIn(Input):
    body: Annotated[str, nonblank(MAX_BODY)]
    # Email needs a mailbox, a subject and threading headers (outbox.email_send); until the
    # API has a route for that, only the in-app channel is accepted here.
    channel: Literal["inapp"] = Field("inapp", description="Only `inapp` for now.")
    subject: Annotated[str, text(MAX_SUBJECT)] = ""
    campaign_id: Id | None = None
    send_at: AwareTime | None = Field(
        None,
        description="Schedule for later (ISO 8601 with a time zone); a time that has "
        "passed sends now.",
    )


class MarkUnreadIn(Input):
    message_id: Id | None = Field(
        None, description="Unread from this message on; else the whole conversation."
    )


class AssignIn(Input):
    member_id: Id | None = Field(..., description="A member of the workspace, or null.")


# Creators ------------------------------------------------------------------------------


class IdentityOut(Schema):
    id: int
    kind: str
    value: str
    url: str
    followers: int | None
    is_primary: bool


# An identity's value depends on its kind: one schema per kind, told apart by `kind`.
Url = Annotated[str, StringConstraints(max_length=MAX_URL, pattern=URL_PATTERN)]


class EmailIdentity(Input):
    kind: Literal["email"]
    value: Annotated[str, StringConstraints(max_length=MAX_VALUE, pattern=EMAIL_PATTERN)]


class PhoneIdentity(Input):
    kind: Literal["phone"]
    value: Annotated[str, StringConstraints(max_length=MAX_VALUE, pattern=PHONE_PATTERN)] = Field(
        ..., description="International form: `+` or `00`, then 7 to 15 digits."
    )


class HandleIdentity(Input):
    if TYPE_CHECKING:
        kind: str
    else:
        kind: Literal[HANDLE_KINDS]
    value: Annotated[str, StringConstraints(max_length=MAX_VALUE, pattern=HANDLE_PATTERN)] = Field(
        ..., description="The handle, with or without `@`."
    )


class OtherIdentity(Input):
    kind: Literal["other"]
    value: Annotated[str, StringConstraints(max_length=MAX_VALUE, pattern=OTHER_PATTERN)]


class EmailIdentityIn(EmailIdentity):
    url: Url = ""


class PhoneIdentityIn(PhoneIdentity):
    url: Url = ""


class HandleIdentityIn(HandleIdentity):
    url: Url = Field("", description="Empty: the network's profile page.")


class OtherIdentityIn(OtherIdentity):
    url: Url = ""


NewIdentityIn = Annotated[
    EmailIdentity | PhoneIdentity | HandleIdentity | OtherIdentity, Field(discriminator="kind")
]
IdentityIn = Annotated[
    EmailIdentityIn | PhoneIdentityIn | HandleIdentityIn | OtherIdentityIn,
    Field(discriminator="kind"),
]


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
    q: Search = Field("", description="Name, handle or email.")
    tag: QueryId | None = Field(None, description="Only creators with this tag.")
    cursor: Cursor | None = Field(None, description=CURSOR_HELP)
    limit: int = Field(50, ge=1, le=PAGE_LIMIT_MAX)


class NoteOut(Schema):
    id: int
    body: str
    author: MemberRef | None
    created_at: datetime

    @staticmethod
    def resolve_author(obj: Note) -> dict[str, Any] | None:
        return member_ref(obj.author)


class NoteIn(Input):
    body: Annotated[str, nonblank(creators.MAX_NOTE)]


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


CreatorName = Annotated[str, nonblank(creators.MAX_NAME)]
FirstName = Annotated[str, text(creators.MAX_FIRST_NAME)]
FieldName = Annotated[str, nonblank(creators.MAX_FIELD_NAME)]
FieldValue = (
    Annotated[str, text(creators.MAX_FIELD_VALUE)]
    | Annotated[bool, Strict()]
    | Annotated[int, Strict()]
    | Annotated[float, Strict()]
    | None
)
# pydantic would state the name rule as `patternProperties`, which leaves names that do
# not match it unchecked; the schema says it as `propertyNames`, as the validation does.
CUSTOM_FIELDS_SCHEMA = {
    "type": "object",
    "maxProperties": creators.MAX_CUSTOM_FIELDS,
    "propertyNames": {"minLength": 1, "maxLength": creators.MAX_FIELD_NAME, "pattern": NON_BLANK},
    "additionalProperties": {
        "anyOf": [
            {"type": "string", "maxLength": creators.MAX_FIELD_VALUE, "pattern": NUL_FREE},
            {"type": "boolean"},
            {"type": "number"},
            {"type": "null"},
        ]
    },
    "description": "Name → value; values are kept as text; null or empty means none.",
}
CustomFields = Annotated[
    dict[FieldName, FieldValue],
    Field(max_length=creators.MAX_CUSTOM_FIELDS),
    WithJsonSchema(CUSTOM_FIELDS_SCHEMA),
]


class CreatorIn(Input):
    name: CreatorName
    first_name: FirstName = Field("", description="Empty: the first word of the name.")
    preferred_channel: ChannelName = "email"
    identities: list[NewIdentityIn] = Field(
        default_factory=list, max_length=creators.MAX_IDENTITIES
    )
    custom_fields: CustomFields = Field(default_factory=dict)


class CreatorPatch(Input):
    # Leave a field out to keep it; none of them takes null.
    name: CreatorName = Field(LEFT_OUT)
    first_name: FirstName = Field(LEFT_OUT)
    preferred_channel: ChannelName = Field(LEFT_OUT)
    custom_fields: CustomFields = Field(LEFT_OUT, description="Replaces every custom field.")


class CustomFieldsIn(Input):
    fields: CustomFields = Field(
        ...,
        description="Merged into the creator's fields; null or empty removes a field. "
        "409 when the creator would have more than 50.",
    )


class CustomFieldsOut(Schema):
    custom_fields: dict[str, str]


class CreatorTagIn(Input):
    tag_id: Id


# Campaigns -----------------------------------------------------------------------------


class CampaignOut(Schema):
    id: int
    name: str
    status: str
    client: ClientOut | None
    created_at: datetime


CampaignName = Annotated[str, nonblank(MAX_CAMPAIGN_NAME)]


class CampaignIn(Input):
    name: CampaignName
    client_id: Id | None = None
    status: CampaignStatus = "active"


class CampaignPatch(Input):
    # Leave a field out to keep it; only client_id takes null (no client).
    name: CampaignName = Field(LEFT_OUT)
    status: CampaignStatus = Field(LEFT_OUT)
    client_id: Id | None = Field(None, description="A client of the workspace, or null.")


class CampaignMemberOut(Schema):
    creator: CreatorRef
    status: str
    updated_at: datetime


class CampaignMemberPageOut(Schema):
    items: list[CampaignMemberOut]
    next_cursor: str | None


class PageQuery(Schema):
    cursor: Cursor | None = Field(None, description=CURSOR_HELP)
    limit: int = Field(50, ge=1, le=PAGE_LIMIT_MAX)


class CampaignMembersIn(Input):
    creator_ids: list[Id] = Field(..., min_length=1, max_length=5000)
    status: MemberStatus = CampaignMember.Status.INVITED.value


class CampaignMemberStatusIn(Input):
    status: MemberStatus


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
