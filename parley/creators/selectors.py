"""Reads of the creators database, scoped to a workspace."""

from django.db.models import QuerySet

from parley.accounts.models import Workspace
from parley.core.errors import NotFound
from parley.creators.models import Creator, Identity, Note, Tag


def creator_get(*, workspace: Workspace, id: int) -> Creator:
    creator = Creator.objects.filter(workspace=workspace, id=id).first()
    if creator is None:
        raise NotFound
    return creator


def creator_list(*, workspace: Workspace, q: str = "", tag_id: int | None = None) -> QuerySet[Creator]:
    creators = Creator.objects.filter(workspace=workspace)
    if q:
        creators = creators.filter(search_text__contains=q.strip().lower())
    if tag_id:
        creators = creators.filter(creator_tags__tag_id=tag_id)
    return creators.order_by("name", "id")


def creator_by_identity(*, workspace: Workspace, kind: str, normalized: str) -> Creator | None:
    identity = (
        Identity.objects.select_related("creator")
        .filter(workspace=workspace, kind=kind, normalized=normalized)
        .first()
    )
    return identity.creator if identity else None


def identity_list(*, creator: Creator) -> list[Identity]:
    return list(creator.identities.order_by("kind", "-is_primary", "id"))


def identity_get(*, workspace: Workspace, id: int) -> Identity:
    identity = Identity.objects.select_related("creator").filter(workspace=workspace, id=id).first()
    if identity is None:
        raise NotFound
    return identity


def tag_list(*, workspace: Workspace) -> list[Tag]:
    return list(Tag.objects.filter(workspace=workspace).order_by("name"))


def tag_get(*, workspace: Workspace, id: int) -> Tag:
    tag = Tag.objects.filter(workspace=workspace, id=id).first()
    if tag is None:
        raise NotFound
    return tag


def creator_tags(*, creator: Creator) -> list[Tag]:
    return list(Tag.objects.filter(creator_tags__creator=creator).order_by("name"))


def note_list(*, creator: Creator, limit: int = 50) -> list[Note]:
    return list(
        creator.notes.select_related("author__user").order_by("-created_at", "-id")[:limit]
    )
