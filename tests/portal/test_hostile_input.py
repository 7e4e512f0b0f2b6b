"""Hostile input on every portal route and every field of its forms, as a signed-in
creator and as a stranger: NUL bytes, huge values, path-like file names, bidirectional
controls, wrong types. A clear 4xx (or a redirect back), never a 5xx."""

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern

from parley import urls as root_urls
from parley.campaigns.assets import agreements, gifts
from parley.campaigns.models import CampaignMember
from parley.portal import urls as portal_urls
from parley.portal import urls_team
from parley.portal.content import content_submit
from parley.portal.models import ContentSubmission
from parley.portal.services import campaign_applications_set

NUL = "a\x00b"
LONG = "x" * 100_000
RTL = "\u202eevil\u202c name"
VALUES: list[Any] = [NUL, LONG, RTL, str(2**64), "-1", "0", "abc", " ", "٣", ["a", "b"]]
FIELDS = [
    "body",
    "answer",
    "decline",
    "signer_name",
    "consent",
    "shipping_address",
    "url",
    "note",
    "email",
    "name",
    "decision",
    "comment",
    "open",
    "language",
    "next",
]


def _check(response: Any, where: str) -> None:
    assert response.status_code < 500, f"{where} → {response.status_code}"


@pytest.fixture
def world(ann):
    s = ann.setup
    s.campaign.agreement_template = "Deal."
    s.campaign.save()
    CampaignMember.objects.filter(id=s.membership.id).update(status=CampaignMember.Status.ACTIVE)
    agreement = agreements.agreement_send(actor=s.member, campaign=s.campaign, creator=s.creator)
    product = gifts.product_create(campaign=s.campaign, name="Cap", options=["S"])
    gifts.gift_offer(actor=s.member, campaign=s.campaign, creator=s.creator)
    submission = content_submit(access=ann.access, campaign=s.campaign, url="https://x.example/")
    campaign_applications_set(campaign=s.campaign, is_open=True)
    ids = {
        "creator_id": s.creator.id,
        "campaign_id": s.campaign.id,
        "agreement_id": agreement.id,
        "submission_id": submission.id,
        "attachment_id": 1,
        "token": "not-a-token",
        "code": s.campaign.public_code,
    }
    return ann, ids, product


def _routes(module: Any) -> list[str]:
    return [str(p.pattern) for p in module.urlpatterns if isinstance(p, URLPattern)]


def _url(prefix: str, route: str, ids: dict[str, Any], override: dict[str, str]) -> str:
    def arg(match: re.Match[str]) -> str:
        name = match.group(2)
        return str(override.get(name, ids.get(name, 1)))

    return prefix + re.sub(r"<(?:(\w+):)?(\w+)>", arg, route)


# root_urls registers the `id` converter the portal's routes use.
assert root_urls.urlpatterns
ROUTES = [("/portal/", r) for r in _routes(portal_urls)] + [("/", r) for r in _routes(urls_team)]


@pytest.mark.parametrize(("prefix", "route"), ROUTES)
def test_portal_route_never_answers_5xx(world, logged_in, prefix, route):
    ann, ids, product = world
    fields = [*FIELDS, f"qty_{product.id}", f"option_{product.id}"]
    for client in (ann.client, logged_in, Client()):
        url = _url(prefix, route, ids, {})
        for arg in re.findall(r"<(?:\w+:)?(\w+)>", route):
            for value in ["0", str(2**64), "%00", "abc", "..%2F..%2Fetc", "%E2%80%AE"]:
                target = _url(prefix, route, ids, {arg: value})
                _check(client.get(target), f"GET {target}")
        for value in VALUES:
            _check(client.get(url, {n: value for n in fields}), f"GET {url} {value!r:.40}")
            response = client.post(url, {n: value for n in fields})
            _check(response, f"POST {url} {value!r:.40}")
        for name in ["a\x00b.mp4", "../../etc/passwd", "a." + "x" * 300, "\u202egnp.exe"]:
            upload = SimpleUploadedFile(name, b"hi", content_type="text/html")
            _check(client.post(url, {"file": upload, "note": RTL}), f"POST {url} file {name!r}")


def test_hostile_fields_get_clear_answers(world):
    ann, ids, product = world
    base = f"/portal/c/{ids['creator_id']}/campaigns/{ids['campaign_id']}/"
    # A URL that is not http(s), a NUL, a huge one: 4xx with the field's message
    for value in ["javascript:alert(1)", LONG, "ftp://x.example/", RTL]:
        response = ann.client.post(base + "content/", {"url": value})
        assert response.status_code in (400, 422), value
    assert ann.client.post(base + "content/", {"url": NUL}).status_code == 400
    # A path-like name is stored as its last segment, shown as given but harmless
    upload = SimpleUploadedFile("..\\..\\windows\\evil\u202egnp.exe", b"hi")
    assert ann.client.post(base + "content/", {"file": upload}).status_code == 302
    submission = ContentSubmission.objects.latest("id")
    stored = submission.file.name.rsplit("/", 1)[-1]
    assert "\\" not in stored and ".." not in stored and "\u202e" not in submission.filename
    # Wrong types for the gift form
    for value in ["abc", "-1", str(2**64), "1.5"]:
        response = ann.client.post(
            base + "gifts/", {f"qty_{product.id}": value, "shipping_address": "Street 1"}
        )
        assert response.status_code == 422, value
    # A huge reply, a blank one, one of bidi controls only
    for value in [LONG, " ", "\u202e\u202c"]:
        response = ann.client.post(f"/portal/c/{ids['creator_id']}/reply/", {"body": value})
        assert response.status_code == 422, value
    # A sign-in with a huge or malformed address
    for value in [LONG + "@x.test", "no-at-sign", RTL + "@x.test"]:
        assert Client().post("/portal/sign-in/", {"email": value}).status_code == 422
