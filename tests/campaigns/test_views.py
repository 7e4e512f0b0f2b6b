"""The Campaigns pages: the list (counts by status in one grouped query, archived apart,
empty state), create, the Members tab (status filter, keyset paging, pinned query counts
whatever the campaign's size, per-row and bulk status changes, tags, mass message),
Content Approval, Settings (each card, template problems with their line), archive and
restore (out of the inbox drop-down and filters), the inbox's campaign bar and bulk status
changes, and another workspace's ids everywhere (404, nothing changed)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from parley.broadcasts.models import Broadcast
from parley.campaigns.models import Campaign, CampaignMember
from parley.campaigns.services import campaign_create
from parley.channels.email.models import Mailbox
from parley.creators.models import CreatorTag
from parley.inbox.models import Message
from parley.inbox.services import conversation_get_or_create
from parley.outbox.models import OutboxItem
from tests.factories import (
    CampaignMemberFactory,
    ClientFactory,
    CreatorFactory,
    IdentityFactory,
)

pytestmark = pytest.mark.django_db

S = CampaignMember.Status


@pytest.fixture
def campaign(member):  # type: ignore[no-untyped-def]
    return campaign_create(
        workspace=member.workspace,
        name="Summer Launch",
        client=ClientFactory(workspace=member.workspace, name="Aurora"),
    )


@pytest.fixture
def team_mailbox(member):  # type: ignore[no-untyped-def]
    return Mailbox.objects.create(
        workspace=member.workspace,
        connected_by=member,
        address="team@brand.test",
        connected_at=timezone.now(),
        is_default=True,
        smtp_host="127.0.0.1",
        secret="encrypted",
    )


def _add(campaign, n, status=S.ADDED, *, email=True, start=0):  # type: ignore[no-untyped-def]
    """n members, the later ones with the newer activity."""
    now = timezone.now()
    out = []
    for i in range(start, start + n):
        creator = CreatorFactory(workspace=campaign.workspace, name=f"Creator {i:03d}")
        if email:
            IdentityFactory(creator=creator, value=f"c{i}-{creator.id}@creators.test")
        out.append(
            CampaignMemberFactory(
                campaign=campaign,
                creator=creator,
                status=status,
                last_activity_at=now - timedelta(minutes=10_000 - i),
            )
        )
    return out


def _member_names(html: str) -> list[str]:
    return re.findall(r'class="name">([^<]+)</a>', html)


# The list ------------------------------------------------------------------------------


def test_nav_has_campaigns_and_an_empty_workspace_says_what_to_do(logged_in):
    html = logged_in.get(reverse("campaigns:list")).content.decode()
    assert 'href="/campaigns/" aria-current="page"' in html
    assert 'data-testid="campaigns-empty"' in html and reverse("campaigns:new") in html


def test_list_shows_client_dates_status_and_counts_by_status(logged_in, member, campaign):
    _add(campaign, 2, S.INVITED)
    _add(campaign, 1, S.ACTIVE, start=10)
    campaign.starts_on = timezone.localdate()
    campaign.save()
    campaign_create(workspace=member.workspace, name="Autumn", status="draft")
    html = logged_in.get(reverse("campaigns:list")).content.decode()
    assert "Aurora" in html and "Draft" in html
    row = html[html.index(f'data-campaign="{campaign.id}"') :]
    row = row[: row.index("</tr>")]
    assert re.findall(r'st-(\w+)">[^<]+</span> (\d+)', row) == [("invited", "2"), ("active", "1")]


def test_list_query_count_is_pinned_whatever_the_sizes(
    logged_in, member, django_assert_num_queries
):
    for i in range(3):
        c = campaign_create(workspace=member.workspace, name=f"C{i}")
        _add(c, 5 * (i + 1), S.INVITED, start=100 * i)
    # session, user, memberships; campaigns, their counts (one grouped query), any archived,
    # mailboxes needing re-authorisation (the banner)
    with django_assert_num_queries(7):
        logged_in.get(reverse("campaigns:list"))
    for i in range(3, 8):
        c = campaign_create(workspace=member.workspace, name=f"C{i}")
        _add(c, 20, S.ACTIVE, start=100 * i)
    with django_assert_num_queries(7):
        logged_in.get(reverse("campaigns:list"))


def test_list_pages_by_name(logged_in, member, monkeypatch):
    from parley.campaigns.views import campaigns

    monkeypatch.setattr(campaigns, "PAGE_SIZE", 5)
    for i in range(7):
        campaign_create(workspace=member.workspace, name=f"Campaign {i}")
    names = r'<td class="name"><a href="[^"]+">([^<]+)</a>'
    html = logged_in.get(reverse("campaigns:list")).content.decode()
    assert re.findall(names, html) == [f"Campaign {i}" for i in range(5)]
    more = re.search(r'hx-get="(/campaigns/\?[^"]+)"', html).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    rest = logged_in.get(more).content.decode()
    assert re.findall(names, rest) == ["Campaign 5", "Campaign 6"]


def test_create_checks_everything_and_sanitises_the_brief(logged_in, member):
    url = reverse("campaigns:new")
    assert logged_in.get(url).status_code == 200
    bad = logged_in.post(
        url,
        {"name": "", "status": "active", "starts_on": "2026-06-10", "ends_on": "2026-06-01"},
    )
    assert bad.status_code == 422
    assert "cannot end before it starts" in bad.content.decode()
    assert not Campaign.objects.exists()
    response = logged_in.post(
        url,
        {
            "name": "Summer",
            "status": "draft",
            "brief": '<p onclick="x()">Post <b>twice</b><script>alert(1)</script>'
            '<a href="javascript:x">bad</a> <a href="https://brand.test">good</a></p>',
            "payment_terms": "250 EUR per post",
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response.url == f"/campaigns/{campaign.id}/"
    assert campaign.status == "draft" and campaign.payment_terms == "250 EUR per post"
    assert "<b>twice</b>" in campaign.brief and "script" not in campaign.brief
    assert "onclick" not in campaign.brief and "javascript" not in campaign.brief
    assert 'href="https://brand.test"' in campaign.brief
    assert set(campaign.templates.values_list("kind", flat=True)) == {
        "invitation",
        "approval",
        "rejection",
    }


# The Members tab -----------------------------------------------------------------------


def test_members_tab_empty_state(logged_in, campaign):
    html = logged_in.get(reverse("campaigns:detail", args=[campaign.id])).content.decode()
    assert 'data-testid="members-empty"' in html and "Add to Campaign" in html


def test_send_the_email_is_ticked_only_with_a_mailbox_to_send_from(logged_in, campaign, connect):
    _add(campaign, 1, S.ADDED)
    url = reverse("campaigns:detail", args=[campaign.id])
    without = logged_in.get(url).content.decode()
    assert 'value="1" data-testid="send-email"> Send the email' in without
    assert "connect a mailbox first" in without
    connect(access="send_only")
    with_mailbox = logged_in.get(url).content.decode()
    assert 'value="1" checked data-testid="send-email"> Send the email<' in with_mailbox


def test_members_newest_activity_first_with_status_filter_and_paging(logged_in, campaign):
    _add(campaign, 60, S.INVITED)
    _add(campaign, 3, S.ACCEPTED, start=100)
    url = reverse("campaigns:detail", args=[campaign.id])
    html = logged_in.get(url).content.decode()
    names = _member_names(html)
    assert names[:3] == ["Creator 102", "Creator 101", "Creator 100"]
    assert names[3:] == [f"Creator {i:03d}" for i in range(59, 12, -1)]
    seen = list(names)
    found = re.search(r'hx-get="(/campaigns/\d+/members/\?[^"]*cursor[^"]+)"', html)
    while found:
        page = logged_in.get(found.group(1).replace("&amp;", "&")).content.decode()
        seen += _member_names(page)
        found = re.search(r'hx-get="(/campaigns/\d+/members/\?[^"]+cursor[^"]+)"', page)
    assert len(seen) == 63 and len(set(seen)) == 63
    accepted = logged_in.get(url, {"status": "accepted"}).content.decode()
    assert _member_names(accepted) == ["Creator 102", "Creator 101", "Creator 100"]
    # each row offers only its status's changes
    assert 'data-testid="to-active"' in accepted and "to-invited" not in accepted
    assert logged_in.get(url, {"status": "famous"}).status_code == 400
    assert logged_in.get(url, {"cursor": "garbage"}).status_code == 400


def test_members_tab_query_count_is_bounded_whatever_the_campaign_size(
    logged_in, campaign, django_assert_num_queries
):
    url = reverse("campaigns:detail", args=[campaign.id])
    rows = reverse("campaigns:member_rows", args=[campaign.id])
    _add(campaign, 10, S.INVITED)
    # session, user, memberships; the campaign, its counts by status, the page (with each
    # creator's email), the page's assets (links with clicks; then codes, payments,
    # agreements, gift offers and portal accounts in one), the mailboxes for the bulk bar,
    # the re-authorisation banner
    with django_assert_num_queries(10):
        logged_in.get(url)
    with django_assert_num_queries(7):
        logged_in.get(rows, {"status": "invited"})
    _add(campaign, 90, S.ACTIVE, start=10)
    with django_assert_num_queries(10):
        logged_in.get(url)
    with django_assert_num_queries(10):
        logged_in.get(url, {"status": "active"})
    with django_assert_num_queries(7):
        logged_in.get(rows)


def test_row_change_allowed_and_refused(logged_in, campaign):
    (cm,) = _add(campaign, 1, S.INVITED)
    url = reverse("campaigns:member_status", args=[campaign.id, cm.creator_id])
    ok = logged_in.post(url, {"to": "accepted"})
    assert ok.status_code == 200 and ok["HX-Trigger-After-Settle"] == "members-changed"
    assert "is now “Accepted”" in ok.content.decode()
    cm.refresh_from_db()
    assert cm.status == S.ACCEPTED
    assert Message.objects.get(conversation__creator=cm.creator).body_text == (
        "Summer Launch: Accepted the invitation"
    )
    refused = logged_in.post(url, {"to": "invited"})
    assert refused.status_code == 422
    assert "cannot become “Invited”" in refused.content.decode()
    assert logged_in.post(url, {"to": "nonsense"}).status_code == 422
    cm.refresh_from_db()
    assert cm.status == S.ACCEPTED


def test_row_invite_sends_the_invitation(logged_in, campaign, team_mailbox):
    (cm,) = _add(campaign, 1, S.ADDED)
    url = reverse("campaigns:member_status", args=[campaign.id, cm.creator_id])
    assert logged_in.post(url, {"to": "invited", "mailbox": team_mailbox.id}).status_code == 200
    item = OutboxItem.objects.get()
    assert item.priority == OutboxItem.Priority.INVITATION
    assert item.message.subject == "Invitation: Summer Launch"


def test_bulk_invite_selected_and_all_that_match(logged_in, campaign, team_mailbox):
    ready = _add(campaign, 3, S.ADDED)
    (no_email,) = _add(campaign, 1, S.ADDED, email=False, start=50)
    accepted = _add(campaign, 2, S.ACCEPTED, start=60)
    url = reverse("campaigns:members_bulk", args=[campaign.id])
    response = logged_in.post(
        url,
        {
            "action": "status:invited",
            "creators": [ready[0].creator_id, no_email.creator_id, accepted[0].creator_id],
            "mailbox": team_mailbox.id,
            "send_email": ["0", "1"],
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and response["HX-Trigger-After-Settle"] == "members-changed"
    assert "1 creator is now “Invited”" in html
    assert "No email address (Creator 050)" in html and "Creator 060" in html
    broadcast = Broadcast.objects.get()
    assert broadcast.priority == OutboxItem.Priority.INVITATION
    assert f"/inbox/broadcasts/{broadcast.id}/" in html
    # all that match the status filter (added): the other two, and the one without email
    response = logged_in.post(
        url, {"action": "status:invited", "select_all": "1", "status_filter": "added"}
    )
    assert "2 creators are now “Invited”" in response.content.decode()
    statuses = dict(CampaignMember.objects.values_list("creator_id", "status"))
    assert [statuses[cm.creator_id] for cm in ready] == [S.INVITED] * 3
    assert statuses[no_email.creator_id] == S.ADDED
    assert Broadcast.objects.count() == 2


def test_bulk_status_only_tag_and_mass_message(logged_in, campaign):
    members = _add(campaign, 2, S.ADDED)
    url = reverse("campaigns:members_bulk", args=[campaign.id])
    ids = [cm.creator_id for cm in members]
    # without the email: no mailbox needed
    response = logged_in.post(url, {"action": "status:invited", "creators": ids, "send_email": "0"})
    assert "2 creators are now “Invited”" in response.content.decode()
    assert not Broadcast.objects.exists()
    assert Message.objects.filter(body_text="Summer Launch: Invited (no email sent)").count() == 2
    tagged = logged_in.post(url, {"action": "tag", "creators": ids, "bulk_tag_name": "summer"})
    assert "Tagged 2 creators with summer" in tagged.content.decode()
    assert CreatorTag.objects.filter(tag__name="summer").count() == 2
    mass = logged_in.post(url, {"action": "broadcast", "select_all": "1"})
    draft = Broadcast.objects.get()
    assert mass["HX-Redirect"] == reverse("broadcasts:edit", args=[draft.id])
    assert draft.campaign_id == campaign.id and sorted(draft.recipient_ids) == sorted(ids)
    # A campaign's mass message offers the campaign's fields.
    compose = logged_in.get(mass["HX-Redirect"]).content.decode()
    assert "{{ campaign }}" in compose and "{{ coupon_code }}" in compose
    assert logged_in.post(url, {"action": "tag"}).status_code == 422
    assert logged_in.post(url, {"action": "evil", "creators": ids}).status_code == 422


def test_content_tab_says_what_fills_it(logged_in, campaign):
    _add(campaign, 2, S.CONTENT_SUBMITTED)
    html = logged_in.get(reverse("campaigns:content", args=[campaign.id])).content.decode()
    assert 'data-testid="content-empty"' in html and "creator portal" in html
    assert "?status=content_submitted" in html


# Settings, archive ---------------------------------------------------------------------


def test_settings_cards_save_and_show_template_problems(logged_in, campaign):
    url = reverse("campaigns:settings", args=[campaign.id])
    html = logged_in.get(url).content.decode()
    assert "Invitation: {{ campaign }}" in html and 'name="agreement_template"' in html
    assert "ASSETS HOOK" not in html
    bad = logged_in.post(
        url,
        {
            "section": "agreement",
            "agreement_template": "Dear {{ first_name }},\n{% if %}\n{{ salary }}",
        },
    )
    assert bad.status_code == 422
    assert "Line 2" in bad.content.decode()
    unknown = logged_in.post(url, {"section": "agreement", "agreement_template": "{{ salary }}"})
    assert "Unknown field “salary”" in unknown.content.decode()
    ok = logged_in.post(
        url, {"section": "agreement", "agreement_template": "I, {{ name }}, agree."}
    )
    assert ok.status_code == 302 and ok.url.endswith("#agreement")
    emails = {
        "section": "emails",
        "invitation_subject": "Join {{ campaign }}",
        "invitation_body": "Hi {{ first_name }}",
        "approval_subject": "Yes",
        "approval_body": "Approved",
        "rejection_subject": "No",
        "rejection_body": "Sorry {{ nope }}",
    }
    bad_email = logged_in.post(url, emails)
    assert bad_email.status_code == 422 and "Unknown field “nope”" in bad_email.content.decode()
    emails["rejection_body"] = "Sorry"
    assert logged_in.post(url, emails).status_code == 302
    details = logged_in.post(
        url,
        {
            "section": "details",
            "name": "Summer Launch 2",
            "client": "",
            "status": "active",
            "ends_on": "2026-09-30",
        },
    )
    assert details.status_code == 302
    campaign.refresh_from_db()
    assert campaign.agreement_template == "I, {{ name }}, agree."
    assert campaign.name == "Summer Launch 2" and campaign.client is None
    assert campaign.templates.get(kind="invitation").subject == "Join {{ campaign }}"


def test_archive_hides_it_from_the_inbox_and_freezes_it(logged_in, member, campaign):
    (cm,) = _add(campaign, 1, S.INVITED)
    conversation_get_or_create(creator=cm.creator)
    response = logged_in.post(reverse("campaigns:archive", args=[campaign.id]))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ARCHIVED
    inbox = logged_in.get(reverse("inbox:list")).content.decode()
    assert "Summer Launch" not in inbox
    # an old link filtering on it still works and shows what it filters on
    filtered = logged_in.get(reverse("inbox:list"), {"campaign": campaign.id}).content.decode()
    assert "Summer Launch" in filtered
    # out of the current list, under Archived
    listing = logged_in.get(reverse("campaigns:list")).content.decode()
    assert "Summer Launch" not in listing and 'data-testid="archived-tab"' in listing
    assert (
        "Summer Launch"
        in logged_in.get(reverse("campaigns:list"), {"view": "archived"}).content.decode()
    )
    # nothing changes in it
    page = logged_in.get(reverse("campaigns:detail", args=[campaign.id])).content.decode()
    assert 'data-testid="archived-note"' in page and "to-accepted" not in page
    url = reverse("campaigns:member_status", args=[campaign.id, cm.creator_id])
    assert logged_in.post(url, {"to": "accepted"}).status_code == 422
    settings_post = logged_in.post(
        reverse("campaigns:settings", args=[campaign.id]),
        {"section": "agreement", "agreement_template": "x"},
    )
    assert settings_post.status_code == 422
    # restore
    logged_in.post(reverse("campaigns:archive", args=[campaign.id]), {"restore": "1"})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE
    assert "Summer Launch" in logged_in.get(reverse("inbox:list")).content.decode()


# The inbox -----------------------------------------------------------------------------


def test_thread_in_a_campaign_view_loads_the_status_bar(logged_in, campaign):
    (cm,) = _add(campaign, 1, S.INVITED)
    conversation = conversation_get_or_create(creator=cm.creator)
    thread = logged_in.get(
        reverse("inbox:thread", args=[conversation.id]), {"campaign": campaign.id}
    ).content.decode()
    bar_url = reverse("campaigns:member_bar", args=[campaign.id, cm.creator_id])
    assert bar_url in thread
    bar = logged_in.get(bar_url).content.decode()
    assert 'data-testid="bar-status">Invited' in bar
    assert "bar-to-accepted" in bar and "bar-to-declined" in bar and "bar-to-active" not in bar
    done = logged_in.post(bar_url, {"to": "declined"})
    assert done.status_code == 200 and done["HX-Trigger-After-Settle"] == "inbox-changed"
    assert 'data-testid="bar-status">Declined' in done.content.decode()
    assert "bar-to-" not in done.content.decode()
    refused = logged_in.post(bar_url, {"to": "accepted"})
    assert refused.status_code == 422 and "final" in refused.content.decode()


def test_bar_offers_the_change_without_its_email(logged_in, campaign):
    (cm,) = _add(campaign, 1, S.ADDED, email=False)
    bar_url = reverse("campaigns:member_bar", args=[campaign.id, cm.creator_id])
    failed = logged_in.post(bar_url, {"to": "invited"})
    assert failed.status_code == 422
    html = failed.content.decode()
    assert "mailbox" in html.lower() and 'data-testid="bar-without-email"' in html
    logged_in.post(bar_url, {"to": "invited", "send_email": "0"})
    cm.refresh_from_db()
    assert cm.status == S.INVITED


def test_inbox_bulk_bar_changes_statuses_in_the_chosen_campaign(logged_in, campaign):
    members = _add(campaign, 2, S.INVITED)
    for cm in members:
        conversation_get_or_create(creator=cm.creator)
    page = logged_in.get(reverse("inbox:list"), {"campaign": campaign.id}).content.decode()
    assert 'data-testid="bulk-campaign-status"' in page and 'value="status:accepted"' in page
    response = logged_in.post(
        reverse("inbox:bulk"),
        {
            "action": "status:accepted",
            "campaign": campaign.id,
            "creators": [cm.creator_id for cm in members],
        },
    )
    assert "2 creators are now “Accepted”" in response.content.decode()
    assert set(CampaignMember.objects.values_list("status", flat=True)) == {S.ACCEPTED}
    no_campaign = logged_in.post(
        reverse("inbox:bulk"),
        {"action": "status:active", "creators": [members[0].creator_id]},
    )
    assert no_campaign.status_code == 422 and "Choose a campaign" in no_campaign.content.decode()


# Another workspace ---------------------------------------------------------------------


def test_another_workspace_s_campaign_is_404_everywhere(logged_in, other_member):
    theirs = campaign_create(workspace=other_member.workspace, name="Theirs")
    (cm,) = _add(theirs, 1, S.INVITED)
    before = list(CampaignMember.objects.values_list("id", "status"))
    gets = [
        reverse("campaigns:detail", args=[theirs.id]),
        reverse("campaigns:member_rows", args=[theirs.id]),
        reverse("campaigns:content", args=[theirs.id]),
        reverse("campaigns:settings", args=[theirs.id]),
        reverse("campaigns:member_bar", args=[theirs.id, cm.creator_id]),
    ]
    for url in gets:
        assert logged_in.get(url).status_code == 404, url
    posts = [
        (reverse("campaigns:member_status", args=[theirs.id, cm.creator_id]), {"to": "accepted"}),
        (reverse("campaigns:member_bar", args=[theirs.id, cm.creator_id]), {"to": "accepted"}),
        (
            reverse("campaigns:members_bulk", args=[theirs.id]),
            {"action": "status:accepted", "select_all": "1"},
        ),
        (
            reverse("campaigns:settings", args=[theirs.id]),
            {"section": "agreement", "agreement_template": "x"},
        ),
        (reverse("campaigns:archive", args=[theirs.id]), {}),
        (
            reverse("inbox:bulk"),
            {"action": "status:accepted", "campaign": theirs.id, "creators": [cm.creator_id]},
        ),
    ]
    for url, data in posts:
        assert logged_in.post(url, data).status_code == 404, url
    assert list(CampaignMember.objects.values_list("id", "status")) == before
    theirs.refresh_from_db()
    assert theirs.status == "active" and theirs.agreement_template == ""
    assert not Message.objects.exists()


def test_own_campaign_but_another_workspace_s_creator_is_404(logged_in, campaign, other_member):
    stranger = CreatorFactory(workspace=other_member.workspace)
    for name in ("member_status", "member_bar"):
        url = reverse(f"campaigns:{name}", args=[campaign.id, stranger.id])
        assert logged_in.post(url, {"to": "invited"}).status_code == 404
