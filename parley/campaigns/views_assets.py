"""Pages of the campaign actions: the campaign assets section of the thread sidebar (and
the creator profile), the action panel (send a file, a tracking link, a coupon code, a
payment, an agreement, a gift offer), payment and gift status changes, the agreement PDF,
bulk actions for the members tab and the inbox, and the campaign settings' product
catalogue and coupon pool. The public tracking-link redirect is views_links.py.

An action answers with the re-rendered assets section (HX-Retarget), and triggers
"inbox-changed" so the thread shows the action's event; a refused one re-renders its form
with the reason (422).
"""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parley.accounts.models import Member
from parley.campaigns import forms_assets as forms
from parley.campaigns.assets import agreements, coupons, gifts, links, payments, portal
from parley.campaigns.assets.delivery import coupon_send, link_send
from parley.campaigns.assets.files import attachment_send
from parley.campaigns.assets.selectors import (
    agreement_get,
    creator_assets_panel,
    gift_get,
    payment_get,
    payment_histories,
    pool_stats,
    product_get,
    product_list,
)
from parley.campaigns.models import Campaign
from parley.campaigns.selectors import campaign_get
from parley.channels.email.selectors import mailbox_list
from parley.core.errors import ValidationFailed
from parley.core.files import filename_safe
from parley.core.views import apply_errors, member_view
from parley.creators.models import Creator
from parley.creators.selectors import creator_get

ACTIONS = ("file", "link", "code", "payment", "agreement", "gift")


def assets_context(member: Member, creator: Creator) -> dict[str, Any]:
    return creator_assets_panel(workspace=member.workspace, creator=creator)


def _section(
    request: HttpRequest, member: Member, creator: Creator, *, notice: str = "", status: int = 200
) -> HttpResponse:
    context = assets_context(member, creator)
    context["asset_notice"] = notice
    response = render(request, "campaigns/assets/_section.html", context, status=status)
    # The event shows in the thread; the list's preview and order may change.
    response["HX-Retarget"] = "#campaign-assets"
    response["HX-Reswap"] = "outerHTML"
    response["HX-Trigger"] = "inbox-changed"
    return response


@member_view
@require_GET
def section(request: HttpRequest, member: Member, creator_id: int) -> HttpResponse:
    creator = creator_get(workspace=member.workspace, id=creator_id)
    context = assets_context(member, creator)
    return render(request, "campaigns/assets/_section.html", context)


def _form(
    kind: str, member: Member, campaign: Campaign, creator: Creator, request: HttpRequest
) -> Any:
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    if kind in ("file", "link", "code"):
        mailboxes = mailbox_list(workspace=member.workspace)
        extra: dict[str, Any] = {"mailboxes": mailboxes, "campaign_name": campaign.name}
        if kind == "file":
            return forms.FileForm(data, files, **extra)
        first = creator.first_name or creator.name.split(" ")[0]
        form_class = forms.LinkForm if kind == "link" else forms.CouponForm
        return form_class(data, first_name=first, **extra)
    if kind == "payment":
        return forms.PaymentForm(data)
    if kind == "gift":
        return forms.GiftOfferForm(data)
    return forms.AgreementForm(data)


def _act(kind: str, form: Any, member: Member, campaign: Campaign, creator: Creator) -> str:
    """Do the action; the notice to show."""
    data = form.cleaned_data
    if kind == "file":
        attachment_send(
            actor=member,
            campaign=campaign,
            creator=creator,
            files=data["attachments"],
            channel=data["channel"],
            body=data["body"],
            subject=data["subject"],
            mailbox=form.mailbox_obj(),
        )
        return _("Files sent.")
    if kind == "link":
        link, message = link_send(
            actor=member,
            campaign=campaign,
            creator=creator,
            destination=data["destination"],
            channel=data["channel"],
            body=data["body"],
            subject=data["subject"],
            mailbox=form.mailbox_obj(),
        )
        url = links.link_url(link)
        return (
            _("Tracking link %(url)s sent.") if message else _("Tracking link %(url)s ready.")
        ) % {"url": url}
    if kind == "code":
        code, message = coupon_send(
            actor=member,
            campaign=campaign,
            creator=creator,
            channel=data["channel"],
            body=data["body"],
            subject=data["subject"],
            mailbox=form.mailbox_obj(),
        )
        return (
            _("Coupon code %(code)s sent.") if message else _("Coupon code %(code)s given.")
        ) % {"code": code.code}
    if kind == "payment":
        payment = payments.payment_create(
            actor=member,
            campaign=campaign,
            creator=creator,
            amount=data["amount"],
            currency=data["currency"],
            due_on=data["due_on"],
            note=data["note"],
        )
        return _("Payment of %(amount)s created.") % {"amount": payments.payment_text(payment)}
    if kind == "agreement":
        agreements.agreement_send(actor=member, campaign=campaign, creator=creator)
        return _("Agreement sent.")
    offer = gifts.gift_offer(actor=member, campaign=campaign, creator=creator, limit=data["limit"])
    return ngettext(
        "Gifts offered: %(n)d item to pick.", "Gifts offered: %(n)d items to pick.", offer.limit
    ) % {"n": offer.limit}


@member_view
@require_http_methods(["GET", "POST"])
def action(
    request: HttpRequest, member: Member, campaign_id: int, creator_id: int, kind: str
) -> HttpResponse:
    """The panel of one action (GET), and doing it (POST)."""
    if kind not in ACTIONS:
        raise Http404
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    creator = creator_get(workspace=member.workspace, id=creator_id)
    form = _form(kind, member, campaign, creator, request)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                notice = _act(kind, form, member, campaign, creator)
            except ValidationFailed as exc:  # Conflict too: shown on the form
                apply_errors(form, exc)
            else:
                return _section(request, member, creator, notice=notice)
        status = 422
    context: dict[str, Any] = {
        "form": form,
        "kind": kind,
        "campaign": campaign,
        "creator": creator,
        "has_portal": portal.creator_has_portal(creator=creator),
        "multipart": kind == "file",
        "post_url": reverse("assets:action", args=[campaign.id, creator.id, kind]),
    }
    if kind in ("payment", "agreement") and not context["has_portal"]:
        what = _("payments") if kind == "payment" else _("agreements")
        context["refusal"] = portal.portal_required_message(creator=creator, what=what)
    if kind == "agreement":
        try:
            context["agreement_preview"] = agreements.agreement_render(
                campaign=campaign, creator=creator
            )
        except ValidationFailed as exc:
            context["agreement_problem"] = " ".join(m for ms in exc.errors.values() for m in ms)
    if kind == "gift":
        context["products"] = product_list(campaign=campaign)
    return render(request, "campaigns/assets/_action.html", context, status=status)


@member_view
@require_POST
def payment_status(request: HttpRequest, member: Member, payment_id: int) -> HttpResponse:
    payment = payment_get(workspace=member.workspace, id=payment_id)
    try:
        payments.payment_set_status(
            actor=member, payment=payment, status=request.POST.get("status", "")
        )
    except ValidationFailed as exc:
        notice = " ".join(m for ms in exc.errors.values() for m in ms)
        return _section(request, member, payment.creator, notice=notice, status=422)
    return _section(
        request,
        member,
        payment.creator,
        notice=_("Payment marked %(status)s.") % {"status": payment.get_status_display().lower()},
    )


@member_view
@require_GET
def payment_history(request: HttpRequest, member: Member, payment_id: int) -> HttpResponse:
    payment = payment_get(workspace=member.workspace, id=payment_id)
    changes = payment_histories(payments=[payment]).get(payment.id, [])
    return render(
        request, "campaigns/assets/_payment_history.html", {"payment": payment, "changes": changes}
    )


@member_view
@require_http_methods(["GET", "POST"])
def gift_ship(request: HttpRequest, member: Member, gift_id: int) -> HttpResponse:
    offer = gift_get(workspace=member.workspace, id=gift_id)
    form = forms.GiftShipForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            gifts.gift_ship(
                actor=member, offer=offer, tracking_number=form.cleaned_data["tracking_number"]
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            return _section(request, member, offer.creator, notice=_("Gifts marked shipped."))
    return _gift_form(
        request, form, offer, "assets:gift_ship", _("Ship the gifts"), _("Mark shipped")
    )


@member_view
@require_http_methods(["GET", "POST"])
def gift_selection(request: HttpRequest, member: Member, gift_id: int) -> HttpResponse:
    """Record what the creator picked (told by email or phone, until the portal)."""
    offer = gift_get(workspace=member.workspace, id=gift_id)
    products = product_list(campaign=offer.campaign)
    form = forms.GiftSelectionForm(
        request.POST if request.method == "POST" else None, products=products
    )
    if request.method == "POST" and form.is_valid():
        try:
            gifts.gift_select(
                actor=member,
                offer=offer,
                selection=form.selection(),
                shipping_address=form.cleaned_data["shipping_address"],
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            return _section(request, member, offer.creator, notice=_("Products selected."))
    title = _("What %(name)s picked") % {"name": offer.creator.name}
    return _gift_form(request, form, offer, "assets:gift_selection", title, _("Save the selection"))


def _gift_form(
    request: HttpRequest, form: Any, offer: Any, url_name: str, title: str, submit: str
) -> HttpResponse:
    """A gift offer's form in the action panel (shipping it, or recording the pick); a
    422 when a POST was refused."""
    return render(
        request,
        "campaigns/assets/_gift_form.html",
        {
            "form": form,
            "offer": offer,
            "post_url": reverse(url_name, args=[offer.id]),
            "title": title,
            "submit": submit,
        },
        status=422 if request.method == "POST" else 200,
    )


@member_view
@require_GET
def agreement_pdf(request: HttpRequest, member: Member, agreement_id: int) -> HttpResponse:
    agreement = agreement_get(workspace=member.workspace, id=agreement_id)
    pdf = agreements.agreement_pdf(agreement=agreement, time_zone=member.workspace.time_zone)
    name = filename_safe(f"agreement-{agreement.campaign.name}-{agreement.creator.name}.pdf")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- Many creators: the members tab and the inbox bulk bar ----------------------------------


def _creator_ids(request: HttpRequest) -> list[int]:
    from parley.core.text import id_or_none

    ids = [id_or_none(v) for v in request.POST.getlist("creators")]
    return [i for i in ids if i is not None][:5000]


@member_view
@require_POST
def bulk(request: HttpRequest, member: Member, campaign_id: int) -> HttpResponse:
    """Tracking links, coupon codes or gift offers for the ticked creators of the campaign
    (`creators`, repeated). Answers with a notice (the members tab's and the inbox's flash),
    which says how to send them (a mass message with the personal fields)."""
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    form = forms.BulkAssetForm(request.POST)
    ids = _creator_ids(request)
    errors: list[str] = []
    notice = ""
    if not ids:
        errors.append(_("Select at least one creator."))
    elif not form.is_valid():
        errors += [str(m) for ms in form.errors.values() for m in ms]
    else:
        data = form.cleaned_data
        try:
            if data["asset"] == "link":
                made = links.links_create_many(
                    actor=member,
                    campaign=campaign,
                    creator_ids=ids,
                    destination=data["destination"],
                )
                notice = ngettext(
                    "%(n)d creator has a tracking link to %(url)s. Send them with a mass message: "
                    "{{ tracking_link }}.",
                    "%(n)d creators have a tracking link to %(url)s. Send them with a mass "
                    "message: {{ tracking_link }}.",
                    len(made),
                ) % {"n": len(made), "url": data["destination"]}
            elif data["asset"] == "code":
                codes = coupons.coupons_assign_many(
                    actor=member, campaign=campaign, creator_ids=ids
                )
                notice = ngettext(
                    "%(n)d creator has a coupon code. Send them with a mass message: "
                    "{{ coupon_code }}.",
                    "%(n)d creators have a coupon code. Send them with a mass message: "
                    "{{ coupon_code }}.",
                    len(codes),
                ) % {"n": len(codes)}
            else:
                n = gifts.gift_offer_many(
                    actor=member, campaign=campaign, creator_ids=ids, limit=data["limit"]
                )
                notice = ngettext(
                    "Gifts offered to %(n)d creator.", "Gifts offered to %(n)d creators.", n
                ) % {"n": n}
        except ValidationFailed as exc:
            errors += [m for ms in exc.errors.values() for m in ms]
    response = render(
        request,
        "campaigns/assets/_bulk_result.html",
        {"notice": notice, "errors": errors},
        status=422 if errors else 200,
    )
    if not errors:
        response["HX-Trigger"] = "inbox-changed"
    return response


# --- Campaign settings: product catalogue and coupon pool -----------------------------------


def _settings_context(member: Member, campaign: Campaign, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "campaign": campaign,
        "products": product_list(campaign=campaign),
        "pool": pool_stats(campaign=campaign),
        "product_form": forms.ProductForm(),
        "paste_form": forms.CouponPasteForm(),
        "csv_form": forms.CouponCsvForm(),
        "generate_form": forms.CouponGenerateForm(),
    }
    context.update(extra)
    return context


@member_view
@require_http_methods(["GET", "POST"])
def products(request: HttpRequest, member: Member, campaign_id: int) -> HttpResponse:
    """The gift catalogue: the list, and adding a product (POST)."""
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    if request.method == "GET":
        return render(
            request, "campaigns/assets/_products.html", _settings_context(member, campaign)
        )
    form = forms.ProductForm(request.POST, request.FILES)
    notice = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            product = gifts.product_create(
                campaign=campaign,
                name=data["name"],
                image=data["image"],
                options=form.option_list(),
                stock=data["stock"],
                per_creator_limit=data["per_creator_limit"],
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            notice = _("%(name)s added to the catalogue.") % {"name": product.name}
            form = forms.ProductForm()
    return render(
        request,
        "campaigns/assets/_products.html",
        _settings_context(member, campaign, product_form=form, notice=notice),
        status=422 if form.errors else 200,
    )


@member_view
@require_POST
def product_delete(
    request: HttpRequest, member: Member, campaign_id: int, product_id: int
) -> HttpResponse:
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    product = product_get(workspace=member.workspace, id=product_id, campaign=campaign)
    gifts.product_delete(product=product)
    return render(
        request,
        "campaigns/assets/_products.html",
        _settings_context(
            member,
            campaign,
            notice=_("%(name)s removed from the catalogue.") % {"name": product.name},
        ),
    )


@member_view
@require_GET
def product_image(request: HttpRequest, member: Member, product_id: int) -> HttpResponse:
    from django.http import FileResponse

    product = product_get(workspace=member.workspace, id=product_id)
    if not product.image:
        raise Http404
    response = FileResponse(product.image.open("rb"))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response  # type: ignore[return-value]


@member_view
@require_http_methods(["GET", "POST"])
def coupon_pool(request: HttpRequest, member: Member, campaign_id: int) -> HttpResponse:
    """The coupon pool: how many codes, how many free; add codes pasted (`how=paste`), from
    a CSV file (`how=csv`) or generated from a pattern (`how=generate`)."""
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    if request.method == "GET":
        return render(request, "campaigns/assets/_pool.html", _settings_context(member, campaign))
    how = request.POST.get("how", "")
    extra: dict[str, Any] = {}
    form: Any
    try:
        if how == "csv":
            form = forms.CouponCsvForm(request.POST, request.FILES)
            extra["csv_form"] = form
            if form.is_valid():
                upload = form.cleaned_data["file"]
                if upload.size > coupons.CSV_MAX_BYTES:
                    raise ValidationFailed({"file": [_("A CSV file of codes is at most 5 MB.")]})
                added = coupons.pool_add(
                    campaign=campaign, codes=coupons.codes_from_csv(upload.read())
                )
        elif how == "generate":
            form = forms.CouponGenerateForm(request.POST)
            extra["generate_form"] = form
            if form.is_valid():
                added = coupons.pool_generate(
                    campaign=campaign,
                    pattern=form.cleaned_data["pattern"],
                    count=form.cleaned_data["count"],
                )
        else:
            form = forms.CouponPasteForm(request.POST)
            extra["paste_form"] = form
            if form.is_valid():
                added = coupons.pool_add(
                    campaign=campaign, codes=coupons.codes_from_text(form.cleaned_data["codes"])
                )
    except ValidationFailed as exc:
        apply_errors(form, exc)
    if not form.errors:
        extra["notice"] = ngettext(
            "%(n)d code added to the pool.", "%(n)d codes added to the pool.", added.added
        ) % {"n": added.added}
        if added.duplicates:
            extra["notice"] += " " + ngettext(
                "%(n)d was in it already.", "%(n)d were in it already.", added.duplicates
            ) % {"n": added.duplicates}
        extra.pop(f"{how}_form", None)
        extra.pop("paste_form", None)
    return render(
        request,
        "campaigns/assets/_pool.html",
        _settings_context(member, campaign, **extra),
        status=422 if form.errors else 200,
    )
