"""Influencers Club (influencers.club): Fetch Email and TikTok audience figures.

Its public API, as documented at https://docs.influencers.club/openapi (servers, Bearer
auth, the endpoint list), https://docs.influencers.club/guides/usage-limits (credits, the
rate limit) and https://docs.influencers.club/guides/faq (where emails come from), and as
the vendor's own client calls it (github.com/Influencers-Club/influencers-club-mcp):

- Base URL `https://api-dashboard.influencers.club`, `Authorization: Bearer <API key>`,
  JSON in and out.
- `POST /public/v1/creators/enrich/handle/profile/` with `{"handle", "platform",
  "email_required"}`: who a creator is and how to reach them, with a validated `email`
  (0.2 credits). `email_required: "must_have"` answers only when a valid email is found,
  and costs nothing when none is.
- `POST /public/v1/creators/enrich/handle/analytics/` with `{"handle", "platform",
  "include_lookalikes"}`: performance and audience (0.8 credits). The audience of a
  platform's followers is `result.<platform>.audience.audience_followers`:
  `{"success": true, "data": {"audience_genders": [{"code", "weight"}], "audience_ages":
  [{"code", "weight"}], "audience_geo": {"countries": [{"name", "code", "weight"}]}}}`, or
  `{"success": false, "error": "empty_audience"}`.
- Answers: `{"result": {...}, "credits_cost": …}`. Errors are JSON with `detail` (or
  `message` / `error`); 401/403 for a missing or refused key; 429 past 300 requests a minute
  per account, with `Retry-After`; credits are spent only when data comes back.

The calls go through urllib (no client library of the vendor's is published for this).
"""

import http.client
import json
import logging
import urllib.error
import urllib.request
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from parley.creators.enrichment.providers import (
    Audience,
    AuthFailed,
    BadResponse,
    RateLimited,
    Refused,
    Share,
    Unavailable,
)

log = logging.getLogger(__name__)

PROFILE_PATH = "/public/v1/creators/enrich/handle/profile/"
ANALYTICS_PATH = "/public/v1/creators/enrich/handle/analytics/"
# A full report runs to 400,000+ characters; an analytics one is smaller. Anything past this
# is not what the API documents.
MAX_RESPONSE_BYTES = 8_000_000
# The rate limit is per minute: without a Retry-After, try again after a minute.
DEFAULT_RETRY_AFTER = 60.0
MAX_RETRY_AFTER = 24 * 3600.0


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date (RFC 9110
    10.2.3); a missing or unreadable one is a minute. Between 1 s and a day."""
    seconds = DEFAULT_RETRY_AFTER
    text = (value or "").strip()
    if text.isdigit():
        seconds = float(text)
    elif text:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 1.0), MAX_RETRY_AFTER)


def _detail(body: bytes) -> str:
    """The message of an error body ({"detail"|"message"|"error": …}), cut short."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return ""
    if isinstance(data, dict):
        for key in ("detail", "message", "error"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:200]
    return ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _shares(items: Any, *, names: bool = False) -> list[Share]:
    """[{"code", "weight"[, "name"]}] → Shares, largest first; malformed items are skipped."""
    if not isinstance(items, list):
        return []
    shares = []
    for item in items:
        if not isinstance(item, dict):
            continue
        code, weight = item.get("code"), _number(item.get("weight"))
        if not isinstance(code, str) or not code.strip() or weight is None:
            continue
        name = item.get("name") if names and isinstance(item.get("name"), str) else ""
        shares.append(
            Share(code=code.strip()[:40], name=str(name).strip()[:80], share=min(max(weight, 0), 1))
        )
    return sorted(shares, key=lambda s: s.share, reverse=True)


class InfluencersClub:
    key = "influencers_club"
    name = "Influencers Club"
    BASE_URL = "https://api-dashboard.influencers.club"
    # The handles it can look a creator up by, in the order Parley tries them.
    platforms: tuple[str, ...] = ("tiktok", "instagram", "youtube", "twitter")

    @sensitive_variables("api_key")
    def __init__(self, *, api_key: str, base_url: str = BASE_URL, timeout: float = 30.0):
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    @sensitive_variables("request")
    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The JSON object the API answers, None for a 404 (no such creator), or a typed
        ProviderError."""
        request = urllib.request.Request(
            self.base_url + path,
            data=json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self._api_key}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": "Parley",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            status = exc.code
            error_body = exc.read(64_000) if exc.fp is not None else b""
            detail = _detail(error_body)
            log.info("influencers.club %s answered %s: %s", path, status, detail)
            if status == 404:
                return None
            if status == 429:
                raise RateLimited(
                    _("The provider's rate limit was reached; trying again later."),
                    retry_after=retry_after_seconds(exc.headers.get("Retry-After")),
                ) from exc
            if status in (401, 403):
                raise AuthFailed(
                    _("The provider refused the API key (%(status)s).") % {"status": status}
                ) from exc
            if status >= 500:
                raise Unavailable(
                    _("The provider is unavailable (%(status)s).") % {"status": status}
                ) from exc
            raise Refused(
                _("The provider refused the request (%(status)s): %(detail)s")
                % {"status": status, "detail": detail or _("no reason given")}
            ) from exc
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, resets
            raise Unavailable(_("Could not reach the provider.")) from exc
        if len(raw) > MAX_RESPONSE_BYTES:
            raise BadResponse(_("The provider's answer is too large."))
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise BadResponse(_("The provider's answer is not valid JSON.")) from exc
        if not isinstance(data, dict):
            raise BadResponse(_("The provider's answer is not what it documents."))
        return data

    @staticmethod
    def _result(data: dict[str, Any] | None) -> dict[str, Any] | None:
        if data is None:
            return None
        result = data.get("result")
        if result is None or result == {} or result == []:
            return None  # nothing found: no credits spent
        if not isinstance(result, dict):
            raise BadResponse(_("The provider's answer is not what it documents."))
        return result

    def find_email(self, *, platform: str, handle: str) -> str | None:
        result = self._result(
            self._post(
                PROFILE_PATH,
                {"handle": handle, "platform": platform, "email_required": "must_have"},
            )
        )
        if result is None:
            return None
        email = result.get("email")
        if email is None or email == "":
            return None
        if not isinstance(email, str):
            raise BadResponse(_("The provider's answer is not what it documents."))
        return email.strip()[:254] or None

    def audience(self, *, platform: str, handle: str) -> Audience | None:
        result = self._result(
            self._post(
                ANALYTICS_PATH,
                {"handle": handle, "platform": platform, "include_lookalikes": False},
            )
        )
        if result is None:
            return None
        block = result.get(platform)
        if block is None:
            return None
        if not isinstance(block, dict):
            raise BadResponse(_("The provider's answer is not what it documents."))
        audience = block.get("audience")
        followers_slice = audience.get("audience_followers") if isinstance(audience, dict) else None
        if not isinstance(followers_slice, dict) or followers_slice.get("success") is False:
            return None  # e.g. {"success": false, "error": "empty_audience"}
        data = followers_slice.get("data")
        if not isinstance(data, dict):
            raise BadResponse(_("The provider's answer is not what it documents."))
        geo = data.get("audience_geo")
        figures = Audience(
            genders=_shares(data.get("audience_genders")),
            ages=_shares(data.get("audience_ages")),
            countries=_shares(geo.get("countries") if isinstance(geo, dict) else None, names=True),
            followers=_followers(block),
        )
        if not (figures.genders or figures.ages or figures.countries):
            return None
        return figures


def _followers(block: dict[str, Any]) -> int | None:
    for key in ("follower_count", "followers"):
        value = _number(block.get(key))
        if value is not None and value >= 0:
            return int(value)
    return None
