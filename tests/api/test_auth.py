from datetime import timedelta

import pytest
from django.utils import timezone

from parley.accounts.models import ApiToken
from tests.api.conftest import ApiClient
from tests.api.routes import ROUTES, concrete

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_needs_a_token(anon_api, method, path):
    # when a route is called without a token
    response = anon_api.request(method, concrete(path), {})

    # then it is refused before anything is looked up
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.json()["detail"]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_refuses_a_wrong_token(api_token, method, path):
    # given a token that looks right but is not one of ours
    wrong = ApiClient(api_token[:-4] + "abcd")

    # when any route is called with it
    response = wrong.request(method, concrete(path), {})

    # then it is refused and the token is not echoed back
    assert response.status_code == 401
    assert api_token[:-4] not in response.content.decode()


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer ", "Token {t}", "Basic {t}", "{t}", "bearer{t}"]
)
def test_malformed_authorization_headers_are_401(anon_api, api_token, header):
    response = anon_api.client.get(
        "/api/v1/me", headers={"Authorization": header.format(t=api_token)}
    )
    assert response.status_code == 401


def test_scheme_is_case_insensitive(anon_api, api_token, member):
    response = anon_api.client.get("/api/v1/me", headers={"Authorization": f"bearer {api_token}"})
    assert response.status_code == 200
    assert response.json()["member"]["id"] == member.id


def test_token_of_deactivated_user_is_refused(api, member):
    # given a user who has been deactivated
    member.user.is_active = False
    member.user.save(update_fields=["is_active"])

    # then their token no longer works
    assert api.get("/me").status_code == 401


def test_deleted_token_is_refused(api, member):
    ApiToken.objects.filter(member=member).delete()
    assert api.get("/me").status_code == 401


def test_first_use_records_last_used(api, member):
    token = ApiToken.objects.get(member=member)
    assert token.last_used_at is None

    assert api.get("/me").status_code == 200

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_recent_use_is_not_written_again(api, member, django_assert_num_queries):
    # given a token used 30 seconds ago
    recently = timezone.now() - timedelta(seconds=30)
    ApiToken.objects.filter(member=member).update(last_used_at=recently)

    # when it is used again: one query authenticates, and nothing is written
    with django_assert_num_queries(1):
        assert api.get("/me").status_code == 200

    # then last_used_at is unchanged
    assert ApiToken.objects.get(member=member).last_used_at == recently


def test_use_after_a_minute_is_recorded(api, member):
    long_ago = timezone.now() - timedelta(minutes=5)
    ApiToken.objects.filter(member=member).update(last_used_at=long_ago)

    assert api.get("/me").status_code == 200

    assert ApiToken.objects.get(member=member).last_used_at > long_ago


def test_token_acts_as_its_own_member(api, member, teammate):
    # given a teammate with their own token
    from parley.accounts.services import api_token_create

    _t, raw = api_token_create(member=teammate, name="teammate")

    # then each token identifies its own member
    assert api.get("/me").json()["member"]["id"] == member.id
    assert ApiClient(raw).get("/me").json()["member"]["id"] == teammate.id


def test_token_never_appears_in_output(api, api_token, member):
    # when the member's own data is read
    me = api.get("/me").content.decode()
    members = api.get("/members").content.decode()

    # then neither the raw token nor its digest is in it
    digest = ApiToken.objects.get(member=member).digest
    for body in (me, members):
        assert api_token not in body
        assert digest not in body
        assert "token" not in body.lower()
