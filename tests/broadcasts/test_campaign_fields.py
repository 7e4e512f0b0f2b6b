"""The campaign actions' personal fields of mass messages: `{{ coupon_code }}` and
`{{ tracking_link("…") }}` for the broadcast's campaign, checked before sending and given
out in bulk when the messages are written."""

import pytest

from parley.broadcasts.models import Broadcast
from parley.broadcasts.selectors import broadcast_check, broadcast_preview
from parley.broadcasts.services import broadcast_draft, broadcast_queue, broadcast_send
from parley.campaigns.assets.coupons import pool_add
from parley.campaigns.assets.links import link_url
from parley.campaigns.models import CouponCode, TrackingLink
from parley.inbox.models import Message
from tests.campaigns.assets_support import creator_in

pytestmark = pytest.mark.django_db

BODY = 'Code {{ coupon_code }}, link {{ tracking_link("https://shop.example/spring") }}'


def _inapp(member, campaign, creators, body=BODY):  # type: ignore[no-untyped-def]
    draft = broadcast_draft(member=member, creator_ids=[c.id for c in creators], campaign=campaign)
    draft.channel = Broadcast.Channel.INAPP
    draft.body_template = body
    draft.save()
    return draft


def test_codes_and_links_are_given_out_when_the_messages_are_written(spring):
    second = creator_in(spring.campaign, name="Bo Two")
    pool_add(campaign=spring.campaign, codes=["S-1", "S-2", "S-3"])
    broadcast = _inapp(spring.member, spring.campaign, [spring.creator, second])
    preview = broadcast_preview(broadcast=broadcast)
    assert "(a code from the pool)" in preview["body"] and "/l/…" in preview["body"]

    broadcast_send(member=spring.member, broadcast=broadcast)
    broadcast_queue(broadcast_id=broadcast.id)

    codes = dict(CouponCode.objects.filter(creator__isnull=False).values_list("creator_id", "code"))
    assert set(codes) == {spring.creator.id, second.id}
    for creator in (spring.creator, second):
        link = TrackingLink.objects.get(creator=creator)
        assert link.destination == "https://shop.example/spring"
        body = Message.objects.get(
            conversation__creator=creator, direction=Message.Direction.OUTBOUND
        ).body_text
        assert body == f"Code {codes[creator.id]}, link {link_url(link)}"


def test_a_creator_with_a_code_and_link_keeps_them(spring):
    pool_add(campaign=spring.campaign, codes=["S-1", "S-2"])
    first = _inapp(spring.member, spring.campaign, [spring.creator])
    broadcast_send(member=spring.member, broadcast=first)
    broadcast_queue(broadcast_id=first.id)
    again = _inapp(spring.member, spring.campaign, [spring.creator])
    broadcast_send(member=spring.member, broadcast=again)
    broadcast_queue(broadcast_id=again.id)

    bodies = list(
        Message.objects.filter(direction=Message.Direction.OUTBOUND)
        .order_by("id")
        .values_list("body_text", flat=True)
    )
    assert len(bodies) == 2 and bodies[0] == bodies[1]
    assert CouponCode.objects.filter(creator__isnull=False).count() == 1
    assert TrackingLink.objects.count() == 1


def test_check_says_when_the_pool_is_too_small(spring):
    second = creator_in(spring.campaign, name="Bo Two")
    pool_add(campaign=spring.campaign, codes=["S-1"])
    check = broadcast_check(
        broadcast=_inapp(spring.member, spring.campaign, [spring.creator, second])
    )
    assert any("has 1 free codes; 2 recipients need one" in p for p in check.problems["body"])


def test_check_refuses_a_non_http_link_and_no_campaign(spring):
    bad = _inapp(
        spring.member, spring.campaign, [spring.creator], body='{{ tracking_link("ftp://x") }}'
    )
    assert "http:// or https://" in " ".join(broadcast_check(broadcast=bad).problems["body"])
    dynamic = _inapp(
        spring.member, spring.campaign, [spring.creator], body="{{ tracking_link(name) }}"
    )
    assert "in quotes" in " ".join(broadcast_check(broadcast=dynamic).problems["body"])
    draft = broadcast_draft(member=spring.member, creator_ids=[spring.creator.id])
    draft.channel, draft.body_template = Broadcast.Channel.INAPP, "{{ coupon_code }}"
    draft.save()
    assert "needs a campaign" in " ".join(broadcast_check(broadcast=draft).problems["body"])


def test_bare_tracking_link_is_the_latest_or_a_problem(spring):
    broadcast = _inapp(spring.member, spring.campaign, [spring.creator], body="{{ tracking_link }}")
    problems = broadcast_check(broadcast=broadcast).problems
    assert "has no tracking link in this campaign" in " ".join(problems["body"])
