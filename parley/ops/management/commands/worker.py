from django.core.management.base import BaseCommand, CommandError

from parley.ops.worker import WorkerConfigError, run_worker


class Command(BaseCommand):
    help = (
        "Run the background worker: queued tasks of the configured backend (database or "
        "Redis/RQ) plus periodic jobs (outbox, housekeeping)."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds between polls of the database queue (the RQ worker blocks instead).",
        )

    def handle(self, *args, interval: float, **options):  # type: ignore[no-untyped-def]
        try:
            run_worker(interval=interval, announce=self.stdout.write)
        except WorkerConfigError as exc:
            raise CommandError(str(exc)) from exc
