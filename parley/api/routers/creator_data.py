"""Creators in bulk and a first message: open (get or create) a creator's conversation;
import a CSV file (upload, status, the failed rows as CSV); export creators as CSV.

Mounted at /creators before the creators router, so /creators/export and
/creators/imports are not read as a creator's id.
"""

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import StringConstraints

from parley.api.auth import acting_member
from parley.api.schemas import (
    ConversationOut,
    ErrorOut,
    FieldErrorsOut,
    PathId,
    QueryId,
    Search,
    text,
)
from parley.campaigns.selectors import inbox_filters_check
from parley.core.errors import ValidationFailed
from parley.creators import csvio
from parley.creators.export import creators_export_rows
from parley.creators.filters import MAX_FILTER_IDS, MAX_SELECTED, CreatorFilters
from parley.creators.imports import (
    creator_import_discard,
    creator_import_map,
    creator_import_start,
    creator_import_upload,
)
from parley.creators.models import CreatorImport
from parley.creators.selectors import creator_get, creator_import_failures, creator_import_get
from parley.inbox.filters import InboxFilters
from parley.inbox.selectors import conversation_for_creator, thread_campaign_ids
from parley.inbox.services import conversation_get_or_create

router = Router(tags=["creators"])

NOT_FOUND = {404: ErrorOut}
INVALID = {422: FieldErrorsOut}


def _csv_response(description: str) -> dict[str, Any]:
    """The OpenAPI `responses` entry of an operation that streams CSV."""
    return {
        "responses": {
            200: {
                "description": description,
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    }


# Conversation ----------------------------------------------------------------------------


@router.post(
    "/{creator_id}/conversation",
    response={200: ConversationOut, 201: ConversationOut, **NOT_FOUND},
)
def creator_conversation_open(request: HttpRequest, creator_id: PathId) -> Status[ConversationOut]:
    """The creator's conversation: 200 with the one they have, or 201 with one made now
    (empty), so that a first message can be sent with
    `POST /conversations/{id}/messages`."""
    member = acting_member(request)
    creator = creator_get(workspace=member.workspace, id=creator_id)
    existing = conversation_for_creator(workspace=member.workspace, creator_id=creator.id)
    conversation = existing or conversation_get_or_create(creator=creator)
    conversation.creator = creator
    body = ConversationOut.build(conversation, thread_campaign_ids(conversation=conversation))
    return Status(200 if existing else 201, body)


# Import ----------------------------------------------------------------------------------


class ImportFailureOut(Schema):
    line: int
    reason: str


class ImportOut(Schema):
    id: int
    filename: str
    state: Literal["mapping", "queued", "running", "done", "failed"] = Field(
        ..., description="mapping: waiting to be started; queued/running: in the worker."
    )
    headers: list[str]
    mapping: dict[str, str] = Field(
        ..., description="Column number (from 0) → target: see `POST /creators/imports`."
    )
    rows_total: int
    rows_done: int
    created: int
    updated: int
    failed: int
    error: str
    created_at: datetime
    finished_at: datetime | None
    failures: list[ImportFailureOut] = Field(
        ..., description="The first 20 failed rows; all of them in `…/failures` as CSV."
    )


def _import_out(creator_import: CreatorImport) -> dict[str, Any]:
    return {
        "id": creator_import.id,
        "filename": creator_import.filename,
        "state": creator_import.state,
        "headers": creator_import.headers,
        "mapping": creator_import.mapping,
        "rows_total": creator_import.rows_total,
        "rows_done": creator_import.rows_done,
        "created": creator_import.created,
        "updated": creator_import.updated,
        "failed": creator_import.failed,
        "error": creator_import.error,
        "created_at": creator_import.created_at,
        "finished_at": creator_import.finished_at,
        "failures": list(creator_import.failures.order_by("line").values("line", "reason")[:20]),
    }


TARGETS_HELP = ", ".join(f"`{t}`" for t in csvio.TARGETS if t and t != "custom")


IMPORT_HELP = (
    "Upload a CSV file of creators (multipart/form-data, field `file`): UTF-8 with or "
    "without a byte-order mark, `,` or `;` between columns, a header line and at least one "
    "row, at most PARLEY_IMPORT_MAX_BYTES (50 MB by default). A file that is not such a CSV "
    "is a 422 on `file` and nothing is kept. The columns are mapped from their headers "
    "unless `mapping` (a JSON object: column number from 0 → target) says otherwise. "
    "Targets: " + TARGETS_HELP + ", `custom:NAME` (a custom field) or an empty string (left "
    "out). `phone_region` (ISO 3166 alpha-2) reads phone numbers written without +country "
    "code. With `start` (the default) the import is queued for the worker at once; poll "
    "`GET /creators/imports/{id}`. A row whose email, phone or handle belongs to a creator "
    "of the workspace (or to a row before it) updates that creator; every bad row is "
    "reported with its reason."
)


# The mapping as JSON text (a form field), and a country code or nothing.
MappingText = Annotated[str, text(20_000)]
Region = Annotated[str, StringConstraints(pattern=r"^([A-Za-z]{2})?$")]
# Optional form fields (Ninja's Form[...] alias would make them required).
_MAPPING, _REGION, _START = Form(""), Form(""), Form(True)


@router.post("/imports", response={201: ImportOut, **INVALID}, description=IMPORT_HELP)
def creator_import_create(
    request: HttpRequest,
    file: File[UploadedFile],
    mapping: MappingText = _MAPPING,
    phone_region: Region = _REGION,
    start: bool = _START,
) -> Status[dict[str, Any]]:
    """Upload a CSV file of creators, and start importing it (see the description)."""
    member = acting_member(request)
    chosen: dict[str, str] | None = None
    if mapping:
        try:
            chosen = json.loads(mapping)
        except ValueError as exc:
            raise ValidationFailed({"mapping": [_("Send the mapping as a JSON object.")]}) from exc
        if not isinstance(chosen, dict) or not all(isinstance(v, str) for v in chosen.values()):
            raise ValidationFailed({"mapping": [_("Send the mapping as a JSON object.")]})
    creator_import = creator_import_upload(member=member, upload=file, phone_region=phone_region)
    if start or chosen is not None:
        try:
            if start:
                creator_import_start(creator_import=creator_import, mapping=chosen)
            elif chosen is not None:
                creator_import_map(creator_import=creator_import, mapping=chosen)
        except ValidationFailed:
            creator_import_discard(creator_import=creator_import)
            raise
    return Status(201, _import_out(creator_import))


@router.get("/imports/{import_id}", response={200: ImportOut, **NOT_FOUND})
def creator_import_status(request: HttpRequest, import_id: PathId) -> dict[str, Any]:
    """An import's state and counts (poll it while `queued` or `running`)."""
    member = acting_member(request)
    return _import_out(creator_import_get(workspace=member.workspace, id=import_id))


@router.get(
    "/imports/{import_id}/failures",
    response={200: None, **NOT_FOUND},
    openapi_extra=_csv_response(
        "The rows not imported: the file's columns, then `line` and `error`."
    ),
)
def creator_import_failures_csv(request: HttpRequest, import_id: PathId) -> HttpResponse:
    """The failed rows as CSV (UTF-8 with a byte-order mark); fix them and import the file:
    rows already imported are matched, not doubled."""
    member = acting_member(request)
    creator_import = creator_import_get(workspace=member.workspace, id=import_id)
    width = len(creator_import.headers)

    def rows() -> Any:
        yield [*creator_import.headers, "line", "error"]
        for failure in creator_import_failures(creator_import=creator_import):
            cells = [str(v) for v in failure.values][:width]
            yield [*cells, *[""] * (width - len(cells)), str(failure.line), failure.reason]

    return _stream(rows(), f"import-{creator_import.id}-failed-rows.csv")


def _stream(rows: Any, filename: str) -> HttpResponse:
    response = StreamingHttpResponse(csvio.csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response  # type: ignore[return-value]


# Export ----------------------------------------------------------------------------------


class ExportQuery(Schema):
    q: Search = Field("", description="Name, handle or email.")
    tags: list[QueryId] = Field(
        default_factory=list, max_length=MAX_FILTER_IDS, description="Any of these tags."
    )
    campaigns: list[QueryId] = Field(
        default_factory=list, max_length=MAX_FILTER_IDS, description="Any of these campaigns."
    )
    clients: list[QueryId] = Field(
        default_factory=list, max_length=MAX_FILTER_IDS, description="Any of these clients."
    )
    creators: list[QueryId] = Field(
        default_factory=list,
        max_length=MAX_SELECTED,
        description="Only these creators (a selection), within the filter.",
    )
    sort: Literal["name", "-name", "followers", "-followers", "added", "-added"] = Field(
        "name", description="name, followers or added; `-` in front for descending."
    )


@router.get(
    "/export",
    response={200: None, **NOT_FOUND},
    openapi_extra=_csv_response(
        "The creators as CSV, streamed: name, first_name, emails, phones, each platform's "
        "handles and followers, other, followers, tags, preferred_channel, one column per "
        "custom field, campaigns (name: status) and added. Cells starting with = + - @ are "
        "written with a leading ' (and read back without it by the import)."
    ),
)
def creators_export(request: HttpRequest, params: Query[ExportQuery]) -> HttpResponse:
    """Export the creators that match the filter (or the selection) to CSV, streamed in
    the list's order; it imports back unchanged. An id of another workspace is a 404."""
    member = acting_member(request)
    filters = CreatorFilters(
        q=params.q.strip(),
        tags=tuple(sorted(set(params.tags))),
        campaigns=tuple(sorted(set(params.campaigns))),
        clients=tuple(sorted(set(params.clients))),
        sort=params.sort,
    )
    inbox_filters_check(
        workspace=member.workspace,
        filters=InboxFilters(
            campaigns=filters.campaigns, tags=filters.tags, clients=filters.clients
        ),
    )
    rows = creators_export_rows(
        workspace=member.workspace, filters=filters, ids=params.creators or None
    )
    return _stream(rows, f"creators-{timezone.localdate():%Y-%m-%d}.csv")
