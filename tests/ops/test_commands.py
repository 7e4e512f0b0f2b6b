import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from parley.accounts.models import ApiToken, Member, Workspace
from parley.accounts.selectors import api_token_member
from parley.campaigns.models import Campaign, CampaignMember
from parley.creators.models import Creator
from parley.inbox.models import Conversation, InboxEntry, Message, Notification
from parley.ops.management.commands.run import public_url
from parley.portal.models import ContentSubmission

pytestmark = pytest.mark.django_db


def test_demo_builds_a_believable_workspace(capsys):
    call_command("demo", creators=60, messages=600)
    workspace = Workspace.objects.get()
    assert Member.objects.filter(workspace=workspace).count() == 3
    assert workspace.clients.count() == 2
    assert Campaign.objects.filter(workspace=workspace).count() == 5
    assert Creator.objects.filter(workspace=workspace).count() == 60
    assert 400 <= Message.objects.count() <= 800
    assert InboxEntry.objects.filter(unread=True).exists()
    assert Notification.objects.filter(kind="inbound").count() == (
        InboxEntry.objects.filter(unread=True).count()
    )
    # the denormalised columns agree with the messages
    for conversation in Conversation.objects.all()[:20]:
        last = conversation.messages.order_by("-created_at").first()
        assert last is not None and conversation.last_activity_at == last.created_at
    assert "demo@parley.test" in capsys.readouterr().out
    # The Creators list's followers are the profiles' (the list showed "—" for everyone).
    assert not Creator.objects.filter(followers=0).exists()
    # Who is marked "Content submitted" has content waiting for review.
    marked = CampaignMember.objects.filter(status=CampaignMember.Status.CONTENT_SUBMITTED)
    waiting = ContentSubmission.objects.filter(status=ContentSubmission.Status.SUBMITTED)
    assert marked.exists()
    assert sorted(marked.values_list("campaign_id", "creator_id")) == sorted(
        waiting.values_list("campaign_id", "creator_id")
    )


def test_createuser_and_token(capsys):
    call_command("createuser", email="Ann@Brand.io", password="a-long-password", workspace="Brand")
    member = Member.objects.get(user__email="ann@brand.io")
    call_command("token", "create", email="ann@brand.io")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    found = api_token_member(raw=raw)
    assert found is not None and found[1] == member
    assert ApiToken.objects.get().digest != raw
    with pytest.raises(CommandError):
        call_command("createuser", email="ann@brand.io", password="x", workspace="Again")
    with pytest.raises(CommandError):
        call_command("token", "create", email="nobody@brand.io")


def test_createuser_joins_existing_workspace_with_inbox_entries(member, make_conversation):
    make_conversation()
    call_command(
        "createuser",
        email="new@brand.io",
        password="a-long-password",
        workspace=str(member.workspace_id),
    )
    newcomer = Member.objects.get(user__email="new@brand.io")
    assert newcomer.workspace_id == member.workspace_id
    assert InboxEntry.objects.filter(member=newcomer).count() == 1


def test_run_points_links_where_it_listens():
    # `make run ADDR=…` without PARLEY_PUBLIC_URL: portal and tracking links in emails
    # point at the server that sent them, not at the default port.
    assert public_url("127.0.0.1:8777") == "http://127.0.0.1:8777"
    assert public_url("8001") == "http://127.0.0.1:8001"
    assert public_url("0.0.0.0:8000") == "http://127.0.0.1:8000"
    assert public_url("parley.local:80") == "http://parley.local:80"
