"""The right sidebar and the toolbar actions on one creator: profile, tags, custom fields,
notes, campaigns, assignee. Each action answers with the re-rendered sidebar."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from parley.accounts.models import Member
from parley.accounts.selectors import member_get, member_list
from parley.campaigns.assets.selectors import creator_assets_panel
from parley.campaigns.models import Campaign, CampaignMember
from parley.campaigns.selectors import campaign_get, campaign_list
from parley.campaigns.services import campaign_members_add
from parley.core.errors import ValidationFailed
from parley.core.views import int_or_none, member_view
from parley.creators.models import Creator, Identity
from parley.creators.selectors import identity_list, note_list, tag_get, tag_list
from parley.creators.services import (
    creator_profile_update,
    creator_update,
    tag_get_or_create,
    tag_remove,
    tags_add,
)
from parley.inbox.mentions import note_post
from parley.inbox.models import Conversation
from parley.inbox.selectors import conversation_get
from parley.inbox.services import conversation_assign


def sidebar_context(
    member: Member, conversation: Conversation, campaigns: list[Campaign] | None = None
) -> dict:
    """The sidebar's context. `campaigns`: `campaign_list(creator=…)` when the caller has
    it already (the thread pane)."""
    creator = conversation.creator
    identities = identity_list(creator=creator)
    tags = tag_list(workspace=member.workspace, creator=creator)
    if campaigns is None:
        campaigns = campaign_list(workspace=member.workspace, creator=creator)
    statuses = dict(CampaignMember.Status.choices)
    return {
        "conversation": conversation,
        "creator": creator,
        "contacts": [i for i in identities if i.kind in (Identity.Kind.EMAIL, Identity.Kind.PHONE)],
        "socials": [i for i in identities if i.kind in Identity.SOCIAL],
        "creator_tags": [t for t in tags if t.applied],  # type: ignore[attr-defined]
        "all_tags": tags,
        "notes": note_list(creator=creator),
        "memberships": [
            (c, statuses.get(c.creator_status, c.creator_status))  # type: ignore[attr-defined]
            for c in campaigns
            if c.creator_status  # type: ignore[attr-defined]
        ],
        "all_campaigns": campaigns,
        "members": member_list(workspace=member.workspace),
        "identity_kinds": Identity.Kind.choices,
        "channel_choices": Creator.Channel.choices,
        # Campaign actions: the creator's links, codes, payments, agreements and gifts.
        **creator_assets_panel(workspace=member.workspace, creator=creator, campaigns=campaigns),
    }


def _sidebar(
    request: HttpRequest, member: Member, conversation: Conversation, errors: dict | None = None
) -> HttpResponse:
    conversation.refresh_from_db(fields=["assignee"])
    context = sidebar_context(member, conversation)
    context["errors"] = errors or {}
    return render(request, "inbox/_sidebar.html", context, status=422 if errors else 200)


def _action(request: HttpRequest, member: Member, conversation_id: int, do) -> HttpResponse:  # type: ignore[no-untyped-def]
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    try:
        do(conversation)
    except ValidationFailed as exc:
        return _sidebar(request, member, conversation, exc.errors)
    return _sidebar(request, member, conversation)


@member_view
@require_POST
def tag_add(request: HttpRequest, member: Member, conversation_id: int) -> HttpResponse:
    def do(conversation: Conversation) -> None:
        tag_id = int_or_none(request.POST.get("tag"))
        if tag_id:
            tag = tag_get(workspace=member.workspace, id=tag_id)
        else:
            tag = tag_get_or_create(workspace=member.workspace, name=request.POST.get("name", ""))
        tags_add(tag=tag, creator_ids=[conversation.creator_id])

    return _action(request, member, conversation_id, do)


@member_view
@require_POST
def tag_delete(
    request: HttpRequest, member: Member, conversation_id: int, tag_id: int
) -> HttpResponse:
    def do(conversation: Conversation) -> None:
        tag_remove(tag=tag_get(workspace=member.workspace, id=tag_id), creator=conversation.creator)

    return _action(request, member, conversation_id, do)


@member_view
@require_POST
def fields(request: HttpRequest, member: Member, conversation_id: int) -> HttpResponse:
    """Edit custom fields: existing keys as `field:<name>`, plus one new key/value pair."""

    def do(conversation: Conversation) -> None:
        values = {
            key.removeprefix("field:"): value
            for key, value in request.POST.items()
            if key.startswith("field:")
        }
        new_key = request.POST.get("new_key", "").strip()
        if new_key:
            values[new_key] = request.POST.get("new_value", "")
        creator_update(creator=conversation.creator, custom_fields=values)

    return _action(request, member, conversation_id, do)


@member_view
@require_POST
def note(request: HttpRequest, member: Member, conversation_id: int) -> HttpResponse:
    def do(conversation: Conversation) -> None:
        note_post(creator=conversation.creator, author=member, body=request.POST.get("body", ""))

    return _action(request, member, conversation_id, do)


@member_view
@require_POST
def campaign_add(request: HttpRequest, member: Member, conversation_id: int) -> HttpResponse:
    def do(conversation: Conversation) -> None:
        campaign_id = int_or_none(request.POST.get("campaign"))
        if campaign_id is None:
            raise ValidationFailed({"campaign": [_("Pick a campaign.")]})
        campaign = campaign_get(workspace=member.workspace, id=campaign_id)
        campaign_members_add(campaign=campaign, creator_ids=[conversation.creator_id])

    return _action(request, member, conversation_id, do)


@member_view
@require_POST
def assign(request: HttpRequest, member: Member, conversation_id: int) -> HttpResponse:
    def do(conversation: Conversation) -> None:
        assignee_id = int_or_none(request.POST.get("assignee"))
        assignee = member_get(workspace=member.workspace, id=assignee_id) if assignee_id else None
        conversation_assign(actor=member, conversation=conversation, assignee=assignee)

    return _action(request, member, conversation_id, do)


@member_view
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest, member: Member, conversation_id: int) -> HttpResponse:
    """Update Profile: name, first name, preferred channel, and a new identity."""
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        value = request.POST.get("identity_value", "").strip()
        try:
            creator_profile_update(
                creator=conversation.creator,
                name=request.POST.get("name", ""),
                first_name=request.POST.get("first_name", ""),
                preferred_channel=request.POST.get("preferred_channel", ""),
                new_identity=(
                    request.POST.get("identity_kind", ""),
                    value,
                    request.POST.get("identity_url", ""),
                )
                if value
                else None,
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            return _sidebar(request, member, conversation)
    context = sidebar_context(member, conversation)
    context.update(errors=errors, form=request.POST)
    return render(request, "inbox/_profile_form.html", context, status=422 if errors else 200)
