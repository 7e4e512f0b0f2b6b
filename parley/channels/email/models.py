"""Connected mailboxes, their per-folder sync state, and one record per email seen."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Mailbox(models.Model):
    """A brand's own address, connected by OAuth (Gmail, Microsoft) or IMAP/SMTP.

    Secrets (password or OAuth tokens) are stored encrypted (parley.core.crypto) and are
    never rendered, logged or returned by the API.
    """

    class Provider(models.TextChoices):
        IMAP = "imap", _("IMAP/SMTP")
        GMAIL = "gmail", _("Gmail")
        MICROSOFT = "microsoft", _("Microsoft")

    class Access(models.TextChoices):
        FULL = "full", _("Full access")
        SEND_ONLY = "send_only", _("Send only")

    class Tls(models.TextChoices):
        SSL = "ssl", _("SSL/TLS")
        STARTTLS = "starttls", _("STARTTLS")
        NONE = "none", _("None (unencrypted)")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    connected_by = models.ForeignKey(
        "accounts.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    address = models.EmailField(_("email address"))
    display_name = models.CharField(_("display name"), max_length=120, blank=True)
    provider = models.CharField(max_length=10, choices=Provider.choices, default=Provider.IMAP)
    access = models.CharField(max_length=10, choices=Access.choices, default=Access.FULL)
    smtp_host = models.CharField(max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(default=587)
    smtp_tls = models.CharField(max_length=10, choices=Tls.choices, default=Tls.STARTTLS)
    imap_host = models.CharField(max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(default=993)
    imap_tls = models.CharField(max_length=10, choices=Tls.choices, default=Tls.SSL)
    username = models.CharField(max_length=255, blank=True)
    # Encrypted: the password, or the OAuth token set as JSON.
    secret = models.TextField(blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    is_default = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    daily_limit = models.PositiveIntegerField(default=300)
    # Health.
    connected_at = models.DateTimeField()
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    needs_reauth = models.BooleanField(default=False)
    # The provider refused more mail for now (a daily quota): the outbox holds this
    # mailbox's queue until then (outbox.SenderState holds the pause; this is its banner).
    paused_until = models.DateTimeField(null=True, blank=True)
    pause_reason = models.TextField(blank=True)
    # Emails that could not be fully read (stored flagged, or recorded with their error):
    # how many so far, and the latest one's error and time.
    unreadable_count = models.PositiveIntegerField(default=0)
    last_unreadable_error = models.TextField(blank=True)
    last_unreadable_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "address"],
                condition=models.Q(is_active=True),
                name="mailbox_unique_active_address",
            ),
            models.UniqueConstraint(
                fields=["workspace"],
                condition=models.Q(is_default=True, is_active=True),
                name="mailbox_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def is_oauth(self) -> bool:
        return self.provider in (self.Provider.GMAIL, self.Provider.MICROSOFT)

    @property
    def reads_mail(self) -> bool:
        return self.access == self.Access.FULL

    @property
    def sender_key(self) -> str:
        return f"mailbox:{self.pk}"


class MailboxFolder(models.Model):
    """Sync state of one IMAP folder (Nylas-style): UIDVALIDITY, last UID seen, a lease."""

    class Role(models.TextChoices):
        INBOX = "inbox", _("Inbox")
        SENT = "sent", _("Sent")

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="folders")
    role = models.CharField(max_length=8, choices=Role.choices)
    name = models.CharField(max_length=255)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    # Set when a UIDVALIDITY change forces a rescan: mail since then is looked at again.
    rescan_since = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    leased_by = models.CharField(max_length=64, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "role"], name="mailboxfolder_unique_role")
        ]

    def __str__(self) -> str:
        return f"{self.mailbox_id}:{self.name}"


class EmailRecord(models.Model):
    """One email Parley sent or saw in a folder: what threading and dedupe look up.

    Outbound: folder is null, header_id is our own Message-ID. Inbound or Sent-folder: the folder,
    UIDVALIDITY and UID (unique together), a content hash, and the stored message; or no
    message and an `error` when the email could not be stored at all (a poison UID: the
    folder's sync moves past it, and the mailbox shows it); or no message and `bounce_of`
    when the email was a bounce for a Parley email (handled once, never stored).
    """

    # Found by emailrecord_msgid and emailrecord_hash, which start with these: no
    # single-column indexes of their own (each is written for every email).
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="records")
    folder = models.ForeignKey(
        MailboxFolder,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="records",
        db_index=False,
    )
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    uid = models.BigIntegerField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    # Normalised Message-ID, without angle brackets, lower-cased.
    header_id = models.CharField(max_length=255, blank=True)
    message = models.ForeignKey(
        "inbox.Message", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # Why the email could not be (fully) stored: set on a flagged message's record, and on a
    # record with no message when not even a flagged copy could be stored (a poison UID).
    error = models.TextField(blank=True)
    # A delivery status notification (bounce) is never stored as a message: its record has
    # no message and names the Parley email it reported on. Indexed only where set
    # (emailrecord_bounce_of): the emails Parley sends, thousands at a time, have none.
    bounce_of = models.ForeignKey(
        "inbox.Message",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["folder", "uidvalidity", "uid"],
                condition=models.Q(uid__isnull=False),
                name="emailrecord_unique_uid",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "header_id"], name="emailrecord_msgid"),
            # Only records of a folder (synced mail): a sent email's record has none.
            models.Index(
                fields=["folder", "content_hash"],
                name="emailrecord_hash",
                condition=models.Q(folder__isnull=False),
            ),
            models.Index(
                fields=["bounce_of"],
                name="emailrecord_bounce_of",
                condition=models.Q(bounce_of__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.header_id or f"uid {self.uid}"
