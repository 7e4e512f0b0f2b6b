"""Settings → Team as whole changes: a membership (accounts) and what the inbox keeps for
each member, an entry per conversation (their read state and list order), their
notifications and the conversations assigned to them."""

from django.db import transaction

from parley.accounts.models import Member
from parley.accounts.services import member_invite, member_remove
from parley.inbox.models import Conversation, InboxEntry, Notification
from parley.inbox.services import inbox_entries_create_for_member


def team_member_invite(
    *, actor: Member, email: str, name: str = "", role: str = Member.Role.MEMBER
) -> Member:
    """Invite a teammate (accounts.services.member_invite says who may and what is checked)
    and give them an entry for every conversation, read, so their inbox is the team's from
    the first page; the email goes out once this commits."""
    with transaction.atomic():
        member = member_invite(actor=actor, email=email, name=name, role=role)
        inbox_entries_create_for_member(member=member)
    return member


def team_member_remove(*, actor: Member, member: Member) -> None:
    """Remove a teammate (accounts.services.member_remove: who may, the last owner stays).
    Their inbox entries and notifications go (they can no longer read them, and no activity
    should keep moving them); the conversations assigned to them are unassigned, so the
    team sees they need someone. What they wrote stays, under their name."""
    with transaction.atomic():
        member_remove(actor=actor, member=member)
        InboxEntry.objects.filter(member=member).delete()
        Notification.objects.filter(member=member).delete()
        Conversation.objects.filter(assignee=member).update(assignee=None)
