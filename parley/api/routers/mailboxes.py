"""Mailboxes: the workspace's connected email addresses, their health and today's sends
against the daily limit; connecting an IMAP/SMTP mailbox, the default, the limit,
disconnecting. Changes are for admins (403 for other members). Passwords and tokens are
never returned."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from parley.api.auth import acting_member
from parley.api.schemas import (
    ErrorOut,
    FieldErrorsOut,
    MailboxConnectFullIn,
    MailboxConnectIn,
    MailboxLimitIn,
    MailboxOut,
    PathId,
    mailbox_out,
)
from parley.channels.email.models import Mailbox
from parley.channels.email.selectors import mailbox_get, mailbox_list
from parley.channels.email.services import (
    ServerSettings,
    mailbox_connect_imap,
    mailbox_disconnect,
    mailbox_make_default,
)
from parley.outbox.mailboxes import mailbox_daily_limit_set, mailboxes_today

router = Router(tags=["mailboxes"])

NOT_FOUND = {404: ErrorOut}
ADMIN_ONLY = {403: ErrorOut}
INVALID = {422: FieldErrorsOut}


def _out(request: HttpRequest, mailbox: Mailbox) -> dict[str, Any]:
    workspace = acting_member(request).workspace
    return mailbox_out(
        mailbox, mailboxes_today(workspace=workspace, mailboxes=[mailbox])[mailbox.id]
    )


@router.get("", response=list[MailboxOut])
def mailboxes_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The connected mailboxes, the default first: health (last sync, last error,
    re-authorisation, a provider's pause, unreadable emails) and today's sends against
    the daily limit."""
    workspace = acting_member(request).workspace
    mailboxes = mailbox_list(workspace=workspace)
    today = mailboxes_today(workspace=workspace, mailboxes=mailboxes)
    return [mailbox_out(m, today[m.id]) for m in mailboxes]


@router.post("", response={201: MailboxOut, **ADMIN_ONLY, **INVALID, 409: FieldErrorsOut})
def mailbox_connect(request: HttpRequest, payload: MailboxConnectIn) -> Status[dict[str, Any]]:
    """Connect an IMAP/SMTP mailbox (Gmail and Microsoft connect by OAuth on the settings
    page). The servers are tried first and nothing is saved unless they accept the login:
    a refused login is a 422 on `password`, a server that cannot be reached one on
    `smtp_host` or `imap_host`. 409 when the address is already connected. The first
    mailbox becomes the default."""
    member = acting_member(request)
    servers = ServerSettings(
        smtp_host=payload.smtp_host, smtp_port=payload.smtp_port, smtp_tls=payload.smtp_tls
    )
    if isinstance(payload, MailboxConnectFullIn):
        servers.imap_host, servers.imap_port = payload.imap_host, payload.imap_port
        servers.imap_tls = payload.imap_tls
    mailbox = mailbox_connect_imap(
        member=member,
        address=payload.address,
        display_name=payload.display_name,
        access=payload.access,
        servers=servers,
        username=payload.username,
        password=payload.password,
    )
    return Status(201, _out(request, mailbox))


@router.get("/{mailbox_id}", response={200: MailboxOut, **NOT_FOUND})
def mailbox_detail(request: HttpRequest, mailbox_id: PathId) -> dict[str, Any]:
    member = acting_member(request)
    return _out(request, mailbox_get(workspace=member.workspace, id=mailbox_id))


@router.post("/{mailbox_id}/default", response={200: MailboxOut, **ADMIN_ONLY, **NOT_FOUND})
def mailbox_default_set(request: HttpRequest, mailbox_id: PathId) -> dict[str, Any]:
    """Make this the mailbox new emails are sent from unless another is chosen."""
    member = acting_member(request)
    mailbox = mailbox_get(workspace=member.workspace, id=mailbox_id)
    return _out(request, mailbox_make_default(member=member, mailbox=mailbox))


@router.put(
    "/{mailbox_id}/daily-limit",
    response={200: MailboxOut, **ADMIN_ONLY, **NOT_FOUND, **INVALID},
)
def mailbox_limit(request: HttpRequest, mailbox_id: PathId, payload: MailboxLimitIn) -> Any:
    """How many emails the mailbox sends a calendar day (the workspace's time zone). What
    is over it waits for the next day with room; the worker plans the mailbox's queue again
    under the new limit on its next pass. Parley never moves an email to another mailbox
    by itself."""
    member = acting_member(request)
    mailbox = mailbox_get(workspace=member.workspace, id=mailbox_id)
    mailbox = mailbox_daily_limit_set(
        member=member, mailbox=mailbox, daily_limit=payload.daily_limit
    )
    return _out(request, mailbox)


@router.delete("/{mailbox_id}", response={204: None, **ADMIN_ONLY, **NOT_FOUND})
def mailbox_remove(request: HttpRequest, mailbox_id: PathId) -> Status[None]:
    """Disconnect: the credentials are forgotten; sent emails and synced replies stay in
    their threads. Another mailbox becomes the default if this one was."""
    member = acting_member(request)
    mailbox_disconnect(
        member=member, mailbox=mailbox_get(workspace=member.workspace, id=mailbox_id)
    )
    return Status(204, None)
