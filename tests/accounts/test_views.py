import re

import pytest
from django.core import mail
from django.http import HttpRequest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_password_reset_flow_sets_a_new_password(client, member):
    response = client.post(reverse("password_reset"), {"email": member.user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/reset/\S+)", mail.outbox[0].body)
    assert link is not None
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-secret-9", "new_password2": "a-brand-new-secret-9"},
    )
    assert done.status_code == 302
    # django-axes checks every authentication against a request
    assert client.login(
        request=HttpRequest(), username=member.user.email, password="a-brand-new-secret-9"
    )


def test_reset_for_unknown_email_sends_nothing_and_says_the_same(client, member):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302 and mail.outbox == []


def test_logout_is_a_post_and_ends_the_session(logged_in):
    assert logged_in.post(reverse("logout")).status_code == 302
    assert logged_in.get(reverse("inbox:list")).status_code == 302


def test_wrong_password_shows_an_error(client, member):
    response = client.post(reverse("login"), {"username": member.user.email, "password": "no"})
    assert response.status_code == 200
    assert "didn" in response.content.decode()


def test_user_without_workspace_gets_a_clear_page(client):
    from tests.factories import UserFactory

    user = UserFactory()
    client.force_login(user)
    response = client.get(reverse("inbox:list"))
    assert response.status_code == 403 and "No workspace yet" in response.content.decode()
