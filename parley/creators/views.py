"""The Creators section: the "My Creators" list (search, filters, sort, keyset paging, bulk
actions, export), adding a creator by hand, a creator's profile, and CSV import."""

from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parley.accounts.models import Member
from parley.accounts.selectors import member_list
from parley.broadcasts.services import broadcast_draft
from parley.campaigns.assets.selectors import creator_assets_panel
from parley.campaigns.models import CampaignMember
from parley.campaigns.selectors import campaign_get, campaign_list, inbox_filter_options
from parley.campaigns.selectors import inbox_filters_check as filter_ids_check
from parley.campaigns.services import campaign_members_add
from parley.channels.email.selectors import mailbox_list
from parley.core.errors import ValidationFailed
from parley.core.text import id_or_none
from parley.core.views import apply_errors, member_view
from parley.creators import csvio
from parley.creators.enrichment.selectors import email_requests_latest
from parley.creators.export import creators_export_rows
from parley.creators.filters import CreatorFilters, creator_filters_from_query, selected_ids
from parley.creators.forms import CreatorForm, ImportUploadForm, MappingForm
from parley.creators.imports import (
    PREVIEW_ROWS,
    creator_import_preview,
    creator_import_start,
    creator_import_upload,
    import_max_bytes,
    import_summary,
    mapping_clean,
)
from parley.creators.models import CreatorImport, Identity
from parley.creators.selectors import (
    creator_get,
    creator_import_failures,
    creator_import_get,
    creator_import_list,
    creator_list_page,
    creator_match_ids,
    creator_tags,
    identities_taken,
    identity_list,
    note_list,
    tag_get,
)
from parley.creators.services import creator_add, tag_get_or_create, tags_add
from parley.inbox.filters import InboxFilters
from parley.inbox.selectors import conversation_for_creator, thread_messages
from parley.inbox.services import conversation_get_or_create
from parley.inbox.views.rows import checkboxes_html, select_options_html

PAGE_SIZE = 50


def _inbox_filters(filters: CreatorFilters) -> InboxFilters:
    """The tag, campaign and client ids as inbox filters: the check that they are the
    workspace's, and the filter options, are the inbox's (one query)."""
    return InboxFilters(campaigns=filters.campaigns, tags=filters.tags, clients=filters.clients)


def _bad_filter(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
    return render(request, "inbox/_errors.html", {"errors": exc.errors}, status=400)


def _rows_context(member: Member, filters: CreatorFilters, cursor: str | None) -> dict[str, Any]:
    page = creator_list_page(
        workspace=member.workspace, filters=filters, cursor=cursor, limit=PAGE_SIZE
    )
    # Each row's latest Fetch Email request (one query for the page).
    requests = email_requests_latest(
        workspace=member.workspace, creator_ids=[c.id for c in page.creators]
    )
    for creator in page.creators:
        creator.email_request = requests.get(creator.id)  # type: ignore[attr-defined]
    query = filters.to_query()
    return {
        "page": page,
        "filters": filters,
        "next_query": urlencode([*query, ("cursor", page.next_cursor)]) if page.next_cursor else "",
        "export_query": urlencode(query),
        "sort_links": _sort_links(filters),
    }


def _sort_links(filters: CreatorFilters) -> dict[str, dict[str, str]]:
    """Per column: the query that sorts by it (the other way when it is the sort in force)
    and the arrow to show."""
    links = {}
    for column, first in (("name", "name"), ("followers", "-followers"), ("added", "-added")):
        current = filters.sort.lstrip("-") == column
        sort = ("-" + column if not filters.sort.startswith("-") else column) if current else first
        query = urlencode([*filters.to_query(with_sort=False), ("sort", sort)])
        arrow = ("↓" if filters.sort.startswith("-") else "↑") if current else ""
        links[column] = {
            "query": query,
            "sort": sort,
            "arrow": arrow,
            "current": "true" if current else "",
        }
    return links


@member_view
@require_GET
def creators(request: HttpRequest, member: Member) -> HttpResponse:
    try:
        filters = creator_filters_from_query(request.GET)
        options = inbox_filter_options(workspace=member.workspace, filters=_inbox_filters(filters))
        context = _rows_context(member, filters, request.GET.get("cursor"))
    except ValidationFailed as exc:
        return _bad_filter(request, exc)
    context.update(
        tag_boxes=checkboxes_html("tags", options.tags, filters.tags),
        campaign_boxes=checkboxes_html("campaigns", options.campaigns, filters.campaigns),
        client_boxes=checkboxes_html("clients", options.clients, filters.clients),
        bulk_tag_options=select_options_html(options.tags),
        bulk_campaign_options=select_options_html(options.campaigns),
        has_campaigns=bool(options.campaigns),
        # An empty first page without a filter: the workspace has no creators yet.
        no_creators=filters.is_empty and not context["page"].creators,
    )
    return render(request, "creators/list.html", context)


@member_view
@require_GET
def rows(request: HttpRequest, member: Member) -> HttpResponse:
    """The rows alone: htmx swaps them on filter and sort changes and "Load more"."""
    try:
        filters = creator_filters_from_query(request.GET)
        filter_ids_check(workspace=member.workspace, filters=_inbox_filters(filters))
        context = _rows_context(member, filters, request.GET.get("cursor"))
    except ValidationFailed as exc:
        return _bad_filter(request, exc)
    context["append"] = bool(request.GET.get("cursor"))
    return render(request, "creators/_rows.html", context)


@member_view
@require_GET
def export(request: HttpRequest, member: Member) -> HttpResponse:
    """The filter (or the creators ticked, `creators=`) as CSV, streamed."""
    try:
        filters = creator_filters_from_query(request.GET)
        filter_ids_check(workspace=member.workspace, filters=_inbox_filters(filters))
        ids = selected_ids(request.GET) or None
    except ValidationFailed as exc:
        return _bad_filter(request, exc)
    return csv_download(
        creators_export_rows(workspace=member.workspace, filters=filters, ids=ids),
        f"creators-{timezone.localdate():%Y-%m-%d}.csv",
    )


def csv_download(rows: Any, filename: str) -> HttpResponse:
    """A streamed CSV download (typed as the HttpResponse member_view expects)."""
    response = StreamingHttpResponse(csvio.csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return cast(HttpResponse, response)


def _bulk_ids(request: HttpRequest, member: Member, cap: int) -> list[int]:
    if request.POST.get("select_all") == "1":
        filters = creator_filters_from_query(request.POST)
        filter_ids_check(workspace=member.workspace, filters=_inbox_filters(filters))
        ids = creator_match_ids(workspace=member.workspace, filters=filters, cap=cap)
        if len(ids) > cap:
            raise ValidationFailed(
                _("At most %(n)s creators at once: narrow the filter.") % {"n": cap}
            )
        return ids
    return selected_ids(request.POST)


@member_view
@require_POST
def bulk(request: HttpRequest, member: Member) -> HttpResponse:
    """The inbox's bulk actions (tag, add to campaign, mass message) and export, on the
    creators ticked or all that match the filter."""
    action = request.POST.get("action")
    try:
        if action == "export":
            if request.POST.get("select_all") == "1":
                query = creator_filters_from_query(request.POST).to_query()
            else:
                query = [("creators", str(i)) for i in selected_ids(request.POST)]
                if not query:
                    raise ValidationFailed(_("Select at least one creator."))
            response = HttpResponse()
            response["HX-Redirect"] = reverse("creators:export") + "?" + urlencode(query)
            return response
        mass = action == "broadcast"
        cap = settings.PARLEY_BROADCAST_LIMIT if mass else settings.PARLEY_BULK_LIMIT
        ids = _bulk_ids(request, member, cap)
        if not ids:
            raise ValidationFailed(_("Select at least one creator."))
        if mass:
            draft = broadcast_draft(member=member, creator_ids=ids)
            response = HttpResponse()
            response["HX-Redirect"] = reverse("broadcasts:edit", args=[draft.id])
            return response
        if action == "tag":
            tag_id = id_or_none(request.POST.get("bulk_tag"))
            tag = (
                tag_get(workspace=member.workspace, id=tag_id)
                if tag_id
                else tag_get_or_create(
                    workspace=member.workspace, name=request.POST.get("bulk_tag_name", "")
                )
            )
            added = tags_add(tag=tag, creator_ids=ids)
            text = ngettext(
                "Tagged %(n)s creator with %(tag)s.", "Tagged %(n)s creators with %(tag)s.", added
            ) % {"n": added, "tag": tag.name}
        elif action == "campaign":
            campaign_id = id_or_none(request.POST.get("bulk_campaign"))
            if campaign_id is None:
                raise ValidationFailed({"bulk_campaign": [_("Pick a campaign.")]})
            campaign = campaign_get(workspace=member.workspace, id=campaign_id)
            added = campaign_members_add(campaign=campaign, creator_ids=ids)
            text = ngettext(
                "Added %(n)s creator to %(campaign)s.",
                "Added %(n)s creators to %(campaign)s.",
                added,
            ) % {"n": added, "campaign": campaign.name}
        else:
            raise ValidationFailed({"action": [_("Unknown action.")]})
    except ValidationFailed as exc:
        return render(request, "inbox/_errors.html", {"errors": exc.errors}, status=422)
    response = render(request, "inbox/_flash.html", {"text": text})
    response["HX-Trigger-After-Settle"] = "creators-changed"
    return response


# Adding by hand --------------------------------------------------------------------------


@member_view
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest, member: Member) -> HttpResponse:
    """Add a creator by hand. An email, phone or handle that another creator already has
    is pointed out with a link to that creator. Every problem is reported on one submit:
    the taken ones are looked up even when another field has an error."""
    form = CreatorForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        form.is_valid()  # every field's errors (the form checks creator_add's limits)
        identities = form.cleaned_data["identities"]
        taken = identities_taken(
            workspace=member.workspace, keys=[(k, n) for k, _v, n in identities]
        )
        for kind, normalized, other in taken:
            field = {"email": "emails", "phone": "phones"}.get(kind, kind)
            url = reverse("creators:detail", args=[other.id])
            form.add_error(
                field,
                format_html(
                    escape(_("%(value)s belongs to %(creator)s already."))
                    % {
                        "value": "{}",
                        "creator": '<a href="{}" data-testid="duplicate-link">{}</a>',
                    },
                    normalized,
                    url,
                    other.name,
                ),
            )
        if not form.errors:
            data = form.cleaned_data
            try:
                creator = creator_add(
                    workspace=member.workspace,
                    name=data["name"],
                    first_name=data["first_name"],
                    preferred_channel=data["preferred_channel"],
                    identities=[(k, v) for k, v, _n in identities],
                    tags=data["tags"],
                    custom_fields=data["custom_fields"],
                    followers=data["followers"],
                )
            except ValidationFailed as exc:
                apply_errors(form, exc)
            else:
                return redirect("creators:detail", creator.id)
    status = 422 if form.is_bound else 200
    return render(request, "creators/new.html", {"form": form}, status=status)


# Profile ---------------------------------------------------------------------------------


@member_view
@require_GET
def detail(request: HttpRequest, member: Member, creator_id: int) -> HttpResponse:
    """Everything the inbox sidebar shows, plus every identity and the message history."""
    creator = creator_get(workspace=member.workspace, id=creator_id)
    identities = identity_list(creator=creator)
    campaigns = campaign_list(workspace=member.workspace, creator=creator)
    statuses = dict(CampaignMember.Status.choices)
    conversation = conversation_for_creator(workspace=member.workspace, creator_id=creator.id)
    messages = thread_messages(conversation=conversation, limit=20) if conversation else []
    notes = note_list(creator=creator)
    context = {
        "creator": creator,
        "identities": identities,
        "socials": [i for i in identities if i.kind in Identity.SOCIAL],
        "tags": creator_tags(creator=creator),
        "notes": notes,
        # The teammates an @mention in a note links to (read only when a note has an @).
        "note_members": member_list(workspace=member.workspace)
        if any("@" in n.body for n in notes)
        else [],
        "memberships": [
            (c, statuses.get(c.creator_status, c.creator_status))  # type: ignore[attr-defined]
            for c in campaigns
            if c.creator_status  # type: ignore[attr-defined]
        ],
        "conversation": conversation,
        # Not "messages": that is the name of the flash messages in every template.
        "history": list(reversed(messages)),
        "has_mailbox": bool(mailbox_list(workspace=member.workspace)),
        # Campaign actions: links with clicks, codes, payments, agreements, gifts.
        **creator_assets_panel(workspace=member.workspace, creator=creator, campaigns=campaigns),
    }
    return render(request, "creators/detail.html", context)


@member_view
@require_POST
def start_conversation(request: HttpRequest, member: Member, creator_id: int) -> HttpResponse:
    """Open the creator's conversation (made now if they have none) in the inbox. With
    `channel=email` ("Send email") the message box starts on email."""
    creator = creator_get(workspace=member.workspace, id=creator_id)
    conversation = conversation_get_or_create(creator=creator)
    url = reverse("inbox:conversation", args=[conversation.id])
    if request.POST.get("channel") == "email":
        url += "?" + urlencode({"compose": "email"})
    return redirect(url)


# Import ----------------------------------------------------------------------------------


@member_view
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest, member: Member) -> HttpResponse:
    form = ImportUploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    too_big = int(request.META.get("CONTENT_LENGTH") or 0) > import_max_bytes() + 100_000
    if request.method == "POST" and too_big:
        form = ImportUploadForm()
        form.add_error(
            "file",
            _("The file is over the limit of %(limit)s MB.")
            % {"limit": f"{import_max_bytes() / 1_000_000:.0f}"},
        )
    elif form.is_bound and form.is_valid():
        try:
            creator_import = creator_import_upload(
                member=member,
                upload=form.cleaned_data["file"],
                phone_region=form.cleaned_data["phone_region"],
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            return redirect("creators:import_detail", creator_import.id)
    context = {
        "form": form,
        "imports": creator_import_list(workspace=member.workspace),
        "limit_mb": f"{import_max_bytes() / 1_000_000:.0f}",
    }
    return render(request, "creators/import.html", context, status=422 if form.errors else 200)


def _samples(creator_import: CreatorImport) -> list[list[str]]:
    from parley.creators.imports import _data_rows

    rows = []
    for _line, cells in _data_rows(creator_import):
        rows.append(cells)
        if len(rows) == PREVIEW_ROWS:
            break
    return rows


@member_view
@require_http_methods(["GET", "POST"])
def import_detail(request: HttpRequest, member: Member, import_id: int) -> HttpResponse:
    """Mapping and preview while the import waits for them; its progress and report after."""
    creator_import = creator_import_get(workspace=member.workspace, id=import_id)
    if creator_import.state != CreatorImport.State.MAPPING:
        context = _progress_context(creator_import)
        if not request.htmx:  # type: ignore[attr-defined]
            return render(request, "creators/import_progress.html", context)
        # 286 tells htmx to stop polling: the import is over.
        status = 200 if context["running"] else 286
        return render(request, "creators/_import_progress.html", context, status=status)
    initial: dict[str, Any] = {f"col_{c}": t for c, t in creator_import.mapping.items()}
    initial["phone_region"] = creator_import.phone_region
    samples = _samples(creator_import)
    post = request.POST if request.method == "POST" else None
    form = MappingForm(post, headers=creator_import.headers, samples=samples, initial=initial)
    mapping = creator_import.mapping
    status = 200
    if post is not None:
        if form.is_valid():
            mapping = form.mapping()
            try:
                if request.POST.get("action") == "import":
                    creator_import_start(
                        creator_import=creator_import,
                        mapping=mapping,
                        phone_region=form.cleaned_data["phone_region"],
                    )
                    return redirect("creators:import_detail", creator_import.id)
                creator_import.phone_region = form.cleaned_data["phone_region"]
                mapping = mapping_clean(headers=creator_import.headers, mapping=mapping)
            except ValidationFailed as exc:
                apply_errors(form, exc)
                status = 422
        else:
            status = 422
    try:
        preview = creator_import_preview(
            creator_import=creator_import,
            mapping={c: t for c, t in mapping.items() if not t.endswith(":")},
        )
    except ValidationFailed:
        preview = []
    context = {
        "creator_import": creator_import,
        "form": form,
        "preview": preview,
        "headers": creator_import.headers,
    }
    return render(request, "creators/import_map.html", context, status=status)


def _progress_context(creator_import: CreatorImport) -> dict[str, Any]:
    return {
        "creator_import": creator_import,
        "summary": import_summary(creator_import),
        "failures": list(creator_import.failures.order_by("line")[:20]),
        "running": creator_import.state
        in (CreatorImport.State.QUEUED, CreatorImport.State.RUNNING),
    }


@member_view
@require_GET
def import_failures(request: HttpRequest, member: Member, import_id: int) -> HttpResponse:
    """The failed rows as CSV: the file's own columns, then the line and the reason."""
    creator_import = creator_import_get(workspace=member.workspace, id=import_id)
    return csv_download(failure_rows(creator_import), f"import-{creator_import.id}-failed-rows.csv")


def failure_rows(creator_import: CreatorImport) -> Any:
    width = len(creator_import.headers)
    # Column names that an import of this file (fixed) leaves out: not translated.
    yield [*creator_import.headers, "line", "error"]
    for failure in creator_import_failures(creator_import=creator_import):
        cells = [str(v) for v in failure.values][:width]
        cells += [""] * (width - len(cells))
        yield [*cells, str(failure.line), failure.reason]
