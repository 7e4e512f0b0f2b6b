from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from parley.accounts.middleware import SESSION_KEY
from parley.accounts.selectors import member_for_user
from parley.core.errors import NotFound
from parley.core.views import int_or_none


@login_required
@require_POST
def workspace_switch(request: HttpRequest) -> HttpResponse:
    workspace_id = int_or_none(request.POST.get("workspace"))
    member = member_for_user(user=request.user, workspace_id=workspace_id)  # type: ignore[arg-type]
    if member is None or member.workspace_id != workspace_id:
        raise NotFound
    request.session[SESSION_KEY] = workspace_id
    return redirect("inbox:list")
