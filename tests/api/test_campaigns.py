import pytest

from parley.campaigns.models import Campaign, CampaignMember
from parley.inbox.models import Message
from tests.factories import (
    CampaignFactory,
    CampaignMemberFactory,
    ClientFactory,
    CreatorFactory,
)

pytestmark = pytest.mark.django_db

MEMBER_STATUSES = (
    "Choose one of: 'added', 'invited', 'accepted', 'declined', 'applied', 'approved', "
    "'rejected', 'active', 'content_submitted', 'content_approved' or 'completed'."
)


def test_list_campaigns_by_name_with_client(api, member):
    client = ClientFactory(workspace=member.workspace, name="Acme")
    CampaignFactory(workspace=member.workspace, name="Summer", client=client)
    CampaignFactory(workspace=member.workspace, name="Autumn")

    response = api.get("/campaigns")

    assert response.status_code == 200
    items = response.json()
    assert [c["name"] for c in items] == ["Autumn", "Summer"]
    assert items[0]["client"] is None
    assert items[1]["client"] == {"id": client.id, "name": "Acme"}
    assert items[1]["status"] == "active"


def test_create_campaign_for_a_client(api, member):
    client = ClientFactory(workspace=member.workspace)

    response = api.post(
        "/campaigns", {"name": " Launch ", "client_id": client.id, "status": "draft"}
    )

    assert response.status_code == 201
    campaign = Campaign.objects.get(workspace=member.workspace)
    assert response.json()["id"] == campaign.id
    assert (campaign.name, campaign.client_id, campaign.status) == ("Launch", client.id, "draft")


def test_create_campaign_without_client(api, member):
    response = api.post("/campaigns", {"name": "Solo"})

    assert response.status_code == 201
    assert response.json()["client"] is None
    assert response.json()["status"] == "active"


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"name": ""}, "name", "This field cannot be blank."),
        ({"name": "x" * 161}, "name", "Ensure this is at most 160 characters."),
        (
            {"name": "X", "status": "paused"},
            "status",
            "Choose one of: 'draft', 'active' or 'archived'.",
        ),
        ({"name": "X", "client_id": "acme"}, "client_id", "Enter a whole number."),
        ({}, "name", "This field is required."),
    ],
)
def test_create_campaign_rejects_bad_input(api, member, payload, field, message):
    response = api.post("/campaigns", payload)

    assert response.status_code == 422
    assert response.json() == {"detail": {field: [message]}}
    assert not Campaign.objects.filter(workspace=member.workspace).exists()


def test_create_campaign_for_unknown_client_is_404(api, member):
    assert api.post("/campaigns", {"name": "X", "client_id": 777777}).status_code == 404
    assert not Campaign.objects.exists()


def test_get_campaign(api, member):
    campaign = CampaignFactory(workspace=member.workspace, name="Spring")

    response = api.get(f"/campaigns/{campaign.id}")

    assert response.status_code == 200
    assert response.json()["name"] == "Spring"
    assert response.json()["id"] == campaign.id


def test_patch_campaign_name_status_and_client(api, member):
    campaign = CampaignFactory(workspace=member.workspace, name="Old")
    client = ClientFactory(workspace=member.workspace, name="Acme")

    response = api.patch(
        f"/campaigns/{campaign.id}", {"name": "New", "status": "archived", "client_id": client.id}
    )

    assert response.status_code == 200
    assert response.json()["client"] == {"id": client.id, "name": "Acme"}
    campaign.refresh_from_db()
    assert (campaign.name, campaign.status, campaign.client_id) == ("New", "archived", client.id)

    # and null takes the client away, leaving the rest
    response = api.patch(f"/campaigns/{campaign.id}", {"client_id": None})

    assert response.status_code == 200
    campaign.refresh_from_db()
    assert (campaign.name, campaign.client_id) == ("New", None)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 161}, "name"),
        ({"status": "paused"}, "status"),
        ({"client_id": "x"}, "client_id"),
    ],
)
def test_patch_campaign_rejects_bad_input(api, member, payload, field):
    campaign = CampaignFactory(workspace=member.workspace, name="Keep")

    response = api.patch(f"/campaigns/{campaign.id}", payload)

    assert response.status_code == 422
    assert list(response.json()["detail"]) == [field]
    campaign.refresh_from_db()
    assert (campaign.name, campaign.status) == ("Keep", "active")


def test_patch_campaign_changes_nothing_when_one_field_is_bad(api, member):
    # given a campaign without a client
    campaign = CampaignFactory(workspace=member.workspace, name="Keep")
    client = ClientFactory(workspace=member.workspace)

    # when a valid client comes with an invalid name and status
    response = api.patch(
        f"/campaigns/{campaign.id}", {"client_id": client.id, "name": "", "status": "paused"}
    )

    # then both fields are reported and the client was not set either
    assert response.status_code == 422
    assert set(response.json()["detail"]) == {"name", "status"}
    campaign.refresh_from_db()
    assert (campaign.name, campaign.client_id) == ("Keep", None)


# Members -------------------------------------------------------------------------------


def test_members_list_pages_by_creator_name(api, member):
    campaign = CampaignFactory(workspace=member.workspace)
    names = ["Dora", "Anna", "Cleo", "Bea", "Anna"]
    for name in names:
        CampaignMemberFactory(
            campaign=campaign, creator=CreatorFactory(workspace=member.workspace, name=name)
        )

    first = api.get(f"/campaigns/{campaign.id}/members", limit=3)
    second = api.get(
        f"/campaigns/{campaign.id}/members", limit=3, cursor=first.json()["next_cursor"]
    )

    assert first.status_code == second.status_code == 200
    rows = first.json()["items"] + second.json()["items"]
    assert [r["creator"]["name"] for r in rows] == sorted(names)
    assert len({r["creator"]["id"] for r in rows}) == 5
    assert rows[0]["status"] == "invited"
    assert second.json()["next_cursor"] is None


def test_members_list_rejects_bad_paging(api, member):
    campaign = CampaignFactory(workspace=member.workspace)

    response = api.get(f"/campaigns/{campaign.id}/members", limit=0, cursor="%%%")

    assert response.status_code == 422
    assert response.json()["detail"] == {"limit": ["Ensure this is at least 1."]}
    assert api.get(f"/campaigns/{campaign.id}/members", cursor="e30").status_code == 422


def test_add_creators_to_campaign(api, member):
    campaign = CampaignFactory(workspace=member.workspace)
    already = CampaignMemberFactory(campaign=campaign, status="approved")
    newcomers = [CreatorFactory(workspace=member.workspace) for _ in range(2)]

    response = api.post(
        f"/campaigns/{campaign.id}/members",
        {"creator_ids": [already.creator_id, *(c.id for c in newcomers)], "status": "applied"},
    )

    assert response.status_code == 200
    assert response.json() == {"count": 2}
    statuses = dict(
        CampaignMember.objects.filter(campaign=campaign).values_list("creator_id", "status")
    )
    assert statuses == {
        already.creator_id: "approved",
        newcomers[0].id: "applied",
        newcomers[1].id: "applied",
    }


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"creator_ids": []}, "creator_ids", "Give at least 1 item."),
        ({"creator_ids": [1], "status": "famous"}, "status", MEMBER_STATUSES),
        ({"status": "invited"}, "creator_ids", "This field is required."),
    ],
)
def test_add_creators_rejects_bad_input(api, member, payload, field, message):
    campaign = CampaignFactory(workspace=member.workspace)
    creator = CreatorFactory(workspace=member.workspace)
    if payload.get("creator_ids") == [1]:
        payload = {**payload, "creator_ids": [creator.id]}

    response = api.post(f"/campaigns/{campaign.id}/members", payload)

    assert response.status_code == 422
    assert response.json() == {"detail": {field: [message]}}
    assert not CampaignMember.objects.filter(campaign=campaign).exists()


def test_set_member_status_posts_an_event_in_the_thread(api, member, make_conversation):
    conversation = make_conversation()
    campaign = CampaignFactory(workspace=member.workspace, name="Spring")
    CampaignMemberFactory(campaign=campaign, creator=conversation.creator)

    response = api.put(
        f"/campaigns/{campaign.id}/members/{conversation.creator_id}", {"status": "approved"}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert response.json()["creator"]["id"] == conversation.creator_id
    event = Message.objects.get(conversation=conversation, direction="event")
    assert event.campaign_id == campaign.id
    assert event.author_member_id == member.id
    assert "Spring" in event.body_text


def test_set_member_status_rejects_unknown_status(api, member):
    cm = CampaignMemberFactory(campaign=CampaignFactory(workspace=member.workspace))

    response = api.put(f"/campaigns/{cm.campaign_id}/members/{cm.creator_id}", {"status": "x"})

    assert response.status_code == 422
    assert response.json() == {"detail": {"status": [MEMBER_STATUSES]}}
    cm.refresh_from_db()
    assert cm.status == "invited"


def test_set_status_of_a_creator_not_in_the_campaign_is_404(api, member):
    campaign = CampaignFactory(workspace=member.workspace)
    outsider = CreatorFactory(workspace=member.workspace)

    response = api.put(f"/campaigns/{campaign.id}/members/{outsider.id}", {"status": "approved"})

    assert response.status_code == 404
    assert not CampaignMember.objects.exists()
