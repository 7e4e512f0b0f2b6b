from django.db import models
from django.utils.translation import gettext_lazy as _

from parley.core.models import TimeStamped


class Creator(TimeStamped):
    """A creator (influencer) in a workspace's "My Creators" database."""

    class Channel(models.TextChoices):
        INAPP = "inapp", _("In-app")
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")

    # The creator_ws_* indexes start with it: no index of its own.
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="creators", db_index=False
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

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entered")
        ENRICHMENT = "enrichment", _("From enrichment")
        # An SMS from a number no creator had: the creator was made from it.
        SMS = "sms", _("From SMS")

    # Found by identity_unique_per_workspace and identity_creator_kind, which start with
    # these: no single-column indexes of their own (an import writes four identities a row).
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    creator = models.ForeignKey(
        Creator, on_delete=models.CASCADE, related_name="identities", db_index=False
    )
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
    # Where the identity came from: a person (or an import) typed it, Fetch Email found it
    # through the enrichment provider (parley.creators.enrichment), or an SMS came from it
    # (parley.channels.sms); the sidebar says which.
    source = models.CharField(
        _("source"), max_length=12, choices=Source.choices, default=Source.MANUAL
    )

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
    # creatortag_creator and creatortag_unique start with these: no indexes of their own.
    creator = models.ForeignKey(
        Creator, on_delete=models.CASCADE, related_name="creator_tags", db_index=False
    )
    tag = models.ForeignKey(
        Tag, on_delete=models.CASCADE, related_name="creator_tags", db_index=False
    )

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


class EnrichmentRequest(TimeStamped):
    """Fetch Email for one creator: asked for by a member (or the API), fulfilled by the
    enrichment provider in the worker (parley.creators.enrichment.services). At most one
    pending request per creator; a found address becomes an email identity marked as from
    enrichment. A rate-limited request stays pending with `retry_at` set."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        FOUND = "found", _("Found")
        NOT_FOUND = "not_found", _("Not found")
        FAILED = "failed", _("Failed")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    creator = models.ForeignKey(
        Creator, on_delete=models.CASCADE, related_name="enrichment_requests"
    )
    requested_by = models.ForeignKey(
        "accounts.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    provider = models.CharField(max_length=40)
    # The social profile the provider is asked about (an Identity.Kind and the handle).
    platform = models.CharField(max_length=12)
    handle = models.CharField(max_length=254)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    email = models.CharField(max_length=254, blank=True)
    identity = models.ForeignKey(
        Identity, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Why it failed, or a note on a found address (already another creator's).
    note = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Rate-limited or the provider was down: not before this time (the provider's
    # Retry-After, or a back-off).
    retry_at = models.DateTimeField(null=True, blank=True)
    # A worker is asking the provider until then; another one leaves the request alone.
    lease_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["creator"],
                condition=models.Q(status="pending"),
                name="enrichment_one_pending_per_creator",
            )
        ]
        indexes = [
            models.Index(fields=["creator", "-created_at"], name="enrichment_creator_recent"),
        ]

    def __str__(self) -> str:
        return f"Fetch Email {self.pk}: {self.status}"


class AudienceReport(TimeStamped):
    """A creator's audience figures on one platform (TikTok today) from the enrichment
    provider, cached with the time they were fetched. One row per creator and platform: a
    refresh keeps the figures on file until new ones arrive."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Fetching")
        READY = "ready", _("Ready")
        NOT_FOUND = "not_found", _("No audience data")
        FAILED = "failed", _("Failed")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    creator = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="audience_reports")
    platform = models.CharField(max_length=12, default=Identity.Kind.TIKTOK)
    handle = models.CharField(max_length=254)
    provider = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # [{"code": "FEMALE", "share": 0.61}], [{"code": "18-24", "share": 0.4}],
    # [{"code": "DE", "name": "Germany", "share": 0.2}]: shares 0..1, largest first.
    genders = models.JSONField(default=list, blank=True)
    ages = models.JSONField(default=list, blank=True)
    countries = models.JSONField(default=list, blank=True)
    followers = models.PositiveBigIntegerField(null=True, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "platform"], name="audience_one_per_creator_platform"
            )
        ]

    def __str__(self) -> str:
        return f"{self.platform} audience of {self.creator_id}: {self.status}"
