"""The enrichment provider interface: what Parley asks a provider, and the errors it can
answer with. `enrichment_provider()` builds the configured adapter from the settings
(`PARLEY_ENRICHMENT`); without an API key there is none, and nothing is queued."""

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Share:
    """One bar of an audience chart: a gender, an age band or a country, and its share of
    the audience (0 to 1)."""

    code: str
    name: str
    share: float


@dataclass(frozen=True)
class Audience:
    genders: list[Share]
    ages: list[Share]
    countries: list[Share]
    followers: int | None = None


class ProviderError(Exception):
    """The provider could not answer. `message` is safe to show to a member."""

    retryable = False

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class NotConfigured(ProviderError):
    """No provider (no API key) on this server."""


class AuthFailed(ProviderError):
    """The provider refused the API key (401 or 403). Asking again will not help."""


class Refused(ProviderError):
    """The provider refused the request itself (400, 402 no credits, 422, …)."""


class BadResponse(ProviderError):
    """The answer was not what the provider documents (not JSON, another shape)."""


class Unavailable(ProviderError):
    """A 5xx, a timeout or no connection: worth trying again later."""

    retryable = True


class RateLimited(ProviderError):
    """429: try again after `retry_after` seconds (the provider's Retry-After)."""

    retryable = True

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


class Provider(Protocol):
    key: str
    name: str
    # Identity kinds the provider can look a creator up by, in the order Parley tries them.
    platforms: tuple[str, ...]

    def find_email(self, *, platform: str, handle: str) -> str | None:
        """The creator's email address, or None when the provider has none."""
        ...

    def audience(self, *, platform: str, handle: str) -> Audience | None:
        """The audience figures of the creator's profile, or None when it has none."""
        ...


def _config() -> dict[str, object]:
    return dict(getattr(settings, "PARLEY_ENRICHMENT", {}) or {})


def enrichment_configured() -> bool:
    """Whether an enrichment provider is configured (its API key is set)."""
    return bool(_config().get("api_key"))


def enrichment_provider() -> Provider:
    """The configured provider's adapter; NotConfigured without an API key."""
    config = _config()
    if not config.get("api_key"):
        raise NotConfigured(
            _(
                "No enrichment provider is configured on this server. Whoever runs this "
                "Parley server can connect one."
            )
        )
    provider = config.get("provider", "influencers_club")
    if provider != "influencers_club":
        raise NotConfigured(_("Unknown enrichment provider %(name)s.") % {"name": provider})
    from parley.creators.enrichment.providers.influencers_club import InfluencersClub

    return InfluencersClub(
        api_key=str(config["api_key"]),
        base_url=str(config.get("base_url") or InfluencersClub.BASE_URL),
        timeout=float(config.get("timeout") or 30),  # type: ignore[arg-type]
    )
