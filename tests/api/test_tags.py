import pytest

from parley.creators.models import CreatorTag, Tag
from tests.factories import CreatorFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_list_tags_by_name(api, member):
    TagFactory(workspace=member.workspace, name="vip")
    TagFactory(workspace=member.workspace, name="beauty")

    response = api.get("/tags")

    assert response.status_code == 200
    assert [t["name"] for t in response.json()] == ["beauty", "vip"]


def test_create_tag(api, member):
    response = api.post("/tags", {"name": "  gaming "})

    assert response.status_code == 201
    tag = Tag.objects.get(workspace=member.workspace)
    assert response.json() == {"id": tag.id, "name": "gaming"}


def test_create_existing_tag_returns_it(api, member):
    existing = TagFactory(workspace=member.workspace, name="vip")

    response = api.post("/tags", {"name": "vip"})

    assert response.status_code == 201
    assert response.json()["id"] == existing.id
    assert Tag.objects.filter(workspace=member.workspace).count() == 1


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"name": " "}, "This field cannot be blank."),
        ({"name": "x" * 61}, "Ensure this is at most 60 characters."),
        ({}, "This field is required."),
    ],
)
def test_create_tag_rejects_bad_names(api, member, payload, message):
    response = api.post("/tags", payload)

    assert response.status_code == 422
    assert response.json() == {"detail": {"name": [message]}}
    assert not Tag.objects.filter(workspace=member.workspace).exists()


def test_bulk_tag_creators(api, member):
    # given three creators, one already tagged
    tag = TagFactory(workspace=member.workspace)
    creators = [CreatorFactory(workspace=member.workspace) for _ in range(3)]
    CreatorTag.objects.create(tag=tag, creator=creators[0])

    # when all three are tagged
    response = api.post(f"/tags/{tag.id}/creators", {"creator_ids": [c.id for c in creators]})

    # then the two new ones are counted and all three carry the tag
    assert response.status_code == 200
    assert response.json() == {"count": 2}
    assert set(CreatorTag.objects.filter(tag=tag).values_list("creator_id", flat=True)) == {
        c.id for c in creators
    }


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"creator_ids": []}, "Give at least 1 item."),
        ({"creator_ids": ["a"]}, None),
        ({}, "This field is required."),
    ],
)
def test_bulk_tag_rejects_bad_input(api, member, payload, message):
    tag = TagFactory(workspace=member.workspace)

    response = api.post(f"/tags/{tag.id}/creators", payload)

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert all(field.startswith("creator_ids") for field in detail)
    if message:
        assert detail == {"creator_ids": [message]}


def test_bulk_tag_with_an_unknown_creator_tags_no_one(api, member):
    tag = TagFactory(workspace=member.workspace)
    creator = CreatorFactory(workspace=member.workspace)

    response = api.post(f"/tags/{tag.id}/creators", {"creator_ids": [creator.id, 999999]})

    assert response.status_code == 404
    assert not CreatorTag.objects.filter(tag=tag).exists()
