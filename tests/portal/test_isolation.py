"""Isolation on every portal route: two creators of one workspace, one creator (one email
address) of two workspaces, and a member's session against a creator's session."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from parley.campaigns.assets import agreements, gifts
from parley.campaigns.models import CampaignMember
from parley.inbox.models import Attachment
from parley.inbox.services import conversation_get_or_create
from parley.outbox.services import message_send
from parley.portal.content import content_submit
from parley.portal.models import PortalAccess
from tests.campaigns.assets_support import creator_in
from tests.factories import CampaignFactory

S = CampaignMember.Status


def _assets(member, campaign, creator):
    """An agreement, a gift offer, a submission and an in-app file for the creator."""
    campaign.agreement_template = "Deal."
    campaign.save()
    CampaignMember.objects.filter(campaign=campaign, creator=creator).update(status=S.ACTIVE)
    agreement = agreements.agreement_send(actor=member, campaign=campaign, creator=creator)
    gifts.product_create(campaign=campaign, name=f"Cap {creator.id}")
    gifts.gift_offer(actor=member, campaign=campaign, creator=creator)
    access = PortalAccess.objects.get(creator=creator)
    submission = content_submit(
        access=access,
        campaign=campaign,
        upload=SimpleUploadedFile("clip.mp4", b"data"),
    )
    message = message_send(
        member=member,
        conversation=conversation_get_or_create(creator=creator),
        channel="inapp",
        body="A file",
    )
    attachment = Attachment(message=message, filename="a.txt", content_type="text/plain", size=1)
    attachment.file.save("a.txt", SimpleUploadedFile("a.txt", b"x"), save=False)
    attachment.save()
    return {
        "creator": creator.id,
        "campaign": campaign.id,
        "agreement": agreement.id,
        "submission": submission.id,
        "attachment": attachment.id,
    }


def routes(ids):
    c = ids["creator"]
    k = ids["campaign"]
    return [
        ("get", f"/portal/c/{c}/", {}),
        ("post", f"/portal/c/{c}/reply/", {"body": "hi"}),
        ("get", f"/portal/c/{c}/files/{ids['attachment']}/", {}),
        ("get", f"/portal/c/{c}/campaigns/{k}/", {}),
        ("post", f"/portal/c/{c}/campaigns/{k}/answer/", {"answer": "accept"}),
        (
            "post",
            f"/portal/c/{c}/campaigns/{k}/agreements/{ids['agreement']}/",
            {"signer_name": "X", "consent": "on"},
        ),
        ("get", f"/portal/c/{c}/agreements/{ids['agreement']}/pdf/", {}),
        ("post", f"/portal/c/{c}/campaigns/{k}/gifts/", {"shipping_address": "x"}),
        ("post", f"/portal/c/{c}/campaigns/{k}/content/", {"url": "https://x.example/"}),
        ("get", f"/portal/c/{c}/content/{ids['submission']}/file/", {}),
    ]


def mixed(own, other):
    """Routes under the creator's own id that name the other's rows."""
    c = own["creator"]
    return [
        ("get", f"/portal/c/{c}/files/{other['attachment']}/", {}),
        ("get", f"/portal/c/{c}/campaigns/{other['campaign']}/", {}),
        ("post", f"/portal/c/{c}/campaigns/{other['campaign']}/answer/", {"answer": "accept"}),
        (
            "post",
            f"/portal/c/{c}/campaigns/{own['campaign']}/agreements/{other['agreement']}/",
            {"signer_name": "X", "consent": "on"},
        ),
        ("get", f"/portal/c/{c}/agreements/{other['agreement']}/pdf/", {}),
        ("post", f"/portal/c/{c}/campaigns/{other['campaign']}/gifts/", {}),
        ("post", f"/portal/c/{c}/campaigns/{other['campaign']}/content/", {"url": "https://x.e/"}),
        ("get", f"/portal/c/{c}/content/{other['submission']}/file/", {}),
    ]


def call(client, method, url, data):
    return getattr(client, method)(url, data)


@pytest.fixture
def two_creators(ann, sign_in):
    """Ann and Bob, creators of one workspace, each signed in; with assets in their own
    campaigns."""
    s = ann.setup
    bob = creator_in(s.campaign, name="Bob Other", email="bob@creator.test")
    bob_client = sign_in(s.member, bob)
    autumn = CampaignFactory(workspace=s.member.workspace, name="Autumn")
    CampaignMember.objects.create(
        workspace=s.member.workspace, campaign=autumn, creator=bob, status=S.INVITED
    )
    ann_ids = _assets(s.member, s.campaign, s.creator)
    bob_ids = _assets(s.member, autumn, bob)
    return ann, ann_ids, bob_client, bob_ids


def test_every_route_works_for_its_creator(two_creators):
    ann, ann_ids, _bob_client, _bob_ids = two_creators
    for method, url, data in routes(ann_ids):
        if method == "get":
            assert call(ann.client, method, url, data).status_code == 200, url


def test_two_creators_of_one_workspace(two_creators):
    ann, ann_ids, bob_client, bob_ids = two_creators
    for method, url, data in routes(bob_ids):
        assert call(ann.client, method, url, data).status_code == 404, url
    for method, url, data in routes(ann_ids):
        assert call(bob_client, method, url, data).status_code == 404, url
    for method, url, data in mixed(ann_ids, bob_ids):
        assert call(ann.client, method, url, data).status_code == 404, url
    home = ann.client.get("/portal/").content.decode()
    assert "Bob Other" not in home and "Autumn" not in home
    thread = ann.client.get(f"/portal/c/{ann_ids['creator']}/").content.decode()
    assert "Autumn" not in thread and 'data-testid="campaign-tab"' in thread


def test_one_creator_of_two_workspaces(ann, other_member, invite):
    # Ann's address is a creator of another brand too: one account, two accesses
    s = ann.setup
    elsewhere = CampaignFactory(workspace=other_member.workspace, name="Elsewhere")
    ann_b = creator_in(elsewhere, name="Ann B", email="ann@creator.test")
    invite(other_member, ann_b)
    assert PortalAccess.objects.filter(account=ann.access.account).count() == 2
    ids_a = _assets(s.member, s.campaign, s.creator)
    ids_b = _assets(other_member, elsewhere, ann_b)
    home = ann.client.get("/portal/").content.decode()
    assert s.member.workspace.name in home and "Other Co" in home
    for ids in (ids_a, ids_b):
        for method, url, data in routes(ids):
            if method == "get":
                assert call(ann.client, method, url, data).status_code == 200, url
    # Each brand's rows only under that brand's creator
    for method, url, data in mixed(ids_a, ids_b) + mixed(ids_b, ids_a):
        assert call(ann.client, method, url, data).status_code == 404, url
    # The other brand's thread never shows this brand's messages
    thread_b = ann.client.get(f"/portal/c/{ann_b.id}/").content.decode()
    assert s.member.workspace.name not in thread_b


def test_member_session_is_refused_on_every_portal_route(two_creators, logged_in):
    _ann, ann_ids, _bob_client, _bob_ids = two_creators
    for method, url, data in [*routes(ann_ids), ("get", "/portal/", {})]:
        response = call(logged_in, method, url, data)
        assert response.status_code == 302, url
        assert response["Location"] == "/portal/sign-in/", url


def test_creator_session_is_refused_on_the_team_pages(two_creators):
    ann, ann_ids, _bob_client, _bob_ids = two_creators
    team = [
        f"/creators/{ann_ids['creator']}/portal/",
        f"/campaigns/{ann_ids['campaign']}/content/",
        f"/campaigns/content/{ann_ids['submission']}/file/",
        f"/campaigns/assets/agreements/{ann_ids['agreement']}/pdf/",
        "/inbox/",
    ]
    for url in team:
        response = ann.client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    for url in (
        f"/creators/{ann_ids['creator']}/portal/invite/",
        f"/campaigns/content/{ann_ids['submission']}/review/",
        f"/campaigns/{ann_ids['campaign']}/applications/",
    ):
        assert ann.client.post(url, {"decision": "approve"}).status_code == 302, url
    assert ann.client.get("/api/v1/campaigns").status_code == 401


def test_team_pages_are_scoped_to_the_workspace(two_creators, other_member):
    _ann, ann_ids, _bob_client, _bob_ids = two_creators
    other = Client()
    other.force_login(other_member.user)
    for url in (
        f"/creators/{ann_ids['creator']}/portal/",
        f"/campaigns/content/{ann_ids['submission']}/file/",
    ):
        assert other.get(url).status_code == 404, url
    for url in (
        f"/creators/{ann_ids['creator']}/portal/invite/",
        f"/campaigns/content/{ann_ids['submission']}/review/",
        f"/campaigns/{ann_ids['campaign']}/applications/",
    ):
        assert other.post(url, {"decision": "approve"}).status_code == 404, url
