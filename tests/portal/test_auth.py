"""Magic links: single use, expiry, used only by a POST, the same answer for every address,
rate limited per address and per client address; portal sessions apart from the team's."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from parley.portal.models import MagicLink, PortalSession
from parley.portal.services import token_hash
from tests.portal.conftest import last_token


def test_invitation_email_link_signs_in_once(spring, invite):
    # Given an invited creator
    access = invite(spring.member, spring.creator)
    token = last_token("ann@creator.test")
    client = Client()
    # When they open the link (GET): a button, and the link is still unused
    page = client.get(f"/portal/link/{token}/")
    assert page.status_code == 200 and b'data-testid="use-link"' in page.content
    assert MagicLink.objects.get(token_hash=token_hash(token)).used_at is None
    # Then the button's POST signs them in, with a cookie that is HttpOnly and Lax
    response = client.post(f"/portal/link/{token}/")
    assert response.status_code == 302 and response["Location"] == "/portal/"
    cookie = response.cookies["parley_portal"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/portal/"
    assert client.get("/portal/").status_code == 200
    access.refresh_from_db()
    assert access.first_signed_in_at is not None
    # And the link cannot be used again, in this browser or another
    again = Client().post(f"/portal/link/{token}/")
    assert again.status_code == 410 and "parley_portal" not in again.cookies
    assert Client().get(f"/portal/link/{token}/").status_code == 410


def test_tokens_are_stored_hashed(spring, invite):
    invite(spring.member, spring.creator)
    token = last_token("ann@creator.test")
    assert not MagicLink.objects.filter(token_hash=token).exists()
    assert MagicLink.objects.filter(token_hash=token_hash(token)).exists()
    Client().post(f"/portal/link/{token}/")
    session = PortalSession.objects.get()
    assert len(session.key_hash) == 64


def test_sign_in_link_expires_after_15_minutes(spring, invite, django_capture_on_commit_callbacks):
    invite(spring.member, spring.creator)
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post("/portal/sign-in/", {"email": "ANN@creator.test "})
    assert page.status_code == 200 and b"link-sent" in page.content
    token = last_token("ann@creator.test")
    link = MagicLink.objects.get(token_hash=token_hash(token))
    assert link.purpose == MagicLink.Purpose.SIGN_IN
    assert timedelta(minutes=14) < link.expires_at - link.created_at <= timedelta(minutes=15)
    # When 16 minutes have passed
    MagicLink.objects.filter(id=link.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(f"/portal/link/{token}/")
    # Then it signs nobody in
    assert response.status_code == 410 and "parley_portal" not in response.cookies
    assert b"link-dead" in response.content


def test_no_enumeration(spring, invite, django_capture_on_commit_callbacks):
    invite(spring.member, spring.creator)
    mail.outbox.clear()
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/portal/sign-in/", {"email": "ann@creator.test"})
        unknown = client.post("/portal/sign-in/", {"email": "nobody@creator.test"})

    def page(response):  # the address differs, nothing else may
        return (
            response.content.decode()
            .replace("ann@creator.test", "X")
            .replace("nobody@creator.test", "X")
        )

    assert known.status_code == unknown.status_code == 200
    assert (
        page(known).split("csrfmiddlewaretoken")[0] == page(unknown).split("csrfmiddlewaretoken")[0]
    )
    assert [m.to for m in mail.outbox] == [["ann@creator.test"]]


def test_rate_limit_per_address(spring, invite, settings, django_capture_on_commit_callbacks):
    settings.PARLEY_PORTAL_LINKS_PER_ADDRESS = 2
    invite(spring.member, spring.creator)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            Client(REMOTE_ADDR=f"10.0.0.{i}").post(
                "/portal/sign-in/", {"email": "ann@creator.test"}
            )
            for i in range(4)
        ]
    # The page answers the same each time; only two emails go
    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    assert len(mail.outbox) == 2


def test_rate_limit_per_ip(spring, invite, settings, django_capture_on_commit_callbacks):
    settings.PARLEY_PORTAL_LINKS_PER_IP = 3
    invite(spring.member, spring.creator)
    mail.outbox.clear()
    client = Client(REMOTE_ADDR="10.9.9.9")
    with django_capture_on_commit_callbacks(execute=True):
        codes = [
            client.post("/portal/sign-in/", {"email": f"x{i}@creator.test"}).status_code
            for i in range(3)
        ]
        refused = client.post("/portal/sign-in/", {"email": "ann@creator.test"})
    assert codes == [200, 200, 200]
    assert refused.status_code == 429 and b"try again in" in refused.content
    assert mail.outbox == []
    # Another address on the network is not held up
    with django_capture_on_commit_callbacks(execute=True):
        other = Client(REMOTE_ADDR="10.9.9.10").post(
            "/portal/sign-in/", {"email": "ann@creator.test"}
        )
    assert other.status_code == 200 and len(mail.outbox) == 1


def test_get_never_uses_a_link(spring, invite):
    invite(spring.member, spring.creator)
    token = last_token("ann@creator.test")
    for _ in range(3):
        Client().get(f"/portal/link/{token}/")
    assert Client().post(f"/portal/link/{token}/").status_code == 302


@pytest.mark.parametrize("token", ["x", "A" * 5000, "..%2F..%2Fetc", "%E2%80%AEabc"])
def test_unknown_tokens(db, token):
    client = Client()
    assert client.get(f"/portal/link/{token}/").status_code in (404, 410)
    assert client.post(f"/portal/link/{token}/").status_code in (404, 410)


def test_sign_out_ends_the_session(ann):
    assert ann.client.get("/portal/").status_code == 200
    response = ann.client.post("/portal/sign-out/")
    assert response.status_code == 302
    assert not PortalSession.objects.exists()
    assert ann.client.get("/portal/").status_code == 302


def test_creator_session_opens_no_team_page_and_no_api(ann):
    for url in ("/inbox/", "/campaigns/", "/creators/", "/settings/general/"):
        response = ann.client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    assert ann.client.get("/api/v1/conversations").status_code == 401


def test_member_session_opens_no_portal_page(logged_in, ann):
    creator_id = ann.access.creator_id
    campaign_id = ann.setup.campaign.id
    for url in (
        "/portal/",
        f"/portal/c/{creator_id}/",
        f"/portal/c/{creator_id}/campaigns/{campaign_id}/",
    ):
        response = logged_in.get(url)
        assert response.status_code == 302 and response["Location"] == "/portal/sign-in/", url
    assert logged_in.post(f"/portal/c/{creator_id}/reply/", {"body": "hi"}).status_code == 302


def test_session_cookie_is_secure_in_production(spring, invite, settings):
    settings.SESSION_COOKIE_SECURE = True  # as PARLEY_HTTPS=1 sets it
    invite(spring.member, spring.creator)
    response = Client().post(f"/portal/link/{last_token('ann@creator.test')}/", secure=True)
    cookie = response.cookies["parley_portal"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


def test_portal_posts_need_the_csrf_token(spring, invite):
    invite(spring.member, spring.creator)
    token = last_token("ann@creator.test")
    client = Client(enforce_csrf_checks=True)
    assert client.post(f"/portal/link/{token}/").status_code == 403
    assert client.post("/portal/sign-in/", {"email": "ann@creator.test"}).status_code == 403
    # With the token the page gives, the link works
    page = client.get(f"/portal/link/{token}/").content.decode()
    csrf = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = client.post(f"/portal/link/{token}/", {"csrfmiddlewaretoken": csrf})
    assert response.status_code == 302
    home = client.get(f"/portal/c/{spring.creator.id}/")
    csrf = home.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert client.post(f"/portal/c/{spring.creator.id}/reply/", {"body": "hi"}).status_code == 403
    assert (
        client.post(
            f"/portal/c/{spring.creator.id}/reply/", {"body": "hi", "csrfmiddlewaretoken": csrf}
        ).status_code
        == 302
    )


def test_invitation_link_lasts_days_and_works_once(spring, invite, settings):
    settings.PARLEY_PORTAL_INVITATION_DAYS = 7
    invite(spring.member, spring.creator)
    link = MagicLink.objects.get(purpose=MagicLink.Purpose.INVITATION)
    assert link.expires_at - link.created_at == timedelta(days=7)
    assert link.account and link.account.email == "ann@creator.test"
