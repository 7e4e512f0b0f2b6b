"""The portal's tests: a creator invited by the brand, and a browser (a test client) signed
in as them through a real magic link taken from the email Parley sent."""

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core import mail
from django.test import Client

from parley.accounts.models import Member
from parley.creators.models import Creator
from parley.portal.models import PortalAccess
from parley.portal.services import portal_invite
from tests.campaigns.assets_support import Setup

LINK = re.compile(r"/portal/link/([A-Za-z0-9_-]+)/")


def last_token(to: str) -> str:
    """The token of the newest portal link emailed to `to`."""
    for message in reversed(mail.outbox):
        if to in message.to:
            found = LINK.search(message.body)
            assert found, message.body
            return found.group(1)
    raise AssertionError(f"no portal email to {to}")


@dataclass
class Portal:
    setup: Setup
    access: PortalAccess
    client: Client


@pytest.fixture
def invite(django_capture_on_commit_callbacks) -> Callable[..., PortalAccess]:  # type: ignore[no-untyped-def]
    def do(member: Member, creator: Creator) -> PortalAccess:
        with django_capture_on_commit_callbacks(execute=True):
            return portal_invite(actor=member, creator=creator)

    return do


@pytest.fixture
def sign_in(invite) -> Callable[..., Client]:  # type: ignore[no-untyped-def]
    """A new test client signed in to the portal as the creator (invited first)."""

    def do(member: Member, creator: Creator) -> Client:
        access = invite(member, creator)
        client = Client()
        response = client.post(f"/portal/link/{last_token(access.account.email)}/")
        assert response.status_code == 302, response.content
        return client

    return do


@pytest.fixture
def ann(spring: Setup, sign_in) -> Portal:  # type: ignore[no-untyped-def]
    client = sign_in(spring.member, spring.creator)
    return Portal(
        setup=spring,
        access=PortalAccess.objects.select_related("account").get(creator=spring.creator),
        client=client,
    )
