"""Fixtures for the enrichment tests (a pytest plugin, listed in tests/conftest.py so the API
and tenancy tests can use them too): the local Influencers Club API, and settings that point
Parley's adapter at it, or leave the provider unconfigured."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.creators.enrichment.servers import API_KEY, ProviderServer


@pytest.fixture(scope="session")
def _provider_server() -> Iterator[ProviderServer]:
    server = ProviderServer()
    yield server
    server.stop()


@pytest.fixture
def provider(_provider_server: ProviderServer, settings: Any) -> ProviderServer:
    """The provider, configured: PARLEY_ENRICHMENT points at the local server."""
    _provider_server.requests.clear()
    _provider_server.scripts.clear()
    settings.PARLEY_ENRICHMENT = {
        "provider": "influencers_club",
        "api_key": API_KEY,
        "base_url": _provider_server.url,
        "timeout": 5,
    }
    return _provider_server


@pytest.fixture
def no_provider(settings: Any) -> None:
    """No API key: the provider is not configured."""
    settings.PARLEY_ENRICHMENT = {"provider": "influencers_club", "api_key": "", "base_url": ""}
