from django_tasks import task

from parley.creators.imports import creator_import_run


@task()
def creator_import_task(import_id: int) -> int:
    return creator_import_run(import_id=import_id).rows_done
