"""Emails over one SMTP connection, pipelined (RFC 2920) when the server offers PIPELINING,
against a real SMTP server (aiosmtpd): what arrives, how many writes it took, and what a
refusal leaves behind."""

import smtplib
import socket
import threading
from collections.abc import Iterator

import pytest

from parley.channels.email.mime import email_render
from parley.channels.email.transport import (
    Credentials,
    Endpoint,
    QuotaExceeded,
    TransportError,
    smtp_close,
    smtp_deliver,
    smtp_open,
)

SENDER = "max@brand.test"


@pytest.fixture(params=[True, False], ids=["pipelining", "plain"])
def smtp(request, smtp_server) -> Iterator[tuple[smtplib.SMTP, list[bytes]]]:  # type: ignore[no-untyped-def]
    """An open, logged-in connection, and every write it makes from now on."""
    smtp_server.handler.pipelining = request.param
    smtp_server.handler.users[SENDER] = "pw"
    conn = smtp_open(Endpoint("127.0.0.1", smtp_server.port, "none"), Credentials(SENDER, "pw"))
    writes: list[bytes] = []
    send = conn.send

    def counted(data: bytes | str) -> None:
        writes.append(data if isinstance(data, bytes) else data.encode())
        send(data)

    conn.send = counted  # type: ignore[method-assign,assignment]
    yield conn, writes
    smtp_close(conn)


def _email(n: int, body: str = "Hi there") -> bytes:
    return email_render(
        from_addr=SENDER,
        from_name="Max",
        to_addr=f"creator{n}@creators.test",
        to_name=f"Creator {n}",
        subject=f"Email {n}",
        body_text=body,
        message_id=f"<m{n}@brand.test>",
    )


def test_each_email_arrives_whole_in_two_writes_when_pipelined(smtp, smtp_server):  # type: ignore[no-untyped-def]
    conn, writes = smtp
    bodies = ["Hi Maya", ".a line that starts with a dot\n..and two", "Bye\n.\nnot the end"]
    for n, body in enumerate(bodies):
        smtp_deliver(conn, _email(n, body), from_addr=SENDER, to=f"creator{n}@creators.test")
    got = smtp_server.handler.messages[-3:]
    assert [m["Subject"] for m in got] == ["Email 0", "Email 1", "Email 2"]
    assert [m.get_content().replace("\r\n", "\n").strip() for m in got] == bodies
    assert smtp_server.handler.envelopes[-3:] == [
        (SENDER, [f"creator{n}@creators.test"]) for n in range(3)
    ]
    # MAIL, RCPT and DATA in one write, then the content; without PIPELINING, four.
    assert len(writes) == (2 if smtp_server.handler.pipelining else 4) * 3


@pytest.mark.parametrize(
    ("where", "answer", "error", "says"),
    [
        ("rcpt", "550 5.1.1 User unknown", TransportError, "refused the recipient"),
        ("rcpt", "550 5.4.5 Daily user sending quota exceeded", QuotaExceeded, "5.4.5"),
        ("data", "554 5.7.1 Message rejected", TransportError, "554: 5.7.1 Message rejected"),
    ],
)
def test_a_refusal_is_sorted_and_the_next_email_still_goes(  # type: ignore[no-untyped-def]
    smtp, smtp_server, where, answer, error, says
):
    conn, _writes = smtp
    before = len(smtp_server.handler.messages)
    setattr(smtp_server.handler, "refuse_rcpt" if where == "rcpt" else "refuse", answer)
    with pytest.raises(error) as caught:
        smtp_deliver(conn, _email(1), from_addr=SENDER, to="creator1@creators.test")
    assert says in str(caught.value)
    assert len(smtp_server.handler.messages) == before
    smtp_server.handler.refuse_rcpt = smtp_server.handler.refuse = None
    smtp_deliver(conn, _email(2), from_addr=SENDER, to="creator2@creators.test")
    assert smtp_server.handler.messages[-1]["Subject"] == "Email 2"
    assert len(smtp_server.handler.messages) == before + 1


class _Peer:
    """A scripted SMTP server for what a well-behaved one never does: `answers` maps a
    command's verb to its reply (None: close the connection). Every line it read is kept."""

    def __init__(self, answers: dict[str, str | None]) -> None:
        self.answers = answers
        self.lines: list[str] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _addr = self.server.accept()
        reader = conn.makefile("rb")
        conn.sendall(b"220 peer ESMTP\r\n")
        data = False
        for raw in reader:
            line = raw.decode().rstrip("\r\n")
            self.lines.append(line)
            if data:
                if line == ".":
                    data = False
                    conn.sendall(b"250 2.0.0 taken\r\n")
                continue
            verb = line.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb == "EHLO":
                conn.sendall(b"250-peer\r\n250-PIPELINING\r\n250 SIZE 1000000\r\n")
                continue
            answer = self.answers.get(verb, "250 ok")
            if answer is None:
                break
            conn.sendall(answer.encode() + b"\r\n")
            data = verb == "DATA" and answer.startswith("354")
            if verb == "QUIT":
                break
        conn.close()
        self.server.close()


def _peer_open(peer: _Peer) -> smtplib.SMTP:
    return smtp_open(Endpoint("127.0.0.1", peer.port, "none"), Credentials(""))


def test_a_server_that_takes_data_after_refusing_the_recipient_gets_it_empty():  # type: ignore[no-untyped-def]
    peer = _Peer({"RCPT": "550 5.1.1 No such user", "DATA": "354 go ahead"})
    conn = _peer_open(peer)
    with pytest.raises(TransportError, match="refused the recipient"):
        smtp_deliver(conn, _email(1), from_addr=SENDER, to="gone@creators.test")
    # The DATA it should have refused is ended empty, the transaction reset; nothing of the
    # email was written to it.
    assert [line.upper() for line in peer.lines[-3:]] == ["DATA", ".", "RSET"]
    assert not any("Email 1" in line for line in peer.lines)
    smtp_close(conn)


def test_a_server_closing_with_421_on_mail_pauses_rather_than_fails():  # type: ignore[no-untyped-def]
    peer = _Peer({"MAIL": "421 4.7.0 Too many messages, try again later"})
    peer.answers["RCPT"] = None  # gone after its 421: the other answers never come
    conn = _peer_open(peer)
    with pytest.raises(QuotaExceeded, match="421"):
        smtp_deliver(conn, _email(1), from_addr=SENDER, to="creator1@creators.test")
    assert conn.sock is None  # closed, as smtplib does on a 421
