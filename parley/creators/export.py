"""Export of creators to CSV, streamed: the filter or selection in the list's order, read
CHUNK creators at a time by keyset (four queries a chunk: creators, identities, tags,
campaign statuses), so 100,000 creators never sit in memory. The file imports back
unchanged (csvio)."""

from collections.abc import Iterable, Iterator
from typing import Any

from django.apps import apps
from django.db import connection
from django.utils import timezone

from parley.accounts.models import Workspace
from parley.core import cursor as cursors
from parley.creators import csvio
from parley.creators.filters import CreatorFilters
from parley.creators.models import Creator, CreatorTag, Identity
from parley.creators.selectors import creators_after, creators_filtered, creators_ordered

CHUNK = 2000


def custom_field_names(*, workspace: Workspace) -> list[str]:
    """Every custom field name any creator of the workspace has, sorted: the export's
    custom columns (one query, in the database's JSON functions)."""
    table = connection.ops.quote_name(Creator._meta.db_table)
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT DISTINCT k FROM {table} c, jsonb_object_keys(c.custom_fields) k "
            "WHERE c.workspace_id = %s AND jsonb_typeof(c.custom_fields) = 'object'"
        )
    else:
        sql = (
            f"SELECT DISTINCT j.key FROM {table} c, json_each(c.custom_fields) j "
            "WHERE c.workspace_id = %s AND json_type(c.custom_fields) = 'object'"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [workspace.pk])
        return sorted(row[0] for row in cursor.fetchall())


def export_header(custom: list[str]) -> list[str]:
    return [*csvio.EXPORT_COLUMNS, *(csvio.custom_header(n) for n in custom), *csvio.EXPORT_ONLY]


def creators_export_rows(
    *, workspace: Workspace, filters: CreatorFilters, ids: Iterable[int] | None = None
) -> Iterator[list[str]]:
    """The header, then one row per creator that passes the filters (and is among `ids`
    when given), in the filter's order."""
    custom = custom_field_names(workspace=workspace)
    yield export_header(custom)
    campaign_names = dict(
        apps.get_model("campaigns", "Campaign")
        .objects.filter(workspace=workspace)
        .values_list("id", "name")
    )
    statuses = {
        code: str(label)
        for code, label in apps.get_model("campaigns", "CampaignMember").Status.choices
    }
    creators, column, descending = creators_ordered(
        creators_filtered(
            workspace=workspace, filters=filters, ids=list(ids) if ids is not None else None
        ),
        filters.sort,
    )
    # Tuples, not model instances: a third of the time for 100,000 rows.
    rows = creators.values_list(*_COLUMNS)
    position = {"name": 1, "followers": 3, "created_at": 6}[column]
    cursor = None
    while True:
        chunk = list((creators_after(rows, column, descending, cursor) if cursor else rows)[:CHUNK])
        yield from _rows(chunk, custom, campaign_names, statuses)
        if len(chunk) < CHUNK:
            return
        last = chunk[-1][position]
        value = last.isoformat() if column == "created_at" else last
        cursor = cursors.encode([column, value, chunk[-1][0]])


_COLUMNS = (
    "id",
    "name",
    "first_name",
    "followers",
    "preferred_channel",
    "custom_fields",
    "created_at",
)


def _rows(
    creators: list[tuple[Any, ...]],
    custom: list[str],
    campaign_names: dict[int, str],
    statuses: dict[str, str],
) -> Iterator[list[str]]:
    ids = [c[0] for c in creators]
    identities: dict[int, list[tuple[str, str, int | None]]] = {}
    for creator_id, kind, value, count in (
        Identity.objects.filter(creator_id__in=ids)
        .order_by("creator_id", "-is_primary", "id")
        .values_list("creator_id", "kind", "value", "followers")
    ):
        identities.setdefault(creator_id, []).append((kind, value, count))
    tags: dict[int, list[str]] = {}
    for creator_id, name in (
        CreatorTag.objects.filter(creator_id__in=ids)
        .order_by("tag__name")
        .values_list("creator_id", "tag__name")
    ):
        tags.setdefault(creator_id, []).append(name)
    campaigns: dict[int, list[str]] = {}
    for creator_id, campaign_id, status in (
        apps.get_model("campaigns", "CampaignMember")
        .objects.filter(creator_id__in=ids)
        .order_by("campaign_id")
        .values_list("creator_id", "campaign_id", "status")
    ):
        label = f"{campaign_names.get(campaign_id, campaign_id)}: {statuses.get(status, status)}"
        campaigns.setdefault(creator_id, []).append(label)
    for creator_id, name, first_name, followers, channel, fields, added in creators:
        by_kind: dict[str, list[str]] = {}
        counts: dict[str, str] = {}
        for kind, value, count in identities.get(creator_id, []):
            if kind not in by_kind and count is not None:
                counts[kind] = str(count)
            by_kind.setdefault(kind, []).append(value)
        row = [
            name,
            first_name,
            ", ".join(by_kind.get(Identity.Kind.EMAIL, [])),
            ", ".join(by_kind.get(Identity.Kind.PHONE, [])),
        ]
        for platform in csvio.PLATFORMS:
            row += [", ".join(by_kind.get(platform, [])), counts.get(platform, "")]
        row += [
            ", ".join(by_kind.get(Identity.Kind.OTHER, [])),
            str(followers) if followers else "",
            ", ".join(tags.get(creator_id, [])),
            channel,
        ]
        fields = fields if isinstance(fields, dict) else {}
        row += [str(fields.get(field, "")) for field in custom]
        row += [
            "; ".join(campaigns.get(creator_id, [])),
            timezone.localtime(added).strftime("%Y-%m-%d %H:%M"),
        ]
        yield row
