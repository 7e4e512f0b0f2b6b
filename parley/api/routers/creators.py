"""Creators: the "My Creators" database, with identities, tags, custom fields and notes."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from parley.api.auth import acting_member
from parley.api.schemas import (
    CreatorIn,
    CreatorListQuery,
    CreatorOut,
    CreatorPageOut,
    CreatorPatch,
    CreatorTagIn,
    CustomFieldsIn,
    CustomFieldsOut,
    ErrorOut,
    FieldErrorsOut,
    IdentityIn,
    IdentityOut,
    NoteIn,
    NoteOut,
    PathId,
    TagOut,
)
from parley.campaigns.selectors import creator_campaigns
from parley.creators.models import Creator, Identity, Note, Tag
from parley.creators.selectors import (
    creator_get,
    creator_identity_get,
    creator_page,
    creator_tags,
    identity_list,
    note_list,
    tag_get,
)
from parley.creators.services import (
    creator_create,
    creator_custom_fields_update,
    creator_delete,
    creator_update,
    identity_add,
    identity_remove,
    tag_remove,
    tags_add,
)
from parley.inbox.mentions import note_post

router = Router(tags=["creators"])

NOT_FOUND = {404: ErrorOut}
INVALID = {422: FieldErrorsOut}
# A value that is taken, or more custom fields than a creator may have.
CONFLICT = {409: FieldErrorsOut}


def _detail(creator: Creator) -> dict[str, Any]:
    return {
        "id": creator.id,
        "name": creator.name,
        "first_name": creator.first_name,
        "preferred_channel": creator.preferred_channel,
        "custom_fields": creator.custom_fields,
        "created_at": creator.created_at,
        "identities": identity_list(creator=creator),
        "tags": creator_tags(creator=creator),
        "notes": note_list(creator=creator),
        "campaigns": creator_campaigns(creator=creator),
    }


@router.get("", response={200: CreatorPageOut, **NOT_FOUND, **INVALID})
def creators_list(request: HttpRequest, params: Query[CreatorListQuery]) -> dict[str, Any]:
    """Creators by name; `q` matches name, handles and emails."""
    member = acting_member(request)
    tag_id = None
    if params.tag is not None:
        tag_id = tag_get(workspace=member.workspace, id=params.tag).id
    page = creator_page(
        workspace=member.workspace,
        q=params.q,
        tag_id=tag_id,
        cursor=params.cursor,
        limit=params.limit,
    )
    return {"items": page.creators, "next_cursor": page.next_cursor}


@router.post("", response={201: CreatorOut, **INVALID, **CONFLICT})
def creators_create(request: HttpRequest, payload: CreatorIn) -> Status[dict[str, Any]]:
    member = acting_member(request)
    creator = creator_create(
        workspace=member.workspace,
        name=payload.name,
        first_name=payload.first_name,
        preferred_channel=payload.preferred_channel,
        identities=[(i.kind, i.value) for i in payload.identities],
        custom_fields=payload.custom_fields,
    )
    return Status(201, _detail(creator))


@router.get("/{creator_id}", response={200: CreatorOut, **NOT_FOUND})
def creator_detail(request: HttpRequest, creator_id: PathId) -> dict[str, Any]:
    """The sidebar: identities, tags, custom fields, the latest notes, campaigns."""
    member = acting_member(request)
    return _detail(creator_get(workspace=member.workspace, id=creator_id))


@router.patch("/{creator_id}", response={200: CreatorOut, **NOT_FOUND, **INVALID})
def creator_patch(
    request: HttpRequest, creator_id: PathId, payload: CreatorPatch
) -> dict[str, Any]:
    member = acting_member(request)
    creator = creator_get(workspace=member.workspace, id=creator_id)
    creator = creator_update(creator=creator, **payload.model_dump(exclude_unset=True))
    return _detail(creator)


@router.delete("/{creator_id}", response={204: None, **NOT_FOUND})
def creator_remove(request: HttpRequest, creator_id: PathId) -> Status[None]:
    """Delete the creator, with their conversation and notes."""
    member = acting_member(request)
    creator_delete(creator=creator_get(workspace=member.workspace, id=creator_id))
    return Status(204, None)


@router.post(
    "/{creator_id}/identities", response={201: IdentityOut, **NOT_FOUND, **INVALID, **CONFLICT}
)
def creator_identity_add(
    request: HttpRequest, creator_id: PathId, payload: IdentityIn
) -> Status[Identity]:
    """Add an email, phone number or social handle."""
    member = acting_member(request)
    creator = creator_get(workspace=member.workspace, id=creator_id)
    return Status(
        201, identity_add(creator=creator, kind=payload.kind, value=payload.value, url=payload.url)
    )


@router.delete("/{creator_id}/identities/{identity_id}", response={204: None, **NOT_FOUND})
def creator_identity_remove(
    request: HttpRequest, creator_id: PathId, identity_id: PathId
) -> Status[None]:
    member = acting_member(request)
    creator = creator_get(workspace=member.workspace, id=creator_id)
    identity_remove(identity=creator_identity_get(creator=creator, id=identity_id))
    return Status(204, None)


@router.post("/{creator_id}/tags", response={200: list[TagOut], **NOT_FOUND, **INVALID})
def creator_tag_add(request: HttpRequest, creator_id: PathId, payload: CreatorTagIn) -> list[Tag]:
    """Tag the creator; returns the creator's tags."""
    member = acting_member(request)
    creator = creator_get(workspace=member.workspace, id=creator_id)
    tags_add(tag=tag_get(workspace=member.workspace, id=payload.tag_id), creator_ids=[creator.id])
    return creator_tags(creator=creator)


@router.delete("/{creator_id}/tags/{tag_id}", response={200: list[TagOut], **NOT_FOUND})
def creator_tag_remove(request: HttpRequest, creator_id: PathId, tag_id: PathId) -> list[Tag]:
    """Untag the creator; returns the creator's tags."""
    member = acting_member(request)
    creator = creator_get(workspace=member.workspace, id=creator_id)
    tag_remove(tag=tag_get(workspace=member.workspace, id=tag_id), creator=creator)
    return creator_tags(creator=creator)


@router.patch(
    "/{creator_id}/custom-fields",
    response={200: CustomFieldsOut, **NOT_FOUND, **INVALID, **CONFLICT},
)
def creator_custom_fields(
    request: HttpRequest, creator_id: PathId, payload: CustomFieldsIn
) -> CustomFieldsOut:
    """Set custom variables; a field set to null or "" is removed, others are kept."""
    member = acting_member(request)
    creator = creator_get(workspace=member.workspace, id=creator_id)
    creator = creator_custom_fields_update(creator=creator, changes=payload.fields)
    return CustomFieldsOut(custom_fields=creator.custom_fields)


@router.get("/{creator_id}/notes", response={200: list[NoteOut], **NOT_FOUND})
def creator_notes(request: HttpRequest, creator_id: PathId) -> list[Note]:
    """The latest 50 notes, newest first."""
    member = acting_member(request)
    return note_list(creator=creator_get(workspace=member.workspace, id=creator_id))


@router.post("/{creator_id}/notes", response={201: NoteOut, **NOT_FOUND, **INVALID})
def creator_note_add(request: HttpRequest, creator_id: PathId, payload: NoteIn) -> Status[Note]:
    """An internal note; never shown to the creator. Each teammate it mentions (`@name`)
    is notified."""
    member = acting_member(request)
    creator = creator_get(workspace=member.workspace, id=creator_id)
    return Status(201, note_post(creator=creator, author=member, body=payload.body))
