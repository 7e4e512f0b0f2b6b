from typing import cast

from django.urls import URLPattern, re_path

from parley.api.api import api
from parley.api.errors import json_not_allowed, not_found
from parley.api.parser import json_body_limit
from parley.api.schemas import BASE64_MAX, MAX_ATTACHMENTS

# Mounted at "api/v1/" by parley/urls.py; the API's URL namespace is "api". Every answer is
# JSON: a method a path does not have is a JSON 405, a path that is no route a JSON 404.
# A body may hold an email's attachments as base64: up to their limit, and room for the
# rest of the message and the JSON around each file.
BODY_MAX = BASE64_MAX + MAX_ATTACHMENTS * 1_000 + 1_000_000
_routes, _app, _namespace = api.urls
for _route in cast(list[URLPattern], _routes):
    _route.callback = json_not_allowed(json_body_limit(BODY_MAX)(_route.callback))

urlpatterns = [
    re_path("", (_routes, _app, _namespace)),
    re_path(r"^.*$", not_found),
]
