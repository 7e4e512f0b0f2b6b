"""Mailboxes as the outbox sees them: today's sends against the daily limit, and changing
the limit (the mailbox's queue is then planned again).

A mailbox is a sender (`mailbox.sender_key`) whose day is its workspace's calendar day, as
the email channel's `sender_policy` says; this reads many mailboxes at once without asking
the channel for each.
"""

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from parley.accounts.models import Member, Workspace
from parley.channels.base import SenderPolicy
from parley.channels.email.models import Mailbox
from parley.channels.email.services import mailbox_set_limit
from parley.outbox.senders import local_day, sender_mark_dirty, slots_used_many


@dataclass(frozen=True)
class MailboxDay:
    """One mailbox's calendar day so far: how many it sent of how many it may."""

    day: date
    sent: int
    limit: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.sent)


def mailboxes_today(*, workspace: Workspace, mailboxes: list[Mailbox]) -> dict[int, MailboxDay]:
    """Mailbox id → its day so far, for mailboxes of `workspace` (one query for them all)."""
    policy = SenderPolicy(daily_limit=None, time_zone=workspace.time_zone, label="")
    day = local_day(policy)
    used = slots_used_many(sender_keys=[m.sender_key for m in mailboxes], day=day)
    return {
        m.id: MailboxDay(day=day, sent=used.get(m.sender_key, 0), limit=m.daily_limit)
        for m in mailboxes
        if m.workspace_id == workspace.id
    }


def mailbox_daily_limit_set(*, member: Member, mailbox: Mailbox, daily_limit: int) -> Mailbox:
    """Set how many emails the mailbox may send a day (admins only, 1 to 10,000); its queue
    is planned again under the new limit on the worker's next pass."""
    with transaction.atomic():
        mailbox = mailbox_set_limit(member=member, mailbox=mailbox, daily_limit=daily_limit)
        sender_mark_dirty(workspace_id=mailbox.workspace_id, sender_key=mailbox.sender_key)
    return mailbox
