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
from django.utils.translation import gettext_lazy

from parley.accounts.models import Member
from parley.campaigns.models import Campaign, CampaignEmailTemplate, CampaignMember
from parley.core.errors import Conflict, ValidationFailed
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
    event: str | Promise
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
EMAIL_EVENT: dict[str, str | Promise] = {t.email: t.event for t in TRANSITIONS if t.email}
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


def event_text(campaign: Campaign, event: str | Promise) -> str:
    """The text of a status event in the thread: "Summer Launch: Invitation sent"."""
    return _("%(campaign)s: %(event)s") % {"campaign": campaign.name, "event": event}


# --- One creator ------------------------------------------------------------------------


def member_status_set(
    *,
    campaign_member: CampaignMember,
    status: str,
    actor: Member | None = None,
    event: str | None = None,
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
            body_text=event_text(campaign, event or transition.event),
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


def members_status_check(
    *, campaign: Campaign, creator_ids: Iterable[int], status: str, lock: bool = False
) -> tuple[list[tuple[int, int, str]], list[Refused]]:
    """Which of these creators can move to `status`: (member id, creator id, current status)
    of each that can, and each that cannot with the reason (not in the campaign, or their
    status does not allow it). `lock` (inside a transaction) holds their rows until it ends."""
    if status not in S.values:
        raise ValidationFailed({"status": [_("Unknown status.")]})
    wanted = list(dict.fromkeys(creator_ids))
    movable: list[tuple[int, int, str]] = []
    refused: list[Refused] = []
    found: set[int] = set()
    for first in range(0, len(wanted), CHUNK):
        rows = CampaignMember.objects.filter(
            campaign=campaign, creator_id__in=wanted[first : first + CHUNK]
        )
        if lock:
            rows = rows.select_for_update(of=("self",))
        for member_id, creator_id, current, name in rows.values_list(
            "id", "creator_id", "status", "creator__name"
        ):
            found.add(creator_id)
            if (current, status) in _BY_PAIR:
                movable.append((member_id, creator_id, current))
            else:
                refused.append(Refused(creator_id, name, _refusal(current, status)))
    for creator_id in wanted:
        if creator_id not in found:
            refused.append(Refused(creator_id, "", _("Not in this campaign.")))
    return movable, refused


def members_status_set(
    *,
    campaign: Campaign,
    creator_ids: Iterable[int],
    status: str,
    actor: Member | None,
    events: bool = True,
    event: str | None = None,
    at: datetime | None = None,
) -> StatusChanges:
    """Move every creator whose status allows it to `status`, in a few statements whatever
    their number, with an event in each one's thread (`event` overrides the table's text;
    `events=False`: the caller posts them, as the bulk writer of campaign emails does beside
    each email). The others are listed with why."""
    campaign_check_open(campaign)
    at = at or timezone.now()
    outcome = StatusChanges()
    with transaction.atomic():
        movable, outcome.refused = members_status_check(
            campaign=campaign, creator_ids=creator_ids, status=status, lock=True
        )
        ids = [member_id for member_id, _c, _s in movable]
        for first in range(0, len(ids), CHUNK):
            CampaignMember.objects.filter(id__in=ids[first : first + CHUNK]).update(
                status=status, last_activity_at=at, updated_at=at
            )
        outcome.moved = [creator_id for _m, creator_id, _s in movable]
        if events and movable:
            events_record_many(
                workspace_id=campaign.workspace_id,
                bodies={
                    creator_id: event_text(campaign, event or _BY_PAIR[(source, status)].event)
                    for _m, creator_id, source in movable
                },
                campaign_id=campaign.id,
                author=actor,
                at=at,
            )
    return outcome
