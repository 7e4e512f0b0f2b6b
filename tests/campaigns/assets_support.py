"""Shared set-up of the campaign-action tests (a pytest plugin, see tests/conftest.py): a
campaign with a creator in it (with an email address and a conversation), a connected
mailbox, and the portal seam."""

from dataclasses import dataclass

import pytest
from django.utils import timezone

from parley.accounts.models import Member
from parley.campaigns.models import Campaign, CampaignMember
from parley.channels.email.models import Mailbox
from parley.creators.models import Creator, Identity
from parley.inbox.models import Conversation
from parley.inbox.services import conversation_get_or_create
from tests.factories import CampaignFactory, CampaignMemberFactory, CreatorFactory


@dataclass
class Setup:
    member: Member
    campaign: Campaign
    creator: Creator
    membership: CampaignMember
    conversation: Conversation
    mailbox: Mailbox


def creator_in(campaign: Campaign, name: str = "Ann Example", email: str = "") -> Creator:
    creator = CreatorFactory(workspace=campaign.workspace, name=name, first_name=name.split()[0])
    if email:
        Identity.objects.create(
            workspace=campaign.workspace,
            creator=creator,
            kind=Identity.Kind.EMAIL,
            value=email,
            normalized=email,
            is_primary=True,
        )
    CampaignMemberFactory(campaign=campaign, creator=creator)
    return creator


@pytest.fixture
def spring(member: Member) -> Setup:
    campaign = CampaignFactory(workspace=member.workspace, name="Spring")
    creator = creator_in(campaign, email="ann@creator.test")
    mailbox = Mailbox.objects.create(
        workspace=member.workspace,
        connected_by=member,
        address="team@brand.test",
        connected_at=timezone.now(),
        is_default=True,
        smtp_host="127.0.0.1",
    )
    return Setup(
        member=member,
        campaign=campaign,
        creator=creator,
        membership=CampaignMember.objects.get(campaign=campaign, creator=creator),
        conversation=conversation_get_or_create(creator=creator),
        mailbox=mailbox,
    )


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every creator has a portal account (the seam answers yes), as once the portal
    exists."""
    monkeypatch.setattr("parley.campaigns.assets.portal.creator_has_portal", lambda **kw: True)
