from typing import cast

from django.urls import URLPattern, re_path

from parley.api.api import api
from parley.api.errors import json_not_allowed, not_found

# Mounted at "api/v1/" by parley/urls.py; the API's URL namespace is "api". Every answer is
# JSON: a method a path does not have is a JSON 405, a path that is no route a JSON 404.
_routes, _app, _namespace = api.urls
for _route in cast(list[URLPattern], _routes):
    _route.callback = json_not_allowed(_route.callback)

urlpatterns = [
    re_path("", (_routes, _app, _namespace)),
    re_path(r"^.*$", not_found),
]
