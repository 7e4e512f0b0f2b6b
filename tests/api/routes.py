"""Every route of the API, as the OpenAPI schema names it. test_openapi checks this list
against the schema, so a new route cannot skip the 401 and tenancy tests."""

import re

ROUTES: list[tuple[str, str]] = [
    ("get", "/conversations"),
    ("get", "/conversations/unread-count"),
    ("get", "/conversations/{conversation_id}"),
    ("get", "/conversations/{conversation_id}/messages"),
    ("post", "/conversations/{conversation_id}/messages"),
    ("post", "/conversations/{conversation_id}/read"),
    ("post", "/conversations/{conversation_id}/unread"),
    ("put", "/conversations/{conversation_id}/assignee"),
    ("get", "/creators"),
    ("post", "/creators"),
    ("get", "/creators/{creator_id}"),
    ("patch", "/creators/{creator_id}"),
    ("delete", "/creators/{creator_id}"),
    ("post", "/creators/{creator_id}/identities"),
    ("delete", "/creators/{creator_id}/identities/{identity_id}"),
    ("post", "/creators/{creator_id}/tags"),
    ("delete", "/creators/{creator_id}/tags/{tag_id}"),
    ("patch", "/creators/{creator_id}/custom-fields"),
    ("get", "/creators/{creator_id}/notes"),
    ("post", "/creators/{creator_id}/notes"),
    ("post", "/creators/{creator_id}/conversation"),
    ("post", "/creators/imports"),
    ("get", "/creators/imports/{import_id}"),
    ("get", "/creators/imports/{import_id}/failures"),
    ("get", "/creators/export"),
    ("post", "/creators/{creator_id}/email-requests"),
    ("get", "/creators/{creator_id}/email-requests"),
    ("get", "/creators/{creator_id}/demographics"),
    ("post", "/creators/{creator_id}/demographics/refresh"),
    ("get", "/creators/{creator_id}/report"),
    ("post", "/email-requests"),
    ("get", "/email-requests/{request_id}"),
    ("get", "/tags"),
    ("post", "/tags"),
    ("post", "/tags/{tag_id}/creators"),
    ("get", "/campaigns"),
    ("post", "/campaigns"),
    ("get", "/campaigns/{campaign_id}"),
    ("patch", "/campaigns/{campaign_id}"),
    ("get", "/campaigns/{campaign_id}/members"),
    ("post", "/campaigns/{campaign_id}/members"),
    ("put", "/campaigns/{campaign_id}/members/{creator_id}"),
    ("get", "/notifications"),
    ("post", "/notifications/read"),
    ("get", "/me"),
    ("get", "/members"),
    ("get", "/clients"),
    ("post", "/clients"),
]


def concrete(path: str, value: int = 1) -> str:
    """The route with every {…_id} replaced by a number."""
    return re.sub(r"\{\w+_id\}", str(value), path)
