"""The Influencers Club adapter at the HTTP edge: what it sends, and what it makes of each
documented answer (found, not found, a refused key, the rate limit, 5xx, not JSON)."""

import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from parley.creators.enrichment.providers import (
    AuthFailed,
    BadResponse,
    NotConfigured,
    RateLimited,
    Refused,
    Share,
    Unavailable,
    enrichment_configured,
    enrichment_provider,
)
from parley.creators.enrichment.providers.influencers_club import (
    InfluencersClub,
    retry_after_seconds,
)
from tests.creators.enrichment.servers import (
    ANALYTICS,
    API_KEY,
    PROFILE,
    Answer,
    ProviderServer,
    found,
    throttled,
)


@pytest.fixture
def client(provider: ProviderServer) -> InfluencersClub:
    adapter = enrichment_provider()
    assert isinstance(adapter, InfluencersClub)
    return adapter


def test_find_email_posts_the_documented_request_and_reads_the_email(client, provider):
    provider.script("jane.doe", found("Jane.Doe@Example.com", "jane.doe"))

    email = client.find_email(platform="tiktok", handle="jane.doe")

    assert email == "Jane.Doe@Example.com"
    [call] = provider.calls()
    assert call["path"] == PROFILE
    assert call["headers"]["Authorization"] == f"Bearer {API_KEY}"
    assert call["headers"]["Content-Type"] == "application/json"
    assert call["body"] == {
        "handle": "jane.doe",
        "platform": "tiktok",
        "email_required": "must_have",
    }


@pytest.mark.parametrize(
    "answer",
    [
        Answer(404, {"detail": "Not found."}),
        Answer(body={"result": {}, "credits_cost": 0}),
        Answer(body={"result": None, "credits_cost": 0}),
        Answer(body={"result": {"email": None, "first_name": "Jane"}, "credits_cost": 0.2}),
        Answer(body={"result": {"email": ""}, "credits_cost": 0.2}),
    ],
    ids=["404", "empty-result", "null-result", "null-email", "empty-email"],
)
def test_no_email_is_not_found(client, provider, answer):
    provider.script("quiet", answer)

    assert client.find_email(platform="instagram", handle="quiet") is None


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_an_auth_failure(client, provider, status):
    provider.script("jane", Answer(status, {"detail": "Invalid token."}))

    with pytest.raises(AuthFailed) as failure:
        client.find_email(platform="tiktok", handle="jane")

    assert str(status) in failure.value.message
    assert not failure.value.retryable


def test_a_wrong_key_is_refused_by_the_server(provider, settings):
    settings.PARLEY_ENRICHMENT = {**settings.PARLEY_ENRICHMENT, "api_key": "wrong"}

    with pytest.raises(AuthFailed):
        enrichment_provider().find_email(platform="tiktok", handle="jane")


def test_429_is_rate_limited_with_the_retry_after_seconds(client, provider):
    provider.script("busy", throttled(7))

    with pytest.raises(RateLimited) as limited:
        client.find_email(platform="tiktok", handle="busy")

    assert limited.value.retry_after == 7
    assert limited.value.retryable


def test_429_with_an_http_date_retry_after(client, provider):
    when = datetime.now(UTC) + timedelta(seconds=90)
    retry_after = {"Retry-After": format_datetime(when, usegmt=True)}
    provider.script("busy", Answer(429, {"detail": "Slow down."}, retry_after))

    with pytest.raises(RateLimited) as limited:
        client.audience(platform="tiktok", handle="busy")

    assert 85 <= limited.value.retry_after <= 91


def test_429_without_retry_after_waits_a_minute(client, provider):
    provider.script("busy", Answer(429, {"detail": "Request was throttled."}))

    with pytest.raises(RateLimited) as limited:
        client.find_email(platform="tiktok", handle="busy")

    assert limited.value.retry_after == 60


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("0", 1.0), ("120", 120.0), ("9999999", 86400.0), ("soon", 60.0), ("", 60.0), (None, 60.0)],
)
def test_retry_after_is_read_and_bounded(header, seconds):
    assert retry_after_seconds(header) == seconds


def test_retry_after_date_in_the_past_is_one_second():
    past = datetime(2020, 1, 1, tzinfo=UTC)
    assert retry_after_seconds(format_datetime(past, usegmt=True)) == 1.0


@pytest.mark.parametrize(
    "answer",
    [
        Answer(500, {"detail": "Internal server error."}),
        Answer(502, b"<html><body>Bad gateway</body></html>"),
        Answer(503, {"detail": "Service temporarily unavailable."}),
    ],
    ids=["500", "502-html", "503"],
)
def test_5xx_is_unavailable_and_retryable(client, provider, answer):
    provider.script("jane", answer)

    with pytest.raises(Unavailable) as down:
        client.find_email(platform="tiktok", handle="jane")

    assert down.value.retryable


@pytest.mark.parametrize(
    "answer",
    [
        Answer(body=b"{not json"),
        Answer(body=b""),
        Answer(body=["a", "list"]),
        Answer(body={"result": "a string", "credits_cost": 0.2}),
        Answer(body={"result": {"email": ["two", "addresses"]}}),
    ],
    ids=["broken", "empty-body", "list", "result-string", "email-list"],
)
def test_an_answer_that_is_not_what_is_documented_is_a_bad_response(client, provider, answer):
    provider.script("jane", answer)

    with pytest.raises(BadResponse):
        client.find_email(platform="tiktok", handle="jane")


def test_other_4xx_is_refused_with_the_providers_reason(client, provider):
    provider.script("jane", Answer(402, {"detail": "Not enough credits."}))

    with pytest.raises(Refused) as refused:
        client.find_email(platform="tiktok", handle="jane")

    assert "Not enough credits." in refused.value.message
    assert not refused.value.retryable


def test_no_server_is_unavailable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    adapter = InfluencersClub(api_key=API_KEY, base_url=f"http://127.0.0.1:{port}", timeout=2)

    with pytest.raises(Unavailable):
        adapter.find_email(platform="tiktok", handle="jane")


def test_a_slow_server_times_out_as_unavailable(provider):
    provider.script("slow", Answer(body={"result": {}}, delay=1.5))
    adapter = InfluencersClub(api_key=API_KEY, base_url=provider.url, timeout=0.3)

    with pytest.raises(Unavailable):
        adapter.find_email(platform="tiktok", handle="slow")


def test_audience_reads_genders_ages_and_countries(client, provider):
    audience = client.audience(platform="tiktok", handle="dancer")

    assert audience is not None
    [call] = provider.calls()
    assert call["path"] == ANALYTICS
    assert call["body"] == {"handle": "dancer", "platform": "tiktok", "include_lookalikes": False}
    assert audience.genders == [
        Share("FEMALE", "", 0.6188),
        Share("MALE", "", 0.3812),
    ]
    assert [a.code for a in audience.ages] == ["18-24", "25-34", "13-17", "35-44", "45-64", "65-"]
    assert audience.countries[0] == Share("FI", "Finland", 0.31)
    assert len(audience.countries) == 6
    assert audience.followers == 254_300


@pytest.mark.parametrize("handle", ["empty.audience", "nobody"])
def test_no_audience_is_none(client, provider, handle):
    assert client.audience(platform="tiktok", handle=handle) is None


def test_malformed_audience_items_are_skipped(client, provider):
    provider.script(
        "odd",
        Answer(
            body={
                "result": {
                    "tiktok": {
                        "audience": {
                            "audience_followers": {
                                "success": True,
                                "data": {
                                    "audience_genders": [
                                        {"code": "FEMALE", "weight": "lots"},
                                        {"weight": 0.5},
                                        "MALE",
                                        {"code": "MALE", "weight": 1.7},
                                    ],
                                    "audience_ages": "none",
                                    "audience_geo": [],
                                },
                            }
                        }
                    }
                }
            }
        ),
    )

    audience = client.audience(platform="tiktok", handle="odd")

    assert audience is not None
    assert audience.genders == [Share("MALE", "", 1.0)]
    assert audience.ages == [] and audience.countries == []


def test_not_configured_without_an_api_key(no_provider):
    assert not enrichment_configured()
    with pytest.raises(NotConfigured) as missing:
        enrichment_provider()
    assert "No enrichment provider is configured" in missing.value.message
