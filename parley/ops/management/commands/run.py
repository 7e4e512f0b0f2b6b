import ctypes
import os
import signal
import subprocess
import sys
from types import FrameType

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from parley.accounts.models import Workspace


class Command(BaseCommand):
    help = "Migrate, load the demo workspace on first run, then serve with the worker beside it."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-demo", action="store_true")

    def handle(self, *args, addrport: str, no_demo: bool, **options):  # type: ignore[no-untyped-def]
        call_command("migrate", interactive=False, verbosity=0)
        # Static files are served by WhiteNoise from STATIC_ROOT, with debug on or off.
        call_command("collectstatic", interactive=False, verbosity=0)
        if not no_demo and not Workspace.objects.exists():
            self.stdout.write("First run: building the demo workspace…")
            call_command("demo")
        if "PARLEY_PUBLIC_URL" not in os.environ:
            # Links in emails (portal, tracking) point where this server listens, for it
            # and for its worker.
            os.environ["PARLEY_PUBLIC_URL"] = settings.PARLEY_PUBLIC_URL = public_url(addrport)
        self.stdout.write(
            self.style.SUCCESS(
                f"Parley on http://{addrport}/  — demo login: demo@parley.test / parley-demo"
            )
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "parley.cli", "worker"], preexec_fn=_die_with_parent
        )
        # SIGTERM ends the server like Ctrl-C does, so the worker is stopped with it.
        signal.signal(signal.SIGTERM, _exit)
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            worker.terminate()
            worker.wait(timeout=10)


def public_url(addrport: str) -> str:
    """The address of `runserver ADDRPORT` ("8001", "127.0.0.1:8001", "0.0.0.0:8001") as
    this machine reaches it."""
    host, _colon, port = addrport.rpartition(":")
    if host in ("", "0.0.0.0", "[::]"):
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def _exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the worker, before it starts: Linux sends it SIGTERM if `parley run` dies, even
    by SIGKILL, so no worker outlives its server."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
