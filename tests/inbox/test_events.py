"""System events in each reader's language: an event keeps its words as said (a message id
and its values, parley.inbox.events), so a teammate who reads German sees in German what
an English-speaking teammate, a creator in the portal or the worker caused; its body_text
keeps the words as written then (search, the API)."""

import json

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy, gettext_noop

from parley.campaigns.assets import gifts, payments
from parley.campaigns.models import CampaignMember
from parley.campaigns.workflow import member_status_set
from parley.inbox.events import Said, said, said_lower, said_text
from parley.inbox.models import Channel, Message
from parley.inbox.services import message_record
from tests.campaigns.assets_support import creator_in

pytestmark = pytest.mark.django_db


def _thread(client, conversation_id: int, language: str) -> str:  # type: ignore[no-untyped-def]
    client.cookies["django_language"] = language
    html = client.get(reverse("inbox:thread", args=[conversation_id])).content.decode()
    return " ".join(html.split())


def test_words_are_kept_as_said_and_shown_in_the_active_language():
    words = said(
        gettext_noop("%(campaign)s: %(event)s"),
        campaign="Spring",
        event=said(gettext_noop("payment of %(amount)s"), amount="250.00 EUR"),
    )
    stored = json.loads(json.dumps(words.stored()))  # as the database gives it back

    assert stored == {
        "t": "%(campaign)s: %(event)s",
        "v": {
            "campaign": "Spring",
            "event": {"t": "payment of %(amount)s", "v": {"amount": "250.00 EUR"}},
        },
    }
    with translation.override("en"):
        assert said_text(stored) == str(words) == "Spring: payment of 250.00 EUR"
    with translation.override("de"):
        assert said_text(stored) == "Spring: Zahlung über 250.00 EUR"


def test_a_lazy_label_is_kept_as_its_message_id_and_lower_case_is_kept_too():
    with translation.override("de"):  # whoever caused it reads German
        words = said(gettext_noop("%(status)s (no email sent)"), status=gettext_lazy("Approved"))
        label = said_lower(gettext_lazy("Paid"))
    assert words.stored()["v"]["status"] == {"t": "Approved"}
    assert label.stored() == {"t": "Paid", "l": True}
    with translation.override("en"):
        assert str(words) == "Approved (no email sent)" and str(label) == "paid"
    with translation.override("fi"):
        assert str(label) == str(gettext_lazy("Paid")).lower() != "paid"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ({"t": "Words no catalogue has: %(x)s", "v": {"x": "1"}}, "Words no catalogue has: 1"),
        ({"t": "payment of %(amount)s", "v": {}}, "Zahlung über %(amount)s"),
        ({"t": "payment of %(amount)s", "v": {"other": "1"}}, "payment of %(amount)s"),
        (
            {"t": "gifts offered: pick up to %(n)d", "v": {"n": "x"}},
            "gifts offered: pick up to %(n)d",
        ),
        ({"t": "", "v": {"\u202e": "\x00"}}, ""),
    ],
)
def test_stored_words_that_do_not_fit_are_shown_as_they_are_never_an_error(stored, shown):
    with translation.override("de"):
        assert said_text(stored) == shown


def test_a_payment_event_made_in_english_reads_in_german(logged_in, spring, portal):
    with translation.override("en"):
        payments.payment_create(
            actor=spring.member,
            campaign=spring.campaign,
            creator=spring.creator,
            amount="250",
            currency="EUR",
        )
    event = Message.objects.get(conversation=spring.conversation, channel=Channel.EVENT)
    assert event.body_text == "Spring: payment of 250.00 EUR"

    assert "Spring: Zahlung über 250.00 EUR" in _thread(logged_in, spring.conversation.id, "de")
    assert "Spring: payment of 250.00 EUR" in _thread(logged_in, spring.conversation.id, "en")


def test_status_and_bulk_events_read_in_the_readers_language(logged_in, spring, portal):
    other = creator_in(spring.campaign, name="Bo Example")
    gifts.product_create(campaign=spring.campaign, name="Hoodie")
    with translation.override("en"):
        member_status_set(
            campaign_member=CampaignMember.objects.get(campaign=spring.campaign, creator=other),
            status=CampaignMember.Status.ACCEPTED,
        )
        gifts.gift_offer_many(
            actor=None, campaign=spring.campaign, creator_ids=[spring.creator.id, other.id], limit=2
        )
    thread = other.conversation.id  # type: ignore[attr-defined]

    german = _thread(logged_in, thread, "de")
    finnish = _thread(logged_in, thread, "fi")

    with translation.override("de"):
        assert f"Spring: {gettext_lazy('Accepted the invitation')}" in german
    assert "Accepted the invitation" not in german and "gifts offered" not in german
    assert "Spring: gifts offered" not in finnish and "Accepted the invitation" not in finnish
    stored = Message.objects.filter(conversation_id=thread, channel=Channel.EVENT)
    assert {m.body_text for m in stored} == {
        "Spring: Accepted the invitation",
        "Spring: gifts offered: pick up to 2",
    }


def test_events_stored_before_show_their_text(logged_in, spring):
    message_record(
        conversation=spring.conversation,
        channel=Channel.EVENT,
        direction=Message.Direction.EVENT,
        status=Message.Status.DELIVERED,
        body_text="Spring: an event from before",
    )
    assert "Spring: an event from before" in _thread(logged_in, spring.conversation.id, "de")


def test_an_event_said_goes_into_body_text_in_the_language_it_was_caused_in(spring):
    with translation.override("fi"):
        message = message_record(
            conversation=spring.conversation,
            channel=Channel.EVENT,
            direction=Message.Direction.EVENT,
            status=Message.Status.DELIVERED,
            event=Said("agreement sent"),
        )
    message.refresh_from_db()
    with translation.override("fi"):
        assert message.body_text == str(gettext_lazy("agreement sent"))
    assert message.event == {"t": "agreement sent"}
    with translation.override("en"):
        assert message.shown_text == "agreement sent"
