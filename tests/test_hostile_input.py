"""No input gives a 500 (issue 11, finding 2): every API operation, taken from the OpenAPI
schema, and every page route, taken from the URL resolver, is sent NUL characters, ids of
2**64 and 10**20, 100,000-character strings, right-to-left overrides and values of the
wrong JSON type, in its path, query and body, as a member of a workspace with real data.
Every answer must be below 500 (and JSON, from the API). Run on SQLite and PostgreSQL.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from parley.accounts.models import Member
from parley.accounts.services import api_token_create
from parley.broadcasts.services import broadcast_draft, broadcast_send, broadcast_update
from parley.channels.email.models import Mailbox
from parley.creators.services import note_add
from parley.inbox.models import Message
from parley.inbox.services import conversation_get_or_create, message_record
from parley.replies.services import saved_reply_create
from tests.api.assets_tenancy import asset_world
from tests.api.sms_tenancy import sms_world
from tests.channels.sms.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, KEY_SECRET, KEY_SID, SERVICE_SID
from tests.factories import (
    CampaignFactory,
    CampaignMemberFactory,
    ClientFactory,
    CreatorFactory,
    IdentityFactory,
    MemberFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

NUL = "a\x00b"
LONG = "x" * 100_000
RTL = "\u202eevil\u202c name"
HUGE = [2**64, 10**20]
# Text for a query string, a form field or a path segment.
TEXT_VALUES = [NUL, LONG, RTL, str(2**64), str(10**20), "-1", "0", "abc", "1.5", " ", "٣"]
# Values for a JSON field: hostile text, huge and negative numbers, every wrong type.
JSON_VALUES: list[Any] = [NUL, LONG, RTL, *HUGE, -1, 0, 1.5, "5", True, None, [], {}, [1], {"a": 1}]
# Whole bodies that are no JSON object (the last two: no JSON at all, and NUL in a key).
BAD_BODIES = ["5", "[]", '"text"', "null", "true", "{", '{"a\\u0000": 1}', "[" * 5000]


@dataclass
class World:
    member: Member
    token: str
    ids: dict[str, int]


@pytest.fixture(autouse=True)
def no_mail_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connecting a mailbox tries its servers first: here every login is taken, so the walk
    never reaches the network (tests/api/test_mailboxes.py connects to real servers)."""
    monkeypatch.setattr("parley.channels.email.services.connection_test", lambda **kwargs: [])


@pytest.fixture(autouse=True)
def local_twilio(twilio: Any) -> None:
    """Twilio is the local one (tests/channels/sms/twilio_fake.py): the walk never reaches
    the network."""


@pytest.fixture
def world(db: Any) -> World:
    """A member (an owner) whose workspace has one of everything."""
    member = MemberFactory(role=Member.Role.OWNER)
    ws = member.workspace
    teammate = MemberFactory(workspace=ws, role=Member.Role.MEMBER)
    creator = CreatorFactory(workspace=ws, name="Ann Example")
    identity = IdentityFactory(creator=creator)
    tag = TagFactory(workspace=ws)
    client = ClientFactory(workspace=ws)
    campaign = CampaignFactory(workspace=ws, client=client)
    CampaignMemberFactory(campaign=campaign, creator=creator)
    conversation = conversation_get_or_create(creator=creator)
    message = message_record(
        conversation=conversation,
        channel="inapp",
        direction=Message.Direction.INBOUND,
        status=Message.Status.RECEIVED,
        body_text="hello",
        author_creator=creator,
    )
    note_add(creator=creator, author=member, body="a note")
    mailbox = Mailbox.objects.create(
        workspace=ws,
        connected_by=member,
        address="team@brand.test",
        connected_at=timezone.now(),
        is_default=True,
        smtp_host="127.0.0.1",
    )
    broadcast = broadcast_draft(member=member, creator_ids=[creator.id])
    broadcast_update(
        member=member,
        broadcast=broadcast,
        channel="email",
        mailbox=mailbox,
        subject="Hi",
        body="Hi",
    )
    broadcast_send(member=member, broadcast=broadcast)
    assets = asset_world(acting=member, campaign=campaign, creator=creator)
    _token, raw = api_token_create(member=member, name="hostile")
    # Working as a team: a second token (to revoke), a saved reply.
    second_token, _second = api_token_create(member=member, name="second")
    reply = saved_reply_create(member=member, name="Brief", body="Hi {{ first_name }}")
    ids = {
        "conversation_id": conversation.id,
        "creator_id": creator.id,
        "identity_id": identity.id,
        "tag_id": tag.id,
        "campaign_id": campaign.id,
        "link_id": assets["link"],
        "payment_id": assets["payment"],
        "agreement_id": assets["agreement"],
        "gift_id": assets["gift_offered"],
        "product_id": assets["product"],
        "client_id": client.id,
        "member_id": teammate.id,
        "message_id": message.id,
        "mailbox_id": mailbox.id,
        # SMS: the workspace's Twilio account and number, and a phone for the creator.
        "number_id": sms_world(acting=member, creator=creator, prefix="")["sms_number"],
        "broadcast_id": broadcast.id,
        "attachment_id": 1,
        "import_id": 1,  # another workspace's or none: a 404 to walk
        "request_id": 1,  # no Fetch Email request exists: still a path to walk
        "token_id": second_token.id,
        "reply_id": reply.id,
    }
    return World(member=member, token=raw, ids=ids)


def _check(response: Any, where: str) -> None:
    assert response.status_code < 500, f"{where} → {response.status_code}"


# The API --------------------------------------------------------------------------------


def _openapi() -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations() -> Iterator[tuple[str, str]]:
    from parley.api.api import api

    schema = api.get_openapi_schema(path_prefix="/api/v1")
    for path, operations in schema["paths"].items():
        for method in operations:
            yield method, path


# A request body that the operation accepts, per operation with a body; each field is then
# replaced by hostile values one at a time. Ids are filled in from the world.
GOOD_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    # Working as a team (parley/api/routers/team.py)
    ("put", "/notification-preferences"): {
        "preferences": [{"kind": "inbound", "in_app": True, "email": False}]
    },
    ("post", "/api-tokens"): {"name": "CRM"},
    ("post", "/saved-replies"): {"name": "Terms", "subject": "Hi {{ name }}", "body": "Net 30"},
    ("patch", "/saved-replies/{reply_id}"): {"name": "Brief 2", "body": "Hello"},
    ("post", "/saved-replies/{reply_id}/render"): {
        "conversation_id": "conversation_id",
        "campaign_id": "campaign_id",
    },
    ("patch", "/conversations/{conversation_id}/messages/{message_id}"): {
        "body": "Later",
        "subject": "Hi",
        "send_at": "2030-01-01T10:00:00+00:00",
    },
    ("post", "/conversations/{conversation_id}/messages"): {"body": "Hello", "subject": "Hi"},
    ("post", "/conversations/{conversation_id}/unread"): {"message_id": "message_id"},
    ("put", "/conversations/{conversation_id}/assignee"): {"member_id": "member_id"},
    ("post", "/creators"): {
        "name": "Bo Example",
        "first_name": "Bo",
        "preferred_channel": "email",
        "identities": [{"kind": "email", "value": "bo@example.com"}],
        "custom_fields": {"size": "M"},
    },
    ("patch", "/creators/{creator_id}"): {
        "name": "Renamed",
        "first_name": "R",
        "preferred_channel": "sms",
        "custom_fields": {"size": "L"},
    },
    ("post", "/creators/{creator_id}/identities"): {
        "kind": "instagram",
        "value": "@bo",
        "url": "https://example.com/bo",
    },
    ("post", "/creators/{creator_id}/tags"): {"tag_id": "tag_id"},
    ("patch", "/creators/{creator_id}/custom-fields"): {"fields": {"size": "S"}},
    ("post", "/creators/{creator_id}/notes"): {"body": "A note"},
    ("post", "/email-requests"): {"creator_ids": ["creator_id"]},
    ("post", "/tags"): {"name": "vip"},
    ("post", "/tags/{tag_id}/creators"): {"creator_ids": ["creator_id"]},
    ("post", "/campaigns"): {
        "name": "Summer",
        "status": "active",
        "client_id": "client_id",
        "brief": "<p>Post <b>twice</b></p>",
        "starts_on": "2026-06-01",
        "ends_on": "2026-08-31",
        "payment_terms": "250 EUR",
        "agreement_template": "I, {{ name }}, agree.",
        "templates": {"invitation": {"subject": "Join {{ campaign }}", "body": "Hi"}},
    },
    ("patch", "/campaigns/{campaign_id}"): {
        "name": "Autumn",
        "status": "draft",
        "brief": "<p>New</p>",
        "starts_on": "2026-09-01",
        "ends_on": None,
        "payment_terms": "",
        "agreement_template": "",
        "templates": {"rejection": {"subject": "About {{ campaign }}", "body": "Sorry"}},
    },
    ("post", "/campaigns/{campaign_id}/members"): {
        "creator_ids": ["creator_id"],
        "status": "applied",
    },
    ("put", "/campaigns/{campaign_id}/members/{creator_id}"): {
        "status": "accepted",
        "send_email": True,
        "mailbox_id": "mailbox_id",
        "confirm_bouncing": False,
    },
    ("post", "/campaigns/{campaign_id}/transitions"): {
        "creator_ids": ["creator_id"],
        "status": "accepted",
        "send_email": True,
        "mailbox_id": "mailbox_id",
    },
    # Campaign actions (parley/api/routers/campaign_assets.py)
    ("post", "/campaigns/{campaign_id}/links"): {
        "creator_id": "creator_id",
        "destination": "https://shop.test/",
        "send": {"channel": "email", "mailbox_id": "mailbox_id", "subject": "Hi", "body": "{link}"},
    },
    ("post", "/campaigns/{campaign_id}/coupons"): {"codes": ["A-1", "B-2"]},
    ("post", "/campaigns/{campaign_id}/coupons/assign"): {
        "creator_id": "creator_id",
        "send": {"channel": "inapp", "body": "Code {code}"},
    },
    ("post", "/campaigns/{campaign_id}/payments"): {
        "creator_id": "creator_id",
        "amount": "10.50",
        "currency": "EUR",
        "due_on": "2030-01-31",
        "note": "Reel",
    },
    ("post", "/campaigns/{campaign_id}/agreements"): {"creator_id": "creator_id"},
    ("post", "/campaigns/{campaign_id}/products"): {
        "name": "Cap",
        "options": ["S", "M"],
        "stock": 5,
        "per_creator_limit": 1,
    },
    ("patch", "/campaigns/{campaign_id}/products/{product_id}"): {"name": "Cap", "stock": None},
    ("post", "/campaigns/{campaign_id}/gifts"): {"creator_id": "creator_id", "limit": 2},
    ("patch", "/payments/{payment_id}"): {"status": "paid", "note": "x", "due_on": None},
    ("post", "/gifts/{gift_id}/selection"): {
        "selection": [{"product_id": "product_id", "option": "", "quantity": 1}],
        "shipping_address": "Main St 1",
    },
    ("post", "/gifts/{gift_id}/shipment"): {"tracking_number": "JJ1"},
    ("post", "/clients"): {"name": "Acme"},
    # Teammates (parley/api/routers/workspace.py)
    ("post", "/members"): {"email": "new@brand.test", "name": "New Teammate", "role": "admin"},
    ("patch", "/members/{member_id}"): {"role": "admin"},
    # A multipart upload: sent as JSON here, every variant must be a clear 4xx.
    ("post", "/creators/imports"): {"mapping": "{}", "phone_region": "FI", "start": False},
    ("post", "/mailboxes"): {
        "access": "full",
        "address": "new@brand.test",
        "display_name": "Brand",
        "username": "new@brand.test",
        "password": "app password",
        "smtp_host": "smtp.brand.test",
        "smtp_port": 587,
        "smtp_tls": "starttls",
        "imap_host": "127.0.0.1",
        "imap_port": 993,
        "imap_tls": "ssl",
    },
    ("put", "/mailboxes/{mailbox_id}/daily-limit"): {"daily_limit": 50},
    ("post", "/sms/connection"): {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "api_key_sid": KEY_SID,
        "api_key_secret": KEY_SECRET,
    },
    ("post", "/sms/numbers"): {"twilio_sid": SERVICE_SID, "per_second": 2.5, "set_webhooks": True},
    ("patch", "/sms/numbers/{number_id}"): {"per_second": 3, "is_default": True},
    ("post", "/sms/segments"): {"body": "Hei 😀"},
    ("post", "/broadcasts"): {
        "creator_ids": ["creator_id"],
        "channel": "email",
        "mailbox_id": "mailbox_id",
        "subject": "Hi {{ first_name }}",
        "body": "Hello {{ custom.size }}",
        "send_at": "2030-05-01T09:00:00+02:00",
        "check_only": True,
    },
    ("post", "/broadcasts/preview"): {
        "creator_id": "creator_id",
        "campaign_id": "campaign_id",
        "subject": "{{ campaign }}",
        "body": "Hi {{ first_name }}",
    },
}
# More bodies an operation accepts, walked the same way: an email as well as an in-app
# message, with attachments whose names are paths, device names, controls and RTL text.
MORE_GOOD_BODIES: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("post", "/conversations/{conversation_id}/messages"): [
        {"channel": "sms", "number_id": "number_id", "body": "Hei!", "campaign_id": "campaign_id"},
        {
            "channel": "email",
            "mailbox_id": "mailbox_id",
            "subject": "Hi",
            "body": "Hello",
            "confirm_bouncing": True,
            "attachments": [
                {"filename": name, "content_type": "text/plain", "data_base64": "aGk="}
                for name in ["../../etc/passwd", "..", "CON", RTL, "a\x07b\u200b.txt", "é" * 255]
            ],
        },
    ],
    # A mass message to all that match the inbox filter, and to a campaign's members, sent.
    ("post", "/broadcasts"): [
        {
            "filter": {
                "campaign": "campaign_id",
                "campaigns": ["campaign_id"],
                "tags": ["tag_id"],
                "clients": ["client_id"],
                "unread": True,
                "assigned_to_me": False,
                "awaiting": False,
                "q": RTL,
            },
            "subject": RTL,
            "body": "{{ name }}",
        },
        {"campaign_id": "campaign_id", "channel": "inapp", "body": "{{ campaign }}"},
    ],
    ("post", "/mailboxes"): [
        {
            "access": "send_only",
            "address": "other@brand.test",
            "password": "pw",
            "smtp_host": "::1",
        }
    ],
}


def _fill(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, str) and value in ids:
        return ids[value]
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _api_call(
    method: str, path: str, token: str, *, query: Any = None, body: str | None = None
) -> Any:
    client = Client()
    headers = {"Authorization": f"Bearer {token}"}
    if method == "get":
        return client.get(path, query or {}, headers=headers)
    return getattr(client, method)(
        path, data=body or "", content_type="application/json", headers=headers
    )


def _body_variants(good: dict[str, Any], properties: set[str]) -> Iterator[Any]:
    for name in sorted(set(good) | properties):
        for value in JSON_VALUES:
            yield {**good, name: value}
            yield {**good, name: [value]}  # a list of ids, of identities
            yield {**good, name: {"k": value}}  # custom fields
        yield {**good, name: {NUL: "x"}}
        yield {**good, name: [{"kind": "email", "value": NUL}, {"kind": NUL, "value": "x"}]}
    yield {**good, "extra\x00": 1}


def _properties(schema: dict[str, Any], body_schema: dict[str, Any]) -> set[str]:
    """Top-level property names of a request body schema, through $ref and oneOf."""
    components = schema["components"]["schemas"]
    found: set[str] = set()
    stack = [body_schema]
    while stack:
        node = stack.pop()
        if "$ref" in node:
            stack.append(components[node["$ref"].rsplit("/", 1)[1]])
        found.update(node.get("properties", {}))
        stack.extend(node.get("oneOf", []) + node.get("anyOf", []))
    return found


def test_every_operation_with_a_body_has_a_good_body() -> None:
    schema = _openapi()
    with_body = {
        (method, path.removeprefix("/api/v1"))
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    }
    assert with_body == set(GOOD_BODIES)


@pytest.mark.parametrize(("method", "path"), sorted(_operations()))
def test_api_operation_never_answers_5xx(world: World, method: str, path: str) -> None:
    schema = _openapi()
    operation = schema["paths"][path][method]
    ids = world.ids
    params = [p for p in operation.get("parameters", []) if p["in"] == "query"]
    path_names = re.findall(r"\{(\w+)\}", path)
    real_path = path.format(**{n: ids[n] for n in path_names})
    good = _fill(GOOD_BODIES.get((method, path.removeprefix("/api/v1")), {}), ids)
    good_body = json.dumps(good) if "requestBody" in operation else None
    csv_200 = "text/csv" in operation["responses"].get("200", {}).get("content", {})

    def call(url: str, **kwargs: Any) -> None:
        response = _api_call(method, url, world.token, **kwargs)
        _check(response, f"{method.upper()} {url} {str(kwargs)[:200]}")
        if response.status_code == 200 and csv_200:  # a download, as documented
            assert response["Content-Type"].startswith("text/csv"), url
            return
        assert response["Content-Type"].startswith("application/json"), url

    # Path ids: malformed, negative, zero, beyond 64 bits, NUL
    for name in path_names:
        for value in [*TEXT_VALUES[:2], "0", "-1", "abc", str(2**64), str(10**20), "%00"]:
            if value == LONG:
                continue
            bad = path.format(**{n: (value if n == name else ids[n]) for n in path_names})
            call(bad, body=good_body)
    # Query parameters, one at a time and repeated (the list filters)
    for param in params:
        for value in TEXT_VALUES:
            if method == "get":
                call(real_path, query={param["name"]: value})
                call(real_path, query={param["name"]: [value, value]})
    # The body: each field hostile in turn, then bodies that are no JSON object
    if good_body is not None:
        content = operation["requestBody"]["content"]  # JSON, or a multipart upload
        body_schema = content.get("application/json") or next(iter(content.values()))
        properties = _properties(schema, body_schema)
        more = MORE_GOOD_BODIES.get((method, path.removeprefix("/api/v1")), [])
        for base in [good, *_fill(more, ids)]:
            for body in _body_variants(base, properties):
                call(real_path, body=json.dumps(body))
        for raw in BAD_BODIES:
            call(real_path, body=raw)


def test_unknown_api_paths_answer_json_404(world: World) -> None:
    for path in ["/api/v1/nope", "/api/v1/creators/1/nope", "/api/v1/%00", "/api/v1/c/" + LONG]:
        response = _api_call("get", path, world.token)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}


# The pages ------------------------------------------------------------------------------

# Every query and form field name the pages read, to send hostile values in.
QUERY_NAMES = [
    "q",
    "campaign",
    "campaigns",
    "tags",
    "clients",
    "cursor",
    "unread",
    "assigned_to_me",
    "awaiting",
    "mailbox",
    "pulse",
    "status",
    "removed",
    "view",
    "next",
    "access",
    "state",
    "code",
    "error",
    "m",
    "select_all",
]
FORM_NAMES = [
    *QUERY_NAMES,
    "body",
    "subject",
    "channel",
    "send_at",
    "name",
    "tag",
    "creators",
    "action",
    "bulk_tag",
    "bulk_tag_name",
    "bulk_campaign",
    "field:size",
    "new_key",
    "new_value",
    "first_name",
    "preferred_channel",
    "identity_kind",
    "identity_value",
    "identity_url",
    "assignee",
    "workspace",
    "language",
    "email",
    "username",
    "password",
    "address",
    "display_name",
    "smtp_host",
    "smtp_port",
    "imap_host",
    "imap_port",
    # campaign actions
    "destination",
    "amount",
    "currency",
    "due_on",
    "note",
    "codes",
    "pattern",
    "count",
    "how",
    "tracking_number",
    "limit",
    "asset",
    "shipping_address",
    "options",
    "stock",
    "per_creator_limit",
    # campaigns
    "to",
    "status_filter",
    "send_email",
    "confirm_bouncing",
    "restore",
    "section",
    "brief",
    "starts_on",
    "ends_on",
    "payment_terms",
    "agreement_template",
    "invitation_subject",
    "invitation_body",
    "search_language",
    # Settings → Team
    "role",
]
# The fields that carry ids.
ID_NAMES = [
    "campaign",
    "campaigns",
    "tags",
    "clients",
    "mailbox",
    "tag",
    "creators",
    "bulk_tag",
    "bulk_campaign",
    "assignee",
    "workspace",
]
# What each path argument of a page route is in the world (a provider is a name).
PATH_ARGS = {"provider": "gmail", "uidb64": "MQ", "token": "set-password", "kind": "link"}


def _page_routes() -> Iterator[tuple[str, str]]:
    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, str]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), str(p.name)

    for route, name in walk(get_resolver().url_patterns, ""):
        if not route.startswith("api/"):
            yield route, name


def _page_url(route: str, ids: dict[str, int], override: dict[str, str] | None = None) -> str:
    def arg(match: re.Match[str]) -> str:
        name = match.group(2)
        if override and name in override:
            return override[name]
        return str(PATH_ARGS.get(name, ids.get(name, 1)))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", arg, route)


def test_every_page_route_is_walked() -> None:
    routes = {route for route, _name in _page_routes()}
    assert "inbox/rows/" in routes and "inbox/bulk/" in routes
    assert any("<id:conversation_id>" in r for r in routes)


@pytest.mark.parametrize(("route", "name"), sorted(_page_routes()))
def test_page_route_never_answers_5xx(world: World, route: str, name: str) -> None:
    client = Client()
    ids = world.ids
    url = _page_url(route, ids)

    def call(method: str, target: str, data: Any = None, **extra: Any) -> None:
        client.force_login(world.member.user)  # again: a hostile logout must not end the walk
        response = getattr(client, method)(target, data or {}, **extra)
        _check(response, f"{method.upper()} {target} {str(data)[:200]}")

    # Path ids out of range, and hostile path text
    for arg in re.findall(r"<(?:\w+:)?(\w+)>", route):
        for value in ["0", str(2**64), str(10**20), "%00", "abc"]:
            call("get", _page_url(route, ids, {arg: value}))
    for value in TEXT_VALUES:
        # Every name at once, then the ids one name at a time (a huge id must not hide
        # behind an earlier error)
        call("get", url, {n: value for n in QUERY_NAMES})
        call("post", url, {n: value for n in FORM_NAMES})
    for value in [str(2**64), str(10**20)]:
        for field in ID_NAMES:
            call("get", url, {field: value})
            call("post", url, {field: value, "select_all": "", "action": "tag"})
            call("post", url, {field: value, "action": "campaign", "creators": ids["creator_id"]})
    # An upload whose name holds a NUL, a path and a very long name
    for filename in ["a\x00b.txt", "../../x.txt", "a." + "x" * 300]:
        upload = SimpleUploadedFile(filename, b"hi", content_type="text/plain")
        call("post", url, {"body": "hi", "channel": "email", "attachments": upload})
