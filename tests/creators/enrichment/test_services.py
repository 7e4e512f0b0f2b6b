"""Fetch Email and audience figures through the services, against the local provider: the
request rows, the worker's run of each (found, not found, refused, rate-limited and
retried later, down and retried, a broken answer), and what is queued."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from parley.core.errors import Conflict
from parley.creators.enrichment.services import (
    MAX_ATTEMPTS,
    audience_report_run,
    audience_request,
    email_request_create,
    email_request_run,
    email_requests_create,
    enrichment_requeue_overdue,
)
from parley.creators.models import AudienceReport, EnrichmentRequest, Identity
from tests.creators.enrichment.servers import PROFILE, Answer, found, throttled
from tests.factories import CreatorFactory, IdentityFactory

pytestmark = pytest.mark.django_db


def handle(creator: Any, kind: str, value: str, primary: bool = True) -> Identity:
    return IdentityFactory(
        creator=creator, kind=kind, value=value, normalized=value.lower(), is_primary=primary
    )


def queued(task: str) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path__endswith=task).order_by("enqueued_at"))


@pytest.fixture
def creator(member):  # type: ignore[no-untyped-def]
    creator = CreatorFactory(workspace=member.workspace, name="Jäärä Müller")
    handle(creator, Identity.Kind.TIKTOK, "jaara.dances")
    return creator


# Asking ---------------------------------------------------------------------------------


def test_one_request_is_a_pending_row_queued_on_commit(
    provider, member, creator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = email_request_create(creator=creator, member=member)

    assert request.status == EnrichmentRequest.Status.PENDING
    assert (request.platform, request.handle) == ("tiktok", "jaara.dances")
    assert request.requested_by == member
    [job] = queued("email_request_task")
    assert job.args_kwargs["args"] == [request.id]
    assert provider.calls() == []  # the worker asks, not the request


def test_asking_again_while_pending_gives_the_same_request(provider, member, creator):
    first = email_request_create(creator=creator, member=member)
    again = email_request_create(creator=creator, member=member)

    assert again.id == first.id
    assert EnrichmentRequest.objects.count() == 1


def test_the_handle_asked_about_prefers_tiktok_then_the_primary(provider, member):
    creator = CreatorFactory(workspace=member.workspace)
    handle(creator, Identity.Kind.INSTAGRAM, "insta.one")
    handle(creator, Identity.Kind.YOUTUBE, "tube.one")

    request = email_request_create(creator=creator, member=member)

    assert (request.platform, request.handle) == ("instagram", "insta.one")


def test_a_creator_without_a_handle_is_a_conflict(provider, member):
    creator = CreatorFactory(workspace=member.workspace)
    handle(creator, Identity.Kind.OTHER, "somewhere")

    with pytest.raises(Conflict) as conflict:
        email_request_create(creator=creator, member=member)

    assert "handle" in str(conflict.value)
    assert not EnrichmentRequest.objects.exists()


def test_not_configured_queues_nothing(
    no_provider, member, creator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict) as conflict:
        email_request_create(creator=creator, member=member)

    assert "No enrichment provider is configured" in str(conflict.value)
    assert not EnrichmentRequest.objects.exists()
    assert queued("email_request_task") == []
    with pytest.raises(Conflict):
        audience_request(creator=creator, member=member)
    assert not AudienceReport.objects.exists()


def test_bulk_asks_for_each_and_says_why_others_were_skipped(
    provider, member, other_member, django_capture_on_commit_callbacks
):
    ws = member.workspace
    with_handles = [CreatorFactory(workspace=ws) for _ in range(3)]
    for i, c in enumerate(with_handles):
        handle(c, Identity.Kind.INSTAGRAM, f"person{i}")
    has_email = CreatorFactory(workspace=ws)
    handle(has_email, Identity.Kind.TIKTOK, "mailed")
    handle(has_email, Identity.Kind.EMAIL, "known@example.com")
    no_handle = CreatorFactory(workspace=ws)
    foreign = CreatorFactory(workspace=other_member.workspace)
    handle(foreign, Identity.Kind.TIKTOK, "elsewhere")
    already = email_request_create(creator=with_handles[0], member=member)

    ids = [c.id for c in [*with_handles, has_email, no_handle, foreign]]
    with django_capture_on_commit_callbacks(execute=True):
        outcome = email_requests_create(workspace=ws, creator_ids=ids, member=member)

    assert {r.creator_id for r in outcome.requested} == {c.id for c in with_handles}
    assert already.id in {r.id for r in outcome.requested}
    assert {s.creator.id: s.reason for s in outcome.skipped} == {
        has_email.id: "Already has an email address.",
        no_handle.id: "No Instagram, TikTok, YouTube or X handle to look up.",
    }
    assert not EnrichmentRequest.objects.filter(creator=foreign).exists()
    assert len(queued("email_request_task")) == 2  # the two new ones


# The worker's run -----------------------------------------------------------------------


def test_found_becomes_an_email_identity_from_enrichment(provider, member, creator):
    provider.script("jaara.dances", found("Jaara.Muller@Example.COM", "jaara.dances"))
    request = email_request_create(creator=creator, member=member)

    assert email_request_run(request_id=request.id) == "found"

    request.refresh_from_db()
    assert request.email == "jaara.muller@example.com"
    assert request.finished_at is not None and request.attempts == 1
    identity = request.identity
    assert identity is not None and identity.creator_id == creator.id
    assert (identity.kind, identity.normalized) == ("email", "jaara.muller@example.com")
    assert identity.source == Identity.Source.ENRICHMENT
    creator.refresh_from_db()
    assert "jaara.muller@example.com" in creator.search_text
    assert len(provider.calls(PROFILE)) == 1


def test_run_twice_asks_once(provider, member, creator):
    request = email_request_create(creator=creator, member=member)

    email_request_run(request_id=request.id)
    assert email_request_run(request_id=request.id) == "found"

    assert len(provider.calls()) == 1


def test_a_leased_request_is_left_to_its_worker(provider, member, creator):
    request = email_request_create(creator=creator, member=member)
    EnrichmentRequest.objects.filter(id=request.id).update(
        lease_until=timezone.now() + timedelta(minutes=1)
    )

    assert email_request_run(request_id=request.id) == "pending"
    assert provider.calls() == []


@pytest.mark.parametrize("kind", ["empty", "404"])
def test_not_found(provider, member, kind):
    creator = CreatorFactory(workspace=member.workspace)
    handle(creator, Identity.Kind.TIKTOK, "no.email" if kind == "empty" else "nobody")
    request = email_request_create(creator=creator, member=member)

    assert email_request_run(request_id=request.id) == "not_found"

    request.refresh_from_db()
    assert request.email == "" and request.identity is None
    assert not creator.identities.filter(kind="email").exists()


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_fails_with_the_reason(provider, member, creator, status):
    provider.script("jaara.dances", Answer(status, {"detail": "Invalid token."}))
    request = email_request_create(creator=creator, member=member)

    assert email_request_run(request_id=request.id) == "failed"

    request.refresh_from_db()
    assert f"refused the API key ({status})" in request.note
    assert request.finished_at is not None


def test_429_is_retried_after_retry_after_not_failed(
    provider, member, creator, django_capture_on_commit_callbacks
):
    provider.script("jaara.dances", throttled(7), found("jaara@example.com"))
    request = email_request_create(creator=creator, member=member)
    start = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        assert email_request_run(request_id=request.id) == "pending"

    request.refresh_from_db()
    assert request.status == "pending" and request.attempts == 1
    assert start + timedelta(seconds=6) <= request.retry_at <= timezone.now() + timedelta(seconds=8)
    assert request.lease_until is None
    [job] = queued("email_request_task")  # queued again, for then
    assert job.args_kwargs["args"] == [request.id]
    assert abs((job.run_after - request.retry_at).total_seconds()) < 1

    # A copy of the task that runs early does not ask the provider before its time.
    with django_capture_on_commit_callbacks(execute=True):
        assert email_request_run(request_id=request.id) == "pending"
    assert len(provider.calls()) == 1

    with time_machine.travel(request.retry_at + timedelta(seconds=1)):
        assert email_request_run(request_id=request.id) == "found"
    request.refresh_from_db()
    assert request.email == "jaara@example.com" and request.retry_at is None
    assert len(provider.calls()) == 2


def test_5xx_is_retried_with_a_back_off_then_failed(provider, member, creator):
    provider.script("jaara.dances", *[Answer(503, {"detail": "Down."})] * MAX_ATTEMPTS)
    request = email_request_create(creator=creator, member=member)
    waits = []

    for _ in range(MAX_ATTEMPTS - 1):
        now = timezone.now()
        with time_machine.travel(request.retry_at or now):
            assert email_request_run(request_id=request.id) == "pending"
        request.refresh_from_db()
        waits.append(request.retry_at - now)
    with time_machine.travel(request.retry_at):
        assert email_request_run(request_id=request.id) == "failed"

    request.refresh_from_db()
    assert waits == sorted(waits) and waits[0] >= timedelta(seconds=29)
    assert "unavailable (503)" in request.note
    assert request.attempts == MAX_ATTEMPTS
    assert len(provider.calls()) == MAX_ATTEMPTS


def test_an_answer_that_is_not_json_fails(provider, member, creator):
    provider.script("jaara.dances", Answer(body=b"<html>oops</html>"))
    request = email_request_create(creator=creator, member=member)

    assert email_request_run(request_id=request.id) == "failed"

    request.refresh_from_db()
    assert "not valid JSON" in request.note


def test_an_address_another_creator_has_is_noted_not_moved(provider, member, creator):
    other = CreatorFactory(workspace=member.workspace, name="Åsa Öberg")
    handle(other, Identity.Kind.EMAIL, "shared@example.com")
    provider.script("jaara.dances", found("shared@example.com"))
    request = email_request_create(creator=creator, member=member)

    assert email_request_run(request_id=request.id) == "found"

    request.refresh_from_db()
    assert request.identity is None
    assert "Åsa Öberg" in request.note
    assert other.identities.get(kind="email").normalized == "shared@example.com"
    assert not creator.identities.filter(kind="email").exists()


def test_an_address_the_creator_has_is_linked(provider, member, creator):
    own = handle(creator, Identity.Kind.EMAIL, "mine@example.com")
    provider.script("jaara.dances", found("MINE@example.com"))
    request = email_request_create(creator=creator, member=member)

    email_request_run(request_id=request.id)

    request.refresh_from_db()
    assert request.identity == own
    own.refresh_from_db()
    assert own.source == Identity.Source.MANUAL


def test_an_invalid_address_from_the_provider_fails(provider, member, creator):
    provider.script("jaara.dances", found("not an address"))
    request = email_request_create(creator=creator, member=member)

    assert email_request_run(request_id=request.id) == "failed"
    assert not creator.identities.filter(kind="email").exists()


def test_key_removed_before_the_run_fails_without_asking(provider, member, creator, settings):
    request = email_request_create(creator=creator, member=member)
    settings.PARLEY_ENRICHMENT = {**settings.PARLEY_ENRICHMENT, "api_key": ""}

    assert email_request_run(request_id=request.id) == "failed"
    assert provider.calls() == []


def test_overdue_requests_are_queued_again(
    provider, member, creator, django_capture_on_commit_callbacks
):
    request = email_request_create(creator=creator, member=member)
    fresh = CreatorFactory(workspace=member.workspace)
    handle(fresh, Identity.Kind.TIKTOK, "fresh.one")
    email_request_create(creator=fresh, member=member)
    EnrichmentRequest.objects.filter(id=request.id).update(
        updated_at=timezone.now() - timedelta(minutes=10)
    )

    assert enrichment_requeue_overdue() == 1
    [job] = queued("email_request_task")
    assert job.args_kwargs["args"] == [request.id]
    assert enrichment_requeue_overdue() == 0  # touched: not queued again at once


# Audience figures -------------------------------------------------------------------------


def test_demographics_are_fetched_and_cached_with_the_date(
    provider, member, creator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = audience_request(creator=creator, member=member)
    assert report.status == "pending" and report.handle == "jaara.dances"
    assert len(queued("audience_report_task")) == 1

    assert audience_report_run(report_id=report.id) == "ready"

    report.refresh_from_db()
    assert report.fetched_at is not None and report.followers == 254_300
    assert report.genders == [
        {"code": "FEMALE", "share": 0.6188},
        {"code": "MALE", "share": 0.3812},
    ]
    assert report.ages[0] == {"code": "18-24", "share": 0.4902}
    assert report.countries[0] == {"code": "FI", "name": "Finland", "share": 0.31}

    # Asked again within PARLEY_AUDIENCE_MAX_AGE_DAYS: the cache, no new fetch.
    with django_capture_on_commit_callbacks(execute=True):
        again = audience_request(creator=creator, member=member)
    assert again.status == "ready" and len(queued("audience_report_task")) == 1

    # Refresh fetches again; the figures on file stay until new ones arrive.
    with django_capture_on_commit_callbacks(execute=True):
        refreshed = audience_request(creator=creator, member=member, force=True)
    assert refreshed.status == "pending" and refreshed.genders == report.genders
    assert len(queued("audience_report_task")) == 2


def test_stale_demographics_are_fetched_again(provider, member, creator, settings):
    report = audience_request(creator=creator, member=member)
    audience_report_run(report_id=report.id)
    later = timezone.now() + timedelta(days=settings.PARLEY_AUDIENCE_MAX_AGE_DAYS + 1)

    with time_machine.travel(later):
        assert audience_request(creator=creator, member=member).status == "pending"


def test_demographics_need_a_tiktok_handle(provider, member):
    creator = CreatorFactory(workspace=member.workspace)
    handle(creator, Identity.Kind.INSTAGRAM, "only.insta")

    with pytest.raises(Conflict):
        audience_request(creator=creator, member=member)


def test_no_audience_and_failures_keep_the_figures_on_file(provider, member, creator):
    report = audience_request(creator=creator, member=member)
    audience_report_run(report_id=report.id)
    report.refresh_from_db()
    figures, fetched = report.genders, report.fetched_at

    empty = {"audience_followers": {"success": False, "error": "empty_audience"}}
    provider.script("jaara.dances", Answer(body={"result": {"tiktok": {"audience": empty}}}))
    audience_request(creator=creator, member=member, force=True)
    assert audience_report_run(report_id=report.id) == "not_found"
    report.refresh_from_db()
    assert report.genders == figures and report.fetched_at == fetched
    assert "no audience figures" in report.note

    provider.script("jaara.dances", Answer(403, {"detail": "Forbidden."}))
    audience_request(creator=creator, member=member, force=True)
    assert audience_report_run(report_id=report.id) == "failed"
    report.refresh_from_db()
    assert report.genders == figures and "(403)" in report.note


def test_demographics_429_is_retried_later(
    provider, member, creator, django_capture_on_commit_callbacks
):
    provider.script("jaara.dances", throttled(30))
    report = audience_request(creator=creator, member=member)

    with django_capture_on_commit_callbacks(execute=True):
        assert audience_report_run(report_id=report.id) == "pending"

    report.refresh_from_db()
    assert report.retry_at is not None and report.retry_at > timezone.now() + timedelta(seconds=25)
    with time_machine.travel(report.retry_at + timedelta(seconds=1)):
        assert audience_report_run(report_id=report.id) == "ready"
