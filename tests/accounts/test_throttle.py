"""Login throttling (django-axes) per account and per client address, and the limit on
password-reset emails per address and per client address (issue 11, finding 5)."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse

from parley.accounts.models import Member
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

IP = "203.0.113.7"
OTHER_IP = "198.51.100.9"
PASSWORD = "pw-for-tests-1"


@pytest.fixture(autouse=True)
def _limits(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PARLEY_LOGIN_FAILURES_PER_ACCOUNT = 3
    settings.PARLEY_LOGIN_FAILURES_PER_IP = 6
    settings.PARLEY_PASSWORD_RESETS_PER_ADDRESS = 2
    settings.PARLEY_PASSWORD_RESETS_PER_IP = 4


def _login(client, email: str, password: str, ip: str = IP):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_an_account_is_locked_after_its_failures_from_any_address(client, member: Member):
    # Given three wrong passwords for one account, from three addresses, one in capitals
    email = member.user.email
    for i, ip in enumerate([IP, OTHER_IP, "192.0.2.1"]):
        response = _login(client, email.upper() if i == 1 else email, "wrong", ip=ip)
        assert response.status_code in (200, 429)
    # When the right password comes next, from yet another address
    response = _login(client, email, PASSWORD, ip="192.0.2.2")
    # Then it is refused with a clear wait, and nobody is logged in
    assert response.status_code == 429
    text = response.content.decode()
    assert "Too many failed attempts to log in. Try again in 15 minutes." in text
    assert "_auth_user_id" not in client.session
    # And another account from the same address still logs in
    teammate: Member = MemberFactory(workspace=member.workspace)  # type: ignore[assignment]
    assert _login(client, teammate.user.email, PASSWORD).status_code == 302


def test_the_wait_shown_counts_down_and_the_lock_ends_after_the_cool_off(client, member):  # type: ignore[no-untyped-def]
    email = member.user.email
    for _ in range(3):
        _login(client, email, "wrong")
    # Given the last failure was ten minutes ago
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=10)
    )
    # Then the page says five minutes are left
    response = _login(client, email, PASSWORD)
    assert response.status_code == 429
    assert "Try again in 5 minutes." in response.content.decode()
    # When the cool-off has passed since the last try
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )
    # Then the right password works again
    assert _login(client, email, PASSWORD).status_code == 302


def test_an_address_is_locked_after_failures_for_many_accounts(client, member: Member):
    # Given six failures from one address, each for a different (unknown) account
    for i in range(6):
        _login(client, f"guess{i}@example.com", "wrong")
    # When a real member logs in from that address, with the right password
    response = _login(client, member.user.email, PASSWORD)
    # Then it waits too
    assert response.status_code == 429
    assert "Try again in 15 minutes." in response.content.decode()
    # And the same member from another address gets in
    assert _login(client, member.user.email, PASSWORD, ip=OTHER_IP).status_code == 302


def test_a_success_does_not_clear_the_failures_of_the_address(client, member, teammate):  # type: ignore[no-untyped-def]
    # Given an attacker with an account of their own, guessing a teammate's password
    for _ in range(2):
        _login(client, teammate.user.email, "wrong")
        # logging in to their own account between guesses
        assert _login(client, member.user.email, PASSWORD).status_code == 302
        client.logout()
    # Then the teammate's third failure still locks the account
    _login(client, teammate.user.email, "wrong")
    assert _login(client, teammate.user.email, PASSWORD, ip=OTHER_IP).status_code == 429


def _reset(client, email: str, ip: str = IP):  # type: ignore[no-untyped-def]
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip)


def test_reset_emails_are_limited_per_address_and_the_answer_never_changes(client, member):  # type: ignore[no-untyped-def]
    unknown = "nobody@example.com"
    answers = []
    # Given three requests for a member's address and three for an unknown one (limit: 2)
    for ip_suffix in range(3):
        ip = f"192.0.2.{ip_suffix + 10}"
        answers.append(_reset(client, member.user.email, ip=ip))
        answers.append(_reset(client, unknown, ip=ip))
    # Then two emails went out, both to the member
    assert [m.to for m in mail.outbox] == [[member.user.email]] * 2
    # And every answer, under the limit or over it, known address or not, is the same
    assert {(r.status_code, r["Location"]) for r in answers} == {
        (302, reverse("password_reset_done"))
    }


def test_reset_requests_are_limited_per_client_address_with_a_clear_wait(client, member):  # type: ignore[no-untyped-def]
    # Given four requests from one address for four different addresses (limit: 4)
    for i in range(4):
        assert _reset(client, f"someone{i}@example.com").status_code == 302
    # When a fifth comes from it, for a member
    response = _reset(client, member.user.email)
    # Then it is refused, saying how long to wait, and nothing is sent
    assert response.status_code == 429
    assert "Try again in 60 minutes." in response.content.decode()
    assert mail.outbox == []
    # And the member asking from another address gets the email
    assert _reset(client, member.user.email, ip=OTHER_IP).status_code == 302
    assert len(mail.outbox) == 1
