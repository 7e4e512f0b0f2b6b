"""Reads of the creators database, scoped to a workspace."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from parley.accounts.models import Workspace
from parley.core import cursor as cursors
from parley.core.errors import NotFound, ValidationFailed
from parley.creators.models import Creator, Identity, Note, Tag


def creator_get(*, workspace: Workspace, id: int) -> Creator:
    creator = Creator.objects.filter(workspace=workspace, id=id).first()
    if creator is None:
        raise NotFound
    return creator


def creator_list(
    *, workspace: Workspace, q: str = "", tag_id: int | None = None
) -> QuerySet[Creator]:
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
    return list(creator.notes.select_related("author__user").order_by("-created_at", "-id")[:limit])


@dataclass
class CreatorPage:
    creators: list[Creator]
    next_cursor: str | None


def creator_page(
    *,
    workspace: Workspace,
    q: str = "",
    tag_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> CreatorPage:
    """One page of `creator_list`, by name, with identities; keyset-paged on (name, id)."""
    creators = creator_list(workspace=workspace, q=q, tag_id=tag_id)
    if cursor:
        name, last_id = cursors.decode(cursor, length=2)
        if not isinstance(name, str) or not isinstance(last_id, int):
            raise ValidationFailed({"cursor": [_("Invalid cursor.")]})
        creators = creators.filter(Q(name__gt=name) | Q(name=name, id__gt=last_id))
    rows = list(
        creators.prefetch_related(
            Prefetch("identities", queryset=Identity.objects.order_by("kind", "-is_primary", "id"))
        )[: limit + 1]
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = cursors.encode([rows[-1].name, rows[-1].id])
    return CreatorPage(creators=rows, next_cursor=next_cursor)


def creator_get_many(*, workspace: Workspace, ids: Iterable[int]) -> list[Creator]:
    """The creators with these ids; NotFound when any of them is not in the workspace."""
    wanted = set(ids)
    creators = list(Creator.objects.filter(workspace=workspace, id__in=wanted).order_by("id"))
    if len(creators) != len(wanted):
        raise NotFound
    return creators


def creator_identity_get(*, creator: Creator, id: int) -> Identity:
    identity = creator.identities.filter(id=id).first()
    if identity is None:
        raise NotFound
    return identity
