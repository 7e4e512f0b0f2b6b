"""Regressions for issue 11, findings 2 and 3, on the API: each answered 500, an HTML page,
or a status the schema did not promise before."""

import pytest

from parley.campaigns.models import CampaignMember
from parley.creators.models import Creator, CreatorTag
from parley.inbox.models import Message
from tests.factories import CampaignFactory, CreatorFactory, TagFactory

pytestmark = pytest.mark.django_db

HUGE = 99999999999999999999  # 20 digits: beyond 64 bits


# Finding 2: NUL, huge ids, long text ------------------------------------------------------


def test_a_nul_in_a_name_is_a_422_not_a_500(api, member):
    # when a creator is created with a NUL in the name (PostgreSQL cannot store it)
    response = api.post("/creators", {"name": "Nul\u0000Byte"})

    # then the field is reported and nothing is stored
    assert response.status_code == 422
    assert list(response.json()["detail"]) == ["name"]
    assert not Creator.objects.filter(workspace=member.workspace).exists()


def test_a_nul_anywhere_in_a_body_is_a_422(api, member):
    response = api.post("/creators", {"name": "Ann", "custom_fields": {"size\u0000": "M"}})

    assert response.status_code == 422
    assert not Creator.objects.filter(workspace=member.workspace).exists()


@pytest.mark.parametrize("path", ["/creators", "/conversations"])
def test_a_nul_in_a_search_is_a_422(api, path):
    response = api.get(path, q="a\x00b")

    assert response.status_code == 422
    assert response.json() == {"detail": {"q": ["Remove the NUL character (\\0) from the text."]}}


def test_tagging_a_huge_creator_id_is_a_422(api, member):
    tag = TagFactory(workspace=member.workspace)

    response = api.post(f"/tags/{tag.id}/creators", {"creator_ids": [HUGE]})

    assert response.status_code == 422
    assert "creator_ids.0" in response.json()["detail"]
    assert not CreatorTag.objects.exists()


def test_adding_a_huge_creator_id_to_a_campaign_is_a_422(api, member):
    campaign = CampaignFactory(workspace=member.workspace)

    response = api.post(f"/campaigns/{campaign.id}/members", {"creator_ids": [HUGE]})

    assert response.status_code == 422
    assert not CampaignMember.objects.exists()


@pytest.mark.parametrize("name", ["campaign", "campaigns", "tags", "clients"])
def test_a_huge_id_in_the_list_filters_is_a_422(api, name):
    response = api.get("/conversations", **{name: str(HUGE)})

    assert response.status_code == 422
    assert list(response.json()["detail"]) in ([name], [f"{name}.0"])


def test_a_huge_tag_filter_on_creators_is_a_422(api):
    assert api.get("/creators", tag=str(HUGE)).status_code == 422


def test_a_cursor_holding_a_huge_id_is_a_422(api, make_conversation):
    from parley.core.cursor import encode

    make_conversation()
    cursor = encode([True, "2030-01-01T00:00:00+00:00", HUGE])

    response = api.get("/conversations", cursor=cursor)

    assert response.status_code == 422
    assert response.json() == {"detail": {"cursor": ["Invalid cursor."]}}


def test_a_cursor_with_a_day_that_does_not_exist_is_a_422(api, make_conversation):
    from parley.core.cursor import encode

    make_conversation()

    response = api.get("/conversations", cursor=encode([True, "2030-02-31T00:00:00+00:00", 1]))

    assert response.status_code == 422


def test_the_in_app_subject_has_a_limit(api, make_conversation):
    conversation = make_conversation()

    response = api.post(
        f"/conversations/{conversation.id}/messages", {"body": "Hi", "subject": "s" * 100_000}
    )

    assert response.status_code == 422
    assert list(response.json()["detail"]) == ["subject"]
    assert not Message.objects.filter(conversation=conversation).exists()


def test_a_one_word_name_longer_than_a_first_name_is_stored(api, member):
    # A first name is the first word of the name, at most 80 characters (the column's size;
    # PostgreSQL refused the 160-character word before).
    response = api.post("/creators", {"name": "N" * 160})

    assert response.status_code == 201
    assert response.json()["first_name"] == "N" * 80


# Finding 3: the schema is the truth ------------------------------------------------------


@pytest.mark.parametrize("path", ["/creators/-1", "/creators/abc", f"/creators/{HUGE}"])
def test_a_malformed_path_id_is_a_json_422(api, path):
    response = api.get(path)

    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/json")
    assert list(response.json()["detail"]) == ["creator_id"]


def test_an_unknown_path_is_a_json_404(api):
    response = api.get("/creators/1/no-such-thing")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_method_a_path_does_not_have_is_a_json_405(api):
    response = api.put("/creators", {})

    assert response.status_code == 405
    assert response["Allow"]
    assert "detail" in response.json()


def test_a_number_as_the_body_is_rejected(api, member):
    # PATCH with body `5` answered 200 and changed nothing
    campaign = CampaignFactory(workspace=member.workspace)

    response = api.request("patch", f"/campaigns/{campaign.id}", 5)

    assert response.status_code == 422
    assert response.json() == {"detail": {"__all__": ["Send a JSON object."]}}


def test_a_list_as_the_body_is_rejected(api, make_conversation):
    # POST …/unread with `[]` answered 204
    conversation = make_conversation()

    response = api.request("post", f"/conversations/{conversation.id}/unread", [])

    assert response.status_code == 422


def test_a_body_that_is_no_json_is_a_json_400(api):
    response = api.client.post(
        "/api/v1/tags", data="{", content_type="application/json", headers=api._headers()
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is not valid JSON."}


def test_an_id_as_text_in_a_body_is_a_422(api, member):
    # The schema says integer: "5" is not one
    tag = TagFactory(workspace=member.workspace)
    creator = CreatorFactory(workspace=member.workspace)

    response = api.post(f"/tags/{tag.id}/creators", {"creator_ids": [str(creator.id)]})

    assert response.status_code == 422


def test_an_unknown_field_is_a_422(api):
    response = api.post("/tags", {"name": "vip", "colour": "red"})

    assert response.status_code == 422
    assert response.json() == {"detail": {"colour": ["Unknown field."]}}


def test_a_taken_name_is_a_409(api, member):
    assert api.post("/clients", {"name": "Acme"}).status_code == 201

    response = api.post("/clients", {"name": "Acme"})

    assert response.status_code == 409
    assert list(response.json()["detail"]) == ["name"]


def test_more_custom_fields_than_allowed_after_a_merge_is_a_409(api, member):
    creator = CreatorFactory(
        workspace=member.workspace, custom_fields={f"f{i}": "x" for i in range(50)}
    )

    response = api.patch(f"/creators/{creator.id}/custom-fields", {"fields": {"one_more": "x"}})

    assert response.status_code == 409


def _schema(anon_api):  # type: ignore[no-untyped-def]
    return anon_api.client.get("/api/v1/openapi.json").json()


def test_every_operation_documents_its_errors(anon_api):
    schema = _schema(anon_api)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            where = f"{method} {path}"
            assert "401" in responses, where
            if "requestBody" in operation:
                assert {"400", "422"} <= set(responses), where
            if operation.get("parameters"):
                assert "422" in responses, where
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    assert "application/json" in response["content"], where


def test_the_schema_states_limits_choices_and_patterns(anon_api):
    components = _schema(anon_api)["components"]["schemas"]
    creator = components["CreatorIn"]["properties"]
    assert creator["name"]["maxLength"] == 160
    assert "pattern" in creator["name"]
    assert creator["preferred_channel"]["enum"] == list(Creator.Channel.values)
    assert components["CampaignIn"]["properties"]["status"]["enum"] == ["draft", "active"]
    assert components["CampaignPatch"]["properties"]["status"]["enum"] == [
        "draft",
        "active",
        "archived",
    ]
    statuses = components["CampaignMemberStatusIn"]["properties"]["status"]["enum"]
    assert statuses == list(CampaignMember.Status.values)
    assert components["MessageIn"]["properties"]["subject"]["maxLength"] == 900
    assert components["MessageIn"]["properties"]["channel"]["const"] == "inapp"
    assert components["NoteIn"]["properties"]["body"]["maxLength"] == 10_000
    assert components["TagIn"]["properties"]["name"]["maxLength"] == 60
    assert components["ClientIn"]["properties"]["name"]["maxLength"] == 120
    ids = components["CreatorIdsIn"]["properties"]["creator_ids"]["items"]
    assert (ids["minimum"], ids["maximum"]) == (1, 2**63 - 1)
    kinds = {
        kind
        for name in ("EmailIdentityIn", "PhoneIdentityIn", "HandleIdentityIn", "OtherIdentityIn")
        for kind in components[name]["properties"]["kind"].get("enum")
        or [components[name]["properties"]["kind"]["const"]]
    }
    from parley.creators.models import Identity

    assert kinds == set(Identity.Kind.values)
