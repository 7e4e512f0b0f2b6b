"""The token's own member and workspace, its teammates and its clients. Inviting, changing
roles and removing teammates are for owners and admins (403 for other members; an owner is
made, changed or removed only by an owner); the workspace's last owner stays (409)."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from parley.accounts.models import Client, Member
from parley.accounts.selectors import client_list, member_get, member_list
from parley.accounts.services import client_create, member_invitation_resend, member_role_set
from parley.api.auth import acting_member
from parley.api.schemas import (
    ClientIn,
    ClientOut,
    ErrorOut,
    FieldErrorsOut,
    MemberInviteIn,
    MemberRoleIn,
    MeOut,
    PathId,
    TeamMemberOut,
)
from parley.broadcasts.services import author_pending_cancel
from parley.inbox.team import team_member_invite, team_member_remove

router = Router(tags=["workspace"])

NOT_FOUND = {404: ErrorOut}
ADMIN_ONLY = {403: ErrorOut}
CONFLICT = {409: FieldErrorsOut}
INVALID = {422: FieldErrorsOut}


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict[str, Any]:
    """Who the token acts as, and in which workspace."""
    member = acting_member(request)
    return {"member": member, "workspace": member.workspace}


@router.get("/members", response=list[TeamMemberOut])
def members_list(request: HttpRequest) -> list[Member]:
    """The workspace's teammates (whom a conversation can be assigned to), oldest first;
    removed members are not listed."""
    return member_list(workspace=acting_member(request).workspace)


@router.post("/members", response={201: TeamMemberOut, **ADMIN_ONLY, **CONFLICT, **INVALID})
def members_invite(request: HttpRequest, payload: MemberInviteIn) -> Status[Member]:
    """Invite a teammate by email: an existing login joins the workspace (and sees it in
    its workspace switcher), a new one is made without a password and emailed a link to
    choose one. The email goes out from the worker. 409 when they are a member already."""
    member = team_member_invite(
        actor=acting_member(request), email=payload.email, name=payload.name, role=payload.role
    )
    return Status(201, member)


@router.patch(
    "/members/{member_id}",
    response={200: TeamMemberOut, **ADMIN_ONLY, **NOT_FOUND, **CONFLICT, **INVALID},
)
def members_role_set(request: HttpRequest, member_id: PathId, payload: MemberRoleIn) -> Member:
    """Change a teammate's role (this token's member's own too)."""
    actor = acting_member(request)
    member = member_get(workspace=actor.workspace, id=member_id)
    return member_role_set(actor=actor, member=member, role=payload.role)


class RemoveQuery(Schema):
    waiting: Literal["keep", "cancel"] = Field(
        "keep",
        description="What becomes of their messages that wait to go out (scheduled, or queued "
        "for a later day by a daily limit, mass messages included): `keep`, they go out at "
        "their time under their name; `cancel`, they are cancelled.",
    )


@router.delete("/members/{member_id}", response={204: None, **ADMIN_ONLY, **NOT_FOUND, **CONFLICT})
def members_remove(
    request: HttpRequest, member_id: PathId, params: Query[RemoveQuery]
) -> Status[None]:
    """Remove a teammate: their access and API tokens end at once, their inbox entries and
    notifications go and their conversations are unassigned; what they wrote stays, under
    their name. Inviting them again brings them back."""
    actor = acting_member(request)
    member = member_get(workspace=actor.workspace, id=member_id)
    team_member_remove(actor=actor, member=member)
    if params.waiting == "cancel":
        author_pending_cancel(actor=actor, author=member)
    return Status(204, None)


@router.post(
    "/members/{member_id}/invitation",
    response={202: None, **ADMIN_ONLY, **NOT_FOUND, **CONFLICT},
)
def members_invitation_resend(request: HttpRequest, member_id: PathId) -> Status[None]:
    """Send the invitation again, with a new link: for a teammate who has not chosen a
    password yet (409 once they have)."""
    actor = acting_member(request)
    member_invitation_resend(
        actor=actor, member=member_get(workspace=actor.workspace, id=member_id)
    )
    return Status(202, None)


@router.get("/clients", response=list[ClientOut])
def clients_list(request: HttpRequest) -> list[Client]:
    return client_list(workspace=acting_member(request).workspace)


@router.post("/clients", response={201: ClientOut, 409: FieldErrorsOut, 422: FieldErrorsOut})
def clients_create(request: HttpRequest, payload: ClientIn) -> Status[Client]:
    """A client of the workspace; 409 when one of the same name exists."""
    member = acting_member(request)
    return Status(201, client_create(workspace=member.workspace, name=payload.name))
