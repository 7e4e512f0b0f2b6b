"""Request and response shapes of the mass-message routes (parley/api/routers/broadcasts.py):
a mass message's recipients (by id, by the inbox filter, or a campaign's members), its
templates, the check before sending, its progress. Every limit is the services' own
(`PARLEY_BROADCAST_LIMIT` recipients, a subject of one line of 900 characters, a body of
`parley.broadcasts.fields.MAX_TEMPLATE`), so the schema says it. What no schema can say is
whether a template is one (its syntax, the fields it names): the check answers that."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from django.conf import settings
from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from parley.api.schemas import (
    CURSOR_HELP,
    LEFT_OUT,
    PAGE_LIMIT_MAX,
    AwareTime,
    Cursor,
    Flag,
    Id,
    Input,
    MemberRef,
    Search,
    member_ref,
    text,
)
from parley.broadcasts.fields import MAX_TEMPLATE, fields, templates_check
from parley.broadcasts.models import Broadcast
from parley.broadcasts.selectors import Check, Progress
from parley.broadcasts.services import MAX_SUBJECT
from parley.core.text import ONE_LINE
from parley.inbox.filters import MAX_FILTER_IDS, InboxFilters
from parley.outbox.models import OutboxItem

if TYPE_CHECKING:
    BroadcastChannel: TypeAlias = str
else:
    BroadcastChannel = Literal[tuple(Broadcast.Channel.values)]

RECIPIENT_LIMIT = int(settings.PARLEY_BROADCAST_LIMIT)
FIELD_NAMES = ", ".join(f"`{f.example}`" for f in fields() if f.example)

Subject = Annotated[str, StringConstraints(max_length=MAX_SUBJECT, pattern=ONE_LINE)]
Template = Annotated[str, text(MAX_TEMPLATE)]

# The services name a mass message's mailbox and campaign as the page's form does; the API's
# fields are their ids.
_API_FIELDS = {"mailbox": "mailbox_id", "campaign": "campaign_id", "sms_number": "sms_number_id"}


def api_problems(problems: dict[str, list[str]]) -> dict[str, list[str]]:
    """Problems keyed by the services' field names → keyed by the API's."""
    out: dict[str, list[str]] = {}
    for field, messages in problems.items():
        out.setdefault(_API_FIELDS.get(field, field), []).extend(messages)
    return out


# Input ---------------------------------------------------------------------------------


class BroadcastFilterIn(Input):
    """The inbox filter, as `GET /conversations` takes it: every creator whose conversation
    matches it for the token's member ("all that match")."""

    campaign: Id | None = Field(None, description="One campaign (the inbox drop-down).")
    campaigns: list[Id] = Field(
        default_factory=list, max_length=MAX_FILTER_IDS, description="Any of these campaigns."
    )
    tags: list[Id] = Field(
        default_factory=list, max_length=MAX_FILTER_IDS, description="Any of these tags."
    )
    clients: list[Id] = Field(
        default_factory=list, max_length=MAX_FILTER_IDS, description="Any of these clients."
    )
    unread: Flag = False
    assigned_to_me: Flag = False
    awaiting: Flag = Field(False, description="Waiting longer than the response-time goal.")
    q: Search = Field("", description="Name, handle or email of the creator.")

    def inbox_filters(self) -> InboxFilters:
        return InboxFilters(
            campaign=self.campaign,
            campaigns=tuple(sorted(set(self.campaigns))),
            tags=tuple(sorted(set(self.tags))),
            clients=tuple(sorted(set(self.clients))),
            unread=self.unread,
            assigned_to_me=self.assigned_to_me,
            awaiting=self.awaiting,
            q=self.q.strip(),
        )


# Exactly one way of choosing the recipients: `creator_ids`, or `filter`, or `campaign_id`
# alone (its members); `campaign_id` may come with either of the others (what it is about).
RECIPIENTS_RULE: dict[str, Any] = {
    "anyOf": [
        {"required": ["creator_ids"]},
        {"required": ["filter"]},
        {"required": ["campaign_id"]},
    ],
    "not": {"required": ["creator_ids", "filter"]},
}


class BroadcastIn(Input):
    """A mass message: one email (or in-app message) written from the templates for each
    recipient, in their own thread. Choose the recipients with `creator_ids`, or `filter`,
    or `campaign_id` alone (the campaign's members)."""

    model_config = ConfigDict(json_schema_extra=RECIPIENTS_RULE)

    creator_ids: list[Id] = Field(
        LEFT_OUT,
        min_length=1,
        max_length=RECIPIENT_LIMIT,
        description="These creators of the workspace (another workspace's id is a 404).",
    )
    filter: BroadcastFilterIn = Field(
        LEFT_OUT, description="Every creator whose conversation matches the inbox filter."
    )
    campaign_id: Id = Field(
        LEFT_OUT,
        description="What it is about: `{{ campaign }}` is its name, and each message is "
        "filed under it. Without `creator_ids` or `filter`: to the campaign's members. "
        "With a `filter` naming one `campaign` and no `campaign_id`, that campaign.",
    )
    channel: BroadcastChannel = Field(
        Broadcast.Channel.EMAIL.value,
        description="`email` (each recipient's own email, under the mailbox's daily limit), "
        "`inapp` (delivered at once, no limit) or `sms` (each recipient's own SMS to their "
        "phone, at the number's rate; creators without a phone or who opted out are "
        "skipped, a text over the segment cap for anyone is a problem).",
    )
    sms_number_id: Id | None = Field(
        None, description="SMS: the connected number it goes out from; null: the default."
    )
    mailbox_id: Id | None = Field(
        None, description="Email: the connected mailbox it goes out from; null: the default."
    )
    subject: Subject = Field(
        "", description="A template of one line; an email needs one (the check says so)."
    )
    body: Template = Field(
        ...,
        description=f"A Jinja2 template with personal fields: {FIELD_NAMES}. Their "
        "syntax (with its line) and the fields they name are checked.",
    )
    send_at: AwareTime | None = Field(
        None,
        description="Schedule for later (ISO 8601 with a time zone); a time that has passed "
        "sends now.",
    )
    check_only: Flag = Field(
        False,
        description="Check without sending: a 200 with every problem, who would get it and "
        "who would be skipped, and a preview; nothing is saved or queued.",
    )


class BroadcastPreviewIn(Input):
    """Templates to write for one creator, before anything is sent."""

    creator_id: Id = Field(..., description="A creator of the workspace.")
    campaign_id: Id | None = Field(None, description="For `{{ campaign }}` and its fields.")
    subject: Subject = ""
    body: Template = Field(..., description="As in `POST /broadcasts`.")


class BroadcastPageQuery(Schema):
    cursor: Cursor | None = Field(None, description=CURSOR_HELP)
    limit: int = Field(50, ge=1, le=PAGE_LIMIT_MAX)


# Output --------------------------------------------------------------------------------


class SkippedOut(Schema):
    creator_id: int
    name: str
    reason: str = Field(..., description="Why: no email address, the address bounced, …")


class PreviewOut(Schema):
    creator_id: int
    name: str
    email: str
    subject: str
    body: str
    problems: dict[str, list[str]] = Field(
        ...,
        description="`subject` or `body` → why it could not be written (then it is empty).",
    )


def preview_out(preview: dict[str, str], *, subject: str, body: str) -> dict[str, Any]:
    """broadcast_preview's answer, with the templates' own problems (syntax with line)."""
    problems: dict[str, list[str]] = {}
    for problem in templates_check(subject=subject, body=body):
        problems.setdefault(problem.field, []).append(problem.message)
    for key in ("subject", "body"):
        error = preview.get(f"{key}_error")
        if error and key not in problems:
            problems[key] = [error]
    return {
        "creator_id": int(preview["creator_id"]),
        "name": preview["name"],
        "email": preview["email"],
        "subject": "" if "subject" in problems else preview["subject"],
        "body": "" if "body" in problems else preview["body"],
        "problems": problems,
    }


class RecipientSegmentsOut(Schema):
    creator_id: int
    segments: int


class BroadcastCheckOut(Schema):
    ok: bool = Field(..., description="It can be sent as it is.")
    problems: dict[str, list[str]] = Field(
        ..., description="Field (or `__all__`) → every problem, all at once."
    )
    recipients: int = Field(..., description="Creators chosen.")
    sendable: int = Field(..., description="Who would get it.")
    skipped: list[SkippedOut] = Field(..., description="Who would not, and why.")
    preview: PreviewOut | None = Field(..., description="For the first who would get it.")
    segments: list[RecipientSegmentsOut] = Field(
        default_factory=list,
        description="A bulk SMS: how many segments each recipient's own text takes.",
    )
    notes: list[str] = Field(
        default_factory=list,
        description="What to know that stops nothing (in-app recipients without a creator "
        "portal account yet, whose message waits until they sign in).",
    )


def check_out(
    check: Check, preview: dict[str, str] | None, *, subject: str, body: str
) -> dict[str, Any]:
    return {
        "ok": check.ok,
        "problems": api_problems(check.problems),
        "recipients": len(check.sendable) + len(check.skipped),
        "sendable": len(check.sendable),
        "skipped": [
            {"creator_id": s.creator_id, "name": s.name, "reason": str(s.reason)}
            for s in check.skipped
        ],
        "preview": preview_out(preview, subject=subject, body=body) if preview else None,
        "segments": [{"creator_id": k, "segments": n} for k, n in check.segments.items()],
        "notes": check.notes,
    }


class BroadcastItemOut(Schema):
    id: int
    state: str = Field(
        ...,
        description="`preparing` (its messages are being written), `sending`, `done`, "
        "`cancelled` or `failed` (it could not be queued: `error`).",
    )
    channel: str
    mailbox_id: int | None
    campaign_id: int | None
    author: MemberRef | None
    subject: str = Field(..., description="The subject template.")
    send_at: datetime | None
    created_at: datetime
    finished_at: datetime | None
    recipients: int = Field(..., description="Creators it goes to (the skipped left out).")
    queued: int = Field(..., description="Their messages written so far.")
    skipped_count: int


def broadcast_item_out(broadcast: Broadcast) -> dict[str, Any]:
    return {
        "id": broadcast.id,
        "state": broadcast.state,
        "channel": broadcast.channel,
        "mailbox_id": broadcast.mailbox_id,
        "campaign_id": broadcast.campaign_id,
        "author": member_ref(broadcast.author),
        "subject": broadcast.subject_template,
        "send_at": broadcast.send_at,
        "created_at": broadcast.created_at,
        "finished_at": broadcast.finished_at,
        "recipients": len(broadcast.recipient_ids),
        "queued": broadcast.queued,
        "skipped_count": len(broadcast.skipped),
    }


class BroadcastPageOut(Schema):
    items: list[BroadcastItemOut]
    next_cursor: str | None


class BroadcastCountsOut(Schema):
    """Its messages by where they are (in-app messages are sent when written)."""

    pending: int = Field(..., description="Waiting: for `send_at`, or their day.")
    sending: int
    sent: int
    failed: int
    unknown: int = Field(
        ..., description="Whether the server took them cannot be known: retry or mark sent."
    )
    cancelled: int


class DayCountOut(Schema):
    day: date
    count: int


class FailureOut(Schema):
    message_id: int
    creator_name: str
    reason: str


class BroadcastOut(BroadcastItemOut):
    body: str = Field(..., description="The body template.")
    error: str
    skipped: list[SkippedOut]
    counts: BroadcastCountsOut
    scheduled_by_day: list[DayCountOut] = Field(
        ...,
        description="Waiting emails by the day they are planned for (the workspace's time "
        "zone) under the mailbox's daily limit, earliest first.",
    )
    expected_finish: date | None = Field(
        ..., description="The last of those days; null when nothing waits for a day."
    )
    failures: list[FailureOut] = Field(
        ..., description="The first 50 messages that failed or whose outcome is unknown."
    )


_COUNTS = {
    "pending": OutboxItem.State.PENDING,
    "sending": OutboxItem.State.SENDING,
    "sent": OutboxItem.State.DONE,
    "failed": OutboxItem.State.FAILED,
    "unknown": OutboxItem.State.UNKNOWN,
    "cancelled": OutboxItem.State.CANCELLED,
}


def broadcast_out(broadcast: Broadcast, progress: Progress) -> dict[str, Any]:
    """A mass message with its progress (plain data: Ninja validates it once)."""
    return {
        **broadcast_item_out(broadcast),
        "body": broadcast.body_template,
        "error": broadcast.error,
        "skipped": [
            {"creator_id": s["creator_id"], "name": s["name"], "reason": s["reason"]}
            for s in broadcast.skipped
        ],
        "counts": {name: progress.by_state.get(state, 0) for name, state in _COUNTS.items()},
        "scheduled_by_day": [{"day": day, "count": n} for day, n in progress.by_day],
        "expected_finish": progress.finished_on,
        "failures": [
            {"message_id": message_id, "creator_name": name, "reason": reason}
            for message_id, name, reason in progress.failures
        ],
    }
