"""Mass messages: checked before anything is queued, one message per recipient in their own
thread with their own Message-ID, through the outbox under the mailbox's limit."""

import pytest
from django.utils import timezone

from parley.broadcasts.models import Broadcast
from parley.broadcasts.selectors import broadcast_check, broadcast_preview, broadcast_progress
from parley.broadcasts.services import (
    broadcast_cancel,
    broadcast_draft,
    broadcast_queue,
    broadcast_send,
    broadcast_test_send,
    broadcast_update,
)
from parley.channels.email.mime import token_parse
from parley.channels.email.models import EmailRecord, Mailbox
from parley.core.errors import ValidationFailed
from parley.creators.models import Identity
from parley.inbox.models import Conversation, InboxEntry, Message
from parley.outbox.dispatch import outbox_dispatch_due
from parley.outbox.models import OutboxItem
from tests.factories import CampaignFactory, CreatorFactory, IdentityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def send_only(connect):  # type: ignore[no-untyped-def]
    return connect(access=Mailbox.Access.SEND_ONLY)


def _creators(member, n, *, email=True, **fields):  # type: ignore[no-untyped-def]
    out = []
    for i in range(n):
        creator = CreatorFactory(workspace=member.workspace, name=f"Creator {i}", **fields)
        if email:
            IdentityFactory(creator=creator, value=f"creator{i}-{creator.id}@creators.test")
        out.append(creator)
    return out


def _draft(member, creators, mailbox, *, subject="Hi {{ first_name }}", body="Hello {{ name }}"):  # type: ignore[no-untyped-def]
    draft = broadcast_draft(member=member, creator_ids=[c.id for c in creators])
    return broadcast_update(
        member=member,
        broadcast=draft,
        channel=Broadcast.Channel.EMAIL,
        mailbox=mailbox,
        subject=subject,
        body=body,
    )


def test_each_recipient_gets_their_own_email_in_their_own_thread(member, send_only, smtp_server):  # type: ignore[no-untyped-def]
    # Given a mass email to three creators, one of whom already has a thread
    creators = _creators(member, 3, custom_fields={"size": "M"})
    broadcast = _draft(
        member, creators, send_only, body="Hi {{ first_name }}, size {{ custom.size }}"
    )
    # When it is sent and the worker runs
    broadcast_send(member=member, broadcast=broadcast)
    broadcast.refresh_from_db()
    assert broadcast.state == Broadcast.State.PREPARING
    assert broadcast_queue(broadcast_id=broadcast.id) == 3
    outbox_dispatch_due()
    # Then each creator has one email in their own thread, personalised, with its own id
    messages = list(Message.objects.filter(channel="email").order_by("id"))
    assert len(messages) == 3
    assert {m.conversation.creator_id for m in messages} == {c.id for c in creators}
    assert [m.body_text for m in messages] == ["Hi Creator, size M"] * 3
    ids = [m.provider_message_id for m in messages]
    assert len(set(ids)) == 3 and all(
        token_parse(i) == (member.workspace_id, m.id) for i, m in zip(ids, messages, strict=True)
    )
    assert EmailRecord.objects.filter(message__in=messages, folder__isnull=True).count() == 3
    assert all(m.status == "sent" for m in Message.objects.filter(id__in=[m.id for m in messages]))
    sent_to = sorted(r for _f, rcpts in smtp_server.handler.envelopes[-3:] for r in rcpts)
    assert sent_to == sorted(c.identities.get().value for c in creators)
    # And their threads moved up, and every member has an entry for each
    for creator in creators:
        conversation = Conversation.objects.get(creator=creator)
        assert conversation.preview.startswith("Hi Creator")
        assert InboxEntry.objects.filter(conversation=conversation).count() == 1
    items = OutboxItem.objects.filter(broadcast=broadcast)
    assert items.count() == 3 and {i.priority for i in items} == {OutboxItem.Priority.MASS}


def test_every_problem_at_once_and_nothing_queued(member, send_only):  # type: ignore[no-untyped-def]
    creators = _creators(member, 2)
    broadcast = _draft(
        member, creators, send_only, subject="Hi {{ nickname }}", body="Line one\n{% if %}"
    )
    with pytest.raises(ValidationFailed) as caught:
        broadcast_send(member=member, broadcast=broadcast)
    errors = caught.value.errors
    assert "Unknown field “nickname”" in errors["subject"][0]
    assert errors["body"][0].startswith("Line 2:")
    assert not Message.objects.exists() and not OutboxItem.objects.exists()
    broadcast.refresh_from_db()
    assert broadcast.state == Broadcast.State.DRAFT


def test_the_campaign_field_needs_a_campaign(member, send_only):  # type: ignore[no-untyped-def]
    # A mass message from an inbox filter has no campaign: {{ campaign }} would be blank in
    # every email, so the check says so where it is used, and nothing is sent.
    creators = _creators(member, 2)
    body = "We'd love you for {{ campaign }}."
    broadcast = _draft(member, creators, send_only, subject="{{ campaign }} news", body=body)
    with pytest.raises(ValidationFailed) as caught:
        broadcast_send(member=member, broadcast=broadcast)
    errors = caught.value.errors
    assert errors["subject"] == [
        "{{ campaign }} needs a campaign: start the mass message "
        "from the inbox filtered by one campaign."
    ]
    assert errors["body"] == errors["subject"]
    assert not Message.objects.exists()
    # Sent for a campaign, it is the campaign's name.
    spring = CampaignFactory(workspace=member.workspace, name="Spring Glow")
    draft = broadcast_draft(member=member, creator_ids=[c.id for c in creators], campaign=spring)
    draft = broadcast_update(
        member=member,
        broadcast=draft,
        channel=Broadcast.Channel.EMAIL,
        mailbox=send_only,
        subject="{{ campaign }} news",
        body=body,
    )
    assert broadcast_check(broadcast=draft).ok
    assert broadcast_preview(broadcast=draft, creator_id=creators[0].id)["body"] == (
        "We'd love you for Spring Glow."
    )


def test_recipients_without_an_address_or_bouncing_are_skipped_and_listed(member, send_only):  # type: ignore[no-untyped-def]
    good = _creators(member, 1)
    without = CreatorFactory(workspace=member.workspace, name="No Mail")
    bouncing = _creators(member, 1)[0]
    Identity.objects.filter(creator=bouncing).update(
        bounced_at=timezone.now(), bounce_status="5.1.1"
    )
    broadcast = _draft(member, [*good, without, bouncing], send_only)
    check = broadcast_check(broadcast=broadcast)
    assert [i.recipient.creator_id for i in check.sendable] == [good[0].id]
    reasons = {s.creator_id: s.reason for s in check.skipped}
    assert reasons[without.id] == "No email address"
    assert "5.1.1" in reasons[bouncing.id]
    broadcast_send(member=member, broadcast=broadcast)
    broadcast.refresh_from_db()
    assert broadcast.recipient_ids == [good[0].id]
    assert {s["creator_id"] for s in broadcast.skipped} == {without.id, bouncing.id}


def test_another_workspaces_creators_are_left_out(member, other_member, send_only):  # type: ignore[no-untyped-def]
    mine = _creators(member, 1)
    theirs = _creators(other_member, 1)
    draft = broadcast_draft(member=member, creator_ids=[theirs[0].id, mine[0].id])
    assert draft.recipient_ids == [mine[0].id]
    with pytest.raises(ValidationFailed):
        broadcast_draft(member=member, creator_ids=[theirs[0].id])


def test_preview_for_one_recipient(member, send_only):  # type: ignore[no-untyped-def]
    creators = _creators(member, 2)
    creators[1].first_name = "Ana"
    creators[1].save()
    broadcast = _draft(member, creators, send_only)
    preview = broadcast_preview(broadcast=broadcast, creator_id=creators[1].id)
    assert preview["subject"] == "Hi Ana" and preview["body"] == "Hello Creator 1"


def test_a_test_goes_to_the_author_only(member, send_only, smtp_server):  # type: ignore[no-untyped-def]
    broadcast = _draft(member, _creators(member, 2), send_only)
    subject = broadcast_test_send(member=member, broadcast=broadcast, to=member.user.email)
    assert subject == "Hi Creator"
    assert smtp_server.handler.envelopes[-1][1] == [member.user.email]
    assert not Message.objects.exists()


def test_over_the_limit_is_scheduled_by_day_and_cancel_stops_the_rest(
    member, send_only, smtp_server
):  # type: ignore[no-untyped-def]
    send_only.daily_limit = 3
    send_only.save(update_fields=["daily_limit"])
    broadcast = _draft(member, _creators(member, 8), send_only)
    broadcast_send(member=member, broadcast=broadcast)
    broadcast_queue(broadcast_id=broadcast.id)
    outbox_dispatch_due()
    progress = broadcast_progress(broadcast=broadcast)
    assert progress.by_state.get("done") == 3
    assert [n for _day, n in progress.by_day] == [3, 2]
    assert progress.finished_on == progress.by_day[-1][0]
    broadcast.refresh_from_db()
    assert broadcast_cancel(member=member, broadcast=broadcast) == 5
    assert (
        Message.objects.filter(status="failed", status_reason__icontains="cancelled").count() == 5
    )
    broadcast.refresh_from_db()
    assert broadcast.state == Broadcast.State.CANCELLED


def test_bulk_in_app_is_delivered_at_once(member):  # type: ignore[no-untyped-def]
    creators = _creators(member, 3, email=False)
    draft = broadcast_draft(member=member, creator_ids=[c.id for c in creators])
    broadcast_update(
        member=member,
        broadcast=draft,
        channel=Broadcast.Channel.INAPP,
        mailbox=None,
        subject="",
        body="News for {{ first_name }}",
    )
    broadcast_send(member=member, broadcast=draft)
    broadcast_queue(broadcast_id=draft.id)
    draft.refresh_from_db()
    assert draft.state == Broadcast.State.DONE
    assert Message.objects.filter(channel="inapp", status="sent").count() == 3
    assert not OutboxItem.objects.exists()


def test_queueing_twice_writes_nothing_twice(member, send_only):  # type: ignore[no-untyped-def]
    broadcast = _draft(member, _creators(member, 3), send_only)
    broadcast_send(member=member, broadcast=broadcast)
    broadcast_queue(broadcast_id=broadcast.id)
    broadcast_queue(broadcast_id=broadcast.id)
    assert Message.objects.count() == 3 and OutboxItem.objects.count() == 3


def test_a_large_send_is_checked_on_a_sample_and_the_worker_skips_who_fails(
    member, send_only, monkeypatch
):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("parley.broadcasts.selectors.RENDER_SAMPLE", 2)
    good = _creators(member, 3, custom_fields={"visits": 3})
    bad = _creators(member, 1, custom_fields={"visits": "many"})  # "many" + 1 fails
    broadcast = _draft(
        member, [good[0], bad[0], *good[1:]], send_only, body="{{ custom.visits + 1 }}"
    )

    check = broadcast_send(member=member, broadcast=broadcast)  # the sample: 1st and 3rd
    broadcast_queue(broadcast_id=broadcast.id)

    assert check.ok
    broadcast.refresh_from_db()
    assert Message.objects.filter(channel="email").count() == 3
    (skipped,) = broadcast.skipped
    assert skipped["creator_id"] == bad[0].id
    assert 'can only concatenate str (not "int")' in skipped["reason"]
