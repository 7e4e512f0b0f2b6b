import json
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from tests.api.routes import ROUTES

pytestmark = pytest.mark.django_db


def test_openapi_schema_lists_every_route_with_bearer_auth(anon_api):
    # when the schema is fetched (it is public; the routes it describes are not)
    response = anon_api.client.get("/api/v1/openapi.json")

    # then it is served, lists exactly the routes the tests cover, and documents the token
    assert response.status_code == 200
    schema = response.json()
    served = {
        (method, path.removeprefix("/api/v1"))
        for path, operations in schema["paths"].items()
        for method in operations
    }
    assert served == set(ROUTES)
    schemes = schema["components"]["securitySchemes"]
    assert any(s == {"type": "http", "scheme": "bearer"} for s in schemes.values())
    list_op = schema["paths"]["/api/v1/conversations"]["get"]
    params = {p["name"] for p in list_op["parameters"]}
    assert {"campaign", "campaigns", "tags", "clients", "unread"} <= params
    assert {"assigned_to_me", "awaiting", "q", "cursor", "limit"} <= params


def test_docs_page_is_served(anon_api):
    response = anon_api.client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_no_operation_answers_one_status_twice(anon_api):
    # A repeated key in the JSON (422 from Ninja and "422" added by errors.document) made
    # Swagger UI refuse the whole schema ("duplicated mapping key").
    raw = anon_api.client.get("/api/v1/openapi.json").content
    repeated: list[str] = []

    def keys_once(pairs):  # type: ignore[no-untyped-def]
        keys = [k for k, _ in pairs]
        repeated.extend(k for k in set(keys) if keys.count(k) > 1)
        return dict(pairs)

    json.loads(raw, object_pairs_hook=keys_once)
    assert repeated == []


def test_docs_load_swagger_ui_from_our_static_files_not_a_cdn(anon_api):
    html = anon_api.client.get("/api/v1/docs").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert {a.rsplit("/", 1)[1] for a in assets} >= {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-init.js",
    }
    assert all(a.startswith(settings.STATIC_URL) for a in assets), assets
    assert "cdn" not in html
    for asset in assets:
        assert finders.find(asset.removeprefix(settings.STATIC_URL).split("?")[0]), asset
