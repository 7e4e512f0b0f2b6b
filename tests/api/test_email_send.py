"""Email over the API: `POST /conversations/{id}/messages` with `channel: "email"` through a
real SMTP server, attachments as base64, the daily limit's planned day, a bouncing address;
then retry, mark as sent and cancel of a message on its way out."""

import base64
import json
import re
import zoneinfo
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from parley.api.urls import BODY_MAX
from parley.channels.email.models import EmailRecord, Mailbox
from parley.creators.services import identity_bounce_mark
from parley.inbox.models import Attachment, Message
from parley.inbox.services import conversation_get_or_create
from parley.outbox.models import OutboxItem, SenderState
from parley.outbox.senders import slots_reserve
from parley.outbox.services import outbox_deliver
from tests.factories import CreatorFactory, IdentityFactory

pytestmark = pytest.mark.django_db


def _today(member: Any) -> date:
    return timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(member.workspace.time_zone)).date()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def send_only(connect) -> Mailbox:  # type: ignore[no-untyped-def]
    """A mailbox connected through the real SMTP server (send only: no Sent folder)."""
    return connect(access=Mailbox.Access.SEND_ONLY)


@pytest.fixture
def thread(creator_thread):  # type: ignore[no-untyped-def]
    return creator_thread("anna@creators.test", "Anna Virtanen")


def _email(mailbox: Mailbox, **over: Any) -> dict[str, Any]:
    return {"channel": "email", "mailbox_id": mailbox.id, "subject": "Hi", "body": "Hello", **over}


def test_email_with_attachments_is_queued_then_delivered(
    api, member, send_only, thread, smtp_server
):
    # when an email with two attachments, one with a hostile name, is sent over the API
    response = api.post(
        f"/conversations/{thread.id}/messages",
        _email(
            send_only,
            subject="Yhteistyö",
            body="Brief attached.",
            attachments=[
                {
                    "filename": "brief.pdf",
                    "content_type": "application/pdf",
                    "data_base64": _b64(b"%PDF brief"),
                },
                {"filename": "../../etc/\u202eevil\x07.txt", "data_base64": _b64(b"hi")},
            ],
        ),
    )

    # then it is queued in the outbox under the mailbox, with our Message-ID
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["channel"], body["status"], body["subject"]) == ("email", "queued", "Yhteistyö")
    assert body["planned_day"] == _today(member).isoformat()
    assert body["scheduled_reason"] is None
    assert [(a["filename"], a["size"]) for a in body["attachments"]] == [
        ("brief.pdf", 10),
        ("../../etc/ evil .txt", 2),
    ]
    item = OutboxItem.objects.get(message_id=body["id"])
    assert item.sender_key == send_only.sender_key
    assert EmailRecord.objects.filter(message_id=body["id"], mailbox=send_only).exists()
    stored = Attachment.objects.get(message_id=body["id"], size=2)
    # stored under a safe name, inside the uploads
    assert re.fullmatch(r"attachments/\d{4}/\d{2}/evil(_\w+)?\.txt", stored.file.name)
    assert Path(stored.file.path).resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())

    # and when the outbox delivers it, the SMTP server gets it with both files
    before = len(smtp_server.handler.messages)
    outbox_deliver(item_id=item.id)
    got = smtp_server.handler.messages[before:]
    assert len(got) == 1 and got[0]["Subject"] == "Yhteistyö"
    parts = list(got[0].iter_attachments())
    assert parts[0].get_filename() == "brief.pdf" and parts[0].get_content() == b"%PDF brief"
    thread_out = api.get(f"/conversations/{thread.id}/messages").json()
    assert thread_out[-1]["status"] == "sent" and thread_out[-1]["planned_day"] is None


def test_an_email_over_the_daily_limit_says_its_day(api, member, send_only, thread):
    # given a mailbox with a limit of 2 that sent 2 today
    Mailbox.objects.filter(id=send_only.id).update(daily_limit=2)
    slots_reserve(sender_key=send_only.sender_key, day=_today(member), limit=2, want=2)

    response = api.post(f"/conversations/{thread.id}/messages", _email(send_only))

    # then it is queued for tomorrow, and says why
    assert response.status_code == 201
    tomorrow = (_today(member) + timedelta(days=1)).isoformat()
    assert response.json()["status"] == "queued"
    assert response.json()["planned_day"] == tomorrow
    assert response.json()["scheduled_reason"] == "daily_limit"
    listed = api.get(f"/conversations/{thread.id}/messages").json()[-1]
    assert (listed["planned_day"], listed["scheduled_reason"]) == (tomorrow, "daily_limit")
    # and the mailbox list shows the day full
    today = api.get(f"/mailboxes/{send_only.id}").json()["today"]
    assert (today["sent"], today["remaining"]) == (2, 0)


def test_an_email_sent_later_says_so(api, send_only, thread):
    later = timezone.now() + timedelta(days=3)

    response = api.post(
        f"/conversations/{thread.id}/messages", _email(send_only, send_at=later.isoformat())
    )

    assert response.status_code == 201
    assert response.json()["scheduled_reason"] == "send_at"
    assert response.json()["scheduled_for"] is not None


def test_a_bouncing_address_asks_first(api, member, send_only, thread):
    # given the creator's address hard-bounced
    identity = thread.creator.identities.get()
    identity_bounce_mark(
        identity=identity, status="5.1.1", diagnostic="User unknown", at=timezone.now()
    )
    creator = api.get(f"/creators/{thread.creator_id}").json()
    shown = creator["identities"][0]
    assert (shown["bounce_status"], shown["bounce_diagnostic"]) == ("5.1.1", "User unknown")
    assert shown["bounced_at"] is not None

    # when an email is sent to it, it is a conflict that says when and why
    refused = api.post(f"/conversations/{thread.id}/messages", _email(send_only))
    assert refused.status_code == 409
    (why,) = refused.json()["detail"]["confirm_bouncing"]
    assert "bounced on" in why and "5.1.1: User unknown" in why
    assert not Message.objects.filter(channel="email", direction="outbound").exists()

    # and with confirm_bouncing it goes
    confirmed = api.post(
        f"/conversations/{thread.id}/messages", _email(send_only, confirm_bouncing=True)
    )
    assert confirmed.status_code == 201 and confirmed.json()["status"] == "queued"


def test_a_creator_without_an_email_address_is_a_conflict(api, member, send_only):
    creator = CreatorFactory(workspace=member.workspace)
    conversation = conversation_get_or_create(creator=creator)

    response = api.post(f"/conversations/{conversation.id}/messages", _email(send_only))

    assert response.status_code == 409
    assert response.json() == {"detail": {"conversation": ["This creator has no email address."]}}


def test_attachments_over_the_limit_together_are_a_422(api, send_only, thread, settings):
    settings.PARLEY_EMAIL_ATTACHMENT_MAX_BYTES = 1000  # the service reads it at each send
    files = [{"filename": f"{i}.bin", "data_base64": _b64(b"x" * 600)} for i in range(2)]

    response = api.post(
        f"/conversations/{thread.id}/messages", _email(send_only, attachments=files)
    )

    assert response.status_code == 422
    assert "the limit is 1000" in response.json()["detail"]["attachments"][0]
    assert not Message.objects.filter(channel="email", direction="outbound").exists()


def test_a_body_larger_than_a_form_may_be_is_taken_up_to_the_attachment_limit(
    api, send_only, thread
):
    # given a 3 MB attachment: more than Django takes in a form's fields (2.5 MB)
    data = b"\x00\xff" * 1_500_000

    response = api.post(
        f"/conversations/{thread.id}/messages",
        _email(send_only, attachments=[{"filename": "cut.mov", "data_base64": _b64(data)}]),
    )

    assert response.status_code == 201, response.content[:200]
    attachment = Attachment.objects.get(message_id=response.json()["id"])
    assert attachment.size == len(data) and attachment.file.read() == data


def test_a_body_over_the_api_limit_is_a_400(api, send_only, thread):
    too_big = json.dumps(_email(send_only, body="x" * BODY_MAX))

    response = api.client.post(
        f"/api/v1/conversations/{thread.id}/messages",
        data=too_big,
        content_type="application/json",
        headers=api._headers(),
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is too large."}


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"mailbox_id": None}, "mailbox_id", "This field is required."),
        ({"mailbox_id": "1"}, "mailbox_id", "Enter a whole number."),
        (
            {"subject": "Hi\r\nBcc: all@example.com"},
            "subject",
            "Remove the line breaks: this goes in an email header.",
        ),
        ({"body": " "}, "body", "This field cannot be blank."),
        ({"confirm_bouncing": "yes"}, "confirm_bouncing", "Enter true or false."),
        ({"attachments": {}}, "attachments", "Enter a list."),
        (
            {"attachments": [{"filename": "a.txt", "data_base64": "not base64!"}]},
            "attachments.0.data_base64",
            "Enter the file as base64 (with its = padding, without line breaks).",
        ),
        (
            {"attachments": [{"filename": " ", "data_base64": ""}]},
            "attachments.0.filename",
            "This field cannot be blank.",
        ),
        (
            {"attachments": [{"filename": "a", "data_base64": "", "content_type": "text"}]},
            "attachments.0.content_type",
            "Enter a media type, e.g. application/pdf.",
        ),
        (
            {"attachments": [{"filename": "a", "data_base64": "", "path": "/etc/passwd"}]},
            "attachments.0.path",
            "Unknown field.",
        ),
        (
            {"attachments": [{"filename": "a", "data_base64": ""}] * 21},
            "attachments",
            "Give at most 20 items.",
        ),
    ],
)
def test_email_rejects_bad_input_per_field(api, send_only, thread, over, field, message):
    body = {k: v for k, v in _email(send_only, **over).items() if v is not None}

    response = api.post(f"/conversations/{thread.id}/messages", body)

    assert response.status_code == 422, response.content
    assert response.json()["detail"] == {field: [message]}
    assert not Message.objects.filter(channel="email", direction="outbound").exists()


def test_a_disconnected_mailbox_is_404(api, member, send_only, thread):
    api.delete(f"/mailboxes/{send_only.id}")

    response = api.post(f"/conversations/{thread.id}/messages", _email(send_only))

    assert response.status_code == 404
    assert not Message.objects.filter(channel="email", direction="outbound").exists()


# Retry, mark as sent, cancel -------------------------------------------------------------


def _queued(api: Any, thread: Any, mailbox: Mailbox, **over: Any) -> int:
    response = api.post(f"/conversations/{thread.id}/messages", _email(mailbox, **over))
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def test_retry_a_failed_email_sends_it(api, send_only, thread, smtp_server):
    # given an email the server refused for good
    message_id = _queued(api, thread, send_only)
    smtp_server.handler.refuse = "554 5.7.1 Rejected"
    outbox_deliver(item_id=OutboxItem.objects.get(message_id=message_id).id)
    assert Message.objects.get(id=message_id).status == Message.Status.FAILED
    smtp_server.handler.refuse = None

    # when it is retried
    response = api.post(f"/conversations/{thread.id}/messages/{message_id}/retry")

    # then it is queued again, and goes out
    assert response.status_code == 200
    assert response.json()["status"] == "queued" and response.json()["status_reason"] == ""
    before = len(smtp_server.handler.messages)
    assert outbox_deliver(item_id=OutboxItem.objects.get(message_id=message_id).id) == "done"
    assert len(smtp_server.handler.messages) == before + 1
    # and a sent message cannot be retried
    again = api.post(f"/conversations/{thread.id}/messages/{message_id}/retry")
    assert again.status_code == 409
    assert again.json() == {"detail": {"__all__": ["This message cannot be changed any more."]}}


def test_mark_sent_an_email_whose_outcome_is_unknown(api, send_only, thread):
    message_id = _queued(api, thread, send_only)
    OutboxItem.objects.filter(message_id=message_id).update(state=OutboxItem.State.UNKNOWN)

    # a queued one cannot be marked as sent
    queued = _queued(api, thread, send_only)
    assert api.post(f"/conversations/{thread.id}/messages/{queued}/mark-sent").status_code == 409

    response = api.post(f"/conversations/{thread.id}/messages/{message_id}/mark-sent")

    assert response.status_code == 200
    assert response.json()["status"] == "sent" and response.json()["sent_at"] is not None
    assert OutboxItem.objects.get(message_id=message_id).state == OutboxItem.State.DONE
    assert Message.objects.get(id=queued).status == Message.Status.QUEUED


def test_cancel_an_email_waiting_for_its_day(api, member, send_only, thread):
    # given an email that waits for tomorrow under the limit
    Mailbox.objects.filter(id=send_only.id).update(daily_limit=1)
    slots_reserve(sender_key=send_only.sender_key, day=_today(member), limit=1, want=1)
    message_id = _queued(api, thread, send_only)
    SenderState.objects.filter(sender_key=send_only.sender_key).update(plan_dirty=False)

    response = api.post(f"/conversations/{thread.id}/messages/{message_id}/cancel")

    # then it will never go, says so, and its mailbox's queue is planned again
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "failed" and body["status_reason"] == "Cancelled before it was sent."
    assert (body["planned_day"], body["scheduled_reason"]) == (None, None)
    assert OutboxItem.objects.get(message_id=message_id).state == OutboxItem.State.CANCELLED
    assert SenderState.objects.get(sender_key=send_only.sender_key).plan_dirty
    # and it cannot be cancelled twice
    assert api.post(f"/conversations/{thread.id}/messages/{message_id}/cancel").status_code == 409


def test_cancel_what_is_being_sent_is_a_conflict(api, send_only, thread):
    message_id = _queued(api, thread, send_only)
    OutboxItem.objects.filter(message_id=message_id).update(
        lease_until=timezone.now() + timedelta(minutes=1), leased_by="worker-1"
    )

    response = api.post(f"/conversations/{thread.id}/messages/{message_id}/cancel")

    assert response.status_code == 409
    assert response.json()["detail"]["__all__"] == [
        "This message is being sent; it cannot be cancelled any more."
    ]
    assert OutboxItem.objects.get(message_id=message_id).state == OutboxItem.State.PENDING


@pytest.mark.parametrize("action", ["retry", "mark-sent", "cancel"])
def test_actions_take_only_the_conversations_own_messages(
    api, member, send_only, thread, creator_thread, action
):
    # given a message of another conversation in the same workspace
    message_id = _queued(api, thread, send_only)
    OutboxItem.objects.filter(message_id=message_id).update(state=OutboxItem.State.UNKNOWN)
    other = creator_thread("ben@creators.test", "Ben")

    response = api.post(f"/conversations/{other.id}/messages/{message_id}/{action}")

    assert response.status_code == 404
    assert OutboxItem.objects.get(message_id=message_id).state == OutboxItem.State.UNKNOWN


@pytest.mark.parametrize("action", ["retry", "mark-sent", "cancel"])
def test_an_inbound_message_has_nothing_to_retry_mark_or_cancel(api, make_conversation, action):
    conversation = make_conversation(inbound=1)
    message = Message.objects.get(conversation=conversation)

    response = api.post(f"/conversations/{conversation.id}/messages/{message.id}/{action}")

    assert response.status_code == 409
    assert Message.objects.get(id=message.id).status == Message.Status.RECEIVED


def test_an_in_app_message_scheduled_for_later_can_be_cancelled(api, make_conversation):
    conversation = make_conversation()
    later = (timezone.now() + timedelta(hours=5)).isoformat()
    sent = api.post(f"/conversations/{conversation.id}/messages", {"body": "x", "send_at": later})
    assert sent.json()["scheduled_reason"] == "send_at"

    response = api.post(f"/conversations/{conversation.id}/messages/{sent.json()['id']}/cancel")

    assert response.status_code == 200 and response.json()["status"] == "failed"


def test_identities_that_never_bounced_say_so(api, member):
    creator = CreatorFactory(workspace=member.workspace)
    IdentityFactory(creator=creator)

    shown = api.get(f"/creators/{creator.id}").json()["identities"][0]

    assert (shown["bounced_at"], shown["bounce_status"], shown["bounce_diagnostic"]) == (
        None,
        "",
        "",
    )
