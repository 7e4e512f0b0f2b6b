from django.utils.dateparse import parse_datetime
from django_tasks import task

from parley.portal.services import invitation_email_send


@task()
def portal_invitation_task(access_id: int, requested_at: str) -> bool:
    """Email one creator their portal invitation (invitations sent in bulk); once, however
    often it runs."""
    return invitation_email_send(access_id=access_id, since=parse_datetime(requested_at))
