"""Agreements: the campaign's agreement template rendered for one creator and frozen when
sent (later edits of the template change no agreement sent), then signed or declined by
the creator in the portal. A PDF of each, drawn with fpdf2 and DejaVu Sans (the fonts of
parley/core/fonts, so German and Finnish text renders).

The template is Jinja2 in a sandbox with the mass email's personal fields
(`{{ first_name }}`, `{{ custom.rate }}`, `{{ coupon_code }}`, …). Those live in
parley.broadcasts, an app above this one, which hands its renderer to `renderer_set` when
Django starts (BroadcastsConfig.ready): this module imports nothing from it.
"""

import logging
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from parley.accounts.models import Member
from parley.campaigns.assets import portal
from parley.campaigns.assets.common import event_post, membership_get
from parley.campaigns.models import Agreement, Campaign
from parley.core.errors import Conflict, ValidationFailed
from parley.creators.models import Creator
from parley.inbox.events import said

FONT_DIR = Path(__file__).resolve().parents[2] / "core" / "fonts"
FONT = "DejaVuSans"
SIGNER_MAX = 200
logging.getLogger("fontTools").setLevel(logging.WARNING)

# (template, campaign, creator) → the text; ValueError with a message when it cannot be.
Renderer = Callable[[str, Campaign, Creator], str]
_renderer: list[Renderer] = []


def renderer_set(render: Renderer) -> None:
    _renderer[:] = [render]


def agreement_render(*, campaign: Campaign, creator: Creator) -> str:
    """The campaign's agreement as `creator` would get it now (a preview, or the body
    frozen by agreement_send). Conflict when there is no template or it cannot be written
    for this creator."""
    template = campaign.agreement_template
    if not template.strip():
        raise Conflict(
            {
                "template": [
                    _(
                        "%(campaign)s has no agreement template: write one in the campaign's "
                        "settings first."
                    )
                    % {"campaign": campaign.name}
                ]
            }
        )
    if not _renderer:
        raise RuntimeError("no agreement renderer: parley.broadcasts is not installed")
    try:
        return _renderer[0](template, campaign, creator).strip()
    except ValueError as exc:
        raise Conflict(
            {
                "template": [
                    _("The agreement cannot be written for %(name)s: %(error)s")
                    % {"name": creator.name, "error": exc}
                ]
            }
        ) from exc


def agreement_send(*, actor: Member | None, campaign: Campaign, creator: Creator) -> Agreement:
    """Render the campaign's template for the creator and freeze it as a sent agreement."""
    membership_get(campaign=campaign, creator=creator)
    if not portal.creator_has_portal(creator=creator):
        raise Conflict(
            {"creator": [portal.portal_required_message(creator=creator, what=_("agreements"))]}
        )
    body = agreement_render(campaign=campaign, creator=creator)
    with transaction.atomic():
        agreement = Agreement.objects.create(
            workspace_id=campaign.workspace_id,
            campaign=campaign,
            creator=creator,
            body=body,
            sent_by=actor,
            sent_at=timezone.now(),
        )
        event_post(
            campaign=campaign,
            creator=creator,
            actor=actor,
            text=said(gettext_noop("agreement sent")),
        )
    return agreement


def _answer(agreement: Agreement, status: str, **fields: Any) -> Agreement:
    with transaction.atomic():
        locked = (
            Agreement.objects.select_for_update()
            .select_related("campaign", "creator")
            .get(id=agreement.id)
        )
        if locked.status != Agreement.Status.SENT:
            raise Conflict(
                {
                    "status": [
                        _("This agreement was %(status)s already.")
                        % {"status": locked.get_status_display().lower()}
                    ]
                }
            )
        locked.status = status
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", *fields])
        event_post(
            campaign=locked.campaign,
            creator=locked.creator,
            actor=None,
            text=said(gettext_noop("agreement signed by %(name)s"), name=locked.signer_name)
            if status == Agreement.Status.SIGNED
            else said(gettext_noop("agreement declined")),
        )
    return locked


def agreement_sign(*, agreement: Agreement, signer_name: str, signer_ip: str | None) -> Agreement:
    """The creator signs (the portal: typed full name, consent given, their address)."""
    name = " ".join((signer_name or "").replace("\x00", "").split())
    if not name or len(name) > SIGNER_MAX:
        raise ValidationFailed({"signer_name": [_("Type your full name to sign.")]})
    return _answer(
        agreement,
        Agreement.Status.SIGNED,
        signer_name=name,
        signed_at=timezone.now(),
        signer_ip=signer_ip or None,
    )


def agreement_decline(*, agreement: Agreement) -> Agreement:
    return _answer(agreement, Agreement.Status.DECLINED)


def agreement_pdf(*, agreement: Agreement, time_zone: str = "UTC") -> bytes:
    """The agreement as an A4 PDF: campaign, creator, when sent, its status, the frozen
    text, and the signature when signed."""
    from fpdf import FPDF  # fpdf2 takes a while to import

    try:
        tz: Any = zoneinfo.ZoneInfo(time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")

    def when(value: Any) -> str:
        return formats.date_format(timezone.localtime(value, tz), "DATETIME_FORMAT")

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    title = _("Agreement: %(campaign)s") % {"campaign": agreement.campaign.name}
    pdf.set_title(title)
    pdf.set_author("Parley")
    pdf.set_creator("Parley")
    pdf.add_page()
    width = 170.0
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(width, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    pdf.set_text_color(90, 96, 110)
    facts = [
        _("Creator: %(name)s") % {"name": agreement.creator.name},
        _("Sent: %(when)s") % {"when": when(agreement.sent_at)},
        _("Status: %(status)s") % {"status": agreement.get_status_display()},
    ]
    for fact in facts:
        pdf.multi_cell(width, 6, fact, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_text_color(29, 36, 51)
    pdf.set_font(FONT, "", 11)
    pdf.multi_cell(width, 6, agreement.body or "—", new_x="LMARGIN", new_y="NEXT")
    if agreement.status == Agreement.Status.SIGNED and agreement.signed_at:
        pdf.ln(8)
        pdf.set_font(FONT, "B", 11)
        pdf.multi_cell(
            width,
            6,
            _("Signed by %(name)s on %(when)s")
            % {"name": agreement.signer_name, "when": when(agreement.signed_at)},
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(pdf.output())
