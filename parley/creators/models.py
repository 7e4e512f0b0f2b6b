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
    # The headline audience (the import's "followers" column, or the largest count of the
    # creator's social profiles); 0 when unknown. Denormalised so the list sorts on an index.
    followers = models.PositiveBigIntegerField(_("followers"), default=0)

    class Meta:
        # The Creators list sorts by name, followers or date added, each way, and pages by
        # keyset on (key, id): each order is a walk down one of these, never a sort of the
        # workspace's creators.
        indexes = [
            models.Index(fields=["workspace", "name", "id"], name="creator_ws_name_id"),
            models.Index(fields=["workspace", "followers", "id"], name="creator_ws_followers"),
            models.Index(fields=["workspace", "created_at", "id"], name="creator_ws_added"),
        ]


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


class CreatorImport(models.Model):
    """A CSV file of creators being imported: uploaded, its columns mapped, then written by
    the worker chunk by chunk (resumable from `rows_done`)."""

    class State(models.TextChoices):
        MAPPING = "mapping", _("Waiting for the column mapping")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        "accounts.Member", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The name the file was uploaded with (shown only); the file itself is stored under a
    # name Parley makes (`path`, relative to MEDIA_ROOT), removed once the import is done.
    filename = models.CharField(max_length=255)
    path = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField(default=0)
    delimiter = models.CharField(max_length=1, default=",")
    headers = models.JSONField(default=list)
    # Column index (as text) -> target ("name", "email", "custom:Size", ...); see csvio.
    mapping = models.JSONField(default=dict)
    # Country (ISO 3166 alpha-2) for phone numbers written without +country code.
    phone_region = models.CharField(max_length=2, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.MAPPING)
    error = models.TextField(blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-created_at"], name="import_recent")]

    def __str__(self) -> str:
        return f"Import {self.pk}"

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 100 if self.state == self.State.DONE else 0
        return min(100, round(100 * self.rows_done / self.rows_total))


class CreatorImportFailure(models.Model):
    """A row of an import that was not imported: its line in the file, why, and its cells
    (for the downloadable CSV of failed rows)."""

    creator_import = models.ForeignKey(
        CreatorImport, on_delete=models.CASCADE, related_name="failures"
    )
    line = models.PositiveIntegerField()
    reason = models.CharField(max_length=500)
    values = models.JSONField(default=list)

    class Meta:
        indexes = [models.Index(fields=["creator_import", "line"], name="importfailure_line")]

    def __str__(self) -> str:
        return f"{self.creator_import_id}:{self.line}"
