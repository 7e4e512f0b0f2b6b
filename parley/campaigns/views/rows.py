"""The Members tab's rows as HTML, built here rather than in a template (as the inbox rows
are: parley/inbox/views/rows.py). Django's template engine costs about 0.1 ms a variable-heavy
row and more per `{% url %}` and include; fifty rows took most of the page's time. Every
value is escaped; labels are translated and URLs reversed once per page."""

import html
from datetime import date

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from parley.campaigns.assets.selectors import MemberAssets
from parley.campaigns.models import Agreement, Campaign, CampaignMember, GiftOffer, Payment
from parley.campaigns.workflow import status_label, transitions_from


def member_assets_html(a: MemberAssets | None) -> str:
    """One member's "Assets sent" cell: tracking-link clicks (unique visitors), the coupon
    code, payments by status, the latest agreement's status, the gift offer's status, and
    whether they have a creator portal account."""
    e = html.escape
    if a is None or not (a.any or a.portal):
        return '<span class="muted">—</span>'
    parts = []
    if a.portal:
        parts.append(
            f'<span class="status" title="{e(_("Has a creator portal account"))}" '
            f'data-testid="member-portal">{e(_("portal"))}</span>'
        )
    if a.links:
        clicks = ngettext("%(n)d click", "%(n)d clicks", a.clicks) % {"n": a.clicks}
        parts.append(
            f'<span title="{e(_("Tracking links: clicks, unique visitors"))}">'
            f"{e(clicks)} ({a.unique:d})</span>"
        )
    if a.coupon:
        parts.append(f"<code>{e(a.coupon)}</code>")
    labels = dict(Payment.Status.choices)
    for status, n in a.payments.items():
        label = str(labels.get(status, status)).lower()
        parts.append(f'<span class="status">{n:d} {e(label)}</span>')
    if a.agreement:
        label = str(dict(Agreement.Status.choices).get(a.agreement, a.agreement)).lower()
        parts.append(f'<span class="status">{e(_("agreement"))}: {e(label)}</span>')
    if a.gift:
        label = str(dict(GiftOffer.Status.choices).get(a.gift, a.gift)).lower()
        parts.append(f'<span class="status">{e(_("gifts"))}: {e(label)}</span>')
    return f'<span class="member-assets" data-testid="member-assets">{" ".join(parts)}</span>'


def member_rows_html(
    *,
    campaign: Campaign,
    members: list[CampaignMember],
    assets: dict[int, MemberAssets],
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
            days[day] = e(formats.date_format(at, "MONTH_DAY_FORMAT"))
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
            f'<td class="assets">{member_assets_html(assets.get(creator_id))}</td>'
            f'<td class="muted nowrap"><time datetime="{at.isoformat()}" '
            f'title="{at:%Y-%m-%d %H:%M}">{days[day]}, {at:%H:%M}</time></td>'
            f"{actions}</tr>\n"
        )
    # Every value above was escaped.
    return mark_safe("".join(out))
