"""A workspace's Twilio account, its senders (numbers or Messaging Services), one record per
SMS sent or received, the media of inbound MMS, and opt-outs."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def _default_rate() -> float:
    return float(getattr(settings, "PARLEY_SMS_DEFAULT_RATE", 1.0))


class TwilioAccount(models.Model):
    """The workspace's Twilio account (one active at a time).

    Login: the auth token, or an API key (its SID and secret). Twilio signs its webhooks
    with the account's auth token only, so inbound SMS and status callbacks need it: with an
    API key and no auth token Parley can send but answers every webhook with 403. Secrets are
    stored encrypted (parley.core.crypto) and never rendered, logged or returned by the API.
    """

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    connected_by = models.ForeignKey(
        "accounts.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    account_sid = models.CharField(max_length=34)
    friendly_name = models.CharField(max_length=160, blank=True)
    # "Trial" or "Full", as Twilio says.
    account_type = models.CharField(max_length=20, blank=True)
    # Empty: the auth token logs in. Else an API key SID (SK…) with its secret.
    api_key_sid = models.CharField(max_length=34, blank=True)
    api_key_secret = models.TextField(blank=True)  # encrypted
    auth_token = models.TextField(blank=True)  # encrypted; signs the webhooks
    # In the webhook URLs (/sms/twilio/<key>/…): which account a webhook is for. Kept when
    # the same account is connected again, so the URLs pasted into Twilio still work.
    webhook_key = models.CharField(max_length=43, unique=True)
    is_active = models.BooleanField(default=True)
    connected_at = models.DateTimeField()
    # Health: Twilio refused the credentials (sending waits); the last check and error.
    needs_reauth = models.BooleanField(default=False)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace"], condition=models.Q(is_active=True), name="twilio_one_active"
            ),
            models.UniqueConstraint(
                fields=["workspace", "account_sid"], name="twilio_account_per_workspace"
            ),
        ]

    def __str__(self) -> str:
        return self.account_sid

    @property
    def verifies_webhooks(self) -> bool:
        return bool(self.auth_token)


class SmsNumber(models.Model):
    """A sender: one Twilio phone number, or a Messaging Service (which picks among its own
    numbers). Sends at most `per_second` messages a second (Twilio's throughput for the
    number: 1 for a US long code, 3 toll-free, up to 100 for a short code)."""

    class Kind(models.TextChoices):
        NUMBER = "number", _("Phone number")
        SERVICE = "service", _("Messaging Service")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(TwilioAccount, on_delete=models.CASCADE, related_name="numbers")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.NUMBER)
    # PN… for a number, MG… for a Messaging Service.
    twilio_sid = models.CharField(max_length=34)
    # E.164; for a Messaging Service, its numbers (inbound to any of them lands here).
    phone_number = models.CharField(max_length=20, blank=True)
    service_numbers = models.JSONField(default=list, blank=True)
    friendly_name = models.CharField(max_length=160, blank=True)
    is_active = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False)
    per_second = models.FloatField(_("messages per second"), default=_default_rate)
    # Whether Parley set the webhooks in Twilio itself; if not, why (they are shown to
    # paste by hand).
    webhooks_set = models.BooleanField(default=False)
    webhooks_error = models.TextField(blank=True)
    added_at = models.DateTimeField()
    # Health.
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "twilio_sid"],
                condition=models.Q(is_active=True),
                name="smsnumber_unique_active",
            ),
            models.UniqueConstraint(
                fields=["workspace"],
                condition=models.Q(is_default=True, is_active=True),
                name="smsnumber_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.kind == self.Kind.SERVICE:
            return self.friendly_name or self.twilio_sid
        return self.phone_number

    @property
    def sender_key(self) -> str:
        return f"sms:{self.pk}"


class SmsRecord(models.Model):
    """One SMS Parley sent or received. Twilio's MessageSid is unique: the same inbound
    webhook delivered twice (Twilio retries) is stored once, and a status callback finds
    its message. `status` is Twilio's own (queued, sent, delivered, undelivered, failed,
    received, …); `status_rank` orders them, so a callback that arrives late or is replayed
    never moves a message back."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("Inbound")
        OUTBOUND = "out", _("Outbound")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    message = models.OneToOneField(
        "inbox.Message", on_delete=models.CASCADE, related_name="sms_record"
    )
    number = models.ForeignKey(
        SmsNumber, on_delete=models.SET_NULL, null=True, blank=True, related_name="records"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    # Empty until Twilio accepted an outbound message.
    message_sid = models.CharField(max_length=34, blank=True)
    from_number = models.CharField(max_length=40)
    to_number = models.CharField(max_length=40)
    encoding = models.CharField(max_length=6, blank=True)
    segments = models.PositiveSmallIntegerField(default=0)
    num_media = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=12, blank=True)
    status_rank = models.PositiveSmallIntegerField(default=0)
    error_code = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    status_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message_sid"],
                condition=~models.Q(message_sid=""),
                name="smsrecord_unique_sid",
            )
        ]

    def __str__(self) -> str:
        return self.message_sid or f"sms {self.pk}"


class SmsMedia(models.Model):
    """A media file of an inbound MMS: fetched from Twilio by a task after the message is
    stored (no download inside the webhook), then kept as the message's attachment."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be fetched")
        DONE = "done", _("Stored")
        FAILED = "failed", _("Could not be fetched")

    record = models.ForeignKey(SmsRecord, on_delete=models.CASCADE, related_name="media")
    index = models.PositiveSmallIntegerField()
    url = models.URLField(max_length=500)
    content_type = models.CharField(max_length=120, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record", "index"], name="smsmedia_unique_index")
        ]

    def __str__(self) -> str:
        return f"{self.record_id}/{self.index}"


class SmsOptOut(models.Model):
    """A phone number that replied STOP (or that Twilio refused with 21610): no SMS goes to
    it from any number of the workspace until it replies START. Kept by number, not by
    identity: a number removed and added again is still opted out, as carriers keep it."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    phone = models.CharField(max_length=40)
    opted_out = models.BooleanField(default=True)
    # The word that did it ("STOP", "START"), or "21610" when Twilio refused a send.
    keyword = models.CharField(max_length=20)
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "phone"], name="smsoptout_unique_phone")
        ]

    def __str__(self) -> str:
        return f"{self.phone}: {'out' if self.opted_out else 'in'}"
