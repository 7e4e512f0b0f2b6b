"""Writes for the SMS channel's connection: connect a Twilio account (tested first), pick its
numbers or Messaging Services (webhooks set through Twilio's API when it allows), their rate
and the default, disconnect. Health marks and opt-outs: health.py.

Network I/O (asking Twilio) happens outside transactions; only the result is written.
"""

import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from twilio.rest import Client

from parley.accounts.models import Member
from parley.channels.sms import twilio_api
from parley.channels.sms.health import account_mark_error, account_mark_reauth
from parley.channels.sms.models import SmsNumber, TwilioAccount
from parley.channels.sms.twilio_errors import AUTHENTICATION, error_text
from parley.core.crypto import secret_decrypt, secret_encrypt
from parley.core.errors import Conflict, PermissionDenied, ValidationFailed

ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
KEY_SID = re.compile(r"^SK[0-9a-fA-F]{32}$")
NUMBER_SID = re.compile(r"^PN[0-9a-fA-F]{32}$")
SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
# Auth tokens and key secrets are 32 characters; a little room either way, ASCII only.
SECRET = re.compile(r"^[\x21-\x7e]{16,128}$")
# A number's rate, messages a second: one every 100 s up to a large short code's pool.
MIN_RATE = 0.01
MAX_RATE = 500.0


class AdminOnly(PermissionDenied, ValidationFailed):
    """Only an admin may change the SMS connection (the API answers 403)."""


def _require_admin(member: Member) -> None:
    if not member.is_admin:
        raise AdminOnly(_("Only an admin can change the SMS connection."))


# --- Logging in -----------------------------------------------------------------------------


@sensitive_variables("password")
def account_client(account: TwilioAccount) -> Client:
    """A Twilio client that logs in as the account is connected (key, else auth token)."""
    if account.api_key_sid:
        username, password = account.api_key_sid, secret_decrypt(account.api_key_secret)
    else:
        username, password = account.account_sid, secret_decrypt(account.auth_token)
    return twilio_api.client_for(
        account_sid=account.account_sid, username=username, password=password
    )


@sensitive_variables("password")
def account_login(account: TwilioAccount) -> tuple[str, str]:
    """The HTTP basic credentials for Twilio's media URLs."""
    if account.api_key_sid:
        return account.api_key_sid, secret_decrypt(account.api_key_secret)
    return account.account_sid, secret_decrypt(account.auth_token)


def webhook_base() -> str:
    """Where Twilio reaches Parley (PARLEY_PUBLIC_URL), without a trailing slash."""
    return str(getattr(settings, "PARLEY_PUBLIC_URL", "") or "").rstrip("/")


def webhook_urls(account: TwilioAccount, *, base: str = "") -> tuple[str, str]:
    """The inbound and status-callback URLs to give Twilio for this account."""
    base = (base or webhook_base()).rstrip("/")
    return (
        base + reverse("sms:inbound", args=[account.webhook_key]),
        base + reverse("sms:status", args=[account.webhook_key]),
    )


def status_callback_url(account: TwilioAccount, message_id: int) -> str:
    """The status callback of one outbound message: it names the message, so a report finds
    it even when the worker died before it could note Twilio's id (the signature covers the
    whole URL, the query too)."""
    base = webhook_base()
    if not base:
        return ""
    return webhook_urls(account, base=base)[1] + "?" + urlencode({"m": message_id})


# --- Connecting -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    account_sid: str
    auth_token: str = ""
    api_key_sid: str = ""
    api_key_secret: str = ""


@sensitive_variables("login")
def _check_form(login: Login) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not ACCOUNT_SID.match(login.account_sid):
        errors["account_sid"] = [
            _("An Account SID is AC followed by 32 letters and digits (Twilio Console → Account).")
        ]
    if login.api_key_sid or login.api_key_secret:
        if not KEY_SID.match(login.api_key_sid):
            errors["api_key_sid"] = [_("An API key SID is SK followed by 32 letters and digits.")]
        if not SECRET.match(login.api_key_secret):
            errors["api_key_secret"] = [_("Enter the API key's secret (shown once when made).")]
        if login.auth_token and not SECRET.match(login.auth_token):
            errors["auth_token"] = [_("An auth token is 32 letters and digits.")]
    elif not SECRET.match(login.auth_token):
        errors["auth_token"] = [
            _("Enter the auth token, or an API key SID and its secret instead.")
        ]
    return errors


@sensitive_variables("login", "username", "password")
def login_test(login: Login) -> twilio_api.AccountInfo:
    """Ask Twilio for the account with these credentials (and, with an API key, the auth
    token too when given, which signs the webhooks). ValidationFailed with a clear message
    on the field at fault; nothing is saved here."""
    errors = _check_form(login)
    if errors:
        raise ValidationFailed(errors)
    tries = []
    if login.api_key_sid:
        tries.append(("api_key_secret", login.api_key_sid, login.api_key_secret))
    if login.auth_token:
        tries.append(("auth_token", login.account_sid, login.auth_token))
    info = None
    for field, username, password in tries:
        client = twilio_api.client_for(
            account_sid=login.account_sid, username=username, password=password
        )
        try:
            info = twilio_api.account_fetch(client, login.account_sid)
        except twilio_api.TwilioFailed as exc:
            if exc.status == 401 or exc.code == AUTHENTICATION:
                message = (
                    _("Twilio refused this API key and secret for this account.")
                    if field == "api_key_secret"
                    else _("Twilio refused this Account SID and auth token.")
                )
                raise ValidationFailed({field: [message]}) from exc
            if exc.status == 404:
                raise ValidationFailed(
                    {"account_sid": [_("Twilio has no account with this SID.")]}
                ) from exc
            raise ValidationFailed(
                {"__all__": [error_text(exc.code, exc.message) or exc.message]}
            ) from exc
        except twilio_api.TwilioUnreachable as exc:
            raise ValidationFailed(
                {"__all__": [_("Twilio could not be reached: %(e)s") % {"e": exc}]}
            ) from exc
    assert info is not None
    if info.status and info.status != "active":
        raise ValidationFailed(
            {
                "account_sid": [
                    _("This Twilio account is %(status)s: it cannot send.")
                    % {"status": info.status}
                ]
            }
        )
    return info


@sensitive_variables("login")
def account_connect(*, member: Member, login: Login) -> TwilioAccount:
    """Connect the workspace's Twilio account. The credentials are tried against Twilio's API
    first and nothing is saved unless it takes them. Conflict when an account is connected
    already (disconnect it first)."""
    _require_admin(member)
    login = Login(
        account_sid=login.account_sid.strip(),
        auth_token=login.auth_token.strip(),
        api_key_sid=login.api_key_sid.strip(),
        api_key_secret=login.api_key_secret.strip(),
    )
    if TwilioAccount.objects.filter(workspace_id=member.workspace_id, is_active=True).exists():
        raise Conflict(
            {"account_sid": [_("A Twilio account is connected already: disconnect it first.")]}
        )
    info = login_test(login)
    now = timezone.now()
    fields = {
        "connected_by": member,
        "friendly_name": info.friendly_name[:160],
        "account_type": info.type[:20],
        "api_key_sid": login.api_key_sid,
        "api_key_secret": secret_encrypt(login.api_key_secret),
        "auth_token": secret_encrypt(login.auth_token),
        "is_active": True,
        "connected_at": now,
        "needs_reauth": False,
        "last_checked_at": now,
        "last_error": "",
        "last_error_at": None,
    }
    try:
        with transaction.atomic():
            # The same account connected again keeps its webhook key: the URLs pasted into
            # Twilio before still work.
            account, _created = TwilioAccount.objects.update_or_create(
                workspace_id=member.workspace_id,
                account_sid=login.account_sid,
                defaults=fields,
                create_defaults={**fields, "webhook_key": secrets.token_urlsafe(32)},
            )
    except IntegrityError as exc:  # connected by someone else a moment ago
        raise Conflict(
            {"account_sid": [_("A Twilio account is connected already: disconnect it first.")]}
        ) from exc
    return account


def account_test(*, account: TwilioAccount) -> str:
    """Try the stored credentials now; the error ("" when Twilio took them). Marks the
    account's health either way."""
    try:
        info = twilio_api.account_fetch(account_client(account), account.account_sid)
    except twilio_api.TwilioFailed as exc:
        error = error_text(exc.code, exc.message)
        if exc.status == 401 or exc.code == AUTHENTICATION:
            account_mark_reauth(account=account, reason=error)
        else:
            account_mark_error(account=account, error=error)
        return error
    except twilio_api.TwilioUnreachable as exc:
        error = _("Twilio could not be reached: %(e)s") % {"e": exc}
        account_mark_error(account=account, error=error)
        return error
    now = timezone.now()
    TwilioAccount.objects.filter(id=account.id).update(
        needs_reauth=False,
        last_checked_at=now,
        last_error="",
        friendly_name=info.friendly_name[:160],
        account_type=info.type[:20],
    )
    account.needs_reauth, account.last_checked_at, account.last_error = False, now, ""
    return ""


def account_disconnect(*, member: Member, account: TwilioAccount) -> None:
    """Forget the credentials and stop using the numbers. Sent and received SMS stay in
    their threads; what is still queued fails when its turn comes, saying why."""
    _require_admin(member)
    with transaction.atomic():
        account.is_active = False
        account.auth_token = account.api_key_secret = ""
        account.save(update_fields=["is_active", "auth_token", "api_key_secret"])
        SmsNumber.objects.filter(account=account, is_active=True).update(
            is_active=False, is_default=False
        )


# --- Senders --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Available:
    numbers: list[twilio_api.TwilioNumber]
    services: list[twilio_api.TwilioService]


def _twilio_error(exc: Exception) -> ValidationFailed:
    if isinstance(exc, twilio_api.TwilioFailed):
        return ValidationFailed({"__all__": [error_text(exc.code, exc.message)]})
    return ValidationFailed({"__all__": [_("Twilio could not be reached: %(e)s") % {"e": exc}]})


def senders_available(*, account: TwilioAccount) -> Available:
    """The account's phone numbers and Messaging Services, as Twilio lists them now."""
    client = account_client(account)
    try:
        return Available(
            numbers=twilio_api.numbers_list(client), services=twilio_api.services_list(client)
        )
    except (twilio_api.TwilioFailed, twilio_api.TwilioUnreachable) as exc:
        if isinstance(exc, twilio_api.TwilioFailed) and exc.code == AUTHENTICATION:
            account_mark_reauth(account=account, reason=error_text(exc.code, exc.message))
        raise _twilio_error(exc) from exc


def _rate_check(per_second: float) -> None:
    if not MIN_RATE <= per_second <= MAX_RATE:
        raise ValidationFailed(
            {
                "per_second": [
                    _("Enter a rate from %(min)s to %(max)s messages a second.")
                    % {"min": MIN_RATE, "max": int(MAX_RATE)}
                ]
            }
        )


def number_add(
    *,
    member: Member,
    account: TwilioAccount,
    twilio_sid: str,
    per_second: float | None = None,
    set_webhooks: bool = True,
    base: str = "",
) -> SmsNumber:
    """Send from one of the account's numbers (PN…) or Messaging Services (MG…). Twilio is
    asked for it first (it must be the account's, and a number must take SMS); with
    `set_webhooks` its incoming-message webhook (and a service's status callback) are pointed
    at Parley, and when Twilio refuses that (an API key without the right) the number says
    why and the URLs are shown to paste by hand."""
    _require_admin(member)
    twilio_sid = twilio_sid.strip()
    if not (NUMBER_SID.match(twilio_sid) or SERVICE_SID.match(twilio_sid)):
        raise ValidationFailed(
            {"twilio_sid": [_("Choose a phone number (PN…) or a Messaging Service (MG…).")]}
        )
    if per_second is None:
        per_second = float(getattr(settings, "PARLEY_SMS_DEFAULT_RATE", 1.0))
    _rate_check(per_second)
    if SmsNumber.objects.filter(account=account, twilio_sid=twilio_sid, is_active=True).exists():
        raise Conflict({"twilio_sid": [_("This sender is added already.")]})
    client = account_client(account)
    service = SERVICE_SID.match(twilio_sid) is not None
    try:
        if service:
            found_service = twilio_api.service_fetch(client, twilio_sid)
            phone, name = "", found_service.friendly_name
            service_numbers = list(found_service.phone_numbers)
        else:
            found = twilio_api.number_fetch(client, twilio_sid)
            if not found.sms:
                raise ValidationFailed({"twilio_sid": [_("This number cannot send SMS.")]})
            phone, name, service_numbers = found.phone_number, found.friendly_name, []
    except twilio_api.TwilioFailed as exc:
        if exc.status == 404:
            raise ValidationFailed(
                {"twilio_sid": [_("The Twilio account has no such number or service.")]}
            ) from exc
        raise _twilio_error(exc) from exc
    except twilio_api.TwilioUnreachable as exc:
        raise _twilio_error(exc) from exc
    webhooks_set, webhooks_error = False, ""
    if set_webhooks:
        inbound, status = webhook_urls(account, base=base)
        try:
            if service:
                twilio_api.service_webhooks_set(
                    client, twilio_sid, inbound_url=inbound, status_url=status
                )
            else:
                twilio_api.number_webhooks_set(client, twilio_sid, inbound_url=inbound)
            webhooks_set = True
        except twilio_api.TwilioFailed as exc:
            webhooks_error = error_text(exc.code, exc.message)
        except twilio_api.TwilioUnreachable as exc:
            webhooks_error = str(exc)
    try:
        with transaction.atomic():
            has_default = SmsNumber.objects.filter(
                workspace_id=account.workspace_id, is_active=True, is_default=True
            ).exists()
            return SmsNumber.objects.create(
                workspace_id=account.workspace_id,
                account=account,
                kind=SmsNumber.Kind.SERVICE if service else SmsNumber.Kind.NUMBER,
                twilio_sid=twilio_sid,
                phone_number=phone[:20],
                service_numbers=service_numbers,
                friendly_name=name[:160],
                is_default=not has_default,
                per_second=per_second,
                webhooks_set=webhooks_set,
                webhooks_error=webhooks_error[:500],
                added_at=timezone.now(),
            )
    except IntegrityError as exc:
        raise Conflict({"twilio_sid": [_("This sender is added already.")]}) from exc


def number_update(
    *,
    member: Member,
    number: SmsNumber,
    per_second: float | None = None,
    is_default: bool | None = None,
) -> SmsNumber:
    """A number's rate (messages a second), or make it the default sender."""
    _require_admin(member)
    if per_second is not None:
        _rate_check(per_second)
    with transaction.atomic():
        if per_second is not None:
            number.per_second = per_second
            number.save(update_fields=["per_second"])
        if is_default:
            SmsNumber.objects.filter(workspace_id=number.workspace_id, is_default=True).exclude(
                id=number.id
            ).update(is_default=False)
            number.is_default = True
            number.save(update_fields=["is_default"])
    return number


def number_remove(*, member: Member, number: SmsNumber) -> None:
    """Stop sending from it (its messages stay in their threads); another becomes the
    default if it was."""
    _require_admin(member)
    with transaction.atomic():
        was_default = number.is_default
        number.is_active = number.is_default = False
        number.save(update_fields=["is_active", "is_default"])
        if was_default:
            nxt = (
                SmsNumber.objects.filter(workspace_id=number.workspace_id, is_active=True)
                .order_by("id")
                .first()
            )
            if nxt is not None:
                nxt.is_default = True
                nxt.save(update_fields=["is_default"])
