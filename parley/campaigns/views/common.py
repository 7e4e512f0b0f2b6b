"""What the Campaigns pages share: a campaign's header and tabs, errors as a fragment."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from parley.accounts.models import Member
from parley.campaigns.models import Campaign, CampaignMember
from parley.campaigns.selectors import campaign_member_counts
from parley.core.errors import ValidationFailed

PAGE_SIZE = 50
STATUSES = CampaignMember.Status


def errors_response(request: HttpRequest, exc: ValidationFailed, status: int = 422) -> HttpResponse:
    return render(request, "inbox/_errors.html", {"errors": exc.errors}, status=status)


def campaign_context(member: Member, campaign: Campaign, tab: str) -> dict[str, Any]:
    counts = campaign_member_counts(campaign_ids=[campaign.id]).get(campaign.id, {})
    return {
        "campaign": campaign,
        "tab": tab,
        "counts": counts,
        "total": sum(counts.values()),
        "archived": campaign.status == Campaign.Status.ARCHIVED,
    }
