"""Emails over one SMTP connection, pipelined (RFC 2920) when the server offers PIPELINING,
against a real SMTP server (aiosmtpd): what arrives, how many writes it took, and what a
refusal leaves behind."""

import smtplib
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
