"""Importing creators from a CSV file: upload (checked whole before anything is kept), the
column mapping with a preview, then the worker's run.

The run streams the file and writes it in chunks of CHUNK rows, each in one transaction
with the import's progress (so a worker that stops resumes after the last chunk, and
memory stays flat whatever the file's size): a few queries to find which identities are
already here, then bulk inserts and updates, as the broadcast writer does.

Matching: a row whose email, phone or handle belongs to a creator of the workspace (or
to a row before it in the file) updates that creator instead of adding one: its new
identities and tags are added, its custom fields, followers and name are set from the
row's non-empty cells. A row without any identity always adds a creator. A row whose
identities belong to two different creators is reported, not guessed at.
"""

import codecs
import io
import json
import logging
import multiprocessing
import uuid
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any

import django
import psycopg
import psycopg.copy
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from parley.accounts.models import Member
from parley.core.bidi import bidi_strip
from parley.core.bulk import ids_reserve
from parley.core.errors import ValidationFailed
from parley.core.files import filename_display
from parley.creators import csvio
from parley.creators.export import custom_field_names
from parley.creators.models import (
    Creator,
    CreatorImport,
    CreatorImportFailure,
    CreatorTag,
    Identity,
    Tag,
)
from parley.creators.normalize import (
    MAX_VALUE,
    PROFILE_URLS,
    identity_normalize,
    phone_e164,
    search_text,
)
from parley.creators.services import (
    MAX_CUSTOM_FIELDS,
    MAX_FIELD_NAME,
    MAX_FIELD_VALUE,
    MAX_FIRST_NAME,
    MAX_IDENTITIES,
    MAX_NAME,
    MAX_TAG,
    custom_fields_merge,
)

logger = logging.getLogger(__name__)

CHUNK = 2000
PREVIEW_ROWS = 10
# Identities looked up in one query (SQLite takes at most 32,766 parameters).
LOOKUP_BATCH = 5000
READ_BLOCK = 1 << 20


def import_max_bytes() -> int:
    return int(settings.PARLEY_IMPORT_MAX_BYTES)


# Upload ---------------------------------------------------------------------------------


# Files that are certainly not text, by their first bytes: zip (xlsx, ods), PDF, old Excel
# (OLE), images.
_BINARY_MAGIC = (b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"GIF8", b"\xff\xd8")


def _mostly_nul(block: bytes) -> bool:
    """UTF-16 text or a binary format: NUL bytes are more than 1% of it."""
    return block.count(b"\x00") > max(2, len(block) // 100)


def _check_text(stream: IO[bytes]) -> str:
    """The first 64 KB of the file as text, after checking that all of it is UTF-8 (one
    pass, a block at a time). ValidationFailed when it is not, when it starts like a binary
    file (a spreadsheet, a PDF, an image, UTF-16), or when it is
    empty. A stray NUL fails only its row."""
    incremental = codecs.getincrementaldecoder("utf-8-sig")()
    head = ""
    seen_any = False
    first = True
    while True:
        block = stream.read(READ_BLOCK)
        final = not block
        if first and (block.startswith(_BINARY_MAGIC) or _mostly_nul(block[:8192])):
            raise ValidationFailed({"file": [csvio.invalid_file_message()]})
        first = False
        try:
            text = incremental.decode(block, final=final)
        except UnicodeDecodeError as exc:
            raise ValidationFailed({"file": [csvio.invalid_file_message()]}) from exc
        if not seen_any and text.strip():
            seen_any = True
        if len(head) < 65536:
            head += text[: 65536 - len(head)]
        if final:
            break
    if not seen_any:
        raise ValidationFailed({"file": [_("The file is empty.")]})
    return head


def creator_import_upload(
    *, member: Member, upload: UploadedFile, phone_region: str = ""
) -> CreatorImport:
    """Check an uploaded CSV file and keep it for mapping. Nothing is kept unless it is a
    CSV file Parley can read with a header and at least one row, within the size limit."""
    limit = import_max_bytes()
    if (upload.size or 0) > limit:
        raise ValidationFailed(
            {
                "file": [
                    _("The file is %(size)s MB; the limit is %(limit)s MB.")
                    % {
                        "size": f"{(upload.size or 0) / 1_000_000:.1f}",
                        "limit": f"{limit / 1_000_000:.0f}",
                    }
                ]
            }
        )
    upload.seek(0)
    head = _check_text(upload)  # type: ignore[arg-type]
    first_line = head.splitlines()[0] if head.splitlines() else ""
    delimiter = csvio.sniff_delimiter(first_line)
    rows = csvio.reader(io.StringIO(head), delimiter)
    try:
        headers = next(rows, [])
        has_row = any(any(c.strip() for c in row) for row in rows)
    except Exception as exc:  # csv.Error: a cell beyond the field limit in the first 64 KB
        raise ValidationFailed({"file": [csvio.invalid_file_message()]}) from exc
    headers = [bidi_strip(h).strip()[:100] for h in headers]
    if not any(headers):
        raise ValidationFailed({"file": [_("The file is empty.")]})
    if len(headers) > csvio.MAX_COLUMNS:
        raise ValidationFailed({"file": [_("At most %(n)d columns.") % {"n": csvio.MAX_COLUMNS}]})
    if not has_row:
        raise ValidationFailed({"file": [_("The file has a header line but no rows.")]})
    _check_region(phone_region)
    upload.seek(0)
    path = default_storage.save(f"imports/{member.workspace_id}/{uuid.uuid4().hex}.csv", upload)
    mapping = {str(i): csvio.guess_target(h) for i, h in enumerate(headers)}
    return CreatorImport.objects.create(
        workspace_id=member.workspace_id,
        author=member,
        filename=filename_display(upload.name or "", default="creators.csv"),
        path=path,
        size=upload.size or 0,
        delimiter=delimiter,
        headers=headers,
        mapping=_dedupe_singles(mapping),
        phone_region=phone_region.upper(),
    )


def _dedupe_singles(mapping: dict[str, str]) -> dict[str, str]:
    """A guessed mapping names each single target (name, followers…) once: the first."""
    seen: set[str] = set()
    out = {}
    for column, target in mapping.items():
        if target in csvio.SINGLE_TARGETS:
            if target in seen:
                target = ""
            seen.add(target)
        out[column] = target
    return out


def _check_region(region: str) -> None:
    import phonenumbers

    if region and region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationFailed({"phone_region": [_("Choose a country from the list.")]})


# Mapping --------------------------------------------------------------------------------


def mapping_clean(*, headers: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """The mapping as the import uses it: column index -> target. ValidationFailed with
    every problem: unknown targets, a single target twice, a custom field without a name,
    no name column."""
    errors: list[str] = []
    clean: dict[str, str] = {}
    used: dict[str, int] = {}
    customs: set[str] = set()
    for column, target in mapping.items():
        index = int(column) if str(column).isdigit() else -1
        if not 0 <= index < len(headers) or not isinstance(target, str):
            errors.append(_("Unknown column %(c)s.") % {"c": str(column)[:20]})
            continue
        if target.startswith(csvio.CUSTOM_PREFIX):
            name = bidi_strip(target[len(csvio.CUSTOM_PREFIX) :]).strip()
            if not name or len(name) > MAX_FIELD_NAME or "\x00" in name:
                errors.append(
                    _("Column “%(h)s”: a custom field needs a name of 1 to 60 characters.")
                    % {"h": headers[index]}
                )
                continue
            if name.casefold() in customs:
                errors.append(_("Two columns go to the custom field “%(f)s”.") % {"f": name})
            customs.add(name.casefold())
            clean[str(index)] = csvio.CUSTOM_PREFIX + name
            continue
        if target not in csvio.TARGETS or target == "custom":
            errors.append(_("Column “%(h)s”: choose what it is.") % {"h": headers[index]})
            continue
        if target in csvio.SINGLE_TARGETS and target in used:
            errors.append(
                _("Only one column can be “%(t)s”.") % {"t": dict(csvio.target_choices())[target]}
            )
        used[target] = index
        if target:
            clean[str(index)] = target
    if len(customs) > MAX_CUSTOM_FIELDS:
        errors.append(_("At most 50 custom fields."))
    if "name" not in used:
        errors.append(_("Choose the column that holds the creators' names."))
    if errors:
        raise ValidationFailed({"mapping": errors})
    return clean


def creator_import_map(
    *, creator_import: CreatorImport, mapping: dict[str, str], phone_region: str = ""
) -> CreatorImport:
    """Save the column mapping (checked) while the import waits for it."""
    if creator_import.state != CreatorImport.State.MAPPING:
        raise ValidationFailed(_("This import has started already."))
    _check_region(phone_region)
    creator_import.mapping = mapping_clean(headers=creator_import.headers, mapping=mapping)
    creator_import.phone_region = phone_region.upper()
    creator_import.save(update_fields=["mapping", "phone_region"])
    return creator_import


def creator_import_start(
    *, creator_import: CreatorImport, mapping: dict[str, str] | None = None, phone_region: str = ""
) -> CreatorImport:
    """Queue the import for the worker (with this mapping, or the saved one)."""
    if creator_import.state != CreatorImport.State.MAPPING:
        raise ValidationFailed(_("This import has started already."))
    with transaction.atomic():
        creator_import.mapping = mapping_clean(
            headers=creator_import.headers,
            mapping=creator_import.mapping if mapping is None else mapping,
        )
        _check_region(phone_region or creator_import.phone_region)
        creator_import.phone_region = (phone_region or creator_import.phone_region).upper()
        creator_import.state = CreatorImport.State.QUEUED
        creator_import.save(update_fields=["mapping", "phone_region", "state"])
        import_id = creator_import.pk
        transaction.on_commit(lambda: _enqueue(import_id))
    return creator_import


def creator_import_discard(*, creator_import: CreatorImport) -> None:
    """Forget an import that has not started: its stored file and its row."""
    if creator_import.state != CreatorImport.State.MAPPING:
        raise ValidationFailed(_("This import has started already."))
    default_storage.delete(creator_import.path)
    creator_import.delete()


def _enqueue(import_id: int) -> None:
    from parley.creators.tasks import creator_import_task

    creator_import_task.enqueue(import_id)


# Reading rows ----------------------------------------------------------------------------


@dataclass
class Row:
    """One row of the file as the import reads it."""

    line: int
    cells: list[str]
    name: str = ""
    first_name: str = ""
    preferred_channel: str = ""
    identities: list[tuple[str, str, str]] = field(default_factory=list)  # kind, value, norm
    followers: int | None = None
    platform_followers: dict[str, int] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    custom: dict[str, str] = field(default_factory=dict)
    error: str = ""


# What _fill does with a column, by target.
_NAME, _FIRST, _IDENTITY, _FOLLOWERS, _TAGS, _CHANNEL, _CUSTOM = range(7)
_KIND_OF = {
    "name": _NAME,
    "first_name": _FIRST,
    "email": _IDENTITY,
    "phone": _IDENTITY,
    **{k: _IDENTITY for k in csvio.SOCIAL_KINDS},
    "followers": _FOLLOWERS,
    **{f"{k}_followers": _FOLLOWERS for k in csvio.PLATFORMS},
    "tags": _TAGS,
    "preferred_channel": _CHANNEL,
}
Plan = list[tuple[int, str, int]]


def _spelled_as_stored(creator_import: CreatorImport) -> dict[str, str]:
    """The mapping with each custom field named as the workspace's creators have it already,
    whatever its case ("City" imports into "city"): one query over the workspace's field
    names, in the worker, once a run."""
    prefix = csvio.CUSTOM_PREFIX
    mapping = creator_import.mapping
    if not any(t.startswith(prefix) for t in mapping.values()):
        return mapping
    workspace = creator_import.workspace
    known = {n.casefold(): n for n in custom_field_names(workspace=workspace)}
    return {
        column: prefix + known.get(t[len(prefix) :].casefold(), t[len(prefix) :])
        if t.startswith(prefix)
        else t
        for column, t in mapping.items()
    }


def _plan(mapping: dict[str, str]) -> Plan:
    """(column, target, what to do) for each mapped column, in file order."""
    return sorted(
        (int(c), t.removeprefix(csvio.CUSTOM_PREFIX), _KIND_OF.get(t, _CUSTOM))
        for c, t in mapping.items()
        if t
    )


def parse_row(line: int, cells: list[str], plan: Plan, region: str) -> Row:
    """A row's values, checked; `error` says what is wrong with it (the first problem)."""
    row = Row(line=line, cells=cells)
    if isinstance(cells, csvio.BrokenLine):
        row.error = cells.reason
        return row
    try:
        _fill(row, plan, region)
    except ValidationFailed as exc:
        row.error = next(iter(m for ms in exc.errors.values() for m in ms), _("Invalid row."))
    return row


def _fail(message: str) -> ValidationFailed:
    return ValidationFailed({"row": [message]})


def _fill(row: Row, plan: Plan, region: str) -> None:
    cells = row.cells
    width = len(cells)
    seen: set[tuple[str, str]] = set()
    for index, target, what in plan:
        raw = cells[index].strip() if index < width else ""
        if not raw:
            continue
        if "\x00" in raw:
            raise _fail(_("A cell holds a NUL character (\\0)."))
        cell = csvio.undefuse(raw)
        if what == _IDENTITY:
            values = csvio.split_tight(cell) if target == "phone" else csvio.split_loose(cell)
            for value in values:
                normalized = _identity(target, value, region)
                if (target, normalized) not in seen:
                    seen.add((target, normalized))
                    row.identities.append((target, value, normalized))
        elif what == _NAME:
            name = bidi_strip(cell).strip()
            if len(name) > MAX_NAME:
                raise _fail(_("The name is over 160 characters."))
            row.name = name
        elif what == _CUSTOM:
            if len(cell) > MAX_FIELD_VALUE:
                raise _fail(_("The custom field “%(f)s” is over 1,000 characters.") % {"f": target})
            row.custom[target] = cell
        elif what == _FOLLOWERS:
            count = csvio.parse_count(cell)
            if count is None:
                raise _fail(_("“%(v)s” is not a number of followers.") % {"v": cell[:40]})
            if target == "followers":
                row.followers = count
            else:
                row.platform_followers[target.removesuffix("_followers")] = count
        elif what == _TAGS:
            for tag in csvio.split_tight(bidi_strip(cell)):
                if len(tag) > MAX_TAG:
                    raise _fail(_("A tag is over 60 characters."))
                if tag not in row.tags:
                    row.tags.append(tag)
            if len(row.tags) > csvio.MAX_TAGS_PER_ROW:
                raise _fail(_("More than 50 tags."))
        elif what == _FIRST:
            first = bidi_strip(cell).strip()
            if len(first) > MAX_FIRST_NAME:
                raise _fail(_("The first name is over 80 characters."))
            row.first_name = first
        elif what == _CHANNEL:
            channel = csvio.CHANNELS.get(cell.lower())
            if channel is None:
                raise _fail(_("Preferred channel is one of email, sms, inapp."))
            row.preferred_channel = channel
    if not row.name:
        raise _fail(_("No name."))
    if len(row.identities) > MAX_IDENTITIES:
        raise _fail(_("More than 20 emails, phones and handles."))


def _identity(kind: str, value: str, region: str) -> str:
    shown = value.strip()[:60]
    if len(value.strip()) > MAX_VALUE:
        raise _fail(_("“%(v)s…” is over 254 characters.") % {"v": shown})
    try:
        if kind == Identity.Kind.PHONE:
            return phone_e164(value, region)
        if kind in csvio.SOCIAL_KINDS:
            value = csvio.handle_from(kind, value)
        return identity_normalize(kind, value)
    except ValidationFailed as exc:
        if kind == Identity.Kind.EMAIL:
            raise _fail(_("“%(v)s” is not a valid email address.") % {"v": shown}) from exc
        if kind == Identity.Kind.PHONE:
            raise _fail(_("“%(v)s” is not a valid phone number.") % {"v": shown}) from exc
        raise _fail(
            _("“%(v)s” is not a valid %(platform)s handle.")
            % {"v": shown, "platform": Identity.Kind(kind).label}
        ) from exc


# Matching and writing --------------------------------------------------------------------


@dataclass
class _Person:
    """A creator's columns that an import writes (no model instance: at 5,000 rows a second
    Django's model __init__ and bulk_create's per-value preparation were most of the time)."""

    pk: int | None
    name: str
    first_name: str = ""
    preferred_channel: str = Creator.Channel.EMAIL
    custom_fields: dict[str, str] = field(default_factory=dict)
    followers: int = 0
    search_text: str = ""


@dataclass
class _Target:
    """What a chunk does to one creator: a new one, or an existing one (`creator.pk`)."""

    creator: _Person
    new: bool
    identities: list[tuple[str, str, str]] = field(default_factory=list)
    platform_followers: dict[str, int] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    changed: bool = False


def _existing(workspace_id: int, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Which of these (kind, normalized) identities the workspace has: their creator ids.
    Raw SQL on the (workspace, kind, normalized) unique index (the ORM spent longer
    preparing 4,000 parameters than the database spent answering)."""
    items = sorted(keys)
    table = connection.ops.quote_name(Identity._meta.db_table)
    if connection.vendor == "postgresql":
        # The pairs as two JSON arrays (json.dumps is C; psycopg binds a list in Python,
        # and thousands of placeholders cost more to bind than the lookup takes), each pair
        # probed on the unique index by a LATERAL … LIMIT 1 that the planner cannot turn
        # into a join: while a bulk load outran the table's statistics, the join hashed
        # the workspace's every identity for each chunk (7 s of a 100k import, now 1).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT k.kind, k.normalized, i.creator_id FROM ROWS FROM "
                "(json_array_elements_text(%s::json), json_array_elements_text(%s::json)) "
                "AS k(kind, normalized) "
                f"JOIN LATERAL (SELECT creator_id FROM {table} WHERE workspace_id = %s "
                "AND kind = k.kind AND normalized = k.normalized LIMIT 1) AS i ON true",
                [
                    json.dumps([k for k, _n in items]),
                    json.dumps([n for _k, n in items]),
                    workspace_id,
                ],
            )
            return {(kind, normalized): creator for kind, normalized, creator in cursor.fetchall()}
    found: dict[tuple[str, str], int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(items), LOOKUP_BATCH):
            batch = items[start : start + LOOKUP_BATCH]
            kinds = sorted({k for k, _n in batch})
            values = sorted({n for _k, n in batch})
            cursor.execute(
                f"SELECT kind, normalized, creator_id FROM {table} WHERE workspace_id = %s "
                f"AND kind IN ({', '.join(['%s'] * len(kinds))}) "
                f"AND normalized IN ({', '.join(['%s'] * len(values))})",
                [workspace_id, *kinds, *values],
            )
            for kind, normalized, creator_id in cursor.fetchall():
                if (kind, normalized) in keys:
                    found[(kind, normalized)] = creator_id
    return found


@dataclass
class ChunkResult:
    created: int = 0
    updated: int = 0
    failures: list[Row] = field(default_factory=list)


@dataclass
class _Match:
    """Which creator each good row of a chunk goes to (_resolve)."""

    pairs: list[tuple[Row, _Target]]
    failed: list[Row]
    keys: set[tuple[str, str]]  # the (kind, normalized) of every good row's identities
    matched: set[int]  # the existing creators the rows update


def _resolve(rows: list[Row], workspace_id: int) -> _Match:
    """Which creator each good row goes to: an existing one that has one of its emails,
    phones or handles, one an earlier row of the chunk makes, or a new one."""
    good = [r for r in rows if not r.error]
    failed = [r for r in rows if r.error]
    keys = {(k, n) for r in good for k, _v, n in r.identities}
    existing = _existing(workspace_id, keys)
    creators = {
        pk: _Person(pk, *values)
        for pk, *values in Creator.objects.filter(
            workspace_id=workspace_id, id__in=set(existing.values())
        ).values_list(
            "id",
            "name",
            "first_name",
            "preferred_channel",
            "custom_fields",
            "followers",
            "search_text",
        )
    }
    targets_by_key: dict[tuple[str, str], _Target] = {}
    by_creator: dict[int, _Target] = {}
    pairs: list[tuple[Row, _Target]] = []
    for row in good:
        found: list[_Target] = []
        for kind, _value, normalized in row.identities:
            key = (kind, normalized)
            target = targets_by_key.get(key)
            if target is None and key in existing and existing[key] in creators:
                creator_id = existing[key]
                target = by_creator.get(creator_id)
                if target is None:
                    target = by_creator[creator_id] = _Target(creators[creator_id], new=False)
            if target is not None and all(target is not t for t in found):
                found.append(target)
        if len(found) > 1:
            names = ", ".join(f"“{t.creator.name}”" for t in found[:3])
            row.error = _(
                "Its emails, phones or handles belong to different creators (%(names)s): "
                "split the row or fix it by hand."
            ) % {"names": names}
            failed.append(row)
            continue
        target = found[0] if found else _Target(_Person(None, row.name), new=True)
        for kind, _value, normalized in row.identities:
            targets_by_key[(kind, normalized)] = target
        pairs.append((row, target))
    return _Match(pairs, failed, keys, set(by_creator))


def _apply(row: Row, target: _Target) -> None:
    creator = target.creator
    changes: dict[str, Any] = {"name": row.name}
    if row.first_name:
        changes["first_name"] = row.first_name
    elif target.new and not creator.first_name:
        changes["first_name"] = row.name.split()[0][:MAX_FIRST_NAME]
    if row.preferred_channel:
        changes["preferred_channel"] = row.preferred_channel
    followers = row.followers
    if followers is None and row.platform_followers:
        followers = max(row.platform_followers.values())
    if followers is not None:
        changes["followers"] = followers
    if row.custom:
        merged = custom_fields_merge(creator.custom_fields, row.custom)
        if len(merged) > MAX_CUSTOM_FIELDS:
            raise _fail(_("The creator would have more than 50 custom fields."))
        changes["custom_fields"] = merged
    for name, value in changes.items():
        if getattr(creator, name) != value:
            setattr(creator, name, value)
            target.changed = True
    if not target.identities:  # (a creator's first row: most of them)
        target.identities.extend(row.identities)
    else:
        have = {(k, n) for k, _v, n in target.identities}
        for identity in row.identities:
            if (identity[0], identity[2]) not in have:
                target.identities.append(identity)
    target.platform_followers.update(row.platform_followers)
    if not target.tags:
        target.tags.extend(row.tags)  # (a row's tags are distinct: _fill)
    else:
        target.tags.extend(tag for tag in row.tags if tag not in target.tags)


_FIELDS = ["name", "first_name", "preferred_channel", "custom_fields", "followers", "search_text"]


_CREATOR_COLUMNS = ["id", "workspace_id", "name", "first_name", "preferred_channel"]
_CREATOR_COLUMNS += ["custom_fields", "search_text", "followers", "created_at", "updated_at"]
_IDENTITY_COLUMNS = ["workspace_id", "creator_id", "kind", "value", "normalized", "url"]
_IDENTITY_COLUMNS += ["followers", "is_primary", "created_at", "updated_at"]


@dataclass
class _Insert:
    """Rows for one table with every column filled (the model's defaults for those not
    listed; fields other apps add to these models are filled in as the ORM would). On
    PostgreSQL they are already in COPY's text format, made by psycopg's own formatter
    where the chunk is prepared, so that the thread writing it only sends bytes."""

    model: Any
    columns: list[str]
    rows: list[tuple[Any, ...]]  # (not PostgreSQL)
    data: bytes = b""  # (PostgreSQL)
    ignore_conflicts: bool = False


def _insert_ready(
    model: Any, columns: list[str], rows: list[tuple[Any, ...]], *, ignore_conflicts: bool = False
) -> _Insert:
    rest = [
        f
        for f in model._meta.concrete_fields
        if f.column not in columns and f.attname not in columns and not f.primary_key
    ]
    extra = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
    columns = [*columns, *(f.column for f in rest)]
    if connection.vendor != "postgresql":
        rows = [(*row, *extra) for row in rows] if extra else rows
        return _Insert(model, columns, rows, ignore_conflicts=ignore_conflicts)
    buffer = io.BytesIO()
    with (
        connection.cursor() as cursor,
        psycopg.copy.Copy(cursor.cursor, writer=psycopg.copy.FileWriter(buffer)) as copy,
    ):
        for row in rows:
            copy.write_row((*row, *extra))
    return _Insert(model, columns, [], buffer.getvalue(), ignore_conflicts)


@dataclass
class _Writes:
    """A chunk's rows as they go into the database (_prepare makes them, _put writes them)."""

    creators: _Insert
    dirty: list[Creator]
    identities: _Insert
    followers_changed: list[Identity]
    tags: _Insert


def _prepare(workspace_id: int, pairs: list[tuple[Row, _Target]], result: ChunkResult) -> _Writes:
    """The chunk's creators, identities and tags as rows, the new creators' ids reserved,
    missing tags created; reads what the matched creators have on file."""
    targets: list[_Target] = []
    seen: set[int] = set()
    for row, target in pairs:
        try:
            _apply(row, target)
        except ValidationFailed as exc:
            row.error = next(iter(m for ms in exc.errors.values() for m in ms))
            result.failures.append(row)
            continue
        if id(target) in seen:
            result.updated += 1  # a second row for the same creator (in the file or here)
            continue
        seen.add(id(target))
        targets.append(target)
        if target.new:
            result.created += 1
        else:
            result.updated += 1
    # What the matched creators have on file: (kind, normalized, id, followers) by id.
    on_file: dict[int, list[tuple[str, str, int, int | None]]] = {}
    rows = Identity.objects.filter(creator_id__in=[t.creator.pk for t in targets if not t.new])
    for identity_id, creator_id, kind, normalized, followers in rows.values_list(
        "id", "creator_id", "kind", "normalized", "followers"
    ).order_by("id"):
        on_file.setdefault(creator_id, []).append((kind, normalized, identity_id, followers))
    for target in targets:
        known = [n for _k, n, _i, _f in on_file.get(target.creator.pk or 0, [])]
        text = search_text(target.creator.name, [*known, *[n for _k, _v, n in target.identities]])
        if target.creator.search_text != text:
            target.creator.search_text = text
            target.changed = True
    now = timezone.now()
    stamp = _db_datetime(now)
    # Creators: new ones with ids of their own (what refers to them needs them), changed
    # ones updated.
    creators: list[tuple[Any, ...]] = []
    people = [t.creator for t in targets if t.new]
    for person, pk in zip(people, ids_reserve(Creator, len(people)), strict=True):
        person.pk = pk
        creators.append(
            (
                pk,
                workspace_id,
                person.name,
                person.first_name,
                person.preferred_channel,
                json.dumps(person.custom_fields),
                person.search_text,
                person.followers,
                stamp,
                stamp,
            )
        )
    dirty = [
        Creator(id=t.creator.pk, updated_at=now, **{f: getattr(t.creator, f) for f in _FIELDS})
        for t in targets
        if not t.new and t.changed
    ]
    # Identities: new ones (the first of a kind is primary); a platform's followers go to
    # the creator's first profile on it.
    identities: list[tuple[Any, ...]] = []
    followers_changed: list[Identity] = []
    for target in targets:
        have = on_file.get(target.creator.pk or 0, [])
        kinds = {k for k, _n, _i, _f in have}
        counts = dict(target.platform_followers)
        for kind, count in list(counts.items()):
            first = next((x for x in have if x[0] == kind), None)
            if first is None:
                continue
            if first[3] != count:
                followers_changed.append(Identity(id=first[2], followers=count))
            del counts[kind]
        for kind, value, normalized in target.identities:
            # (profile_url without the call: 400,000 of them in a 100k import)
            url = PROFILE_URLS.get(kind)  # type: ignore[call-overload]
            identities.append(
                (
                    workspace_id,
                    target.creator.pk,
                    kind,
                    value,
                    normalized,
                    url.format(normalized) if url else "",
                    counts.pop(kind, None),
                    kind not in kinds,
                    stamp,
                    stamp,
                )
            )
            kinds.add(kind)
    # Tags: the workspace's by name, missing ones created; then every (tag, creator).
    names = {tag for t in targets for tag in t.tags}
    tag_ids = _tag_ids(workspace_id, names) if names else {}
    tags = [(tag_ids[name], t.creator.pk) for t in targets for name in t.tags]
    return _Writes(
        creators=_insert_ready(Creator, _CREATOR_COLUMNS, creators),
        dirty=dirty,
        identities=_insert_ready(Identity, _IDENTITY_COLUMNS, identities, ignore_conflicts=True),
        followers_changed=followers_changed,
        tags=_insert_ready(CreatorTag, ["tag_id", "creator_id"], tags, ignore_conflicts=True),
    )


def _put(writes: _Writes) -> None:
    """Write a prepared chunk (inside the caller's transaction)."""
    _insert(writes.creators)
    Creator.objects.bulk_update(writes.dirty, [*_FIELDS, "updated_at"], batch_size=500)
    _insert(writes.identities)
    Identity.objects.bulk_update(writes.followers_changed, ["followers"], batch_size=500)
    _insert(writes.tags)


# Raw inserts: one INSERT of many rows per batch (COPY on PostgreSQL), values ready for the
# database.
def _db_datetime(value: Any) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _insert(insert: _Insert) -> None:
    """INSERT the rows in batches (within the database's parameter limit; PostgreSQL:
    COPY, _insert_copy)."""
    if connection.vendor == "postgresql":
        if insert.data:
            _insert_copy(insert)
        return
    if not insert.rows:
        return
    columns, rows = insert.columns, insert.rows
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    quote = connection.ops.quote_name
    head = (
        f"INSERT INTO {quote(insert.model._meta.db_table)} "
        f"({', '.join(quote(c) for c in columns)}) VALUES "
    )
    tail = " ON CONFLICT DO NOTHING" if insert.ignore_conflicts else ""
    per_batch = max(1, 30_000 // len(columns))  # (SQLite's limit on parameters: 32,766)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_batch):
            batch = rows[start : start + per_batch]
            params = [value for row in batch for value in row]
            cursor.execute(head + ", ".join([one] * len(batch)) + tail, params)


def _insert_copy(insert: _Insert) -> None:
    """PostgreSQL: the rows go in by COPY (binding them as one array a column spent more
    time in Python than the database spent inserting). With `ignore_conflicts`, the rows
    are copied straight in under a savepoint; only if one is already there (another writer
    got there between the chunk's lookup and now: COPY has no ON CONFLICT) does the chunk
    go through a temporary table and `INSERT … SELECT … ON CONFLICT DO NOTHING`."""
    quote = connection.ops.quote_name
    table = quote(insert.model._meta.db_table)
    names = ", ".join(quote(c) for c in insert.columns)
    if not insert.ignore_conflicts:
        _copy(table, names, insert.data)
        return
    try:
        with transaction.atomic():
            _copy(table, names, insert.data)
    except psycopg.errors.UniqueViolation:
        staging = quote(f"import_{insert.model._meta.db_table}")
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
                f"SELECT {names} FROM {table} WITH NO DATA"
            )
            _copy(staging, names, insert.data)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} "
                "ON CONFLICT DO NOTHING"
            )
            cursor.execute(f"DROP TABLE {staging}")


def _copy(table: str, names: str, data: bytes) -> None:
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
    ):
        copy.write(data)


def _tag_ids(workspace_id: int, names: set[str]) -> dict[str, int]:
    """Each name's tag: the workspace's tag of that name, else of that name in another case
    ("vip" is "VIP", as tag_get_or_create has it), else a new one, made as first written."""

    def known(wanted: set[str]) -> dict[str, int]:
        return dict(
            Tag.objects.filter(workspace_id=workspace_id, name__in=wanted).values_list("name", "id")
        )

    ids = known(names)
    for name in sorted(names - set(ids)):  # (few: a chunk's new tags)
        other = (
            Tag.objects.filter(workspace_id=workspace_id, name__iexact=name)
            .order_by("id")
            .values_list("id", flat=True)
            .first()
        )
        if other is not None:
            ids[name] = other
    spelling: dict[str, str] = {}  # lower-case → the first way the file writes a new tag
    for name in sorted(names - set(ids)):
        spelling.setdefault(name.lower(), name)
    if spelling:
        Tag.objects.bulk_create(
            [Tag(workspace_id=workspace_id, name=n) for n in spelling.values()],
            ignore_conflicts=True,
        )
        made = known(set(spelling.values()))
        for name in names - set(ids):
            ids[name] = made[spelling[name.lower()]]
    return ids


def _chunk(creator_import: CreatorImport, match: _Match) -> tuple[_Writes, ChunkResult]:
    """A matched chunk made ready to write: its rows, and what it adds, updates and fails."""
    result = ChunkResult()
    result.failures.extend(match.failed)
    return _prepare(creator_import.workspace_id, match.pairs, result), result


def _store(
    creator_import: CreatorImport, rows: list[Row], writes: _Writes, result: ChunkResult
) -> None:
    """Write a prepared chunk, its failed rows and the import's counters (inside the
    caller's transaction)."""
    _put(writes)
    CreatorImportFailure.objects.bulk_create(
        [
            CreatorImportFailure(
                creator_import=creator_import,
                line=row.line,
                reason=row.error[:500],
                # (PostgreSQL's JSON cannot hold a NUL; the reason names it.)
                values=[c.replace("\x00", "") for c in row.cells[: len(creator_import.headers)]],
            )
            for row in sorted(result.failures, key=lambda r: r.line)
        ],
        batch_size=CHUNK,
    )
    CreatorImport.objects.filter(id=creator_import.pk).update(
        rows_done=F("rows_done") + len(rows),
        created=F("created") + result.created,
        updated=F("updated") + result.updated,
        failed=F("failed") + len(result.failures),
    )


# The run --------------------------------------------------------------------------------


def _data_rows(creator_import: CreatorImport) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each non-blank data row, streamed from the stored file."""
    with default_storage.open(creator_import.path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        rows = csvio.records(text, creator_import.delimiter)
        next(rows, None)  # the header
        for line, cells in rows:
            if "".join(cells).strip():  # (one join, not a strip a cell: 100,000s of rows)
                yield line, cells


def _batches(creator_import: CreatorImport, *, skip: int) -> Iterator[list[tuple[int, list[str]]]]:
    """The data rows after the first `skip`, CHUNK at a time."""
    batch: list[tuple[int, list[str]]] = []
    for index, row in enumerate(_data_rows(creator_import)):
        if index < skip:
            continue
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _parse(
    lines: list[tuple[int, list[str]]], plan: Plan, region: str, language: str | None
) -> list[Row]:
    """A chunk's rows parsed and checked (no database), in the import's language."""
    with translation.override(language):
        return [parse_row(line, cells, plan, region) for line, cells in lines]


def creator_import_run(*, import_id: int) -> CreatorImport:
    """The worker's part: write the rows after `rows_done`, chunk by chunk. Idempotent: a
    finished import is left as it is; a stopped one resumes."""
    creator_import = CreatorImport.objects.get(id=import_id)
    states = (CreatorImport.State.QUEUED, CreatorImport.State.RUNNING)
    if creator_import.state not in states:
        return creator_import
    try:
        if creator_import.state == CreatorImport.State.QUEUED:
            total = sum(1 for _row in _data_rows(creator_import))
            CreatorImport.objects.filter(id=import_id).update(
                state=CreatorImport.State.RUNNING, rows_total=total, started_at=timezone.now()
            )
            creator_import.refresh_from_db()
        plan = _plan(_spelled_as_stored(creator_import))
        # Each chunk is parsed (and its phones read by phonenumbers, pure Python) while the
        # one before it is matched and written: in a second process when chunks are written
        # by a thread of their own (_Writer), so that the three do not share one
        # interpreter lock; else in a second thread.
        language = translation.get_language()
        writer = _Writer(creator_import)
        with _parser(writer.pipelined) as parser, writer:
            ahead: Future[list[Row]] | None = None
            for batch in _batches(creator_import, skip=creator_import.rows_done):
                parsing = parser.submit(_parse, batch, plan, creator_import.phone_region, language)
                if ahead is not None:
                    _commit_chunk(creator_import, ahead.result(), writer)
                ahead = parsing
            if ahead is not None:
                _commit_chunk(creator_import, ahead.result(), writer)
            _analyze()  # (while the last chunk is written: 2,000 rows the statistics can miss)
    except Exception as exc:
        logger.exception("Import %s failed", import_id)
        message = (
            _("The file could not be read further: %(e)s") % {"e": str(exc)[:300]}
            if exc.__class__.__name__ == "Error"  # csv.Error
            else _("Something went wrong on our side; the rows written so far are kept.")
        )
        CreatorImport.objects.filter(id=import_id).update(
            state=CreatorImport.State.FAILED, error=message, finished_at=timezone.now()
        )
        creator_import.refresh_from_db()
        return creator_import
    CreatorImport.objects.filter(id=import_id).update(
        state=CreatorImport.State.DONE, finished_at=timezone.now()
    )
    default_storage.delete(creator_import.path)
    creator_import.refresh_from_db()
    return creator_import


def _analyze() -> None:
    """PostgreSQL plans the list and the export from table statistics that autovacuum
    refreshes only now and then: a bulk load makes them stale (a workspace's first 100k
    creators read as a few hundred, and the export scanned whole tables), so they are
    refreshed when an import ends. (The identity lookups during the import do not depend
    on them: _existing probes the index pair by pair.)"""
    if connection.vendor != "postgresql":
        return
    tables = [m._meta.db_table for m in (Creator, Identity, CreatorTag)]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


def _parser(separate_process: bool) -> Executor:
    if not separate_process:
        return ThreadPoolExecutor(max_workers=1)
    # spawn, not fork: a forked child would share the parent's database connections.
    return ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=django.setup
    )


def _commit_chunk(creator_import: CreatorImport, rows: list[Row], writer: "_Writer") -> None:
    """Match a chunk's rows against the workspace and prepare them, then write them
    (_Writer: in this transaction, or in the writer's thread while the next chunk is
    matched)."""
    workspace_id = creator_import.workspace_id
    if not writer.pipelined:
        with transaction.atomic():
            _store(creator_import, rows, *_chunk(creator_import, _resolve(rows, workspace_id)))
        return
    match = _resolve(rows, workspace_id)
    if writer.overlaps(match):
        # A creator of the chunk still being written: match again once it is in.
        writer.wait()
        match = _resolve(rows, workspace_id)
    writer.write(rows, match, *_chunk(creator_import, match))


class _Writer:
    """On PostgreSQL, outside a transaction, chunks are written by a second thread on a
    connection of its own, each in a transaction, while this one matches the next chunk:
    the database's work on a chunk (COPY, the search index) overlaps the matching and
    preparing of the next, where one connection made each wait for the other. One chunk is
    in flight at a time, so every chunk before it is committed and seen by the lookups;
    a chunk that shares a creator or an identity with the one in flight is matched again
    once that one is in (a creator twice in a row of chunks is neither doubled nor
    overwritten). Chunks commit in file order, so `rows_done` stays a resume point.
    Elsewhere (SQLite, which has one writer; or inside a caller's transaction, as in
    tests) chunks are written in turn, in the caller's transaction."""

    def __init__(self, creator_import: CreatorImport) -> None:
        self.creator_import = creator_import
        self.pipelined = connection.vendor == "postgresql" and not connection.in_atomic_block
        self.pool: ThreadPoolExecutor | None = None
        self.writing: Future[None] | None = None
        self.keys: set[tuple[str, str]] = set()
        self.creators: set[int] = set()

    def __enter__(self) -> "_Writer":
        if self.pipelined:
            self.pool = ThreadPoolExecutor(max_workers=1)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is None:
            return
        try:
            if exc[0] is None:
                self.wait()
        finally:
            self.pool.submit(connections.close_all).result()
            self.pool.shutdown()

    def overlaps(self, match: _Match) -> bool:
        return self.writing is not None and not (
            match.keys.isdisjoint(self.keys) and match.matched.isdisjoint(self.creators)
        )

    def wait(self) -> None:
        if self.writing is not None:
            writing, self.writing = self.writing, None
            writing.result()

    def write(self, rows: list[Row], match: _Match, writes: _Writes, result: ChunkResult) -> None:
        assert self.pool is not None
        self.wait()
        self.keys, self.creators = match.keys, match.matched
        self.writing = self.pool.submit(self._write, rows, writes, result)

    def _write(self, rows: list[Row], writes: _Writes, result: ChunkResult) -> None:
        with transaction.atomic():
            _store(self.creator_import, rows, writes, result)


# Preview --------------------------------------------------------------------------------


@dataclass
class PreviewRow:
    line: int
    cells: list[str]
    outcome: str  # "new", "update", "error"
    detail: str  # the matched creator's name, or the error
    rename: str = ""  # the name an update gives the matched creator, when not theirs


def creator_import_preview(
    *, creator_import: CreatorImport, mapping: dict[str, str], limit: int = PREVIEW_ROWS
) -> list[PreviewRow]:
    """The first rows as the import would take them (nothing written)."""
    plan = _plan(mapping)
    lines = []
    for line in _data_rows(creator_import):
        lines.append(line)
        if len(lines) == limit:
            break
    rows = [parse_row(line, cells, plan, creator_import.phone_region) for line, cells in lines]
    pairs = _resolve(rows, creator_import.workspace_id).pairs
    matched = {row.line: target for row, target in pairs}
    out = []
    for row in rows:
        if row.error:
            out.append(PreviewRow(row.line, row.cells, "error", row.error))
        elif not matched[row.line].new:
            name = matched[row.line].creator.name
            rename = row.name if row.name != name else ""
            out.append(PreviewRow(row.line, row.cells, "update", name, rename))
        else:
            first = next(r for r, t in pairs if t is matched[row.line])
            same = first.line != row.line
            out.append(
                PreviewRow(
                    row.line,
                    row.cells,
                    "update" if same else "new",
                    _("line %(n)d") % {"n": first.line} if same else "",
                )
            )
    return out


def import_summary(creator_import: CreatorImport) -> str:
    created, updated, failed = creator_import.created, creator_import.updated, creator_import.failed
    return " ".join(
        [
            ngettext("%(n)d creator added,", "%(n)d creators added,", created) % {"n": created},
            ngettext("%(n)d updated,", "%(n)d updated,", updated) % {"n": updated},
            ngettext("%(n)d row failed.", "%(n)d rows failed.", failed) % {"n": failed},
        ]
    )
