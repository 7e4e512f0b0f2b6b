"""The REST API, version 1: `/api/v1/`, documented at `/api/v1/openapi.json` and `/api/v1/docs`.

Every route needs `Authorization: Bearer <token>`; the token acts as one member of one
workspace, and every id is looked up inside that workspace (another workspace's id is 404).
"""

from ninja import NinjaAPI

from parley.api import errors
from parley.api.auth import ApiTokenAuth
from parley.api.routers import campaigns, conversations, creators, notifications, tags, workspace

api = NinjaAPI(
    title="Parley API",
    version="1",
    description=(
        "The unified creator inbox. Authenticate with `Authorization: Bearer <token>` "
        "(`manage.py token create --email you@example.com`). Errors: 401 without a valid "
        'token; 404 `{"detail": "Not found."}` for a missing id or another workspace\'s; '
        '422 `{"detail": {"field": ["message"]}}` for invalid input.'
    ),
    auth=ApiTokenAuth(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
errors.install(api)

api.add_router("/conversations", conversations.router)
api.add_router("/creators", creators.router)
api.add_router("/tags", tags.router)
api.add_router("/campaigns", campaigns.router)
api.add_router("/notifications", notifications.router)
api.add_router("", workspace.router)
