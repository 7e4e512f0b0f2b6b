"""Writes of enrichment: Fetch Email requests and audience figures, asked for by members
(or the API) and fulfilled in the worker.

A request is a row first (pending), then a task (on commit) that asks the provider outside
any transaction and records the answer in a short one. The row carries its own lease and
retry time, so a task that runs twice, or early, asks the provider once, and never before
the provider's Retry-After. A 429 keeps the request pending and reschedules it; a 5xx or a
network error is tried again a few times with a back-off; a refused key, a refused request
or an answer that is not what the provider documents fails it with the reason.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parley.accounts.models import Member, Workspace
from parley.core.errors import Conflict, ValidationFailed
from parley.creators.enrichment.providers import (
    Audience,
    NotConfigured,
    Provider,
    ProviderError,
    RateLimited,
    enrichment_provider,
)
from parley.creators.models import AudienceReport, Creator, EnrichmentRequest, Identity
from parley.creators.normalize import identity_normalize
from parley.creators.services import identity_add

log = logging.getLogger(__name__)

# How long one worker may ask the provider about one row before another may take it over.
LEASE = timedelta(minutes=2)
# 5xx / unreachable: tried this many times in all, waiting this long before each retry.
MAX_ATTEMPTS = 4
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10))
# A 429 is never a failure, but a provider that answers nothing else for this many tries
# (days, at its Retry-After) is one.
MAX_RATE_LIMITED = 200
# A task that has not run this long after its time was lost: queued again.
OVERDUE = timedelta(minutes=2)

NO_HANDLE = gettext_lazy("No Instagram, TikTok, YouTube or X handle to look up.")
HAS_EMAIL = gettext_lazy("Already has an email address.")
ALREADY_PENDING = gettext_lazy("A request is already pending.")


def _provider_or_conflict() -> Provider:
    try:
        return enrichment_provider()
    except NotConfigured as exc:
        raise Conflict(exc.message) from exc


# Fetch Email --------------------------------------------------------------------------


@dataclass
class Skipped:
    creator: Creator
    reason: str


@dataclass
class EmailRequests:
    """What asking for many creators did: a pending request for each of `requested` (new,
    or the one already pending) and why the others were skipped."""

    requested: list[EnrichmentRequest] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _lookup_handle(identities: list[Identity], platforms: tuple[str, ...]) -> Identity | None:
    """The handle to ask the provider about: the first platform it knows that the creator
    has, the primary handle of that platform first."""
    for platform in platforms:
        ofkind = [i for i in identities if i.kind == platform]
        if ofkind:
            return sorted(ofkind, key=lambda i: (not i.is_primary, i.id))[0]
    return None


def email_requests_create(
    *,
    workspace: Workspace,
    creator_ids: Iterable[int],
    member: Member | None = None,
    skip_with_email: bool = True,
) -> EmailRequests:
    """Fetch Email for these creators (ids of other workspaces are ignored): one pending
    request each, queued for the worker. A creator with a request already pending gets that
    one back; one with no handle the provider knows (or, with `skip_with_email`, one that
    has an email already) is skipped with the reason. Conflict when no provider is
    configured: then nothing is queued. Five queries, however many creators."""
    provider = _provider_or_conflict()
    creators = list(
        Creator.objects.filter(workspace=workspace, id__in=list(creator_ids)).order_by("id")
    )
    outcome = EmailRequests()
    if not creators:
        return outcome
    ids = [c.id for c in creators]
    identities: dict[int, list[Identity]] = {}
    for identity in Identity.objects.filter(
        creator_id__in=ids, kind__in=[*provider.platforms, Identity.Kind.EMAIL]
    ).order_by("id"):
        identities.setdefault(identity.creator_id, []).append(identity)
    pending = {
        r.creator_id: r
        for r in EnrichmentRequest.objects.filter(
            creator_id__in=ids, status=EnrichmentRequest.Status.PENDING
        )
    }
    new: list[EnrichmentRequest] = []
    for creator in creators:
        if creator.id in pending:
            outcome.requested.append(pending[creator.id])
            continue
        own = identities.get(creator.id, [])
        if skip_with_email and any(i.kind == Identity.Kind.EMAIL for i in own):
            outcome.skipped.append(Skipped(creator, str(HAS_EMAIL)))
            continue
        handle = _lookup_handle(own, provider.platforms)
        if handle is None:
            outcome.skipped.append(Skipped(creator, str(NO_HANDLE)))
            continue
        new.append(
            EnrichmentRequest(
                workspace_id=workspace.pk,
                creator=creator,
                requested_by=member,
                provider=provider.key,
                platform=handle.kind,
                handle=handle.normalized,
            )
        )
    with transaction.atomic():
        # A request made at the same moment elsewhere wins; this one is then not made.
        EnrichmentRequest.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
        made = list(
            EnrichmentRequest.objects.filter(
                creator_id__in=[r.creator_id for r in new],
                status=EnrichmentRequest.Status.PENDING,
            )
        )
        request_ids = [r.id for r in made]
        transaction.on_commit(lambda: _enqueue_email(request_ids))
    outcome.requested.extend(made)
    return outcome


def email_request_create(*, creator: Creator, member: Member | None = None) -> EnrichmentRequest:
    """Fetch Email for one creator (the kebab, the API). It runs even when the creator has
    an email already (it may be bouncing); Conflict when there is no handle to look up or
    no provider."""
    outcome = email_requests_create(
        workspace=creator.workspace, creator_ids=[creator.id], member=member, skip_with_email=False
    )
    if outcome.skipped:
        raise Conflict({"creator": [outcome.skipped[0].reason]})
    return outcome.requested[0]


def _enqueue_email(request_ids: list[int], run_after: datetime | None = None) -> None:
    from parley.creators.enrichment.tasks import email_request_task

    task = email_request_task.using(run_after=run_after) if run_after else email_request_task
    for request_id in request_ids:
        task.enqueue(request_id)


def _enqueue_audience(report_id: int, run_after: datetime | None = None) -> None:
    from parley.creators.enrichment.tasks import audience_report_task

    task = audience_report_task.using(run_after=run_after) if run_after else audience_report_task
    task.enqueue(report_id)


def _claim(model: type[EnrichmentRequest] | type[AudienceReport], pk: int, now: datetime) -> bool:
    """Take the row for one provider call: pending, due, and no other worker on it."""
    pending = model.Status.PENDING  # type: ignore[attr-defined]
    return bool(
        model.objects.filter(pk=pk, status=pending)
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE)
    )


@dataclass
class _Retry:
    """What to do with a retryable failure: when to try again, or give up with a reason."""

    at: datetime | None
    note: str


def _retry(row: EnrichmentRequest | AudienceReport, exc: ProviderError, now: datetime) -> _Retry:
    if isinstance(exc, RateLimited):
        if row.attempts + 1 >= MAX_RATE_LIMITED:
            return _Retry(None, exc.message)
        return _Retry(now + timedelta(seconds=exc.retry_after), exc.message)
    if row.attempts + 1 >= MAX_ATTEMPTS:
        return _Retry(None, exc.message)
    return _Retry(now + BACKOFF[min(row.attempts, len(BACKOFF) - 1)], exc.message)


def _run(
    model: type[Any],
    pk: int,
    *,
    ask: Callable[[Provider, Any], Any],
    record: Callable[[Any, Any, datetime], None],
    enqueue: Callable[[int, datetime], None],
) -> str:
    """One provider call for a pending row: claim it, ask outside any transaction, record.
    Returns the row's status after (idempotent: a row that is not pending, not due yet or
    leased is left as it is, and one not due is queued again for its time)."""
    now = timezone.now()
    row = model.objects.filter(pk=pk).first()
    if row is None:
        return "gone"
    if row.status == model.Status.PENDING and row.retry_at and row.retry_at > now:
        # Run early (a second copy of the task): the provider said when; wait for it.
        due = row.retry_at
        transaction.on_commit(lambda: enqueue(pk, due))
        return str(row.status)
    if not _claim(model, pk, now):
        return str(row.status)
    row.refresh_from_db()
    try:
        provider = enrichment_provider()
        answer = ask(provider, row)
    except NotConfigured as exc:
        _finish_failed(row, exc.message)
        return str(row.status)
    except ProviderError as exc:
        if exc.retryable:
            retry = _retry(row, exc, timezone.now())
            if retry.at is not None:
                row.attempts += 1
                row.retry_at, row.lease_until, row.note = retry.at, None, retry.note[:500]
                row.save(update_fields=["attempts", "retry_at", "lease_until", "note"])
                at = retry.at
                transaction.on_commit(lambda: enqueue(pk, at))
                return str(row.status)
        _finish_failed(row, exc.message)
        return str(row.status)
    except Exception:
        # A bug, not the provider: fail the row (with the log to go on) rather than let the
        # requeue job run it again and again.
        log.exception("enrichment %s %s failed", model.__name__, pk)
        _finish_failed(row, _("Something went wrong on our side."))
        return str(row.status)
    with transaction.atomic():
        record(row, answer, timezone.now())
    return str(row.status)


def _finish_failed(row: EnrichmentRequest | AudienceReport, note: str) -> None:
    row.status = row.Status.FAILED
    row.note = note[:500]
    row.attempts += 1
    row.lease_until = None
    fields = ["status", "note", "attempts", "lease_until"]
    if isinstance(row, EnrichmentRequest):
        row.finished_at = timezone.now()
        fields.append("finished_at")
    row.save(update_fields=fields)


def _record_email(request: EnrichmentRequest, email: str | None, now: datetime) -> None:
    request.attempts += 1
    request.lease_until, request.retry_at, request.finished_at = None, None, now
    request.email, request.identity, request.note = "", None, ""
    fields = ["status", "email", "identity", "note", "attempts"]
    fields += ["lease_until", "retry_at", "finished_at"]
    if not email:
        request.status = EnrichmentRequest.Status.NOT_FOUND
        request.save(update_fields=fields)
        return
    try:
        normalized = identity_normalize(Identity.Kind.EMAIL, email)
    except ValidationFailed:
        request.status = EnrichmentRequest.Status.FAILED
        request.note = _("The provider sent an address that is not valid: %(email)s") % {
            "email": email[:200]
        }
        request.save(update_fields=fields)
        return
    request.status, request.email = EnrichmentRequest.Status.FOUND, normalized
    creator = Creator.objects.get(pk=request.creator_id)
    existing = (
        Identity.objects.filter(
            workspace_id=request.workspace_id, kind=Identity.Kind.EMAIL, normalized=normalized
        )
        .select_related("creator")
        .first()
    )
    if existing is not None and existing.creator_id == creator.id:
        request.identity, request.note = existing, _("This address was already on file.")
    elif existing is not None:
        request.note = _("This address is already on file for %(name)s.") % {
            "name": existing.creator.name
        }
    else:
        try:
            with transaction.atomic():
                request.identity = identity_add(
                    creator=creator,
                    kind=Identity.Kind.EMAIL,
                    value=normalized,
                    source=Identity.Source.ENRICHMENT,
                )
        except (Conflict, IntegrityError):
            request.note = _("This address is already on file for another creator.")
    request.save(update_fields=fields)


def email_request_run(*, request_id: int) -> str:
    """Ask the provider for one pending request's email (the task). Idempotent."""
    return _run(
        EnrichmentRequest,
        request_id,
        ask=lambda provider, r: provider.find_email(platform=r.platform, handle=r.handle),
        record=_record_email,
        enqueue=lambda pk, at: _enqueue_email([pk], at),
    )


# Audience figures ----------------------------------------------------------------------


def audience_request(
    *, creator: Creator, member: Member | None = None, force: bool = False
) -> AudienceReport:
    """Get TikTok Demographics: the figures on file when they are younger than
    PARLEY_AUDIENCE_MAX_AGE_DAYS (unless `force`), else a fetch queued for the worker (one
    at a time; the figures on file stay until new ones arrive). Conflict without a TikTok
    handle or without a provider."""
    provider = _provider_or_conflict()
    handle = _lookup_handle(
        list(creator.identities.filter(kind=Identity.Kind.TIKTOK)), (Identity.Kind.TIKTOK,)
    )
    if handle is None:
        raise Conflict({"creator": [_("Add the creator's TikTok handle first.")]})
    now = timezone.now()
    with transaction.atomic():
        report, _created = AudienceReport.objects.select_for_update().get_or_create(
            creator=creator,
            platform=Identity.Kind.TIKTOK,
            defaults={
                "workspace_id": creator.workspace_id,
                "handle": handle.normalized,
                "provider": provider.key,
                "status": AudienceReport.Status.FAILED,  # set to pending just below
            },
        )
        if report.status == AudienceReport.Status.PENDING:
            return report
        max_age = timedelta(days=settings.PARLEY_AUDIENCE_MAX_AGE_DAYS)
        fresh = report.fetched_at is not None and report.fetched_at > now - max_age
        if fresh and not force and report.handle == handle.normalized:
            return report
        report.status, report.handle, report.provider = (
            AudienceReport.Status.PENDING,
            handle.normalized,
            provider.key,
        )
        report.requested_at, report.note, report.attempts = now, "", 0
        report.retry_at = report.lease_until = None
        report.save()
        report_id = report.pk
        transaction.on_commit(lambda: _enqueue_audience(report_id))
    return report


def _shares_json(shares: list[Any]) -> list[dict[str, Any]]:
    return [
        {"code": s.code, **({"name": s.name} if s.name else {}), "share": round(s.share, 4)}
        for s in shares
    ]


def _record_audience(report: AudienceReport, audience: Audience | None, now: datetime) -> None:
    report.attempts += 1
    report.lease_until = report.retry_at = None
    report.note = ""
    if audience is None:
        # The figures on file, if any, stay: they are still what was fetched then.
        report.status = AudienceReport.Status.NOT_FOUND
        report.note = _("The provider has no audience figures for @%(handle)s.") % {
            "handle": report.handle
        }
    else:
        report.status = AudienceReport.Status.READY
        report.genders = _shares_json(audience.genders)
        report.ages = _shares_json(audience.ages)
        report.countries = _shares_json(audience.countries)
        report.followers = audience.followers
        report.fetched_at = now
    report.save()


def audience_report_run(*, report_id: int) -> str:
    """Ask the provider for one pending report's figures (the task). Idempotent."""
    return _run(
        AudienceReport,
        report_id,
        ask=lambda provider, r: provider.audience(platform=r.platform, handle=r.handle),
        record=_record_audience,
        enqueue=lambda pk, at: _enqueue_audience(pk, at),
    )


# Housekeeping ------------------------------------------------------------------------


def enrichment_requeue_overdue() -> int:
    """Queue again the pending rows whose task should have run by now (a worker died, a
    queue was emptied). The periodic job of `parley worker`; the rows' leases make a
    second copy of a task harmless. Returns how many were queued."""
    now = timezone.now()
    overdue = now - OVERDUE
    due = Q(updated_at__lt=overdue) & (Q(retry_at__isnull=True) | Q(retry_at__lt=overdue))
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    requests = list(
        EnrichmentRequest.objects.filter(due, free, status=EnrichmentRequest.Status.PENDING)
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
    reports = list(
        AudienceReport.objects.filter(due, free, status=AudienceReport.Status.PENDING)
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
    if requests:
        _enqueue_email(requests)
    for report_id in reports:
        _enqueue_audience(report_id)
    if requests or reports:
        # Touch them, so the next pass does not queue them again while they wait their turn.
        EnrichmentRequest.objects.filter(id__in=requests).update(updated_at=now)
        AudienceReport.objects.filter(id__in=reports).update(updated_at=now)
    return len(requests) + len(reports)
