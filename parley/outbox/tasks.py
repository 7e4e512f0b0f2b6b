from django_tasks import task

from parley.outbox.services import outbox_deliver


@task()
def outbox_deliver_task(item_id: int) -> str:
    return outbox_deliver(item_id=item_id)
