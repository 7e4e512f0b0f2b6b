"""Bulk SMS as a mass message: from the inbox selection, personal fields, each recipient's
segment count, creators without a phone or who opted out skipped and listed, a text over
the cap for some recipient a problem before anything is queued, then every SMS through the
outbox to the local Twilio from the chosen number."""

import pytest
from django.urls import reverse

from parley.broadcasts.models import Broadcast
from parley.broadcasts.selectors import broadcast_check, broadcast_preview
from parley.broadcasts.services import (
    broadcast_draft,
    broadcast_queue,
    broadcast_send,
    broadcast_test_send,
    broadcast_update,
    broadcasts_finish,
)
from parley.channels.sms.health import opt_out_set
from parley.channels.sms.models import SmsRecord
from parley.core.errors import ValidationFailed
from parley.creators.models import Creator
from parley.inbox.models import Message
from parley.outbox.dispatch import outbox_dispatch_due
from parley.outbox.models import OutboxItem
from tests.channels.sms.twilio_fake import NUMBER

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(member, phone_thread, make_conversation):  # type: ignore[no-untyped-def]
    """Aino (short text), Bo (a long custom field: two segments), Cai (no phone) and Dana
    (opted out)."""
    aino = phone_thread("+358401111111", name="Aino Virtanen").creator
    bo = phone_thread("+358402222222", name="Bo Berg").creator
    Creator.objects.filter(id=bo.id).update(custom_fields={"note": "ö" * 200})
    cai = make_conversation(name="Cai Chen").creator
    dana = phone_thread("+358404444444", name="Dana Doe").creator
    opt_out_set(
        workspace_id=member.workspace_id, phone="+358404444444", opted_out=True, keyword="STOP"
    )
    return [aino, bo, cai, dana]


def _sms(member, creators, number, body="Hei {{ first_name }}! {{ custom.note }}"):  # type: ignore[no-untyped-def]
    broadcast = broadcast_draft(member=member, creator_ids=[c.id for c in creators])
    broadcast_update(
        member=member,
        broadcast=broadcast,
        channel="sms",
        mailbox=None,
        subject="",
        body=body,
        sms_number=number,
    )
    return broadcast


def test_the_check_counts_segments_per_recipient_and_lists_who_is_skipped(
    member, people, sms_number
):
    aino, bo, cai, dana = people
    check = broadcast_check(broadcast=_sms(member, people, sms_number))

    assert check.ok
    assert [i.recipient.creator_id for i in check.sendable] == [aino.id, bo.id]
    assert check.segments == {aino.id: 1, bo.id: 2}  # Bo's 200 ö: GSM-7, over one segment
    reasons = {s.creator_id: s.reason for s in check.skipped}
    assert reasons[cai.id] == "No phone number"
    assert reasons[dana.id].startswith("Opted out of SMS (STOP on")


def test_a_text_over_the_cap_for_someone_is_a_problem_before_anything_is_queued(
    member, people, sms_number
):
    broadcast = _sms(member, people, sms_number, body="{{ custom.note * 10 }}")  # Bo: 2,000 ö

    check = broadcast_check(broadcast=broadcast)

    assert not check.ok
    assert "Over 10 segments for 1 recipient: Bo Berg (14)" in check.problems["body"][0]
    with pytest.raises(ValidationFailed):
        broadcast_send(member=member, broadcast=broadcast)
    assert not Message.objects.filter(channel="sms").exists()


def test_without_a_number_it_says_so(member, people):
    broadcast = _sms(member, people, None)
    assert broadcast.sms_number is None
    assert "sms_number" in broadcast_check(broadcast=broadcast).problems


def test_the_default_number_is_taken_when_none_is_chosen(member, people, sms_number):
    assert _sms(member, people, None).sms_number_id == sms_number.id


def test_the_preview_shows_the_phone_and_segments(member, people, sms_number):
    aino, bo = people[0], people[1]
    broadcast = _sms(member, people, sms_number)

    preview = broadcast_preview(broadcast=broadcast, creator_id=bo.id)

    assert preview["phone"] == "+358402222222"
    assert preview["segments"].startswith("2 segments · GSM-7")
    assert broadcast_preview(broadcast=broadcast, creator_id=aino.id)["body"].strip() == "Hei Aino!"


def test_a_bulk_sms_goes_out_through_the_outbox_from_the_number(member, people, sms_number, twilio):
    aino, bo, cai, dana = people
    broadcast = _sms(member, people, sms_number)
    broadcast_send(member=member, broadcast=broadcast)
    # Aino opts out between the check and the writing: she is skipped then, and listed
    opt_out_set(
        workspace_id=member.workspace_id, phone="+358401111111", opted_out=True, keyword="STOP"
    )

    assert broadcast_queue(broadcast_id=broadcast.id) == 2
    broadcast.refresh_from_db()
    assert broadcast.state == Broadcast.State.SENDING
    assert {s["creator_id"] for s in broadcast.skipped} == {aino.id, cai.id, dana.id}
    [message] = Message.objects.filter(channel="sms")
    assert message.conversation.creator_id == bo.id and message.subject == ""
    record = SmsRecord.objects.get(message=message)
    assert (record.to_number, record.segments, record.number_id) == (
        "+358402222222",
        2,
        sms_number.id,
    )
    item = OutboxItem.objects.get(message=message)
    assert (item.sender_key, item.broadcast_id) == (sms_number.sender_key, broadcast.id)

    outbox_dispatch_due()
    broadcasts_finish()

    [sent] = twilio.state.sent
    assert sent.params["To"] == "+358402222222" and sent.params["From"] == NUMBER
    assert sent.params["Body"] == "Hei Bo! " + "ö" * 200
    broadcast.refresh_from_db()
    assert broadcast.state == Broadcast.State.DONE


def test_a_test_send_is_email_only(member, people, sms_number):
    with pytest.raises(ValidationFailed):
        broadcast_test_send(
            member=member, broadcast=_sms(member, people, sms_number), to="me@brand.test"
        )


def test_from_the_inbox_selection_to_a_bulk_sms(logged_in, member, people, sms_number):  # type: ignore[no-untyped-def]
    response = logged_in.post(
        reverse("inbox:bulk"),
        {"action": "broadcast", "creators": [c.id for c in people]},
        HTTP_HX_REQUEST="true",
    )
    broadcast = Broadcast.objects.get(id=int(response["HX-Redirect"].split("/")[-3]))
    url = reverse("broadcasts:edit", args=[broadcast.id])
    page = logged_in.get(url).content.decode()
    assert 'value="sms"' in page and NUMBER in page

    form = {"channel": "sms", "sms_number": sms_number.id, "body": "Moi {{ first_name }}!"}
    checked = logged_in.post(url, {**form, "action": "check"}).content.decode()

    assert 'data-testid="segments"' in checked and "Ready: 2 creators get it." in checked
    assert "Cai Chen — No phone number" in checked and "Dana Doe — Opted out of SMS" in checked
    sent = logged_in.post(url, {**form, "action": "send"})
    assert sent.status_code == 302
    broadcast.refresh_from_db()
    assert broadcast.state == Broadcast.State.PREPARING and broadcast.channel == "sms"


def test_sms_is_not_offered_without_a_number(logged_in, member, people):
    broadcast = broadcast_draft(member=member, creator_ids=[people[0].id])

    page = logged_in.get(reverse("broadcasts:edit", args=[broadcast.id])).content.decode()

    assert 'value="sms"' not in page
