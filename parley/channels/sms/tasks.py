from django_tasks import task

from parley.channels.sms.inbound import sms_media_fetch


@task()
def sms_media_fetch_task(record_id: int) -> int:
    return sms_media_fetch(record_id=record_id)
