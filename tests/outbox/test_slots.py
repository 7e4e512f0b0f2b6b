"""A day's slots belong to that day: a send that took a slot of one day and failed after
midnight gives the slot back to that day, not to the next one (where it would let one email
more than the limit out)."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from parley.outbox.dispatch import outbox_dispatch_due
from parley.outbox.email_send import email_message_send
from parley.outbox.models import OutboxItem, SenderDay
from tests.outbox.support import conversation_with, send_only_mailbox

pytestmark = pytest.mark.django_db

HELSINKI = ZoneInfo("Europe/Helsinki")
FRIDAY, SATURDAY = date(2026, 11, 27), date(2026, 11, 28)


def test_a_send_refused_after_midnight_gives_its_slot_back_to_the_day_it_came_from(  # type: ignore[no-untyped-def]
    member, smtp_server, monkeypatch
):
    member.workspace.time_zone = "Europe/Helsinki"
    member.workspace.save(update_fields=["time_zone"])
    with time_machine.travel(datetime(2026, 11, 27, 23, 59, 50, tzinfo=HELSINKI)) as traveller:
        # Given an email queued late on Friday on a mailbox with a limit of 2 a day
        mailbox = send_only_mailbox(member, smtp_server, limit=2)
        message = email_message_send(
            member=member,
            conversation=conversation_with(member.workspace, "Late"),
            mailbox=mailbox,
            subject="Hello",
            body="Hi!",
        )
        # And an SMTP server so slow that its answer, "try again later", comes on Saturday,
        # by when another worker has sent one of Saturday's two
        SenderDay.objects.create(sender_key=mailbox.sender_key, day=SATURDAY, used=1)

        async def refuse_after_midnight(server: Any, session: Any, envelope: Any) -> str:
            traveller.move_to(datetime(2026, 11, 28, 0, 0, 5, tzinfo=HELSINKI))
            return "451 4.3.0 Try again later"

        monkeypatch.setattr(smtp_server.handler, "handle_DATA", refuse_after_midnight)
        # When the worker sends it at 23:59:50 on Friday
        assert outbox_dispatch_due() == 0
    # Then it waits to be tried again, Friday's slot is given back to Friday, and Saturday
    # still counts the one email it sent
    item = OutboxItem.objects.get(message=message)
    assert (item.state, item.attempts) == (OutboxItem.State.PENDING, 1)
    used = dict(SenderDay.objects.filter(sender_key=mailbox.sender_key).values_list("day", "used"))
    assert used == {FRIDAY: 0, SATURDAY: 1}
