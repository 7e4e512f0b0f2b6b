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
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    message = models.OneToOneField(
        "inbox.Message", on_delete=models.CASCADE, related_name="outbox_item"
    )
    channel = models.CharField(max_length=10)
    # The sending address (a mailbox id, a phone number id): where daily limits apply.
    sender_key = models.CharField(max_length=64, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.PERSONAL)
    not_before = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    leased_by = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "priority", "not_before", "id"], name="outbox_due"),
        ]

    def __str__(self) -> str:
        return f"OutboxItem {self.pk} ({self.state})"
