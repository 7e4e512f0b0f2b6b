from typing import Any

from django_tasks import task

from parley.inbox.responses import response_counts_rebuild
from parley.inbox.search import search_reindex_all
from parley.inbox.services import notification_email_send


@task()
def notification_email_task(
    member_id: int, text: str, conversation_id: int | None, said: dict[str, Any] | None = None
) -> bool:
    return notification_email_send(
        member_id=member_id, text=text, conversation_id=conversation_id, said=said
    )


@task()
def message_search_reindex_task(workspace_id: int) -> None:
    """The workspace's search vectors in its (new) search language."""
    search_reindex_all(workspace_id=workspace_id)


@task()
def response_counts_rebuild_task(workspace_id: int) -> int:
    """The workspace's response counts in its (new) time zone's days."""
    return response_counts_rebuild(workspace_id=workspace_id)
