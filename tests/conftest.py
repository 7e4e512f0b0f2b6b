"""Shared fixtures: a workspace with two members, a second workspace for tenancy checks,
and helpers that create conversations through the real services."""

from collections.abc import Callable
from datetime import datetime

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import translation

from parley.accounts.models import Member
from parley.creators.models import Creator
from parley.inbox.models import Conversation, Message
from parley.inbox.services import conversation_get_or_create, message_record
from tests.factories import CreatorFactory, MemberFactory, WorkspaceFactory

pytest_plugins = [
    "tests.browser_fixtures",
    "tests.campaigns.assets_support",
    "tests.email_fixtures",
    "tests.enrichment_fixtures",
    "tests.sms_fixtures",
    "tests.tasks_fixtures",
]


@pytest.fixture(autouse=True, scope="session")
def _quick_password_hashing():  # type: ignore[no-untyped-def]
    """Passwords hashed with MD5 in tests: the real hasher spends about half a second of CPU
    on every member a test makes, which was most of the suite's time. What is tested is
    who may sign in, not the hasher's strength; a hash made by another process (a command
    run as a subprocess) is still read with the real one."""
    hashers = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    with override_settings(PASSWORD_HASHERS=hashers):
        yield


@pytest.fixture(autouse=True)
def _default_language():  # type: ignore[no-untyped-def]
    """Each test starts in the default language: a request in Finnish leaves Finnish active
    in its thread, and the next test in that process would read Finnish messages."""
    yield
    translation.deactivate()


@pytest.fixture
def member(db) -> Member:  # type: ignore[no-untyped-def]
    return MemberFactory(role=Member.Role.OWNER)


@pytest.fixture
def teammate(member: Member) -> Member:
    return MemberFactory(workspace=member.workspace, role=Member.Role.MEMBER)


@pytest.fixture
def other_member(db) -> Member:  # type: ignore[no-untyped-def]
    """A member of a second, unrelated workspace."""
    return MemberFactory(workspace=WorkspaceFactory(name="Other Co"))


@pytest.fixture
def make_conversation(member: Member) -> Callable[..., Conversation]:
    """A creator with a conversation, through the services; inbound messages if asked."""

    def make(
        *, workspace=None, name: str | None = None, inbound: int = 0, at: datetime | None = None
    ) -> Conversation:  # type: ignore[no-untyped-def]
        ws = workspace or member.workspace
        creator: Creator = CreatorFactory(workspace=ws, **({"name": name} if name else {}))
        conversation = conversation_get_or_create(creator=creator, at=at)
        for i in range(inbound):
            message_record(
                conversation=conversation,
                channel="email",
                direction=Message.Direction.INBOUND,
                status=Message.Status.RECEIVED,
                body_text=f"hello {i} from {creator.name}",
                author_creator=creator,
                created_at=at,
            )
        conversation.refresh_from_db()
        return conversation

    return make


@pytest.fixture
def logged_in(client, member: Member):  # type: ignore[no-untyped-def]
    client.force_login(member.user)
    return client


def database_url() -> str:
    """The test database as a DATABASE_URL, for a second process (worker, shell) to use."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"
