"""OAuth 2.0 (authorization code + PKCE, refresh tokens) against a local authorization
server; XOAUTH2 over real SMTP (aiosmtpd) and IMAP (Dovecot checks the token with the
server's introspection endpoint)."""

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from imapclient import IMAPClient

from parley.channels.email.models import Mailbox
from parley.channels.email.sync import mailbox_sync
from parley.core.crypto import secret_decrypt, secret_encrypt
from parley.inbox.models import Message, Notification
from parley.outbox.email_send import email_message_send
from parley.outbox.models import OutboxItem
from parley.outbox.services import outbox_deliver
from tests.channels.email.servers import PASSWORD

pytestmark = pytest.mark.django_db


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


@pytest.fixture
def gmail(settings, oauth_server, dovecot, smtp_server):  # type: ignore[no-untyped-def]
    """The Gmail provider pointed at the local servers, and a fresh Google account."""
    settings.PARLEY_EMAIL_OAUTH = {
        "gmail": {
            "client_id": oauth_server.state.client_id,
            "client_secret": oauth_server.state.client_secret,
            "authorize_url": f"{oauth_server.base}/authorize",
            "token_url": f"{oauth_server.base}/token",
            "userinfo_url": f"{oauth_server.base}/userinfo",
            "scope": "openid email https://mail.google.com/",
            "imap_host": "127.0.0.1",
            "imap_port": dovecot.port,
            "imap_tls": "none",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_server.port,
            "smtp_tls": "none",
        }
    }
    address = dovecot.add_user()
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as client:
        client.login(address, PASSWORD)
        client.create_folder("Sent")
    oauth_server.state.user = address
    oauth_server.state.expires_in = 3600
    oauth_server.state.id_token = True
    return address


def _oauth_connect(client, *, query: str = "access=full") -> Any:  # type: ignore[no-untyped-def]
    start = client.get(reverse("email:oauth_start", args=["gmail"]) + "?" + query)
    assert start.status_code == 302
    authorize = start["Location"]
    assert parse_qs(urlsplit(authorize).query)["code_challenge_method"] == ["S256"]
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(authorize)
    callback = urlsplit(redirect.value.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


@pytest.mark.parametrize("id_token", [True, False], ids=["address-from-id-token", "from-userinfo"])
def test_gmail_connects_with_pkce_and_xoauth2_on_imap_and_smtp(
    logged_in, gmail, oauth_server, id_token, settings
):  # type: ignore[no-untyped-def]
    oauth_server.state.id_token = id_token
    if id_token:  # the address must then come from the ID token alone (as with Microsoft)
        settings.PARLEY_EMAIL_OAUTH["gmail"]["userinfo_url"] = f"{oauth_server.base}/nowhere"
    checked = oauth_server.state.pkce_checked
    response = _oauth_connect(logged_in)
    assert response.status_code == 302, response.content.decode()[:500]
    mailbox = Mailbox.objects.get()
    assert (mailbox.address, mailbox.provider, mailbox.access) == (gmail, "gmail", "full")
    token = json.loads(secret_decrypt(mailbox.secret))
    assert token["refresh_token"] and token["refresh_token"] not in mailbox.secret
    assert oauth_server.state.pkce_checked == checked + 1
    assert mailbox.folders.count() == 2  # IMAP was reached with XOAUTH2
    page = logged_in.get(reverse("email:settings")).content.decode()
    assert gmail in page and token["access_token"] not in page


def test_a_wrong_state_is_refused(logged_in, gmail):  # type: ignore[no-untyped-def]
    logged_in.get(reverse("email:oauth_start", args=["gmail"]))
    response = logged_in.get(reverse("email:oauth_callback") + "?code=x&state=forged")
    assert response.status_code == 400 and not Mailbox.objects.exists()


def _expire(mailbox: Mailbox) -> None:
    token = json.loads(secret_decrypt(mailbox.secret))
    token["expires_at"] = 0
    mailbox.secret = secret_encrypt(json.dumps(token))
    mailbox.save(update_fields=["secret"])


def test_expired_access_token_is_refreshed_for_sync_and_send(
    logged_in, gmail, oauth_server, member, creator_thread
):  # type: ignore[no-untyped-def]
    _oauth_connect(logged_in)
    mailbox = Mailbox.objects.get()
    _expire(mailbox)
    before = oauth_server.state.refreshes
    message = email_message_send(
        member=member, conversation=creator_thread(), mailbox=mailbox, subject="Hi", body="x"
    )
    assert outbox_deliver(item_id=OutboxItem.objects.get(message=message).pk) == "done"
    assert oauth_server.state.refreshes == before + 1
    mailbox_sync(mailbox_id=mailbox.pk)
    mailbox.refresh_from_db()
    assert mailbox.last_sync_at is not None and not mailbox.needs_reauth


def test_revoked_refresh_token_needs_reauth_notifies_and_keeps_the_queue(  # type: ignore[no-untyped-def]
    logged_in, gmail, oauth_server, member, creator_thread, teammate
):
    # Given a Gmail mailbox whose access token has expired, and an email queued on it
    _oauth_connect(logged_in)
    mailbox = Mailbox.objects.get()
    _expire(mailbox)
    message = email_message_send(
        member=member, conversation=creator_thread(), mailbox=mailbox, subject="Hi", body="x"
    )
    item = OutboxItem.objects.get(message=message)
    # When the user revokes Parley's access and the outbox tries to send
    oauth_server.revoke_all()
    outbox_deliver(item_id=item.pk)
    # Then the mailbox needs re-authorisation, the admins are notified, the email waits
    mailbox.refresh_from_db()
    item.refresh_from_db()
    message.refresh_from_db()
    assert mailbox.needs_reauth
    assert item.state == OutboxItem.State.PENDING and item.attempts == 0
    assert message.status == Message.Status.QUEUED and "reconnected" in message.status_reason
    notes = Notification.objects.filter(kind=Notification.Kind.REAUTH)
    assert list(notes.values_list("member_id", flat=True)) == [member.pk]
    page = logged_in.get(reverse("email:settings")).content.decode()
    assert "email-reauth-banner" in page and "needs to be reconnected" in page
    # and the sync stays away from the server, and a second failure notifies no one again
    assert mailbox_sync(mailbox_id=mailbox.pk).looked_at == 0
    OutboxItem.objects.filter(pk=item.pk).update(not_before=timezone.now())
    outbox_deliver(item_id=item.pk)
    assert notes.count() == 1
    # When the user reconnects, the queued email goes out
    response = _oauth_connect(logged_in, query=f"mailbox={mailbox.pk}")
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert not mailbox.needs_reauth
    OutboxItem.objects.filter(pk=item.pk).update(not_before=timezone.now())
    assert outbox_deliver(item_id=item.pk) == OutboxItem.State.DONE
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
