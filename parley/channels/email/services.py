"""Writes for mailboxes: connect (tested first), make default, reconnect, disconnect, health.

Network I/O (testing a connection, refreshing a token) happens outside transactions; only
the result is written.
"""

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.debug import sensitive_variables

from parley.accounts.models import Member
from parley.channels.email import oauth
from parley.channels.email.mime import header_check
from parley.channels.email.models import Mailbox, MailboxFolder
from parley.channels.email.transport import (
    AuthFailed,
    Credentials,
    Endpoint,
    TransportError,
    imap_close,
    imap_open,
    smtp_open,
)
from parley.core.bidi import bidi_strip
from parley.core.crypto import secret_decrypt, secret_encrypt
from parley.core.errors import Conflict, PermissionDenied, ValidationFailed
from parley.inbox.events import Said, said
from parley.inbox.models import Notification
from parley.inbox.services import notify

logger = logging.getLogger(__name__)

SENT_NAMES = ("Sent", "Sent Items", "Sent Messages", "[Gmail]/Sent Mail", "INBOX.Sent")
# A mailbox's daily limit: how many emails it may send a calendar day (outbox.senders).
MIN_DAILY_LIMIT = 1
MAX_DAILY_LIMIT = 10_000


class AdminOnly(PermissionDenied, ValidationFailed):
    """Only an admin may change the connected mailboxes. The API answers 403; the pages,
    which check the role first, would show it as a form error (it is a ValidationFailed)."""


@dataclass
class ServerSettings:
    smtp_host: str
    smtp_port: int
    smtp_tls: str
    imap_host: str = ""
    imap_port: int = 993
    imap_tls: str = Mailbox.Tls.SSL

    @property
    def smtp(self) -> Endpoint:
        return Endpoint(self.smtp_host, self.smtp_port, self.smtp_tls)

    @property
    def imap(self) -> Endpoint:
        return Endpoint(self.imap_host, self.imap_port, self.imap_tls)


def _settings_of(mailbox: Mailbox) -> ServerSettings:
    return ServerSettings(
        smtp_host=mailbox.smtp_host,
        smtp_port=mailbox.smtp_port,
        smtp_tls=mailbox.smtp_tls,
        imap_host=mailbox.imap_host,
        imap_port=mailbox.imap_port,
        imap_tls=mailbox.imap_tls,
    )


def mailbox_smtp_endpoint(mailbox: Mailbox) -> Endpoint:
    return _settings_of(mailbox).smtp


def mailbox_imap_endpoint(mailbox: Mailbox) -> Endpoint:
    return _settings_of(mailbox).imap


# --- Testing a connection, then saving ----------------------------------------------------


@dataclass
class FolderBaseline:
    role: str
    name: str
    uidvalidity: int
    last_uid: int


@sensitive_variables("creds")
def connection_test(
    *, servers: ServerSettings, creds: Credentials, access: str
) -> list[FolderBaseline]:
    """Log in to SMTP (and to IMAP for full access). Raises ValidationFailed with a clear
    message. For full access returns each folder's UIDVALIDITY and current last UID: sync
    starts after them, so only mail that arrives after the connection is ever looked at."""
    # A refused login is the password's fault (or the user name's); anything else the
    # server's, as far as the person connecting can tell.
    try:
        smtp = smtp_open(servers.smtp, creds)
        smtp.quit()
    except AuthFailed as exc:
        raise ValidationFailed({"password": [str(exc)]}) from exc
    except TransportError as exc:
        raise ValidationFailed({"smtp_host": [str(exc)]}) from exc
    if access != Mailbox.Access.FULL:
        return []  # send only: IMAP is never touched
    try:
        client = imap_open(servers.imap, creds)
    except AuthFailed as exc:
        raise ValidationFailed({"password": [str(exc)]}) from exc
    except TransportError as exc:
        raise ValidationFailed({"imap_host": [str(exc)]}) from exc
    try:
        return folders_baseline(client)
    finally:
        imap_close(client)


def folders_baseline(client: Any) -> list[FolderBaseline]:
    names = [("inbox", "INBOX")]
    sent = sent_folder_name(client)
    if sent:
        names.append(("sent", sent))
    out = []
    for role, name in names:
        status = client.folder_status(name, [b"UIDVALIDITY", b"UIDNEXT"])
        out.append(
            FolderBaseline(
                role=role,
                name=name,
                uidvalidity=int(status[b"UIDVALIDITY"]),
                last_uid=int(status[b"UIDNEXT"]) - 1,
            )
        )
    return out


def sent_folder_name(client: Any) -> str:
    folders = client.list_folders()
    for flags, _delim, name in folders:
        if b"\\Sent" in flags:
            return str(name)
    names = {str(name): str(name) for _f, _d, name in folders}
    lowered = {n.lower(): n for n in names}
    for candidate in SENT_NAMES:
        if candidate.lower() in lowered:
            return lowered[candidate.lower()]
    return ""


def _validate_identity(*, address: str, display_name: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "@" not in address or header_check(address=address):
        errors["address"] = [_("Enter a valid email address.")]
    if header_check(display_name=display_name):
        errors["display_name"] = [_("A name cannot contain line breaks.")]
    return errors


def _require_admin(member: Member) -> None:
    if not member.is_admin:
        raise AdminOnly(_("Only an admin can change the connected mailboxes."))


@sensitive_variables("password", "creds", "fields")
def mailbox_connect_imap(
    *,
    member: Member,
    address: str,
    display_name: str,
    access: str,
    servers: ServerSettings,
    username: str,
    password: str,
    mailbox: Mailbox | None = None,
) -> Mailbox:
    """Connect (or, given `mailbox`, reconnect) an IMAP/SMTP mailbox. Nothing is saved unless
    the servers accept the login."""
    _require_admin(member)
    # As identities are (creators.normalize): no bidirectional controls, no spaces around.
    address = bidi_strip(address).strip().lower()
    errors = _validate_identity(address=address, display_name=display_name)
    if access not in Mailbox.Access.values:
        errors["access"] = [_("Choose full access or send only.")]
    if not servers.smtp_host:
        errors["smtp_host"] = [_("Enter the SMTP server.")]
    if access == Mailbox.Access.FULL and not servers.imap_host:
        errors["imap_host"] = [_("Enter the IMAP server, or choose send only.")]
    if errors:
        raise ValidationFailed(errors)
    if (
        mailbox is None
        and Mailbox.objects.filter(
            workspace_id=member.workspace_id, address=address, is_active=True
        ).exists()
    ):
        raise Conflict({"address": [_("This address is already connected.")]})
    creds = Credentials(username=username or address, password=password)
    baselines = connection_test(servers=servers, creds=creds, access=access)
    fields = {
        "address": address,
        "display_name": display_name.strip(),
        "provider": Mailbox.Provider.IMAP,
        "access": access,
        "smtp_host": servers.smtp_host,
        "smtp_port": servers.smtp_port,
        "smtp_tls": servers.smtp_tls,
        "imap_host": servers.imap_host if access == Mailbox.Access.FULL else "",
        "imap_port": servers.imap_port,
        "imap_tls": servers.imap_tls,
        "username": creds.username,
        "secret": secret_encrypt(password),
    }
    return _mailbox_save(member=member, mailbox=mailbox, fields=fields, baselines=baselines)


def _mailbox_save(
    *,
    member: Member,
    mailbox: Mailbox | None,
    fields: dict[str, Any],
    baselines: list[FolderBaseline],
) -> Mailbox:
    now = timezone.now()
    with transaction.atomic():
        if mailbox is None:
            has_default = Mailbox.objects.filter(
                workspace_id=member.workspace_id, is_active=True, is_default=True
            ).exists()
            mailbox = Mailbox.objects.create(
                workspace_id=member.workspace_id,
                connected_by=member,
                connected_at=now,
                is_default=not has_default,
                **fields,
            )
        else:
            for name, value in fields.items():
                setattr(mailbox, name, value)
            mailbox.needs_reauth = False
            mailbox.last_error = ""
            mailbox.connected_by = member
            mailbox.save()
        for base in baselines:
            folder, created = MailboxFolder.objects.get_or_create(
                mailbox=mailbox,
                role=base.role,
                defaults={
                    "name": base.name,
                    "uidvalidity": base.uidvalidity,
                    "last_uid": base.last_uid,
                },
            )
            # On reconnect the folder keeps its state: what arrived meanwhile is not lost.
            if not created and folder.name != base.name:
                folder.name = base.name
                folder.save(update_fields=["name"])
    return mailbox


def mailbox_make_default(*, member: Member, mailbox: Mailbox) -> Mailbox:
    _require_admin(member)
    with transaction.atomic():
        Mailbox.objects.filter(workspace_id=mailbox.workspace_id, is_default=True).exclude(
            id=mailbox.id
        ).update(is_default=False)
        mailbox.is_default = True
        mailbox.save(update_fields=["is_default"])
    return mailbox


def mailbox_disconnect(*, member: Member, mailbox: Mailbox) -> None:
    """Forget the credentials. The sent emails and synced replies stay in their threads."""
    _require_admin(member)
    with transaction.atomic():
        was_default = mailbox.is_default
        mailbox.is_active = False
        mailbox.is_default = False
        mailbox.secret = ""
        mailbox.save(update_fields=["is_active", "is_default", "secret"])
        if was_default:
            nxt = (
                Mailbox.objects.filter(workspace_id=mailbox.workspace_id, is_active=True)
                .order_by("id")
                .first()
            )
            if nxt is not None:
                nxt.is_default = True
                nxt.save(update_fields=["is_default"])


def mailbox_set_limit(*, member: Member, mailbox: Mailbox, daily_limit: int) -> Mailbox:
    """How many emails the mailbox may send a day. The outbox plans its queue again under
    the new limit: call this through `outbox.mailboxes.mailbox_daily_limit_set`, which
    tells it (channels sit below the outbox)."""
    _require_admin(member)
    if not MIN_DAILY_LIMIT <= daily_limit <= MAX_DAILY_LIMIT:
        raise ValidationFailed(
            {
                "daily_limit": [
                    _("Enter a limit from %(min)d to %(max)d emails a day.")
                    % {"min": MIN_DAILY_LIMIT, "max": MAX_DAILY_LIMIT}
                ]
            }
        )
    mailbox.daily_limit = daily_limit
    mailbox.save(update_fields=["daily_limit"])
    return mailbox


# --- OAuth ----------------------------------------------------------------------------------


@sensitive_variables("token", "creds", "fields")
def mailbox_connect_oauth(
    *,
    member: Member,
    provider: str,
    access: str,
    token: dict[str, Any],
    mailbox: Mailbox | None = None,
) -> Mailbox:
    """Finish an OAuth connection: find the address, test XOAUTH2 on SMTP (and IMAP), save."""
    _require_admin(member)
    if provider not in (Mailbox.Provider.GMAIL, Mailbox.Provider.MICROSOFT):
        raise ValidationFailed(_("Unknown email provider."))
    if access not in Mailbox.Access.values:
        raise ValidationFailed({"access": [_("Choose full access or send only.")]})
    config = oauth.provider_config(provider)
    try:
        address = oauth.account_email(provider=provider, token=token)
    except oauth.OAuthError as exc:
        raise ValidationFailed(str(exc)) from exc
    if mailbox is not None and mailbox.address != address:
        raise ValidationFailed(
            _("You signed in as %(got)s, but this mailbox is %(want)s.")
            % {"got": address, "want": mailbox.address}
        )
    if mailbox is None:
        mailbox = Mailbox.objects.filter(
            workspace_id=member.workspace_id, address=address, is_active=True
        ).first()
    servers = ServerSettings(
        smtp_host=config["smtp_host"],
        smtp_port=int(config.get("smtp_port", 587)),
        smtp_tls=config.get("smtp_tls", Mailbox.Tls.STARTTLS),
        imap_host=config["imap_host"],
        imap_port=int(config.get("imap_port", 993)),
        imap_tls=config.get("imap_tls", Mailbox.Tls.SSL),
    )
    creds = Credentials(username=address, access_token=token["access_token"])
    baselines = connection_test(servers=servers, creds=creds, access=access)
    fields = {
        "address": address,
        "display_name": mailbox.display_name if mailbox else "",
        "provider": provider,
        "access": access,
        "smtp_host": servers.smtp_host,
        "smtp_port": servers.smtp_port,
        "smtp_tls": servers.smtp_tls,
        "imap_host": servers.imap_host if access == Mailbox.Access.FULL else "",
        "imap_port": servers.imap_port,
        "imap_tls": servers.imap_tls,
        "username": address,
        "secret": secret_encrypt(json.dumps(_token_fields(token))),
        "token_expires_at": datetime.fromtimestamp(int(token["expires_at"]), tz=UTC),
    }
    return _mailbox_save(member=member, mailbox=mailbox, fields=fields, baselines=baselines)


def _token_fields(token: dict[str, Any]) -> dict[str, Any]:
    keep = ("access_token", "refresh_token", "expires_at", "token_type", "scope")
    return {k: token[k] for k in keep if k in token}


@sensitive_variables("token", "fresh")
def mailbox_credentials(*, mailbox: Mailbox) -> Credentials:
    """Credentials to log in with now; refreshes an OAuth access token when it is about to
    expire. A refused refresh marks the mailbox as needing re-authorisation (banner and
    notification at once) and raises AuthFailed."""
    if not mailbox.is_oauth:
        return Credentials(username=mailbox.username, password=secret_decrypt(mailbox.secret))
    token = json.loads(secret_decrypt(mailbox.secret) or "{}")
    if int(token.get("expires_at", 0)) - 60 > int(timezone.now().timestamp()):
        return Credentials(username=mailbox.username, access_token=token["access_token"])
    try:
        fresh = oauth.token_refresh(
            provider=mailbox.provider, refresh_token=token.get("refresh_token", "")
        )
    except oauth.ReauthNeeded as exc:
        mailbox_mark_reauth(mailbox=mailbox, reason=str(exc))
        raise AuthFailed(str(exc)) from exc
    except oauth.OAuthError as exc:
        mailbox_mark_error(mailbox=mailbox, error=str(exc))
        raise
    mailbox.secret = secret_encrypt(json.dumps(_token_fields(fresh)))
    mailbox.token_expires_at = datetime.fromtimestamp(int(fresh["expires_at"]), tz=UTC)
    mailbox.save(update_fields=["secret", "token_expires_at"])
    return Credentials(username=mailbox.username, access_token=fresh["access_token"])


# --- Health ----------------------------------------------------------------------------------


def _notify_admins(*, mailbox: Mailbox, kind: str, text: Said, at: datetime) -> None:
    """A notification for the workspace's owners and admins, and whoever connected it."""
    recipients = set(
        Member.objects.filter(
            workspace_id=mailbox.workspace_id,
            role__in=[Member.Role.OWNER, Member.Role.ADMIN],
        ).values_list("id", flat=True)
    )
    if mailbox.connected_by_id:
        recipients.add(mailbox.connected_by_id)
    notify(
        workspace_id=mailbox.workspace_id,
        member_ids=sorted(recipients),
        kind=kind,
        text=text,
        at=at,
    )


def mailbox_mark_reauth(*, mailbox: Mailbox, reason: str) -> None:
    """Flag the mailbox and notify, once per incident. Queued email on it is kept."""
    now = timezone.now()
    with transaction.atomic():
        flipped = Mailbox.objects.filter(id=mailbox.id, needs_reauth=False).update(
            needs_reauth=True, last_error=reason[:500], last_error_at=now
        )
        mailbox.needs_reauth, mailbox.last_error, mailbox.last_error_at = True, reason[:500], now
        if not flipped:
            return
        text = said(
            gettext_noop("%(address)s needs to be reconnected: sending and reply sync are paused."),
            address=mailbox.address,
        )
        _notify_admins(mailbox=mailbox, kind=Notification.Kind.REAUTH, text=text, at=now)


def mailbox_mark_error(*, mailbox: Mailbox, error: str, notify: bool = False) -> None:
    """Record the error of a sync pass or a send. With `notify`, the admins hear of it once
    per incident (when the mailbox had no error before)."""
    now = timezone.now()
    error = error.replace("\x00", "")[:500]
    with transaction.atomic():
        flipped = Mailbox.objects.filter(id=mailbox.id, last_error="").update(
            last_error=error, last_error_at=now
        )
        if not flipped:
            Mailbox.objects.filter(id=mailbox.id).update(last_error=error, last_error_at=now)
        mailbox.last_error, mailbox.last_error_at = error, now
        if notify and flipped:
            text = said(
                gettext_noop("Reply sync of %(address)s failed: %(error)s"),
                address=mailbox.address,
                error=error,
            )
            _notify_admins(mailbox=mailbox, kind=Notification.Kind.SYNC_ERROR, text=text, at=now)


def mailbox_note_unreadable(*, mailbox: Mailbox, count: int, error: str) -> None:
    """`count` emails of one sync batch could not be fully read (stored flagged, or recorded
    with their error): count them on the mailbox, keep the latest error, tell the admins."""
    if count <= 0:
        return
    now = timezone.now()
    error = error.replace("\x00", "")[:500]
    with transaction.atomic():
        Mailbox.objects.filter(id=mailbox.id).update(
            unreadable_count=F("unreadable_count") + count,
            last_unreadable_error=error,
            last_unreadable_at=now,
        )
        mailbox.unreadable_count += count
        mailbox.last_unreadable_error, mailbox.last_unreadable_at = error, now
        # One or more: the two forms English, German and Finnish have.
        words = (
            gettext_noop("An email to %(address)s could not be fully read: %(error)s")
            if count == 1
            else gettext_noop("%(count)d emails to %(address)s could not be fully read: %(error)s")
        )
        text = said(words, count=count, address=mailbox.address, error=error)
        _notify_admins(mailbox=mailbox, kind=Notification.Kind.SYNC_ERROR, text=text, at=now)


def mailbox_mark_synced(*, mailbox: Mailbox) -> None:
    now = timezone.now()
    Mailbox.objects.filter(id=mailbox.id).update(last_sync_at=now, last_error="")
    mailbox.last_sync_at, mailbox.last_error = now, ""
