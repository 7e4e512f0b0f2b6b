"""Tags: the workspace's labels for creators, and tagging many creators at once."""

from django.http import HttpRequest
from ninja import Router, Status

from parley.api.auth import acting_member
from parley.api.schemas import (
    CountOut,
    CreatorIdsIn,
    ErrorOut,
    FieldErrorsOut,
    PathId,
    TagIn,
    TagOut,
)
from parley.creators.models import Tag
from parley.creators.selectors import creator_get_many, tag_get, tag_list
from parley.creators.services import tag_get_or_create, tags_add

router = Router(tags=["tags"])


@router.get("", response=list[TagOut])
def tags_list(request: HttpRequest) -> list[Tag]:
    return tag_list(workspace=acting_member(request).workspace)


@router.post("", response={201: TagOut, 422: FieldErrorsOut})
def tags_create(request: HttpRequest, payload: TagIn) -> Status[Tag]:
    """Create a tag; a tag of the same name is returned as it is."""
    member = acting_member(request)
    return Status(201, tag_get_or_create(workspace=member.workspace, name=payload.name))


@router.post("/{tag_id}/creators", response={200: CountOut, 404: ErrorOut, 422: FieldErrorsOut})
def tag_creators_add(request: HttpRequest, tag_id: PathId, payload: CreatorIdsIn) -> CountOut:
    """Tag many creators; `count` is how many were not tagged before."""
    member = acting_member(request)
    tag = tag_get(workspace=member.workspace, id=tag_id)
    creators = creator_get_many(workspace=member.workspace, ids=payload.creator_ids)
    return CountOut(count=tags_add(tag=tag, creator_ids=[c.id for c in creators]))
