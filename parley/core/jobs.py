"""Housekeeping jobs for the scheduler."""

from datetime import timedelta

from django.utils import timezone
from django_tasks_db.models import DBTaskResult


def prune_task_results(days: int = 2) -> int:
    """Finished task rows pile up and slow the worker: drop those older than `days`."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted
