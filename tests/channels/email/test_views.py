"""Settings → Integrations → Email provider, downloads and the HTML frame; tenancy."""

import pytest
from django.urls import reverse

from parley.channels.email.models import Mailbox
from parley.inbox.models import Attachment, Message
from parley.inbox.services import message_record
from tests.channels.email.servers import PASSWORD, free_port
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _form(imap_user: str, servers, **over) -> dict:  # type: ignore[no-untyped-def]
    data = {
        "address": imap_user,
        "display_name": "Brand",
        "access": "full",
        "username": imap_user,
        "password": PASSWORD,
        "smtp_host": servers.smtp_host,
        "smtp_port": servers.smtp_port,
        "smtp_tls": "none",
        "imap_host": servers.imap_host,
        "imap_port": servers.imap_port,
        "imap_tls": "none",
    }
    return {**data, **over}


def test_connect_form_shows_a_clear_error_and_saves_nothing(logged_in, imap_user, servers):  # type: ignore[no-untyped-def]
    url = reverse("email:connect")
    wrong = logged_in.post(url, _form(imap_user, servers, password="nope"))
    assert wrong.status_code == 422
    assert "refused the user name or password" in wrong.content.decode()
    unreachable = logged_in.post(url, _form(imap_user, servers, imap_port=free_port()))
    assert (
        unreachable.status_code == 422
        and "Could not reach the IMAP server" in unreachable.content.decode()
    )
    assert PASSWORD not in unreachable.content.decode()
    assert not Mailbox.objects.exists()
    ok = logged_in.post(url, _form(imap_user, servers))
    assert ok.status_code == 302
    page = logged_in.get(reverse("email:settings")).content.decode()
    assert imap_user in page and "Default" in page and "Last successful sync" in page
    assert PASSWORD not in page


def test_kebab_actions_make_default_and_disconnect(
    logged_in, mailbox, connect, dovecot, smtp_server, servers, member
):  # type: ignore[no-untyped-def]
    from parley.channels.email.services import mailbox_connect_imap

    address = dovecot.add_user()
    smtp_server.handler.users[address] = PASSWORD
    second = mailbox_connect_imap(
        member=member,
        address=address,
        display_name="",
        access="send_only",
        servers=servers,
        username=address,
        password=PASSWORD,
    )
    assert not second.is_default
    assert logged_in.post(reverse("email:make_default", args=[second.pk])).status_code == 302
    second.refresh_from_db()
    mailbox.refresh_from_db()
    assert second.is_default and not mailbox.is_default
    assert logged_in.post(reverse("email:disconnect", args=[second.pk])).status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.is_default
    assert not Mailbox.objects.get(pk=second.pk).is_active
    assert Mailbox.objects.get(pk=second.pk).secret == ""


def test_reconnect_with_a_new_password(logged_in, mailbox, servers):  # type: ignore[no-untyped-def]
    Mailbox.objects.filter(pk=mailbox.pk).update(needs_reauth=True, last_error="expired")
    url = reverse("email:reconnect", args=[mailbox.pk])
    assert mailbox.address in logged_in.get(url).content.decode()
    response = logged_in.post(url, _form(mailbox.address, servers))
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert not mailbox.needs_reauth and mailbox.last_error == ""


def test_non_admin_cannot_change_mailboxes(client, member, mailbox):  # type: ignore[no-untyped-def]
    plain = MemberFactory(workspace=member.workspace, role="member")
    client.force_login(plain.user)
    assert client.get(reverse("email:settings")).status_code == 200
    assert client.post(reverse("email:disconnect", args=[mailbox.pk])).status_code == 403
    assert client.get(reverse("email:connect")).status_code == 403


def _email_with_attachment(conversation) -> tuple[Message, Attachment]:  # type: ignore[no-untyped-def]
    from django.core.files.base import ContentFile

    message = message_record(
        conversation=conversation,
        channel="email",
        direction="in",
        status="received",
        body_text="hi",
        body_html="<p>hi</p><script>alert(1)</script>",
    )
    attachment = Attachment(
        message=message, filename="rates.pdf", content_type="application/pdf", size=5
    )
    attachment.file.save("rates.pdf", ContentFile(b"%PDF-"), save=False)
    attachment.save()
    return message, attachment


def test_attachment_download_and_sandboxed_html(logged_in, creator_thread):  # type: ignore[no-untyped-def]
    message, attachment = _email_with_attachment(creator_thread())
    download = logged_in.get(reverse("email:attachment", args=[attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-"
    assert 'attachment; filename="rates.pdf"' in download["Content-Disposition"]
    frame = logged_in.get(reverse("email:message_html", args=[message.pk]))
    assert frame.status_code == 200
    assert frame["Content-Security-Policy"].startswith("sandbox;")
    assert "<script" not in frame.content.decode() and "<p>hi</p>" in frame.content.decode()


def test_another_workspaces_ids_are_404_on_every_route(
    client, other_member, member, mailbox, creator_thread
):  # type: ignore[no-untyped-def]
    # Given a mailbox, an email and an attachment in the member's workspace
    message, attachment = _email_with_attachment(creator_thread())
    # When a member of another workspace asks for them by id
    client.force_login(other_member.user)
    get_routes = [
        reverse("email:reconnect", args=[mailbox.pk]),
        reverse("email:attachment", args=[attachment.pk]),
        reverse("email:message_html", args=[message.pk]),
        reverse("email:oauth_start", args=["gmail"]) + f"?mailbox={mailbox.pk}",
    ]
    post_routes = [
        reverse("email:make_default", args=[mailbox.pk]),
        reverse("email:disconnect", args=[mailbox.pk]),
        reverse("email:reconnect", args=[mailbox.pk]),
    ]
    # Then every route answers 404, and nothing changed
    for url in get_routes:
        assert client.get(url).status_code == 404, url
    for url in post_routes:
        assert client.post(url).status_code == 404, url
    mailbox.refresh_from_db()
    assert mailbox.is_active and mailbox.is_default
    page = client.get(reverse("email:settings")).content.decode()
    assert mailbox.address not in page


def test_settings_says_plainly_when_a_provider_is_not_configured(logged_in, settings):  # type: ignore[no-untyped-def]
    settings.PARLEY_EMAIL_OAUTH = {
        "gmail": {**settings.PARLEY_EMAIL_OAUTH["gmail"], "client_id": ""},
        "microsoft": {**settings.PARLEY_EMAIL_OAUTH["microsoft"], "client_id": "app-123"},
    }
    html = logged_in.get(reverse("email:settings")).content.decode()
    gmail = html.split('data-provider="gmail"')[1].split("</form>")[0]
    microsoft = html.split('data-provider="microsoft"')[1].split("</form>")[0]
    assert "Not set up on this server yet" in gmail and "<button" not in gmail
    assert "Not set up" not in microsoft and "<button" in microsoft
    # Plain words for a brand's team: no setting names, no pointers to the README.
    assert "README" not in gmail and "OAuth" not in gmail


def test_a_login_that_is_not_ascii_is_a_form_error_not_a_500(logged_in, imap_user, servers):  # type: ignore[no-untyped-def]
    # smtplib and imaplib send logins as ASCII only: they raised UnicodeEncodeError before
    url = reverse("email:connect")

    response = logged_in.post(url, _form(imap_user, servers, password="pässwörd"))

    assert response.status_code == 422
    assert "may only hold ASCII letters" in response.content.decode()
    assert not Mailbox.objects.exists()
