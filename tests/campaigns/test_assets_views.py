"""Campaign actions, the pages: the assets section in the thread's sidebar (and the
profile), the action panel for each asset, status changes, the PDF, bulk actions, the
catalogue and the coupon pool; bad input, and another workspace's ids (404 everywhere)."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from parley.campaigns.assets import agreements, coupons, gifts, links, payments
from parley.campaigns.models import (
    CouponCode,
    GiftOffer,
    LinkClick,
    Payment,
    Product,
    TrackingLink,
)
from parley.inbox.models import Message
from parley.outbox.models import OutboxItem
from tests.campaigns.assets_support import creator_in
from tests.factories import CampaignFactory, CampaignMemberFactory, CreatorFactory

pytestmark = pytest.mark.django_db


def _action(spring, kind: str) -> str:  # type: ignore[no-untyped-def]
    return reverse("assets:action", args=[spring.campaign.id, spring.creator.id, kind])


def _png() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "PNG")
    return buffer.getvalue()


def test_thread_sidebar_shows_every_asset_with_click_counts(logged_in, spring, portal):
    link, _ = links.link_create(
        actor=None, campaign=spring.campaign, creator=spring.creator, destination="https://a.test/"
    )
    for ip in ("1.1.1.1", "2.2.2.2", "2.2.2.2"):
        links.link_follow(code=link.code, ip=ip, user_agent="Mozilla/5.0")
    coupons.pool_add(campaign=spring.campaign, codes=["SPRING-0001"])
    coupons.coupon_assign(actor=None, campaign=spring.campaign, creator=spring.creator)
    payments.payment_create(
        actor=None, campaign=spring.campaign, creator=spring.creator, amount="99.90", currency="EUR"
    )
    spring.campaign.agreement_template = "Deal for {{ first_name }}."
    agreements.agreement_send(actor=None, campaign=spring.campaign, creator=spring.creator)
    gifts.product_create(campaign=spring.campaign, name="Hoodie")
    gifts.gift_offer(actor=None, campaign=spring.campaign, creator=spring.creator, limit=2)

    html = logged_in.get(reverse("inbox:thread", args=[spring.conversation.id])).content.decode()

    assert 'data-testid="campaign-assets"' in html
    assert f"/l/{link.code}" in html and "3 clicks · 2 unique" in html
    assert "SPRING-0001" in html and "99.90 EUR" in html and "Pending" in html
    assert 'data-testid="asset-agreement"' in html and "up to 2 items" in html


def test_thread_query_count_stays_bounded_with_assets(
    logged_in, spring, portal, django_assert_max_num_queries
):
    for i in range(5):
        links.link_create(
            actor=None,
            campaign=spring.campaign,
            creator=spring.creator,
            destination=f"https://a.test/{i}",
        )
        payments.payment_create(
            actor=None, campaign=spring.campaign, creator=spring.creator, amount="1", currency="EUR"
        )
    other = CampaignFactory(workspace=spring.member.workspace)
    CampaignMemberFactory(campaign=other, creator=spring.creator)
    coupons.pool_add(campaign=other, codes=["O-1"])
    coupons.coupon_assign(actor=None, campaign=other, creator=spring.creator)
    # The thread pane's 17 (tests/inbox, the probe for the kinds held among them), and one
    # query for each kind held: links with their clicks, codes, payments; the same however
    # many there are.
    with django_assert_max_num_queries(20):
        response = logged_in.get(reverse("inbox:thread", args=[spring.conversation.id]))
    assert response.content.decode().count('data-testid="asset-payment"') == 5


def test_action_panels_render_through_the_shared_form(logged_in, spring):
    for kind in ("file", "link", "code", "payment", "agreement", "gift"):
        response = logged_in.get(_action(spring, kind))
        assert response.status_code == 200, kind
        assert 'class="form-grid"' in response.content.decode(), kind


def test_send_link_by_email_then_the_section_shows_it(logged_in, spring):
    response = logged_in.post(
        _action(spring, "link"),
        {
            "destination": "https://shop.example/spring",
            "channel": "email",
            "mailbox": spring.mailbox.id,
            "subject": "Your link",
            "body": "Here you go: {link}",
        },
    )

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#campaign-assets"
    link = TrackingLink.objects.get()
    html = response.content.decode()
    assert "Tracking link" in html and f"/l/{link.code}" in html
    email = Message.objects.get(channel="email", conversation=spring.conversation)
    assert email.body_text == f"Here you go: {links.link_url(link)}"
    assert OutboxItem.objects.filter(message=email).exists()


def test_non_http_link_is_refused_on_the_form(logged_in, spring):
    response = logged_in.post(
        _action(spring, "link"), {"destination": "javascript:alert(1)", "channel": "none"}
    )
    assert response.status_code == 422
    assert "http:// or https://" in response.content.decode()
    assert not TrackingLink.objects.exists()


def test_code_from_an_empty_pool_says_so(logged_in, spring):
    response = logged_in.post(_action(spring, "code"), {"channel": "none"})
    assert response.status_code == 422
    assert "The coupon pool of Spring is empty" in response.content.decode()


def test_code_in_app_and_the_same_code_again(logged_in, spring):
    coupons.pool_add(campaign=spring.campaign, codes=["A-1", "B-2"])
    for _ in range(2):
        response = logged_in.post(
            _action(spring, "code"), {"channel": "inapp", "body": "Code: {code}"}
        )
        assert response.status_code == 200
    assert list(Message.objects.filter(channel="inapp").values_list("body_text", flat=True)) == [
        "Code: A-1",
        "Code: A-1",
    ]
    assert CouponCode.objects.filter(creator__isnull=False).count() == 1


def test_oversize_file_is_refused(logged_in, spring, settings):
    settings.PARLEY_ATTACHMENT_MAX_BYTES = 4
    response = logged_in.post(
        _action(spring, "file"),
        {"channel": "inapp", "attachments": SimpleUploadedFile("brief.pdf", b"%PDF-1.4 x")},
    )
    assert response.status_code == 422
    assert "a file may be at most 4" in response.content.decode()


def test_file_is_sent_and_downloadable(logged_in, spring):
    response = logged_in.post(
        _action(spring, "file"),
        {"channel": "inapp", "attachments": SimpleUploadedFile("brief.pdf", b"%PDF-1.4 x")},
    )
    assert response.status_code == 200
    attachment = Message.objects.get(channel="inapp").attachments.get()
    download = logged_in.get(reverse("email:attachment", args=[attachment.id]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 x"


def test_payment_without_portal_is_refused_with_the_reason(logged_in, spring):
    form = logged_in.get(_action(spring, "payment")).content.decode()
    assert "no creator portal account yet" in form and "disabled" in form
    response = logged_in.post(_action(spring, "payment"), {"amount": "10", "currency": "EUR"})
    assert response.status_code == 422
    assert "no creator portal account yet" in response.content.decode()
    assert not Payment.objects.exists()


def test_payment_bad_currency_and_amount(logged_in, spring, portal):
    response = logged_in.post(_action(spring, "payment"), {"amount": "1.234", "currency": "ZZZ"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "at most two decimals" in html and "Select a valid choice" in html


def test_payment_created_then_paid_then_refused(logged_in, spring, portal):
    logged_in.post(_action(spring, "payment"), {"amount": "250", "currency": "SEK", "note": "Reel"})
    payment = Payment.objects.get()
    url = reverse("assets:payment_status", args=[payment.id])
    assert logged_in.post(url, {"status": "paid"}).status_code == 200
    refused = logged_in.post(url, {"status": "cancelled"})
    assert refused.status_code == 422
    assert "A paid payment cannot be marked cancelled." in refused.content.decode()
    history = logged_in.get(reverse("assets:payment_history", args=[payment.id])).content.decode()
    assert history.count('class="status"') == 2


def test_agreement_sent_and_its_pdf(logged_in, spring, portal):
    spring.campaign.agreement_template = "Agreement for {{ name }}."
    spring.campaign.save()
    preview = logged_in.get(_action(spring, "agreement")).content.decode()
    assert "Agreement for Ann Example." in preview
    assert logged_in.post(_action(spring, "agreement")).status_code == 200
    agreement = spring.creator.agreements.get()
    pdf = logged_in.get(reverse("assets:agreement_pdf", args=[agreement.id]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_gift_offer_pick_and_ship_from_the_sidebar(logged_in, spring):
    hoodie = gifts.product_create(campaign=spring.campaign, name="Hoodie", options=["S", "M"])
    assert logged_in.post(_action(spring, "gift"), {"limit": 1}).status_code == 200
    offer = GiftOffer.objects.get()
    ship = reverse("assets:gift_ship", args=[offer.id])
    refused = logged_in.post(ship, {"tracking_number": "X1"})
    assert refused.status_code == 422 and "has not picked" in refused.content.decode()
    picked = logged_in.post(
        reverse("assets:gift_selection", args=[offer.id]),
        {f"quantity_{hoodie.id}": 1, f"option_{hoodie.id}": "M", "shipping_address": "Main St 1"},
    )
    assert picked.status_code == 200
    assert logged_in.post(ship, {"tracking_number": "JJ123"}).status_code == 200
    offer.refresh_from_db()
    assert (offer.status, offer.tracking_number) == ("shipped", "JJ123")


def test_catalogue_and_pool_pages(logged_in, spring):
    products = reverse("assets:products", args=[spring.campaign.id])
    added = logged_in.post(
        products,
        {
            "name": "Mug",
            "options": "Red, Blue",
            "stock": 3,
            "per_creator_limit": 1,
            "image": SimpleUploadedFile("mug.png", _png(), content_type="image/png"),
        },
    )
    assert added.status_code == 200 and "Mug added to the catalogue." in added.content.decode()
    product = Product.objects.get()
    assert product.options == ["Red", "Blue"]
    image = logged_in.get(reverse("assets:product_image", args=[product.id]))
    assert image.status_code == 200
    fake = logged_in.post(
        products,
        {"name": "Fake", "per_creator_limit": 1, "image": SimpleUploadedFile("x.png", b"GIF89a?")},
    )
    assert fake.status_code == 422 and "not an image" in fake.content.decode()

    pool = reverse("assets:coupon_pool", args=[spring.campaign.id])
    pasted = logged_in.post(pool, {"how": "paste", "codes": "A-1\nB-2\nA-1"})
    assert "2 codes added to the pool. 1 was in it already." in pasted.content.decode()
    generated = logged_in.post(pool, {"how": "generate", "pattern": "SPRING-####", "count": 5})
    assert "5 codes added" in generated.content.decode()
    csv = logged_in.post(
        pool, {"how": "csv", "file": SimpleUploadedFile("codes.csv", b"code\nC-3\nD-4\n")}
    )
    assert "2 codes added" in csv.content.decode()
    bad = logged_in.post(pool, {"how": "paste", "codes": "has space"})
    assert bad.status_code == 422 and "line 1" in bad.content.decode()
    assert CouponCode.objects.count() == 9


def test_bulk_links_codes_and_gifts_for_the_ticked(logged_in, spring):
    second = creator_in(spring.campaign, name="Bo Two")
    outsider = CreatorFactory(workspace=spring.member.workspace)
    url = reverse("assets:bulk", args=[spring.campaign.id])
    ids = [spring.creator.id, second.id, outsider.id]

    made = logged_in.post(url, {"asset": "link", "destination": "https://a.test/", "creators": ids})
    assert made.status_code == 200 and "2 creators have a tracking link" in made.content.decode()
    empty = logged_in.post(url, {"asset": "code", "creators": ids})
    assert empty.status_code == 422 and "is empty" in empty.content.decode()
    coupons.pool_add(campaign=spring.campaign, codes=["A", "B"])
    assert logged_in.post(url, {"asset": "code", "creators": ids}).status_code == 200
    no_catalogue = logged_in.post(url, {"asset": "gift", "limit": 1, "creators": ids})
    assert no_catalogue.status_code == 422
    assert logged_in.post(url, {"asset": "link", "creators": ids}).status_code == 422
    assert (
        logged_in.post(url, {"asset": "link", "destination": "https://a.test/"}).status_code == 422
    )
    assert (
        TrackingLink.objects.count() == 2
        and CouponCode.objects.filter(creator__isnull=False).count() == 2
    )


def test_profile_shows_the_assets(logged_in, spring):
    coupons.pool_add(campaign=spring.campaign, codes=["PROFILE-1"])
    coupons.coupon_assign(actor=None, campaign=spring.campaign, creator=spring.creator)
    html = logged_in.get(reverse("creators:detail", args=[spring.creator.id])).content.decode()
    assert 'data-testid="campaign-assets"' in html and "PROFILE-1" in html


def test_campaign_view_of_the_thread_has_the_action_bar(logged_in, spring):
    url = reverse("inbox:thread", args=[spring.conversation.id])
    html = logged_in.get(url, {"campaign": spring.campaign.id}).content.decode()
    assert 'data-testid="campaign-action-bar"' in html
    assert 'data-testid="campaign-action-bar"' not in logged_in.get(url).content.decode()


def test_inbox_rows_open_the_campaign_view(logged_in, spring):
    html = logged_in.get(reverse("inbox:rows"), {"campaign": spring.campaign.id}).content.decode()
    assert f"thread/?campaign={spring.campaign.id}" in html


# Another workspace's ids: a 404 on every page, and nothing changes -------------------------


@pytest.fixture
def foreign(other_member, portal):  # type: ignore[no-untyped-def]
    """One of every asset in the other workspace."""
    campaign = CampaignFactory(workspace=other_member.workspace, name="Theirs")
    creator = creator_in(campaign, name="Their Creator")
    link, _ = links.link_create(
        actor=None, campaign=campaign, creator=creator, destination="https://theirs.test/"
    )
    payment = payments.payment_create(
        actor=None, campaign=campaign, creator=creator, amount="5", currency="EUR"
    )
    campaign.agreement_template = "Theirs."
    agreement = agreements.agreement_send(actor=None, campaign=campaign, creator=creator)
    product = gifts.product_create(campaign=campaign, name="Their hoodie")
    offer = gifts.gift_offer(actor=None, campaign=campaign, creator=creator)
    return {
        "campaign": campaign,
        "creator": creator,
        "link": link,
        "payment": payment,
        "agreement": agreement,
        "product": product,
        "offer": offer,
    }


def _foreign_requests(spring, f):  # type: ignore[no-untyped-def]
    own_c, own_cr = spring.campaign.id, spring.creator.id
    return [
        ("get", reverse("assets:section", args=[f["creator"].id]), {}),
        ("get", reverse("assets:action", args=[f["campaign"].id, own_cr, "link"]), {}),
        ("get", reverse("assets:action", args=[own_c, f["creator"].id, "link"]), {}),
        (
            "post",
            reverse("assets:action", args=[own_c, f["creator"].id, "link"]),
            {"destination": "https://a.test/", "channel": "none"},
        ),
        (
            "post",
            reverse("assets:action", args=[f["campaign"].id, own_cr, "code"]),
            {"channel": "none"},
        ),
        ("post", reverse("assets:payment_status", args=[f["payment"].id]), {"status": "paid"}),
        ("get", reverse("assets:payment_history", args=[f["payment"].id]), {}),
        ("post", reverse("assets:gift_ship", args=[f["offer"].id]), {"tracking_number": "X"}),
        ("get", reverse("assets:gift_selection", args=[f["offer"].id]), {}),
        ("get", reverse("assets:agreement_pdf", args=[f["agreement"].id]), {}),
        ("get", reverse("assets:product_image", args=[f["product"].id]), {}),
        (
            "post",
            reverse("assets:bulk", args=[f["campaign"].id]),
            {"asset": "link", "destination": "https://a.test/", "creators": [own_cr]},
        ),
        ("get", reverse("assets:products", args=[f["campaign"].id]), {}),
        (
            "post",
            reverse("assets:products", args=[f["campaign"].id]),
            {"name": "X", "per_creator_limit": 1},
        ),
        (
            "post",
            reverse("assets:product_delete", args=[own_c, f["product"].id]),
            {},
        ),
        ("get", reverse("assets:coupon_pool", args=[f["campaign"].id]), {}),
        (
            "post",
            reverse("assets:coupon_pool", args=[f["campaign"].id]),
            {"how": "paste", "codes": "X"},
        ),
    ]


def test_another_workspaces_ids_are_404_on_every_page(logged_in, spring, foreign):
    def state():  # type: ignore[no-untyped-def]
        return (
            list(TrackingLink.objects.order_by("id").values_list("id", "creator_id")),
            list(Payment.objects.order_by("id").values_list("id", "status")),
            list(GiftOffer.objects.order_by("id").values_list("id", "status")),
            list(Product.objects.order_by("id").values_list("id", "name")),
            list(CouponCode.objects.order_by("id").values_list("id", "creator_id")),
            LinkClick.objects.count(),
            Message.objects.count(),
        )

    before = state()
    for method, url, data in _foreign_requests(spring, foreign):
        response = getattr(logged_in, method)(url, data)
        assert response.status_code == 404, (method, url)
    assert state() == before


def test_every_asset_page_route_is_in_the_foreign_walk(spring, foreign):
    from django.urls import get_resolver, resolve

    routes = {
        name
        for name in get_resolver().namespace_dict["assets"][1].reverse_dict
        if isinstance(name, str)
    }
    walked = {resolve(url).url_name for _m, url, _d in _foreign_requests(spring, foreign)}
    assert walked == routes


def test_members_tab_shows_each_members_assets_and_offers_the_bulk_actions(
    logged_in, spring, portal
):
    link, _ = links.link_create(
        actor=None, campaign=spring.campaign, creator=spring.creator, destination="https://a.test/"
    )
    for ip in ("1.1.1.1", "2.2.2.2", "2.2.2.2"):
        links.link_follow(code=link.code, ip=ip, user_agent="Mozilla/5.0")
    coupons.pool_add(campaign=spring.campaign, codes=["SPRING-0001"])
    coupons.coupon_assign(actor=None, campaign=spring.campaign, creator=spring.creator)
    payments.payment_create(
        actor=None, campaign=spring.campaign, creator=spring.creator, amount="5", currency="EUR"
    )
    other = creator_in(spring.campaign, email="bo@creator.test")

    html = logged_in.get(reverse("campaigns:detail", args=[spring.campaign.id])).content.decode()

    row = html[html.index(f'data-creator="{spring.creator.id}"') :]
    start = row.index('data-testid="member-assets"')
    cell = row[start : row.index("</td>", start)]
    assert "3 clicks (2)" in cell and "<code>SPRING-0001</code>" in cell and "1 pending" in cell
    empty = html[html.index(f'data-creator="{other.id}"') :]
    assert '<td class="assets"><span class="muted">—</span></td>' in empty
    # the bulk actions' form sits outside the members' form (no form inside a form) and
    # takes their ticked boxes
    assert 'data-testid="bulk-assets"' in html
    assert html.index('data-testid="bulk-assets"') < html.index('id="members-form"')
    assert 'hx-include="#members-form input[name=creators]:checked"' in html


def test_settings_tab_loads_the_catalogue_and_the_coupon_pool(logged_in, spring):
    html = logged_in.get(reverse("campaigns:settings", args=[spring.campaign.id])).content.decode()

    assert reverse("assets:products", args=[spring.campaign.id]) in html
    assert reverse("assets:coupon_pool", args=[spring.campaign.id]) in html
