"""Where a creator stands in a campaign, and how they move on: the one table of allowed
status changes, and the services that make them.

    added ──────────── invite ─────────▶ invited ──▶ accepted ─┐
      │                                     └──────▶ declined  │
      └─ approve ─┐                                            ├─▶ active ─▶ content submitted
    applied ──────┴──▶ approved ───────────────────────────────┘     │  ▲        │
      └──────────────▶ rejected                                      │  └────────┤ request changes
                                                                     │           ▼
                                                     completed ◀─────┴── content approved

Every change sets the member's last activity and posts a system event in the creator's
thread ("Summer Launch: Invitation sent"), shown apart from what people wrote. The changes
that go with an email (an invitation, an approval, a rejection) are made through
`parley.broadcasts.campaign_mail`, which sends the email through the outbox with its kind's
priority and calls these services for the status and the event; the creator portal (the
next issue) calls them directly for what the creator does (accept, decline, sign, submit),
passing its own event text ("Agreement signed", "Products selected").
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from parley.accounts.models import Member
from parley.campaigns.models import Campaign, CampaignEmailTemplate, CampaignMember
from parley.core.errors import Conflict, ValidationFailed
from parley.creators.models import Creator
from parley.inbox.events import Said, said
from parley.inbox.models import Channel, Message
from parley.inbox.services import conversation_get_or_create, events_record_many, message_record
from parley.outbox.models import OutboxItem

S = CampaignMember.Status
Kind = CampaignEmailTemplate.Kind

CHUNK = 2000


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    # The button that makes the change, and the event it posts in the thread.
    label: str | Promise
    event: Promise
    # The campaign email that goes with it (sent by parley.broadcasts.campaign_mail).
    email: str | None = None
    # The step forward a page shows first.
    primary: bool = False


# The allowed changes, in the order a page offers them. Nothing else is possible.
TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        S.ADDED,
        S.INVITED,
        gettext_lazy("Invite"),
        gettext_lazy("Invitation sent"),
        Kind.INVITATION,
        primary=True,
    ),
    Transition(
        S.ADDED, S.APPROVED, gettext_lazy("Approve"), gettext_lazy("Approved"), Kind.APPROVAL
    ),
    Transition(
        S.INVITED,
        S.ACCEPTED,
        gettext_lazy("Mark accepted"),
        gettext_lazy("Accepted the invitation"),
        primary=True,
    ),
    Transition(
        S.INVITED,
        S.DECLINED,
        gettext_lazy("Mark declined"),
        gettext_lazy("Declined the invitation"),
    ),
    Transition(
        S.APPLIED,
        S.APPROVED,
        gettext_lazy("Approve"),
        gettext_lazy("Approved"),
        Kind.APPROVAL,
        primary=True,
    ),
    Transition(
        S.APPLIED,
        S.REJECTED,
        gettext_lazy("Reject"),
        gettext_lazy("Application rejected"),
        Kind.REJECTION,
    ),
    Transition(
        S.ACCEPTED,
        S.ACTIVE,
        gettext_lazy("Mark active"),
        gettext_lazy("Active in the campaign"),
        primary=True,
    ),
    Transition(
        S.APPROVED,
        S.ACTIVE,
        gettext_lazy("Mark active"),
        gettext_lazy("Active in the campaign"),
        primary=True,
    ),
    Transition(
        S.ACTIVE,
        S.CONTENT_SUBMITTED,
        gettext_lazy("Mark content submitted"),
        gettext_lazy("Content submitted"),
        primary=True,
    ),
    Transition(S.ACTIVE, S.COMPLETED, gettext_lazy("Complete"), gettext_lazy("Completed")),
    Transition(
        S.CONTENT_SUBMITTED,
        S.CONTENT_APPROVED,
        gettext_lazy("Approve content"),
        gettext_lazy("Content approved"),
        primary=True,
    ),
    Transition(
        S.CONTENT_SUBMITTED,
        S.ACTIVE,
        gettext_lazy("Request changes"),
        gettext_lazy("Changes requested"),
    ),
    Transition(
        S.CONTENT_APPROVED,
        S.COMPLETED,
        gettext_lazy("Complete"),
        gettext_lazy("Completed"),
        primary=True,
    ),
)

_BY_PAIR = {(t.source, t.target): t for t in TRANSITIONS}

# Each campaign email's outbox priority (parley/outbox/plan.py orders a full day by it).
EMAIL_PRIORITY: dict[str, int] = {
    Kind.INVITATION: OutboxItem.Priority.INVITATION,
    Kind.APPROVAL: OutboxItem.Priority.APPROVAL,
    Kind.REJECTION: OutboxItem.Priority.REJECTION,
}
# The email a change to this status sends, and the event posted with it. A change with an
# email has one event whatever the status it comes from: the bulk writer of mass messages
# posts it beside each email (parley.broadcasts.services).
EMAIL_OF_TARGET: dict[str, str] = {t.target: t.email for t in TRANSITIONS if t.email}
EMAIL_EVENT: dict[str, Promise] = {t.email: t.event for t in TRANSITIONS if t.email}
# The campaign email a broadcast of this priority is (mass messages have none).
EMAIL_OF_PRIORITY: dict[int, str] = {p: kind for kind, p in EMAIL_PRIORITY.items()}


def _bulk_targets() -> dict[str, str | Promise]:
    targets: dict[str, str | Promise] = {}
    for t in TRANSITIONS:
        targets.setdefault(t.target, t.label)
    return targets


# What the bulk bars offer: each status some change leads to, once, with the button of its
# first change ("Mark active" for active, which "Request changes" also leads to). Each
# creator selected moves by the change from their own status, or is listed as refused.
BULK_TARGETS: dict[str, str | Promise] = _bulk_targets()


def transitions_from(status: str) -> list[Transition]:
    """The changes a member in `status` can make: what the page offers as buttons."""
    return [t for t in TRANSITIONS if t.source == status]


def status_label(status: str) -> str:
    return str(dict(S.choices).get(status, status))


def _refusal(source: str, target: str) -> str:
    offered = transitions_from(source)
    if not offered:
        return _("“%(source)s” is final: no status change is possible from it.") % {
            "source": status_label(source)
        }
    return _("A creator who is “%(source)s” cannot become “%(target)s”. Possible: %(next)s.") % {
        "source": status_label(source),
        "target": status_label(target),
        "next": ", ".join(status_label(t.target) for t in offered),
    }


def transition_get(*, source: str, target: str) -> Transition:
    """The change from `source` to `target`; Conflict (the API's 409) saying what is possible
    when the table has no such change, ValidationFailed for a status that does not exist."""
    if target not in S.values:
        raise ValidationFailed({"status": [_("Unknown status.")]})
    found = _BY_PAIR.get((source, target))
    if found is None:
        raise Conflict({"status": [_refusal(source, target)]})
    return found


def campaign_check_open(campaign: Campaign) -> None:
    """Conflict when the campaign is archived: restore it to change anything in it."""
    if campaign.status == Campaign.Status.ARCHIVED:
        raise Conflict(_("This campaign is archived: restore it to make changes."))


def event_said(campaign: Campaign, event: Said | Promise) -> Said:
    """The words of an event in the thread: "Summer Launch: Invitation sent"."""
    return said(gettext_noop("%(campaign)s: %(event)s"), campaign=campaign.name, event=event)


# --- One creator ------------------------------------------------------------------------


def member_status_set(
    *,
    campaign_member: CampaignMember,
    status: str,
    actor: Member | None = None,
    event: Said | None = None,
    at: datetime | None = None,
) -> CampaignMember:
    """Move one creator to `status` if the table allows it from where they stand now, and
    post the event in their thread (`event` overrides the table's text: "Agreement signed").
    No email: parley.broadcasts.campaign_mail sends the ones that go with a change."""
    campaign = campaign_member.campaign
    campaign_check_open(campaign)
    at = at or timezone.now()
    with transaction.atomic():
        # Read the status under a lock: two changes at once cannot both start from it.
        current = (
            CampaignMember.objects.select_for_update()
            .values_list("status", flat=True)
            .get(pk=campaign_member.pk)
        )
        transition = transition_get(source=current, target=status)
        CampaignMember.objects.filter(pk=campaign_member.pk).update(
            status=status, last_activity_at=at, updated_at=at
        )
        conversation = conversation_get_or_create(creator=campaign_member.creator, at=at)
        message_record(
            conversation=conversation,
            channel=Channel.EVENT,
            direction=Message.Direction.EVENT,
            status=Message.Status.DELIVERED,
            event=event_said(campaign, event or transition.event),
            campaign_id=campaign.id,
            author_member=actor,
            created_at=at,
        )
    campaign_member.status = status
    campaign_member.last_activity_at = at
    campaign_member.updated_at = at
    return campaign_member


# --- Many creators ----------------------------------------------------------------------


@dataclass
class Refused:
    creator_id: int
    name: str
    reason: str


@dataclass
class StatusChanges:
    """What a bulk change did: the creators moved, and those left as they were, with why."""

    moved: list[int] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)


@dataclass(frozen=True)
class Movable:
    """A member who can make the change: their row, creator and current status."""

    member_id: int
    creator_id: int
    source: str


def members_status_check(
    *, campaign: Campaign, creator_ids: Iterable[int], status: str
) -> tuple[list[Movable], list[Refused]]:
    """Which of these creators can move to `status`: each that can, and each that cannot
    with the reason (not in the campaign, or their status does not allow it). Reads the
    (campaign, creator) index alone; the names only of those refused."""
    if status not in S.values:
        raise ValidationFailed({"status": [_("Unknown status.")]})
    wanted = list(dict.fromkeys(creator_ids))
    movable: list[Movable] = []
    stuck: dict[int, str] = {}
    found: set[int] = set()
    for first in range(0, len(wanted), CHUNK):
        rows = CampaignMember.objects.filter(
            campaign=campaign, creator_id__in=wanted[first : first + CHUNK]
        ).values_list("id", "creator_id", "status")
        for member_id, creator_id, current in rows:
            found.add(creator_id)
            if (current, status) in _BY_PAIR:
                movable.append(Movable(member_id, creator_id, current))
            else:
                stuck[creator_id] = current
    return movable, _refused(campaign, wanted, found, stuck, status)


def _refused(
    campaign: Campaign, wanted: list[int], found: set[int], stuck: dict[int, str], status: str
) -> list[Refused]:
    names = dict(
        Creator.objects.filter(
            workspace_id=campaign.workspace_id, id__in=list(stuck)[:CHUNK]
        ).values_list("id", "name")
        if stuck
        else []
    )
    refused = [
        Refused(creator_id, names.get(creator_id, ""), _refusal(current, status))
        for creator_id, current in stuck.items()
    ]
    refused += [
        Refused(creator_id, "", _("Not in this campaign."))
        for creator_id in wanted
        if creator_id not in found
    ]
    return refused


def members_status_set(
    *,
    campaign: Campaign,
    creator_ids: Iterable[int] = (),
    status: str,
    actor: Member | None,
    events: bool = True,
    event: Said | None = None,
    at: datetime | None = None,
    checked: tuple[list[Movable], list[Refused]] | None = None,
) -> StatusChanges:
    """Move every creator whose status allows it to `status`, in a few statements whatever
    their number, with an event in each one's thread (`event` overrides the table's text;
    `events=False`: the caller posts them, as the bulk writer of campaign emails does beside
    each email). The others are listed with why. `checked`: what `members_status_check`
    found already (the rows are then read once).

    Each UPDATE moves only rows still in the status they were read in, so a member whose
    status changed meanwhile (another teammate, the creator in the portal) is left out and
    listed, never moved by a change their new status does not allow."""
    campaign_check_open(campaign)
    at = at or timezone.now()
    movable, refused = checked or members_status_check(
        campaign=campaign, creator_ids=creator_ids, status=status
    )
    by_source: dict[str, list[Movable]] = {}
    for m in movable:
        by_source.setdefault(m.source, []).append(m)
    moved: list[Movable] = []
    with transaction.atomic():
        for source, group in by_source.items():
            for first in range(0, len(group), CHUNK):
                chunk = group[first : first + CHUNK]
                ids = [m.member_id for m in chunk]
                changed = CampaignMember.objects.filter(id__in=ids, status=source).update(
                    status=status, last_activity_at=at, updated_at=at
                )
                if changed == len(chunk):
                    moved += chunk
                    continue
                # Some changed meanwhile: keep those this update moved, list the others.
                done = set(
                    CampaignMember.objects.filter(
                        id__in=ids, status=status, last_activity_at=at
                    ).values_list("id", flat=True)
                )
                moved += [m for m in chunk if m.member_id in done]
                now = dict(
                    CampaignMember.objects.filter(id__in=ids)
                    .exclude(id__in=done)
                    .values_list("creator_id", "status")
                )
                refused += _refused(campaign, [], set(), now, status)
        if events and moved:
            events_record_many(
                workspace_id=campaign.workspace_id,
                bodies={
                    m.creator_id: event_said(campaign, event or _BY_PAIR[(m.source, status)].event)
                    for m in moved
                },
                campaign_id=campaign.id,
                author=actor,
                at=at,
            )
    return StatusChanges(moved=[m.creator_id for m in moved], refused=refused)
