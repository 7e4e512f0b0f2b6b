"""The public redirect `/l/<code>`: a 302 to the destination, the click recorded without
the IP address, HEAD and bots not counted, an unknown code a 404; in few queries."""

import pytest
from django.urls import reverse

from parley.campaigns.assets.links import link_create
from parley.campaigns.models import LinkClick

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605.1.15"


@pytest.fixture
def link(spring):  # type: ignore[no-untyped-def]
    made, _ = link_create(
        actor=None,
        campaign=spring.campaign,
        creator=spring.creator,
        destination="https://shop.example/spring?utm_source=parley",
    )
    return made


def test_redirect_is_a_302_and_records_the_click(client, link, django_assert_max_num_queries):
    # The look-up, the click's insert and the member's last activity (and, inside the
    # test's transaction, a savepoint and its release around the two writes).
    with django_assert_max_num_queries(5):
        response = client.get(
            reverse("link_follow", args=[link.code]),
            HTTP_USER_AGENT=BROWSER,
            HTTP_REFERER="https://mail.example/inbox",
            REMOTE_ADDR="198.51.100.23",
        )

    assert response.status_code == 302
    assert response["Location"] == "https://shop.example/spring?utm_source=parley"
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    click = LinkClick.objects.get()
    assert click.referrer == "https://mail.example/inbox"
    stored = " ".join(str(v) for v in LinkClick.objects.values_list().get())
    assert "198.51.100.23" not in stored and "Safari" not in stored


def test_head_and_bots_are_redirected_but_not_counted(client, link):
    url = reverse("link_follow", args=[link.code])
    assert client.head(url, HTTP_USER_AGENT=BROWSER).status_code == 302
    assert client.get(url, HTTP_USER_AGENT="Slackbot-LinkExpanding 1.0").status_code == 302
    assert client.get(url).status_code == 302  # no user agent at all
    assert not LinkClick.objects.exists()


def test_same_visitor_same_day_is_one_unique(client, link):
    url = reverse("link_follow", args=[link.code])
    for addr in ["198.51.100.1", "198.51.100.1", "198.51.100.2"]:
        client.get(url, HTTP_USER_AGENT=BROWSER, REMOTE_ADDR=addr)
    visitors = list(LinkClick.objects.values_list("visitor", flat=True))
    assert len(visitors) == 3 and len(set(visitors)) == 2


@pytest.mark.parametrize("code", ["AAAAAAAAAAAA", "short", "x" * 200, "..%2F..%2Fetc"])
def test_unknown_code_is_a_404(client, link, code, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        response = client.get(f"/l/{code}", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 404
    assert not LinkClick.objects.exists()


def test_post_is_not_allowed(client, link):
    assert client.post(reverse("link_follow", args=[link.code])).status_code == 405
