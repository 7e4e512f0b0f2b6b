import pytest

from parley.campaigns.services import (
    campaign_create,
    campaign_member_set_status,
    campaign_members_add,
)
from parley.core.errors import ValidationFailed
from parley.inbox.models import Message
from tests.factories import ClientFactory, CreatorFactory

pytestmark = pytest.mark.django_db


def test_create_for_a_client_of_another_workspace_is_rejected(member, other_member):
    with pytest.raises(ValidationFailed):
        campaign_create(
            workspace=member.workspace,
            name="X",
            client=ClientFactory(workspace=other_member.workspace),
        )
    ok = campaign_create(
        workspace=member.workspace, name="Y", client=ClientFactory(workspace=member.workspace)
    )
    assert ok.client is not None


def test_add_members_only_from_own_workspace_once(member, other_member):
    campaign = campaign_create(workspace=member.workspace, name="Spring")
    ours = CreatorFactory(workspace=member.workspace)
    theirs = CreatorFactory(workspace=other_member.workspace)
    assert campaign_members_add(campaign=campaign, creator_ids=[ours.id, theirs.id]) == 1
    assert campaign_members_add(campaign=campaign, creator_ids=[ours.id]) == 0


def test_status_change_posts_an_event_in_the_thread(member):
    campaign = campaign_create(workspace=member.workspace, name="Spring")
    creator = CreatorFactory(workspace=member.workspace)
    campaign_members_add(campaign=campaign, creator_ids=[creator.id])
    cm = campaign.members.get()
    campaign_member_set_status(campaign_member=cm, status="approved", actor=member)
    event = Message.objects.get(conversation__creator=creator)
    assert event.direction == "event" and "Approved" in event.body_text
    assert event.campaign_id == campaign.id
    with pytest.raises(ValidationFailed):
        campaign_member_set_status(campaign_member=cm, status="bogus")
