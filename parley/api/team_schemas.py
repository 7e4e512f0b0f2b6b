"""Shapes of the team routes: response-time figures, notification preferences, API tokens,
saved replies and editing a message that waits to go out."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Literal, TypeAlias

from ninja import Field, Schema

from parley.accounts.models import ApiToken
from parley.accounts.services import MAX_TOKEN_NAME
from parley.api.schemas import LEFT_OUT, AwareTime, Flag, Id, Input, MemberOut, nonblank, text
from parley.inbox.models import Notification
from parley.outbox.services import MAX_BODY, MAX_SUBJECT
from parley.replies.services import MAX_NAME
from parley.reports.selectors import PERIODS

if TYPE_CHECKING:
    KindName: TypeAlias = str
    Period: TypeAlias = str
else:
    KindName = Literal[tuple(Notification.Kind.values)]
    # A query value is text: "7", "30" or "90".
    Period = Literal[tuple(str(p) for p in PERIODS)]


# Response times --------------------------------------------------------------------------


class ReportQuery(Schema):
    period: Period = Field("30", description="Days: 7, 30 or 90 (today and the days before).")


class FiguresOut(Schema):
    count: int = Field(..., description="Responses in the period.")
    median: float | None = Field(..., description="Seconds; null without responses.")
    p90: float | None = Field(..., description="90th percentile, seconds.")


class MemberFiguresOut(Schema):
    member: MemberOut
    responses: FiguresOut
    first_responses: FiguresOut


class DayFiguresOut(Schema):
    day: date
    responses: FiguresOut


class ResponseReportOut(Schema):
    period: int
    since: datetime
    until: datetime
    goal_hours: int
    team: FiguresOut
    team_first_responses: FiguresOut
    members: list[MemberFiguresOut]
    days: list[DayFiguresOut]
    waiting: int = Field(..., description="Conversations waiting for our reply now.")
    overdue: int = Field(..., description="Of them, those waiting longer than the goal.")
    oldest_waiting_since: datetime | None


# Notification preferences ----------------------------------------------------------------


class PreferenceOut(Schema):
    kind: str
    label: str
    in_app: bool
    email: bool


class PreferenceIn(Input):
    kind: KindName
    in_app: Flag
    email: Flag


class PreferencesIn(Input):
    preferences: list[PreferenceIn] = Field(
        ..., max_length=len(Notification.Kind.values), description="Kinds left out keep theirs."
    )


# API tokens ------------------------------------------------------------------------------


class ApiTokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(..., description="The first characters, to tell tokens apart.")
    created_at: datetime
    last_used_at: datetime | None


class ApiTokenCreatedOut(ApiTokenOut):
    token: str = Field(..., description="The token itself: shown this once, never again.")


class ApiTokenIn(Input):
    name: Annotated[str, text(MAX_TOKEN_NAME)] = ""


def token_out(token: ApiToken, raw: str = "") -> dict[str, object]:
    out: dict[str, object] = {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
    }
    if raw:
        out["token"] = raw
    return out


# Saved replies ---------------------------------------------------------------------------


class SavedReplyOut(Schema):
    id: int
    name: str
    subject: str
    body: str
    created_at: datetime
    updated_at: datetime


class SavedReplyIn(Input):
    name: Annotated[str, nonblank(MAX_NAME)]
    subject: Annotated[str, text(MAX_SUBJECT)] = ""
    body: Annotated[str, nonblank(MAX_BODY)] = Field(
        ..., description="Jinja2 with the mass email's personal fields, e.g. {{ first_name }}."
    )


class SavedReplyPatch(Input):
    name: Annotated[str, nonblank(MAX_NAME)] = LEFT_OUT
    subject: Annotated[str, text(MAX_SUBJECT)] = LEFT_OUT
    body: Annotated[str, nonblank(MAX_BODY)] = LEFT_OUT


class RenderIn(Input):
    conversation_id: Id
    campaign_id: Id | None = None


class RenderedOut(Schema):
    subject: str
    body: str


# A message that waits to go out ----------------------------------------------------------


class ScheduledPatch(Input):
    body: Annotated[str, nonblank(MAX_BODY)] = LEFT_OUT
    subject: Annotated[str, text(MAX_SUBJECT)] = Field(
        LEFT_OUT, description="An email's subject (ignored for other channels)."
    )
    send_at: AwareTime | None = Field(
        LEFT_OUT,
        description="The new time (ISO 8601 with a time zone); null or a time that has "
        "passed: as soon as it can.",
    )
