"""A page's htmx request that fails swaps nothing: the answer says what went wrong, in the
user's language, in the X-Parley-Error header (percent-encoded), which app.js shows
(tests/browser/test_request_errors.py)."""

from urllib.parse import unquote

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _said(response) -> str:  # type: ignore[no-untyped-def]
    return unquote(response["X-Parley-Error"])


def test_a_nul_character_is_named(logged_in, make_conversation):  # type: ignore[no-untyped-def]
    conversation = make_conversation()
    url = reverse("inbox:note", args=[conversation.id])
    response = logged_in.post(url, {"body": "a\x00b"}, **HTMX)
    assert response.status_code == 400
    assert _said(response).startswith("The form or address contains a NUL character")


def test_another_workspaces_thread_says_it_is_gone_in_the_users_language(  # type: ignore[no-untyped-def]
    logged_in, other_member, make_conversation
):
    theirs = make_conversation(workspace=other_member.workspace)
    url = reverse("inbox:note", args=[theirs.id])
    response = logged_in.post(url, {"body": "hello"}, **HTMX)
    assert response.status_code == 404
    assert _said(response).startswith("This is no longer here")
    german = logged_in.post(url, {"body": "hello"}, HTTP_ACCEPT_LANGUAGE="de", **HTMX)
    assert _said(german).startswith("Das gibt es nicht mehr")


def test_only_htmx_failures_carry_it(logged_in, make_conversation):  # type: ignore[no-untyped-def]
    conversation = make_conversation()
    url = reverse("inbox:note", args=[conversation.id])
    assert "X-Parley-Error" not in logged_in.post(url, {"body": "a\x00b"})
    assert "X-Parley-Error" not in logged_in.post(url, {"body": "fine"}, **HTMX)
    # A form's own errors (422) are swapped in where the form is: nothing more to say.
    invalid = logged_in.post(url, {"body": ""}, **HTMX)
    assert invalid.status_code == 422 and "X-Parley-Error" not in invalid
