"""Settings → General as one change: the workspace's own fields (accounts) and what the
inbox keeps by them, the search vectors (by language) and the response counts (by day in
the time zone)."""

from django.db import transaction

from parley.accounts.models import Member, Workspace
from parley.accounts.services import workspace_update
from parley.inbox.responses import response_counts_rebuild_later
from parley.inbox.search import workspace_search_language_set


def workspace_general_update(
    *, member: Member, name: str, kind: str, time_zone: str, search_language: str
) -> Workspace:
    """Save the fields (admins; every one checked first). A new search language has the
    worker index the messages again; a new time zone has it count the replies again by the
    new zone's days (the Reports page's days)."""
    with transaction.atomic():
        before = member.workspace.time_zone
        workspace = workspace_update(member=member, name=name, kind=kind, time_zone=time_zone)
        workspace_search_language_set(member=member, language=search_language)
        if workspace.time_zone != before:
            response_counts_rebuild_later(workspace_id=workspace.id)
    return workspace
