from django.core.management.base import BaseCommand

from parley.ops.generate import demo_workspace


class Command(BaseCommand):
    help = "Build the demo workspace (login demo@parley.test / parley-demo)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--creators", type=int, default=300)
        parser.add_argument("--messages", type=int, default=3000)

    def handle(self, *args, creators: int, messages: int, **options):  # type: ignore[no-untyped-def]
        workspace = demo_workspace(creators=creators, messages=messages)
        self.stdout.write(
            f"Demo workspace {workspace.id} ready: log in as demo@parley.test / parley-demo"
        )
