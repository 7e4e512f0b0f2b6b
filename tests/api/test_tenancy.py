"""Tenant isolation on every route: another workspace's id is a 404 and changes nothing;
routes without ids see and touch only the token's own workspace."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from parley.accounts.models import Client
from parley.accounts.services import api_token_create
from parley.broadcasts.models import Broadcast
from parley.broadcasts.services import broadcast_draft, broadcast_send, broadcast_update
from parley.campaigns.models import Campaign, CampaignMember
from parley.channels.email.models import Mailbox
from parley.creators.models import (
    AudienceReport,
    Creator,
    CreatorImport,
    CreatorImportFailure,
    CreatorTag,
    EnrichmentRequest,
    Identity,
    Note,
    Tag,
)
from parley.creators.services import note_add, tags_add
from parley.inbox.models import Conversation, InboxEntry, Message, Notification
from parley.inbox.services import conversation_mark_unread
from parley.outbox.models import OutboxItem, SenderState
from parley.outbox.services import message_send
from tests.api.assets_tenancy import ASSET_CASES, asset_snapshot, asset_world
from tests.api.conftest import ApiClient
from tests.api.routes import ROUTES
from tests.api.sms_tenancy import (
    SMS_CASES,
    SMS_ROUTES_WITHOUT_IDS,
    sms_snapshot,
    sms_world,
    test_sms_available_numbers_mark_own_senders_only,
    test_sms_connect_lands_in_own_workspace,
    test_sms_connection_is_own_workspace_only,
    test_sms_disconnect_is_own_workspace_only,
    test_sms_number_added_to_own_workspace,
    test_sms_segments_read_and_change_nothing,
    test_sms_test_asks_with_own_credentials_only,
)
from tests.api.team_tenancy import (
    TEAM_CASES,
    TEAM_ROUTES_WITHOUT_IDS,
    team_snapshot,
    team_world,
    test_invite_lands_in_own_workspace,
    test_preferences_are_the_tokens_member_only,
    test_report_counts_own_workspace_only,
    test_saved_replies_are_own_workspace_only,
    test_tokens_are_the_tokens_member_only,
)
from tests.channels.email.servers import PASSWORD
from tests.factories import CampaignFactory, CampaignMemberFactory, ClientFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(member, other_member, make_conversation) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The same shape of data in both workspaces; foreign ids are prefixed `f_`."""
    ids: dict[str, int] = {}
    for prefix, acting in (("", member), ("f_", other_member)):
        ws = acting.workspace
        conversation = make_conversation(workspace=ws, inbound=1)
        creator = conversation.creator
        identity = Identity.objects.create(
            workspace=ws,
            creator=creator,
            kind="email",
            value=f"{prefix}x@a.test",
            normalized=f"{prefix}x@a.test",
        )
        Identity.objects.create(
            workspace=ws,
            creator=creator,
            kind="tiktok",
            value=f"{prefix}tt",
            normalized=f"{prefix}tt",
        )
        email_request = EnrichmentRequest.objects.create(
            workspace=ws,
            creator=creator,
            provider="influencers_club",
            platform="tiktok",
            handle=f"{prefix}tt",
            status="not_found",
        )
        tag = TagFactory(workspace=ws, name="vip")
        tags_add(tag=tag, creator_ids=[creator.id])
        client = ClientFactory(workspace=ws, name="Acme")
        campaign = CampaignFactory(workspace=ws, name="Spring", client=client)
        CampaignMemberFactory(campaign=campaign, creator=creator)
        note_add(creator=creator, author=acting, body="A note")
        creator_import = CreatorImport.objects.create(
            workspace=ws, author=acting, filename="c.csv", path="-", headers=["Name"], state="done"
        )
        CreatorImportFailure.objects.create(
            creator_import=creator_import, line=2, reason="No name.", values=[""]
        )
        mailbox = Mailbox.objects.create(
            workspace=ws,
            connected_by=acting,
            address=f"{prefix}brand@a.test".replace("_", "-"),
            connected_at=timezone.now(),
            is_default=True,
            smtp_host="127.0.0.1",
            secret="encrypted",
        )
        # Two messages on their way out: one waiting for its time, one whose outcome is
        # unknown (a worker died mid-send on a send-only mailbox).
        later = timezone.now() + timedelta(days=1)
        pending = message_send(
            member=acting, conversation=conversation, channel="inapp", body="Soon", send_at=later
        )
        unknown = message_send(
            member=acting, conversation=conversation, channel="inapp", body="Lost?", send_at=later
        )
        OutboxItem.objects.filter(message=unknown).update(state=OutboxItem.State.UNKNOWN)
        # A mass email on its way (the worker has not written its messages yet).
        broadcast = broadcast_draft(member=acting, creator_ids=[creator.id])
        broadcast_update(
            member=acting,
            broadcast=broadcast,
            channel="email",
            mailbox=mailbox,
            subject="Hi {{ first_name }}",
            body="Hello",
        )
        broadcast_send(member=acting, broadcast=broadcast)
        conversation_mark_unread(member=acting, conversation=conversation)
        message = Message.objects.get(
            conversation=conversation, direction=Message.Direction.INBOUND
        )
        # Campaign actions: a link, codes, a payment, an agreement, products and gifts (and
        # a second campaign, for a gift not picked yet).
        assets = asset_world(acting=acting, campaign=campaign, creator=creator)
        ids.update({f"{prefix}{name}": value for name, value in assets.items()})
        ids.update(
            {
                f"{prefix}conversation": conversation.id,
                f"{prefix}creator": creator.id,
                f"{prefix}identity": identity.id,
                f"{prefix}email_request": email_request.id,
                f"{prefix}tag": tag.id,
                f"{prefix}client": client.id,
                f"{prefix}campaign": campaign.id,
                f"{prefix}message": message.id,
                f"{prefix}member": acting.id,
                f"{prefix}import": creator_import.id,
                f"{prefix}mailbox": mailbox.id,
                f"{prefix}pending": pending.id,
                f"{prefix}unknown": unknown.id,
                f"{prefix}broadcast": broadcast.id,
            }
        )
        # SMS: a Twilio account, a number, a phone for the creator.
        sms = sms_world(acting=acting, creator=creator, prefix=prefix)
        ids.update({f"{prefix}{name}": value for name, value in sms.items()})
        # Working as a team: a saved reply, a second API token (tests/api/team_tenancy.py).
        team = team_world(acting=acting, prefix=prefix)
        ids.update({f"{prefix}{name}": value for name, value in team.items()})
    return ids


@pytest.fixture(autouse=True)
def _enrichment_configured(provider: Any) -> None:
    """An enrichment provider is configured (the local one), so asking with own ids succeeds:
    the control for Fetch Email and the audience refresh. Nothing runs the queued tasks."""


@pytest.fixture(autouse=True)
def _portal_accounts(portal: None) -> None:
    """Creators have portal accounts (the seam says yes), so a payment or an agreement with
    own ids succeeds: the control for those routes."""


def snapshot() -> dict[str, list[Any]]:
    """Everything a request could change, in both workspaces (token stamps aside)."""
    return {
        **asset_snapshot(),
        **sms_snapshot(),
        **team_snapshot(),
        "creators": list(
            Creator.objects.order_by("id").values_list(
                "id", "name", "first_name", "preferred_channel", "custom_fields", "search_text"
            )
        ),
        "identities": list(Identity.objects.order_by("id").values_list("id", "creator_id")),
        "tags": list(Tag.objects.order_by("id").values_list("id", "name")),
        "creator_tags": list(CreatorTag.objects.order_by("id").values_list("tag_id", "creator_id")),
        "notes": list(Note.objects.order_by("id").values_list("id", "body")),
        "creator_imports": list(
            CreatorImport.objects.order_by("id").values_list("id", "state", "mapping", "created")
        ),
        "email_requests": list(
            EnrichmentRequest.objects.order_by("id").values_list("id", "creator_id", "status")
        ),
        "audience_reports": list(
            AudienceReport.objects.order_by("id").values_list("id", "creator_id", "status")
        ),
        "clients": list(Client.objects.order_by("id").values_list("id", "name")),
        "campaigns": list(
            Campaign.objects.order_by("id").values_list("id", "name", "status", "client_id")
        ),
        "campaign_members": list(
            CampaignMember.objects.order_by("id").values_list("id", "creator_id", "status")
        ),
        "conversations": list(
            Conversation.objects.order_by("id").values_list("id", "assignee_id", "preview")
        ),
        "messages": list(
            Message.objects.order_by("id").values_list("id", "status", "status_reason")
        ),
        "entries": list(
            InboxEntry.objects.order_by("id").values_list(
                "id", "unread", "marked_unread", "last_read_at", "sort_at"
            )
        ),
        "notifications": list(Notification.objects.order_by("id").values_list("id", "read_at")),
        "outbox": list(OutboxItem.objects.order_by("id").values_list("id", "state")),
        "mailboxes": list(
            Mailbox.objects.order_by("id").values_list(
                "id", "workspace_id", "is_active", "is_default", "daily_limit", "secret"
            )
        ),
        "senders": list(SenderState.objects.order_by("id").values_list("sender_key", "plan_dirty")),
        "broadcasts": list(
            Broadcast.objects.order_by("id").values_list("id", "state", "recipient_ids")
        ),
    }


# (route, method, path, body, query). {name} is an id from `world`; a foreign one is f_…
FOREIGN_CASES: list[tuple[tuple[str, str], str, str, Any, dict[str, Any]]] = [
    (("get", "/conversations"), "get", "/conversations", None, {"campaign": "{f_campaign}"}),
    (("get", "/conversations"), "get", "/conversations", None, {"campaigns": "{f_campaign}"}),
    (("get", "/conversations"), "get", "/conversations", None, {"tags": "{f_tag}"}),
    (("get", "/conversations"), "get", "/conversations", None, {"clients": "{f_client}"}),
    (
        ("get", "/conversations/{conversation_id}"),
        "get",
        "/conversations/{f_conversation}",
        None,
        {},
    ),
    (
        ("get", "/conversations/{conversation_id}/messages"),
        "get",
        "/conversations/{f_conversation}/messages",
        None,
        {},
    ),
    (
        ("get", "/conversations/{conversation_id}/messages"),
        "get",
        "/conversations/{conversation}/messages",
        None,
        {"campaign": "{f_campaign}"},
    ),
    (
        ("post", "/conversations/{conversation_id}/messages"),
        "post",
        "/conversations/{f_conversation}/messages",
        {"body": "Hi"},
        {},
    ),
    (
        ("post", "/conversations/{conversation_id}/messages"),
        "post",
        "/conversations/{conversation}/messages",
        {"body": "Hi", "campaign_id": "{f_campaign}"},
        {},
    ),
    (
        ("post", "/conversations/{conversation_id}/read"),
        "post",
        "/conversations/{f_conversation}/read",
        None,
        {},
    ),
    (
        ("post", "/conversations/{conversation_id}/unread"),
        "post",
        "/conversations/{f_conversation}/unread",
        None,
        {},
    ),
    (
        ("post", "/conversations/{conversation_id}/unread"),
        "post",
        "/conversations/{conversation}/unread",
        {"message_id": "{f_message}"},
        {},
    ),
    (
        ("put", "/conversations/{conversation_id}/assignee"),
        "put",
        "/conversations/{f_conversation}/assignee",
        {"member_id": None},
        {},
    ),
    (
        ("put", "/conversations/{conversation_id}/assignee"),
        "put",
        "/conversations/{conversation}/assignee",
        {"member_id": "{f_member}"},
        {},
    ),
    (("get", "/creators"), "get", "/creators", None, {"tag": "{f_tag}"}),
    (("get", "/creators/{creator_id}"), "get", "/creators/{f_creator}", None, {}),
    (
        ("post", "/creators/{creator_id}/conversation"),
        "post",
        "/creators/{f_creator}/conversation",
        None,
        {},
    ),
    (("get", "/creators/imports/{import_id}"), "get", "/creators/imports/{f_import}", None, {}),
    (
        ("get", "/creators/imports/{import_id}/failures"),
        "get",
        "/creators/imports/{f_import}/failures",
        None,
        {},
    ),
    (("get", "/creators/export"), "get", "/creators/export", None, {"tags": "{f_tag}"}),
    (("get", "/creators/export"), "get", "/creators/export", None, {"campaigns": "{f_campaign}"}),
    (("get", "/creators/export"), "get", "/creators/export", None, {"clients": "{f_client}"}),
    (
        ("patch", "/creators/{creator_id}"),
        "patch",
        "/creators/{f_creator}",
        {"name": "Taken over"},
        {},
    ),
    (("delete", "/creators/{creator_id}"), "delete", "/creators/{f_creator}", None, {}),
    (
        ("post", "/creators/{creator_id}/identities"),
        "post",
        "/creators/{f_creator}/identities",
        {"kind": "tiktok", "value": "@new"},
        {},
    ),
    (
        ("delete", "/creators/{creator_id}/identities/{identity_id}"),
        "delete",
        "/creators/{f_creator}/identities/{f_identity}",
        None,
        {},
    ),
    (
        ("delete", "/creators/{creator_id}/identities/{identity_id}"),
        "delete",
        "/creators/{creator}/identities/{f_identity}",
        None,
        {},
    ),
    (
        ("post", "/creators/{creator_id}/tags"),
        "post",
        "/creators/{f_creator}/tags",
        {"tag_id": "{tag}"},
        {},
    ),
    (
        ("post", "/creators/{creator_id}/tags"),
        "post",
        "/creators/{creator}/tags",
        {"tag_id": "{f_tag}"},
        {},
    ),
    (
        ("delete", "/creators/{creator_id}/tags/{tag_id}"),
        "delete",
        "/creators/{f_creator}/tags/{tag}",
        None,
        {},
    ),
    (
        ("delete", "/creators/{creator_id}/tags/{tag_id}"),
        "delete",
        "/creators/{creator}/tags/{f_tag}",
        None,
        {},
    ),
    (
        ("patch", "/creators/{creator_id}/custom-fields"),
        "patch",
        "/creators/{f_creator}/custom-fields",
        {"fields": {"size": "XL"}},
        {},
    ),
    (
        ("get", "/creators/{creator_id}/notes"),
        "get",
        "/creators/{f_creator}/notes",
        None,
        {},
    ),
    (
        ("post", "/creators/{creator_id}/notes"),
        "post",
        "/creators/{f_creator}/notes",
        {"body": "Sneaky"},
        {},
    ),
    (
        ("post", "/creators/{creator_id}/email-requests"),
        "post",
        "/creators/{f_creator}/email-requests",
        None,
        {},
    ),
    (
        ("get", "/creators/{creator_id}/email-requests"),
        "get",
        "/creators/{f_creator}/email-requests",
        None,
        {},
    ),
    (
        ("get", "/creators/{creator_id}/demographics"),
        "get",
        "/creators/{f_creator}/demographics",
        None,
        {},
    ),
    (
        ("post", "/creators/{creator_id}/demographics/refresh"),
        "post",
        "/creators/{f_creator}/demographics/refresh",
        None,
        {},
    ),
    (("get", "/creators/{creator_id}/report"), "get", "/creators/{f_creator}/report", None, {}),
    (
        ("post", "/email-requests"),
        "post",
        "/email-requests",
        {"creator_ids": ["{creator}", "{f_creator}"]},
        {},
    ),
    (
        ("get", "/email-requests/{request_id}"),
        "get",
        "/email-requests/{f_email_request}",
        None,
        {},
    ),
    (
        ("post", "/tags/{tag_id}/creators"),
        "post",
        "/tags/{f_tag}/creators",
        {"creator_ids": ["{creator}"]},
        {},
    ),
    (
        ("post", "/tags/{tag_id}/creators"),
        "post",
        "/tags/{tag}/creators",
        {"creator_ids": ["{creator}", "{f_creator}"]},
        {},
    ),
    (("post", "/campaigns"), "post", "/campaigns", {"name": "X", "client_id": "{f_client}"}, {}),
    (("get", "/campaigns/{campaign_id}"), "get", "/campaigns/{f_campaign}", None, {}),
    (
        ("patch", "/campaigns/{campaign_id}"),
        "patch",
        "/campaigns/{f_campaign}",
        {"name": "Taken over"},
        {},
    ),
    (
        ("patch", "/campaigns/{campaign_id}"),
        "patch",
        "/campaigns/{campaign}",
        {"client_id": "{f_client}"},
        {},
    ),
    (
        ("get", "/campaigns/{campaign_id}/members"),
        "get",
        "/campaigns/{f_campaign}/members",
        None,
        {},
    ),
    (
        ("post", "/campaigns/{campaign_id}/members"),
        "post",
        "/campaigns/{f_campaign}/members",
        {"creator_ids": ["{creator}"]},
        {},
    ),
    (
        ("post", "/campaigns/{campaign_id}/members"),
        "post",
        "/campaigns/{campaign}/members",
        {"creator_ids": ["{f_creator}"]},
        {},
    ),
    (
        ("put", "/campaigns/{campaign_id}/members/{creator_id}"),
        "put",
        "/campaigns/{f_campaign}/members/{f_creator}",
        {"status": "accepted"},
        {},
    ),
    (
        ("put", "/campaigns/{campaign_id}/members/{creator_id}"),
        "put",
        "/campaigns/{campaign}/members/{f_creator}",
        {"status": "accepted"},
        {},
    ),
]

# Campaigns: deleting, one member, status changes in bulk, the mailbox a change sends from.
FOREIGN_CASES += [
    (("delete", "/campaigns/{campaign_id}"), "delete", "/campaigns/{f_campaign}", None, {}),
    (
        ("get", "/campaigns/{campaign_id}/members/{creator_id}"),
        "get",
        "/campaigns/{f_campaign}/members/{f_creator}",
        None,
        {},
    ),
    (
        ("get", "/campaigns/{campaign_id}/members/{creator_id}"),
        "get",
        "/campaigns/{campaign}/members/{f_creator}",
        None,
        {},
    ),
    (
        ("put", "/campaigns/{campaign_id}/members/{creator_id}"),
        "put",
        "/campaigns/{campaign}/members/{creator}",
        {"status": "accepted", "mailbox_id": "{f_mailbox}"},
        {},
    ),
    (
        ("post", "/campaigns/{campaign_id}/transitions"),
        "post",
        "/campaigns/{f_campaign}/transitions",
        {"creator_ids": ["{creator}"], "status": "accepted"},
        {},
    ),
    (
        ("post", "/campaigns/{campaign_id}/transitions"),
        "post",
        "/campaigns/{campaign}/transitions",
        {"creator_ids": ["{creator}", "{f_creator}"], "status": "accepted"},
        {},
    ),
    (
        ("post", "/campaigns/{campaign_id}/transitions"),
        "post",
        "/campaigns/{campaign}/transitions",
        {"creator_ids": ["{creator}"], "status": "accepted", "mailbox_id": "{f_mailbox}"},
        {},
    ),
]

# Email, and what happens to a message on its way out.
FOREIGN_CASES += [
    (
        ("post", "/conversations/{conversation_id}/messages"),
        "post",
        "/conversations/{conversation}/messages",
        {"channel": "email", "mailbox_id": "{f_mailbox}", "subject": "Hi", "body": "Hi"},
        {},
    ),
    (
        ("post", "/conversations/{conversation_id}/messages"),
        "post",
        "/conversations/{f_conversation}/messages",
        {"channel": "email", "mailbox_id": "{mailbox}", "subject": "Hi", "body": "Hi"},
        {},
    ),
]
for _action, _message in (("retry", "unknown"), ("mark-sent", "unknown"), ("cancel", "pending")):
    _route = ("post", f"/conversations/{{conversation_id}}/messages/{{message_id}}/{_action}")
    FOREIGN_CASES += [
        (
            _route,
            "post",
            f"/conversations/{{f_conversation}}/messages/{{f_{_message}}}/{_action}",
            None,
            {},
        ),
        (
            _route,
            "post",
            f"/conversations/{{conversation}}/messages/{{f_{_message}}}/{_action}",
            None,
            {},
        ),
        (
            _route,
            "post",
            f"/conversations/{{f_conversation}}/messages/{{{_message}}}/{_action}",
            None,
            {},
        ),
    ]
FOREIGN_CASES += [
    (("get", "/mailboxes/{mailbox_id}"), "get", "/mailboxes/{f_mailbox}", None, {}),
    (("delete", "/mailboxes/{mailbox_id}"), "delete", "/mailboxes/{f_mailbox}", None, {}),
    (
        ("post", "/mailboxes/{mailbox_id}/default"),
        "post",
        "/mailboxes/{f_mailbox}/default",
        None,
        {},
    ),
    (
        ("put", "/mailboxes/{mailbox_id}/daily-limit"),
        "put",
        "/mailboxes/{f_mailbox}/daily-limit",
        {"daily_limit": 50},
        {},
    ),
]

# Mass messages: a foreign one, and foreign creators, campaigns, tags, clients and mailboxes
# in a new one (its recipients by id, by the inbox filter, by campaign) or a preview.
_BROADCAST = {"subject": "Hi {{ first_name }}", "body": "Hello"}
FOREIGN_CASES += [
    (("get", "/broadcasts/{broadcast_id}"), "get", "/broadcasts/{f_broadcast}", None, {}),
    (
        ("post", "/broadcasts/{broadcast_id}/cancel"),
        "post",
        "/broadcasts/{f_broadcast}/cancel",
        None,
        {},
    ),
    *(
        (("post", "/broadcasts"), "post", "/broadcasts", {**_BROADCAST, **recipients}, {})
        for recipients in (
            {"creator_ids": ["{creator}", "{f_creator}"]},
            {"filter": {"tags": ["{f_tag}"]}},
            {"filter": {"campaigns": ["{f_campaign}"]}},
            {"filter": {"clients": ["{f_client}"]}},
            {"filter": {"campaign": "{f_campaign}"}},
            {"campaign_id": "{f_campaign}"},
            {"creator_ids": ["{creator}"], "campaign_id": "{f_campaign}"},
            {"creator_ids": ["{creator}"], "mailbox_id": "{f_mailbox}"},
            {"creator_ids": ["{creator}"], "mailbox_id": "{f_mailbox}", "check_only": True},
        )
    ),
    (
        ("post", "/broadcasts/preview"),
        "post",
        "/broadcasts/preview",
        {**_BROADCAST, "creator_id": "{f_creator}"},
        {},
    ),
    (
        ("post", "/broadcasts/preview"),
        "post",
        "/broadcasts/preview",
        {**_BROADCAST, "creator_id": "{creator}", "campaign_id": "{f_campaign}"},
        {},
    ),
]

# Campaign actions (tests/api/assets_tenancy.py).
FOREIGN_CASES += ASSET_CASES

# Routes that take no id: each has its own test below that it sees only its workspace.
ROUTES_WITHOUT_IDS = {
    ("get", "/conversations"): "test_conversation_list_is_own_workspace_only",
    ("get", "/conversations/unread-count"): "test_unread_count_is_own_only",
    ("get", "/creators"): "test_creator_list_and_search_are_own_workspace_only",
    ("post", "/creators"): "test_create_creator_lands_in_own_workspace",
    ("post", "/creators/imports"): "test_import_lands_in_own_workspace",
    ("get", "/tags"): "test_tag_campaign_client_member_lists_are_own_workspace_only",
    ("post", "/tags"): "test_create_tag_with_a_foreign_name_makes_an_own_tag",
    ("get", "/campaigns"): "test_tag_campaign_client_member_lists_are_own_workspace_only",
    ("post", "/campaigns"): "test_create_campaign_lands_in_own_workspace",
    ("get", "/notifications"): "test_notifications_are_own_only",
    ("post", "/notifications/read"): "test_notifications_are_own_only",
    ("get", "/me"): "test_me_is_the_tokens_member",
    ("get", "/members"): "test_tag_campaign_client_member_lists_are_own_workspace_only",
    ("get", "/clients"): "test_tag_campaign_client_member_lists_are_own_workspace_only",
    ("post", "/clients"): "test_create_client_with_a_foreign_name",
    ("get", "/mailboxes"): "test_mailbox_list_is_own_workspace_only",
    ("post", "/mailboxes"): "test_connect_mailbox_with_a_foreign_address_is_own",
    ("get", "/broadcasts"): "test_broadcast_list_is_own_workspace_only",
    ("get", "/search/messages"): "test_message_search_is_own_workspace_only",
    # SMS (tests/api/sms_tenancy.py)
    **SMS_ROUTES_WITHOUT_IDS,
}
# The SMS routes' tests without ids run here, with this module's world.
SMS_TESTS = (
    test_sms_available_numbers_mark_own_senders_only,
    test_sms_connect_lands_in_own_workspace,
    test_sms_connection_is_own_workspace_only,
    test_sms_disconnect_is_own_workspace_only,
    test_sms_number_added_to_own_workspace,
    test_sms_segments_read_and_change_nothing,
    test_sms_test_asks_with_own_credentials_only,
)

# SMS: another workspace's number, to send from or change (tests/api/sms_tenancy.py).
FOREIGN_CASES += SMS_CASES
# Working as a team (tests/api/team_tenancy.py).
FOREIGN_CASES += TEAM_CASES
ROUTES_WITHOUT_IDS.update(TEAM_ROUTES_WITHOUT_IDS)
TEAM_TESTS = (
    test_invite_lands_in_own_workspace,
    test_preferences_are_the_tokens_member_only,
    test_report_counts_own_workspace_only,
    test_saved_replies_are_own_workspace_only,
    test_tokens_are_the_tokens_member_only,
)

_PLACEHOLDER = re.compile(r"\{(f_)?(\w+)\}")


def fill(value: Any, ids: dict[str, int], *, own: bool = False) -> Any:
    """Put the ids in; with own=True every foreign id becomes its own-workspace twin."""

    def key(m: re.Match[str]) -> str:
        return m.group(2) if own else (m.group(1) or "") + m.group(2)

    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole:
            return ids[key(whole)]
        return _PLACEHOLDER.sub(lambda m: str(ids[key(m)]), value)
    if isinstance(value, list):
        return [fill(v, ids, own=own) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, ids, own=own) for k, v in value.items()}
    return value


def _case_id(case: tuple[Any, ...]) -> str:
    _route, method, path, body, query = case
    return f"{method} {path} {body or ''} {query or ''}".strip()


def test_every_route_is_covered_by_a_tenancy_test():
    covered = {case[0] for case in FOREIGN_CASES} | set(ROUTES_WITHOUT_IDS)
    assert covered == set(ROUTES)
    assert all(name in globals() for name in ROUTES_WITHOUT_IDS.values())


@pytest.mark.parametrize("case", FOREIGN_CASES, ids=_case_id)
def test_foreign_id_is_404_and_changes_nothing(api, world, case):
    _route, method, path, body, query = case
    before = snapshot()

    response = api.request(method, fill(path, world), fill(body, world), **fill(query, world))

    assert response.status_code == 404, response.content
    assert response.json() == {"detail": "Not found."}
    assert snapshot() == before


@pytest.mark.parametrize("case", FOREIGN_CASES, ids=_case_id)
def test_same_request_with_own_ids_succeeds(api, world, case):
    # the control: the 404 above comes from the foreign id, not from a broken request
    _route, method, path, body, query = case
    own = {"own": True}

    response = api.request(
        method, fill(path, world, **own), fill(body, world, **own), **fill(query, world, **own)
    )

    assert response.status_code < 300, response.content


# Routes without ids ----------------------------------------------------------------------


def test_conversation_list_is_own_workspace_only(api, world):
    items = api.get("/conversations").json()["items"]
    assert [i["id"] for i in items] == [world["conversation"]]


def test_unread_count_is_own_only(api, world, other_member):
    # both workspaces have one unread conversation for their member
    other = ApiClient(api_token_create(member=other_member, name="t")[1])
    assert api.get("/conversations/unread-count").json() == {"unread": 1}
    assert other.get("/conversations/unread-count").json() == {"unread": 1}
    api.post(f"/conversations/{world['conversation']}/read")
    assert api.get("/conversations/unread-count").json() == {"unread": 0}
    assert other.get("/conversations/unread-count").json() == {"unread": 1}


def test_creator_list_and_search_are_own_workspace_only(api, world):
    assert [i["id"] for i in api.get("/creators").json()["items"]] == [world["creator"]]
    assert api.get("/creators", q="f_x@a.test").json()["items"] == []


def test_create_creator_lands_in_own_workspace(api, member, world):
    # the foreign workspace's email is free here: identities are unique per workspace
    response = api.post(
        "/creators", {"name": "Twin", "identities": [{"kind": "email", "value": "f_x@a.test"}]}
    )

    assert response.status_code == 201
    assert Creator.objects.get(id=response.json()["id"]).workspace_id == member.workspace_id
    foreign = Identity.objects.get(id=world["f_identity"])
    assert foreign.creator_id == world["f_creator"]


def test_tag_campaign_client_member_lists_are_own_workspace_only(api, member, world):
    assert [t["id"] for t in api.get("/tags").json()] == [world["tag"]]
    listed = [c["id"] for c in api.get("/campaigns").json()]
    assert sorted(listed) == sorted([world["campaign"], world["campaign2"]])
    assert [c["id"] for c in api.get("/clients").json()] == [world["client"]]
    members = [member.id, world["teammate"], world["invitee"]]
    assert [m["id"] for m in api.get("/members").json()] == members


def test_create_tag_with_a_foreign_name_makes_an_own_tag(api, member, world):
    response = api.post("/tags", {"name": "vip"})  # both workspaces have a "vip"

    assert response.status_code == 201
    assert response.json()["id"] == world["tag"]
    assert Tag.objects.filter(name="vip").count() == 2


def test_create_campaign_lands_in_own_workspace(api, member, world):
    response = api.post("/campaigns", {"name": "Spring", "client_id": world["client"]})

    assert response.status_code == 201
    campaign = Campaign.objects.get(id=response.json()["id"])
    assert campaign.workspace_id == member.workspace_id


def test_create_client_with_a_foreign_name(api, member, world):
    ClientFactory(workspace=Client.objects.get(id=world["f_client"]).workspace, name="Zeta")

    response = api.post("/clients", {"name": "Zeta"})

    assert response.status_code == 201
    assert Client.objects.get(id=response.json()["id"]).workspace_id == member.workspace_id


def test_notifications_are_own_only(api, member, other_member, world):
    mine = set(Notification.objects.filter(member=member).values_list("id", flat=True))

    listed = {n["id"] for n in api.get("/notifications", limit=50).json()}
    marked = api.post("/notifications/read").json()["count"]

    assert listed == mine
    assert marked == len(mine)
    assert not Notification.objects.filter(member=other_member, read_at__isnull=False).exists()


def test_message_search_is_own_workspace_only(api, member, other_member, world):
    # Both workspaces' threads have the same words ("hello 0 from ..."): each finds its own.
    hellos = Message.objects.filter(body_text__startswith="hello")
    theirs = set(hellos.filter(workspace=other_member.workspace).values_list("id", flat=True))
    mine = set(hellos.filter(workspace=member.workspace).values_list("id", flat=True))

    found = api.get("/search/messages", q="hello", limit=100).json()["items"]

    assert mine and theirs
    assert {m["id"] for m in found} == mine
    assert {m["conversation_id"] for m in found} == {world["conversation"]}


def test_me_is_the_tokens_member(api, member, world):
    body = api.get("/me").json()
    assert body["member"]["id"] == member.id
    assert body["workspace"]["id"] == member.workspace_id


def test_mailbox_list_is_own_workspace_only(api, world):
    listed = api.get("/mailboxes").json()

    assert [m["id"] for m in listed] == [world["mailbox"]]


def test_connect_mailbox_with_a_foreign_address_is_own(api, member, world, smtp_server):
    # the other workspace has connected f-brand@a.test; here it is free (send only: SMTP)
    smtp_server.handler.users["f-brand@a.test"] = PASSWORD
    before = Mailbox.objects.get(id=world["f_mailbox"])

    response = api.post(
        "/mailboxes",
        {
            "access": "send_only",
            "address": "f-brand@a.test",
            "password": PASSWORD,
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_server.port,
            "smtp_tls": "none",
        },
    )

    assert response.status_code == 201, response.content
    mailbox = Mailbox.objects.get(id=response.json()["id"])
    assert mailbox.workspace_id == member.workspace_id and not mailbox.is_default
    after = Mailbox.objects.get(id=world["f_mailbox"])
    assert (after.is_active, after.is_default, after.secret) == (True, True, before.secret)


def test_broadcast_list_is_own_workspace_only(api, world):
    listed = api.get("/broadcasts").json()

    assert [b["id"] for b in listed["items"]] == [world["broadcast"]]


# Creators in bulk: import and export (no ids in the path), an own import -----------------


def test_import_lands_in_own_workspace(api, world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.api.conftest import PREFIX

    settings.MEDIA_ROOT = tmp_path
    data = b"Name,Email\r\nNew One,new@a.test\r\nTaken,f_x@a.test\r\n"
    response = api.client.post(
        PREFIX + "/creators/imports",
        {"file": SimpleUploadedFile("c.csv", data, content_type="text/csv"), "start": "true"},
        headers=api._headers(),
    )
    assert response.status_code == 201
    from parley.creators.imports import creator_import_run

    done = creator_import_run(import_id=response.json()["id"])
    # the other workspace's address is no match here: both rows make own creators
    assert (done.created, done.updated) == (2, 0)
    own = Creator.objects.filter(workspace_id=CreatorImport.objects.get(id=done.id).workspace_id)
    assert {"New One", "Taken"} <= set(own.values_list("name", flat=True))
    assert Creator.objects.filter(name="Taken").count() == 1
