import pytest

from parley.creators.models import Creator, CreatorTag, Identity, Note
from parley.creators.services import creator_create, note_add, tags_add
from parley.inbox.models import Conversation
from tests.factories import CampaignFactory, CampaignMemberFactory, CreatorFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def jane(member) -> Creator:  # type: ignore[no-untyped-def]
    return creator_create(
        workspace=member.workspace,
        name="Jane Doe",
        identities=[("email", "Jane@Example.com"), ("instagram", "@jane.doe")],
        custom_fields={"size": "M"},
    )


# List ----------------------------------------------------------------------------------


def test_list_by_name_with_identities(api, member, jane):
    CreatorFactory(workspace=member.workspace, name="Aaron Ames")

    response = api.get("/creators")

    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["name"] for i in items] == ["Aaron Ames", "Jane Doe"]
    assert {i["kind"]: i["value"] for i in items[1]["identities"]} == {
        "email": "Jane@Example.com",
        "instagram": "@jane.doe",
    }
    assert response.json()["next_cursor"] is None


def test_list_searches_handles_and_emails(api, member, jane):
    CreatorFactory(workspace=member.workspace, name="Someone Else")

    by_email = api.get("/creators", q="jane@example")
    by_handle = api.get("/creators", q="JANE.DOE")

    assert [i["id"] for i in by_email.json()["items"]] == [jane.id]
    assert [i["id"] for i in by_handle.json()["items"]] == [jane.id]


def test_list_filters_by_tag(api, member, jane):
    CreatorFactory(workspace=member.workspace)
    tag = TagFactory(workspace=member.workspace)
    tags_add(tag=tag, creator_ids=[jane.id])

    response = api.get("/creators", tag=tag.id)

    assert [i["id"] for i in response.json()["items"]] == [jane.id]


def test_list_pages_through_every_creator_once(api, member):
    # given creators with some names alike, so the (name, id) key matters
    made = [CreatorFactory(workspace=member.workspace, name=f"Name {i % 3}") for i in range(8)]

    seen: list[int] = []
    cursor = None
    for _page in range(5):
        response = api.get("/creators", limit=3, **({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200
        seen += [i["id"] for i in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break

    assert sorted(seen) == sorted(c.id for c in made)
    assert len(seen) == len(set(seen))


def test_list_rejects_bad_paging_and_cursor(api):
    response = api.get("/creators", limit=1000, q="x" * 101)
    assert response.status_code == 422
    assert response.json()["detail"] == {
        "limit": ["Ensure this is at most 100."],
        "q": ["Ensure this is at most 100 characters."],
    }

    response = api.get("/creators", cursor="WzEsMiwzXQ")  # a list of the wrong shape
    assert response.status_code == 422
    assert list(response.json()["detail"]) == ["cursor"]


def test_list_query_count(api, member, django_assert_max_num_queries):
    for i in range(20):
        creator_create(
            workspace=member.workspace, name=f"C{i}", identities=[("email", f"c{i}@x.test")]
        )
    # token, stamp, creators, their identities
    with django_assert_max_num_queries(4):
        response = api.get("/creators")
    assert len(response.json()["items"]) == 20


# Create, read, update, delete ----------------------------------------------------------


def test_create_with_identities_and_custom_fields(api, member):
    response = api.post(
        "/creators",
        {
            "name": "  Mia Virtanen ",
            "preferred_channel": "inapp",
            "identities": [
                {"kind": "email", "value": "mia@example.com"},
                {"kind": "phone", "value": "+358 40 123 4567"},
            ],
            "custom_fields": {"shoe": 38, "city": "Oulu"},
        },
    )

    assert response.status_code == 201
    body = response.json()
    creator = Creator.objects.get(id=body["id"], workspace=member.workspace)
    assert body["name"] == creator.name == "Mia Virtanen"
    assert body["first_name"] == "Mia"
    assert body["preferred_channel"] == "inapp"
    assert body["custom_fields"] == {"shoe": "38", "city": "Oulu"}
    assert {(i["kind"], i["value"]) for i in body["identities"]} == {
        ("email", "mia@example.com"),
        ("phone", "+358401234567"),  # in E.164, as the add form and the import keep it
    }
    assert body["tags"] == [] and body["notes"] == [] and body["campaigns"] == []
    assert Identity.objects.get(creator=creator, kind="phone").normalized == "+358401234567"


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({}, "name", "This field is required."),
        ({"name": "  "}, "name", "This field cannot be blank."),
        ({"name": "x" * 161}, "name", "Ensure this is at most 160 characters."),
        (
            {"name": "A", "preferred_channel": "fax"},
            "preferred_channel",
            "Choose one of: 'inapp', 'email' or 'sms'.",
        ),
        (
            {"name": "A", "identities": [{"kind": "email", "value": "nope"}]},
            "identities.0.value",
            "Enter a valid email address.",
        ),
        (
            {"name": "A", "identities": [{"kind": "instagram", "value": "a" * 100}]},
            "identities.0.value",
            "A handle is at most 64 characters.",
        ),
        (
            {"name": "A", "identities": [{"kind": "tiktok", "value": "a b"}]},
            "identities.0.value",
            "Enter a handle without spaces, e.g. @jane.doe.",
        ),
        (
            {"name": "A", "identities": [{"kind": "myspace", "value": "x"}]},
            "identities.0.kind",
            None,
        ),
        ({"name": "A", "identities": [{"kind": "email"}]}, "identities.0.value", None),
        (
            {"name": "A", "custom_fields": {"k": {"nested": 1}}},
            "custom_fields.k",
            "Enter text, a number, true or false.",
        ),
        (
            {"name": "A", "custom_fields": {"k": "x" * 1001}},
            "custom_fields.k",
            "Ensure this is at most 1000 characters.",
        ),
        ({"name": "A", "identities": [{"kind": "other", "value": "x"}] * 21}, "identities", None),
        ({"name": "A", "custom_fields": ["x"]}, "custom_fields", "Enter an object."),
    ],
)
def test_create_rejects_bad_input_per_field(api, member, payload, field, message):
    response = api.post("/creators", payload)

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert list(detail) == [field]
    if message:
        assert detail[field] == [message]
    assert not Creator.objects.filter(workspace=member.workspace).exists()


def test_create_with_an_email_another_creator_has(api, member, jane):
    response = api.post(
        "/creators",
        {"name": "Copy", "identities": [{"kind": "email", "value": "jane@example.com"}]},
    )

    # then it is a conflict with what is stored (409), not invalid input
    assert response.status_code == 409
    assert "value" in response.json()["detail"]
    assert Creator.objects.filter(workspace=member.workspace).count() == 1


def test_get_with_identities_tags_fields_notes_campaigns(api, member, jane):
    tag = TagFactory(workspace=member.workspace, name="vip")
    tags_add(tag=tag, creator_ids=[jane.id])
    note_add(creator=jane, author=member, body="Met at the fair")
    campaign = CampaignFactory(workspace=member.workspace, name="Spring")
    CampaignMemberFactory(campaign=campaign, creator=jane, status="approved")

    response = api.get(f"/creators/{jane.id}")

    assert response.status_code == 200
    body = response.json()
    assert body["custom_fields"] == {"size": "M"}
    assert [i["kind"] for i in body["identities"]] == ["email", "instagram"]
    assert body["identities"][1]["url"] == "https://www.instagram.com/jane.doe/"
    assert body["tags"] == [{"id": tag.id, "name": "vip"}]
    assert body["notes"][0]["body"] == "Met at the fair"
    assert body["notes"][0]["author"] == {"id": member.id, "name": str(member.user)}
    assert body["campaigns"] == [
        {"campaign_id": campaign.id, "campaign_name": "Spring", "status": "approved"}
    ]


def test_get_unknown_creator_is_404(api):
    response = api.get("/creators/424242")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_patch_changes_only_what_is_sent(api, jane):
    response = api.patch(f"/creators/{jane.id}", {"name": "Jane Smith"})

    assert response.status_code == 200
    jane.refresh_from_db()
    assert jane.name == "Jane Smith"
    assert jane.custom_fields == {"size": "M"}
    assert jane.preferred_channel == "email"
    # the search text follows the new name
    assert [i["id"] for i in api.get("/creators", q="smith").json()["items"]] == [jane.id]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"preferred_channel": "telegraph"}, "preferred_channel"),
        ({"first_name": 12}, "first_name"),
    ],
)
def test_patch_rejects_bad_input(api, jane, payload, field):
    response = api.patch(f"/creators/{jane.id}", payload)

    assert response.status_code == 422
    assert list(response.json()["detail"]) == [field]
    jane.refresh_from_db()
    assert jane.name == "Jane Doe" and jane.preferred_channel == "email"


def test_delete_removes_the_creator_and_conversation(api, member, make_conversation):
    conversation = make_conversation(inbound=1)

    response = api.delete(f"/creators/{conversation.creator_id}")

    assert response.status_code == 204
    assert not Creator.objects.filter(id=conversation.creator_id).exists()
    assert not Conversation.objects.filter(id=conversation.id).exists()
    assert api.get(f"/creators/{conversation.creator_id}").status_code == 404


# Identities ----------------------------------------------------------------------------


def test_add_identity(api, jane):
    response = api.post(
        f"/creators/{jane.id}/identities", {"kind": "tiktok", "value": "@JaneDances"}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "tiktok" and body["value"] == "@JaneDances"
    assert body["url"] == "https://www.tiktok.com/@janedances"
    assert body["is_primary"] is True
    assert [i["id"] for i in api.get("/creators", q="janedances").json()["items"]] == [jane.id]


@pytest.mark.parametrize(
    ("payload", "field", "status"),
    [
        ({"kind": "phone", "value": "12"}, "value", 422),
        ({"kind": "phone", "value": "040 123 4567"}, "value", 422),  # no country: ambiguous
        ({"kind": "phone", "value": "+358 12"}, "value", 422),  # no such number
        ({"kind": "fax", "value": "12"}, "kind", 422),
        ({"kind": "email", "value": "jane@example.com"}, "value", 409),  # she has it already
        ({"kind": "instagram", "value": "x", "url": "ftp://x"}, "url", 422),
        ({"value": "x"}, "kind", 422),
        ({"kind": "other", "value": "x" * 255}, "value", 422),
        ({"kind": "other", "value": "x", "url": "https://x.test/" + "a" * 190}, "url", 422),
    ],
)
def test_add_identity_rejects_bad_input(api, jane, payload, field, status):
    response = api.post(f"/creators/{jane.id}/identities", payload)

    assert response.status_code == status
    assert list(response.json()["detail"]) == [field]
    assert jane.identities.count() == 2


def test_a_phone_is_stored_in_e164_however_it_is_written(api, jane):
    response = api.post(
        f"/creators/{jane.id}/identities", {"kind": "phone", "value": "00358 (40) 123-4567"}
    )

    assert response.status_code == 201
    assert response.json()["value"] == "+358401234567"
    assert jane.identities.get(kind="phone").normalized == "+358401234567"


def test_remove_identity(api, jane):
    email = jane.identities.get(kind="email")

    response = api.delete(f"/creators/{jane.id}/identities/{email.id}")

    assert response.status_code == 204
    assert list(jane.identities.values_list("kind", flat=True)) == ["instagram"]
    assert api.get("/creators", q="jane@example.com").json()["items"] == []


def test_remove_identity_of_another_creator_is_404(api, member, jane):
    other = creator_create(
        workspace=member.workspace, name="Other", identities=[("email", "o@example.com")]
    )
    identity = other.identities.get()

    response = api.delete(f"/creators/{jane.id}/identities/{identity.id}")

    assert response.status_code == 404
    assert Identity.objects.filter(id=identity.id).exists()


# Tags on a creator ---------------------------------------------------------------------


def test_add_and_remove_a_tag(api, member, jane):
    vip = TagFactory(workspace=member.workspace, name="vip")
    beauty = TagFactory(workspace=member.workspace, name="beauty")

    assert api.post(f"/creators/{jane.id}/tags", {"tag_id": vip.id}).status_code == 200
    response = api.post(f"/creators/{jane.id}/tags", {"tag_id": beauty.id})
    assert response.json() == [{"id": beauty.id, "name": "beauty"}, {"id": vip.id, "name": "vip"}]
    # adding twice is harmless
    assert api.post(f"/creators/{jane.id}/tags", {"tag_id": vip.id}).status_code == 200
    assert CreatorTag.objects.filter(creator=jane).count() == 2

    response = api.delete(f"/creators/{jane.id}/tags/{vip.id}")

    assert response.status_code == 200
    assert response.json() == [{"id": beauty.id, "name": "beauty"}]
    assert list(CreatorTag.objects.filter(creator=jane).values_list("tag_id", flat=True)) == [
        beauty.id
    ]


def test_add_tag_needs_a_tag_id(api, jane):
    response = api.post(f"/creators/{jane.id}/tags", {"tag_id": "vip"})

    assert response.status_code == 422
    assert response.json() == {"detail": {"tag_id": ["Enter a whole number."]}}


def test_add_unknown_tag_is_404(api, jane):
    assert api.post(f"/creators/{jane.id}/tags", {"tag_id": 987654}).status_code == 404


# Custom fields -------------------------------------------------------------------------


def test_custom_fields_are_merged_and_null_removes(api, jane):
    jane.custom_fields = {"size": "M", "city": "Turku"}
    jane.save(update_fields=["custom_fields"])

    response = api.patch(
        f"/creators/{jane.id}/custom-fields", {"fields": {"size": "L", "city": None, "age": 31}}
    )

    assert response.status_code == 200
    assert response.json() == {"custom_fields": {"size": "L", "age": "31"}}
    jane.refresh_from_db()
    assert jane.custom_fields == {"size": "L", "age": "31"}


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({}, "fields", "This field is required."),
        ({"fields": "size=M"}, "fields", "Enter an object."),
        ({"fields": {"size": ["M", "L"]}}, "fields.size", "Enter text, a number, true or false."),
        ({"fields": {"": "x"}}, "fields", "This field cannot be blank."),
        ({"fields": {"x" * 61: "x"}}, "fields", "Ensure this is at most 60 characters."),
    ],
)
def test_custom_fields_reject_bad_input(api, jane, payload, field, message):
    response = api.patch(f"/creators/{jane.id}/custom-fields", payload)

    assert response.status_code == 422
    assert response.json() == {"detail": {field: [message]}}
    jane.refresh_from_db()
    assert jane.custom_fields == {"size": "M"}


# Notes ---------------------------------------------------------------------------------


def test_add_and_list_notes_newest_first(api, member, teammate, jane):
    note_add(creator=jane, author=teammate, body="First contact")

    response = api.post(f"/creators/{jane.id}/notes", {"body": "  Sent the brief  "})

    assert response.status_code == 201
    created = response.json()
    assert created["body"] == "Sent the brief"
    assert created["author"] == {"id": member.id, "name": str(member.user)}
    notes = api.get(f"/creators/{jane.id}/notes").json()
    assert [n["body"] for n in notes] == ["Sent the brief", "First contact"]
    assert notes[1]["author"]["id"] == teammate.id


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"body": "   "}, "This field cannot be blank."),
        ({}, "This field is required."),
        ({"body": "x" * 10001}, "Ensure this is at most 10000 characters."),
    ],
)
def test_add_note_rejects_bad_input(api, jane, payload, message):
    response = api.post(f"/creators/{jane.id}/notes", payload)

    assert response.status_code == 422
    assert response.json() == {"detail": {"body": [message]}}
    assert not Note.objects.filter(creator=jane).exists()
