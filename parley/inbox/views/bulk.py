"""Bulk actions on the selected creators, or on every creator that matches the filter."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from parley.accounts.models import Member
from parley.broadcasts.campaign_mail import campaign_members_transition
from parley.broadcasts.services import broadcast_draft
from parley.campaigns.selectors import campaign_get
from parley.campaigns.services import campaign_members_add
from parley.campaigns.workflow import EMAIL_OF_TARGET
from parley.core.errors import ValidationFailed
from parley.core.text import id_or_none
from parley.core.views import int_or_none, member_view
from parley.creators.enrichment.services import email_requests_create
from parley.creators.selectors import tag_get
from parley.creators.services import tag_get_or_create, tags_add
from parley.inbox.filters import filters_from_query
from parley.inbox.selectors import conversation_match_ids


def _creator_ids(request: HttpRequest, member: Member, cap: int) -> list[int]:
    if request.POST.get("select_all") == "1":
        filters = filters_from_query(request.POST)
        ids = conversation_match_ids(member=member, filters=filters, cap=cap)
        if len(ids) > cap:
            raise ValidationFailed(
                _("At most %(n)s creators at once: narrow the filter.") % {"n": cap}
            )
        return ids
    picked = [int_or_none(v) for v in request.POST.getlist("creators")]
    return [i for i in picked if i is not None]


@member_view
@require_POST
def bulk(request: HttpRequest, member: Member) -> HttpResponse:
    action = request.POST.get("action") or ""
    # The bulk bar's menus name their choice in the action: "tag:<id>", "campaign:<id>".
    chosen = None
    for kind in ("tag", "campaign"):
        if action.startswith(f"{kind}:"):
            action, chosen = kind, action.removeprefix(f"{kind}:")
    try:
        mass = action == "broadcast"
        # A status change that sends its email goes through the mass-message writer.
        emails = action.removeprefix("status:") in EMAIL_OF_TARGET
        cap = settings.PARLEY_BROADCAST_LIMIT if mass or emails else settings.PARLEY_BULK_LIMIT
        ids = _creator_ids(request, member, cap)
        if not ids:
            raise ValidationFailed(_("Select at least one creator."))
        if mass:
            campaign_id = id_or_none(request.POST.get("campaign"))
            campaign = (
                campaign_get(workspace=member.workspace, id=campaign_id) if campaign_id else None
            )
            draft = broadcast_draft(member=member, creator_ids=ids, campaign=campaign)
            response = HttpResponse()
            response["HX-Redirect"] = reverse("broadcasts:edit", args=[draft.id])
            return response
        if action == "tag":
            tag_id = int_or_none(chosen or request.POST.get("bulk_tag"))
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
            campaign_id = int_or_none(chosen or request.POST.get("bulk_campaign"))
            if campaign_id is None:
                raise ValidationFailed({"bulk_campaign": [_("Pick a campaign.")]})
            campaign = campaign_get(workspace=member.workspace, id=campaign_id)
            added = campaign_members_add(campaign=campaign, creator_ids=ids)
            text = ngettext(
                "Added %(n)s creator to %(campaign)s.",
                "Added %(n)s creators to %(campaign)s.",
                added,
            ) % {"n": added, "campaign": campaign.name}
        elif action == "fetch_email":
            outcome = email_requests_create(
                workspace=member.workspace, creator_ids=ids, member=member
            )
            n = len(outcome.requested)
            text = ngettext(
                "Fetch Email requested for %(n)s creator.",
                "Fetch Email requested for %(n)s creators.",
                n,
            ) % {"n": n}
            if outcome.skipped:
                skipped = len(outcome.skipped)
                text += " " + ngettext(
                    "%(n)s skipped (already has an email, or no handle to look up).",
                    "%(n)s skipped (they already have an email, or no handle to look up).",
                    skipped,
                ) % {"n": skipped}
        elif action.startswith("status:"):
            # The campaign chosen in the drop-down: its status changes for the creators.
            campaign_id = id_or_none(request.POST.get("campaign"))
            if campaign_id is None:
                raise ValidationFailed(_("Choose a campaign in the drop-down first."))
            campaign = campaign_get(workspace=member.workspace, id=campaign_id)
            status = action.removeprefix("status:")
            text = campaign_members_transition(
                member=member, campaign=campaign, creator_ids=ids, status=status
            ).summary(status)
        else:
            raise ValidationFailed({"action": [_("Unknown action.")]})
    except ValidationFailed as exc:
        return render(request, "inbox/_errors.html", {"errors": exc.errors}, status=422)
    response = render(request, "inbox/_flash.html", {"text": text})
    response["HX-Trigger-After-Settle"] = "inbox-changed"
    return response
