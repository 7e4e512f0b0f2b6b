"""Writing many rows: ids reserved ahead of the rows (ids_reserve), plain rows inserted
(rows_insert) and updated (rows_update), on SQLite and PostgreSQL alike."""

from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from parley.accounts.models import Client
from parley.core.bulk import ids_reserve, rows_insert, rows_update
from parley.outbox.models import OutboxItem
from parley.outbox.services import message_send

pytestmark = pytest.mark.django_db(transaction=True)


def _insert(workspace_id: int, ids: list[int], prefix: str) -> None:
    rows_insert(
        Client, ["id", "workspace_id", "name"], ((i, workspace_id, f"{prefix}{i}") for i in ids)
    )


def test_reserved_ids_are_new_and_the_rows_take_them(member):
    workspace_id = member.workspace_id
    with transaction.atomic():
        first = ids_reserve(Client, 3)
        _insert(workspace_id, first, "a")
    # the highest row deleted: its id is never handed out again
    Client.objects.filter(id=first[-1]).delete()
    with transaction.atomic():
        second = ids_reserve(Client, 2)
        _insert(workspace_id, second, "b")
    assert len(set(first)) == 3 and len(set(second)) == 2
    assert min(second) > max(first)
    assert sorted(Client.objects.values_list("id", flat=True)) == [*first[:2], *second]
    # and the ordinary way of adding a row goes on after them
    made = Client.objects.create(workspace_id=workspace_id, name="after")
    assert made.id > max(second)


def test_nothing_to_reserve():
    assert ids_reserve(Client, 0) == []


def test_rows_update_writes_each_rows_own_values(member):
    with transaction.atomic():
        ids = ids_reserve(Client, 3)
        _insert(member.workspace_id, ids, "c")
    clients = list(Client.objects.filter(id__in=ids).order_by("id"))
    for client in clients:
        client.name = f"renamed {client.id}"
    assert rows_update(clients, ["name"]) == 3
    assert list(
        Client.objects.filter(id__in=ids).order_by("id").values_list("name", flat=True)
    ) == [f"renamed {i}" for i in ids]


def test_rows_update_writes_every_kind_of_value_and_nulls(member, make_conversation):
    later = timezone.now() + timedelta(days=1)
    conversation = make_conversation(name="Ada")
    for body in ("one", "two"):
        message_send(
            member=member, conversation=conversation, channel="inapp", body=body, send_at=later
        )
    first, second = OutboxItem.objects.filter(message__conversation=conversation).order_by("id")
    when = timezone.now().replace(microsecond=123456)
    first.state, first.attempts, first.lease_until, first.leased_by = "done", 3, None, ""
    first.last_error, first.reserved_day = "it's \u202e“quoted”, ünïcödé", date(2026, 11, 28)
    second.state, second.attempts, second.lease_until, second.leased_by = "pending", 0, when, "w1"
    second.last_error, second.reserved_day = "", None
    fields = ["state", "attempts", "lease_until", "leased_by", "last_error", "reserved_day"]
    assert rows_update([first, second], fields) == 2
    got = OutboxItem.objects.filter(id__in=[first.id, second.id]).order_by("id")
    assert list(got.values_list(*fields)) == [
        ("done", 3, None, "", "it's \u202e“quoted”, ünïcödé", date(2026, 11, 28)),
        ("pending", 0, when, "w1", "", None),
    ]
