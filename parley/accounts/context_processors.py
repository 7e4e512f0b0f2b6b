from django.http import HttpRequest


def current_member(request: HttpRequest) -> dict[str, object]:
    return {"member": getattr(request, "member", None)}
