"""The Members tab's rows as HTML, built here rather than in a template (as the inbox rows
are: parley/inbox/views/rows.py). Django's template engine costs about 0.1 ms a variable-heavy
row and more per `{% url %}` and include; fifty rows took most of the page's time. Every
value is escaped; labels are translated and URLs reversed once per page."""

import html
from collections.abc import Callable
from datetime import date
from typing import Any

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from parley.campaigns.models import Campaign, CampaignMember
from parley.campaigns.workflow import status_label, transitions_from


def member_assets_html(a: Any) -> str:
    """ASSETS HOOK: one member's "Assets sent" cell from what
    `campaigns.selectors.campaign_member_assets` gave for them (`a`; None when nothing):
    tracking-link clicks, the coupon code, payments, the agreement, gifts. Return escaped
    HTML. Until the campaign assets exist, a dash."""
    if not a:
        return '<span class="muted">—</span>'
    return html.escape(str(a))


# The cell builder the page uses: the assets module may swap in its own.
ASSETS_CELL: Callable[[Any], str] = member_assets_html


def member_rows_html(
    *,
    campaign: Campaign,
    members: list[CampaignMember],
    assets: dict[int, Any],
    archived: bool,
) -> SafeString:
    """The `<tr>` of each member: tick box, creator (profile link, first email), status,
    assets sent, last activity, and a button for each change their status allows."""
    e = html.escape
    campaign_id = int(campaign.id)
    profile = reverse("creators:detail", args=[1]).removesuffix("1/")
    status_url = reverse("campaigns:member_status", args=[campaign_id, 1]).removesuffix("1/status/")
    select_label = _("Select %(name)s")
    no_email = e(_("no email address"))
    done = e(_("Done"))
    labels: dict[str, str] = {}
    buttons: dict[str, str] = {}
    days: dict[date, str] = {}
    out = []
    for m in members:
        creator_id = int(m.creator_id)
        name = e(m.creator.name)
        status = m.status
        if status not in labels:
            labels[status] = e(status_label(status))
            buttons[status] = "".join(
                f'<button type="button" class="small{" primary" if t.primary else ""}" '
                f'hx-vals=\'{{"to": "{e(t.target)}"}}\' hx-target="#members-flash" '
                f'data-testid="to-{e(t.target)}" hx-post="{{url}}">{e(str(t.label))}</button>'
                for t in transitions_from(status)
            )
        at = timezone.localtime(m.last_activity_at)
        day = at.date()
        if day not in days:
            days[day] = e(formats.date_format(at, "M j"))
        email = getattr(m, "email", "") or ""
        contact = (
            f'<span class="muted ident">{e(email)}</span>'
            if email
            else f'<span class="muted ident">{no_email}</span>'
        )
        check = (
            ""
            if archived
            else f'<td class="check"><input type="checkbox" name="creators" '
            f'value="{creator_id:d}" aria-label="{e(select_label % {"name": m.creator.name})}">'
            f"</td>"
        )
        actions = ""
        if not archived:
            url = f"{status_url}{creator_id:d}/status/"
            cell = buttons[status].replace("{url}", url) or f'<span class="muted">{done}</span>'
            actions = f'<td class="actions">{cell}</td>'
        out.append(
            f'<tr data-testid="member-row" data-creator="{creator_id:d}" '
            f'data-status="{e(status)}">{check}'
            f'<td class="who"><a href="{profile}{creator_id:d}/" class="name">{name}</a>'
            f"{contact}</td>"
            f'<td><span class="status-chip st-{e(status)}" data-testid="member-status">'
            f"{labels[status]}</span></td>"
            f'<td class="assets">{ASSETS_CELL(assets.get(creator_id))}</td>'
            f'<td class="muted nowrap"><time datetime="{at.isoformat()}" '
            f'title="{at:%Y-%m-%d %H:%M}">{days[day]}, {at:%H:%M}</time></td>'
            f"{actions}</tr>\n"
        )
    # Every value above was escaped.
    return mark_safe("".join(out))
