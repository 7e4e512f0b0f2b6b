from django.db import models
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

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CampaignMember(TimeStamped):
    """A creator's place in a campaign, with where they stand."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        APPLIED = "applied", _("Applied")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        ACTIVE = "active", _("Active")
        CONTENT_SUBMITTED = "content_submitted", _("Content submitted")
        COMPLETED = "completed", _("Completed")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    creator = models.ForeignKey(
        "creators.Creator", on_delete=models.CASCADE, related_name="campaign_memberships"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.INVITED
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "creator"], name="campaignmember_unique")
        ]
        indexes = [models.Index(fields=["creator", "campaign"], name="campaignmember_creator")]
