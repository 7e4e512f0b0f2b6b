"""Campaign status changes as the team makes them, with the email some of them send: the
invitation, the approval and the rejection (the campaign's template for that kind, with the
mass email's personal fields), through the outbox with that kind's priority.

This workflow spans campaigns (the status table and its events), the inbox, the outbox and
the bulk writer of mass messages, so it lives here, in broadcasts, the highest of them
(DESIGN.md, Layering); the rules are parley/campaigns/workflow.py's table.

- One creator: the email is recorded and queued at once (`email_message_send`, the same
  path as the message box) with the status change and its event, in one transaction.
- Many creators: the statuses change in a few statements, then a mass message of that kind
  (a Broadcast with the kind's priority) is handed to the worker, which writes each email,
  its outbox row and the status event beside it in chunks of 2,000
  (parley.broadcasts.services). Creators without an email address, or whose address
  bounced, are skipped (their status stays) and listed; so are those whose status does not
  allow the change. The broadcast's page shows the progress and can cancel.

Creators with a portal account will get these in-app as well (the creator portal, the next
issue): `portal_creator_ids` is the seam, empty until then.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from jinja2 import TemplateError

from parley.accounts.models import Member
from parley.broadcasts.fields import RenderError, renderer
from parley.broadcasts.models import Broadcast
from parley.broadcasts.selectors import Skipped, broadcast_check, recipients_load
from parley.broadcasts.services import MAX_SUBJECT, broadcast_limit
from parley.campaigns.models import Campaign, CampaignMember
from parley.campaigns.services import campaign_email_templates
from parley.campaigns.workflow import (
    EMAIL_OF_TARGET,
    EMAIL_PRIORITY,
    Refused,
    campaign_check_open,
    member_status_set,
    members_status_check,
    members_status_set,
    status_label,
    transition_get,
)
from parley.channels.email.models import Mailbox
from parley.channels.email.selectors import mailbox_default
from parley.core.errors import ValidationFailed
from parley.inbox.events import Said, said
from parley.inbox.services import conversation_get_or_create
from parley.outbox.email_send import email_message_send


def portal_creator_ids(*, workspace_id: int, creator_ids: Iterable[int]) -> set[int]:
    """SEAM (creator portal): which of these creators have a portal account, to get campaign
    emails in-app as well. None until the portal exists."""
    return set()


def _no_email_event(status: str) -> Said:
    return said(
        gettext_noop("%(status)s (no email sent)"), status=CampaignMember.Status(status).label
    )


def _mailbox(member: Member, mailbox: Mailbox | None) -> Mailbox:
    chosen = mailbox or mailbox_default(workspace=member.workspace)
    if chosen is None or chosen.workspace_id != member.workspace_id or not chosen.is_active:
        raise ValidationFailed(
            {
                "mailbox": [
                    _(
                        "Connect a mailbox to send campaign emails (Settings → Email "
                        "provider), or change the status without the email."
                    )
                ]
            }
        )
    return chosen


def _kind_label(kind: str) -> str:
    return {
        "invitation": _("The invitation email"),
        "approval": _("The approval email"),
        "rejection": _("The rejection email"),
    }[kind]


def campaign_member_transition(
    *,
    member: Member,
    campaign_member: CampaignMember,
    status: str,
    mailbox: Mailbox | None = None,
    send_email: bool = True,
    confirm_bouncing: bool = False,
) -> CampaignMember:
    """Move one creator to `status` (as the table allows from where they stand), with its
    event in their thread and, for an invitation, approval or rejection, its email from
    `mailbox` (the workspace's default when None) unless `send_email` is False.

    ValidationFailed when the email cannot go (no mailbox, no address, a template that cannot
    be written for this creator, an address that bounced without `confirm_bouncing`);
    Conflict when the change is not allowed or the campaign is archived. Nothing changes on
    any error."""
    campaign = campaign_member.campaign
    if campaign.workspace_id != member.workspace_id:
        raise ValidationFailed({"campaign": [_("Unknown campaign.")]})
    campaign_check_open(campaign)
    transition = transition_get(source=campaign_member.status, target=status)
    if transition.email is None:
        return member_status_set(campaign_member=campaign_member, status=status, actor=member)
    if not send_email:
        return member_status_set(
            campaign_member=campaign_member,
            status=status,
            actor=member,
            event=_no_email_event(status),
        )
    sender = _mailbox(member, mailbox)
    template = campaign_email_templates(campaign=campaign)[transition.email]
    loaded = recipients_load(
        workspace_id=campaign.workspace_id,
        creator_ids=[campaign_member.creator_id],
        campaign=campaign.name,
    )
    recipient = loaded[0].recipient
    if not recipient.email:
        raise ValidationFailed(
            {
                "email": [
                    _(
                        "%(name)s has no email address: add one, or change the status "
                        "without the email."
                    )
                    % {"name": recipient.name}
                ]
            }
        )
    try:
        subject = renderer(template.subject)(recipient)
        body = renderer(template.body)(recipient)
    except (RenderError, TemplateError) as exc:
        raise ValidationFailed({"template": [f"{_kind_label(transition.email)}: {exc}"]}) from exc
    with transaction.atomic():
        # The email first, then the event beside it (as the bulk writer orders them); the
        # status is checked again under its lock, and a change that lost a race undoes both.
        email_message_send(
            member=member,
            conversation=conversation_get_or_create(creator=campaign_member.creator),
            mailbox=sender,
            subject=" ".join(subject.split())[:MAX_SUBJECT],
            body=body,
            campaign_id=campaign.id,
            priority=EMAIL_PRIORITY[transition.email],
            confirm_bouncing=confirm_bouncing,
        )
        member_status_set(campaign_member=campaign_member, status=status, actor=member)
    return campaign_member


@dataclass
class Transitions:
    """What a bulk change did."""

    moved: list[int] = field(default_factory=list)
    # Not moved: not in the campaign, or their status does not allow the change.
    refused: list[Refused] = field(default_factory=list)
    # Not moved: no email address, or it bounced (the email could not go).
    skipped: list[Skipped] = field(default_factory=list)
    # The mass message that writes and sends the emails (None without emails).
    broadcast: Broadcast | None = None

    def summary(self, status: str, *, shown: int = 5) -> str:
        """One paragraph for the page: how many moved, and who did not, grouped by why."""
        n = len(self.moved)
        parts = [
            ngettext(
                "%(n)d creator is now “%(status)s”.",
                "%(n)d creators are now “%(status)s”.",
                n,
            )
            % {"n": n, "status": status_label(status)}
        ]
        if self.broadcast is not None:
            parts.append(_("Their emails are being written and queued."))
        why: dict[str, list[str]] = {}
        for s in self.skipped:
            why.setdefault(str(s.reason), []).append(s.name)
        for r in self.refused:
            why.setdefault(r.reason, []).append(r.name or f"#{r.creator_id}")
        for reason, people in why.items():
            listed = ", ".join(people[:shown])
            if len(people) > shown:
                listed += " " + _("and %(n)d more") % {"n": len(people) - shown}
            parts.append(
                ngettext(
                    "Not changed, %(n)d creator: %(reason)s (%(names)s).",
                    "Not changed, %(n)d creators: %(reason)s (%(names)s).",
                    len(people),
                )
                % {"n": len(people), "reason": reason.rstrip("."), "names": listed}
            )
        return " ".join(parts)


def campaign_members_transition(
    *,
    member: Member,
    campaign: Campaign,
    creator_ids: Iterable[int],
    status: str,
    mailbox: Mailbox | None = None,
    send_email: bool = True,
) -> Transitions:
    """Move every creator given whose status allows it to `status`. Without an email: the
    statuses and their events at once. With one: the statuses at once and a broadcast of the
    kind's emails (and their events) for the worker; those it cannot reach are skipped and
    listed. ValidationFailed when the email cannot go at all (no mailbox, a template
    problem); Conflict when the campaign is archived."""
    if campaign.workspace_id != member.workspace_id:
        raise ValidationFailed({"campaign": [_("Unknown campaign.")]})
    campaign_check_open(campaign)
    kind = EMAIL_OF_TARGET.get(status)
    if kind is None or not send_email:
        changes = members_status_set(
            campaign=campaign,
            creator_ids=creator_ids,
            status=status,
            actor=member,
            event=_no_email_event(status) if kind else None,
        )
        return Transitions(moved=changes.moved, refused=changes.refused)
    wanted = list(dict.fromkeys(creator_ids))
    if len(wanted) > broadcast_limit():
        raise ValidationFailed(
            _("At most %(n)d creators at once: narrow the selection.") % {"n": broadcast_limit()}
        )
    movable, refused = members_status_check(campaign=campaign, creator_ids=wanted, status=status)
    outcome = Transitions(refused=list(refused))
    if not movable:
        return outcome
    sender = _mailbox(member, mailbox)
    template = campaign_email_templates(campaign=campaign)[kind]
    broadcast = Broadcast(
        workspace_id=campaign.workspace_id,
        author=member,
        campaign=campaign,
        channel=Broadcast.Channel.EMAIL,
        mailbox=sender,
        priority=EMAIL_PRIORITY[kind],
        subject_template=template.subject,
        body_template=template.body,
        recipient_ids=[m.creator_id for m in movable],
    )
    check = broadcast_check(broadcast=broadcast, custom_typos=False)
    problems = [
        f"{_kind_label(kind)}: {message}"
        for name, messages in check.problems.items()
        if name != "__all__"
        for message in messages
    ]
    if problems:
        raise ValidationFailed({"template": problems})
    outcome.skipped = check.skipped
    sendable = {item.recipient.creator_id for item in check.sendable}
    if not sendable:
        return outcome
    with transaction.atomic():
        changes = members_status_set(
            campaign=campaign,
            status=status,
            actor=member,
            events=False,
            checked=([m for m in movable if m.creator_id in sendable], []),
        )
        moved = set(changes.moved)
        outcome.moved = changes.moved
        # A creator whose status changed meanwhile is refused there, and gets no email.
        outcome.refused += changes.refused
        broadcast.recipient_ids = [m.creator_id for m in movable if m.creator_id in moved]
        broadcast.skipped = [s.stored() for s in check.skipped]
        if broadcast.recipient_ids:
            broadcast.state = Broadcast.State.PREPARING
            broadcast.save()
            broadcast_id = broadcast.pk
            transaction.on_commit(lambda: _enqueue(broadcast_id))
            outcome.broadcast = broadcast
    return outcome


def _enqueue(broadcast_id: int) -> None:
    from parley.broadcasts.tasks import broadcast_queue_task

    broadcast_queue_task.enqueue(broadcast_id)
