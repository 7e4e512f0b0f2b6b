import pytest

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
