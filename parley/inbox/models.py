from collections.abc import Mapping
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    INAPP = "inapp", _("In-app")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    EVENT = "event", _("System event")


class Conversation(models.Model):
    """The one thread per creator per workspace. Holds what the inbox list sorts on."""

    # Found by conv_awaiting and conv_assignee, which start with it: no index of its own
    # (a thread's every activity writes each of its indexes again).
    workspace = models.ForeignKey(
        "accounts.Workspace",
        on_delete=models.CASCADE,
        related_name="conversations",
        db_index=False,
    )
    creator = models.OneToOneField(
        "creators.Creator", on_delete=models.CASCADE, related_name="conversation"
    )
    assignee = models.ForeignKey(
        "accounts.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_activity_at = models.DateTimeField()
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    # Set by the first inbound message that waits for an answer; cleared by our reply.
    awaiting_reply_since = models.DateTimeField(null=True, blank=True)
    preview = models.CharField(max_length=160, blank=True)
    # Channels the thread has used, as a comma-separated list ("email,sms").
    channels = models.CharField(max_length=40, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "awaiting_reply_since"], name="conv_awaiting"),
            models.Index(fields=["workspace", "assignee"], name="conv_assignee"),
        ]

    def __str__(self) -> str:
        return f"Conversation {self.pk}"

    @property
    def channel_list(self) -> list[str]:
        return [c for c in self.channels.split(",") if c]


class Message(models.Model):
    """One message on any channel, or a system event, in a conversation."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("Inbound")
        OUTBOUND = "out", _("Outbound")
        EVENT = "event", _("Event")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Failed")

    # Found by message_workspace_recent and message_thread, which start with these: no
    # single-column indexes of their own (each is written for every message).
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    direction = models.CharField(max_length=5, choices=Direction.choices)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    author_member = models.ForeignKey(
        "accounts.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_creator = models.ForeignKey(
        "creators.Creator", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=998, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True, help_text="Sanitised HTML, shown in a sandbox.")
    status = models.CharField(max_length=10, choices=Status.choices)
    status_reason = models.TextField(blank=True)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Provider ids: RFC 5322 Message-ID / In-Reply-To / References, Twilio SID, ...
    provider_message_id = models.CharField(max_length=998, blank=True)
    in_reply_to = models.CharField(max_length=998, blank=True)
    references = models.TextField(blank=True)
    provider_sid = models.CharField(max_length=64, blank=True)
    # Malformed input is stored with what could be parsed and flagged, never dropped.
    is_malformed = models.BooleanField(default=False)
    # A member's reply that ended a wait: how long the creator had waited (seconds since
    # the conversation's awaiting_reply_since), and whether it is the thread's first reply
    # by the team. Written by message_record, which counts the reply in ResponseCount too.
    response_seconds = models.PositiveIntegerField(null=True, blank=True)
    first_response = models.BooleanField(default=False)
    # A system event's words as said (parley.inbox.events), shown in each reader's language;
    # body_text has them as written then, in the language of whoever caused the event (for
    # search and the API). None for other messages and for the events stored before.
    event = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["conversation", "created_at", "id"], name="message_thread"),
            models.Index(fields=["workspace", "provider_sid"], name="message_sid"),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk}"

    @property
    def is_event(self) -> bool:
        return self.direction == self.Direction.EVENT

    @property
    def shown_text(self) -> str:
        """The text a page shows: an event's words in the active language (the events from
        before as stored), any other message's body."""
        from parley.inbox.events import said_text

        return said_text(self.event) if self.event else self.body_text


class ResponseCount(models.Model):
    """How many of a member's replies on a day (in the workspace's time zone) ended a wait
    of about `seconds`: the Reports page's figures come from these counts, a few hundred
    rows a day whatever the number of replies, not from the replies themselves. Waits are
    bucketed exactly under 100 seconds and 2% wide above (inbox.responses.response_bucket),
    and a bucket reads as its mean wait. Kept by message_record; rebuilt from the messages
    when the workspace's time zone changes (inbox.responses.response_counts_rebuild)."""

    # responsecount_unique starts with it: no index of its own.
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    # (A removed member's counts stay, without the member: they are the team's work.)
    member = models.ForeignKey(
        "accounts.Member", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    first = models.BooleanField()
    seconds = models.PositiveIntegerField()  # the bucket (its middle)
    count = models.PositiveIntegerField()
    # The exact waits added up: a bucket's replies are read as their mean wait, so a bucket
    # of one reply (or of equal waits) is exact.
    total_seconds = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            # Also the index of a period's counts by member.
            models.UniqueConstraint(
                fields=["workspace", "day", "member", "first", "seconds"],
                name="responsecount_unique",
            )
        ]
        indexes = [
            # A period's counts by day and bucket, in that order, from the index alone (the
            # Reports page's figures by day).
            models.Index(
                fields=["workspace", "day", "seconds", "count", "total_seconds"],
                name="responsecount_days",
            )
        ]

    def __str__(self) -> str:
        return f"{self.count} replies after {self.seconds} s on {self.day}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="attachments/%Y/%m/")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.filename


class InboxEntry(models.Model):
    """A member's view of one conversation: read state and the key the inbox list sorts on.

    One row per member per conversation (like Zulip's UserMessage), so "unread first, then
    most recent activity" for one member is a walk down one index, never a count or a scan.
    """

    # No single-column indexes of their own for workspace, member and conversation: entries
    # are found by member (entry_unique and entry_order start with it) or by conversation
    # (entry_conversation), never by workspace alone. Every index is written again each
    # time a thread's activity moves its entries (a mass message moves thousands), so none
    # is kept that no query uses.
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    member = models.ForeignKey(
        "accounts.Member", on_delete=models.CASCADE, related_name="inbox_entries", db_index=False
    )
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="entries", db_index=False
    )
    # The conversation's creator, copied (a conversation never changes creator) so the
    # campaign and tag filters test each entry_order row without visiting its conversation.
    # No constraint or index of its own: the row goes with its conversation (CASCADE).
    creator = models.ForeignKey(
        "creators.Creator",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    last_read_at = models.DateTimeField(null=True, blank=True)
    marked_unread = models.BooleanField(default=False)
    unread = models.BooleanField(default=False)
    # The conversation's last activity, or the moment the member marked it unread.
    sort_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "conversation"], name="entry_unique")
        ]
        indexes = [
            # creator last: SQLite tests the campaign/tag filters on the index entry before
            # it reads the row (tag filter at 100k creators: p50 9.4 -> 5.4 ms).
            models.Index(
                fields=["member", "-unread", "-sort_at", "-conversation", "creator"],
                name="entry_order",
            ),
            models.Index(fields=["conversation"], name="entry_conversation"),
        ]

    def __str__(self) -> str:
        return f"Entry {self.member_id}/{self.conversation_id}"


NOTIFICATION_TEXT_MAX = 240


class Notification(models.Model):
    class Kind(models.TextChoices):
        INBOUND = "inbound", _("New message")
        REMINDER = "reminder", _("Marked as unread")
        ASSIGNED = "assigned", _("Assigned to you")
        MENTION = "mention", _("Mentioned in a note")
        FEEDBACK = "feedback", _("Collaborator feedback")
        SEND_FAILED = "send_failed", _("Send failed")
        REAUTH = "reauth", _("Mailbox needs re-authorisation")
        LIMIT = "limit", _("Daily limit reached")
        SYNC_ERROR = "sync_error", _("Mailbox sync problem")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(
        "accounts.Member", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # As written, in the language of whoever (or whatever worker) caused it: for the API's
    # search-free listing and as the fallback. Pages show `shown_text`.
    text = models.CharField(max_length=NOTIFICATION_TEXT_MAX)
    # Its words as said (parley.inbox.events.Said, stored), shown in the reader's language;
    # None for a new message's preview (the creator's own words) and for the notifications
    # from before.
    said = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["member", "-created_at"], name="notification_recent")]

    def __str__(self) -> str:
        return self.text

    @property
    def shown_text(self) -> str:
        return notification_shown(self.text, self.said)


def notification_shown(text: str, said: Mapping[str, Any] | None) -> str:
    """A notification's text in the active language: its words as said (stored), else its
    text as written; on one line, cut to fit (the page, the API and its email)."""
    from parley.inbox.events import said_text

    return notification_fit(said_text(said) if said else text)


def notification_fit(text: str) -> str:
    """A notification's text on one line, at most NOTIFICATION_TEXT_MAX characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= NOTIFICATION_TEXT_MAX else flat[: NOTIFICATION_TEXT_MAX - 1] + "…"


class NotificationPreference(models.Model):
    """How a member wants to hear of one kind of notification. Without a row: in the app,
    and by email for a mention only (`NOTIFY_DEFAULTS` in inbox.services)."""

    member = models.ForeignKey(
        "accounts.Member", on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=12, choices=Notification.Kind.choices)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "kind"], name="notification_pref_unique")
        ]

    def __str__(self) -> str:
        return f"{self.member_id}/{self.kind}"
