"""The public tracking-link redirect `/l/<code>`: no login, one indexed look-up and one
write (parley/campaigns/assets/links.py)."""

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from parley.campaigns.assets import links
from parley.core.net import client_ip


@never_cache
@require_http_methods(["GET", "HEAD"])
def link_follow(request: HttpRequest, code: str) -> HttpResponse:
    """`/l/<code>`: a 302 to the link's destination. A GET by a browser is counted (the
    click's time, referrer and day, a keyed hash of the visitor: no IP address is kept);
    HEAD requests and link previews, crawlers and scripts (by their user agent) are
    redirected without being counted. An unknown code is a 404."""
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    followed = links.link_follow(
        code=code,
        referrer=request.META.get("HTTP_REFERER", ""),
        ip=client_ip(request),
        user_agent=user_agent,
        record=request.method == "GET" and not links.is_bot(user_agent),
    )
    if followed is None:
        raise Http404
    response = HttpResponseRedirect(followed.destination)
    response["X-Robots-Tag"] = "noindex"
    return response
