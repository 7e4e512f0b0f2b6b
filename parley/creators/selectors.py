"""Reads of the creators database, scoped to a workspace."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connections
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.utils.translation import gettext as _

from parley.accounts.models import Workspace
from parley.core import cursor as cursors
from parley.core.errors import NotFound, ValidationFailed
from parley.creators.filters import CreatorFilters
from parley.creators.models import (
    Creator,
    CreatorImport,
    CreatorImportFailure,
    CreatorTag,
    Identity,
    Note,
    Tag,
)

# The SQLite FTS5 trigram index over creators_creator.search_text (migration 0003).
SEARCH_FTS_TABLE = "creator_search_fts"
# Trigram indexes (FTS5 on SQLite, pg_trgm on PostgreSQL) answer terms of at least one
# trigram; shorter ones scan.
SEARCH_FTS_MIN_LENGTH = 3
# Above this many matches, LIKE along the list's own index (name, or the inbox order)
# finds a page sooner than fetching and sorting every match: a common term's matches are
# dense in any order. At 100k creators on SQLite a term every creator matches took
# 85-110 ms through FTS against 4-6 ms with LIKE; on PostgreSQL a last name (4k matches)
# costs the same either way, and fetching fewer ids keeps the first query short.
SEARCH_FTS_MAX_IDS = 500


def _search_ids(*, term: str, workspace: Workspace, using: str) -> list[int]:
    """Up to SEARCH_FTS_MAX_IDS + 1 ids of the workspace's creators whose search_text
    contains `term`, found through the trigram index."""
    connection = connections[using]
    limit = SEARCH_FTS_MAX_IDS + 1
    if connection.vendor == "sqlite":
        # One quoted FTS5 string (double quotes doubled): user input is never query syntax,
        # and a quoted string of trigrams matches as a substring, like LIKE '%term%'.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT c.id FROM {SEARCH_FTS_TABLE} JOIN creators_creator c "
                f"ON c.id = {SEARCH_FTS_TABLE}.rowid "
                f"WHERE {SEARCH_FTS_TABLE} MATCH %s AND c.workspace_id = %s LIMIT %s",
                ['"' + term.replace('"', '""') + '"', workspace.pk, limit],
            )
            return [row[0] for row in cursor.fetchall()]
    matches = Creator.objects.using(using).filter(workspace=workspace, search_text__contains=term)
    return list(matches.values_list("id", flat=True)[:limit])


def creator_search_filter(
    *,
    q: str,
    workspace: Workspace,
    using: str,
    id_field: str = "id",
    text_field: str = "search_text",
) -> Q:
    """The workspace's creators whose search_text contains `q` (case-insensitive), as a Q
    on a queryset; `id_field` and `text_field` lead from its model to the creator's id and
    search_text.

    A term of three or more characters is first looked up in the trigram index (one query,
    here), and up to SEARCH_FTS_MAX_IDS matches become `id_field__in`: the list then
    reaches exactly those rows. Neither database can estimate how many rows a LIKE
    '%term%' keeps: PostgreSQL guessed a thousand for one handle at 100k creators, walked
    the whole inbox in list order testing each creator, and took 1.1 s. More matches, and
    shorter terms, use `text_field__contains` (LIKE), which finds a page of a common term
    early in the list's own order. A handle is found with its @ too ("@anna.181", as the
    list shows it: handles are stored without it)."""
    term = q.lower()
    term = term.lstrip("@") or term
    if len(term) >= SEARCH_FTS_MIN_LENGTH:
        ids = _search_ids(term=term, workspace=workspace, using=using)
        if len(ids) <= SEARCH_FTS_MAX_IDS:
            return Q(**{f"{id_field}__in": ids})
    return Q(**{f"{text_field}__contains": term})


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
        creators = creators.filter(
            creator_search_filter(q=q.strip(), workspace=workspace, using=creators.db)
        )
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


def tag_list(*, workspace: Workspace, creator: Creator | None = None) -> list[Tag]:
    """The workspace's tags by name. With a creator, each carries `applied`: whether the
    creator has it (the sidebar's chips and its suggestions in one query)."""
    tags = Tag.objects.filter(workspace=workspace)
    if creator is not None:
        tags = tags.annotate(
            applied=Exists(CreatorTag.objects.filter(tag=OuterRef("pk"), creator=creator))
        )
    return list(tags.order_by("name"))


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


# The Creators list ----------------------------------------------------------------------

# A filter set (a tag, campaign or client) of at most this many creators becomes a list of
# ids: the page reads those rows by primary key and sorts them. A larger set is tested row
# by row while the list's index is walked in order; it is dense enough that a page fills
# early (at 1M creators, a page of 50 from a 2,000-creator set is about 25k index entries).
LIST_SMALL_SET = 2000
_SORT_FIELDS = {"name": "name", "followers": "followers", "added": "created_at"}


def _campaign_members() -> QuerySet:
    # campaigns sits above creators (DESIGN.md, Layering): reach its model by name.
    return apps.get_model("campaigns", "CampaignMember").objects.all()


def _filter_sets(filters: CreatorFilters) -> list[QuerySet]:
    """The tag, campaign and client filters, each as rows with the creator_id it keeps.
    The ids are the workspace's: the caller checks them first (campaigns.selectors)."""
    sets = []
    if filters.tags:
        sets.append(CreatorTag.objects.filter(tag_id__in=filters.tags))
    if filters.campaigns:
        sets.append(_campaign_members().filter(campaign_id__in=filters.campaigns))
    if filters.clients:
        sets.append(_campaign_members().filter(campaign__client_id__in=filters.clients))
    return sets


def creators_filtered(
    *, workspace: Workspace, filters: CreatorFilters, ids: Iterable[int] | None = None
) -> QuerySet[Creator]:
    """The workspace's creators that pass the filters (and are among `ids`, when given),
    unordered. One query per tag/campaign/client filter sizes its set, one looks a search
    term up in the trigram index."""
    creators = Creator.objects.filter(workspace=workspace)
    if ids is not None:
        creators = creators.filter(id__in=list(ids))
    small: set[int] | None = None
    for rows in _filter_sets(filters):
        found = list(rows.values_list("creator_id", flat=True)[: LIST_SMALL_SET + 1])
        if len(found) <= LIST_SMALL_SET:
            small = set(found) if small is None else small & set(found)
        else:
            creators = creators.filter(Exists(rows.filter(creator_id=OuterRef("id"))))
    if small is not None:
        creators = creators.filter(id__in=sorted(small))
    if filters.q:
        creators = creators.filter(
            creator_search_filter(q=filters.q, workspace=workspace, using=creators.db)
        )
    return creators


def creators_ordered(creators: QuerySet[Creator], sort: str) -> tuple[QuerySet[Creator], str, bool]:
    descending = sort.startswith("-")
    column = _SORT_FIELDS[sort.lstrip("-")]
    order = [f"-{column}", "-id"] if descending else [column, "id"]
    return creators.order_by(*order), column, descending


def creators_after(
    creators: QuerySet[Creator], column: str, descending: bool, cursor: str
) -> QuerySet[Creator]:
    """The rows after the cursor in the list's order: a row-value comparison, which walks
    the (workspace, column, id) index from the cursor on."""
    sort, value, last_id = cursors.decode(cursor, length=3)
    invalid = ValidationFailed({"cursor": [_("Invalid cursor.")]})
    if sort != column or not isinstance(last_id, int):
        raise invalid
    if column == "created_at":
        value = cursors.decode_datetime(value)
        if value is None:
            raise invalid
    elif column == "followers":
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise invalid
    elif not isinstance(value, str):
        raise invalid
    compare = TupleLessThan if descending else TupleGreaterThan
    return creators.filter(compare(Tuple(F(column), F("id")), (value, last_id)))


def _cursor_of(creator: Creator, column: str) -> str:
    value: Any = getattr(creator, column)
    if column == "created_at":
        value = value.isoformat()
    return cursors.encode([column, value, creator.id])


@dataclass
class CreatorListPage:
    creators: list[Creator]
    next_cursor: str | None


def creator_list_page(
    *,
    workspace: Workspace,
    filters: CreatorFilters,
    cursor: str | None = None,
    limit: int = 50,
    ids: Iterable[int] | None = None,
    with_related: bool = True,
) -> CreatorListPage:
    """One page of the Creators list in the filter's order, keyset-paged: each creator
    with their identities, tags and conversation (if any) read in the same few queries."""
    creators, column, descending = creators_ordered(
        creators_filtered(workspace=workspace, filters=filters, ids=ids), filters.sort
    )
    if cursor:
        creators = creators_after(creators, column, descending, cursor)
    if with_related:
        creators = creators.select_related("conversation").prefetch_related(
            Prefetch("identities", queryset=Identity.objects.order_by("kind", "-is_primary", "id")),
            Prefetch("creator_tags", queryset=CreatorTag.objects.select_related("tag")),
        )
    rows = list(creators[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _cursor_of(rows[-1], column)
    return CreatorListPage(creators=rows, next_cursor=next_cursor)


def creator_match_ids(*, workspace: Workspace, filters: CreatorFilters, cap: int) -> list[int]:
    """Ids of up to cap + 1 creators that match the filters ("select all that match")."""
    creators = creators_filtered(workspace=workspace, filters=filters)
    return list(creators.order_by().values_list("id", flat=True)[: cap + 1])


def identities_taken(
    *, workspace: Workspace, keys: Iterable[tuple[str, str]]
) -> list[tuple[str, str, Creator]]:
    """Which of these (kind, normalized) identities a creator of the workspace has already:
    (kind, normalized, creator) for each."""
    wanted = set(keys)
    if not wanted:
        return []
    rows = Identity.objects.select_related("creator").filter(
        workspace=workspace,
        kind__in={k for k, _n in wanted},
        normalized__in={n for _k, n in wanted},
    )
    return [(i.kind, i.normalized, i.creator) for i in rows if (i.kind, i.normalized) in wanted]


def creator_import_get(*, workspace: Workspace, id: int) -> CreatorImport:
    found = CreatorImport.objects.filter(workspace=workspace, id=id).first()
    if found is None:
        raise NotFound
    return found


def creator_import_list(*, workspace: Workspace, limit: int = 10) -> list[CreatorImport]:
    return list(
        CreatorImport.objects.filter(workspace=workspace)
        .select_related("author__user")
        .order_by("-created_at", "-id")[:limit]
    )


def creator_import_failures(*, creator_import: CreatorImport) -> Iterator[CreatorImportFailure]:
    """The failed rows in file order, streamed."""
    return (
        CreatorImportFailure.objects.filter(creator_import=creator_import)
        .order_by("line", "id")
        .iterator(chunk_size=2000)
    )
