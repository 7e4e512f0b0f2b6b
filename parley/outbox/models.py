from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxItem(models.Model):
    """An outbound message waiting for its channel. Carries its own lease, so a worker that
    dies mid-send neither loses nor doubles the message: the lease expires and another
    worker takes it up; the channel's idempotency key is the message id."""

    class Priority(models.IntegerChoices):
        PERSONAL = 0, _("Personal message")
        INVITATION = 10, _("Campaign invitation")
        APPROVAL = 20, _("Application approval")
        MASS = 30, _("Mass campaign email")
        REJECTION = 40, _("Application rejection")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        # The attempt is recorded before the message is handed to the server: a worker that
        # dies now leaves it here, and whoever takes it up checks before sending again.
        SENDING = "sending", _("Sending")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        # Whether the server took it cannot be known (a send-only mailbox, a crash at the
        # wrong moment): held for a person to retry or mark as sent, never resent alone.
        UNKNOWN = "unknown", _("Outcome unknown")
        CANCELLED = "cancelled", _("Cancelled")

    # No index of its own: items are found by sender, state, broadcast or message (each
    # index is written for every item of a mass message).
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    message = models.OneToOneField(
        "inbox.Message", on_delete=models.CASCADE, related_name="outbox_item"
    )
    channel = models.CharField(max_length=10)
    # The sending address (a mailbox id, a phone number id): where daily limits apply.
    sender_key = models.CharField(max_length=64, blank=True)
    # The address as people know it ("max@brand.example"), for "daily limit of … reached".
    sender_label = models.CharField(max_length=254, blank=True)
    # Mass messages carry their broadcast, for its progress page.
    broadcast = models.ForeignKey(
        "broadcasts.Broadcast",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="items",
        db_index=False,  # outbox_broadcast starts with it
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.PERSONAL)
    # When it was asked to go: now, or the time the author scheduled it for.
    send_after = models.DateTimeField()
    # The day (in the workspace's time zone) it goes out under the sender's daily limit, as
    # the planner last placed it; null for a sender without a limit.
    planned_day = models.DateField(null=True, blank=True)
    # When it is next due: send_after, the start of its planned day, a retry's back-off or
    # the end of a provider's pause, whichever is latest.
    not_before = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The day whose limit this attempt counts against (a slot reserved in SenderDay).
    reserved_day = models.DateField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    leased_by = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "priority", "not_before", "id"], name="outbox_due"),
            models.Index(fields=["sender_key", "state", "planned_day"], name="outbox_sender_queue"),
            models.Index(fields=["broadcast", "state"], name="outbox_broadcast"),
        ]

    def __str__(self) -> str:
        return f"OutboxItem {self.pk} ({self.state})"


class SenderDay(models.Model):
    """How many sends one sender has had on one day (its workspace's calendar day): a slot is
    reserved here, by a conditional update, before each send, so any number of workers
    together never exceed the daily limit."""

    sender_key = models.CharField(max_length=64)
    day = models.DateField()
    used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sender_key", "day"], name="senderday_unique")
        ]

    def __str__(self) -> str:
        return f"{self.sender_key} {self.day}: {self.used}"


class SenderState(models.Model):
    """The outbox's own state of a sender: a pause the provider asked for (a daily quota),
    whether its queue needs planning again, and, for a sender with a per-second rate, the
    earliest moment its next send may start (reserved by compare-and-set: senders.py)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    sender_key = models.CharField(max_length=64, unique=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    pause_reason = models.TextField(blank=True)
    plan_dirty = models.BooleanField(default=False)
    next_send_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["plan_dirty"], name="senderstate_dirty", condition=models.Q(plan_dirty=True)
            )
        ]

    def __str__(self) -> str:
        return self.sender_key
