from django_tasks import task

from parley.inbox.services import notification_email_send


@task()
def notification_email_task(member_id: int, text: str, conversation_id: int | None) -> bool:
    return notification_email_send(member_id=member_id, text=text, conversation_id=conversation_id)
