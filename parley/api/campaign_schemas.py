"""Request and response shapes of the campaign routes (parley/api/routers/campaigns.py):
campaigns with their brief, dates, terms and templates, their members, and status changes.
Every limit and choice is stated here, so the schema says it."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from django.conf import settings
from ninja import Field, Schema
from pydantic import BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError

from parley.api.schemas import (
    CURSOR_HELP,
    LEFT_OUT,
    PAGE_LIMIT_MAX,
    ClientOut,
    CreatorRef,
    Cursor,
    Flag,
    Id,
    Input,
    nonblank,
    text,
)
from parley.broadcasts.fields import MAX_TEMPLATE
from parley.campaigns.models import Campaign, CampaignMember
from parley.campaigns.services import (
    ADD_STATUSES,
    MAX_BRIEF,
    MAX_NAME,
    MAX_SUBJECT,
    MAX_TERMS,
)
from parley.core.text import ONE_LINE

if TYPE_CHECKING:
    CampaignStatus: TypeAlias = str
    NewCampaignStatus: TypeAlias = str
    MemberStatus: TypeAlias = str
    AddStatus: TypeAlias = str
else:
    CampaignStatus = Literal[tuple(Campaign.Status.values)]
    NewCampaignStatus = Literal[Campaign.Status.DRAFT.value, Campaign.Status.ACTIVE.value]
    MemberStatus = Literal[tuple(CampaignMember.Status.values)]
    AddStatus = Literal[tuple(str(s) for s in ADD_STATUSES)]


def _date_text_only(value: Any) -> Any:
    # pydantic would read a number as a Unix time; the schema says a string.
    if not isinstance(value, str | date):
        raise PydanticCustomError("date_type", "Input should be a valid date")
    return value


# A calendar day, as a JSON string: 2026-06-01.
Day = Annotated[date, BeforeValidator(_date_text_only)]
CampaignName = Annotated[str, nonblank(MAX_NAME)]
Subject = Annotated[str, StringConstraints(min_length=1, max_length=MAX_SUBJECT, pattern=ONE_LINE)]
Template = Annotated[str, text(MAX_TEMPLATE)]
BULK_MAX = 5000


def bulk_change_max() -> int:
    """The most creators one bulk status change takes (the mass-message limit: the emails
    go out as one)."""
    return int(settings.PARLEY_BROADCAST_LIMIT)


# Campaigns -----------------------------------------------------------------------------


class EmailTemplateIn(Input):
    subject: Subject = Field(..., description="One line; personal fields allowed.")
    body: Template = Field(..., min_length=1)


class EmailTemplatesIn(Input):
    """The emails a status change sends; leave a kind out to keep it. Jinja2 with the mass
    email's personal fields ({{ first_name }}, {{ campaign }}, …): a syntax error or an
    unknown field is a 422 naming `<kind>_subject` or `<kind>_body`."""

    invitation: EmailTemplateIn | None = None
    approval: EmailTemplateIn | None = None
    rejection: EmailTemplateIn | None = None


class EmailTemplateOut(Schema):
    subject: str
    body: str


class EmailTemplatesOut(Schema):
    invitation: EmailTemplateOut
    approval: EmailTemplateOut
    rejection: EmailTemplateOut


class CampaignOut(Schema):
    id: int
    name: str
    status: str = Field(..., description="draft, active or archived.")
    client: ClientOut | None
    starts_on: date | None
    ends_on: date | None
    created_at: datetime
    member_counts: dict[str, int] = Field(
        ..., description="Creators by status (statuses without any are left out)."
    )


class CampaignDetailOut(CampaignOut):
    brief: str = Field(..., description="Sanitised HTML.")
    payment_terms: str
    agreement_template: str
    templates: EmailTemplatesOut


BriefText = Annotated[str, text(MAX_BRIEF)]
TermsText = Annotated[str, text(MAX_TERMS)]

_BRIEF_HELP = (
    "Rich text as HTML; kept: paragraphs, headings, bold, italic, lists, links (http, https, "
    "mailto). Anything else is removed."
)
_AGREEMENT_HELP = "Jinja2 with the personal fields; frozen into each agreement when sent."


class CampaignIn(Input):
    name: CampaignName
    client_id: Id | None = None
    status: NewCampaignStatus = Campaign.Status.ACTIVE.value
    brief: BriefText = Field("", description=_BRIEF_HELP)
    starts_on: Day | None = None
    ends_on: Day | None = Field(None, description="On or after starts_on.")
    payment_terms: TermsText = ""
    agreement_template: Template = Field("", description=_AGREEMENT_HELP)
    templates: EmailTemplatesIn | None = Field(
        None, description="The emails; a kind left out gets the standard text."
    )


class CampaignPatch(Input):
    """Leave a field out to keep it; client_id, starts_on and ends_on take null (none).
    `status: archived` archives the campaign (out of the inbox drop-down and filters, and
    nothing in it changes until it is draft or active again)."""

    name: CampaignName = Field(LEFT_OUT)
    status: CampaignStatus = Field(LEFT_OUT)
    client_id: Id | None = Field(None, description="A client of the workspace, or null.")
    brief: BriefText = Field(LEFT_OUT, description=_BRIEF_HELP)
    starts_on: Day | None = None
    ends_on: Day | None = None
    payment_terms: TermsText = Field(LEFT_OUT)
    agreement_template: Template = Field(LEFT_OUT, description=_AGREEMENT_HELP)
    templates: EmailTemplatesIn = Field(LEFT_OUT)


class CampaignQuery(Schema):
    status: CampaignStatus | None = Field(None, description="Only campaigns with this status.")


# Members -------------------------------------------------------------------------------


class CampaignMemberOut(Schema):
    creator: CreatorRef
    status: str
    last_activity_at: datetime
    updated_at: datetime
    next_statuses: list[str] = Field(
        ..., description="The statuses the workflow allows from this one."
    )


class CampaignMemberPageOut(Schema):
    items: list[CampaignMemberOut]
    next_cursor: str | None


class MemberPageQuery(Schema):
    status: MemberStatus | None = Field(None, description="Only creators with this status.")
    cursor: Cursor | None = Field(None, description=CURSOR_HELP)
    limit: int = Field(50, ge=1, le=PAGE_LIMIT_MAX)


class CampaignMembersIn(Input):
    creator_ids: list[Id] = Field(..., min_length=1, max_length=BULK_MAX)
    status: AddStatus = Field(
        CampaignMember.Status.ADDED.value,
        description="added (by the team), or applied (an application recorded by hand). "
        "Everything after that is a status change.",
    )


_SEND_EMAIL_HELP = (
    "A change to invited, approved or rejected sends the campaign's email of that kind "
    "through the outbox with its priority; false changes the status only."
)


_MAILBOX_HELP = "The mailbox to send from; the workspace's default when left out."


class CampaignMemberStatusIn(Input):
    status: MemberStatus = Field(
        ...,
        description="Where the creator moves: a change the workflow allows from their status "
        "(409 otherwise); their current status again changes nothing.",
    )
    send_email: Flag = Field(True, description=_SEND_EMAIL_HELP)
    mailbox_id: Id | None = Field(None, description=_MAILBOX_HELP)
    confirm_bouncing: Flag = Field(
        False, description="Send even though the creator's address bounced."
    )


class TransitionsIn(Input):
    creator_ids: list[Id] = Field(..., min_length=1, max_length=bulk_change_max())
    status: MemberStatus
    send_email: Flag = Field(True, description=_SEND_EMAIL_HELP)
    mailbox_id: Id | None = Field(None, description=_MAILBOX_HELP)


class LeftOut(Schema):
    creator_id: int
    name: str
    reason: str


class TransitionsOut(Schema):
    moved: list[int] = Field(..., description="Creators now in the new status.")
    refused: list[LeftOut] = Field(
        ..., description="Not in the campaign, or their status does not allow the change."
    )
    skipped: list[LeftOut] = Field(
        ..., description="The email cannot reach them (no address, or it bounced)."
    )
    broadcast_id: int | None = Field(
        ..., description="The mass message writing the emails (its progress page), if any."
    )
