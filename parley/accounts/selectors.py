"""Reads of users, workspaces and members."""

from datetime import timedelta

from django.utils import timezone

from parley.accounts.models import ApiToken, Client, Member, User, Workspace
from parley.core.errors import NotFound


def member_list_for_user(*, user: User) -> list[Member]:
    """Every membership of the user, oldest first, with its workspace (the switcher)."""
    return list(Member.objects.filter(user=user).select_related("workspace", "user").order_by("id"))


def member_pick(*, memberships: list[Member], workspace_id: int | None) -> Member | None:
    """The membership of the given workspace, else the first one; None without any."""
    for member in memberships:
        if member.workspace_id == workspace_id:
            return member
    return memberships[0] if memberships else None


def member_get(*, workspace: Workspace, id: int) -> Member:
    member = Member.objects.select_related("user").filter(workspace=workspace, id=id).first()
    if member is None:
        raise NotFound
    return member


def member_removed_get(*, workspace: Workspace, id: int) -> Member:
    """A teammate removed from the workspace (their row stays: see Member)."""
    member = (
        Member.all_objects.select_related("user")
        .filter(workspace=workspace, id=id, removed_at__isnull=False)
        .first()
    )
    if member is None:
        raise NotFound
    return member


def member_list(*, workspace: Workspace) -> list[Member]:
    """The workspace's current members (not the removed), oldest first."""
    return list(Member.objects.filter(workspace=workspace).select_related("user").order_by("id"))


def member_roles_grantable(*, actor: Member) -> list[tuple[str, str]]:
    """The roles `actor` may give (Settings → Team): an owner any, an admin admin or member,
    a member none. accounts.services holds the same rules for every change."""
    if not actor.is_admin:
        return []
    return [
        (value, str(label))
        for value, label in Member.Role.choices
        if value != Member.Role.OWNER or actor.role == Member.Role.OWNER
    ]


def member_manageable(*, actor: Member, member: Member) -> bool:
    """Whether `actor` may change `member`'s role or remove them: owners and admins, and an
    owner only by an owner (the last owner is refused by the service, in words)."""
    return actor.is_admin and (member.role != Member.Role.OWNER or actor.role == Member.Role.OWNER)


def client_list(*, workspace: Workspace) -> list[Client]:
    return list(Client.objects.filter(workspace=workspace).order_by("name"))


def client_get(*, workspace: Workspace, id: int) -> Client:
    client = Client.objects.filter(workspace=workspace, id=id).first()
    if client is None:
        raise NotFound
    return client


def api_token_member(*, raw: str) -> tuple[ApiToken, Member] | None:
    token = (
        ApiToken.objects.select_related("member__workspace", "member__user")
        .filter(digest=ApiToken.hash(raw))
        .first()
    )
    # (A removed member's tokens are deleted with the membership; the check is the backstop.)
    if token is None or token.member.removed_at is not None or not token.member.user.is_active:
        return None
    return token, token.member


def api_token_needs_touch(*, token: ApiToken) -> bool:
    """Record use at most once a minute, so reads stay reads."""
    return token.last_used_at is None or token.last_used_at < timezone.now() - timedelta(minutes=1)


def api_token_list(*, member: Member) -> list[ApiToken]:
    """The member's own tokens, newest first (never their values: only a prefix is kept)."""
    return list(ApiToken.objects.filter(member=member).order_by("-created_at", "-id"))


def api_token_get(*, member: Member, id: int) -> ApiToken:
    """One of the member's own tokens; another member's, or another workspace's, is
    NotFound."""
    token = ApiToken.objects.filter(member=member, id=id).first()
    if token is None:
        raise NotFound
    return token
