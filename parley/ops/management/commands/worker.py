import os
import socket
import threading

from django.core.management.base import BaseCommand
from django_tasks_db.management.commands.db_worker import Worker

from parley.core.schedule import start_scheduler


class Command(BaseCommand):
    help = "Run the background worker: queued tasks plus periodic jobs (outbox, housekeeping)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--interval", type=float, default=1.0)

    def handle(self, *args, interval: float, **options):  # type: ignore[no-untyped-def]
        stop = threading.Event()
        start_scheduler(stop)
        worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=f"{socket.gethostname()}-{os.getpid()}",
            excluded_queue_names=[],
        )
        worker.configure_signals()
        self.stdout.write("Parley worker running (tasks and periodic jobs). Ctrl-C stops it.")
        try:
            worker.run()
        finally:
            stop.set()
