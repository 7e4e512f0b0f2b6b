"""Reads of mass messages: their recipients (loaded in bulk), checks and progress."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, F
from django.db.models.fields.tuple_lookups import Tuple, TupleLessThan
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from parley.accounts.models import Member, Workspace
from parley.broadcasts.fields import (
    NO_CAMPAIGN,
    PREVIEW,
    Recipient,
    RenderError,
    custom_fields_used,
    fields_load,
    fields_needing_campaign,
    renderer,
    templates_check,
)
from parley.broadcasts.models import Broadcast
from parley.broadcasts.sms import opt_outs_for as sms_opt_outs_for
from parley.broadcasts.sms import segments_problem as sms_segments_problem
from parley.broadcasts.sms import skip_reason as sms_skip_reason
from parley.campaigns.assets.portal import creators_without_portal
from parley.campaigns.models import Campaign, CampaignMember
from parley.campaigns.selectors import inbox_filters_check
from parley.channels.sms.rules import max_segments as sms_max_segments
from parley.channels.sms.rules import segments_text as sms_segments_text
from parley.channels.sms.segments import sms_segments
from parley.core import cursor as cursors
from parley.core.errors import NotFound, ValidationFailed
from parley.creators.models import Creator, Identity
from parley.inbox.filters import InboxFilters
from parley.inbox.selectors import conversation_match_ids
from parley.outbox.models import OutboxItem

CHUNK = 2000
# Above this many recipients, the check renders the templates for this many of them.
RENDER_SAMPLE = 1000


def broadcast_get(*, workspace: Workspace, id: int) -> Broadcast:
    broadcast = (
        Broadcast.objects.select_related("mailbox", "sms_number", "campaign", "author__user")
        .filter(workspace=workspace, id=id)
        .first()
    )
    if broadcast is None:
        raise NotFound
    return broadcast


def broadcast_list(*, workspace: Workspace, limit: int = 50) -> list[Broadcast]:
    return list(
        Broadcast.objects.filter(workspace=workspace)
        .exclude(state=Broadcast.State.DRAFT)
        .select_related("author__user", "mailbox")
        .order_by("-created_at", "-id")[:limit]
    )


def broadcast_drafts(*, member: Member, limit: int = 20) -> list[Broadcast]:
    """The member's own drafts that have a subject or a text (a draft left empty, as
    "Mass message…" makes one before anything is written, is not listed), newest first."""
    return list(
        Broadcast.objects.filter(
            workspace_id=member.workspace_id, author=member, state=Broadcast.State.DRAFT
        )
        .exclude(subject_template="", body_template="")
        .order_by("-created_at", "-id")[:limit]
    )


def creator_ids_in_workspace(*, workspace_id: int, ids: list[int]) -> list[int]:
    """The ids that are creators of the workspace, in the order given, without repeats."""
    wanted = list(dict.fromkeys(ids))
    known: set[int] = set()
    for first in range(0, len(wanted), CHUNK):
        known.update(
            Creator.objects.filter(
                workspace_id=workspace_id, id__among=wanted[first : first + CHUNK]
            ).values_list("id", flat=True)
        )
    return [i for i in wanted if i in known]


@dataclass
class Loaded:
    """A recipient with what deciding to send needs."""

    recipient: Recipient
    bounced: str = ""  # the bounce status of their email address, when it bounced


def recipients_load(
    *, workspace_id: int, creator_ids: list[int], campaign: str = ""
) -> list[Loaded]:
    """Every recipient's fields, two queries a chunk of 2,000: creators, then identities."""
    out: list[Loaded] = []
    for first in range(0, len(creator_ids), CHUNK):
        chunk = creator_ids[first : first + CHUNK]
        creators = {
            c[0]: c
            for c in Creator.objects.filter(workspace_id=workspace_id, id__among=chunk).values_list(
                "id", "name", "first_name", "custom_fields"
            )
        }
        emails: dict[int, tuple[str, str]] = {}
        handles: dict[int, str] = {}
        phones: dict[int, str] = {}
        identities = (
            Identity.objects.filter(creator_id__among=chunk)
            .order_by("creator_id", "-is_primary", "id")
            .values_list("creator_id", "kind", "value", "normalized", "bounced_at", "bounce_status")
        )
        for creator_id, kind, value, normalized, bounced_at, status in identities:
            if kind == Identity.Kind.EMAIL and creator_id not in emails:
                emails[creator_id] = (value, (status or "5.0.0") if bounced_at else "")
            elif kind == Identity.Kind.PHONE and creator_id not in phones:
                phones[creator_id] = normalized
            elif kind in Identity.SOCIAL and creator_id not in handles:
                handles[creator_id] = f"@{value.lstrip('@')}"
        for creator_id in chunk:
            row = creators.get(creator_id)
            if row is None:
                continue
            email, bounced = emails.get(creator_id, ("", ""))
            out.append(
                Loaded(
                    Recipient(
                        creator_id=creator_id,
                        name=row[1],
                        first_name=row[2] or row[1].split(" ")[0],
                        email=email,
                        phone=phones.get(creator_id, ""),
                        handle=handles.get(creator_id, ""),
                        custom=row[3] if isinstance(row[3], dict) else {},
                        campaign=campaign,
                    ),
                    bounced=bounced,
                )
            )
    return out


def recipients_fill(
    *, broadcast: Broadcast, recipients: list[Recipient], mode: str = PREVIEW
) -> list[str]:
    """The values of the fields the broadcast's templates use that are looked up per send
    (the campaign's coupon codes, tracking links): filled into each recipient's `extra`;
    the problems found (an empty pool, …)."""
    return fields_load(
        workspace_id=broadcast.workspace_id,
        campaign_id=broadcast.campaign_id,
        author_id=broadcast.author_id,
        recipients=recipients,
        sources=[broadcast.subject_template, broadcast.body_template],
        mode=mode,
    )


@dataclass
class Skipped:
    creator_id: int
    name: str
    reason: str

    def stored(self) -> dict[str, object]:
        """As a broadcast keeps it (`Broadcast.skipped`, JSON): the reason as text."""
        return {"creator_id": self.creator_id, "name": self.name, "reason": str(self.reason)}


@dataclass
class Check:
    """Everything wrong with a mass message before anything is queued."""

    problems: dict[str, list[str]] = field(default_factory=dict)
    sendable: list[Loaded] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # A bulk SMS: creator id → how many segments their own text takes.
    segments: dict[int, int] = field(default_factory=dict)
    # What the team should know but that stops nothing (in-app recipients without a portal
    # account yet).
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.sendable)


def broadcast_check(
    *, broadcast: Broadcast, loaded: list[Loaded] | None = None, custom_typos: bool = True
) -> Check:
    """Templates (syntax with line, unknown fields), the sender, and every recipient: who
    would be skipped and why, and who a template cannot be rendered for. With
    `custom_typos`, a custom field none of the recipients has is a problem too (a mass
    message written for them; not a campaign's saved email, sent to one batch or another)."""
    check = Check()
    for problem in templates_check(
        subject=broadcast.subject_template, body=broadcast.body_template
    ):
        check.problems.setdefault(problem.field, []).append(problem.message)
    if not broadcast.body_template.strip():
        check.problems.setdefault("body", []).append(_("Write the message first."))
    if broadcast.campaign_id is None:
        for name, source in (
            ("subject", broadcast.subject_template),
            ("body", broadcast.body_template),
        ):
            for unvalued in fields_needing_campaign([source]):
                check.problems.setdefault(name, []).append(str(NO_CAMPAIGN) % {"field": unvalued})
    email = broadcast.channel == Broadcast.Channel.EMAIL
    if email and broadcast.mailbox is None:
        check.problems.setdefault("mailbox", []).append(_("Choose the mailbox to send from."))
    elif email and broadcast.mailbox is not None and not broadcast.mailbox.is_active:
        check.problems.setdefault("mailbox", []).append(_("Choose a connected mailbox."))
    if email and not broadcast.subject_template.strip():
        check.problems.setdefault("subject", []).append(_("An email needs a subject."))
    sms = broadcast.channel == Broadcast.Channel.SMS
    if sms and (broadcast.sms_number is None or not broadcast.sms_number.is_active):
        check.problems.setdefault("sms_number", []).append(
            _("Choose a connected number to send from (Settings → SMS).")
        )
    if loaded is None:
        loaded = recipients_load(
            workspace_id=broadcast.workspace_id,
            creator_ids=list(broadcast.recipient_ids),
            campaign=broadcast.campaign.name if broadcast.campaign else "",
        )
    opt_outs = (
        sms_opt_outs_for(
            workspace_id=broadcast.workspace_id, phones=[i.recipient.phone for i in loaded]
        )
        if sms
        else {}
    )
    for item in loaded:
        recipient = item.recipient
        if sms and (reason := sms_skip_reason(recipient.phone, opt_outs)):
            # No phone, no valid number, or opted out: skipped and listed with the reason.
            check.skipped.append(Skipped(recipient.creator_id, recipient.name, reason))
        elif email and not recipient.email:
            check.skipped.append(
                Skipped(recipient.creator_id, recipient.name, _("No email address"))
            )
        elif email and item.bounced:
            check.skipped.append(
                Skipped(
                    recipient.creator_id,
                    recipient.name,
                    _("Their address bounced (%(status)s)") % {"status": item.bounced},
                )
            )
        else:
            check.sendable.append(item)
    for message in recipients_fill(
        broadcast=broadcast, recipients=[item.recipient for item in check.sendable]
    ):
        check.problems.setdefault("body", []).append(message)
    if custom_typos:
        _check_custom_fields(broadcast, loaded, check)
    if broadcast.channel == Broadcast.Channel.INAPP and check.sendable:
        waiting = creators_without_portal(
            creator_ids=[item.recipient.creator_id for item in check.sendable]
        )
        if waiting:
            check.notes.append(
                ngettext(
                    "%(n)d of them has no creator portal account yet: the message waits "
                    "in their thread until they are invited and sign in.",
                    "%(n)d of them have no creator portal account yet: the message waits "
                    "in their threads until they are invited and sign in.",
                    waiting,
                )
                % {"n": waiting}
            )
    if "subject" not in check.problems and "body" not in check.problems:
        _render_all(broadcast, check)
    if not check.sendable and not check.problems:
        check.problems["__all__"] = [_("Nobody to send to: every recipient is skipped.")]
    return check


def _check_custom_fields(broadcast: Broadcast, loaded: list[Loaded], check: Check) -> None:
    """A custom field the templates name that none of the recipients has is a typo, most
    likely (a field only some have is empty for the others, as intended)."""
    if not loaded:
        return
    have = {name for item in loaded for name in item.recipient.custom}
    for name, source in (
        ("subject", broadcast.subject_template),
        ("body", broadcast.body_template),
    ):
        for missing in sorted(custom_fields_used(source) - have):
            check.problems.setdefault(name, []).append(
                _("None of these creators has the custom field “%(field)s”.") % {"field": missing}
                + (
                    " " + _("Theirs: %(fields)s.") % {"fields": ", ".join(sorted(have)[:10])}
                    if have
                    else ""
                )
            )


def _render_sample(broadcast: Broadcast, sendable: list[Loaded]) -> list[Loaded]:
    """Whom the check renders for: everyone, up to RENDER_SAMPLE; beyond that, as many spread
    evenly over the list (the request stays short at 10,000 recipients). A bulk SMS renders
    for everyone: each recipient's segment count is shown and capped before sending. A
    recipient the template fails for outside the sample is left out when the worker writes
    the messages, and listed with the skipped and the reason."""
    if broadcast.channel == Broadcast.Channel.SMS or len(sendable) <= RENDER_SAMPLE:
        return sendable
    step = len(sendable) / RENDER_SAMPLE
    return [sendable[int(i * step)] for i in range(RENDER_SAMPLE)]


def _render_all(broadcast: Broadcast, check: Check) -> None:
    """A template that renders for nobody, or fails for some, is a problem before sending."""
    subject, body = renderer(broadcast.subject_template), renderer(broadcast.body_template)
    failed: list[str] = []
    sms = broadcast.channel == Broadcast.Channel.SMS
    too_long: list[tuple[str, int]] = []
    for item in _render_sample(broadcast, check.sendable):
        try:
            subject(item.recipient)
            text = body(item.recipient)
        except RenderError as exc:
            failed.append(f"{item.recipient.name}: {exc}")
            continue
        if sms:  # each recipient's own text, as it is sent (outbox.services strips it)
            count = sms_segments(text.strip()).segments
            check.segments[item.recipient.creator_id] = count
            if count > sms_max_segments():
                too_long.append((item.recipient.name, count))
    if too_long:
        check.problems.setdefault("body", []).append(sms_segments_problem(too_long))
    if failed:
        shown = "; ".join(failed[:5])
        check.problems.setdefault("body", []).append(
            _("The message cannot be written for %(n)d recipients: %(which)s")
            % {"n": len(failed), "which": shown}
        )


def broadcast_preview(*, broadcast: Broadcast, creator_id: int | None = None) -> dict[str, str]:
    """The message as one recipient gets it (the first one, or the one asked for)."""
    ids = list(broadcast.recipient_ids)
    wanted = creator_id if creator_id in set(ids) else (ids[0] if ids else None)
    if wanted is None:
        raise NotFound
    loaded = recipients_load(
        workspace_id=broadcast.workspace_id,
        creator_ids=[wanted],
        campaign=broadcast.campaign.name if broadcast.campaign else "",
    )
    if not loaded:
        raise NotFound
    recipient = loaded[0].recipient
    out = {"name": recipient.name, "email": recipient.email, "creator_id": str(wanted)}
    problems = recipients_fill(broadcast=broadcast, recipients=[recipient])
    for key, source in (("subject", broadcast.subject_template), ("body", broadcast.body_template)):
        try:
            out[key] = renderer(source)(recipient)
        except Exception as exc:  # a syntax error too: shown, not raised
            out[key] = ""
            out[f"{key}_error"] = str(exc)
    if problems and "body_error" not in out:
        out["body_error"] = " ".join(problems)
    if broadcast.channel == Broadcast.Channel.SMS:
        out["phone"] = recipient.phone
        count = sms_segments(out.get("body", "").strip())
        out["segments"] = sms_segments_text(count)
    return out


@dataclass
class Progress:
    total: int
    by_state: dict[str, int]
    # Pending items by the day they are planned for (the daily limit), earliest first.
    by_day: list[tuple[date, int]]
    failures: list[tuple[int, str, str]]  # (message id, creator name, reason)

    @property
    def finished_on(self) -> date | None:
        return self.by_day[-1][0] if self.by_day else None

    @property
    def open(self) -> int:
        return sum(
            self.by_state.get(s, 0) for s in (OutboxItem.State.PENDING, OutboxItem.State.SENDING)
        )


def broadcast_progress(*, broadcast: Broadcast, failures: int = 50) -> Progress:
    """Counts by state and by planned day: two grouped queries over the broadcast's own
    items (an index on broadcast, state), plus the first failures with their reasons."""
    items = OutboxItem.objects.filter(broadcast=broadcast)
    by_state: dict[str, int] = defaultdict(int)
    for state, n in items.values_list("state").annotate(n=Count("id")).order_by():
        by_state[state] = n
    days = (
        items.filter(state=OutboxItem.State.PENDING)
        .values_list("planned_day")
        .annotate(n=Count("id"))
        .order_by("planned_day")
    )
    failed = (
        items.filter(state__in=[OutboxItem.State.FAILED, OutboxItem.State.UNKNOWN])
        .select_related("message__conversation__creator")
        .order_by("id")[:failures]
    )
    if broadcast.channel == Broadcast.Channel.INAPP:
        by_state[OutboxItem.State.DONE] = broadcast.queued
    return Progress(
        total=broadcast.queued,
        by_state=dict(by_state),
        by_day=[(d, n) for d, n in days if d is not None],
        failures=[
            (i.message_id, i.message.conversation.creator.name, i.message.status_reason)
            for i in failed
        ],
    )


# --- The API: recipients chosen by id, by the inbox filter or by campaign; the list ------


def broadcast_recipient_ids(
    *,
    member: Member,
    creator_ids: list[int] | None = None,
    filters: InboxFilters | None = None,
    campaign: Campaign | None = None,
    cap: int,
) -> list[int]:
    """The creators a mass message is to go to, chosen one of three ways: these ids
    (NotFound when one is not a creator of the workspace); every conversation that matches
    the inbox filter for the member ("all that match"; NotFound for another workspace's
    campaign, tag or client in it); or else the campaign's members. At most `cap + 1` ids,
    so that the caller can tell the limit was passed without reading further."""
    workspace = member.workspace
    if creator_ids is not None:
        ids = creator_ids_in_workspace(workspace_id=workspace.id, ids=creator_ids)
        if len(ids) != len(set(creator_ids)):
            raise NotFound
        return ids[: cap + 1]
    if filters is not None:
        inbox_filters_check(workspace=workspace, filters=filters)
        return conversation_match_ids(member=member, filters=filters, cap=cap)
    if campaign is not None:
        if campaign.workspace_id != workspace.id:
            raise NotFound
        return list(
            CampaignMember.objects.filter(campaign=campaign)
            .order_by("id")
            .values_list("creator_id", flat=True)[: cap + 1]
        )
    return []


def broadcast_template_preview(
    *,
    member: Member,
    creator_id: int,
    campaign: Campaign | None,
    subject: str,
    body: str,
) -> dict[str, str]:
    """The message as one creator of the workspace would get it, before there is a draft
    (as broadcast_preview; NotFound for a creator of another workspace)."""
    if not creator_ids_in_workspace(workspace_id=member.workspace_id, ids=[creator_id]):
        raise NotFound
    if campaign is not None and campaign.workspace_id != member.workspace_id:
        raise NotFound
    unsaved = Broadcast(
        workspace_id=member.workspace_id,
        author=member,
        campaign=campaign,
        subject_template=subject,
        body_template=body,
        recipient_ids=[creator_id],
    )
    return broadcast_preview(broadcast=unsaved, creator_id=creator_id)


@dataclass
class BroadcastPage:
    broadcasts: list[Broadcast]
    next_cursor: str | None


def broadcast_page(
    *, workspace: Workspace, cursor: str | None = None, limit: int = 50
) -> BroadcastPage:
    """The workspace's mass messages, the most recent first (drafts left out), keyset-paged
    on (created, id) along the broadcast_recent index: one query a page."""
    broadcasts = (
        Broadcast.objects.filter(workspace=workspace)
        .exclude(state=Broadcast.State.DRAFT)
        .select_related("author__user", "mailbox")
        .order_by("-created_at", "-id")
    )
    if cursor:
        at, last_id = cursors.decode(cursor, length=2)
        when = cursors.decode_datetime(at)
        if when is None or not isinstance(last_id, int) or isinstance(last_id, bool):
            raise ValidationFailed({"cursor": [_("Invalid cursor.")]})
        broadcasts = broadcasts.filter(
            TupleLessThan(Tuple(F("created_at"), F("id")), (when, last_id))
        )
    rows = list(broadcasts[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = cursors.encode([last.created_at.isoformat(), last.id])
    return BroadcastPage(broadcasts=rows, next_cursor=next_cursor)
