"""Writing many rows: ids reserved ahead of the rows (ids_reserve), plain rows inserted
(rows_insert) and updated (rows_update), on SQLite and PostgreSQL alike."""

import pytest
from django.db import transaction

from parley.accounts.models import Client
from parley.core.bulk import ids_reserve, rows_insert, rows_update

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
