"""Reply sync against a real Dovecot: only replies to Parley's emails, threaded right."""

import pytest
from imapclient import IMAPClient

from parley.channels.email.models import EmailRecord, Mailbox, MailboxFolder
from parley.channels.email.sync import mailbox_sync
from parley.inbox.models import Conversation, Message
from parley.outbox.email_send import email_message_send
from parley.outbox.models import OutboxItem
from parley.outbox.services import outbox_deliver
from tests.channels.email.servers import PASSWORD

pytestmark = pytest.mark.django_db


def _send(member, conversation, mailbox, subject="Hello", body="Would you like to work with us?"):  # type: ignore[no-untyped-def]
    message = email_message_send(
        member=member, conversation=conversation, mailbox=mailbox, subject=subject, body=body
    )
    item = OutboxItem.objects.get(message=message)
    assert outbox_deliver(item_id=item.pk) == OutboxItem.State.DONE
    message.refresh_from_db()
    return message


def _ref(message: Message) -> str:
    return f"<{message.provider_message_id}>"


def test_reply_to_our_email_is_stored_in_the_creators_thread(
    member, mailbox, creator_thread, append
):  # type: ignore[no-untyped-def]
    # Given an email sent to a creator
    thread = creator_thread("anna@creators.test", "Anna")
    sent = _send(member, thread, mailbox)
    # When the creator replies and the mailbox syncs
    append(
        mailbox.address,
        sender="Anna <anna@creators.test>",
        in_reply_to=_ref(sent),
        references=_ref(sent),
    )
    report = mailbox_sync(mailbox_id=mailbox.pk)
    # Then the reply is in Anna's thread, inbound, from Anna
    reply = Message.objects.get(conversation=thread, direction=Message.Direction.INBOUND)
    assert reply.body_text.startswith("Sounds good!")
    assert reply.author_creator_id == thread.creator_id
    assert reply.status == Message.Status.RECEIVED
    assert report.stored == 1
    thread.refresh_from_db()
    assert thread.awaiting_reply_since is not None


class SpyClient:
    """Wraps the real IMAP connection and records what was fetched."""

    def __init__(self, client):  # type: ignore[no-untyped-def]
        self._client = client
        self.fetches: list[tuple[list[int], list[str]]] = []

    def fetch(self, uids, items):  # type: ignore[no-untyped-def]
        self.fetches.append((list(uids), list(items)))
        return self._client.fetch(uids, items)

    def __getattr__(self, name):  # type: ignore[no-untyped-def]
        return getattr(self._client, name)


def _flags(address: str, dovecot, folder: str = "INBOX") -> dict[int, tuple]:  # type: ignore[no-untyped-def]
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as client:
        client.login(address, PASSWORD)
        client.select_folder(folder, readonly=True)
        return client.get_flags(client.search(["ALL"]))


def test_unrelated_email_is_never_stored_nor_downloaded_and_stays_unread(  # type: ignore[no-untyped-def]
    member, mailbox, creator_thread, append, dovecot
):
    # Given a Parley email, and an email in the same mailbox from a known creator with the
    # same subject that replies to nothing Parley sent
    thread = creator_thread("anna@creators.test", "Anna")
    _send(member, thread, mailbox, subject="Summer campaign")
    append(
        mailbox.address,
        sender="anna@creators.test",
        subject="Re: Summer campaign",
        in_reply_to="<someone-else@gmail.test>",
    )
    append(mailbox.address, sender="stranger@else.test", subject="Re: Summer campaign")
    # When the mailbox syncs through a connection that records its fetches
    from parley.channels.email.sync import mailbox_connect

    spy = SpyClient(mailbox_connect(mailbox))
    try:
        report = mailbox_sync(mailbox_id=mailbox.pk, client=spy)
    finally:
        spy.logout()
    # Then nothing is stored, only header fields were fetched, and both stay unread
    assert Message.objects.filter(direction=Message.Direction.INBOUND).count() == 0
    assert report.skipped == 3  # the two unrelated ones, and Parley's own copy in Sent
    assert all(
        all("HEADER.FIELDS" in i or i in ("RFC822.SIZE", "INTERNALDATE") for i in items)
        for _uids, items in spy.fetches
    )
    assert all(b"\\Seen" not in flags for flags in _flags(mailbox.address, dovecot).values())
    assert not EmailRecord.objects.filter(folder__isnull=False).exists()


def test_send_only_mailbox_never_touches_imap(
    member, servers, dovecot, smtp_server, creator_thread
):  # type: ignore[no-untyped-def]
    # Given an account whose IMAP side Parley must never log in to
    from parley.channels.email.services import mailbox_connect_imap
    from parley.channels.email.watch import watchers_ensure, watchers_stop

    address = dovecot.add_user()
    smtp_server.handler.users[address] = PASSWORD
    # When it is connected as send only, an email is sent and sync and watchers run
    mailbox = mailbox_connect_imap(
        member=member,
        address=address,
        display_name="",
        access=Mailbox.Access.SEND_ONLY,
        servers=servers,
        username=address,
        password=PASSWORD,
    )
    thread = creator_thread("bea@creators.test", "Bea")
    sent = _send(member, thread, mailbox)
    report = mailbox_sync(mailbox_id=mailbox.pk)
    watchers_ensure()
    watchers_stop()
    # Then the email went out, and Dovecot never saw a login for the account
    assert sent.status == Message.Status.SENT
    assert report.looked_at == 0 and report.folders == []
    assert not MailboxFolder.objects.filter(mailbox=mailbox).exists()
    assert address not in (dovecot.tmp / "dovecot.log").read_text()
    assert not dovecot.maildir(address).exists()


def test_reply_written_in_the_mail_client_is_synced_from_sent_as_the_member(  # type: ignore[no-untyped-def]
    member, mailbox, creator_thread, append
):
    # Given a Parley email to Anna, and its copy in Sent (as Gmail stores it)
    thread = creator_thread("anna@creators.test", "Anna")
    sent = _send(member, thread, mailbox)
    append(
        mailbox.address,
        sender=mailbox.address,
        to="anna@creators.test",
        folder="Sent",
        subject="Hello",
        message_id=_ref(sent),
        body="Would you like to work with us?",
    )
    # When the user answers Anna from their mail client (the reply lands in Sent)
    append(
        mailbox.address,
        sender=f"Brand <{mailbox.address}>",
        to="anna@creators.test",
        folder="Sent",
        subject="Re: Hello",
        body="PS: the brief is attached.",
        in_reply_to=_ref(sent),
        references=_ref(sent),
    )
    mailbox_sync(mailbox_id=mailbox.pk)
    # Then it is in Anna's thread as outbound by the member who connected the mailbox,
    # and our own copy is not stored twice
    outbound = list(
        Message.objects.filter(conversation=thread, direction=Message.Direction.OUTBOUND).order_by(
            "id"
        )
    )
    assert len(outbound) == 2
    synced = outbound[1]
    assert synced.body_text.startswith("PS: the brief")
    assert synced.author_member_id == member.pk
    assert synced.status == Message.Status.SENT


def test_replies_from_two_creators_to_one_mass_email_land_in_their_own_threads(  # type: ignore[no-untyped-def]
    member, mailbox, creator_thread, append
):
    # Given the same campaign email sent to Anna and to Ben
    anna = creator_thread("anna@creators.test", "Anna")
    ben = creator_thread("ben@creators.test", "Ben")
    to_anna = _send(member, anna, mailbox, subject="Join our summer campaign")
    to_ben = _send(member, ben, mailbox, subject="Join our summer campaign")
    # When both reply, and Ben (who was forwarded Anna's copy) answers that one
    append(
        mailbox.address,
        sender="anna@creators.test",
        subject="Re: Join our summer campaign",
        in_reply_to=_ref(to_anna),
        body="Anna is in",
    )
    append(
        mailbox.address,
        sender="ben@creators.test",
        subject="Re: Join our summer campaign",
        in_reply_to=_ref(to_ben),
        body="Ben is in",
    )
    append(
        mailbox.address,
        sender="Ben <BEN@creators.test>",
        subject="Re: Fwd: Join our summer campaign",
        in_reply_to=_ref(to_anna),
        body="Ben again",
    )
    mailbox_sync(mailbox_id=mailbox.pk)

    # Then each reply is in its author's own thread
    def inbound(conv: Conversation) -> list[str]:
        return sorted(
            m.body_text for m in Message.objects.filter(conversation=conv, direction="in")
        )

    assert inbound(anna) == ["Anna is in"]
    assert inbound(ben) == ["Ben again", "Ben is in"]


def test_rewritten_in_reply_to_joins_by_references_or_token(
    member, mailbox, creator_thread, append
):  # type: ignore[no-untyped-def]
    # Given an email to Anna
    thread = creator_thread("anna@creators.test", "Anna")
    sent = _send(member, thread, mailbox)
    # When her client rewrites In-Reply-To but keeps References
    append(
        mailbox.address,
        sender="anna@creators.test",
        in_reply_to="<rewritten@outlook.test>",
        references=f"<older@x.test> {_ref(sent)}",
        body="via references",
    )
    # and, once our records of the email are gone, another reply carries only our token
    mailbox_sync(mailbox_id=mailbox.pk)
    EmailRecord.objects.filter(message=sent).delete()
    append(
        mailbox.address,
        sender="anna@creators.test",
        in_reply_to="<rewritten2@outlook.test>",
        references=_ref(sent),
        body="via token",
    )
    # and a forged token (bad signature) arrives too
    forged = _ref(sent).replace(sent.provider_message_id.split(".")[4][:4], "0000")
    append(mailbox.address, sender="anna@creators.test", references=forged, body="forged")
    mailbox_sync(mailbox_id=mailbox.pk)
    # Then both real replies join the thread; the forgery does not
    bodies = sorted(
        m.body_text for m in Message.objects.filter(conversation=thread, direction="in")
    )
    assert bodies == ["via references", "via token"]


def test_reply_to_a_reply_joins_the_thread(member, mailbox, creator_thread, append):  # type: ignore[no-untyped-def]
    thread = creator_thread("anna@creators.test", "Anna")
    sent = _send(member, thread, mailbox)
    append(
        mailbox.address,
        sender="anna@creators.test",
        in_reply_to=_ref(sent),
        message_id="<anna-1@creators.test>",
        body="first",
    )
    mailbox_sync(mailbox_id=mailbox.pk)
    # A second reply that only references Anna's own first reply
    append(
        mailbox.address,
        sender="anna@creators.test",
        in_reply_to="<anna-1@creators.test>",
        body="second",
    )
    mailbox_sync(mailbox_id=mailbox.pk)
    assert Message.objects.filter(conversation=thread, direction="in").count() == 2


def test_only_mail_after_the_connection_is_synced(member, mailbox, creator_thread, append, servers):  # type: ignore[no-untyped-def]
    from parley.channels.email.services import mailbox_connect_imap

    thread = creator_thread("anna@creators.test", "Anna")
    sent = _send(member, thread, mailbox)
    # Given a reply already in the mailbox when (re)connecting from scratch
    append(mailbox.address, sender="anna@creators.test", in_reply_to=_ref(sent), body="before")
    MailboxFolder.objects.filter(mailbox=mailbox).delete()
    mailbox_connect_imap(
        member=member,
        address=mailbox.address,
        display_name="",
        access="full",
        servers=servers,
        username=mailbox.address,
        password=PASSWORD,
        mailbox=mailbox,
    )
    # When a new reply arrives afterwards
    append(mailbox.address, sender="anna@creators.test", in_reply_to=_ref(sent), body="after")
    mailbox_sync(mailbox_id=mailbox.pk)
    # Then only that one is synced
    assert [m.body_text for m in Message.objects.filter(conversation=thread, direction="in")] == [
        "after"
    ]


def test_missing_or_reused_message_id_is_neither_dropped_nor_doubled(
    member, mailbox, creator_thread, append
):  # type: ignore[no-untyped-def]
    thread = creator_thread("anna@creators.test", "Anna")
    sent = _send(member, thread, mailbox)
    append(
        mailbox.address,
        sender="anna@creators.test",
        in_reply_to=_ref(sent),
        message_id="",
        body="no id",
    )
    append(
        mailbox.address,
        sender="anna@creators.test",
        in_reply_to=_ref(sent),
        message_id="<same@creators.test>",
        body="one",
    )
    append(
        mailbox.address,
        sender="anna@creators.test",
        in_reply_to=_ref(sent),
        message_id="<same@creators.test>",
        body="two",
    )
    mailbox_sync(mailbox_id=mailbox.pk)
    mailbox_sync(mailbox_id=mailbox.pk)  # a second pass stores nothing again
    bodies = sorted(
        m.body_text for m in Message.objects.filter(conversation=thread, direction="in")
    )
    assert bodies == ["no id", "one", "two"]


def _change_uidvalidity(dovecot, address: str) -> None:  # type: ignore[no-untyped-def]
    """Make Dovecot give INBOX a new UIDVALIDITY (as after a server restore): rewrite the
    maildir's uidlist header and drop its indexes."""
    maildir = dovecot.maildir(address)
    uidlist = maildir / "dovecot-uidlist"
    lines = uidlist.read_text().splitlines()
    head = lines[0].split()
    head = [f"V{int(p[1:]) + 1000}" if p.startswith("V") else p for p in head]
    uidlist.write_text("\n".join([" ".join(head), *lines[1:]]) + "\n")
    for index in maildir.glob("dovecot.index*"):
        index.unlink()


def test_uidvalidity_change_resyncs_without_duplicates(
    member, mailbox, creator_thread, append, dovecot
):  # type: ignore[no-untyped-def]
    # Given a synced reply
    thread = creator_thread("anna@creators.test", "Anna")
    sent = _send(member, thread, mailbox)
    append(mailbox.address, sender="anna@creators.test", in_reply_to=_ref(sent), body="one")
    mailbox_sync(mailbox_id=mailbox.pk)
    inbox = MailboxFolder.objects.get(mailbox=mailbox, role="inbox")
    old_validity = inbox.uidvalidity
    # When the server changes INBOX's UIDVALIDITY and a new reply arrives
    _change_uidvalidity(dovecot, mailbox.address)
    append(mailbox.address, sender="anna@creators.test", in_reply_to=_ref(sent), body="two")
    report = mailbox_sync(mailbox_id=mailbox.pk)
    # Then the folder state follows, the old reply is recognised, the new one stored once
    inbox.refresh_from_db()
    assert inbox.uidvalidity != old_validity
    assert report.duplicates == 1
    bodies = sorted(
        m.body_text for m in Message.objects.filter(conversation=thread, direction="in")
    )
    assert bodies == ["one", "two"]
    mailbox_sync(mailbox_id=mailbox.pk)
    assert Message.objects.filter(conversation=thread, direction="in").count() == 2


def test_a_sync_killed_midway_leaves_no_duplicate_and_no_gap(
    member, mailbox, creator_thread, append, monkeypatch
):  # type: ignore[no-untyped-def]
    from parley.channels.email import sync

    thread = creator_thread("anna@creators.test", "Anna")
    sent = _send(member, thread, mailbox)
    for i in range(4):
        append(
            mailbox.address, sender="anna@creators.test", in_reply_to=_ref(sent), body=f"reply {i}"
        )
    # Given a worker that dies (as with SIGKILL: no cleanup runs) while storing the third reply
    real_record = sync.message_record
    calls = {"n": 0}

    class Killed(BaseException):
        pass

    def dying(**kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise Killed
        return real_record(**kwargs)

    monkeypatch.setattr(sync, "message_record", dying)
    monkeypatch.setattr(
        sync, "folder_release", lambda **kw: None
    )  # a killed process cleans up nothing
    with pytest.raises(Killed):
        mailbox_sync(mailbox_id=mailbox.pk, worker_id="worker-a")
    monkeypatch.undo()
    # What was committed is consistent: the stored replies, their records and the folder's
    # last UID moved together (here the whole chunk was rolled back)
    inbox = MailboxFolder.objects.get(mailbox=mailbox, role="inbox")
    stored_uids = set(EmailRecord.objects.filter(folder=inbox).values_list("uid", flat=True))
    assert len(stored_uids) == Message.objects.filter(conversation=thread, direction="in").count()
    assert len(stored_uids) < 4 and all((uid or 0) <= inbox.last_uid for uid in stored_uids)
    # its lease still holds the folder: another worker waits for it
    assert "INBOX" not in mailbox_sync(mailbox_id=mailbox.pk, worker_id="worker-b").folders
    # When the lease runs out and another worker syncs
    from django.utils import timezone

    MailboxFolder.objects.filter(mailbox=mailbox).update(lease_until=timezone.now())
    mailbox_sync(mailbox_id=mailbox.pk, worker_id="worker-b")
    # Then every reply is there exactly once
    bodies = sorted(
        m.body_text for m in Message.objects.filter(conversation=thread, direction="in")
    )
    assert bodies == [f"reply {i}" for i in range(4)]


MALFORMED = (
    b"From: anna@creators.test\r\nTo: x@example.com\r\nSubject: =?utf-8?B?broken\r\n"
    b"In-Reply-To: {ref}\r\nMessage-ID: <broken@creators.test>\r\n"
    b'Content-Type: multipart/mixed; boundary="zzz"\r\n\r\n'
    b"--zzz\r\nContent-Type: text/plain; charset=no-such-charset\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8gd29ybGQ===!!\r\n"
    b"--zzz\r\nContent-Type: text/plain\r\n\r\nsecond part, no closing boundary\r\n"
)


def test_malformed_mime_is_stored_flagged_and_never_stops_sync(
    member, mailbox, creator_thread, append
):  # type: ignore[no-untyped-def]
    thread = creator_thread("anna@creators.test", "Anna")
    sent = _send(member, thread, mailbox)
    append(mailbox.address, sender="", raw=MALFORMED.replace(b"{ref}", _ref(sent).encode()))
    append(mailbox.address, sender="anna@creators.test", in_reply_to=_ref(sent), body="fine")
    mailbox_sync(mailbox_id=mailbox.pk)
    messages = list(Message.objects.filter(conversation=thread, direction="in").order_by("id"))
    assert len(messages) == 2
    assert messages[0].is_malformed and "second part" in messages[0].body_text
    assert not messages[1].is_malformed and messages[1].body_text == "fine"


def test_malicious_html_is_inert_and_attachments_are_stored(
    member, mailbox, creator_thread, append
):  # type: ignore[no-untyped-def]
    from email.message import EmailMessage

    thread = creator_thread("anna@creators.test", "Anna")
    sent = _send(member, thread, mailbox)
    msg = EmailMessage()
    msg["From"] = "anna@creators.test"
    msg["To"] = mailbox.address
    msg["Subject"] = "Re: Hello"
    msg["In-Reply-To"] = _ref(sent)
    msg.set_content("plain")
    msg.add_alternative(
        '<p onclick="x()">Hi<script>alert(1)</script></p><img src="x" onerror="alert(2)">'
        '<div style="background:url(https://track.test/p.gif)">styled</div>'
        "<style>body{background:url(https://track.test/q.gif)}</style>"
        '<a href="javascript:alert(3)">js</a><img src="https://track.test/pixel.gif">'
        '<iframe src="https://evil.test"></iframe><a href="https://ok.test">ok</a>',
        subtype="html",
    )
    msg.add_attachment(
        b"%PDF-1.4 rate card", maintype="application", subtype="pdf", filename="rates.pdf"
    )
    append(mailbox.address, sender="", raw=bytes(msg))
    mailbox_sync(mailbox_id=mailbox.pk)
    reply = Message.objects.get(conversation=thread, direction="in")
    html = reply.body_html.lower()
    for bad in (
        "<script",
        "onerror",
        "onclick",
        "url(",
        "javascript:",
        "track.test",
        "<iframe",
        "style=",
        "<style",
    ):
        assert bad not in html, bad
    assert "https://ok.test" in html and "hi" in html
    attachment = reply.attachments.get()
    assert attachment.filename == "rates.pdf"
    assert attachment.file.read() == b"%PDF-1.4 rate card"


def test_reply_to_a_reply_in_the_same_sync_pass_joins_too(member, mailbox, creator_thread, append):  # type: ignore[no-untyped-def]
    thread = creator_thread("anna@creators.test", "Anna")
    sent = _send(member, thread, mailbox)
    append(
        mailbox.address,
        sender="anna@creators.test",
        in_reply_to=_ref(sent),
        message_id="<anna-a@creators.test>",
        body="first",
    )
    append(
        mailbox.address,
        sender="anna@creators.test",
        in_reply_to="<anna-a@creators.test>",
        body="second",
    )
    report = mailbox_sync(mailbox_id=mailbox.pk)
    assert report.stored == 2
    assert Message.objects.filter(conversation=thread, direction="in").count() == 2


def test_a_copy_of_what_parley_sends_is_filed_in_sent_and_not_synced_back(  # type: ignore[no-untyped-def]
    member, mailbox, creator_thread, dovecot
):
    thread = creator_thread("anna@creators.test", "Anna")
    sent = _send(member, thread, mailbox)
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as client:
        client.login(mailbox.address, PASSWORD)
        client.select_folder("Sent", readonly=True)
        found = client.search(["HEADER", "Message-ID", sent.provider_message_id])
        flags = client.get_flags(found)
    assert len(found) == 1 and b"\\Seen" in flags[found[0]]
    report = mailbox_sync(mailbox_id=mailbox.pk)
    assert report.stored == 0
    assert Message.objects.filter(conversation=thread).count() == 1
