from django_tasks import task

from parley.broadcasts.services import broadcast_queue


@task()
def broadcast_queue_task(broadcast_id: int) -> int:
    return broadcast_queue(broadcast_id=broadcast_id)
