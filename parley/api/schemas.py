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

import math
import zoneinfo
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from django.conf import settings
from django.utils import timezone
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
from parley.accounts.services import (
    MAX_CLIENT_NAME,
    MAX_EMAIL,
    MAX_MEMBER_NAME,
    MEMBER_EMAIL_PATTERN,
)
from parley.campaigns.models import CampaignMember
from parley.channels.email.models import Mailbox
from parley.channels.email.services import MAX_DAILY_LIMIT, MIN_DAILY_LIMIT
from parley.core.cursor import MAX_LENGTH as MAX_CURSOR
from parley.core.files import DISPLAY_NAME_MAX
from parley.core.text import (
    BASE64,
    HOST_NAME,
    MAX_ID,
    MEDIA_TYPE,
    NON_BLANK,
    NUL_FREE,
    ONE_LINE,
    PRINTABLE_ASCII,
)
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
from parley.outbox.mailboxes import MailboxDay
from parley.outbox.models import OutboxItem
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
# A TCP port in a JSON body.
Port = Annotated[int, Strict(), Field(ge=1, le=65535), BeforeValidator(_whole_number)]
# true or false in a JSON body (not "yes", not 1).
Flag = Annotated[bool, Strict()]
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
    TlsName: TypeAlias = str
    RoleName: TypeAlias = str
else:
    ChannelName = Literal[tuple(Creator.Channel.values)]
    TlsName = Literal[tuple(Mailbox.Tls.values)]
    RoleName = Literal[tuple(Member.Role.values)]

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


class TeamMemberOut(MemberOut):
    since: datetime = Field(..., description="When they joined the workspace.")
    invitation_pending: bool = Field(
        ..., description="Invited, and no password chosen yet (the invitation's link sets it)."
    )

    @staticmethod
    def resolve_since(obj: Member) -> datetime:
        return obj.created_at

    @staticmethod
    def resolve_invitation_pending(obj: Member) -> bool:
        return obj.invitation_pending


class MemberInviteIn(Input):
    email: Annotated[str, StringConstraints(max_length=MAX_EMAIL, pattern=MEMBER_EMAIL_PATTERN)] = (
        Field(
            ...,
            description=(
                "Their login. Someone with a Parley login is added at once (and told by email); "
                "anyone else gets an email with a link to choose a password."
            ),
        )
    )
    name: Annotated[str, text(MAX_MEMBER_NAME)] = Field(
        "",
        description=(
            "For a new login: first name, then the rest. Bidirectional controls are removed. "
            "An existing login keeps its own."
        ),
    )
    role: RoleName = Field(
        Member.Role.MEMBER, description="Only an owner may invite an owner (403 otherwise)."
    )


class MemberRoleIn(Input):
    role: RoleName = Field(
        ...,
        description=(
            "Only an owner may make an owner or change one's role (403 otherwise); the "
            "workspace's last owner stays one (409)."
        ),
    )


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


def _queued_item(message: Message) -> OutboxItem | None:
    """The message's outbox row while it waits to go out (the thread loads it with it)."""
    if message.status != Message.Status.QUEUED:
        return None
    return getattr(message, "outbox_item", None)  # a message without one has none


ScheduledReason = Literal["send_at", "daily_limit"]


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
    planned_day: date | None = Field(
        None,
        description="While queued: the day (in the workspace's time zone) it goes out "
        "under its mailbox's daily limit; null for a channel without a limit.",
    )
    scheduled_reason: ScheduledReason | None = Field(
        None,
        description="Why a queued message waits: `send_at` (scheduled by its author), "
        "`daily_limit` (its mailbox reached its daily limit before it, so it goes out on "
        "`planned_day`); null when it goes out now or is no longer queued.",
    )
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_planned_day(obj: Message) -> date | None:
        item = _queued_item(obj)
        return item.planned_day if item is not None else None

    @staticmethod
    def resolve_scheduled_reason(obj: Message, context: Any = None) -> str | None:
        item = _queued_item(obj)
        if item is None:
            return None
        if item.planned_day is not None:
            # Days are the workspace's (outbox.senders); the token's member is of it.
            member = getattr((context or {}).get("request"), "auth", None)
            zone = zoneinfo.ZoneInfo(member.workspace.time_zone) if member else None
            asked = timezone.localtime(item.send_after, zone).date()
            if item.planned_day > asked:
                return "daily_limit"
        if obj.scheduled_for is not None and obj.scheduled_for > timezone.now():
            return "send_at"
        return None

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


SEND_AT_HELP = "Schedule for later (ISO 8601 with a time zone); a time that has passed sends now."


class MessageIn(Input):
    """An in-app message (the default channel)."""

    body: Annotated[str, nonblank(MAX_BODY)]
    channel: Literal["inapp"] = Field(
        "inapp", description="`inapp` (the default), `email` or `sms`."
    )
    subject: Annotated[str, text(MAX_SUBJECT)] = ""
    campaign_id: Id | None = None
    send_at: AwareTime | None = Field(None, description=SEND_AT_HELP)


# The total size of one email's attachments, and so the most base64 text one file can take.
ATTACHMENTS_MAX_BYTES = int(settings.PARLEY_EMAIL_ATTACHMENT_MAX_BYTES)
BASE64_MAX = 4 * math.ceil(ATTACHMENTS_MAX_BYTES / 3)
MAX_ATTACHMENTS = 20
MAX_CONTENT_TYPE = 120  # inbox.Attachment.content_type


class AttachmentIn(Input):
    filename: Annotated[str, nonblank(DISPLAY_NAME_MAX)] = Field(
        ...,
        description="As the creator will see it; any name is taken (a path, control or "
        "right-to-left characters) and made safe to store.",
    )
    content_type: Annotated[
        str, StringConstraints(max_length=MAX_CONTENT_TYPE, pattern=MEDIA_TYPE)
    ] = "application/octet-stream"
    data_base64: Annotated[str, StringConstraints(max_length=BASE64_MAX, pattern=BASE64)] = Field(
        ..., description="The file, base64-encoded (RFC 4648, with padding, no line breaks)."
    )


class EmailMessageIn(Input):
    """An email from one of the workspace's connected mailboxes."""

    channel: Literal["email"]
    mailbox_id: Id = Field(..., description="A connected mailbox of the workspace.")
    subject: Annotated[str, StringConstraints(max_length=MAX_SUBJECT, pattern=ONE_LINE)] = ""
    body: Annotated[str, nonblank(MAX_BODY)]
    campaign_id: Id | None = None
    send_at: AwareTime | None = Field(None, description=SEND_AT_HELP)
    confirm_bouncing: Flag = Field(
        False,
        description="Send even though the creator's address bounced (without it, such a "
        "send is a 409 on `confirm_bouncing` saying when and why it bounced).",
    )
    attachments: list[AttachmentIn] = Field(
        default_factory=list,
        max_length=MAX_ATTACHMENTS,
        description=f"Files to attach, at most {ATTACHMENTS_MAX_BYTES:,} bytes together "
        "once decoded (more is a 422 on `attachments`).",
    )


class SmsMessageIn(Input):
    """An SMS from one of the workspace's Twilio numbers to the creator's phone."""

    channel: Literal["sms"]
    number_id: Id | None = Field(
        None, description="A connected SMS number of the workspace; null: the default."
    )
    body: Annotated[str, nonblank(MAX_BODY)] = Field(
        ...,
        description="At most `PARLEY_SMS_MAX_SEGMENTS` segments (10: 1,530 GSM-7 characters, "
        "670 in UCS-2) and 1,600 characters; longer is a 422 on `body` (`POST /sms/segments` "
        "counts them).",
    )
    campaign_id: Id | None = None
    send_at: AwareTime | None = Field(None, description=SEND_AT_HELP)


def _inapp_by_default(value: Any) -> Any:
    # A body without `channel` is an in-app message (as before email could be sent here).
    if isinstance(value, dict) and "channel" not in value:
        return {**value, "channel": "inapp"}
    return value


# In-app, email or SMS, told apart by `channel`.
SendIn = Annotated[
    MessageIn | EmailMessageIn | SmsMessageIn,
    Field(discriminator="channel"),
    BeforeValidator(_inapp_by_default),
]


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
    bounced_at: datetime | None = Field(
        None,
        description="An email address whose mail hard-bounced: when. Email to it is sent "
        "only with `confirm_bouncing`.",
    )
    bounce_status: str = Field("", description="The bounce's status code, e.g. `5.1.1`.")
    bounce_diagnostic: str = Field("", description="What the receiving server said.")


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


# Campaigns: parley/api/campaign_schemas.py.


# Notifications -------------------------------------------------------------------------


class NotificationOut(Schema):
    id: int
    kind: str
    text: str = Field(description="In the language of the request (Accept-Language).")
    conversation_id: int | None
    creator: CreatorRef | None
    created_at: datetime
    read_at: datetime | None

    @staticmethod
    def resolve_text(obj: Notification) -> str:
        return obj.shown_text

    @staticmethod
    def resolve_creator(obj: Notification) -> Any:
        return obj.conversation.creator if obj.conversation is not None else None


class NotificationQuery(Schema):
    limit: int = Field(10, ge=1, le=50)


# Mailboxes -----------------------------------------------------------------------------


class MailboxTodayOut(Schema):
    day: date = Field(..., description="Today in the workspace's time zone.")
    sent: int = Field(..., description="Emails sent today, counted against the limit.")
    daily_limit: int
    remaining: int


class MailboxHealthOut(Schema):
    last_sync_at: datetime | None = Field(..., description="The last sync pass that worked.")
    last_error: str = Field(..., description="The last sync or send error; empty when fine.")
    last_error_at: datetime | None
    needs_reauth: bool = Field(
        ..., description="The provider refused the login: reconnect it (sending waits)."
    )
    paused_until: datetime | None = Field(
        ...,
        description="The provider refused more mail for now (a daily quota): sending waits "
        "until then.",
    )
    pause_reason: str
    unreadable_count: int = Field(..., description="Emails that could not be fully read.")
    last_unreadable_error: str
    last_unreadable_at: datetime | None


class MailboxOut(Schema):
    """A connected mailbox. Its password or tokens are never returned."""

    id: int
    address: str
    display_name: str
    provider: str = Field(..., description="`imap`, `gmail` or `microsoft`.")
    access: str = Field(..., description="`full` (send and sync replies) or `send_only`.")
    is_default: bool
    username: str
    smtp_host: str
    smtp_port: int
    smtp_tls: str
    imap_host: str
    imap_port: int
    imap_tls: str
    connected_at: datetime
    connected_by: MemberRef | None
    daily_limit: int
    today: MailboxTodayOut
    health: MailboxHealthOut


# MailboxOut's fields that are the model's own.
MAILBOX_FIELDS = (
    *("id", "address", "display_name", "provider", "access", "is_default", "username"),
    *("smtp_host", "smtp_port", "smtp_tls", "imap_host", "imap_port", "imap_tls"),
    *("connected_at", "daily_limit"),
)


def mailbox_out(mailbox: Mailbox, day: MailboxDay) -> dict[str, Any]:
    """A mailbox as MailboxOut reads it (plain data: Ninja validates it once)."""
    paused = mailbox.paused_until is not None and mailbox.paused_until > timezone.now()
    return {
        **{name: getattr(mailbox, name) for name in MAILBOX_FIELDS},
        "connected_by": member_ref(mailbox.connected_by),
        "today": {
            "day": day.day,
            "sent": day.sent,
            "daily_limit": day.limit,
            "remaining": day.remaining,
        },
        "health": {
            "last_sync_at": mailbox.last_sync_at,
            "last_error": mailbox.last_error,
            "last_error_at": mailbox.last_error_at,
            "needs_reauth": mailbox.needs_reauth,
            "paused_until": mailbox.paused_until if paused else None,
            "pause_reason": mailbox.pause_reason if paused else "",
            "unreadable_count": mailbox.unreadable_count,
            "last_unreadable_error": mailbox.last_unreadable_error,
            "last_unreadable_at": mailbox.last_unreadable_at,
        },
    }


Host = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=HOST_NAME)]
# Logins go to the servers as ASCII (smtplib and imaplib send nothing else).
Login = Annotated[str, StringConstraints(max_length=255, pattern=PRINTABLE_ASCII)]


class _MailboxConnect(Input):
    address: Annotated[str, StringConstraints(max_length=MAX_VALUE, pattern=EMAIL_PATTERN)]
    display_name: Annotated[str, StringConstraints(max_length=120, pattern=ONE_LINE)] = Field(
        "", description="The sender's name on the emails."
    )
    username: Login = Field("", description="Empty: the address.")
    password: Annotated[
        str, StringConstraints(min_length=1, max_length=1024, pattern=PRINTABLE_ASCII)
    ] = Field(
        ..., description="The password or app password.", json_schema_extra={"writeOnly": True}
    )
    smtp_host: Host
    smtp_port: Port = 587
    smtp_tls: TlsName = Mailbox.Tls.STARTTLS.value


class MailboxConnectFullIn(_MailboxConnect):
    """Full access: Parley sends, and reads the replies to its emails over IMAP."""

    access: Literal["full"]
    imap_host: Host
    imap_port: Port = 993
    imap_tls: TlsName = Mailbox.Tls.SSL.value


class MailboxConnectSendOnlyIn(_MailboxConnect):
    """Send only: Parley sends; it never logs in to IMAP."""

    access: Literal["send_only"]


MailboxConnectIn = Annotated[
    MailboxConnectFullIn | MailboxConnectSendOnlyIn, Field(discriminator="access")
]


class MailboxLimitIn(Input):
    daily_limit: Annotated[
        int, Strict(), Field(ge=MIN_DAILY_LIMIT, le=MAX_DAILY_LIMIT), BeforeValidator(_whole_number)
    ] = Field(..., description="Emails the mailbox may send a calendar day.")
