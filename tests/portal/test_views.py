"""The portal's pages, through a test client signed in with a real magic link: the whole
loop a creator goes through, and what the brand sees of it."""

import re
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from parley.campaigns.assets import agreements, gifts, payments
from parley.campaigns.models import Agreement, CampaignMember, GiftOffer
from parley.inbox.models import Conversation, InboxEntry, Message
from parley.inbox.services import conversation_get_or_create
from parley.outbox.services import message_send
from parley.portal.models import ContentSubmission, PortalAccess
from parley.portal.services import campaign_applications_set
from tests.portal.conftest import last_token

S = CampaignMember.Status


def events(creator):
    return list(
        Message.objects.filter(conversation__creator=creator, direction="event")
        .order_by("id")
        .values_list("body_text", flat=True)
    )


def test_home_lists_brand_campaign_and_what_waits(ann):
    page = ann.client.get("/portal/").content.decode()
    assert ann.setup.member.workspace.name in page
    assert "Spring" in page and "Invited" in page
    assert "An invitation to answer" in page


def test_the_whole_loop(ann, logged_in, django_capture_on_commit_callbacks):
    s = ann.setup
    base = f"/portal/c/{s.creator.id}/campaigns/{s.campaign.id}/"
    # Accept the invitation
    assert ann.client.post(base + "answer/", {"answer": "accept"}).status_code == 302
    s.membership.refresh_from_db()
    assert s.membership.status == S.ACCEPTED
    assert events(s.creator)[-1] == "Spring: Accepted the invitation"

    # Sign the agreement: consent is needed, then name, time and address are kept
    s.campaign.agreement_template = "Deal with {{ name }}."
    s.campaign.save()
    agreement = agreements.agreement_send(actor=s.member, campaign=s.campaign, creator=s.creator)
    url = base + f"agreements/{agreement.id}/"
    refused = ann.client.post(url, {"signer_name": "Ann Example"})
    assert refused.status_code == 422 and b"tick the box" in refused.content
    response = ann.client.post(
        url, {"signer_name": "Ann  Example", "consent": "on"}, REMOTE_ADDR="203.0.113.9"
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.SIGNED
    assert agreement.signer_name == "Ann Example" and agreement.signer_ip == "203.0.113.9"
    s.membership.refresh_from_db()
    assert s.membership.status == S.ACTIVE
    pdf = ann.client.get(f"/portal/c/{s.creator.id}/agreements/{agreement.id}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and "attachment" in pdf["Content-Disposition"]
    team_pdf = logged_in.get(f"/campaigns/assets/agreements/{agreement.id}/pdf/")
    assert team_pdf.status_code == 200 and team_pdf.content.startswith(b"%PDF")

    # Pick gifts: up to the limit, with an option and an address
    product = gifts.product_create(campaign=s.campaign, name="Hoodie", options=["S", "M"])
    gifts.gift_offer(actor=s.member, campaign=s.campaign, creator=s.creator, limit=1)
    page = ann.client.get(base).content.decode()
    assert "Hoodie" in page and f"qty_{product.id}" in page
    too_many = ann.client.post(
        base + "gifts/",
        {f"qty_{product.id}": "2", f"option_{product.id}": "M", "shipping_address": "Street 1"},
    )
    assert too_many.status_code == 422
    picked = ann.client.post(
        base + "gifts/",
        {f"qty_{product.id}": "1", f"option_{product.id}": "M", "shipping_address": "Street 1"},
    )
    assert picked.status_code == 302
    offer = GiftOffer.objects.get(creator=s.creator)
    assert offer.status == GiftOffer.Status.SELECTED and offer.selection[0]["option"] == "M"
    assert "Spring: products selected: Hoodie (M) x 1" in events(s.creator)

    # Payments and the code show
    payments.payment_create(
        actor=s.member, campaign=s.campaign, creator=s.creator, amount="250", currency="EUR"
    )
    page = ann.client.get(base).content.decode()
    assert "250" in page and "EUR" in page

    # Submit a content URL: content submitted, an event for the brand
    sent = ann.client.post(base + "content/", {"url": "https://video.example/ann/1"})
    assert sent.status_code == 302
    s.membership.refresh_from_db()
    assert s.membership.status == S.CONTENT_SUBMITTED
    submission = ContentSubmission.objects.get()
    assert "Spring: Content submitted: https://video.example/ann/1" in events(s.creator)

    # The brand asks for changes: the comment reaches the creator
    tab = logged_in.get(f"/campaigns/{s.campaign.id}/content/").content.decode()
    assert "https://video.example/ann/1" in tab and 'data-status="submitted"' in tab
    logged_in.post(
        f"/campaigns/content/{submission.id}/review/",
        {"decision": "changes", "comment": "Show the logo, please"},
    )
    s.membership.refresh_from_db()
    assert s.membership.status == S.ACTIVE
    page = ann.client.get(base).content.decode()
    assert "Show the logo, please" in page and "Changes requested" in page
    thread = ann.client.get(f"/portal/c/{s.creator.id}/").content.decode()
    assert "Changes requested for https://video.example/ann/1: Show the logo, please" in thread

    # A second submission, approved
    ann.client.post(base + "content/", {"url": "https://video.example/ann/2"})
    second = ContentSubmission.objects.latest("id")
    response = logged_in.post(
        f"/campaigns/content/{second.id}/review/", {"decision": "approve", "comment": ""}
    )
    assert response.status_code == 302
    s.membership.refresh_from_db()
    assert s.membership.status == S.CONTENT_APPROVED
    assert events(s.creator)[-1] == "Spring: Content approved: https://video.example/ann/2"
    # Reviewed once only
    again = logged_in.post(
        f"/campaigns/content/{second.id}/review/", {"decision": "approve"}, follow=True
    )
    assert b"reviewed already" in again.content


def test_changes_need_a_comment(ann, logged_in):
    s = ann.setup
    CampaignMember.objects.filter(id=s.membership.id).update(status=S.ACTIVE)
    ann.client.post(
        f"/portal/c/{s.creator.id}/campaigns/{s.campaign.id}/content/",
        {"url": "https://video.example/x"},
    )
    submission = ContentSubmission.objects.get()
    ann.client.post(
        f"/portal/c/{s.creator.id}/campaigns/{s.campaign.id}/content/",
        {"url": "https://video.example/y"},
    )
    page = logged_in.post(
        f"/campaigns/content/{submission.id}/review/",
        {"decision": "changes", "comment": "  \u202e "},
    )
    # On the submission's own card, beside the comment, with the decision kept; the form
    # posts back to the card's anchor, so the browser lands on it.
    assert page.status_code == 422
    html = page.content.decode()
    card = html[html.index(f'id="submission-{submission.id}"') :]
    card = card[: card.index("</article>")]
    assert "Say what to change" in card
    assert f'value="changes" required id="review-{submission.id}-decision_1" checked' in card
    assert f'action="/campaigns/content/{submission.id}/review/#submission-{submission.id}"' in card
    assert "Say what to change" not in html[: html.index(f'id="submission-{submission.id}"')]
    # Each card's form has ids of its own: a label checks its own card's radio.
    ids = re.findall(r' id="([^"]+)"', html)
    assert html.count('name="decision" value="changes"') == 2 and len(ids) == len(set(ids))
    submission.refresh_from_db()
    assert submission.status == ContentSubmission.Status.SUBMITTED


def test_uploaded_content_is_a_download(ann, logged_in, settings):
    s = ann.setup
    CampaignMember.objects.filter(id=s.membership.id).update(status=S.ACTIVE)
    upload = SimpleUploadedFile(
        "../../evil<script>.html", b"<script>alert(1)</script>", content_type="text/html"
    )
    response = ann.client.post(
        f"/portal/c/{s.creator.id}/campaigns/{s.campaign.id}/content/", {"file": upload}
    )
    assert response.status_code == 302
    submission = ContentSubmission.objects.get()
    assert "/" not in submission.file.name.split("content/")[-1].split("/", 2)[-1]
    for client, url in (
        (ann.client, f"/portal/c/{s.creator.id}/content/{submission.id}/file/"),
        (logged_in, f"/campaigns/content/{submission.id}/file/"),
    ):
        got = client.get(url)
        assert got.status_code == 200
        assert got["Content-Type"] == "application/octet-stream"
        assert got["Content-Disposition"].startswith("attachment;")
        assert got["X-Content-Type-Options"] == "nosniff"
    tab = logged_in.get(f"/campaigns/{s.campaign.id}/content/").content.decode()
    assert "<script>" not in tab.split("<main>")[1]


def test_file_size_limit(ann, settings):
    s = ann.setup
    CampaignMember.objects.filter(id=s.membership.id).update(status=S.ACTIVE)
    # The limit as the setting gives it (100,000,000 bytes: 100 MB, not 95.4 MB)
    settings.PARLEY_PORTAL_CONTENT_MAX_BYTES = 100_000_000
    page = ann.client.get(f"/portal/c/{s.creator.id}/campaigns/{s.campaign.id}/").content
    assert b"a file of at most 100 MB." in page
    settings.PARLEY_PORTAL_CONTENT_MAX_BYTES = 10
    response = ann.client.post(
        f"/portal/c/{s.creator.id}/campaigns/{s.campaign.id}/content/",
        {"file": SimpleUploadedFile("big.mp4", b"x" * 11)},
    )
    assert response.status_code == 422 and b"at most 10" in response.content
    assert not ContentSubmission.objects.exists()


def test_reply_is_inbound_for_the_brand_and_escaped(ann, logged_in):
    s = ann.setup
    response = ann.client.post(
        f"/portal/c/{s.creator.id}/reply/", {"body": "<script>alert(1)</script> hi"}
    )
    assert response.status_code == 302
    message = Message.objects.get(direction="in")
    assert message.channel == "inapp" and message.author_creator_id == s.creator.id
    conversation = Conversation.objects.get(creator=s.creator)
    assert conversation.awaiting_reply_since is not None
    assert InboxEntry.objects.get(conversation=conversation, member=s.member).unread
    page = ann.client.get(f"/portal/c/{s.creator.id}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; hi" in page and "<script>alert" not in page
    thread = logged_in.get(f"/inbox/c/{conversation.id}/").content.decode()
    assert "<script>alert" not in thread


def test_thread_shows_messages_never_events_or_unsent(ann):
    s = ann.setup
    conversation = conversation_get_or_create(creator=s.creator)
    message_send(member=s.member, conversation=conversation, channel="inapp", body="Hello Ann")
    queued = message_send(
        member=s.member, conversation=conversation, channel="sms", body="Not sent yet"
    )
    assert queued.status == Message.Status.QUEUED
    page = ann.client.get(f"/portal/c/{s.creator.id}/").content.decode()
    assert "Hello Ann" in page
    assert "Not sent yet" not in page
    assert "portal invitation" not in page  # the invitation's event


def test_brand_sees_delivered_then_read(ann):
    s = ann.setup
    conversation = conversation_get_or_create(creator=s.creator)
    message = message_send(
        member=s.member, conversation=conversation, channel="inapp", body="Hello"
    )
    assert message.status == Message.Status.SENT
    ann.client.get("/portal/")
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    ann.client.get(f"/portal/c/{s.creator.id}/")
    message.refresh_from_db()
    assert message.status == Message.Status.READ


def test_portal_status_and_invite_from_the_thread(
    spring, logged_in, django_capture_on_commit_callbacks
):
    url = f"/creators/{spring.creator.id}/portal/"
    assert b"No portal account" in logged_in.get(url).content
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(url + "invite/")
    assert response.status_code == 200 and b"Invitation sent" in response.content
    # the thread and its assets section (payments and agreements now possible) refresh
    assert response["HX-Trigger-After-Settle"] == "inbox-changed, assets-changed"
    assert b"Portal: invited" in logged_in.get(url).content
    assert "Creator portal invitation sent to ann@creator.test" in events(spring.creator)
    Client().post(f"/portal/link/{last_token('ann@creator.test')}/")
    assert "Portal account" in logged_in.get(url).content.decode()


def test_invite_without_email_says_so(member, logged_in):
    from tests.factories import CreatorFactory

    creator = CreatorFactory(workspace=member.workspace, name="No Mail")
    response = logged_in.post(f"/creators/{creator.id}/portal/invite/")
    assert response.status_code == 422 and b"has no email address" in response.content


def test_apply_from_the_public_page(spring, logged_in, django_capture_on_commit_callbacks):
    campaign = spring.campaign
    logged_in.post(f"/campaigns/{campaign.id}/applications/", {"open": "1"})
    campaign.refresh_from_db()
    assert campaign.open_for_applications and campaign.public_code
    tab = logged_in.get(f"/campaigns/{campaign.id}/content/").content.decode()
    assert f"/portal/apply/{campaign.public_code}/" in tab
    visitor = Client()
    page = visitor.get(f"/portal/apply/{campaign.public_code}/")
    assert page.status_code == 200 and b"Spring" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        sent = visitor.post(
            f"/portal/apply/{campaign.public_code}/",
            {"name": "Bea New", "email": "bea@creator.test", "note": "I love it"},
        )
    assert sent.status_code == 200 and b"link-sent" in sent.content
    # Nothing is made until the address confirms
    assert not CampaignMember.objects.filter(creator__name="Bea New").exists()
    visitor.post(f"/portal/link/{last_token('bea@creator.test')}/")
    member = CampaignMember.objects.get(campaign=campaign, creator__name="Bea New")
    assert member.status == S.APPLIED
    assert events(member.creator)[-1] == "Spring: applied from the creator portal: I love it"
    assert b"Spring" in visitor.get("/portal/").content
    # Closed: the page is gone
    campaign_applications_set(campaign=campaign, is_open=False)
    assert Client().get(f"/portal/apply/{campaign.public_code}/").status_code == 404


def test_signed_in_creator_applies_at_once(ann):
    s = ann.setup
    from tests.factories import CampaignFactory

    other = CampaignFactory(workspace=s.member.workspace, name="Autumn")
    campaign_applications_set(campaign=other, is_open=True)
    response = ann.client.post(f"/portal/apply/{other.public_code}/", {"note": ""})
    assert response.status_code == 302
    assert CampaignMember.objects.get(campaign=other, creator=s.creator).status == S.APPLIED
    again = ann.client.post(f"/portal/apply/{other.public_code}/", {"note": ""})
    assert again.status_code == 422 and b"already" in again.content


def test_payment_needs_the_portal_until_invited(spring, invite):
    from parley.core.errors import Conflict

    try:
        payments.payment_create(
            actor=spring.member,
            campaign=spring.campaign,
            creator=spring.creator,
            amount=Decimal("10"),
            currency="EUR",
        )
    except Conflict as exc:
        assert "portal" in str(exc)
    else:
        raise AssertionError("a payment went to a creator without a portal account")
    invite(spring.member, spring.creator)
    payment = payments.payment_create(
        actor=spring.member,
        campaign=spring.campaign,
        creator=spring.creator,
        amount=Decimal("10"),
        currency="EUR",
    )
    assert payment.pk


def test_bulk_invitation_with_the_creator_portal(
    spring, logged_in, settings, django_capture_on_commit_callbacks
):
    # Given two added creators (one without an address) and the worker's tasks run at once
    from tests.campaigns.assets_support import creator_in
    from tests.factories import CreatorFactory

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    bea = creator_in(spring.campaign, name="Bea Added", email="bea@creator.test")
    nomail = CreatorFactory(workspace=spring.member.workspace, name="No Mail")
    CampaignMember.objects.create(
        workspace=spring.member.workspace, campaign=spring.campaign, creator=nomail
    )
    CampaignMember.objects.filter(creator__in=[bea, nomail]).update(status=S.ADDED)
    # When both are invited without the campaign email, and to the creator portal
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(
            f"/campaigns/{spring.campaign.id}/members/bulk/",
            {
                "action": "status:invited",
                "creators": [bea.id, nomail.id],
                "send_email": "0",
                "portal_invite": "1",
            },
        )
    # Then Bea has a portal account and her link; the one without an address is named
    text = response.content.decode()
    assert response.status_code == 200
    assert "1 creator invited to the creator portal. 1 has no email address." in text
    assert PortalAccess.objects.filter(creator=bea).exists()
    assert not PortalAccess.objects.filter(creator=nomail).exists()
    assert Client().post(f"/portal/link/{last_token('bea@creator.test')}/").status_code == 302
    assert "Creator portal invitation sent to bea@creator.test" in events(bea)


def test_applying_with_a_second_address_never_opens_the_first_account(
    ann, other_member, invite, django_capture_on_commit_callbacks
):
    # Given Ann's portal (ann@creator.test) with two brands, and a second address of hers
    # in the first brand
    from parley.creators.services import identity_add
    from tests.campaigns.assets_support import creator_in
    from tests.factories import CampaignFactory

    s = ann.setup
    elsewhere = CampaignFactory(workspace=other_member.workspace, name="Elsewhere")
    invite(other_member, creator_in(elsewhere, name="Ann B", email="ann@creator.test"))
    identity_add(creator=s.creator, kind="email", value="ann.second@creator.test")
    autumn = CampaignFactory(workspace=s.member.workspace, name="Autumn")
    campaign_applications_set(campaign=autumn, is_open=True)
    # When someone applies with the second address and confirms it
    visitor = Client()
    with django_capture_on_commit_callbacks(execute=True):
        visitor.post(
            f"/portal/apply/{autumn.public_code}/",
            {"name": "Ann", "email": "ann.second@creator.test"},
        )
    visitor.post(f"/portal/link/{last_token('ann.second@creator.test')}/")
    # Then the application stands, but that browser sees none of the first account's brands
    assert CampaignMember.objects.get(campaign=autumn, creator=s.creator).status == S.APPLIED
    home = visitor.get("/portal/").content.decode()
    assert "Other Co" not in home and "Spring" not in home
    assert visitor.get(f"/portal/c/{s.creator.id}/").status_code == 404


def test_invitation_task_sends_once_and_prune_deletes_what_expired(spring, invite):
    from datetime import timedelta

    from django.core import mail
    from django.utils import timezone

    from parley.portal.models import MagicLink, PortalSession
    from parley.portal.services import invitation_email_send, portal_prune, session_start
    from parley.portal.tasks import portal_invitation_task

    access = invite(spring.member, spring.creator)
    mail.outbox.clear()
    asked = timezone.now()
    portal_invitation_task.call(access.id, asked.isoformat())
    portal_invitation_task.call(access.id, asked.isoformat())
    assert len(mail.outbox) == 1
    assert invitation_email_send(access_id=access.id) and len(mail.outbox) == 2
    # Links expired a day ago and sessions past their end go; the rest stay
    session_start(account=access.account, ip="")
    MagicLink.objects.update(expires_at=timezone.now() - timedelta(days=2))
    PortalSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert portal_prune() == 3 + 1
    assert not MagicLink.objects.exists() and not PortalSession.objects.exists()


def test_declining_the_invitation_leaves_the_campaign_out(ann):
    s = ann.setup
    base = f"/portal/c/{s.creator.id}/campaigns/{s.campaign.id}/"
    response = ann.client.post(base + "answer/", {"answer": "decline"})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    s.membership.refresh_from_db()
    assert s.membership.status == S.DECLINED
    assert events(s.creator)[-1] == "Spring: Declined the invitation"
    assert "Spring" not in ann.client.get("/portal/").content.decode()
    assert ann.client.get(base).status_code == 404
    # and an answer given twice is refused in words
    CampaignMember.objects.filter(id=s.membership.id).update(status=S.ACCEPTED)
    again = ann.client.post(base + "answer/", {"answer": "accept"})
    assert again.status_code == 422 and b"no invitation to answer" in again.content


def test_members_tab_shows_who_has_a_portal_account(spring, logged_in, invite):
    from tests.campaigns.assets_support import creator_in

    creator_in(spring.campaign, name="Bo Without", email="bo@creator.test")
    page = logged_in.get(f"/campaigns/{spring.campaign.id}/").content.decode()
    assert 'data-testid="member-portal"' not in page
    invite(spring.member, spring.creator)
    page = logged_in.get(f"/campaigns/{spring.campaign.id}/").content.decode()
    assert page.count('data-testid="member-portal"') == 1
