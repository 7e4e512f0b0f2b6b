"""Talking to mail servers: IMAP (imapclient) and SMTP (smtplib), by password or XOAUTH2.

Errors are sorted into two kinds the rest of the code acts on: `AuthFailed` (wrong password,
revoked or expired token: the mailbox needs re-authorisation) and `Unreachable` (network,
TLS, timeouts: try again later). Messages never contain the secret.
"""

import contextlib
import imaplib
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

TIMEOUT = 20


class TransportError(Exception):
    pass


class AuthFailed(TransportError):
    pass


class Unreachable(TransportError):
    pass


class QuotaExceeded(TransportError):
    """The provider refuses more mail from this account for now (a daily quota, throttling)."""


# Enhanced status codes of providers' sending quotas and throttling: Gmail's daily user
# quota (5.4.5), Microsoft's submission quota (5.2.2) and rate limit (4.5.127), and
# "too many" answers of any server.
_QUOTA_CODES = ("5.4.5", "5.2.2", "4.5.127")
_QUOTA_WORDS = re.compile(r"too many|quota|rate limit|sending limit|daily limit|throttl", re.I)


def is_quota(code: int, text: str) -> bool:
    return any(c in text for c in _QUOTA_CODES) or (
        code in (421, 450, 451, 452, 550, 554) and _QUOTA_WORDS.search(text) is not None
    )


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    tls: str  # "ssl" | "starttls" | "none"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = ""
    access_token: str = ""  # XOAUTH2 when set


def _ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context()


@sensitive_variables("creds", "xoauth")
def imap_open(endpoint: Endpoint, creds: Credentials, *, timeout: float = TIMEOUT) -> IMAPClient:
    try:
        client = IMAPClient(
            endpoint.host,
            port=endpoint.port,
            ssl=endpoint.tls == "ssl",
            ssl_context=_ssl_context() if endpoint.tls == "ssl" else None,
            timeout=timeout,
        )
        if endpoint.tls == "starttls":
            client.starttls(_ssl_context())
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
        raise Unreachable(
            _("Could not reach the IMAP server %(host)s:%(port)s (%(reason)s).")
            % {"host": endpoint.host, "port": endpoint.port, "reason": _reason(exc)}
        ) from exc
    try:
        if creds.access_token:
            client.oauth2_login(creds.username, creds.access_token)
        else:
            client.login(creds.username, creds.password)
    except (LoginError, imaplib.IMAP4.error) as exc:
        _quiet_logout(client)
        raise AuthFailed(_("The IMAP server refused the user name or password.")) from exc
    except UnicodeEncodeError as exc:
        _quiet_logout(client)
        raise AuthFailed(_not_ascii()) from exc
    except (OSError, ssl.SSLError) as exc:
        raise Unreachable(
            _("The IMAP connection broke: %(reason)s") % {"reason": _reason(exc)}
        ) from exc
    return client


def _not_ascii() -> str:
    # smtplib and imaplib send a login as ASCII only; anything else is refused here, before
    # the server sees it (it would be a 500 otherwise).
    return _("The user name and password may only hold ASCII letters, digits and punctuation.")


def _quiet_logout(client: IMAPClient) -> None:
    with contextlib.suppress(Exception):  # the connection is going away anyway
        client.logout()


def imap_close(client: IMAPClient) -> None:
    _quiet_logout(client)


@sensitive_variables("creds", "xoauth")
def smtp_open(endpoint: Endpoint, creds: Credentials, *, timeout: float = TIMEOUT) -> smtplib.SMTP:
    try:
        smtp: smtplib.SMTP
        if endpoint.tls == "ssl":
            smtp = smtplib.SMTP_SSL(
                endpoint.host, endpoint.port, timeout=timeout, context=_ssl_context()
            )
        else:
            smtp = smtplib.SMTP(endpoint.host, endpoint.port, timeout=timeout)
            if endpoint.tls == "starttls":
                smtp.starttls(context=_ssl_context())
        smtp.ehlo_or_helo_if_needed()
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        raise Unreachable(
            _("Could not reach the SMTP server %(host)s:%(port)s (%(reason)s).")
            % {"host": endpoint.host, "port": endpoint.port, "reason": _reason(exc)}
        ) from exc
    try:
        if creds.access_token:
            xoauth = f"user={creds.username}\x01auth=Bearer {creds.access_token}\x01\x01"
            smtp.auth("XOAUTH2", lambda challenge=None: xoauth, initial_response_ok=True)
        elif creds.username:
            smtp.login(creds.username, creds.password)
    except smtplib.SMTPAuthenticationError as exc:
        _smtp_quit(smtp)
        raise AuthFailed(_("The SMTP server refused the user name or password.")) from exc
    except smtplib.SMTPNotSupportedError as exc:
        _smtp_quit(smtp)
        raise AuthFailed(_("The SMTP server does not offer this way of logging in.")) from exc
    except UnicodeEncodeError as exc:
        _smtp_quit(smtp)
        raise AuthFailed(_not_ascii()) from exc
    except (OSError, smtplib.SMTPException) as exc:
        _smtp_quit(smtp)
        raise Unreachable(
            _("The SMTP connection broke: %(reason)s") % {"reason": _reason(exc)}
        ) from exc
    return smtp


def smtp_close(smtp: smtplib.SMTP) -> None:
    _smtp_quit(smtp)


def _smtp_quit(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(Exception):  # already gone
        smtp.quit()


def smtp_deliver(smtp: smtplib.SMTP, raw: bytes, *, from_addr: str, to: str) -> None:
    """Send one message (its bytes, as email_render made them) over an open connection;
    errors sorted for the outbox."""
    try:
        _sendmail(smtp, raw, from_addr=from_addr, to=to)
    except smtplib.SMTPRecipientsRefused as exc:
        answer = next(iter(exc.recipients.values()), (0, b""))
        code, text = int(answer[0]), bytes(answer[1]).decode("utf-8", "replace")
        if is_quota(code, text):
            raise QuotaExceeded(_smtp_said(code, text)) from exc
        raise TransportError(_("The server refused the recipient %(to)s.") % {"to": to}) from exc
    except smtplib.SMTPResponseException as exc:
        code = int(exc.smtp_code)
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        if is_quota(code, text):
            raise QuotaExceeded(_smtp_said(code, text)) from exc
        if 400 <= code < 500:
            raise Unreachable(_smtp_said(code, text)) from exc
        raise TransportError(_smtp_said(code, text)) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise Unreachable(
            _("The SMTP connection broke: %(reason)s") % {"reason": _reason(exc)}
        ) from exc


def _sendmail(smtp: smtplib.SMTP, raw: bytes, *, from_addr: str, to: str) -> None:
    """smtplib's `sendmail` for one recipient, pipelined (RFC 2920) when the server offers
    it, as Gmail, Microsoft 365 and Postfix do: MAIL, RCPT and DATA go in one write and their
    answers are read together, then the content. Two round trips an email instead of four.
    Raises what `sendmail` raises; a refusal leaves the connection ready for the next email."""
    if not (smtp.has_extn("pipelining") and from_addr.isascii() and to.isascii()):
        smtp.sendmail(from_addr, [to], raw)
        return
    size = f" SIZE={len(raw)}" if smtp.has_extn("size") else ""
    smtp.send(
        f"MAIL FROM:{smtplib.quoteaddr(from_addr)}{size}\r\n"
        f"RCPT TO:{smtplib.quoteaddr(to)}\r\nDATA\r\n"
    )
    answers: list[tuple[int, bytes]] = []
    for _command in ("MAIL", "RCPT", "DATA"):
        answers.append(smtp.getreply())
        if answers[-1][0] == 421:  # the server is closing the connection: no more answers
            break
    answers += [(503, b"")] * (3 - len(answers))
    (mail, mail_said), (rcpt, rcpt_said), (data, data_said) = answers
    if mail != 250 or rcpt not in (250, 251) or data != 354:
        if data == 354:  # a server that should have refused DATA: end it, empty
            smtp.send(b".\r\n")
            smtp.getreply()
        _sendmail_abort(smtp, mail, rcpt, data)
        if mail != 250:
            raise smtplib.SMTPSenderRefused(mail, mail_said, from_addr)
        if rcpt not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({to: (rcpt, rcpt_said)})
        raise smtplib.SMTPDataError(data, data_said)
    content = _LEADING_DOT.sub(b"..", raw)
    smtp.send(content + (b".\r\n" if content.endswith(b"\r\n") else b"\r\n.\r\n"))
    code, said = smtp.getreply()
    if code != 250:
        _sendmail_abort(smtp, code)
        raise smtplib.SMTPDataError(code, said)


def _sendmail_abort(smtp: smtplib.SMTP, *codes: int) -> None:
    """After a refusal, as `sendmail` does: a server that answered 421 is closing the
    connection; else the transaction is reset for the next email."""
    if 421 in codes:
        smtp.close()
    else:
        with contextlib.suppress(smtplib.SMTPServerDisconnected):
            smtp.rset()


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _smtp_said(code: int, text: str) -> str:
    said = " ".join(text.split())[:200]
    return _("The SMTP server answered %(code)s: %(text)s") % {"code": code, "text": said}


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return _("timed out")
    if isinstance(exc, ConnectionRefusedError):
        return _("connection refused")
    if isinstance(exc, socket.gaierror):
        return _("unknown host")
    if isinstance(exc, ssl.SSLError):
        return _("TLS failed")
    return exc.__class__.__name__
