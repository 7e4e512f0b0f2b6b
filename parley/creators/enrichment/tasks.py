"""Worker tasks of enrichment: each takes a row's primary key and calls one service, which
is idempotent (the row's status, lease and retry time decide whether the provider is asked)."""

from django_tasks import task

from parley.creators.enrichment.services import audience_report_run, email_request_run


@task()
def email_request_task(request_id: int) -> str:
    return email_request_run(request_id=request_id)


@task()
def audience_report_task(report_id: int) -> str:
    return audience_report_run(report_id=report_id)
