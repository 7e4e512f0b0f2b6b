"""Campaigns, their members and where each stands, and the assets sent to a creator within
a campaign (tracking links, coupon codes, payments, agreements, gift offers).

The creator portal (the next issue) adds pages on these models and their services: accept
or decline an invitation, sign an agreement, pick gifts, submit content.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parley.core.models import TimeStamped


class Campaign(TimeStamped):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        ARCHIVED = "archived", _("Archived")

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="campaigns"
    )
    client = models.ForeignKey(
        "accounts.Client",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaigns",
    )
    name = models.CharField(_("name"), max_length=160)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    # The brief, as sanitised HTML (nh3), shown to the team and, later, to creators.
    brief = models.TextField(_("brief"), blank=True)
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    payment_terms = models.TextField(_("payment terms"), blank=True)
    # Jinja2 (sandboxed, the mass email's personal fields): frozen into each agreement sent.
    agreement_template = models.TextField(_("agreement template"), blank=True)
    # Creators may apply from the campaign's public page (the portal's).
    open_for_applications = models.BooleanField(_("open for applications"), default=False)
    public_code = models.CharField(max_length=32, blank=True, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CampaignEmailTemplate(models.Model):
    """The subject and body (Jinja2, sandboxed) of one kind of campaign email."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        APPROVAL = "approval", _("Application approval")
        REJECTION = "rejection", _("Application rejection")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="templates")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    subject = models.CharField(max_length=900)
    body = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "kind"], name="campaigntemplate_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.kind}"


class CampaignMember(TimeStamped):
    """A creator's place in a campaign, with where they stand."""

    class Status(models.TextChoices):
        # Added (from the inbox, the creators list, an import): no invitation yet. Emails can
        # go to them straight away; the invitation can be sent later.
        ADDED = "added", _("Added")
        INVITED = "invited", _("Invited")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        APPLIED = "applied", _("Applied")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        # Agreement signed or products selected.
        ACTIVE = "active", _("Active")
        CONTENT_SUBMITTED = "content_submitted", _("Content submitted")
        CONTENT_APPROVED = "content_approved", _("Content approved")
        COMPLETED = "completed", _("Completed")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    creator = models.ForeignKey(
        "creators.Creator", on_delete=models.CASCADE, related_name="campaign_memberships"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ADDED
    )
    # The last thing that happened with this creator in this campaign (being added, a status
    # change, an asset sent, a click): the members tab sorts on it, newest first. Never
    # empty, so both databases order it the same way (NULLs sort differently).
    last_activity_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "creator"], name="campaignmember_unique")
        ]
        indexes = [
            models.Index(fields=["creator", "campaign"], name="campaignmember_creator"),
            # The members tab: newest activity first, all of a campaign or one status; a
            # walk down one of these whatever the campaign's size. The first also counts
            # members by status on its prefix.
            models.Index(
                fields=["campaign", "status", "last_activity_at", "id"],
                name="campaignmember_status",
            ),
            models.Index(
                fields=["campaign", "last_activity_at", "id"], name="campaignmember_activity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.creator_id} {self.status}"


# --- Assets ----------------------------------------------------------------------------------


class TrackingLink(models.Model):
    """A short Parley link `/l/<code>` for one creator and destination in a campaign."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="links")
    creator = models.ForeignKey(
        "creators.Creator", on_delete=models.CASCADE, related_name="tracking_links"
    )
    # Random, unguessable (not a sequence): codes cannot be enumerated.
    code = models.CharField(max_length=24, unique=True)
    destination = models.URLField(max_length=2000)
    created_by = models.ForeignKey(
        "accounts.Member", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "creator", "destination"], name="trackinglink_unique"
            )
        ]

    def __str__(self) -> str:
        return self.code


class LinkClick(models.Model):
    """One click on a tracking link. No IP address is kept: `visitor` is a keyed hash of
    the address, browser and day, enough to count a day's unique visitors."""

    link = models.ForeignKey(TrackingLink, on_delete=models.CASCADE, related_name="clicks")
    at = models.DateTimeField()
    day = models.DateField()
    referrer = models.CharField(max_length=500, blank=True)
    visitor = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["link", "day", "visitor"], name="linkclick_link_day")]

    def __str__(self) -> str:
        return f"{self.link_id} {self.at}"


class CouponCode(models.Model):
    """A code of a campaign's pool; given to at most one creator, and a creator gets at most
    one code of a campaign (both are constraints, also under concurrent requests)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="coupons")
    code = models.CharField(max_length=64)
    creator = models.ForeignKey(
        "creators.Creator",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="coupon_codes",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="coupon_unique_code"),
            models.UniqueConstraint(
                fields=["campaign", "creator"],
                condition=models.Q(creator__isnull=False),
                name="coupon_one_per_creator",
            ),
        ]
        indexes = [
            models.Index(
                fields=["campaign", "id"],
                name="coupon_free",
                condition=models.Q(creator__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.code


class Payment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="payments")
    creator = models.ForeignKey(
        "creators.Creator", on_delete=models.CASCADE, related_name="payments"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    # ISO 4217, upper case.
    currency = models.CharField(max_length=3)
    due_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(
        "accounts.Member", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class PaymentChange(models.Model):
    """The history of a payment's status: who changed it, when."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="changes")
    status = models.CharField(max_length=10, choices=Payment.Status.choices)
    by = models.ForeignKey(
        "accounts.Member", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.status}"


class Agreement(models.Model):
    """An agreement sent to a creator: the campaign's template rendered for them, frozen
    when sent (later template edits do not change it)."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        SIGNED = "signed", _("Signed")
        DECLINED = "declined", _("Declined")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="agreements")
    creator = models.ForeignKey(
        "creators.Creator", on_delete=models.CASCADE, related_name="agreements"
    )
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENT)
    sent_by = models.ForeignKey(
        "accounts.Member", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_at = models.DateTimeField()
    # Filled by the portal when the creator signs: typed full name, consent, time, address.
    signer_name = models.CharField(max_length=200, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signer_ip = models.GenericIPAddressField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Agreement {self.pk}"


class Product(models.Model):
    """A product of a campaign's gift catalogue."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="products")
    name = models.CharField(max_length=200)
    image = models.ImageField(upload_to="products/%Y/%m/", blank=True, max_length=200)
    # Choices such as sizes or colours: ["S", "M", "L"].
    options = models.JSONField(default=list, blank=True)
    # None: no stock kept.
    stock = models.PositiveIntegerField(null=True, blank=True)
    per_creator_limit = models.PositiveSmallIntegerField(default=1)

    def __str__(self) -> str:
        return self.name


class GiftOffer(models.Model):
    """The campaign's products offered to a creator, up to a number of items; the creator
    picks (with options and a shipping address), the brand ships."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("Offered")
        SELECTED = "selected", _("Selected")
        SHIPPED = "shipped", _("Shipped")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="gift_offers")
    creator = models.ForeignKey(
        "creators.Creator", on_delete=models.CASCADE, related_name="gift_offers"
    )
    # How many items the creator may pick in all.
    limit = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    # [{"product_id": 1, "option": "M", "quantity": 1}]
    selection = models.JSONField(default=list, blank=True)
    shipping_address = models.TextField(blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "creator"], name="giftoffer_unique")
        ]

    def __str__(self) -> str:
        return f"Gifts {self.pk}"
