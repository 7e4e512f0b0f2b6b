"""Mass messages over the API: `POST /broadcasts` checks first (every problem at once,
nothing saved or queued on any) and sends, or with `check_only` only checks; recipients by
id, by the inbox filter or a campaign's members, at most PARLEY_BROADCAST_LIMIT; a preview
for one creator; the list; the progress (pinned queries); cancel."""

import zoneinfo
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parley.broadcasts.models import Broadcast
from parley.broadcasts.services import broadcast_queue, broadcasts_finish
from parley.campaigns.models import CampaignMember
from parley.channels.email.models import Mailbox
from parley.creators.models import Creator, Identity
from parley.creators.services import tags_add
from parley.inbox.models import Conversation, Message
from parley.inbox.services import conversation_get_or_create
from parley.outbox.dispatch import outbox_dispatch_due
from parley.outbox.models import OutboxItem
from tests.factories import (
    CampaignFactory,
    CampaignMemberFactory,
    CreatorFactory,
    IdentityFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def send_only(connect) -> Mailbox:  # type: ignore[no-untyped-def]
    """A mailbox connected through the real SMTP server (send only)."""
    return connect(access=Mailbox.Access.SEND_ONLY)


def _creators(member: Any, n: int, *, email: bool = True, prefix: str = "Creator") -> list[Any]:
    """Creators with a conversation each (the inbox filter matches conversations)."""
    out = []
    for i in range(n):
        creator = CreatorFactory(
            workspace=member.workspace, name=f"{prefix} {i}", custom_fields={"size": "M"}
        )
        if email:
            IdentityFactory(creator=creator, value=f"{prefix.lower()}{i}-{creator.id}@c.test")
        conversation_get_or_create(creator=creator)
        out.append(creator)
    return out


def _body(mailbox: Mailbox | None = None, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"subject": "Hi {{ first_name }}", "body": "Size {{ custom.size }}"}
    if mailbox is not None:
        body["mailbox_id"] = mailbox.id
    return {**body, **over}


def _nothing_saved() -> None:
    assert not Broadcast.objects.exists()
    assert not OutboxItem.objects.exists()
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()


def _today(member: Any) -> date:
    return timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(member.workspace.time_zone)).date()


# Sending ------------------------------------------------------------------------------


def test_email_to_three_creators_is_checked_queued_and_delivered(
    api, member, send_only, smtp_server
):
    creators = _creators(member, 3)

    # when a mass email to three creators is sent
    response = api.post("/broadcasts", _body(send_only, creator_ids=[c.id for c in creators]))

    # then it is on its way: the worker writes its messages
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["channel"], body["mailbox_id"]) == (
        "preparing",
        "email",
        send_only.id,
    )
    assert (body["recipients"], body["queued"], body["skipped"]) == (3, 0, [])
    assert body["subject"] == "Hi {{ first_name }}"
    assert body["author"]["id"] == member.id

    # and once the worker has written and sent them, each creator got their own email in
    # their own thread, through the real SMTP server
    assert broadcast_queue(broadcast_id=body["id"]) == 3
    outbox_dispatch_due()
    broadcasts_finish()
    progress = api.get(f"/broadcasts/{body['id']}").json()
    assert progress["state"] == "done"
    assert progress["counts"] == {
        "pending": 0,
        "sending": 0,
        "sent": 3,
        "failed": 0,
        "unknown": 0,
        "cancelled": 0,
    }
    assert (progress["scheduled_by_day"], progress["expected_finish"]) == ([], None)
    sent_to = sorted(r for _f, rcpts in smtp_server.handler.envelopes[-3:] for r in rcpts)
    assert sent_to == sorted(c.identities.get().value for c in creators)
    for creator in creators:
        message = Message.objects.get(conversation__creator=creator, channel="email")
        assert (message.subject, message.body_text, message.status) == (
            "Hi Creator",
            "Size M",
            "sent",
        )


def test_in_app_mass_message_needs_no_mailbox_nor_addresses(api, member):
    creators = _creators(member, 2, email=False)

    response = api.post(
        "/broadcasts",
        {"channel": "inapp", "body": "Hello {{ name }}", "creator_ids": [c.id for c in creators]},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["channel"], body["mailbox_id"], body["recipients"]) == ("inapp", None, 2)
    broadcast_queue(broadcast_id=body["id"])
    progress = api.get(f"/broadcasts/{body['id']}").json()
    assert progress["state"] == "done" and progress["counts"]["sent"] == 2
    bodies = Message.objects.filter(channel="inapp").values_list("body_text", flat=True)
    assert sorted(bodies) == ["Hello Creator 0", "Hello Creator 1"]


def test_email_without_a_mailbox_id_goes_from_the_default(api, member, send_only):
    creators = _creators(member, 1)

    response = api.post("/broadcasts", _body(creator_ids=[creators[0].id]))

    assert response.status_code == 201, response.content
    assert response.json()["mailbox_id"] == send_only.id


def test_every_problem_at_once_and_nothing_saved(api, member):
    # Given no mailbox is connected, a subject with an unknown field, a body whose second
    # line does not parse, and one recipient without an address among two
    creators = [*_creators(member, 1), *_creators(member, 1, email=False, prefix="Nomail")]

    response = api.post(
        "/broadcasts",
        {
            "subject": "Hi {{ nickname }}",
            "body": "Line one\n{% if %}",
            "creator_ids": [c.id for c in creators],
        },
    )

    # then every problem comes at once, and nothing was saved or queued
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert "Unknown field “nickname”" in detail["subject"][0]
    assert detail["body"][0].startswith("Line 2:")
    assert detail["mailbox_id"] == ["Choose the mailbox to send from."]
    _nothing_saved()


def test_nobody_to_send_to_is_a_problem(api, member, send_only):
    creators = _creators(member, 2, email=False)

    response = api.post("/broadcasts", _body(send_only, creator_ids=[c.id for c in creators]))

    assert response.status_code == 422
    assert response.json()["detail"] == {
        "__all__": ["Nobody to send to: every recipient is skipped."]
    }
    _nothing_saved()


def test_skipped_recipients_are_listed_with_the_reason(api, member, send_only):
    good = _creators(member, 1)
    without = _creators(member, 1, email=False, prefix="Nomail")[0]
    bouncing = _creators(member, 1, prefix="Bounce")[0]
    Identity.objects.filter(creator=bouncing).update(
        bounced_at=timezone.now(), bounce_status="5.1.1"
    )

    response = api.post(
        "/broadcasts", _body(send_only, creator_ids=[good[0].id, without.id, bouncing.id])
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["recipients"] == 1
    skipped = {s["creator_id"]: s for s in body["skipped"]}
    assert skipped[without.id] == {
        "creator_id": without.id,
        "name": "Nomail 0",
        "reason": "No email address",
    }
    assert "5.1.1" in skipped[bouncing.id]["reason"]
    assert body["skipped_count"] == 2


def test_check_only_answers_the_check_and_queues_nothing(api, member, send_only):
    creators = [*_creators(member, 2), *_creators(member, 1, email=False, prefix="Nomail")]
    creators[0].first_name = "Ana"
    creators[0].save(update_fields=["first_name"])

    response = api.post(
        "/broadcasts",
        _body(send_only, creator_ids=[c.id for c in creators], check_only=True),
    )

    assert response.status_code == 200, response.content
    assert response.json() == {
        "ok": True,
        "problems": {},
        "recipients": 3,
        "sendable": 2,
        "skipped": [
            {"creator_id": creators[2].id, "name": "Nomail 0", "reason": "No email address"}
        ],
        "preview": {
            "creator_id": creators[0].id,
            "name": "Creator 0",
            "email": creators[0].identities.get().value,
            "subject": "Hi Ana",
            "body": "Size M",
            "problems": {},
        },
        "segments": [],
        "notes": [],
    }
    _nothing_saved()


def test_check_only_with_problems_is_an_answer_not_an_error(api, member, send_only):
    creators = _creators(member, 1)

    response = api.post(
        "/broadcasts",
        _body(
            send_only,
            subject="",
            body="{{ custom.size }\n",
            creator_ids=[creators[0].id],
            check_only=True,
        ),
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is False
    assert body["problems"]["subject"] == ["An email needs a subject."]
    assert body["problems"]["body"][0].startswith("Line 1:")
    assert body["preview"]["body"] == "" and body["preview"]["problems"]["body"][0].startswith(
        "Line 1:"
    )
    _nothing_saved()


# Recipients ---------------------------------------------------------------------------


def test_all_that_match_the_inbox_filter(api, member, send_only):
    tagged = _creators(member, 2, prefix="Tagged")
    _creators(member, 2, prefix="Other")
    tag = TagFactory(workspace=member.workspace, name="vip")
    tags_add(tag=tag, creator_ids=[c.id for c in tagged])

    response = api.post("/broadcasts", _body(send_only, filter={"tags": [tag.id]}))

    assert response.status_code == 201, response.content
    broadcast = Broadcast.objects.get(id=response.json()["id"])
    assert sorted(broadcast.recipient_ids) == sorted(c.id for c in tagged)
    assert broadcast.campaign_id is None


def test_a_filter_on_one_campaign_is_about_that_campaign(api, member, send_only):
    creators = _creators(member, 3)
    campaign = CampaignFactory(workspace=member.workspace, name="Spring")
    for creator in creators[:2]:
        CampaignMemberFactory(campaign=campaign, creator=creator)

    response = api.post(
        "/broadcasts",
        _body(
            send_only,
            subject="{{ campaign }}",
            filter={"campaign": campaign.id, "q": " creator "},
            check_only=True,
        ),
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["recipients"], body["preview"]["subject"]) == (2, "Spring")


def test_a_campaigns_members(api, member, send_only):
    creators = _creators(member, 3)
    campaign = CampaignFactory(workspace=member.workspace, name="Spring")
    for creator in creators[1:]:
        CampaignMemberFactory(campaign=campaign, creator=creator)

    response = api.post(
        "/broadcasts", _body(send_only, subject="About {{ campaign }}", campaign_id=campaign.id)
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["recipients"], body["campaign_id"]) == (2, campaign.id)
    broadcast_queue(broadcast_id=body["id"])
    messages = Message.objects.filter(channel="email")
    assert {m.conversation.creator_id for m in messages} == {c.id for c in creators[1:]}
    assert {(m.subject, m.campaign_id) for m in messages} == {("About Spring", campaign.id)}


def test_creator_ids_about_a_campaign(api, member, send_only):
    creators = _creators(member, 2)
    campaign = CampaignFactory(workspace=member.workspace, name="Spring")

    response = api.post(
        "/broadcasts",
        _body(send_only, creator_ids=[creators[0].id], campaign_id=campaign.id, check_only=True),
    )

    assert response.status_code == 200
    assert response.json()["recipients"] == 1
    assert not CampaignMember.objects.exists()


def test_more_recipients_than_the_limit_is_a_422(api, member, send_only, settings):
    settings.PARLEY_BROADCAST_LIMIT = 2
    creators = _creators(member, 3)
    tag = TagFactory(workspace=member.workspace)
    tags_add(tag=tag, creator_ids=[c.id for c in creators])
    campaign = CampaignFactory(workspace=member.workspace)
    for creator in creators:
        CampaignMemberFactory(campaign=campaign, creator=creator)

    for recipients in (
        {"creator_ids": [c.id for c in creators]},
        {"filter": {"tags": [tag.id]}},
        {"campaign_id": campaign.id},
    ):
        response = api.post("/broadcasts", _body(send_only, **recipients, check_only=True))

        assert response.status_code == 422, recipients
        assert response.json()["detail"]["__all__"] == [
            "At most 2 recipients in one mass message: narrow the filter."
        ]
    _nothing_saved()


def test_a_filter_that_matches_nobody_says_so_with_the_templates_problems(api, send_only):
    response = api.post(
        "/broadcasts", _body(send_only, body="{{ nope }}", filter={"q": "nobody at all"})
    )

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["__all__"] == ["Select at least one creator."]
    assert "Unknown field “nope”" in detail["body"][0]


@pytest.mark.parametrize(
    ("recipients", "field"),
    [
        ({}, "creator_ids"),
        ({"creator_ids": [1], "filter": {}}, "filter"),
    ],
)
def test_one_way_of_choosing_recipients(api, send_only, recipients, field):
    response = api.post("/broadcasts", _body(send_only, **recipients))

    assert response.status_code == 422
    assert list(response.json()["detail"]) == [field]


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"subject": "Two\nlines"}, "subject"),
        ({"subject": "x" * 901}, "subject"),
        ({"body": "x" * 50_001}, "body"),
        ({"channel": "fax"}, "channel"),
        ({"creator_ids": []}, "creator_ids"),
        ({"creator_ids": ["1"]}, "creator_ids.0"),
        ({"filter": {"tags": [1], "nope": True}}, "filter.nope"),
        ({"send_at": "2030-01-01T10:00:00"}, "send_at"),
        ({"check_only": "yes"}, "check_only"),
    ],
)
def test_bad_input_is_a_422_on_its_field(api, member, send_only, over, field):
    creators = _creators(member, 1)
    body = {**_body(send_only, creator_ids=[creators[0].id]), **over}

    response = api.post("/broadcasts", body)

    assert response.status_code == 422, response.content
    assert field in response.json()["detail"]
    _nothing_saved()


def test_the_schema_states_the_limits(anon_api, settings):
    schema = anon_api.client.get("/api/v1/openapi.json").json()
    body = schema["components"]["schemas"]["BroadcastIn"]
    properties = body["properties"]
    assert properties["creator_ids"]["maxItems"] == settings.PARLEY_BROADCAST_LIMIT
    assert properties["subject"]["maxLength"] == 900
    assert properties["body"]["maxLength"] == 50_000
    assert body["not"] == {"required": ["creator_ids", "filter"]}
    assert set(schema["paths"]["/api/v1/broadcasts"]["post"]["responses"]) >= {
        "200",
        "201",
        "404",
        "422",
    }


def test_send_at_schedules_the_messages(api, member, send_only):
    creators = _creators(member, 1)
    later = timezone.now() + timedelta(days=2)

    response = api.post(
        "/broadcasts",
        _body(send_only, creator_ids=[creators[0].id], send_at=later.isoformat()),
    )

    assert response.status_code == 201
    broadcast_queue(broadcast_id=response.json()["id"])
    item = OutboxItem.objects.get()
    assert item.send_after == later
    assert api.get(f"/broadcasts/{response.json()['id']}").json()["counts"]["pending"] == 1


# Preview ------------------------------------------------------------------------------


def test_preview_for_one_creator(api, member):
    creator = _creators(member, 1)[0]
    campaign = CampaignFactory(workspace=member.workspace, name="Spring")

    response = api.post(
        "/broadcasts/preview",
        {
            "creator_id": creator.id,
            "campaign_id": campaign.id,
            "subject": "{{ campaign }}",
            "body": "Hi {{ first_name }}",
        },
    )

    assert response.status_code == 200, response.content
    assert response.json() == {
        "creator_id": creator.id,
        "name": "Creator 0",
        "email": creator.identities.get().value,
        "subject": "Spring",
        "body": "Hi Creator",
        "problems": {},
    }


def test_preview_says_what_cannot_be_written(api, member):
    creator = _creators(member, 1)[0]

    response = api.post(
        "/broadcasts/preview",
        {"creator_id": creator.id, "subject": "{{ nickname }}", "body": "ok\n{% for %}"},
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["subject"], body["body"]) == ("", "")
    assert "Unknown field “nickname”" in body["problems"]["subject"][0]
    assert body["problems"]["body"][0].startswith("Line 2:")


# The list, the progress, cancel --------------------------------------------------------


def _sent(api: Any, mailbox: Mailbox, creators: list[Creator], **over: Any) -> int:
    response = api.post("/broadcasts", _body(mailbox, creator_ids=[c.id for c in creators], **over))
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def test_list_is_recent_first_with_a_cursor(api, member, send_only):
    creators = _creators(member, 1)
    ids = [_sent(api, send_only, creators, subject=f"Nr {i}") for i in range(3)]

    first = api.get("/broadcasts", limit=2).json()
    rest = api.get("/broadcasts", limit=2, cursor=first["next_cursor"]).json()

    assert [b["id"] for b in first["items"]] == [ids[2], ids[1]]
    assert [b["subject"] for b in first["items"]] == ["Nr 2", "Nr 1"]
    assert [b["id"] for b in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    assert first["items"][0]["recipients"] == 1
    assert api.get("/broadcasts", cursor="nope").status_code == 422


def test_progress_by_day_under_the_daily_limit(api, member, send_only):
    Mailbox.objects.filter(id=send_only.id).update(daily_limit=2)
    broadcast_id = _sent(api, send_only, _creators(member, 3))

    broadcast_queue(broadcast_id=broadcast_id)
    body = api.get(f"/broadcasts/{broadcast_id}").json()

    today = _today(member)
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert body["state"] == "sending" and body["queued"] == 3
    assert body["scheduled_by_day"] == [
        {"day": today.isoformat(), "count": 2},
        {"day": tomorrow, "count": 1},
    ]
    assert body["expected_finish"] == tomorrow
    assert body["counts"]["pending"] == 3


def test_progress_lists_failures_with_their_reasons(api, member, send_only):
    creators = _creators(member, 2)
    broadcast_id = _sent(api, send_only, creators)
    broadcast_queue(broadcast_id=broadcast_id)
    item = OutboxItem.objects.filter(broadcast_id=broadcast_id).order_by("id").first()
    assert item is not None
    OutboxItem.objects.filter(id=item.id).update(state=OutboxItem.State.FAILED)
    Message.objects.filter(id=item.message_id).update(
        status="failed", status_reason="550 No such user"
    )

    body = api.get(f"/broadcasts/{broadcast_id}").json()

    assert body["counts"]["failed"] == 1 and body["counts"]["pending"] == 1
    creator = Conversation.objects.get(messages__id=item.message_id).creator
    assert body["failures"] == [
        {"message_id": item.message_id, "creator_name": creator.name, "reason": "550 No such user"}
    ]


def _progress_queries(api: Any, broadcast_id: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/broadcasts/{broadcast_id}")
    assert response.status_code == 200
    return len(queries)


def test_progress_is_a_fixed_number_of_queries(
    api, member, send_only, django_assert_max_num_queries
):
    # Given two mass emails, one to 2 creators and one to 12, with failures among them
    small = _sent(api, send_only, _creators(member, 2, prefix="Small"))
    large = _sent(api, send_only, _creators(member, 12, prefix="Large"))
    for broadcast_id in (small, large):
        broadcast_queue(broadcast_id=broadcast_id)
        for item in OutboxItem.objects.filter(broadcast_id=broadcast_id)[:2]:
            OutboxItem.objects.filter(id=item.id).update(state=OutboxItem.State.FAILED)
    api.get(f"/broadcasts/{small}")  # the token's first use is stamped once

    # then reading either's progress takes the same few queries: the token, the broadcast
    # (with its author and mailbox), its counts by state, by day, and its failures
    with django_assert_max_num_queries(5):
        api.get(f"/broadcasts/{large}")
    assert _progress_queries(api, small) == _progress_queries(api, large) == 5


def test_cancel_what_has_not_gone_out(api, member, send_only):
    Mailbox.objects.filter(id=send_only.id).update(daily_limit=1)
    broadcast_id = _sent(api, send_only, _creators(member, 3))
    broadcast_queue(broadcast_id=broadcast_id)

    response = api.post(f"/broadcasts/{broadcast_id}/cancel")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "cancelled" and body["finished_at"] is not None
    assert body["counts"]["cancelled"] == 3 and body["counts"]["pending"] == 0
    assert set(Message.objects.filter(channel="email").values_list("status", flat=True)) == {
        "failed"
    }
    # and a cancelled one cannot be cancelled again
    again = api.post(f"/broadcasts/{broadcast_id}/cancel")
    assert again.status_code == 409
    assert again.json() == {
        "detail": {"__all__": ["Only a mass message that is still going out can be cancelled."]}
    }


def test_cancel_before_the_worker_wrote_anything(api, member, send_only):
    broadcast_id = _sent(api, send_only, _creators(member, 2))

    response = api.post(f"/broadcasts/{broadcast_id}/cancel")

    assert response.status_code == 200
    assert response.json()["state"] == "cancelled"
    assert broadcast_queue(broadcast_id=broadcast_id) == 0  # the worker writes nothing
    assert not Message.objects.filter(channel="email").exists()


def test_a_done_in_app_mass_message_cannot_be_cancelled(api, member):
    creators = _creators(member, 1)
    response = api.post(
        "/broadcasts", {"channel": "inapp", "body": "Hi", "creator_ids": [creators[0].id]}
    )
    broadcast_queue(broadcast_id=response.json()["id"])

    assert api.post(f"/broadcasts/{response.json()['id']}/cancel").status_code == 409
