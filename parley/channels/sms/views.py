"""Settings → Integrations → SMS; the message box's segment counter; the sidebar's opt-out
line; and Twilio's webhooks. Thin: selectors read, services write."""

import logging

from django.conf import settings
from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from twilio.request_validator import RequestValidator

from parley.accounts.models import Member
from parley.channels.sms.forms import ConnectForm, PickForm, RateForm
from parley.channels.sms.inbound import sms_inbound, sms_status
from parley.channels.sms.models import TwilioAccount
from parley.channels.sms.rules import max_segments, segments_text
from parley.channels.sms.segments import sms_segments
from parley.channels.sms.selectors import (
    account_active,
    account_by_webhook_key,
    account_get,
    number_get,
    number_list,
)
from parley.channels.sms.services import (
    Login,
    account_connect,
    account_disconnect,
    account_test,
    number_add,
    number_remove,
    number_update,
    senders_available,
    webhook_base,
    webhook_urls,
)
from parley.channels.sms.templatetags.sms_tags import contact_context
from parley.core.crypto import secret_decrypt
from parley.core.errors import ValidationFailed
from parley.core.text import id_or_none
from parley.core.views import apply_errors, member_view
from parley.creators.selectors import identity_list
from parley.inbox.selectors import conversation_get

logger = logging.getLogger(__name__)


def _admin_only(member: Member) -> HttpResponse | None:
    if not member.is_admin:
        return HttpResponseForbidden(_("Only an admin can change the SMS connection."))
    return None


def _base(request: HttpRequest) -> str:
    """Where Twilio reaches Parley: PARLEY_PUBLIC_URL, else this request's own address."""
    return webhook_base() or request.build_absolute_uri("/").rstrip("/")


@member_view
@require_GET
def settings_page(request: HttpRequest, member: Member) -> HttpResponse:
    account = account_active(workspace=member.workspace)
    inbound = status = ""
    if account is not None:
        inbound, status = webhook_urls(account, base=_base(request))
    return render(
        request,
        "sms/settings.html",
        {
            "account": account,
            "numbers": number_list(workspace=member.workspace) if account else [],
            "inbound_url": inbound,
            "status_url": status,
            "max_segments": max_segments(),
        },
    )


@sensitive_post_parameters("auth_token", "api_key_secret")
@member_view
@require_http_methods(["GET", "POST"])
def connect(request: HttpRequest, member: Member) -> HttpResponse:
    denied = _admin_only(member)
    if denied:
        return denied
    form = ConnectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account_connect(
                member=member,
                login=Login(
                    account_sid=data["account_sid"],
                    auth_token=data["auth_token"],
                    api_key_sid=data["api_key_sid"],
                    api_key_secret=data["api_key_secret"],
                ),
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash.success(request, _("Twilio account connected. Now choose what to send from."))
            return redirect("sms:pick")
    status = 422 if request.method == "POST" else 200
    return render(request, "sms/connect.html", {"form": form}, status=status)


@member_view
@require_http_methods(["GET", "POST"])
def pick(request: HttpRequest, member: Member) -> HttpResponse:
    """Choose the numbers and Messaging Services to send from (listed by Twilio now)."""
    denied = _admin_only(member)
    if denied:
        return denied
    account = account_get(workspace=member.workspace)
    taken = {n.twilio_sid for n in number_list(workspace=member.workspace)}
    error = ""
    choices: list[tuple[str, str]] = []
    try:
        available = senders_available(account=account)
    except ValidationFailed as exc:
        error = " ".join(m for ms in exc.errors.values() for m in ms)
    else:
        for n in available.numbers:
            if n.sid not in taken and n.sms:
                label = (
                    f"{n.phone_number} ({n.friendly_name})" if n.friendly_name else n.phone_number
                )
                choices.append((n.sid, label))
        for s in available.services:
            if s.sid not in taken:
                numbers = ", ".join(s.phone_numbers) or _("no numbers yet")
                choices.append(
                    (
                        s.sid,
                        _("Messaging Service %(name)s (%(numbers)s)")
                        % {"name": s.friendly_name, "numbers": numbers},
                    )
                )
    form = PickForm(request.POST or None, choices=choices, initial={"set_webhooks": True})
    if request.method == "POST" and form.is_valid():
        added = 0
        for sid in form.cleaned_data["senders"]:
            try:
                number_add(
                    member=member,
                    account=account,
                    twilio_sid=sid,
                    set_webhooks=form.cleaned_data["set_webhooks"],
                    base=_base(request),
                )
                added += 1
            except ValidationFailed as exc:
                apply_errors(form, exc)
        if added and not form.errors:
            flash.success(
                request,
                ngettext("%(n)d sender added.", "%(n)d senders added.", added) % {"n": added},
            )
            return redirect("sms:settings")
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "sms/pick.html",
        {"form": form, "error": error, "nothing": not choices and not error},
        status=status,
    )


@member_view
@require_POST
def test(request: HttpRequest, member: Member) -> HttpResponse:
    account = account_get(workspace=member.workspace)
    error = account_test(account=account)
    if error:
        flash.error(request, _("Twilio refused: %(error)s") % {"error": error})
    else:
        flash.success(request, _("Twilio took the credentials: the connection works."))
    return redirect("sms:settings")


@member_view
@require_POST
def disconnect(request: HttpRequest, member: Member) -> HttpResponse:
    denied = _admin_only(member)
    if denied:
        return denied
    account_disconnect(member=member, account=account_get(workspace=member.workspace))
    flash.success(request, _("Twilio account disconnected."))
    return redirect("sms:settings")


@member_view
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, member: Member, number_id: int) -> HttpResponse:
    denied = _admin_only(member)
    if denied:
        return denied
    number = number_get(workspace=member.workspace, id=number_id)
    form = RateForm(request.POST or None, initial={"per_second": number.per_second})
    if request.method == "POST" and form.is_valid():
        try:
            number_update(member=member, number=number, per_second=form.cleaned_data["per_second"])
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash.success(request, _("Rate saved."))
            return redirect("sms:settings")
    status = 422 if form.is_bound else 200
    return render(request, "sms/rate.html", {"form": form, "number": number}, status=status)


@member_view
@require_POST
def make_default(request: HttpRequest, member: Member, number_id: int) -> HttpResponse:
    denied = _admin_only(member)
    if denied:
        return denied
    number = number_get(workspace=member.workspace, id=number_id)
    number_update(member=member, number=number, is_default=True)
    return redirect("sms:settings")


@member_view
@require_POST
def remove(request: HttpRequest, member: Member, number_id: int) -> HttpResponse:
    denied = _admin_only(member)
    if denied:
        return denied
    number_remove(member=member, number=number_get(workspace=member.workspace, id=number_id))
    flash.success(request, _("Sender removed."))
    return redirect("sms:settings")


# --- In the inbox ----------------------------------------------------------------------------


@member_view
@require_POST
def segments(request: HttpRequest, member: Member) -> HttpResponse:
    """The message box's segment count for the text typed so far (one implementation,
    segments.py, for the box, the check and the send)."""
    body = request.POST.get("body", "")[:20_000]
    count = sms_segments(body.strip())
    return render(
        request,
        "sms/_segments.html",
        {"count": count, "text": segments_text(count), "over": count.segments > max_segments()},
    )


@member_view
@require_GET
def contact(request: HttpRequest, member: Member, conversation_id: int) -> HttpResponse:
    """The sidebar's SMS line (opted out, and since when), refreshed when the inbox moves."""
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    context = contact_context(member.workspace_id, identity_list(creator=conversation.creator))
    return render(request, "sms/_contact.html", {"conversation": conversation, **context})


# --- Twilio's webhooks -----------------------------------------------------------------------

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _refused(account: TwilioAccount | None, why: str) -> HttpResponse:
    # Never the signature, the token, the numbers or the text: the account and why.
    logger.warning("sms webhook refused (account %s): %s", account.id if account else "-", why)
    return HttpResponseForbidden("")


@sensitive_variables("token")
def _signed(request: HttpRequest, account: TwilioAccount) -> bool:
    """Whether X-Twilio-Signature is Twilio's for this URL and these parameters, made with
    the account's auth token (the twilio library's RequestValidator). The URL Twilio called
    is the public one (PARLEY_PUBLIC_URL) behind a proxy, or this request's own address."""
    signature = request.headers.get("X-Twilio-Signature", "")
    token = secret_decrypt(account.auth_token)
    if not signature or not token:
        return False
    validator = RequestValidator(token)
    urls = [request.build_absolute_uri()]
    base = webhook_base()
    if base:
        urls.insert(0, base + request.get_full_path())
    return any(validator.validate(url, request.POST, signature) for url in urls)


def _webhook(request: HttpRequest, key: str) -> tuple[TwilioAccount | None, HttpResponse | None]:
    limit = int(getattr(settings, "PARLEY_SMS_WEBHOOK_MAX_BYTES", 64_000))
    length = str(request.META.get("CONTENT_LENGTH") or "0").strip()
    if not length.isdigit() or len(length) > 12 or int(length) > limit:
        return None, HttpResponse(status=413)
    account = account_by_webhook_key(key=key)
    if account is None:
        return None, _refused(None, "unknown webhook key")
    if not account.auth_token:
        return None, _refused(account, "no auth token to check signatures with")
    if not _signed(request, account):
        return None, _refused(account, "signature missing or wrong")
    if request.POST.get("AccountSid") != account.account_sid:
        return None, _refused(account, "for another Twilio account")
    return account, None


@csrf_exempt
@require_POST
def inbound(request: HttpRequest, key: str) -> HttpResponse:
    """Twilio's "A message comes in" webhook: the SMS (or MMS) lands in the creator's thread.
    Answers with empty TwiML (Twilio sends no automatic reply)."""
    account, refused = _webhook(request, key)
    if refused is not None or account is None:
        return refused or HttpResponseForbidden("")
    sms_inbound(account=account, params=request.POST.dict())
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
@require_POST
def status(request: HttpRequest, key: str) -> HttpResponse:
    """Twilio's status callback for a message Parley sent."""
    account, refused = _webhook(request, key)
    if refused is not None or account is None:
        return refused or HttpResponseForbidden("")
    sms_status(
        account=account, params=request.POST.dict(), message_id=id_or_none(request.GET.get("m"))
    )
    return HttpResponse(status=204)
