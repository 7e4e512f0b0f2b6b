from django.core.management.base import BaseCommand, CommandError

from parley.accounts.models import Member
from parley.accounts.services import api_token_create


class Command(BaseCommand):
    help = "API tokens: `token create --email E [--workspace ID] [--name N]` prints a new token."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("action", choices=["create"])
        parser.add_argument("--email", required=True)
        parser.add_argument("--workspace", type=int)
        parser.add_argument("--name", default="cli")

    def handle(self, *args, action, email, workspace, name, **options):  # type: ignore[no-untyped-def]
        members = Member.objects.filter(user__email=email.lower()).order_by("id")
        if workspace:
            members = members.filter(workspace_id=workspace)
        member = members.first()
        if member is None:
            raise CommandError("No such user (or not a member of that workspace).")
        _token, raw = api_token_create(member=member, name=name)
        self.stdout.write(raw)
