"""Helpers every page view uses: the member guard and turning service errors into responses."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from parley.accounts.models import Member
from parley.core.errors import ValidationFailed
from parley.core.text import id_or_none


def member_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required, and a workspace to work in; the view gets `member` first."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        member: Member | None = getattr(request, "member", None)
        if member is None:
            return render(request, "no_workspace.html", status=403)
        return view(request, member, *args, **kwargs)

    return wrapped


def int_or_none(value: str | None) -> int | None:
    """An id from a form or query value; None when empty or not an id (not a number, zero,
    negative, or beyond 64 bits: treated as no choice, never an OverflowError)."""
    return id_or_none(value)


def apply_errors(form: forms.Form, exc: ValidationFailed) -> None:
    """A service's field errors onto the form: on the field when it has one, else on top."""
    for name, errors in exc.errors.items():
        for error in errors:
            form.add_error(name if name in form.fields else None, error)
