"""The creator PDF report ("Create PDF Report"): profile, identities and social profiles,
the audience figures on file (with their charts), campaign history with statuses and the
files exchanged, and message statistics (messages each way, median response time, last
contact).

It lives in campaigns because it reads creators, messages and campaigns, and campaigns is
the highest of those apps (DESIGN.md: a workflow spanning apps lives in the highest one);
the collaboration portal, above it, can call `creator_report_pdf` as the pages and the API
do. The statistics are a handful of aggregate queries whatever the number of messages
(the median response time comes from one window-function query); the PDF is drawn with
fpdf2 and an embedded DejaVu Sans (parley/core/fonts), so German and Finnish names render.
"""

import logging
import statistics
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from parley.accounts.models import Workspace
from parley.campaigns.models import Campaign, CampaignMember
from parley.creators.enrichment.selectors import AudienceChart, audience_chart, audience_report_get
from parley.creators.models import Creator, Identity
from parley.creators.selectors import creator_tags, identity_list
from parley.inbox.models import Attachment, Conversation, Message

FONT_DIR = Path(__file__).resolve().parent.parent / "core" / "fonts"
FONT = "DejaVuSans"
# fpdf2 subsets the embedded font with fontTools, which logs every step at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)


@dataclass
class MessageStats:
    inbound: int = 0
    outbound: int = 0
    # From a creator's first unanswered message to our next reply, over every reply.
    median_response: timedelta | None = None
    replies_measured: int = 0
    last_contact: datetime | None = None
    last_inbound: datetime | None = None
    last_outbound: datetime | None = None


@dataclass
class CampaignLine:
    name: str
    client: str
    campaign_status: str
    status: str
    since: datetime
    messages: int
    files: int


@dataclass
class CreatorReport:
    workspace: Workspace
    creator: Creator
    generated_at: datetime
    contacts: list[Identity]
    socials: list[Identity]
    tags: list[str]
    audience: AudienceChart | None
    audience_handle: str
    campaigns: list[CampaignLine]
    stats: MessageStats
    notes: list[str] = field(default_factory=list)


def _response_seconds(conversation_id: int) -> list[float]:
    """Seconds from each run of the creator's messages to our reply after it, in one query.

    Every message gets the number of our messages up to and including it (a running sum):
    our messages start a group, the creator's that follow share it. The reply to group g's
    first creator message is our message that opens group g + 1.
    """
    table = Message._meta.db_table
    if connection.vendor == "postgresql":
        seconds = "EXTRACT(EPOCH FROM (b.out_at - a.first_in))"
    else:
        seconds = "(julianday(b.out_at) - julianday(a.first_in)) * 86400.0"
    sql = f"""
        WITH ordered AS (
            SELECT created_at, direction,
                   SUM(CASE WHEN direction = %s THEN 1 ELSE 0 END)
                       OVER (ORDER BY created_at, id ROWS UNBOUNDED PRECEDING) AS grp
            FROM {table}
            WHERE conversation_id = %s AND direction IN (%s, %s)
        ), groups AS (
            SELECT grp,
                   MIN(CASE WHEN direction = %s THEN created_at END) AS first_in,
                   MIN(CASE WHEN direction = %s THEN created_at END) AS out_at
            FROM ordered GROUP BY grp
        )
        SELECT {seconds} FROM groups a JOIN groups b ON b.grp = a.grp + 1
        WHERE a.first_in IS NOT NULL AND b.out_at IS NOT NULL
    """
    inbound, outbound = Message.Direction.INBOUND, Message.Direction.OUTBOUND
    with connection.cursor() as cursor:
        cursor.execute(sql, [outbound, conversation_id, inbound, outbound, inbound, outbound])
        # To the millisecond: SQLite's julianday() carries float noise of some microseconds.
        return [
            max(round(float(row[0]), 3), 0.0) for row in cursor.fetchall() if row[0] is not None
        ]


def message_stats(*, conversation: Conversation | None) -> MessageStats:
    """Messages each way, the median response time and the last contact (three queries)."""
    if conversation is None:
        return MessageStats()
    inbound, outbound = Message.Direction.INBOUND, Message.Direction.OUTBOUND
    totals = Message.objects.filter(conversation=conversation).aggregate(
        inbound=Count("id", filter=Q(direction=inbound)),
        outbound=Count("id", filter=Q(direction=outbound)),
        last_inbound=Max("created_at", filter=Q(direction=inbound)),
        last_outbound=Max("created_at", filter=Q(direction=outbound)),
    )
    waits = _response_seconds(conversation.pk)
    lasts = [t for t in (totals["last_inbound"], totals["last_outbound"]) if t is not None]
    return MessageStats(
        inbound=totals["inbound"],
        outbound=totals["outbound"],
        median_response=timedelta(seconds=statistics.median(waits)) if waits else None,
        replies_measured=len(waits),
        last_contact=max(lasts) if lasts else None,
        last_inbound=totals["last_inbound"],
        last_outbound=totals["last_outbound"],
    )


def campaign_history(*, creator: Creator, conversation: Conversation | None) -> list[CampaignLine]:
    """The creator's campaigns with their status, when they joined, and the messages and
    files exchanged in each (three queries)."""
    members = list(
        CampaignMember.objects.filter(creator=creator)
        .select_related("campaign__client")
        .order_by("-created_at", "-id")
    )
    messages: dict[int, int] = {}
    files: dict[int, int] = {}
    if conversation is not None and members:
        ids = [m.campaign_id for m in members]
        for row in (
            Message.objects.filter(conversation=conversation, campaign_id__in=ids)
            .values("campaign_id")
            .annotate(n=Count("id"))
        ):
            messages[row["campaign_id"]] = row["n"]
        for campaign_id, n in (
            Attachment.objects.filter(
                message__conversation=conversation, message__campaign_id__in=ids
            )
            .values("message__campaign_id")
            .annotate(n=Count("id"))
            .values_list("message__campaign_id", "n")
        ):
            files[campaign_id] = n
    statuses = dict(CampaignMember.Status.choices)
    campaign_statuses = dict(Campaign.Status.choices)
    return [
        CampaignLine(
            name=m.campaign.name,
            client=m.campaign.client.name if m.campaign.client else "",
            campaign_status=str(campaign_statuses.get(m.campaign.status, m.campaign.status)),
            status=str(statuses.get(m.status, m.status)),
            since=m.created_at,
            messages=messages.get(m.campaign_id, 0),
            files=files.get(m.campaign_id, 0),
        )
        for m in members
    ]


def creator_report_data(*, workspace: Workspace, creator: Creator) -> CreatorReport:
    """Everything the report shows, read for `creator` of `workspace` (about ten queries)."""
    if creator.workspace_id != workspace.pk:  # callers look creators up in the workspace
        raise ValueError("creator of another workspace")
    identities = identity_list(creator=creator)
    conversation = Conversation.objects.filter(creator=creator).first()
    report = audience_report_get(creator=creator)
    chart = audience_chart(report) if report is not None else None
    return CreatorReport(
        workspace=workspace,
        creator=creator,
        generated_at=timezone.now(),
        contacts=[i for i in identities if i.kind in (Identity.Kind.EMAIL, Identity.Kind.PHONE)],
        socials=[i for i in identities if i.kind in Identity.SOCIAL],
        tags=[t.name for t in creator_tags(creator=creator)],
        audience=chart if chart is not None and not chart.empty else None,
        audience_handle=report.handle if report is not None else "",
        campaigns=campaign_history(creator=creator, conversation=conversation),
        stats=message_stats(conversation=conversation),
    )


# Drawing ----------------------------------------------------------------------------


def _duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 1:
        return _("under a minute")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    return _("%(m)s min") % {"m": minutes}


class _Writer:
    """Draws the report with fpdf2: A4, 15 mm margins, DejaVu Sans."""

    WIDTH = 180.0  # A4 minus the margins, mm

    def __init__(self, data: CreatorReport):
        from fpdf import FPDF  # imported here: fpdf2 takes a while to import

        self.data = data
        try:
            self.tz: Any = zoneinfo.ZoneInfo(data.workspace.time_zone or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.tz = zoneinfo.ZoneInfo("UTC")
        pdf = FPDF(format="A4", unit="mm")
        pdf.set_margins(15, 15, 15)
        pdf.set_auto_page_break(True, margin=18)
        pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        pdf.set_title(data.creator.name)
        pdf.set_author("Parley")
        pdf.set_creator("Parley")
        footer = _("%(name)s · page") % {"name": data.creator.name}

        def draw_footer() -> None:
            pdf.set_y(-12)
            pdf.set_font(FONT, "", 8)
            pdf.set_text_color(120, 120, 120)
            pdf.cell(0, 5, f"{footer} {pdf.page_no()}/{{nb}}", align="C")

        pdf.footer = draw_footer  # type: ignore[method-assign]
        self.pdf = pdf

    # Small helpers

    def _date(self, value: datetime | None, *, time: bool = False, short: bool = False) -> str:
        if value is None:
            return "—"
        local = timezone.localtime(value, self.tz)
        if short:
            return formats.date_format(local, "SHORT_DATE_FORMAT")
        return formats.date_format(local, "DATETIME_FORMAT" if time else "DATE_FORMAT")

    def _text(self, size: float = 10, bold: bool = False, grey: bool = False) -> None:
        self.pdf.set_font(FONT, "B" if bold else "", size)
        if grey:
            self.pdf.set_text_color(110, 116, 130)
        else:
            self.pdf.set_text_color(29, 36, 51)

    def heading(self, text: str) -> None:
        pdf = self.pdf
        if pdf.get_y() > 250:
            pdf.add_page()
        pdf.ln(4)
        self._text(12, bold=True)
        pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(227, 230, 234)
        pdf.line(15, pdf.get_y(), 15 + self.WIDTH, pdf.get_y())
        pdf.ln(2)

    LABEL = 62.0  # mm: the label column of a pair

    def pair(self, label: str, value: str) -> None:
        pdf = self.pdf
        y = pdf.get_y()
        self._text(9, grey=True)
        pdf.multi_cell(self.LABEL - 2, 5.5, label, align="L", new_x="LMARGIN", new_y="NEXT")
        below_label = pdf.get_y()
        pdf.set_xy(15 + self.LABEL, y)
        self._text(10)
        pdf.multi_cell(
            self.WIDTH - self.LABEL, 5.5, value or "—", align="L", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.set_y(max(pdf.get_y(), below_label))

    def line(self, text: str, *, grey: bool = False) -> None:
        self._text(10, grey=grey)
        self.pdf.multi_cell(self.WIDTH, 5.5, text, align="L", new_x="LMARGIN", new_y="NEXT")

    # Sections

    def title(self) -> None:
        data = self.data
        self._text(20, bold=True)
        self.pdf.multi_cell(
            self.WIDTH, 10, data.creator.name, align="L", new_x="LMARGIN", new_y="NEXT"
        )
        self._text(9, grey=True)
        self.pdf.cell(
            0,
            5,
            _("Creator report · %(workspace)s · %(when)s")
            % {"workspace": data.workspace.name, "when": self._date(data.generated_at, time=True)},
            new_x="LMARGIN",
            new_y="NEXT",
        )

    def profile(self) -> None:
        creator = self.data.creator
        self.heading(_("Profile"))
        self.pair(_("First name"), creator.first_name)
        self.pair(_("Preferred channel"), str(creator.get_preferred_channel_display()))
        self.pair(_("In the database since"), self._date(creator.created_at))
        self.pair(_("Tags"), ", ".join(self.data.tags))
        for key, value in sorted(creator.custom_fields.items()):
            self.pair(str(key), str(value))

    def identities(self) -> None:
        self.heading(_("Contact and social profiles"))
        if not self.data.contacts and not self.data.socials:
            self.line(_("No email, phone or social profile on file."), grey=True)
        for identity in self.data.contacts:
            marks = []
            if identity.source == Identity.Source.ENRICHMENT:
                marks.append(_("from enrichment"))
            if identity.bounced_at:
                marks.append(_("bounced on %(when)s") % {"when": self._date(identity.bounced_at)})
            value = identity.value + (f" ({', '.join(marks)})" if marks else "")
            self.pair(str(identity.get_kind_display()), value)
        for identity in self.data.socials:
            parts = [f"@{identity.normalized}"]
            if identity.followers:
                parts.append(
                    ngettext("%(n)s follower", "%(n)s followers", identity.followers)
                    % {"n": formats.number_format(identity.followers, force_grouping=True)}
                )
            if identity.url:
                parts.append(identity.url)
            self.pair(str(identity.get_kind_display()), " · ".join(parts))

    def audience(self) -> None:
        chart = self.data.audience
        self.heading(_("TikTok audience"))
        if chart is None:
            self.line(_("No audience figures on file."), grey=True)
            return
        facts = [
            _("@%(handle)s, fetched on %(when)s")
            % {"handle": self.data.audience_handle, "when": self._date(chart.fetched_at)}
        ]
        if chart.followers:
            facts.append(
                ngettext("%(n)s follower", "%(n)s followers", chart.followers)
                % {"n": formats.number_format(chart.followers, force_grouping=True)}
            )
        self.line(" · ".join(facts), grey=True)
        pdf = self.pdf
        for group in chart.groups:
            if not group.bars:
                continue
            if pdf.get_y() > 255:
                pdf.add_page()
            pdf.ln(1.5)
            self._text(10, bold=True)
            pdf.cell(0, 6, group.title, new_x="LMARGIN", new_y="NEXT")
            for bar in group.bars:
                y = pdf.get_y()
                self._text(9)
                pdf.cell(40, 5, bar.label[:40])
                pdf.set_fill_color(238, 242, 247)
                pdf.rect(55, y + 1, 110, 3.2, style="F")
                pdf.set_fill_color(79, 70, 229)
                if bar.share > 0:
                    pdf.rect(55, y + 1, max(110 * bar.share, 0.4), 3.2, style="F")
                pdf.set_x(167)
                self._text(9, grey=True)
                pdf.cell(28, 5, bar.percent, align="R", new_x="LMARGIN", new_y="NEXT")

    def campaigns(self) -> None:
        self.heading(_("Campaign history"))
        lines = self.data.campaigns
        if not lines:
            self.line(_("Not in a campaign."), grey=True)
            return
        widths = (54, 32, 34, 24, 19, 17)
        heads = (
            _("Campaign"),
            _("Client"),
            _("Status"),
            _("Since"),
            _("Messages"),
            _("Files"),
        )
        pdf = self.pdf
        self._text(8, bold=True)
        for width, head in zip(widths, heads, strict=True):
            pdf.cell(width, 6, head, border="B")
        pdf.ln()
        for line in lines:
            if pdf.get_y() > 265:
                pdf.add_page()
            self._text(9)
            status = line.status
            if line.campaign_status and line.campaign_status != _("Active"):
                status = f"{line.status} ({line.campaign_status})"
            cells = (
                line.name,
                line.client,
                status,
                self._date(line.since, short=True),
                str(line.messages),
                str(line.files),
            )
            for width, text in zip(widths, cells, strict=True):
                # A cell holds what fits; the full name is the campaign's own page.
                while text and pdf.get_string_width(text) > width - 2:
                    text = text[:-2] + "…"
                pdf.cell(width, 6, text, border="B")
            pdf.ln()

    def statistics(self) -> None:
        stats = self.data.stats
        self.heading(_("Messages"))
        self.pair(_("From the creator"), formats.number_format(stats.inbound, force_grouping=True))
        self.pair(_("From the team"), formats.number_format(stats.outbound, force_grouping=True))
        median = _duration(stats.median_response)
        if stats.median_response is not None:
            median += " " + ngettext(
                "(over %(n)s reply)", "(over %(n)s replies)", stats.replies_measured
            ) % {"n": stats.replies_measured}
        self.pair(_("Median response time"), median)
        self.pair(_("Last contact"), self._date(stats.last_contact, time=True))
        self.pair(_("Last message from the creator"), self._date(stats.last_inbound, time=True))
        self.pair(_("Last message from the team"), self._date(stats.last_outbound, time=True))

    def render(self) -> bytes:
        self.pdf.add_page()
        self.title()
        self.profile()
        self.identities()
        self.audience()
        self.campaigns()
        self.statistics()
        return bytes(self.pdf.output())


def creator_report_pdf(*, workspace: Workspace, creator: Creator) -> bytes:
    """The creator's PDF report, in the active language, times in the workspace's zone."""
    return _Writer(creator_report_data(workspace=workspace, creator=creator)).render()
