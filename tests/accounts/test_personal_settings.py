"""Settings → Notifications and API tokens: each member's own, through the shared form."""

import pytest
from django.urls import reverse

from parley.accounts.models import ApiToken
from parley.accounts.services import api_token_create
from parley.inbox.models import Notification, NotificationPreference
from parley.inbox.preferences import notification_preferences


def test_notifications_page_shows_the_defaults_and_saves_choices(logged_in, member):
    page = logged_in.get(reverse("accounts:settings_notifications")).content.decode()
    assert 'name="email" value="mention"' in page and "checked" in page

    response = logged_in.post(
        reverse("accounts:settings_notifications"),
        {"in_app": ["inbound", "mention"], "email": ["send_failed"]},
    )

    assert response.status_code == 302
    chosen = {p.kind: (p.in_app, p.email) for p in notification_preferences(member=member)}
    assert chosen["inbound"] == (True, False)
    assert chosen["mention"] == (True, False)
    assert chosen["send_failed"] == (False, True)
    assert chosen["assigned"] == (False, False)
    assert NotificationPreference.objects.filter(member=member).count() == len(
        Notification.Kind.values
    )


@pytest.mark.parametrize(
    "data", [{"in_app": ["nope"]}, {"email": ["x" * 5000]}, {"in_app": ["inbound\u202e"]}]
)
def test_notifications_page_refuses_unknown_kinds_in_words(logged_in, member, data):
    response = logged_in.post(reverse("accounts:settings_notifications"), data)

    assert response.status_code == 422
    assert "is not one of the available choices" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_token_is_shown_once_stored_hashed_listed_and_revoked(logged_in, member):
    url = reverse("accounts:settings_tokens")
    assert 'data-testid="tokens-empty"' in logged_in.get(url).content.decode()

    created = logged_in.post(url, {"name": "Zapier"})
    page = created.content.decode()
    raw = page.split('data-testid="token-value">')[1].split("<")[0]
    token = ApiToken.objects.get(member=member)

    assert created.status_code == 201 and created["Cache-Control"] == "no-store"
    assert token.digest == ApiToken.hash(raw) and raw not in token.digest
    listed = logged_in.get(url).content.decode()
    assert "Zapier" in listed and raw not in listed and token.prefix in listed

    revoked = logged_in.post(reverse("accounts:settings_token_revoke", args=[token.id]))
    assert revoked.status_code == 302
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("name", ["x" * 81, "a\x00b"])
def test_token_name_too_long_or_with_nul_is_a_4xx(logged_in, name):
    response = logged_in.post(reverse("accounts:settings_tokens"), {"name": name})

    assert 400 <= response.status_code < 500
    assert not ApiToken.objects.exists()


def test_another_members_token_cannot_be_revoked(logged_in, teammate, other_member):
    theirs, _raw = api_token_create(member=teammate, name="Theirs")
    foreign, _raw = api_token_create(member=other_member, name="Foreign")

    for token in (theirs, foreign):
        response = logged_in.post(reverse("accounts:settings_token_revoke", args=[token.id]))
        assert response.status_code == 404
    assert ApiToken.objects.count() == 2
    assert "Theirs" not in logged_in.get(reverse("accounts:settings_tokens")).content.decode()
