"""Coupon codes under concurrent requests: many threads (each its own database connection
and transaction) take codes of one pool at once, for different creators and for the same
ones; no code goes to two creators, no creator gets two codes, and a creator asked for
twice gets the same code. On PostgreSQL the requests really overlap (SELECT … FOR UPDATE
SKIP LOCKED); on SQLite they queue for the write lock."""

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from parley.campaigns.assets.coupons import coupon_assign, coupons_assign_many, pool_add
from parley.campaigns.models import CouponCode
from parley.core.errors import Conflict
from tests.campaigns.assets_support import creator_in
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 12
CREATORS = 40


def _run(workers: list[threading.Thread]) -> None:
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(w.is_alive() for w in workers)


def test_many_threads_one_pool_no_code_twice(member):
    campaign = CampaignFactory(workspace=member.workspace, name="Rush")
    creators = [creator_in(campaign, name=f"Creator {i}") for i in range(CREATORS)]
    # Fewer codes than creators: some requests must find the pool empty.
    pool_add(campaign=campaign, codes=[f"RUSH-{i:03d}" for i in range(CREATORS - 5)])
    start = threading.Barrier(THREADS)
    got: list[tuple[int, str]] = []
    empty: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        try:
            start.wait()
            # Each thread asks for every creator, from its own starting point: the same
            # creator is asked for by several threads at the same time.
            for k in range(CREATORS):
                creator = creators[(n * 7 + k) % CREATORS]
                try:
                    code, _new = coupon_assign(actor=None, campaign=campaign, creator=creator)
                except Conflict:
                    with lock:
                        empty.append(creator.id)
                    continue
                with lock:
                    got.append((creator.id, code.code))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    _run([threading.Thread(target=work, args=(n,)) for n in range(THREADS)])

    assert not errors, errors
    assigned = list(
        CouponCode.objects.filter(campaign=campaign, creator__isnull=False).values_list(
            "creator_id", "code"
        )
    )
    assert len(assigned) == CREATORS - 5  # every code given out once the pool ran dry
    assert len({code for _c, code in assigned}) == len(assigned)
    assert len({creator for creator, _code in assigned}) == len(assigned)
    # Whatever a thread was told is what the creator has.
    theirs = dict(assigned)
    assert all(theirs[creator] == code for creator, code in got)
    # Those refused for an empty pool are exactly those without a code.
    assert set(empty) == {c.id for c in creators} - set(theirs)
    assert Counter(creator for creator, _code in got).most_common(1)[0][1] <= THREADS


def test_bulk_and_single_requests_together(member):
    campaign = CampaignFactory(workspace=member.workspace, name="Mixed")
    creators = [creator_in(campaign, name=f"Mixed {i}") for i in range(30)]
    pool_add(campaign=campaign, codes=[f"MIX-{i:03d}" for i in range(30)])
    ids = [c.id for c in creators]
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def bulk(part: list[int]) -> None:
        try:
            start.wait()
            coupons_assign_many(actor=None, campaign=campaign, creator_ids=part)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def single(part: list[int]) -> None:
        try:
            start.wait()
            for creator in creators:
                if creator.id in part:
                    coupon_assign(actor=None, campaign=campaign, creator=creator)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    halves = [ids[:15], ids[15:], ids[::2]]
    _run(
        [threading.Thread(target=bulk, args=(h,)) for h in halves]
        + [threading.Thread(target=single, args=(h,)) for h in halves]
    )

    assert not errors, errors
    rows = list(CouponCode.objects.filter(campaign=campaign).values_list("creator_id", "code"))
    given = [creator for creator, _code in rows if creator is not None]
    assert sorted(given) == sorted(ids)  # each creator exactly one code, every code once


def test_postgresql_skips_locked_codes(member):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises writers")
    from django.db import transaction

    from parley.campaigns.assets.coupons import _take_free

    campaign = CampaignFactory(workspace=member.workspace, name="Locks")
    pool_add(campaign=campaign, codes=["L-1", "L-2"])
    held = threading.Event()
    release = threading.Event()
    seen: list[list[int]] = []

    def holder() -> None:
        try:
            with transaction.atomic():
                seen.append(_take_free(campaign, 1))
                held.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    assert held.wait(30)
    with transaction.atomic():
        other = _take_free(campaign, 2)
    release.set()
    thread.join(30)
    first = seen[0]
    assert len(first) == 1 and len(other) == 1 and set(first).isdisjoint(other)
