"""Export of creators to CSV, streamed: the filter or selection in the list's order, read
CHUNK creators at a time by keyset (four queries a chunk: creators, identities, tags,
campaign statuses), so 100,000 creators never sit in memory. The file imports back
unchanged (csvio)."""

from collections.abc import Iterable, Iterator

from django.apps import apps
from django.db import connection
from django.utils import timezone

from parley.accounts.models import Workspace
from parley.creators import csvio
from parley.creators.filters import CreatorFilters
from parley.creators.models import Creator, CreatorTag, Identity
from parley.creators.selectors import creator_list_page

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
    wanted = list(ids) if ids is not None else None
    cursor = None
    while True:
        page = creator_list_page(
            workspace=workspace,
            filters=filters,
            cursor=cursor,
            limit=CHUNK,
            ids=wanted,
            with_related=False,
        )
        yield from _rows(page.creators, custom, campaign_names, statuses)
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _rows(
    creators: list[Creator],
    custom: list[str],
    campaign_names: dict[int, str],
    statuses: dict[str, str],
) -> Iterator[list[str]]:
    ids = [c.id for c in creators]
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
    for creator in creators:
        by_kind: dict[str, list[str]] = {}
        counts: dict[str, str] = {}
        for kind, value, count in identities.get(creator.id, []):
            if kind not in by_kind and count is not None:
                counts[kind] = str(count)
            by_kind.setdefault(kind, []).append(value)
        row = [
            creator.name,
            creator.first_name,
            ", ".join(by_kind.get(Identity.Kind.EMAIL, [])),
            ", ".join(by_kind.get(Identity.Kind.PHONE, [])),
        ]
        for platform in csvio.PLATFORMS:
            row += [", ".join(by_kind.get(platform, [])), counts.get(platform, "")]
        row += [
            ", ".join(by_kind.get(Identity.Kind.OTHER, [])),
            str(creator.followers) if creator.followers else "",
            ", ".join(tags.get(creator.id, [])),
            creator.preferred_channel,
        ]
        fields = creator.custom_fields if isinstance(creator.custom_fields, dict) else {}
        row += [str(fields.get(name, "")) for name in custom]
        row += [
            "; ".join(campaigns.get(creator.id, [])),
            timezone.localtime(creator.created_at).strftime("%Y-%m-%d %H:%M"),
        ]
        yield row
