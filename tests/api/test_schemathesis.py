"""The API keeps its contract: schemathesis generates requests from the OpenAPI schema,
valid and invalid, for every operation, and checks every answer against the schema.

Checks: no 5xx; every status, content type and body documented; a request the schema calls
valid is accepted (2xx, or 404/409 for an id that is not there or a name that is taken);
one it calls invalid is rejected. Bounded and repeatable: a fixed seed, derandomized
Hypothesis, a few examples an operation (the run takes about a minute; `make test` runs it).
"""

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from parley.accounts.models import Member
from parley.accounts.services import api_token_create
from parley.channels.email.models import Mailbox
from tests.factories import (
    CampaignFactory,
    ClientFactory,
    CreatorFactory,
    IdentityFactory,
    MemberFactory,
    TagFactory,
)

# Examples per operation in the fuzzing phase; the examples and coverage phases add their own
# (about 2,000 cases in all, a minute or so on a developer machine). PARLEY_SCHEMATHESIS_EXAMPLES
# raises it for a deeper run.
EXAMPLES = int(os.environ.get("PARLEY_SCHEMATHESIS_EXAMPLES", "12"))
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20_110_311,
        # Query parameters the schema does not name are ignored, as HTTP clients expect
        # (a cache-buster must not break a call); so the run does not send any.
        "generation": {
            "max-examples": EXAMPLES,
            "deterministic": True,
            "allow-extra-parameters": False,
        },
        "phases": {"stateful": {"enabled": False}},
        "operations": [
            # A CSV upload: no schema can say that a file is a CSV Parley can read, so a
            # file the schema allows (any bytes) may still be a 422 on `file`.
            {
                "include-path": "/api/v1/creators/imports",
                "include-method": "POST",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]
                    }
                },
            },
            # A mass message: no schema can say that a body is a template Parley can write
            # (its syntax, the fields it names), nor how many creators a filter matches, so
            # one the schema allows may still be a 422 with the check's problems.
            {
                "include-path": "/api/v1/broadcasts",
                "include-method": "POST",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]
                    }
                },
            },
            # Campaigns: templates are Jinja2 (syntax, known fields) and dates must be in
            # order; a status change that sends an email needs a mailbox and the creator's
            # address. No schema can say that, so a request it allows may still be a 422.
            *(
                {
                    "include-path": path,
                    "include-method": method,
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": ["2xx", "401", "404", "409", "422"]
                        }
                    },
                }
                for method, path in (
                    # Saved replies: Jinja2 like the campaigns' templates; filled in for a
                    # creator, a field may have no value for them.
                    ("POST", "/api/v1/saved-replies"),
                    ("PATCH", "/api/v1/saved-replies/{reply_id}"),
                    ("POST", "/api/v1/saved-replies/{reply_id}/render"),
                    # A message's new text: an SMS may be over the segment cap.
                    ("PATCH", "/api/v1/conversations/{conversation_id}/messages/{message_id}"),
                    # Message search: a text the schema allows may hold no word of two
                    # letters or digits, or too many words, to look for.
                    ("GET", "/api/v1/search/messages"),
                    ("POST", "/api/v1/campaigns"),
                    ("PATCH", "/api/v1/campaigns/{campaign_id}"),
                    ("PUT", "/api/v1/campaigns/{campaign_id}/members/{creator_id}"),
                    ("POST", "/api/v1/campaigns/{campaign_id}/transitions"),
                )
            ),
        ],
    }
)

schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", get_wsgi_application(), config=CONFIG
)


@pytest.fixture
def wsgi_in_test_transaction() -> Iterator[None]:
    """Calls through the WSGI app must not close the test's database connection (Django's
    own test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def no_mail_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connecting a mailbox tries its servers first: here every login is taken, so no case
    reaches the network (tests/api/test_mailboxes.py connects to real ones)."""
    monkeypatch.setattr("parley.channels.email.services.connection_test", lambda **kwargs: [])


@pytest.fixture
def token(db: Any, wsgi_in_test_transaction: None, no_mail_servers: None, twilio: Any) -> str:
    """A member whose workspace has a little of everything, so that some ids are real.
    Twilio is the local one (tests/channels/sms/twilio_fake.py): connecting SMS asks it, and
    no case reaches the network."""
    member = MemberFactory(role=Member.Role.OWNER)
    ws = member.workspace
    MemberFactory(workspace=ws, role=Member.Role.MEMBER)
    client = ClientFactory(workspace=ws)
    creator = CreatorFactory(workspace=ws)
    IdentityFactory(creator=creator)
    TagFactory(workspace=ws)
    CampaignFactory(workspace=ws, client=client)
    Mailbox.objects.create(
        workspace=ws, address="team@brand.test", connected_at=timezone.now(), is_default=True
    )
    _token, raw = api_token_create(member=member, name="schemathesis")
    return raw


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_keeps_its_contract(case: Any, token: str) -> None:
    # A cursor is opaque: only a `next_cursor` the API gave is one, any other is a 422 (as
    # the schema says). Text made up from the schema never is, so valid cases go without.
    if case.meta.generation.mode.is_positive and case.query and "cursor" in case.query:
        del case.query["cursor"]
    # The schema's bearer scheme makes schemathesis send a made-up token, or none at all when
    # it tests that a request without one is refused: the made-up one becomes a real one.
    headers = (
        {"Authorization": f"Bearer {token}"} if "Authorization" in (case.headers or {}) else {}
    )
    response = case.call_and_validate(headers=headers)
    STATUSES[response.status_code // 100] = STATUSES.get(response.status_code // 100, 0) + 1


STATUSES: dict[int, int] = {}


def teardown_module() -> None:
    counts = ", ".join(f"{k}xx: {v}" for k, v in sorted(STATUSES.items()))
    print(f"\nschemathesis: {sum(STATUSES.values())} cases ({counts})")
