"""An API client that sends a real token, made by the same service `manage.py token` uses."""

import json
from typing import Any

import pytest
from django.test import Client

from parley.accounts.models import Member
from parley.accounts.services import api_token_create

PREFIX = "/api/v1"


class ApiClient:
    """Thin wrapper over Django's test client: JSON in, JSON out, bearer token attached."""

    def __init__(self, token: str | None):
        self.client = Client()
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def request(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        url = PREFIX + path
        headers = self._headers()
        if method == "get":
            return self.client.get(url, params, headers=headers)
        data = json.dumps(body) if body is not None else ""
        return getattr(self.client, method)(
            url, data=data, content_type="application/json", headers=headers
        )

    def get(self, path: str, **params: Any) -> Any:
        return self.request("get", path, **params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("post", path, body)

    def put(self, path: str, body: Any = None) -> Any:
        return self.request("put", path, body)

    def patch(self, path: str, body: Any = None) -> Any:
        return self.request("patch", path, body)

    def delete(self, path: str) -> Any:
        return self.request("delete", path)


@pytest.fixture
def api_token(member: Member) -> str:
    _token, raw = api_token_create(member=member, name="tests")
    return raw


@pytest.fixture
def api(api_token: str) -> ApiClient:
    return ApiClient(api_token)


@pytest.fixture
def anon_api(db) -> ApiClient:  # type: ignore[no-untyped-def]
    return ApiClient(None)
