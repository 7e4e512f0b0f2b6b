"""A mass message (email, in-app or SMS): one template, personalised for each recipient, each
recipient's own message in their own thread, queued through the outbox."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Broadcast(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        INAPP = "inapp", _("In-app")
        SMS = "sms", _("SMS")

    class State(models.TextChoices):
        # Being composed: the recipients are chosen, nothing is queued.
        DRAFT = "draft", _("Draft")
        # Its messages are being written (in the worker).
        PREPARING = "preparing", _("Preparing")
        SENDING = "sending", _("Sending")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Could not be queued")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        "accounts.Member", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    mailbox = models.ForeignKey(
        "email.Mailbox", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A bulk SMS: the number it goes out from, at that number's rate.
    sms_number = models.ForeignKey(
        "sms.SmsNumber", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The outbox priority of its messages (mass campaign email, unless sent as invitations...).
    priority = models.PositiveSmallIntegerField(default=30)
    subject_template = models.CharField(max_length=900, blank=True)
    body_template = models.TextField(blank=True)
    send_at = models.DateTimeField(null=True, blank=True)
    # The creators it goes to, as chosen (ids), and those left out with the reason.
    recipient_ids = models.JSONField(default=list)
    skipped = models.JSONField(default=list, help_text="[{creator_id, name, reason}]")
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    error = models.TextField(blank=True)
    queued = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-created_at"], name="broadcast_recent")]

    def __str__(self) -> str:
        return f"Broadcast {self.pk}"

    @property
    def going_out(self) -> bool:
        """Still going out: its messages being written or sent (what a cancel stops)."""
        return self.state in (self.State.PREPARING, self.State.SENDING)


class BroadcastChunk(models.Model):
    """A chunk of a mass message's recipients whose messages are written: the writer's
    bookmark (chunks are written in any order, two at once on PostgreSQL), with whoever the
    chunk left out (a creator changed since the check), added to the broadcast's skipped
    once every chunk is written."""

    # broadcastchunk_unique starts with it: no index of its own.
    broadcast = models.ForeignKey(
        Broadcast, on_delete=models.CASCADE, related_name="chunks", db_index=False
    )
    number = models.PositiveIntegerField()
    skipped = models.JSONField(default=list, help_text="[{creator_id, name, reason}]")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["broadcast", "number"], name="broadcastchunk_unique")
        ]

    def __str__(self) -> str:
        return f"Chunk {self.number} of broadcast {self.broadcast_id}"
