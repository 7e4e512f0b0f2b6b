"""`__among`: `__in` for many integer ids, one array parameter on PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parley.creators.models import Creator
from tests.factories import CreatorFactory

pytestmark = pytest.mark.django_db


def test_among_finds_what_in_finds(member):
    made = [CreatorFactory(workspace=member.workspace) for _ in range(5)]
    ids = [made[0].id, made[3].id, made[4].id, 10**12]
    among = Creator.objects.filter(id__among=ids).order_by("id")
    assert list(among) == list(Creator.objects.filter(id__in=ids).order_by("id"))
    assert Creator.objects.filter(id__among=[]).count() == 0
    assert Creator.objects.exclude(id__among=ids).count() == 2
    # a foreign key, across a relation, and in an update
    assert Creator.objects.filter(workspace_id__among=[member.workspace_id]).count() == 5
    assert Creator.objects.filter(workspace__id__among=[member.workspace_id]).count() == 5
    assert Creator.objects.filter(id__among=ids).update(followers=7) == 3


def test_among_sends_the_ids_as_one_array_on_postgresql(member):
    ids = list(range(1, 2001))
    with CaptureQueriesContext(connection) as queries:
        list(Creator.objects.filter(id__among=ids))
    sql = queries.captured_queries[0]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql and " IN (" not in sql
    else:
        assert " IN (" in sql


@pytest.mark.parametrize("bad", [["1; DROP TABLE x"], [None], ["}{"]])
def test_among_takes_integers_only(bad):
    with pytest.raises((TypeError, ValueError)):
        Creator.objects.filter(id__among=bad)
