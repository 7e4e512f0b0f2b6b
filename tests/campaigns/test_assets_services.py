"""Campaign actions, the services: links, coupon codes, payments, agreements, gifts, files;
each with bad input, foreign ids and wrong transitions."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from parley.campaigns.assets import agreements, coupons, gifts, links, payments
from parley.campaigns.assets.delivery import coupon_send, link_send
from parley.campaigns.assets.files import attachment_send
from parley.campaigns.assets.selectors import creator_assets, member_assets
from parley.campaigns.models import (
    Agreement,
    CampaignMember,
    CouponCode,
    GiftOffer,
    LinkClick,
    Payment,
    Product,
    TrackingLink,
)
from parley.core.errors import Conflict, NotFound, ValidationFailed
from parley.inbox.models import Attachment, Message
from parley.outbox.models import OutboxItem
from tests.campaigns.assets_support import creator_in
from tests.factories import CampaignFactory, CampaignMemberFactory, CreatorFactory

pytestmark = pytest.mark.django_db


def events(spring) -> list[str]:  # type: ignore[no-untyped-def]
    return list(
        Message.objects.filter(
            conversation__creator=spring.creator, direction=Message.Direction.EVENT
        ).values_list("body_text", flat=True)
    )


# Tracking links -----------------------------------------------------------------------------


def test_link_is_made_once_per_destination_with_an_event(spring):
    link, created = links.link_create(
        actor=spring.member,
        campaign=spring.campaign,
        creator=spring.creator,
        destination="https://shop.example/spring",
    )
    again, created_again = links.link_create(
        actor=spring.member,
        campaign=spring.campaign,
        creator=spring.creator,
        destination="https://shop.example/spring",
    )

    assert created and not created_again and again.id == link.id
    assert len(link.code) == 12 and links.CODE_SHAPE.fullmatch(link.code)
    assert events(spring) == [
        f"Spring: tracking link {links.link_url(link)} to https://shop.example/spring"
    ]
    spring.membership.refresh_from_db()
    assert spring.membership.last_activity_at > spring.membership.created_at


def test_codes_are_random_not_sequential(spring):
    codes = {
        links.link_create(
            actor=None,
            campaign=spring.campaign,
            creator=spring.creator,
            destination=f"https://shop.example/{i}",
        )[0].code
        for i in range(20)
    }
    assert len(codes) == 20


@pytest.mark.parametrize(
    "destination",
    [
        "javascript:alert(1)",
        "ftp://files.example/x",
        "mailto:a@b.test",
        "data:text/html,<b>x</b>",
        "//shop.example/no-scheme",
        "shop.example",
        "https://user:pw@shop.example/",
        "https://",
        "",
        "https://x.example/" + "a" * 2000,
        "https://sh op.example/",
        "http://a\x00b.example/",
    ],
)
def test_link_refuses_what_is_no_http_address(spring, destination):
    with pytest.raises(ValidationFailed) as exc:
        links.link_create(
            actor=None, campaign=spring.campaign, creator=spring.creator, destination=destination
        )
    assert exc.value.errors["destination"]
    assert not TrackingLink.objects.exists()


def test_non_http_link_says_why(spring):
    with pytest.raises(ValidationFailed) as exc:
        links.link_create(
            actor=None,
            campaign=spring.campaign,
            creator=spring.creator,
            destination="javascript:alert(1)",
        )
    assert "http:// or https://" in exc.value.errors["destination"][0]


def test_link_for_a_creator_not_in_the_campaign_is_refused(spring):
    outsider = CreatorFactory(workspace=spring.member.workspace, name="Out Sider")
    with pytest.raises(Conflict) as exc:
        links.link_create(
            actor=None,
            campaign=spring.campaign,
            creator=outsider,
            destination="https://shop.example/",
        )
    assert "Out Sider is not in the campaign Spring" in exc.value.errors["creator"][0]


def test_link_for_another_workspaces_creator_is_not_found(spring, other_member):
    foreign = CreatorFactory(workspace=other_member.workspace)
    with pytest.raises(NotFound):
        links.link_create(
            actor=None, campaign=spring.campaign, creator=foreign, destination="https://a.test/"
        )


def test_follow_records_a_click_without_the_ip(spring):
    link, _ = links.link_create(
        actor=None, campaign=spring.campaign, creator=spring.creator, destination="https://a.test/"
    )
    followed = links.link_follow(
        code=link.code,
        referrer="https://mail.example/" + "r" * 1000,
        ip="203.0.113.7",
        user_agent="Mozilla/5.0",
    )

    assert followed is not None and followed.destination == "https://a.test/"
    click = LinkClick.objects.get()
    assert len(click.referrer) == 500
    assert "203.0.113.7" not in click.visitor and len(click.visitor) == 32
    row = LinkClick.objects.values_list(*[f.attname for f in LinkClick._meta.concrete_fields])
    assert not any("203.0.113.7" in str(v) for v in row.get())


def test_unknown_or_malformed_code_leads_nowhere(spring):
    assert links.link_follow(code="AAAAAAAAAAAA", ip="1.2.3.4", user_agent="x") is None
    assert links.link_follow(code="../etc", ip="1.2.3.4", user_agent="x") is None
    assert links.link_follow(code="a" * 100, ip="1.2.3.4", user_agent="x") is None


def test_unique_visitors_are_counted_per_day(spring):
    link, _ = links.link_create(
        actor=None, campaign=spring.campaign, creator=spring.creator, destination="https://a.test/"
    )
    for ip in ["1.1.1.1", "1.1.1.1", "2.2.2.2"]:
        links.link_follow(code=link.code, ip=ip, user_agent="Mozilla/5.0")
    links.link_follow(code=link.code, ip="3.3.3.3", user_agent="Mozilla/5.0", record=False)

    (group,) = creator_assets(workspace=spring.member.workspace, creator=spring.creator)
    (shown,) = group.links
    assert (shown.click_count, shown.unique_count) == (3, 2)
    counts = member_assets(campaign=spring.campaign, creator_ids=[spring.creator.id])
    assert (counts[spring.creator.id].clicks, counts[spring.creator.id].unique) == (3, 2)


def test_bots_are_told_apart():
    assert links.is_bot("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)")
    assert links.is_bot("facebookexternalhit/1.1")
    assert links.is_bot("curl/8.0") and links.is_bot("")
    assert not links.is_bot(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari"
    )


def test_links_in_bulk_for_members_only(spring):
    second = creator_in(spring.campaign, name="Bo Two")
    outsider = CreatorFactory(workspace=spring.member.workspace)
    made = links.links_create_many(
        actor=spring.member,
        campaign=spring.campaign,
        creator_ids=[spring.creator.id, second.id, outsider.id],
        destination="https://shop.example/",
    )
    again = links.links_create_many(
        actor=spring.member,
        campaign=spring.campaign,
        creator_ids=[spring.creator.id, second.id],
        destination="https://shop.example/",
    )

    assert set(made) == {spring.creator.id, second.id}
    assert {k: v.id for k, v in again.items()} == {k: v.id for k, v in made.items()}
    assert TrackingLink.objects.count() == 2
    assert len(events(spring)) == 1


# Coupon codes -------------------------------------------------------------------------------


def test_pool_from_lines_csv_and_pattern(spring):
    added = coupons.pool_add(
        campaign=spring.campaign, codes=coupons.codes_from_text("A-1\n\n  B-2 \nA-1\n")
    )
    assert (added.added, added.duplicates) == (2, 1)
    from_csv = coupons.codes_from_csv("\ufeffName;Code\nx;C-3\ny;A-1\n".encode())
    assert from_csv == ["C-3", "A-1"]
    assert coupons.pool_add(campaign=spring.campaign, codes=from_csv).added == 1
    generated = coupons.pool_generate(campaign=spring.campaign, pattern="SPRING-####", count=50)
    assert generated.added == 50
    assert all(c.startswith("SPRING-") and c[7:].isdigit() for c in generated.codes)
    assert CouponCode.objects.filter(campaign=spring.campaign).count() == 53


@pytest.mark.parametrize(
    ("pattern", "count", "field"),
    [("SPRING-##", 10, "pattern"), ("SPRING-####", 6000, "count"), ("A B ####", 1, "pattern")],
)
def test_generate_refuses_patterns_that_cannot_hold(spring, pattern, count, field):
    with pytest.raises(ValidationFailed) as exc:
        coupons.pool_generate(campaign=spring.campaign, pattern=pattern, count=count)
    assert field in exc.value.errors


def test_bad_codes_are_named_by_line(spring):
    with pytest.raises(ValidationFailed) as exc:
        coupons.codes_from_text("GOOD\nhas space\n" + "x" * 65)
    assert "line 2" in exc.value.errors["codes"][0] and "line 3" in exc.value.errors["codes"][0]


def test_a_creator_gets_one_code_and_the_same_again(spring):
    coupons.pool_add(campaign=spring.campaign, codes=["A-1", "B-2"])
    code, new = coupons.coupon_assign(
        actor=spring.member, campaign=spring.campaign, creator=spring.creator
    )
    again, new_again = coupons.coupon_assign(
        actor=spring.member, campaign=spring.campaign, creator=spring.creator
    )

    assert new and not new_again and again.id == code.id and code.code == "A-1"
    assert events(spring) == ["Spring: coupon code A-1"]


def test_empty_pool_is_a_clear_error(spring):
    with pytest.raises(Conflict) as exc:
        coupons.coupon_assign(actor=None, campaign=spring.campaign, creator=spring.creator)
    assert "The coupon pool of Spring is empty" in exc.value.errors["pool"][0]


def test_bulk_codes_are_all_or_none(spring):
    second = creator_in(spring.campaign, name="Bo Two")
    third = creator_in(spring.campaign, name="Cy Three")
    coupons.pool_add(campaign=spring.campaign, codes=["A-1", "B-2"])
    ids = [spring.creator.id, second.id, third.id]

    with pytest.raises(Conflict) as exc:
        coupons.coupons_assign_many(actor=None, campaign=spring.campaign, creator_ids=ids)
    assert "2 free codes; 3 creators need one" in exc.value.errors["pool"][0]
    assert not CouponCode.objects.filter(creator__isnull=False).exists()

    partial = coupons.coupons_assign_many(
        actor=None, campaign=spring.campaign, creator_ids=ids, all_or_none=False
    )
    assert set(partial) == {spring.creator.id, second.id}
    coupons.pool_add(campaign=spring.campaign, codes=["C-3"])
    everyone = coupons.coupons_assign_many(actor=None, campaign=spring.campaign, creator_ids=ids)
    assert len({c.code for c in everyone.values()}) == 3
    assert everyone[spring.creator.id].code == partial[spring.creator.id].code


def test_code_sent_by_email_goes_through_the_outbox(spring):
    coupons.pool_add(campaign=spring.campaign, codes=["A-1"])
    _code, message = coupon_send(
        actor=spring.member,
        campaign=spring.campaign,
        creator=spring.creator,
        channel="email",
        body="Your code: {code}",
        mailbox=spring.mailbox,
    )

    assert message is not None and message.body_text == "Your code: A-1"
    assert message.campaign_id == spring.campaign.id
    assert OutboxItem.objects.filter(message=message).exists()


def test_code_email_to_a_creator_without_address_changes_nothing(spring):
    no_email = creator_in(spring.campaign, name="No Mail")
    coupons.pool_add(campaign=spring.campaign, codes=["A-1"])
    with pytest.raises(ValidationFailed):
        coupon_send(
            actor=spring.member,
            campaign=spring.campaign,
            creator=no_email,
            channel="email",
            body="{code}",
            mailbox=spring.mailbox,
        )
    assert not CouponCode.objects.filter(creator__isnull=False).exists()


def test_link_sent_in_app(spring):
    link, message = link_send(
        actor=spring.member,
        campaign=spring.campaign,
        creator=spring.creator,
        destination="https://shop.example/",
        channel="inapp",
        body="Here: {link}!",
    )
    assert message is not None and message.body_text == f"Here: {links.link_url(link)}!"


# Payments -----------------------------------------------------------------------------------


def test_payment_needs_a_portal_account(spring):
    with pytest.raises(Conflict) as exc:
        payments.payment_create(
            actor=spring.member,
            campaign=spring.campaign,
            creator=spring.creator,
            amount="250",
            currency="EUR",
        )
    assert "no creator portal account" in exc.value.errors["creator"][0]
    assert not Payment.objects.exists()


def test_payment_with_history(spring, portal):
    payment = payments.payment_create(
        actor=spring.member,
        campaign=spring.campaign,
        creator=spring.creator,
        amount="250.5",
        currency="eur",
        note="  for the  reel ",
    )
    assert (payment.amount, payment.currency, payment.note) == (
        Decimal("250.50"),
        "EUR",
        "for the reel",
    )
    payments.payment_set_status(actor=spring.member, payment=payment, status="paid")

    history = list(payment.changes.order_by("id").values_list("status", "by_id"))
    assert history == [("pending", spring.member.id), ("paid", spring.member.id)]
    assert events(spring) == [
        "Spring: payment of 250.50 EUR",
        "Spring: payment of 250.50 EUR marked paid",
    ]


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [
        ("0", "EUR", "amount"),
        ("-5", "EUR", "amount"),
        ("1.005", "EUR", "amount"),
        ("abc", "EUR", "amount"),
        ("NaN", "EUR", "amount"),
        ("Infinity", "EUR", "amount"),
        ("10000000000", "EUR", "amount"),
        ("10", "EURO", "currency"),
        ("10", "XAU", "currency"),
        ("10", "ZZZ", "currency"),
        ("10", "", "currency"),
    ],
)
def test_payment_bad_amount_or_currency(spring, portal, amount, currency, field):
    with pytest.raises(ValidationFailed) as exc:
        payments.payment_create(
            actor=None,
            campaign=spring.campaign,
            creator=spring.creator,
            amount=amount,
            currency=currency,
        )
    assert field in exc.value.errors
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("first", "then"), [("paid", "cancelled"), ("cancelled", "paid"), ("paid", "pending")]
)
def test_payment_wrong_transition_is_refused(spring, portal, first, then):
    payment = payments.payment_create(
        actor=None, campaign=spring.campaign, creator=spring.creator, amount="10", currency="SEK"
    )
    payments.payment_set_status(actor=None, payment=payment, status=first)
    with pytest.raises(Conflict) as exc:
        payments.payment_set_status(actor=None, payment=payment, status=then)
    assert f"A {first} payment cannot be marked" in exc.value.errors["status"][0]
    assert Payment.objects.get().status == first


# Agreements ---------------------------------------------------------------------------------


def test_agreement_is_rendered_and_frozen(spring, portal):
    spring.campaign.agreement_template = "Agreement with {{ name }} for {{ campaign }}."
    spring.campaign.save()
    agreement = agreements.agreement_send(
        actor=spring.member, campaign=spring.campaign, creator=spring.creator
    )
    spring.campaign.agreement_template = "Changed later."
    spring.campaign.save()

    agreement.refresh_from_db()
    assert agreement.body == "Agreement with Ann Example for Spring."
    assert agreement.status == Agreement.Status.SENT
    pdf = agreements.agreement_pdf(agreement=agreement)
    assert pdf.startswith(b"%PDF")


def test_agreement_pdf_renders_german_and_finnish(spring, portal):
    from io import BytesIO

    from pypdf import PdfReader

    spring.creator.name = "Jürgen Mäkinen-Öström"
    spring.creator.save()
    spring.campaign.agreement_template = "Hyvä {{ name }}: Größe, Äänestys."
    spring.campaign.save()
    agreement = agreements.agreement_send(
        actor=None, campaign=spring.campaign, creator=spring.creator
    )
    text = "".join(
        p.extract_text()
        for p in PdfReader(BytesIO(agreements.agreement_pdf(agreement=agreement))).pages
    )
    assert "Jürgen Mäkinen-Öström" in text and "Größe, Äänestys" in text


def test_agreement_needs_portal_and_template(spring, portal, monkeypatch):
    with pytest.raises(Conflict) as exc:
        agreements.agreement_send(actor=None, campaign=spring.campaign, creator=spring.creator)
    assert "no agreement template" in exc.value.errors["template"][0]
    spring.campaign.agreement_template = "{{ nope }}"
    with pytest.raises(Conflict) as exc:
        agreements.agreement_send(actor=None, campaign=spring.campaign, creator=spring.creator)
    assert "nope" in exc.value.errors["template"][0]
    monkeypatch.setattr("parley.campaigns.assets.portal.creator_has_portal", lambda **kw: False)
    with pytest.raises(Conflict) as exc:
        agreements.agreement_send(actor=None, campaign=spring.campaign, creator=spring.creator)
    assert "portal" in exc.value.errors["creator"][0]


def test_agreement_sign_then_no_decline(spring, portal):
    spring.campaign.agreement_template = "Deal."
    agreement = agreements.agreement_send(
        actor=None, campaign=spring.campaign, creator=spring.creator
    )
    signed = agreements.agreement_sign(
        agreement=agreement, signer_name=" Ann  Example ", signer_ip="192.0.2.1"
    )
    assert (signed.status, signed.signer_name) == ("signed", "Ann Example")
    with pytest.raises(Conflict):
        agreements.agreement_decline(agreement=agreement)


# Gifts --------------------------------------------------------------------------------------


def _product(spring, **kw) -> Product:  # type: ignore[no-untyped-def]
    values = {"name": "Hoodie", "options": ["S", "M"], "stock": 5, "per_creator_limit": 1}
    values.update(kw)
    return gifts.product_create(campaign=spring.campaign, **values)


def test_gift_offer_select_ship(spring):
    hoodie = _product(spring)
    cap = _product(spring, name="Cap", options=[], stock=None, per_creator_limit=2)
    offer = gifts.gift_offer(
        actor=spring.member, campaign=spring.campaign, creator=spring.creator, limit=3
    )
    selected = gifts.gift_select(
        actor=spring.member,
        offer=offer,
        selection=[
            {"product_id": hoodie.id, "option": "M", "quantity": 1},
            {"product_id": cap.id, "quantity": 2},
        ],
        shipping_address="Ann Example\nMain St 1\n00100 Helsinki",
    )
    shipped = gifts.gift_ship(actor=spring.member, offer=offer, tracking_number="JJFI123")

    assert selected.status == "selected" and shipped.status == "shipped"
    assert Product.objects.get(id=hoodie.id).stock == 4
    assert shipped.tracking_number == "JJFI123"
    assert events(spring)[-2:] == [
        "Spring: products selected: Hoodie (M) x 1, Cap x 2",
        "Spring: gifts shipped, tracking number JJFI123",
    ]


def test_gift_limits_options_and_stock(spring):
    hoodie = _product(spring, stock=0)
    offer = gifts.gift_offer(actor=None, campaign=spring.campaign, creator=spring.creator, limit=1)
    with pytest.raises(ValidationFailed) as exc:
        gifts.gift_select(
            actor=None,
            offer=offer,
            selection=[{"product_id": hoodie.id, "option": "XL", "quantity": 2}],
            shipping_address="",
        )
    assert (
        "shipping_address" in exc.value.errors
        and "choose one of S, M" in exc.value.errors["selection"][0]
    )
    with pytest.raises(Conflict) as exc:
        gifts.gift_select(
            actor=None,
            offer=offer,
            selection=[{"product_id": hoodie.id, "option": "S", "quantity": 1}],
            shipping_address="Somewhere",
        )
    assert "out of stock" in exc.value.errors["selection"][0]
    assert GiftOffer.objects.get().status == "offered"


def test_gift_wrong_transition_is_refused(spring):
    _product(spring)
    offer = gifts.gift_offer(actor=None, campaign=spring.campaign, creator=spring.creator)
    with pytest.raises(Conflict) as exc:
        gifts.gift_ship(actor=None, offer=offer, tracking_number="X1")
    assert "has not picked" in exc.value.errors["status"][0]


def test_gift_needs_a_catalogue(spring):
    with pytest.raises(Conflict) as exc:
        gifts.gift_offer(actor=None, campaign=spring.campaign, creator=spring.creator)
    assert "no products" in exc.value.errors["products"][0]


def test_product_image_type_and_size(spring, settings):
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    ok = gifts.product_create(
        campaign=spring.campaign,
        name="Mug",
        image=SimpleUploadedFile("../../mug.png", buffer.getvalue(), content_type="image/png"),
    )
    assert ok.image.name.startswith("products/") and ok.image.name.endswith(".png")
    with pytest.raises(ValidationFailed) as exc:
        gifts.product_create(
            campaign=spring.campaign,
            name="Fake",
            image=SimpleUploadedFile("x.png", b"<svg onload=alert(1)>", content_type="image/png"),
        )
    assert "not an image" in exc.value.errors["image"][0]
    settings.PARLEY_PRODUCT_IMAGE_MAX_BYTES = 10
    with pytest.raises(ValidationFailed) as exc:
        gifts.product_create(
            campaign=spring.campaign,
            name="Big",
            image=SimpleUploadedFile("big.png", buffer.getvalue(), content_type="image/png"),
        )
    assert "at most" in exc.value.errors["image"][0]


# Files --------------------------------------------------------------------------------------


def test_files_sent_in_app_are_stored_with_the_message(spring):
    message = attachment_send(
        actor=spring.member,
        campaign=spring.campaign,
        creator=spring.creator,
        files=[SimpleUploadedFile("brief.pdf", b"%PDF-1.4 brief", content_type="application/pdf")],
        channel="inapp",
    )
    attachment = Attachment.objects.get(message=message)
    assert attachment.filename == "brief.pdf" and attachment.file.read() == b"%PDF-1.4 brief"
    assert events(spring) == ["Spring: files sent: brief.pdf"]


def test_files_by_email_through_the_outbox(spring):
    message = attachment_send(
        actor=spring.member,
        campaign=spring.campaign,
        creator=spring.creator,
        files=[SimpleUploadedFile("a.png", b"png", content_type="image/png")],
        channel="email",
        mailbox=spring.mailbox,
    )
    assert message.channel == "email" and message.attachments.count() == 1
    assert OutboxItem.objects.filter(message=message).exists()


def test_oversize_and_wrong_type_files_are_refused(spring, settings):
    settings.PARLEY_ATTACHMENT_MAX_BYTES = 5
    with pytest.raises(ValidationFailed) as exc:
        attachment_send(
            actor=spring.member,
            campaign=spring.campaign,
            creator=spring.creator,
            files=[
                SimpleUploadedFile("big.pdf", b"123456789", content_type="application/pdf"),
                SimpleUploadedFile("run.exe", b"MZ", content_type="application/x-msdownload"),
            ],
            channel="inapp",
        )
    problems = exc.value.errors["files"]
    assert any("“big.pdf” is 9" in p and "at most 5" in p for p in problems)
    assert any("“run.exe”: files of this type cannot be sent" in p for p in problems)
    assert not Message.objects.filter(conversation=spring.conversation).exists()


def test_every_action_moves_the_members_last_activity(spring):
    long_ago = timezone.now() - timedelta(days=30)
    CampaignMember.objects.filter(id=spring.membership.id).update(last_activity_at=long_ago)
    coupons.pool_add(campaign=spring.campaign, codes=["A"])
    coupons.coupons_assign_many(
        actor=None, campaign=spring.campaign, creator_ids=[spring.creator.id]
    )
    spring.membership.refresh_from_db()
    assert spring.membership.last_activity_at > long_ago


def test_foreign_campaign_for_own_creator_is_not_found(spring, other_member):
    foreign = CampaignFactory(workspace=other_member.workspace)
    with pytest.raises(NotFound):
        coupons.coupon_assign(actor=None, campaign=foreign, creator=spring.creator)


def test_member_assets_reads_every_kind_in_two_queries(spring, portal, django_assert_num_queries):
    from parley.portal.services import portal_invite

    second = creator_in(spring.campaign, name="Bo Two")
    bare = creator_in(spring.campaign, name="Cy Three")
    outside = CampaignFactory(workspace=spring.member.workspace)
    CampaignMemberFactory(campaign=outside, creator=second)
    coupons.pool_add(campaign=spring.campaign, codes=["SPRING-1"])
    coupons.coupon_assign(actor=None, campaign=spring.campaign, creator=spring.creator)
    coupons.pool_add(campaign=outside, codes=["OTHER-1"])
    coupons.coupon_assign(actor=None, campaign=outside, creator=second)  # another campaign's
    for amount in ("1", "2"):
        payments.payment_create(
            actor=None,
            campaign=spring.campaign,
            creator=spring.creator,
            amount=amount,
            currency="EUR",
        )
    spring.campaign.agreement_template = "Deal."
    first = agreements.agreement_send(actor=None, campaign=spring.campaign, creator=second)
    agreements.agreement_decline(agreement=first)
    agreements.agreement_send(actor=None, campaign=spring.campaign, creator=second)  # latest
    _product(spring)
    gifts.gift_offer(actor=spring.member, campaign=spring.campaign, creator=second, limit=1)
    portal_invite(actor=spring.member, creator=spring.creator)

    with django_assert_num_queries(2):
        found = member_assets(
            campaign=spring.campaign, creator_ids=[spring.creator.id, second.id, bare.id]
        )

    ann, bo = found[spring.creator.id], found[second.id]
    assert (ann.coupon, ann.payments, ann.portal) == ("SPRING-1", {"pending": 2}, True)
    assert (bo.coupon, bo.agreement, bo.gift, bo.portal) == ("", "sent", "offered", False)
    assert bare.id not in found
