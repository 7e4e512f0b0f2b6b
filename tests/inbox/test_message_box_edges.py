"""The message box's rough edges (issue 17): "Re: <subject>" once, a bad date kept as typed,
errors under the field's label (never its raw name), and the thread menu's Send Email."""

import pytest
from django.urls import reverse
from django.utils import timezone

from parley.channels.email.mime import reply_subject
from parley.channels.email.models import Mailbox
from parley.inbox.models import Channel, Message
from parley.inbox.services import message_record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("subject", "reply"),
    [
        ("Spring campaign", "Re: Spring campaign"),
        ("Re: Spring campaign", "Re: Spring campaign"),
        ("RE: re:  Spring   campaign", "Re: Spring campaign"),
        ("AW: Vertrag", "Re: Vertrag"),
        ("VS: Sopimus", "Re: Sopimus"),
        ("Re[2]: SV: Avtal", "Re: Avtal"),
        ("Fwd: Brief", "Re: Fwd: Brief"),
        ("Reel ideas", "Re: Reel ideas"),
        ("", ""),
        ("Re:", ""),
    ],
)
def test_a_reply_subject_has_one_re(subject, reply):
    assert reply_subject(subject) == reply


@pytest.fixture
def mailbox(member) -> Mailbox:  # type: ignore[no-untyped-def]
    Mailbox.objects.create(
        workspace=member.workspace,
        connected_by=member,
        address="other@brand.test",
        connected_at=timezone.now(),
        smtp_host="127.0.0.1",
        secret="encrypted",
    )
    return Mailbox.objects.create(
        workspace=member.workspace,
        connected_by=member,
        address="team@brand.test",
        connected_at=timezone.now(),
        is_default=True,
        smtp_host="127.0.0.1",
        secret="encrypted",
    )


def test_the_message_box_answers_the_latest_email_with_re_once(
    logged_in, mailbox, make_conversation
):
    conversation = make_conversation(name="Ada")
    for subject in ("Older thing", "Re: Re: The brief"):
        message_record(
            conversation=conversation,
            channel=Channel.EMAIL,
            direction=Message.Direction.INBOUND,
            status=Message.Status.RECEIVED,
            subject=subject,
            body_text="text",
            author_creator=conversation.creator,
        )
    html = logged_in.get(reverse("inbox:thread", args=[conversation.id])).content.decode()
    assert 'value="Re: The brief" data-testid="subject"' in html


def test_a_bad_date_is_kept_as_typed_and_explained_under_its_label(logged_in, make_conversation):
    conversation = make_conversation(name="Ada")
    response = logged_in.post(
        reverse("inbox:send", args=[conversation.id]),
        {"channel": "inapp", "body": "Hello", "send_at": "2026-02-31T25:00"},
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert 'name="send_at" value="2026-02-31T25:00"' in html
    assert "<strong>Send later</strong>: Enter a date and time." in html
    assert "send_at</strong>" not in html
    assert not Message.objects.filter(conversation=conversation, body_text="Hello").exists()


def test_bulk_errors_use_labels_not_field_names(logged_in, make_conversation):
    conversation = make_conversation(name="Ada")
    response = logged_in.post(
        reverse("inbox:bulk"), {"action": "campaign", "creators": [conversation.creator_id]}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "<strong>Campaign</strong>: Pick a campaign." in html and "bulk_campaign" not in html


def test_the_thread_menu_offers_send_email_with_the_default_mailbox_marked(
    logged_in, mailbox, make_conversation
):
    conversation = make_conversation(name="Ada")
    html = logged_in.get(reverse("inbox:thread", args=[conversation.id])).content.decode()
    assert 'data-send-email data-testid="kebab-send-email"' in html
    assert f'<option value="{mailbox.id}" selected data-default>' in html


def test_without_a_mailbox_send_email_says_to_connect_one(logged_in, make_conversation):
    conversation = make_conversation(name="Ada")
    html = logged_in.get(reverse("inbox:thread", args=[conversation.id])).content.decode()
    assert "Send Email: connect a mailbox first" in html and "data-send-email" not in html
