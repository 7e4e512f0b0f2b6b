import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley.core.errors import ValidationFailed
from parley.creators.models import Tag
from parley.creators.normalize import identity_normalize
from parley.creators.selectors import creator_by_identity
from parley.creators.services import (
    creator_create,
    creator_custom_fields_update,
    creator_profile_update,
    creator_update,
    identity_add,
    note_add,
    tag_get_or_create,
    tags_add,
)
from tests.factories import CreatorFactory

pytestmark = pytest.mark.django_db


def test_create_with_identities_builds_search_text_and_profile_urls(member):
    creator = creator_create(
        workspace=member.workspace,
        name="Jane Doe",
        identities=[
            ("email", " Jane@Example.COM "),
            ("tiktok", "@JaneDoes"),
            ("phone", "00358 40 123 4567"),
        ],
    )
    kinds = {i.kind: i for i in creator.identities.all()}
    assert kinds["email"].normalized == "jane@example.com"
    assert kinds["tiktok"].url == "https://www.tiktok.com/@janedoes"
    assert kinds["phone"].normalized == "+358401234567"
    assert "janedoes" in creator.search_text and "jane doe" in creator.search_text
    assert creator.first_name == "Jane"
    found = creator_by_identity(
        workspace=member.workspace, kind="email", normalized="jane@example.com"
    )
    assert found == creator


def test_same_email_twice_in_a_workspace_is_a_clear_error(member, other_member):
    creator_create(workspace=member.workspace, name="A", identities=[("email", "a@x.io")])
    with pytest.raises(ValidationFailed) as err:
        creator_create(workspace=member.workspace, name="B", identities=[("email", "A@x.io")])
    assert "already has" in str(err.value)
    # another workspace may know the same person
    creator_create(workspace=other_member.workspace, name="A", identities=[("email", "a@x.io")])


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("email", "nope"),
        ("phone", "12345"),
        ("instagram", "two words"),
        ("fax", "x"),
        ("email", ""),
    ],
)
def test_bad_identities_are_rejected(member, kind, value):
    creator = CreatorFactory(workspace=member.workspace)
    with pytest.raises(ValidationFailed):
        identity_add(creator=creator, kind=kind, value=value)
    assert not creator.identities.exists()


@given(st.text(max_size=40))
def test_normalize_never_crashes(value):
    for kind in ("email", "phone", "instagram", "other"):
        try:
            result = identity_normalize(kind, value)
        except ValidationFailed:
            continue
        assert result == result.strip() and result


def test_a_custom_field_is_one_whatever_the_case_of_its_name(member):
    creator = CreatorFactory(workspace=member.workspace, custom_fields={"city": "Oulu"})

    creator_custom_fields_update(creator=creator, changes={"City": "Berlin", "Shoe": "38"})
    assert creator.custom_fields == {"city": "Berlin", "Shoe": "38"}
    # A form that sends the field twice (its row, and a new field typed in another case)
    creator_update(creator=creator, custom_fields={"city": "Berlin", "CITY": "Rome"})
    assert creator.custom_fields == {"city": "Rome"}
    creator_custom_fields_update(creator=creator, changes={"CiTy": None})
    assert creator.custom_fields == {}


def test_update_validates_and_custom_fields_are_plain_text(member):
    creator = CreatorFactory(workspace=member.workspace)
    creator_update(creator=creator, custom_fields={"size": "M", "age": 31, "empty": ""})
    assert creator.custom_fields == {"size": "M", "age": "31"}
    # A field name with a right-to-left override is the same field, not "ytic" beside "city".
    creator_update(creator=creator, custom_fields={"\u202ecity\u202c": "Oulu", "size": "M"})
    assert creator.custom_fields == {"city": "Oulu", "size": "M"}
    with pytest.raises(ValidationFailed):
        creator_update(creator=creator, custom_fields={"\u202e\u202c": "nameless"})
    with pytest.raises(ValidationFailed):
        creator_update(creator=creator, custom_fields={"x": {"nested": 1}})
    with pytest.raises(ValidationFailed):
        creator_update(creator=creator, name="  ")
    with pytest.raises(ValidationFailed):
        creator_update(creator=creator, workspace_id=99)


def test_create_and_update_report_every_problem_at_once(member):
    with pytest.raises(ValidationFailed) as err:
        creator_create(
            workspace=member.workspace,
            name="x" * 161,
            first_name="y" * 81,
            preferred_channel="fax",
            identities=[("email", f"c{i}@example.com") for i in range(21)],
        )
    assert set(err.value.errors) == {"name", "first_name", "preferred_channel", "identities"}
    creator = CreatorFactory(workspace=member.workspace, name="Kept")
    with pytest.raises(ValidationFailed) as err:
        creator_update(creator=creator, name=" ", first_name="y" * 81, custom_fields=[])
    assert set(err.value.errors) == {"name", "first_name", "custom_fields"}
    assert creator.name == "Kept"  # left as it was, in memory too
    creator.refresh_from_db()
    assert creator.name == "Kept"


def test_update_profile_reports_the_fields_and_the_new_identity_together(member):
    creator = CreatorFactory(workspace=member.workspace, name="Kept")
    with pytest.raises(ValidationFailed) as err:
        creator_profile_update(
            creator=creator,
            name="x" * 161,
            first_name="",
            preferred_channel="email",
            new_identity=("instagram", "a" * 65, "not a url"),
        )
    assert err.value.errors == {
        "name": ["A creator needs a name of at most 160 characters."],
        "value": ["A handle is at most 64 characters."],
        "url": ["Enter a valid http(s) URL."],
    }
    creator.refresh_from_db()
    assert creator.name == "Kept" and not creator.identities.exists()


def test_bulk_tag_ignores_other_workspaces_and_repeats(member, other_member):
    ours = [CreatorFactory(workspace=member.workspace) for _ in range(3)]
    theirs = CreatorFactory(workspace=other_member.workspace)
    tag = tag_get_or_create(workspace=member.workspace, name="VIP")
    assert tags_add(tag=tag, creator_ids=[c.id for c in ours] + [theirs.id]) == 3
    assert tags_add(tag=tag, creator_ids=[ours[0].id]) == 0
    assert tag.creator_tags.count() == 3


def test_note_needs_a_body(member):
    creator = CreatorFactory(workspace=member.workspace)
    with pytest.raises(ValidationFailed):
        note_add(creator=creator, author=member, body=" ")
    assert note_add(creator=creator, author=member, body="Met at the fair").author == member


def test_a_tag_typed_in_another_case_is_the_same_tag(member, other_member):
    vip = tag_get_or_create(workspace=member.workspace, name="VIP")

    assert tag_get_or_create(workspace=member.workspace, name=" vip ") == vip
    assert tag_get_or_create(workspace=member.workspace, name="Vip") == vip
    assert tag_get_or_create(workspace=other_member.workspace, name="vip") != vip
    assert Tag.objects.filter(workspace=member.workspace).count() == 1
