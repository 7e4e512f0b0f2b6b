from django.db import models
from django.utils.translation import gettext_lazy as _

from parley.core.models import TimeStamped


class Creator(TimeStamped):
    """A creator (influencer) in a workspace's "My Creators" database."""

    class Channel(models.TextChoices):
        INAPP = "inapp", _("In-app")
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="creators"
    )
    name = models.CharField(_("name"), max_length=160)
    first_name = models.CharField(_("first name"), max_length=80, blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    # Lower-cased name, handles and emails: what the inbox search bar matches.
    search_text = models.TextField(default="", editable=False)

    class Meta:
        indexes = [models.Index(fields=["workspace", "name"], name="creator_ws_name")]

    def __str__(self) -> str:
        return self.name


class Identity(TimeStamped):
    """An address a creator is reached at: an email, a phone number or a social handle."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        INSTAGRAM = "instagram", _("Instagram")
        TIKTOK = "tiktok", _("TikTok")
        YOUTUBE = "youtube", _("YouTube")
        TWITTER = "twitter", _("X / Twitter")
        OTHER = "other", _("Other")

    SOCIAL = (Kind.INSTAGRAM, Kind.TIKTOK, Kind.YOUTUBE, Kind.TWITTER, Kind.OTHER)

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    creator = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=254)
    # Lower-cased email, E.164 phone, handle without "@": what inbound messages match on.
    normalized = models.CharField(max_length=254)
    url = models.URLField(_("profile URL"), blank=True)
    followers = models.PositiveIntegerField(_("followers"), null=True, blank=True)
    is_primary = models.BooleanField(default=False)
    # An email address whose mail hard-bounced (a 5.x.x delivery status notification for an
    # email Parley sent): when, the status code and the receiving server's diagnostic. The
    # next email to it asks first. Cleared when a reply arrives from the address; an address
    # removed and added again is a new row, not bouncing.
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce_status = models.CharField(max_length=16, blank=True)
    bounce_diagnostic = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "kind", "normalized"], name="identity_unique_per_workspace"
            )
        ]
        indexes = [models.Index(fields=["creator", "kind"], name="identity_creator_kind")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class Tag(TimeStamped):
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="tags"
    )
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="tag_unique_name")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CreatorTag(models.Model):
    creator = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="creator_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="creator_tags")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tag", "creator"], name="creatortag_unique")]
        indexes = [models.Index(fields=["creator", "tag"], name="creatortag_creator")]

    def __str__(self) -> str:
        return f"{self.creator_id}:{self.tag_id}"


class Note(TimeStamped):
    """An internal note about a creator. Never shown to the creator."""

    creator = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        "accounts.Member", on_delete=models.SET_NULL, null=True, related_name="notes"
    )
    body = models.TextField(_("note"))

    class Meta:
        indexes = [models.Index(fields=["creator", "-created_at"], name="note_creator_recent")]
