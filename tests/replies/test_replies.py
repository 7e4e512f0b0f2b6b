"""Saved replies: checked as mass-email templates are, filled in for a thread's creator,
managed in Settings, inserted from the message box; other workspaces' never reachable."""

import pytest
from django.urls import reverse

from parley.core.errors import Conflict, NotFound, ValidationFailed
from parley.replies.models import SavedReply
from parley.replies.selectors import saved_reply_get, saved_reply_render
from parley.replies.services import saved_reply_create, saved_reply_update
from tests.factories import IdentityFactory


@pytest.fixture
def reply(member) -> SavedReply:  # type: ignore[no-untyped-def]
    return saved_reply_create(
        member=member,
        name="Shipping address",
        subject="Your address, {{ first_name }}",
        body="Hi {{ first_name }}, where should we ship it? We have {{ email }} on file.",
    )


def test_a_syntax_error_is_refused_with_its_line_and_every_problem_at_once(member):
    with pytest.raises(ValidationFailed) as refused:
        saved_reply_create(
            member=member,
            name="Broken",
            subject="Hi {{ nickname }}",
            body="Line one\nLine two {{ first_name }\nthree",
        )

    errors = refused.value.errors
    assert errors["body"][0].startswith("Line 2:")
    assert "Unknown field “nickname”" in errors["subject"][0]
    assert not SavedReply.objects.exists()


@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("", "text", "name"),
        ("\u202e\u2066 ", "text", "name"),
        ("x" * 81, "text", "name"),
        ("ok", "  ", "body"),
        ("ok", "x" * 50_001, "body"),
        ("nul\x00", "text", "__all__"),
        ("ok", "{{ first_name.__class__ }}{% for %}", "body"),
    ],
)
def test_bad_input_is_a_clear_error(member, name, body, field):
    with pytest.raises(ValidationFailed) as refused:
        saved_reply_create(member=member, name=name, body=body)
    assert field in refused.value.errors


def test_names_are_unique_in_a_workspace_whatever_the_case(member, other_member, reply):
    with pytest.raises(Conflict):
        saved_reply_create(member=member, name="SHIPPING  address", body="x")
    other = saved_reply_create(member=other_member, name="Shipping address", body="x")
    with pytest.raises(Conflict):
        saved_reply_update(
            member=member,
            reply=saved_reply_create(member=member, name="Brief", body="y"),
            name="shipping address",
            body="y",
        )
    assert other.workspace_id == other_member.workspace_id


def test_rendered_for_the_creator_with_the_mass_email_fields(member, reply, make_conversation):
    conversation = make_conversation(name="Mia Laine")
    IdentityFactory(creator=conversation.creator, value="mia@example.com")

    rendered = saved_reply_render(reply=reply, creator=conversation.creator)

    assert rendered.subject == "Your address, Mia"
    assert rendered.body == "Hi Mia, where should we ship it? We have mia@example.com on file."


def test_another_workspace_cannot_read_or_render(member, other_member, reply, make_conversation):
    with pytest.raises(NotFound):
        saved_reply_get(workspace=other_member.workspace, id=reply.id)
    foreign = make_conversation(workspace=other_member.workspace)
    with pytest.raises(NotFound):
        saved_reply_render(reply=reply, creator=foreign.creator)


# Pages ------------------------------------------------------------------------------------


def test_settings_page_empty_state_then_create_edit_delete(logged_in, member):
    url = reverse("replies:settings")
    assert 'data-testid="replies-empty"' in logged_in.get(url).content.decode()

    created = logged_in.post(url, {"name": "Brief", "subject": "", "body": "Hi {{ name }}"})
    assert created.status_code == 302
    reply = SavedReply.objects.get(workspace=member.workspace)

    edited = logged_in.post(
        reverse("replies:edit", args=[reply.id]), {"name": "Brief v2", "body": "Hello"}
    )
    assert edited.status_code == 302
    reply.refresh_from_db()
    assert (reply.name, reply.body) == ("Brief v2", "Hello")

    deleted = logged_in.post(reverse("replies:delete", args=[reply.id]), HTTP_HX_REQUEST="true")
    assert deleted["HX-Redirect"] == url
    assert not SavedReply.objects.exists()


def test_a_bad_template_on_the_page_says_the_line_and_keeps_the_text(logged_in):
    response = logged_in.post(
        reverse("replies:settings"), {"name": "Broken", "body": "a\n{% if %}"}
    )

    page = response.content.decode()
    assert response.status_code == 422
    assert "Line 2:" in page and "{% if %}" in page


@pytest.mark.parametrize(
    "data",
    [
        {"name": "x" * 5000, "body": "ok"},
        {"name": ["a", "b"], "body": "ok"},
        {"name": "ok", "body": "\u202eok\u202c" * 10},
        {},
    ],
)
def test_hostile_form_input_is_a_4xx(logged_in, data):
    response = logged_in.post(reverse("replies:settings"), data)
    assert response.status_code in (302, 422)


def test_box_lists_and_fills_in_own_replies_only(
    logged_in, member, other_member, reply, make_conversation
):
    conversation = make_conversation(name="Mia Laine")
    foreign_reply = saved_reply_create(member=other_member, name="Theirs", body="x")
    foreign_conversation = make_conversation(workspace=other_member.workspace)

    listed = logged_in.get(reverse("replies:box")).json()["replies"]
    filled = logged_in.get(reverse("replies:render", args=[reply.id, conversation.id]))

    assert [r["name"] for r in listed] == ["Shipping address"]
    assert filled.json()["subject"] == "Your address, Mia"
    assert (
        logged_in.get(reverse("replies:render", args=[foreign_reply.id, conversation.id]))
    ).status_code == 404
    assert (
        logged_in.get(reverse("replies:render", args=[reply.id, foreign_conversation.id]))
    ).status_code == 404
    assert logged_in.get(reverse("replies:edit", args=[foreign_reply.id])).status_code == 404
    assert logged_in.post(reverse("replies:delete", args=[foreign_reply.id])).status_code == 404
    assert SavedReply.objects.filter(id=foreign_reply.id).exists()


def test_box_says_which_field_has_no_value(logged_in, member, make_conversation):
    broken = saved_reply_create(member=member, name="Sizes", body="Size {{ custom.size + 1 }}")
    conversation = make_conversation()

    response = logged_in.get(reverse("replies:render", args=[broken.id, conversation.id]))

    assert response.status_code == 422
    assert "cannot be filled in" in response.json()["error"]
