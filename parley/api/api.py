"""The REST API, version 1: `/api/v1/`, documented at `/api/v1/openapi.json` and `/api/v1/docs`.

Every route needs `Authorization: Bearer <token>`; the token acts as one member of one
workspace, and every id is looked up inside that workspace (another workspace's id is 404).
"""

from typing import Any

from ninja import NinjaAPI
from ninja.errors import ValidationError

from parley.api import errors
from parley.api.auth import ApiTokenAuth
from parley.api.parser import JsonObjectParser
from parley.api.routers import (
    broadcasts,
    campaign_assets,
    campaigns,
    conversations,
    creator_data,
    creators,
    enrichment,
    mailboxes,
    notifications,
    search,
    sms,
    tags,
    team,
    workspace,
)

# The longest input an error keeps to say what is wrong with it (ninja drops them all).
SHORT_INPUT = 1000


class ParleyApi(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        # The errors every operation can answer, documented in one place (errors.py).
        return errors.document(super().get_openapi_schema(*args, **kwargs))

    def validation_error_from_error_contexts(self, error_contexts: Any) -> ValidationError:
        # Ninja drops each error's input (it may be large); keep what the message needs of it
        # (errors.py): whether it held a NUL character, and a short text itself (a handle
        # too long is told its length).
        exc = super().validation_error_from_error_contexts(error_contexts)
        inputs = [
            error.get("input")
            for context in error_contexts
            for error in context.pydantic_validation_error.errors(include_url=False)
        ]
        for error, value in zip(exc.errors, inputs, strict=False):
            if isinstance(value, str) and "\x00" in value:
                error["ctx"] = {**(error.get("ctx") or {}), "nul": True}
            elif isinstance(value, str) and len(value) <= SHORT_INPUT:
                error["ctx"] = {**(error.get("ctx") or {}), "text": value}
        return exc


api = ParleyApi(
    title="Parley API",
    version="1",
    description=(
        "The unified creator inbox. Authenticate with `Authorization: Bearer <token>` "
        "(`manage.py token create --email you@example.com`). Every error is JSON: 401 "
        "without a valid token; 400 for a body that is not JSON, or too large; 403 when "
        "the member may not do this (mailbox and teammate changes are for admins); 404 "
        '`{"detail": "Not found."}` for a missing id, another workspace\'s, or a path that '
        "is no route; 409 when the request clashes with the state of things (a name or "
        "address that is taken, a message that can no longer be retried or cancelled, an "
        'address that bounced); 422 `{"detail": {"field": ["message"]}}` for invalid '
        "input (the schema states every limit and choice); 502 when Twilio cannot be "
        "reached (connecting SMS)."
    ),
    parser=JsonObjectParser(),
    auth=ApiTokenAuth(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
errors.install(api)

api.add_router("/conversations", conversations.router)
# Editing a message that waits to go out (the team routes, parley/api/routers/team.py).
api.add_router("/conversations", team.messages_router)
# Before the creators router: /creators/export and /creators/imports are no creator ids.
api.add_router("/creators", creator_data.router)
api.add_router("/creators", creators.router)
# Enrichment and the report: creator-scoped routes beside the creators router's own.
api.add_router("/creators", enrichment.creators_router)
api.add_router("/email-requests", enrichment.requests_router)
api.add_router("/tags", tags.router)
api.add_router("/campaigns", campaigns.router)
# Campaign actions: a campaign's links, coupon pool, payments, agreements, catalogue and
# gifts; each by id; a creator's assets.
api.add_router("/campaigns", campaign_assets.campaign_router)
api.add_router("/links", campaign_assets.links_router)
api.add_router("/payments", campaign_assets.payments_router)
api.add_router("/agreements", campaign_assets.agreements_router)
api.add_router("/gifts", campaign_assets.gifts_router)
api.add_router("/creators", campaign_assets.creators_router)
api.add_router("/notifications", notifications.router)
api.add_router("/mailboxes", mailboxes.router)
api.add_router("/broadcasts", broadcasts.router)
api.add_router("/sms", sms.router)
api.add_router("/search", search.router)
api.add_router("/reports", team.reports_router)
api.add_router("/notification-preferences", team.preferences_router)
api.add_router("/api-tokens", team.tokens_router)
api.add_router("/saved-replies", team.replies_router)
api.add_router("", workspace.router)
