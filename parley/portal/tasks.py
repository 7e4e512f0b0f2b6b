from django_tasks import task

from parley.portal.services import invitation_email_send


@task()
def portal_invitation_task(access_id: int) -> bool:
    """Email one creator their portal invitation (invitations sent in bulk)."""
    return invitation_email_send(access_id=access_id)
