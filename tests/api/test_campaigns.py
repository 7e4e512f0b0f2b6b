from datetime import timedelta

import pytest
from django.utils import timezone

from parley.broadcasts.models import Broadcast
from parley.campaigns.models import Campaign, CampaignMember
from parley.channels.email.models import Mailbox
from parley.inbox.models import Message
from parley.outbox.models import OutboxItem
from tests.factories import (
    CampaignFactory,
    CampaignMemberFactory,
    ClientFactory,
    CreatorFactory,
    IdentityFactory,
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
        ({"name": "X", "status": "paused"}, "status", "Choose one of: 'draft' or 'active'."),
        ({"name": "X", "status": "archived"}, "status", "Choose one of: 'draft' or 'active'."),
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


def test_list_filters_by_status_and_counts_members_by_status(api, member):
    summer = CampaignFactory(workspace=member.workspace, name="Summer")
    CampaignFactory(workspace=member.workspace, name="Old", status="archived")
    for status in ("invited", "invited", "active"):
        CampaignMemberFactory(campaign=summer, status=status)

    every = api.get("/campaigns").json()
    archived = api.get("/campaigns", status="archived").json()

    assert [c["name"] for c in every] == ["Old", "Summer"]
    assert every[1]["member_counts"] == {"invited": 2, "active": 1}
    assert every[0]["member_counts"] == {}
    assert [c["name"] for c in archived] == ["Old"]
    assert api.get("/campaigns", status="paused").status_code == 422


def test_create_with_every_field(api, member):
    response = api.post(
        "/campaigns",
        {
            "name": "Launch",
            "brief": "<p>Post <b>twice</b><script>x()</script></p>",
            "starts_on": "2026-06-01",
            "ends_on": "2026-08-31",
            "payment_terms": "250 EUR a post",
            "agreement_template": "I, {{ name }}, agree.",
            "templates": {"invitation": {"subject": "Join {{ campaign }}", "body": "Hi!"}},
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["brief"] == "<p>Post <b>twice</b></p>"
    assert (body["starts_on"], body["ends_on"]) == ("2026-06-01", "2026-08-31")
    assert body["payment_terms"] == "250 EUR a post"
    assert body["agreement_template"] == "I, {{ name }}, agree."
    assert body["templates"]["invitation"] == {"subject": "Join {{ campaign }}", "body": "Hi!"}
    assert body["templates"]["rejection"]["subject"] == "About {{ campaign }}"
    assert body["member_counts"] == {}


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"starts_on": "2026-06-02", "ends_on": "2026-06-01"}, {"ends_on"}),
        ({"starts_on": 1700000000}, {"starts_on"}),
        ({"agreement_template": "{{ salary }}"}, {"agreement_template"}),
        (
            {
                "templates": {
                    "invitation": {"subject": "{% if %}", "body": "ok"},
                    "approval": {"subject": "ok", "body": "{{ nope }}"},
                }
            },
            {"invitation_subject", "approval_body"},
        ),
        ({"templates": {"invitation": {"subject": "a\nb", "body": "x"}}}, {"templates"}),
        ({"brief": "x" * 50_001}, {"brief"}),
    ],
)
def test_create_reports_every_problem_and_stores_nothing(api, member, payload, fields):
    response = api.post("/campaigns", {"name": "X", **payload})

    assert response.status_code == 422
    assert {f.split(".")[0] for f in response.json()["detail"]} == fields
    assert not Campaign.objects.exists()


def test_template_syntax_error_says_its_line(api, member):
    response = api.post("/campaigns", {"name": "X", "agreement_template": "Hello\n{{ name }\nBye"})

    assert response.status_code == 422
    assert response.json()["detail"]["agreement_template"][0].startswith("Line 2:")


def test_patch_dates_templates_and_archive(api, member):
    campaign = CampaignFactory(workspace=member.workspace, name="Keep")

    response = api.patch(
        f"/campaigns/{campaign.id}",
        {
            "starts_on": "2026-01-01",
            "templates": {"approval": {"subject": "Yes {{ first_name }}", "body": "In."}},
            "status": "archived",
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["starts_on"] == "2026-01-01" and body["status"] == "archived"
    assert body["templates"]["approval"]["subject"] == "Yes {{ first_name }}"
    # null clears a date; a field left out keeps its value
    response = api.patch(f"/campaigns/{campaign.id}", {"starts_on": None})
    assert response.json()["starts_on"] is None
    assert response.json()["templates"]["approval"]["subject"] == "Yes {{ first_name }}"


def test_delete_campaign_keeps_its_messages(api, member, make_conversation):
    conversation = make_conversation()
    campaign = CampaignFactory(workspace=member.workspace)
    CampaignMemberFactory(campaign=campaign, creator=conversation.creator, status="invited")
    api.put(f"/campaigns/{campaign.id}/members/{conversation.creator_id}", {"status": "accepted"})

    assert api.delete(f"/campaigns/{campaign.id}").status_code == 204

    assert not Campaign.objects.exists() and not CampaignMember.objects.exists()
    event = Message.objects.get(conversation=conversation, direction="event")
    assert event.campaign_id is None
    assert api.get(f"/campaigns/{campaign.id}").status_code == 404


# Members -------------------------------------------------------------------------------


def _members(campaign, statuses, *, email=True):  # type: ignore[no-untyped-def]
    now = timezone.now()
    out = []
    for i, status in enumerate(statuses):
        creator = CreatorFactory(workspace=campaign.workspace, name=f"Creator {i}")
        if email:
            IdentityFactory(creator=creator)
        out.append(
            CampaignMemberFactory(
                campaign=campaign,
                creator=creator,
                status=status,
                last_activity_at=now - timedelta(hours=len(statuses) - i),
            )
        )
    return out


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


def test_members_newest_activity_first_paged_and_filtered(api, member):
    campaign = CampaignFactory(workspace=member.workspace)
    _members(campaign, ["added", "invited", "added", "accepted", "added"])

    first = api.get(f"/campaigns/{campaign.id}/members", limit=3)
    second = api.get(
        f"/campaigns/{campaign.id}/members", limit=3, cursor=first.json()["next_cursor"]
    )
    added = api.get(f"/campaigns/{campaign.id}/members", status="added")

    assert first.status_code == second.status_code == 200
    rows = first.json()["items"] + second.json()["items"]
    assert [r["creator"]["name"] for r in rows] == [f"Creator {i}" for i in (4, 3, 2, 1, 0)]
    assert second.json()["next_cursor"] is None
    assert rows[0]["next_statuses"] == ["invited", "approved"]
    assert rows[1]["next_statuses"] == ["active"]
    assert [r["creator"]["name"] for r in added.json()["items"]] == [
        "Creator 4",
        "Creator 2",
        "Creator 0",
    ]


def test_members_list_rejects_bad_paging(api, member):
    campaign = CampaignFactory(workspace=member.workspace)

    response = api.get(f"/campaigns/{campaign.id}/members", limit=0, cursor="%%%")

    assert response.status_code == 422
    assert response.json()["detail"] == {"limit": ["Ensure this is at least 1."]}
    assert api.get(f"/campaigns/{campaign.id}/members", cursor="e30").status_code == 422
    assert api.get(f"/campaigns/{campaign.id}/members", status="famous").status_code == 422


def test_add_creators_to_campaign(api, member):
    campaign = CampaignFactory(workspace=member.workspace)
    already = CampaignMemberFactory(campaign=campaign, status="approved")
    newcomers = [CreatorFactory(workspace=member.workspace) for _ in range(3)]

    response = api.post(
        f"/campaigns/{campaign.id}/members",
        {"creator_ids": [already.creator_id, *(c.id for c in newcomers[:2])], "status": "applied"},
    )
    plain = api.post(f"/campaigns/{campaign.id}/members", {"creator_ids": [newcomers[2].id]})

    assert response.status_code == 200
    assert response.json() == {"count": 2} and plain.json() == {"count": 1}
    statuses = dict(
        CampaignMember.objects.filter(campaign=campaign).values_list("creator_id", "status")
    )
    assert statuses == {
        already.creator_id: "approved",
        newcomers[0].id: "applied",
        newcomers[1].id: "applied",
        newcomers[2].id: "added",
    }
    assert not Message.objects.exists()  # no invitation, no event


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"creator_ids": []}, "creator_ids", "Give at least 1 item."),
        (
            {"creator_ids": [1], "status": "invited"},
            "status",
            "Choose one of: 'added' or 'applied'.",
        ),
        ({"status": "added"}, "creator_ids", "This field is required."),
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


def test_adding_to_an_archived_campaign_is_a_conflict(api, member):
    campaign = CampaignFactory(workspace=member.workspace, status="archived")
    creator = CreatorFactory(workspace=member.workspace)

    response = api.post(f"/campaigns/{campaign.id}/members", {"creator_ids": [creator.id]})

    assert response.status_code == 409
    assert "archived" in str(response.json()["detail"])


def test_status_change_posts_an_event_in_the_thread(api, member, make_conversation):
    conversation = make_conversation()
    campaign = CampaignFactory(workspace=member.workspace, name="Spring")
    CampaignMemberFactory(campaign=campaign, creator=conversation.creator, status="invited")

    response = api.put(
        f"/campaigns/{campaign.id}/members/{conversation.creator_id}", {"status": "accepted"}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert response.json()["next_statuses"] == ["active"]
    event = Message.objects.get(conversation=conversation, direction="event")
    assert event.campaign_id == campaign.id and event.author_member_id == member.id
    assert event.body_text == "Spring: Accepted the invitation"
    # the same status again changes nothing
    again = api.put(
        f"/campaigns/{campaign.id}/members/{conversation.creator_id}", {"status": "accepted"}
    )
    assert again.status_code == 200
    assert Message.objects.filter(direction="event").count() == 1
    assert (
        api.get(f"/campaigns/{campaign.id}/members/{conversation.creator_id}").json()["status"]
        == "accepted"
    )


def test_a_change_the_workflow_does_not_allow_is_a_409_saying_what_is(api, member):
    cm = CampaignMemberFactory(campaign=CampaignFactory(workspace=member.workspace))

    response = api.put(
        f"/campaigns/{cm.campaign_id}/members/{cm.creator_id}", {"status": "completed"}
    )

    assert response.status_code == 409
    message = response.json()["detail"]["status"][0]
    assert "“Invited” cannot become “Completed”" in message
    assert "Accepted, Declined" in message
    cm.refresh_from_db()
    assert cm.status == "invited"


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


def test_invite_sends_the_invitation_with_its_priority(api, member, team_mailbox):
    campaign = CampaignFactory(workspace=member.workspace, name="Spring")
    (cm,) = _members(campaign, ["added"])

    response = api.put(f"/campaigns/{campaign.id}/members/{cm.creator_id}", {"status": "invited"})

    assert response.status_code == 200, response.content
    item = OutboxItem.objects.get()
    assert item.priority == OutboxItem.Priority.INVITATION
    assert item.message.subject == "Invitation: Spring"


def test_invite_without_an_address_is_refused_unless_the_email_is_left_out(api, member):
    campaign = CampaignFactory(workspace=member.workspace, name="Spring")
    (cm,) = _members(campaign, ["added"], email=False)
    url = f"/campaigns/{campaign.id}/members/{cm.creator_id}"

    refused = api.put(url, {"status": "invited"})
    done = api.put(url, {"status": "invited", "send_email": False})

    assert refused.status_code == 422 and "mailbox" in refused.json()["detail"]
    assert done.status_code == 200 and done.json()["status"] == "invited"
    assert not OutboxItem.objects.exists()


def test_bulk_transitions_list_moved_refused_and_skipped(api, member, team_mailbox):
    campaign = CampaignFactory(workspace=member.workspace, name="Spring")
    ready = _members(campaign, ["added", "added"])
    (no_email,) = _members(campaign, ["added"], email=False)
    (accepted,) = _members(campaign, ["accepted"])
    stranger = CreatorFactory(workspace=member.workspace)

    response = api.post(
        f"/campaigns/{campaign.id}/transitions",
        {
            "creator_ids": [
                *(cm.creator_id for cm in ready),
                no_email.creator_id,
                accepted.creator_id,
                stranger.id,
            ],
            "status": "invited",
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert sorted(body["moved"]) == sorted(cm.creator_id for cm in ready)
    assert [s["creator_id"] for s in body["skipped"]] == [no_email.creator_id]
    assert body["skipped"][0]["reason"] == "No email address"
    assert {r["creator_id"] for r in body["refused"]} == {accepted.creator_id, stranger.id}
    broadcast = Broadcast.objects.get(id=body["broadcast_id"])
    assert broadcast.priority == OutboxItem.Priority.INVITATION


def test_changes_in_an_archived_campaign_are_409(api, member):
    campaign = CampaignFactory(workspace=member.workspace, status="archived")
    (cm,) = _members(campaign, ["invited"])

    one = api.put(f"/campaigns/{campaign.id}/members/{cm.creator_id}", {"status": "accepted"})
    many = api.post(
        f"/campaigns/{campaign.id}/transitions",
        {"creator_ids": [cm.creator_id], "status": "accepted"},
    )

    assert one.status_code == many.status_code == 409
    cm.refresh_from_db()
    assert cm.status == "invited"
