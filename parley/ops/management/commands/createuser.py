from django.core.management.base import BaseCommand, CommandError

from parley.accounts.models import Member, Workspace
from parley.accounts.services import member_add, user_create, workspace_create
from parley.core.errors import ValidationFailed
from parley.inbox.services import inbox_entries_create_for_member


class Command(BaseCommand):
    help = "Create a user, and a workspace for them or a membership of an existing one."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="")
        parser.add_argument("--workspace", help="Name of a new workspace, or id of an existing one")
        parser.add_argument("--role", default=Member.Role.MEMBER, choices=Member.Role.values)

    def handle(self, *args, email, password, name, workspace, role, **options):  # type: ignore[no-untyped-def]
        first, _, last = name.partition(" ")
        try:
            user = user_create(email=email, password=password, first_name=first, last_name=last)
            if workspace and workspace.isdigit():
                ws = Workspace.objects.filter(id=int(workspace)).first()
                if ws is None:
                    raise CommandError(f"No workspace with id {workspace}.")
                member = member_add(workspace=ws, user=user, role=role)
                inbox_entries_create_for_member(member=member)
            else:
                ws = workspace_create(name=workspace or f"{email}'s workspace", owner=user)
        except ValidationFailed as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Created {user.email} in workspace {ws.id} ({ws.name}).")
