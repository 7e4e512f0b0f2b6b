"""Reads of enrichment, scoped to a workspace: Fetch Email requests and their status, the
audience figures on file, and the figures as charts (the sidebar's SVG and the PDF's bars
draw the same `AudienceChart`)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Max
from django.utils.translation import gettext as _

from parley.accounts.models import Workspace
from parley.core.errors import NotFound
from parley.creators.enrichment.providers import enrichment_configured
from parley.creators.models import AudienceReport, Creator, EnrichmentRequest, Identity

__all__ = [
    "AudienceChart",
    "Bar",
    "BarGroup",
    "audience_chart",
    "audience_report_get",
    "email_request_get",
    "email_request_latest",
    "email_request_list",
    "email_requests_latest",
    "enrichment_configured",
]

TOP_COUNTRIES = 5


def email_request_get(*, workspace: Workspace, id: int) -> EnrichmentRequest:
    request = (
        EnrichmentRequest.objects.select_related("creator")
        .filter(workspace=workspace, id=id)
        .first()
    )
    if request is None:
        raise NotFound
    return request


def email_request_latest(*, creator: Creator) -> EnrichmentRequest | None:
    return creator.enrichment_requests.order_by("-created_at", "-id").first()


def email_request_list(*, creator: Creator, limit: int = 20) -> list[EnrichmentRequest]:
    """The creator's Fetch Email requests, newest first."""
    return list(creator.enrichment_requests.order_by("-created_at", "-id")[:limit])


def email_requests_latest(
    *, workspace: Workspace, creator_ids: Iterable[int]
) -> dict[int, EnrichmentRequest]:
    """Each creator's latest Fetch Email request, in one query: what a list of creators
    shows beside each one (`enrichment/_email_status.html`)."""
    ids = list(creator_ids)
    if not ids:
        return {}
    latest = (
        EnrichmentRequest.objects.filter(workspace=workspace, creator_id__in=ids)
        .values("creator_id")
        .annotate(last=Max("id"))
        .values("last")
    )
    return {r.creator_id: r for r in EnrichmentRequest.objects.filter(id__in=latest)}


def audience_report_get(
    *, creator: Creator, platform: str = Identity.Kind.TIKTOK
) -> AudienceReport | None:
    return creator.audience_reports.filter(platform=platform).first()


@dataclass(frozen=True)
class Bar:
    label: str
    share: float  # 0..1

    @property
    def percent(self) -> str:
        return f"{self.share * 100:.0f}%" if self.share >= 0.01 or self.share == 0 else "<1%"

    @property
    def width(self) -> str:
        """The bar's length in a view box 100 wide (an SVG attribute: no inline style)."""
        return f"{self.share * 100:.1f}"


@dataclass(frozen=True)
class BarGroup:
    key: str
    title: str
    bars: list[Bar]


@dataclass(frozen=True)
class AudienceChart:
    groups: list[BarGroup]
    fetched_at: datetime | None
    followers: int | None

    @property
    def empty(self) -> bool:
        return not any(g.bars for g in self.groups)


def _gender(code: str) -> str:
    return {"MALE": _("Men"), "FEMALE": _("Women")}.get(code.upper(), code.title())


def _age(code: str) -> str:
    if code.endswith("-"):
        return code[:-1] + "+"  # "65-": 65 and older
    return code.replace("-", "\u2013")  # an en dash: 18\u201324


def _bars(items: Any, label: Any) -> list[Bar]:
    bars = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("share"), int | float):
            bars.append(Bar(label=label(item), share=max(0.0, min(1.0, float(item["share"])))))
    return bars


def audience_chart(report: AudienceReport) -> AudienceChart:
    """The figures on file as three bar groups: gender, age bands (youngest first), and the
    top countries with the rest as "Other"."""
    genders = _bars(report.genders, lambda i: _gender(str(i.get("code", ""))))
    ages = sorted(
        _bars(report.ages, lambda i: str(i.get("code", ""))),
        key=lambda b: int("".join(c for c in b.label.split("-")[0] if c.isdigit()) or 0),
    )
    ages = [Bar(label=_age(b.label), share=b.share) for b in ages]
    countries = sorted(
        _bars(report.countries, lambda i: str(i.get("name") or i.get("code", ""))),
        key=lambda b: b.share,
        reverse=True,
    )
    top = countries[:TOP_COUNTRIES]
    rest = sum(b.share for b in countries[TOP_COUNTRIES:])
    if top and rest >= 0.005:
        top.append(Bar(label=_("Other"), share=min(rest, 1.0)))
    return AudienceChart(
        groups=[
            BarGroup("genders", _("Gender"), genders),
            BarGroup("ages", _("Age"), ages),
            BarGroup("countries", _("Top countries"), top),
        ],
        fetched_at=report.fetched_at,
        followers=report.followers,
    )
