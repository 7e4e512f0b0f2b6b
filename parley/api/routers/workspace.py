"""The token's own member and workspace, its teammates and its clients."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from parley.accounts.models import Client, Member
from parley.accounts.selectors import client_list, member_list
from parley.accounts.services import client_create
from parley.api.auth import acting_member
from parley.api.schemas import ClientIn, ClientOut, FieldErrorsOut, MemberOut, MeOut

router = Router(tags=["workspace"])


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict[str, Any]:
    """Who the token acts as, and in which workspace."""
    member = acting_member(request)
    return {"member": member, "workspace": member.workspace}


@router.get("/members", response=list[MemberOut])
def members_list(request: HttpRequest) -> list[Member]:
    """The workspace's teammates (whom a conversation can be assigned to)."""
    return member_list(workspace=acting_member(request).workspace)


@router.get("/clients", response=list[ClientOut])
def clients_list(request: HttpRequest) -> list[Client]:
    return client_list(workspace=acting_member(request).workspace)


@router.post("/clients", response={201: ClientOut, 409: FieldErrorsOut, 422: FieldErrorsOut})
def clients_create(request: HttpRequest, payload: ClientIn) -> Status[Client]:
    """A client of the workspace; 409 when one of the same name exists."""
    member = acting_member(request)
    return Status(201, client_create(workspace=member.workspace, name=payload.name))
