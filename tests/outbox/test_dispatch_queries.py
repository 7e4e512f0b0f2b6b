"""The dispatcher's queries do not grow with the emails of a batch: a claim loads the items
and their messages, and the email batch loads records, attachments and recipients for all of
them at once (real SMTP server)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parley.outbox.dispatch import outbox_dispatch_due
from tests.outbox.support import emails_due, send_only_mailbox

pytestmark = pytest.mark.django_db


def _dispatch() -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        sent = outbox_dispatch_due()
    assert outbox_dispatch_due() == 0
    return sent, len(queries)


def test_a_batch_costs_the_same_queries_for_three_emails_or_nine(member, smtp_server):  # type: ignore[no-untyped-def]
    mailbox = send_only_mailbox(member, smtp_server, limit=1000)
    emails_due(member, mailbox, ["Al Zero"])
    _dispatch()  # the first of the day also makes the mailbox's day row
    before = len(smtp_server.handler.messages)
    emails_due(member, mailbox, ["Ada One", "Bo Two", "Cy Three"])
    three = _dispatch()
    emails_due(member, mailbox, [f"Dee Number{i}" for i in range(9)])
    nine = _dispatch()
    assert (three[0], nine[0]) == (3, 9)
    assert nine[1] == three[1]
    assert len(smtp_server.handler.messages) == before + 12
