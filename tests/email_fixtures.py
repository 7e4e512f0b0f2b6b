"""Email fixtures for any test (a pytest plugin, see tests/conftest.py): a real Dovecot, a
real SMTP server (aiosmtpd) and a local OAuth 2.0 server; uploads go to a temporary folder
in every test."""

from collections.abc import Callable, Iterator
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from django.utils import timezone
from imapclient import IMAPClient

from parley.accounts.models import Member
from parley.channels.email.models import Mailbox
from parley.channels.email.services import ServerSettings, mailbox_connect_imap
from parley.creators.models import Creator
from parley.inbox.models import Conversation
from parley.inbox.services import conversation_get_or_create
from tests.channels.email.servers import PASSWORD, Dovecot, OAuthServer, SmtpServer
from tests.factories import CreatorFactory, IdentityFactory


@pytest.fixture(scope="session")
def oauth_server() -> Iterator[OAuthServer]:
    server = OAuthServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dovecot(oauth_server: OAuthServer) -> Iterator[Dovecot]:
    try:
        server = Dovecot(oauth_url=oauth_server.base)
    except FileNotFoundError:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd; `make test` does)")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp_server_session(oauth_server: OAuthServer) -> Iterator[SmtpServer]:
    server = SmtpServer(oauth_server.state)
    yield server
    server.stop()


@pytest.fixture
def smtp_server(smtp_server_session: SmtpServer) -> Iterator[SmtpServer]:
    """The session's SMTP server, answering normally again after each test."""
    yield smtp_server_session
    smtp_server_session.handler.refuse = None
    smtp_server_session.handler.refuse_rcpt = None
    smtp_server_session.handler.pipelining = True
    smtp_server_session.handler.on_accept = None


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def imap_user(dovecot: Dovecot, smtp_server: SmtpServer) -> str:
    """A fresh account on both servers; it has a Sent folder."""
    address = dovecot.add_user()
    smtp_server.handler.users[address] = PASSWORD
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as client:
        client.login(address, PASSWORD)
        client.create_folder("Sent")
    return address


@pytest.fixture
def servers(dovecot: Dovecot, smtp_server: SmtpServer) -> ServerSettings:
    return ServerSettings(
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_tls=Mailbox.Tls.NONE,
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_tls=Mailbox.Tls.NONE,
    )


@pytest.fixture
def connect(member: Member, servers: ServerSettings, imap_user: str) -> Callable[..., Mailbox]:
    def make(*, access: str = Mailbox.Access.FULL, who: Member | None = None) -> Mailbox:
        return mailbox_connect_imap(
            member=who or member,
            address=imap_user,
            display_name="Brand Team",
            access=access,
            servers=servers,
            username=imap_user,
            password=PASSWORD,
        )

    return make


@pytest.fixture
def mailbox(connect: Callable[..., Mailbox]) -> Mailbox:
    return connect()


@pytest.fixture
def creator_thread(member: Member) -> Callable[..., Conversation]:
    def make(email: str = "", name: str = "Creator") -> Conversation:
        creator: Creator = CreatorFactory(workspace=member.workspace, name=name)  # type: ignore[assignment]
        IdentityFactory(
            creator=creator, value=email or f"{name.lower().replace(' ', '.')}@creators.test"
        )
        return conversation_get_or_create(creator=creator)

    return make


@pytest.fixture
def append(dovecot: Dovecot) -> Callable[..., None]:
    """APPEND an email to a folder of an account, as a mail server delivering it would;
    `arrived` sets its INTERNALDATE (the server's arrival time), else the server's now."""

    def do(
        address: str,
        *,
        sender: str,
        subject: str = "Re: Hello",
        body: str = "Sounds good!",
        in_reply_to: str = "",
        references: str = "",
        message_id: str | None = None,
        folder: str = "INBOX",
        to: str = "",
        html: str = "",
        raw: bytes | None = None,
        arrived: datetime | None = None,
    ) -> None:
        if raw is None:
            msg = EmailMessage()
            msg["From"] = sender
            msg["To"] = to or address
            msg["Subject"] = subject
            msg["Date"] = format_datetime(timezone.now())
            if message_id != "":
                msg["Message-ID"] = message_id or make_msgid(domain="creators.test")
            if in_reply_to:
                msg["In-Reply-To"] = in_reply_to
            if references:
                msg["References"] = references
            msg.set_content(body)
            if html:
                msg.add_alternative(html, subtype="html")
            raw = bytes(msg)
        with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as client:
            client.login(address, PASSWORD)
            client.append(folder, raw, msg_time=arrived)

    return do
