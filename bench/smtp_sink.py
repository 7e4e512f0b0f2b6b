"""A local SMTP server that accepts every message and throws it away, for the sending
benchmarks (Parley's outbox and django-post-office are timed against the same one).

    python bench/smtp_sink.py [--port 0]

Standard library only (it runs under any Python 3.11+, the scratch venvs' too). Prints
`ready <port>` once listening, then serves until killed. It speaks just enough SMTP for
smtplib (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no TLS, no AUTH), offering
PIPELINING (RFC 2920) as Gmail, Microsoft 365 and Postfix do (smtplib never uses it; Parley
does), and one extra verb, `XCOUNT`, answered `250 <messages> <bytes>`: what it has
accepted so far, so a benchmark can check every email arrived. A thread per connection, no
parsing of the message: about 0.06 ms of CPU an email, far less than either sender spends.
"""

import argparse
import contextlib
import smtplib
import socket
import subprocess
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve()

_lock = threading.Lock()
_counts = [0, 0]  # messages, bytes


def _session(conn: socket.socket) -> None:
    """One client, blocking, in its own thread: a recv and a send per command (an asyncio
    loop cost four times the CPU per message)."""
    reader = conn.makefile("rb", buffering=1 << 16)
    send = conn.sendall
    try:
        send(b"220 sink ESMTP\r\n")
        while True:
            line = reader.readline()
            if not line:
                break
            verb = line[:4].upper()
            if verb == b"DATA":
                send(b"354 go ahead\r\n")
                size = 0
                while True:
                    data = reader.readline()
                    if not data:
                        return
                    if data == b".\r\n":
                        break
                    size += len(data)
                with _lock:
                    _counts[0] += 1
                    _counts[1] += size
                send(b"250 2.0.0 accepted\r\n")
            elif verb == b"EHLO":
                send(b"250-sink\r\n250-8BITMIME\r\n250-PIPELINING\r\n250 SIZE 104857600\r\n")
            elif verb == b"QUIT":
                send(b"221 bye\r\n")
                break
            elif verb == b"XCOU":
                with _lock:
                    send(f"250 {_counts[0]} {_counts[1]}\r\n".encode())
            elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                send(b"250 ok\r\n")
            else:
                send(b"502 not here\r\n")
    except OSError:
        pass
    finally:
        conn.close()


def serve(port: int) -> None:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(128)
    print(f"ready {server.getsockname()[1]}", flush=True)
    while True:
        conn, _addr = server.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_session, args=(conn,), daemon=True).start()


class Sink:
    """The sink in its own process: `with Sink() as sink:` ... `sink.port`, `sink.count()`."""

    def __init__(self, python: str = sys.executable):
        self.proc = subprocess.Popen(
            [python, str(HERE), "--port", "0"], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline().split()
        if len(first) != 2 or first[0] != "ready":
            self.proc.kill()
            raise RuntimeError(f"SMTP sink did not start: {first}")
        self.port = int(first[1])

    def count(self) -> tuple[int, int]:
        """(messages, bytes) accepted so far."""
        smtp = smtplib.SMTP("127.0.0.1", self.port, timeout=10)
        try:
            _code, text = smtp.docmd("XCOUNT")
            messages, size = text.decode().split()
            return int(messages), int(size)
        finally:
            smtp.quit()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def __enter__(self) -> "Sink":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        serve(args.port)


if __name__ == "__main__":
    main()
