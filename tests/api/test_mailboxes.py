"""Mailboxes over the API: health and today's sends, connecting against real servers,
the default, the daily limit, disconnecting; admins only for changes; secrets never out."""

import zoneinfo
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from parley.accounts.services import api_token_create
from parley.channels.email.models import Mailbox, MailboxFolder
from parley.core.crypto import secret_decrypt, secret_encrypt
from parley.outbox.models import OutboxItem, SenderState
from parley.outbox.planner import outbox_plan_dirty
from parley.outbox.senders import slots_reserve
from tests.api.conftest import ApiClient
from tests.channels.email.servers import PASSWORD, free_port
from tests.factories import IdentityFactory, MemberFactory

pytestmark = pytest.mark.django_db


def _mailbox(member: Any, address: str, **fields: Any) -> Mailbox:
    """A mailbox row as a connection would leave it (the servers are tried elsewhere)."""
    return Mailbox.objects.create(
        workspace=member.workspace,
        connected_by=member,
        address=address,
        connected_at=timezone.now(),
        smtp_host="smtp.brand.test",
        username=address,
        secret=secret_encrypt("s3cret-pass"),
        **fields,
    )


def _today(member: Any) -> date:
    """Today in the workspace's time zone: the day a daily limit counts."""
    return timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(member.workspace.time_zone)).date()


@pytest.fixture
def teammate_api(teammate) -> ApiClient:  # type: ignore[no-untyped-def]
    """A plain member (not an admin) of the same workspace."""
    return ApiClient(api_token_create(member=teammate, name="t")[1])


def _connect_body(imap_user: str, servers: Any, **over: Any) -> dict[str, Any]:
    body = {
        "access": "full",
        "address": imap_user,
        "display_name": "Brand Team",
        "username": imap_user,
        "password": PASSWORD,
        "smtp_host": servers.smtp_host,
        "smtp_port": servers.smtp_port,
        "smtp_tls": "none",
        "imap_host": servers.imap_host,
        "imap_port": servers.imap_port,
        "imap_tls": "none",
    }
    return {**body, **over}


# Listing ---------------------------------------------------------------------------------


def test_list_shows_health_and_todays_sends_against_the_limit(api, member):
    # given a default mailbox that sent 7 of its 40 today, and one with every kind of trouble
    now = timezone.now()
    main = _mailbox(member, "max@brand.test", is_default=True, daily_limit=40, last_sync_at=now)
    slots_reserve(sender_key=main.sender_key, day=_today(member), limit=40, want=7)
    troubled = _mailbox(
        member,
        "anna@brand.test",
        needs_reauth=True,
        last_error="The IMAP server refused the user name or password.",
        last_error_at=now,
        paused_until=now + timedelta(hours=3),
        pause_reason="550 5.4.5 Daily user sending limit exceeded",
        unreadable_count=2,
        last_unreadable_error="Broken MIME",
        last_unreadable_at=now,
    )
    # and a disconnected one
    _mailbox(member, "old@brand.test", is_active=False)

    # when the mailboxes are listed
    response = api.get("/mailboxes")

    # then both connected ones are there, the default first, with their health and day
    assert response.status_code == 200
    first, second = response.json()
    assert (first["id"], second["id"]) == (main.id, troubled.id)
    assert first["is_default"] and first["daily_limit"] == 40
    assert first["today"] == {
        "day": _today(member).isoformat(),
        "sent": 7,
        "daily_limit": 40,
        "remaining": 33,
    }
    assert first["connected_by"] == {"id": member.id, "name": str(member.user)}
    assert first["health"]["needs_reauth"] is False and first["health"]["last_sync_at"]
    assert first["health"]["paused_until"] is None
    health = second["health"]
    assert health["needs_reauth"] is True
    assert health["last_error"].startswith("The IMAP server refused")
    assert health["paused_until"] is not None
    assert health["pause_reason"].startswith("550 5.4.5")
    assert (health["unreadable_count"], health["last_unreadable_error"]) == (2, "Broken MIME")
    assert second["today"]["sent"] == 0 and second["today"]["remaining"] == 300
    # and no secret leaves, in any form
    assert "secret" not in first and "password" not in first
    assert b"s3cret-pass" not in response.content
    assert Mailbox.objects.get(id=main.id).secret.encode() not in response.content


def test_a_pause_that_has_ended_is_not_shown(api, member):
    _mailbox(
        member,
        "max@brand.test",
        paused_until=timezone.now() - timedelta(minutes=1),
        pause_reason="quota",
    )

    health = api.get("/mailboxes").json()[0]["health"]

    assert (health["paused_until"], health["pause_reason"]) == (None, "")


@pytest.mark.parametrize("count", [1, 6])
def test_list_takes_the_same_few_queries_for_any_number_of_mailboxes(
    api, member, count, django_assert_num_queries
):
    # given mailboxes that all sent something today
    for i in range(count):
        mailbox = _mailbox(member, f"m{i}@brand.test", daily_limit=10)
        slots_reserve(sender_key=mailbox.sender_key, day=_today(member), limit=10, want=1)
    api.get("/me")  # the token's last use is stamped once a minute: not in the count

    # then: the token and its member, the mailboxes, today's counts
    with django_assert_num_queries(3):
        response = api.get("/mailboxes")

    assert len(response.json()) == count
    assert all(m["today"]["sent"] == 1 for m in response.json())


def test_get_one_and_a_disconnected_one_is_404(api, member):
    mailbox = _mailbox(member, "max@brand.test", is_default=True)
    gone = _mailbox(member, "old@brand.test", is_active=False)

    assert api.get(f"/mailboxes/{mailbox.id}").json()["address"] == "max@brand.test"
    missing = api.get(f"/mailboxes/{gone.id}")
    assert missing.status_code == 404 and missing.json() == {"detail": "Not found."}


# Connecting ------------------------------------------------------------------------------


def test_connect_tries_the_servers_and_saves(api, member, imap_user, servers):
    # when an admin connects an IMAP/SMTP mailbox with full access
    response = api.post("/mailboxes", _connect_body(imap_user, servers))

    # then the servers accepted it: it is saved, the default, with its folders
    assert response.status_code == 201, response.content
    body = response.json()
    mailbox = Mailbox.objects.get(id=body["id"])
    assert mailbox.workspace_id == member.workspace_id
    assert body["is_default"] and body["access"] == "full" and body["provider"] == "imap"
    assert body["display_name"] == "Brand Team" and body["imap_port"] == servers.imap_port
    assert secret_decrypt(mailbox.secret) == PASSWORD
    assert PASSWORD.encode() not in response.content
    roles = set(MailboxFolder.objects.filter(mailbox=mailbox).values_list("role", flat=True))
    assert roles == {"inbox", "sent"}
    # and connecting the same address again is a conflict
    again = api.post("/mailboxes", _connect_body(imap_user, servers))
    assert again.status_code == 409
    assert again.json() == {"detail": {"address": ["This address is already connected."]}}


def test_connect_send_only_never_needs_imap(api, member, imap_user, servers):
    body = _connect_body(imap_user, servers, access="send_only")
    for name in ("imap_host", "imap_port", "imap_tls"):
        del body[name]

    response = api.post("/mailboxes", body)

    assert response.status_code == 201, response.content
    assert response.json()["access"] == "send_only" and response.json()["imap_host"] == ""


@pytest.mark.parametrize(
    ("over", "field", "words"),
    [
        ({"password": "wrong"}, "password", "refused the user name or password"),
        ({"smtp_port": None}, "smtp_host", "Could not reach the SMTP server"),
        ({"imap_port": None}, "imap_host", "Could not reach the IMAP server"),
    ],
)
def test_a_refused_connection_is_a_422_on_its_field_and_saves_nothing(
    api, imap_user, servers, over, field, words
):
    over = {k: (free_port() if v is None else v) for k, v in over.items()}

    response = api.post("/mailboxes", _connect_body(imap_user, servers, **over))

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert list(detail) == [field] and words in detail[field][0]
    assert PASSWORD.encode() not in response.content
    assert not Mailbox.objects.exists()


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"address": "not an address"}, "address", "Enter a valid email address."),
        (
            {"smtp_host": "smtp.example.com\r\nRCPT TO"},
            "smtp_host",
            "Enter a server's host name or IP address, e.g. smtp.example.com.",
        ),
        ({"smtp_port": 0}, "smtp_port", "Ensure this is at least 1."),
        ({"imap_port": 65536}, "imap_port", "Ensure this is at most 65535."),
        ({"smtp_port": "587"}, "smtp_port", "Enter a whole number."),
        ({"smtp_tls": "ssl3"}, "smtp_tls", "Choose one of: 'ssl', 'starttls' or 'none'."),
        ({"imap_host": None}, "imap_host", "This field is required."),
        ({"access": "everything"}, "access", "Choose one of: 'full', 'send_only'."),
        ({"access": None}, "access", "Give the access."),
        ({"password": ""}, "password", "This field cannot be blank."),
        (
            {"password": "pässword"},
            "password",
            "Use only ASCII letters, digits, punctuation and spaces.",
        ),
        (
            {"display_name": "Brand\nBcc: x@evil.test"},
            "display_name",
            "Remove the line breaks: this goes in an email header.",
        ),
    ],
)
def test_connect_rejects_bad_input_per_field(api, over, field, message):
    body = {
        "access": "full",
        "address": "max@brand.test",
        "password": "pw",
        "smtp_host": "smtp.brand.test",
        "imap_host": "imap.brand.test",
    }
    body.update(over)
    body = {k: v for k, v in body.items() if v is not None}

    response = api.post("/mailboxes", body)

    assert response.status_code == 422, response.content
    assert response.json()["detail"] == {field: [message]}
    assert not Mailbox.objects.exists()


def test_send_only_takes_no_imap_settings(api):
    response = api.post(
        "/mailboxes",
        {
            "access": "send_only",
            "address": "max@brand.test",
            "password": "pw",
            "smtp_host": "smtp.brand.test",
            "imap_host": "imap.brand.test",
        },
    )

    assert response.status_code == 422
    assert response.json()["detail"] == {"imap_host": ["Unknown field."]}


# Admins only -----------------------------------------------------------------------------


def test_plain_members_may_look_but_not_change(teammate_api, member, imap_user, servers):
    # given a workspace with two mailboxes, and a token of a member who is no admin
    main = _mailbox(member, "max@brand.test", is_default=True)
    other = _mailbox(member, "anna@brand.test")
    before = list(Mailbox.objects.order_by("id").values())

    # then they see the mailboxes
    assert len(teammate_api.get("/mailboxes").json()) == 2
    assert teammate_api.get(f"/mailboxes/{other.id}").status_code == 200
    # and every change is a 403 that changes nothing
    denied = [
        teammate_api.post("/mailboxes", _connect_body(imap_user, servers)),
        teammate_api.post(f"/mailboxes/{other.id}/default"),
        teammate_api.put(f"/mailboxes/{main.id}/daily-limit", {"daily_limit": 5}),
        teammate_api.delete(f"/mailboxes/{main.id}"),
    ]
    for response in denied:
        assert response.status_code == 403
        assert response.json() == {"detail": "You may not do this."}
    assert list(Mailbox.objects.order_by("id").values()) == before
    assert not SenderState.objects.exists()


# Default, limit, disconnect --------------------------------------------------------------


def test_make_default(api, member):
    main = _mailbox(member, "max@brand.test", is_default=True)
    other = _mailbox(member, "anna@brand.test")

    response = api.post(f"/mailboxes/{other.id}/default")

    assert response.status_code == 200 and response.json()["is_default"] is True
    assert [m["id"] for m in api.get("/mailboxes").json()] == [other.id, main.id]
    main.refresh_from_db()
    assert not main.is_default


def test_set_the_daily_limit_plans_the_queue_again(api, member, make_conversation):
    # given a mailbox with a limit of 1 that already sent today, and an email queued for
    # tomorrow because of it
    mailbox = _mailbox(member, "max@brand.test", is_default=True, daily_limit=1)
    slots_reserve(sender_key=mailbox.sender_key, day=_today(member), limit=1, want=1)
    conversation = make_conversation()
    IdentityFactory(creator=conversation.creator, value="anna@creators.test")
    sent = api.post(
        f"/conversations/{conversation.id}/messages",
        {"channel": "email", "mailbox_id": mailbox.id, "subject": "Hi", "body": "Hello"},
    ).json()
    assert sent["scheduled_reason"] == "daily_limit"
    tomorrow = _today(member) + timedelta(days=1)
    assert sent["planned_day"] == tomorrow.isoformat()

    # when an admin raises the limit
    response = api.put(f"/mailboxes/{mailbox.id}/daily-limit", {"daily_limit": 50})

    # then the mailbox says so, and its queue is planned again: the email goes today
    assert response.status_code == 200
    assert response.json()["daily_limit"] == 50
    assert response.json()["today"] == {
        "day": _today(member).isoformat(),
        "sent": 1,
        "daily_limit": 50,
        "remaining": 49,
    }
    assert SenderState.objects.get(sender_key=mailbox.sender_key).plan_dirty
    outbox_plan_dirty()
    item = OutboxItem.objects.get(message_id=sent["id"])
    assert item.planned_day == _today(member)
    message = api.get(f"/conversations/{conversation.id}/messages").json()[-1]
    assert (message["planned_day"], message["scheduled_reason"]) == (
        _today(member).isoformat(),
        None,
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "Ensure this is at least 1."),
        (10_001, "Ensure this is at most 10000."),
        ("50", "Enter a whole number."),
        (2.5, "Enter a whole number."),
        (None, "Enter a whole number."),
    ],
)
def test_the_daily_limit_is_1_to_10000(api, member, value, message):
    mailbox = _mailbox(member, "max@brand.test", daily_limit=300)

    response = api.put(f"/mailboxes/{mailbox.id}/daily-limit", {"daily_limit": value})

    assert response.status_code == 422
    assert response.json()["detail"] == {"daily_limit": [message]}
    mailbox.refresh_from_db()
    assert mailbox.daily_limit == 300


def test_the_limit_ends_are_taken(api, member):
    mailbox = _mailbox(member, "max@brand.test")
    for value in (1, 10_000):
        response = api.put(f"/mailboxes/{mailbox.id}/daily-limit", {"daily_limit": value})
        assert response.status_code == 200 and response.json()["daily_limit"] == value


def test_disconnect_forgets_the_secret_and_moves_the_default(api, member):
    main = _mailbox(member, "max@brand.test", is_default=True)
    other = _mailbox(member, "anna@brand.test")

    response = api.delete(f"/mailboxes/{main.id}")

    assert response.status_code == 204
    main.refresh_from_db()
    assert (main.is_active, main.is_default, main.secret) == (False, False, "")
    assert [m["id"] for m in api.get("/mailboxes").json()] == [other.id]
    assert api.get("/mailboxes").json()[0]["is_default"] is True
    assert api.delete(f"/mailboxes/{main.id}").status_code == 404


def test_an_admin_of_another_workspace_is_no_admin_here(member, other_member):
    # other_member is an admin only of their own workspace: this one's ids are 404 to them
    mailbox = _mailbox(member, "max@brand.test", is_default=True)
    MemberFactory(workspace=other_member.workspace)
    other_member.role = "owner"
    other_member.save(update_fields=["role"])
    outsider = ApiClient(api_token_create(member=other_member, name="t")[1])

    for response in (
        outsider.get(f"/mailboxes/{mailbox.id}"),
        outsider.put(f"/mailboxes/{mailbox.id}/daily-limit", {"daily_limit": 1}),
        outsider.delete(f"/mailboxes/{mailbox.id}"),
    ):
        assert response.status_code == 404
    mailbox.refresh_from_db()
    assert mailbox.is_active and mailbox.daily_limit == 300
