"""The creator portal: who can sign in (an account per email address, giving access to the
creators of the workspaces that invited it), how (single-use magic links, sessions of their
own), and the content creators submit for approval.

Tokens of links and sessions are stored as SHA-256 hashes: the table gives nobody a way in.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PortalAccount(models.Model):
    """A person who signs in to the portal with a magic link sent to `email` (lower-cased).
    One person may be a creator of several workspaces: one access for each."""

    email = models.EmailField(max_length=254, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.email


class PortalAccess(models.Model):
    """A creator of a workspace whose portal the account opens: given by the brand's
    invitation, or by an application confirmed from the address."""

    account = models.ForeignKey(PortalAccount, on_delete=models.CASCADE, related_name="accesses")
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    creator = models.OneToOneField(
        "creators.Creator", on_delete=models.CASCADE, related_name="portal_access"
    )
    invited_by = models.ForeignKey(
        "accounts.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invited_at = models.DateTimeField()
    first_signed_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "workspace"], name="portalaccess_account")]

    def __str__(self) -> str:
        return f"{self.account_id} → {self.creator_id}"


class MagicLink(models.Model):
    """A single-use sign-in link. Consumed by a POST from the page it opens (a mail
    scanner's GET leaves it alone). An application's link also carries what it confirms."""

    class Purpose(models.TextChoices):
        SIGN_IN = "sign_in", _("Sign in")
        INVITATION = "invitation", _("Invitation")
        APPLICATION = "application", _("Application")

    account = models.ForeignKey(
        PortalAccount, on_delete=models.CASCADE, null=True, blank=True, related_name="links"
    )
    # An application's address before it has an account (made when the link is used).
    email = models.EmailField(max_length=254, blank=True)
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    applicant_name = models.CharField(max_length=160, blank=True)
    applicant_note = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"MagicLink {self.pk}"


class PortalSession(models.Model):
    """A signed-in browser: its cookie holds the key, the row its hash. Apart from Django's
    sessions, so a creator is never a team member's session and the other way round."""

    account = models.ForeignKey(PortalAccount, on_delete=models.CASCADE, related_name="sessions")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)

    def __str__(self) -> str:
        return f"PortalSession {self.pk}"


class ContentSubmission(models.Model):
    """Content a creator submitted in a campaign (a file or a URL), and the brand's
    decision with its comment."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="submissions"
    )
    creator = models.ForeignKey(
        "creators.Creator", on_delete=models.CASCADE, related_name="submissions"
    )
    url = models.URLField(max_length=2000, blank=True)
    file = models.FileField(upload_to="content/%Y/%m/", blank=True, max_length=200)
    filename = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        "accounts.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["campaign", "status", "-submitted_at", "-id"], name="submission_review"
            ),
            models.Index(fields=["campaign", "-submitted_at", "-id"], name="submission_recent"),
            models.Index(fields=["creator", "campaign"], name="submission_creator"),
        ]

    def __str__(self) -> str:
        return f"Submission {self.pk}"
