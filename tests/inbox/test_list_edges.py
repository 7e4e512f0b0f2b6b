"""The inbox list's rough edges (issue 17): two creators of one name told apart, dates in
the active language, the bulk bar's menus and the count of "All that match"."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from parley.campaigns.models import CampaignMember
from parley.creators.models import CreatorTag, Identity
from parley.inbox.models import Channel, Message
from parley.inbox.services import message_record
from tests.factories import CampaignFactory, TagFactory

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 27, 14, 5, tzinfo=UTC)


def _identity(conversation, kind: str, value: str, primary: bool = False) -> None:  # type: ignore[no-untyped-def]
    Identity.objects.create(
        workspace_id=conversation.workspace_id,
        creator=conversation.creator,
        kind=kind,
        value=value,
        normalized=value.lower().lstrip("@"),
        is_primary=primary,
    )


def test_two_creators_of_one_name_show_their_handle_or_email(logged_in, make_conversation):
    first = make_conversation(name="Anna Müller", inbound=1)
    _identity(first, "email", "anna@one.test", primary=True)
    _identity(first, "instagram", "@anna.bakes")
    _identity(first, "phone", "+358401234567", primary=True)
    second = make_conversation(name="Anna Müller", inbound=1)
    _identity(second, "email", "anna@two.test")
    make_conversation(name="Nobody Else", inbound=1)

    html = logged_in.get(reverse("inbox:list")).content.decode()

    # A handle before an email, whichever is primary; never the phone.
    assert 'Anna Müller <span class="handle" data-testid="creator-label">@anna.bakes</span>' in html
    assert (
        'Anna Müller <span class="handle" data-testid="creator-label">anna@two.test</span>' in html
    )
    assert "+358401234567" not in html
    assert html.count('data-testid="creator-label"') == 2


@pytest.mark.parametrize(
    ("language", "day", "when"),
    [
        ("en", "Nov 27", "Nov 27 14:05"),
        ("de", "27. Nov", "27. Nov 14:05"),
        ("fi", "27.11.", "27.11. 14.05"),
    ],
)
def test_dates_follow_the_active_language(logged_in, make_conversation, language, day, when):
    conversation = make_conversation(name="Ada", at=AT)
    message_record(
        conversation=conversation,
        channel=Channel.INAPP,
        direction=Message.Direction.INBOUND,
        status=Message.Status.RECEIVED,
        body_text="Hello",
        author_creator=conversation.creator,
        created_at=AT,
    )
    headers = {"Accept-Language": language}
    rows = logged_in.get(reverse("inbox:rows"), headers=headers).content.decode()
    assert f">{day}</time>" in rows
    thread = logged_in.get(
        reverse("inbox:thread", args=[conversation.id]), headers=headers
    ).content.decode()
    assert f">{when}</time>" in thread


def test_the_bulk_menus_name_their_choice_in_the_action(logged_in, member, make_conversation):
    a = make_conversation(name="Ada")
    b = make_conversation(name="Bert")
    tag = TagFactory(workspace=member.workspace, name="summer")
    campaign = CampaignFactory(workspace=member.workspace, name="Launch")
    page = logged_in.get(reverse("inbox:list")).content.decode()
    assert f'name="action" value="tag:{tag.id}">summer</button>' in page
    assert f'name="action" value="campaign:{campaign.id}">Launch</button>' in page

    tagged = logged_in.post(
        reverse("inbox:bulk"), {"action": f"tag:{tag.id}", "creators": [a.creator_id]}
    )
    added = logged_in.post(
        reverse("inbox:bulk"),
        {"action": f"campaign:{campaign.id}", "creators": [a.creator_id, b.creator_id]},
    )

    assert "Tagged 1 creator with summer." in tagged.content.decode()
    assert "Added 2 creators to Launch." in added.content.decode()
    assert set(CreatorTag.objects.filter(tag=tag).values_list("creator_id", flat=True)) == {
        a.creator_id
    }


def test_a_foreign_choice_in_a_bulk_menu_is_not_found(logged_in, other_member, make_conversation):
    a = make_conversation(name="Ada")
    theirs = CampaignFactory(workspace=other_member.workspace)
    response = logged_in.post(
        reverse("inbox:bulk"), {"action": f"campaign:{theirs.id}", "creators": [a.creator_id]}
    )
    assert response.status_code == 404
    assert not CampaignMember.objects.filter(campaign=theirs).exists()


def test_all_that_match_says_how_many_it_will_act_on(
    logged_in, member, make_conversation, settings, django_assert_max_num_queries
):
    for name in ("Ada One", "Ada Two", "Bert"):
        make_conversation(name=name, inbound=1)
    url = reverse("inbox:match_count")
    assert logged_in.get(url, {"q": "ada"}).content == b""  # not ticked: nothing to say
    with django_assert_max_num_queries(6):
        said = logged_in.get(url, {"q": "ada", "select_all": "1"}).content.decode()
    assert said == "Acts on 2 creators."
    assert logged_in.get(url, {"q": "bert", "select_all": "1"}).content == b"Acts on 1 creator."
    settings.PARLEY_BROADCAST_LIMIT = 2
    more = logged_in.get(url, {"select_all": "1"}).content.decode()
    assert more == "More than 2 creators: a bulk action takes at most that many."
    bad = logged_in.get(url, {"select_all": "1", "tags": "x"})
    assert bad.status_code == 400 and "Expected a list of ids." in bad.content.decode()
