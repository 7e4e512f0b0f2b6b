"""OAuth 2.0 for Gmail and Microsoft: authorization code with PKCE, refresh tokens.

Client id/secret and endpoints come from `settings.PARLEY_EMAIL_OAUTH[provider]`:
`client_id`, `client_secret`, `authorize_url`, `token_url`, `userinfo_url`, `scope`,
`imap_host`, `imap_port`, `smtp_host`, `smtp_port`. Mail is then read and sent with XOAUTH2
over IMAP and SMTP (one code path for every provider; no provider HTTP API needed).
authlib builds the requests and PKCE challenge; the few HTTP calls go through urllib.
"""

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from django.conf import settings
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

TIMEOUT = 15


class OAuthError(Exception):
    pass


class ReauthNeeded(OAuthError):
    """The refresh token was refused (revoked, expired): the user must connect again."""


def provider_configured(provider: str) -> bool:
    config = getattr(settings, "PARLEY_EMAIL_OAUTH", {}).get(provider) or {}
    return bool(config.get("client_id"))


def provider_config(provider: str) -> dict[str, Any]:
    config = getattr(settings, "PARLEY_EMAIL_OAUTH", {}).get(provider)
    if not config or not config.get("client_id"):
        raise OAuthError(_("This provider is not configured on this server."))
    return dict(config)


@dataclass
class AuthorizationStart:
    url: str
    state: str
    code_verifier: str


def authorization_start(
    *, provider: str, redirect_uri: str, login_hint: str = ""
) -> AuthorizationStart:
    config = provider_config(provider)
    state = generate_token(32)
    verifier = generate_token(64)
    extra = {
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
        "access_type": "offline",
        "prompt": "consent",
    }
    if login_hint:
        extra["login_hint"] = login_hint
    url = prepare_grant_uri(
        config["authorize_url"],
        client_id=config["client_id"],
        response_type="code",
        redirect_uri=redirect_uri,
        scope=config.get("scope", ""),
        state=state,
        **extra,
    )
    return AuthorizationStart(url=url, state=state, code_verifier=verifier)


@sensitive_variables("data", "token", "config")
def _post_token(config: dict[str, Any], data: dict[str, str]) -> dict[str, Any]:
    data = {**data, "client_id": config["client_id"]}
    if config.get("client_secret"):
        data["client_secret"] = config["client_secret"]
    request = urllib.request.Request(
        config["token_url"],
        data=urllib.parse.urlencode(data).encode(),
        headers={"Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            token: dict[str, Any] = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read() or b"{}")
        except ValueError:
            body = {}
        error = body.get("error", "")
        if error in ("invalid_grant", "unauthorized_client", "invalid_client"):
            raise ReauthNeeded(
                _("The provider refused the authorisation (%(error)s).") % {"error": error}
            ) from exc
        raise OAuthError(_("The provider answered %(code)s.") % {"code": exc.code}) from exc
    except (OSError, ValueError) as exc:
        raise OAuthError(_("Could not reach the provider.")) from exc
    if "access_token" not in token:
        raise OAuthError(_("The provider sent no access token."))
    token["expires_at"] = int(time.time()) + int(token.get("expires_in", 3600))
    return token


@sensitive_variables("code", "code_verifier")
def code_exchange(
    *, provider: str, code: str, code_verifier: str, redirect_uri: str
) -> dict[str, Any]:
    return _post_token(
        provider_config(provider),
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        },
    )


@sensitive_variables("refresh_token", "token")
def token_refresh(*, provider: str, refresh_token: str) -> dict[str, Any]:
    if not refresh_token:
        raise ReauthNeeded(_("No refresh token: connect the mailbox again."))
    token = _post_token(
        provider_config(provider), {"grant_type": "refresh_token", "refresh_token": refresh_token}
    )
    token.setdefault("refresh_token", refresh_token)  # providers may not rotate it
    return token


@sensitive_variables("access_token", "request")
def id_token_email(token: dict[str, Any]) -> str:
    """The address in the ID token that came with the tokens, or "".

    The ID token is read without checking its signature: it came straight from the
    provider's token endpoint over TLS, which OpenID Connect Core 3.1.3.7 allows. This is
    what Microsoft needs: its access token is for the mail servers, so Graph's /me cannot be
    asked with it."""
    raw = str(token.get("id_token", ""))
    parts = raw.split(".")
    if len(parts) < 2:
        return ""
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, TypeError):
        return ""
    email = payload.get("email") or payload.get("preferred_username") or ""
    return str(email).lower() if "@" in str(email) else ""


def account_email(*, provider: str, token: dict[str, Any]) -> str:
    return id_token_email(token) or userinfo_email(
        provider=provider, access_token=token["access_token"]
    )


def userinfo_email(*, provider: str, access_token: str) -> str:
    config = provider_config(provider)
    request = urllib.request.Request(
        config["userinfo_url"], headers={"Authorization": f"Bearer {access_token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            info = json.loads(response.read())
    except (OSError, ValueError) as exc:
        raise OAuthError(_("Could not read the account's address from the provider.")) from exc
    # Google: email; Microsoft Graph /me: mail or userPrincipalName.
    email = info.get("email") or info.get("mail") or info.get("userPrincipalName") or ""
    if "@" not in email:
        raise OAuthError(_("The provider did not tell us the account's address."))
    return str(email).lower()
