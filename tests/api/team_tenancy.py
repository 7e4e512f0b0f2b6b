"""The team routes in the tenancy walk (tests/api/test_tenancy.py): each workspace's saved
reply, a second API token of its member, a teammate and a teammate invited who has not
chosen a password yet; the cases with another workspace's ids (the message to edit is the
world's `pending` one); and, for the routes without ids, tests that they see and touch only
the token's member or workspace."""

from typing import Any

from parley.accounts.models import ApiToken, Member, User
from parley.accounts.services import api_token_create, member_invite
from parley.inbox.models import Message, NotificationPreference
from parley.replies.models import SavedReply
from parley.replies.services import saved_reply_create
from tests.factories import MemberFactory


def team_world(*, acting: Member, prefix: str) -> dict[str, int]:
    reply = saved_reply_create(member=acting, name="Brief", body="Hi {{ first_name }}")
    token, _raw = api_token_create(member=acting, name=f"{prefix}second")
    teammate = MemberFactory(workspace=acting.workspace, role=Member.Role.MEMBER)
    invitee = member_invite(actor=acting, email=f"{prefix}invitee@a.test".replace("_", "-"))
    return {
        "reply": reply.id,
        "api_token": token.id,
        "teammate": teammate.id,
        "invitee": invitee.id,
    }


def team_snapshot() -> dict[str, list[Any]]:
    return {
        "saved_replies": list(
            SavedReply.objects.order_by("id").values_list("id", "workspace_id", "name", "body")
        ),
        "api_tokens": list(ApiToken.objects.order_by("id").values_list("id", "member_id", "name")),
        "notification_preferences": list(
            NotificationPreference.objects.order_by("id").values_list(
                "member_id", "kind", "in_app", "email"
            )
        ),
        "message_texts": list(
            Message.objects.order_by("id").values_list("id", "body_text", "scheduled_for")
        ),
        "members": list(
            Member.all_objects.order_by("id").values_list(
                "id", "workspace_id", "user_id", "role", "removed_at"
            )
        ),
        "users": list(User.objects.order_by("id").values_list("id", "email")),
    }


_EDIT = ("patch", "/conversations/{conversation_id}/messages/{message_id}")
_RENDER = ("post", "/saved-replies/{reply_id}/render")
TEAM_CASES: list[tuple[tuple[str, str], str, str, Any, dict[str, Any]]] = [
    (("delete", "/api-tokens/{token_id}"), "delete", "/api-tokens/{f_api_token}", None, {}),
    (("get", "/saved-replies/{reply_id}"), "get", "/saved-replies/{f_reply}", None, {}),
    (
        ("patch", "/saved-replies/{reply_id}"),
        "patch",
        "/saved-replies/{f_reply}",
        {"name": "Taken over"},
        {},
    ),
    (("delete", "/saved-replies/{reply_id}"), "delete", "/saved-replies/{f_reply}", None, {}),
    (
        _RENDER,
        "post",
        "/saved-replies/{f_reply}/render",
        {"conversation_id": "{conversation}"},
        {},
    ),
    (
        _RENDER,
        "post",
        "/saved-replies/{reply}/render",
        {"conversation_id": "{f_conversation}"},
        {},
    ),
    (
        _RENDER,
        "post",
        "/saved-replies/{reply}/render",
        {"conversation_id": "{conversation}", "campaign_id": "{f_campaign}"},
        {},
    ),
    (
        _EDIT,
        "patch",
        "/conversations/{f_conversation}/messages/{f_pending}",
        {"body": "Changed"},
        {},
    ),
    (_EDIT, "patch", "/conversations/{conversation}/messages/{f_pending}", {"body": "Changed"}, {}),
    (_EDIT, "patch", "/conversations/{f_conversation}/messages/{pending}", {"body": "Changed"}, {}),
    # Teammates: another workspace's member to change, remove or invite again
    (("patch", "/members/{member_id}"), "patch", "/members/{f_teammate}", {"role": "admin"}, {}),
    (("delete", "/members/{member_id}"), "delete", "/members/{f_teammate}", None, {}),
    (
        ("post", "/members/{member_id}/invitation"),
        "post",
        "/members/{f_invitee}/invitation",
        None,
        {},
    ),
]

TEAM_ROUTES_WITHOUT_IDS = {
    ("get", "/reports/response-times"): "test_report_counts_own_workspace_only",
    ("get", "/notification-preferences"): "test_preferences_are_the_tokens_member_only",
    ("put", "/notification-preferences"): "test_preferences_are_the_tokens_member_only",
    ("get", "/api-tokens"): "test_tokens_are_the_tokens_member_only",
    ("post", "/api-tokens"): "test_tokens_are_the_tokens_member_only",
    ("get", "/saved-replies"): "test_saved_replies_are_own_workspace_only",
    ("post", "/saved-replies"): "test_saved_replies_are_own_workspace_only",
    ("post", "/members"): "test_invite_lands_in_own_workspace",
}


def test_report_counts_own_workspace_only(  # type: ignore[no-untyped-def]
    api, member, other_member, world, make_conversation
):
    # the world's members answered their creator; a creator waits in the other workspace
    make_conversation(workspace=other_member.workspace, inbound=1)
    replies = Message.objects.filter(response_seconds__isnull=False)

    body = api.get("/reports/response-times", period=90).json()

    assert body["waiting"] == 0
    assert body["team"]["count"] == replies.filter(workspace=member.workspace).count() > 0
    members = [member.id, world["teammate"], world["invitee"]]  # this workspace's, all of them
    assert [m["member"]["id"] for m in body["members"]] == members


def test_preferences_are_the_tokens_member_only(api, member, other_member, world):  # type: ignore[no-untyped-def]
    response = api.put(
        "/notification-preferences",
        {"preferences": [{"kind": "inbound", "in_app": False, "email": True}]},
    )

    assert response.status_code == 200
    assert {p["kind"]: p["email"] for p in response.json()}["inbound"] is True
    assert list(NotificationPreference.objects.values_list("member_id", flat=True)) == [member.id]
    listed = api.get("/notification-preferences").json()
    assert {p["kind"]: p["in_app"] for p in listed}["inbound"] is False


def test_tokens_are_the_tokens_member_only(api, member, other_member, world):  # type: ignore[no-untyped-def]
    own = set(ApiToken.objects.filter(member=member).values_list("id", flat=True))
    listed = {t["id"] for t in api.get("/api-tokens").json()}
    created = api.post("/api-tokens", {"name": "CRM"})

    assert listed == own
    assert world["f_api_token"] not in listed
    assert created.status_code == 201
    token = ApiToken.objects.get(id=created.json()["id"])
    assert token.member_id == member.id and token.digest == ApiToken.hash(created.json()["token"])


def test_saved_replies_are_own_workspace_only(api, member, world):  # type: ignore[no-untyped-def]
    # both workspaces have a reply named "Brief": the name is free per workspace only
    assert [r["id"] for r in api.get("/saved-replies").json()] == [world["reply"]]
    assert api.post("/saved-replies", {"name": "Brief", "body": "x"}).status_code == 409

    created = api.post("/saved-replies", {"name": "Terms", "body": "Net 30, {{ name }}"})

    assert created.status_code == 201
    assert SavedReply.objects.get(id=created.json()["id"]).workspace_id == member.workspace_id


def test_invite_lands_in_own_workspace(api, member, other_member, world):  # type: ignore[no-untyped-def]
    # the other workspace's owner, and its invitee, become members of this one only
    before = set(Member.objects.filter(workspace=other_member.workspace).values_list("id", "role"))

    joined = api.post("/members", {"email": other_member.user.email})
    invited = api.post("/members", {"email": "f-invitee@a.test", "role": "admin"})
    taken = api.post("/members", {"email": "invitee@a.test"})  # this workspace's own invitee

    assert joined.status_code == invited.status_code == 201
    assert taken.status_code == 409
    for response in (joined, invited):
        assert Member.objects.get(id=response.json()["id"]).workspace_id == member.workspace_id
    after = set(Member.objects.filter(workspace=other_member.workspace).values_list("id", "role"))
    assert after == before
