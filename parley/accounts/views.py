from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from parley.accounts.middleware import SESSION_KEY
from parley.core.errors import NotFound
from parley.core.views import int_or_none


@login_required
@require_POST
def workspace_switch(request: HttpRequest) -> HttpResponse:
    workspace_id = int_or_none(request.POST.get("workspace"))
    if not any(m.workspace_id == workspace_id for m in request.memberships):  # type: ignore[attr-defined]
        raise NotFound
    request.session[SESSION_KEY] = workspace_id
    return redirect("inbox:list")
