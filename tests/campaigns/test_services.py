import pytest

from parley.campaigns.models import CampaignMember
from parley.campaigns.services import (
    brief_sanitise,
    campaign_archive,
    campaign_create,
    campaign_email_templates,
    campaign_members_add,
    campaign_restore,
    campaign_update,
)
from parley.core.errors import Conflict, ValidationFailed
from parley.inbox.models import Conversation, Message
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


def test_added_creators_start_as_added_with_activity_and_no_conversation(member):
    campaign = campaign_create(workspace=member.workspace, name="Spring")
    creator = CreatorFactory(workspace=member.workspace)
    campaign_members_add(campaign=campaign, creator_ids=[creator.id])
    cm = campaign.members.get()
    assert cm.status == CampaignMember.Status.ADDED and cm.last_activity_at is not None
    # adding is no event: it would pull every creator added into the inbox
    assert not Conversation.objects.exists() and not Message.objects.exists()
    with pytest.raises(ValidationFailed):
        campaign_members_add(campaign=campaign, creator_ids=[creator.id], status="invited")


def test_a_new_campaign_has_its_three_emails(member):
    campaign = campaign_create(
        workspace=member.workspace,
        name="Spring",
        templates={"approval": ("Yes, {{ first_name }}", "You are in.")},
    )
    templates = campaign_email_templates(campaign=campaign)
    assert list(templates) == ["invitation", "approval", "rejection"]
    assert templates["approval"].subject == "Yes, {{ first_name }}"
    assert "{{ campaign }}" in templates["invitation"].subject


def test_every_problem_at_once_and_nothing_stored(member):
    from datetime import date

    with pytest.raises(ValidationFailed) as bad:
        campaign_create(
            workspace=member.workspace,
            name=" ",
            starts_on=date(2026, 6, 2),
            ends_on=date(2026, 6, 1),
            agreement_template="{% for %}",
            templates={"invitation": ("{{ first_name }", "Hi")},
        )
    assert set(bad.value.errors) == {"name", "ends_on", "agreement_template", "invitation_subject"}
    assert "Line 1" in bad.value.errors["agreement_template"][0]


def test_brief_keeps_formatting_and_drops_anything_active():
    html = brief_sanitise(
        '<h2 style="color:red">Brief</h2><p>Post <strong>2</strong> reels</p>'
        '<img src="https://tracker.test/p.gif"><iframe src="x"></iframe>'
        '<ul><li><a href="https://brand.test" onclick="x()">Shop</a></li></ul>'
    )
    assert html == (
        "<h2>Brief</h2><p>Post <strong>2</strong> reels</p>"
        '<ul><li><a href="https://brand.test" rel="noopener noreferrer nofollow">Shop</a>'
        "</li></ul>"
    )


def test_archive_and_restore(member):
    campaign = campaign_create(workspace=member.workspace, name="Spring")
    creator = CreatorFactory(workspace=member.workspace)
    campaign_archive(campaign=campaign)
    with pytest.raises(Conflict):
        campaign_members_add(campaign=campaign, creator_ids=[creator.id])
    campaign_restore(campaign=campaign)
    assert campaign_members_add(campaign=campaign, creator_ids=[creator.id]) == 1
    assert campaign_update(campaign=campaign, name="Summer").name == "Summer"
