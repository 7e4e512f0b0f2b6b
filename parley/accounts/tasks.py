from django_tasks import task

from parley.accounts.services import member_invitation_email_send


@task()
def member_invitation_email_task(member_id: int, inviter_id: int, language: str) -> bool:
    """The invitation to a teammate (Settings → Team), or word that they were added."""
    return member_invitation_email_send(
        member_id=member_id, inviter_id=inviter_id, language=language
    )
