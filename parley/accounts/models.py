import hashlib
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from parley.core.models import TimeStamped


class ParleyUserManager(UserManager["User"]):
    def create_user(self, email, password=None, **extra):  # type: ignore[override]
        email = self.normalize_email(email).lower()
        extra.setdefault("username", email)
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):  # type: ignore[override]
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person who logs in with an email address."""

    email = models.EmailField(_("email"), unique=True)
    language = models.CharField(_("language"), max_length=8, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[ParleyUserManager] = ParleyUserManager()

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class SearchLanguage(models.TextChoices):
    """PostgreSQL text-search configurations a workspace's message search may use."""

    SIMPLE = "simple", _("Any language (words as written)")
    ENGLISH = "english", _("English")
    GERMAN = "german", _("German")
    FINNISH = "finnish", _("Finnish")


class Workspace(TimeStamped):
    class Kind(models.TextChoices):
        BRAND = "brand", _("Brand")
        AGENCY = "agency", _("Agency")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.BRAND)
    # Where the workspace's days begin and end: daily sending limits count per calendar day
    # in this zone.
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    # The PostgreSQL text-search configuration of the workspace's message search: a language
    # finds a word's inflected forms (its stems); "simple" takes words as written, for any
    # language. SQLite has no stemmers: there every term is a prefix (parley/inbox/search.py).
    search_language = models.CharField(
        _("search language"),
        max_length=20,
        choices=SearchLanguage.choices,
        default=SearchLanguage.SIMPLE,
    )

    def __str__(self) -> str:
        return self.name


class CurrentMemberManager(models.Manager["Member"]):
    """Members who have not been removed: what every lookup of teammates means (access, the
    switcher, assignment, mentions, notifications, reports)."""

    def get_queryset(self) -> models.QuerySet["Member"]:
        return super().get_queryset().filter(removed_at__isnull=True)


class Member(TimeStamped):
    """A user's membership of a workspace, with a role.

    Removing a member (Settings → Team) keeps the row, with `removed_at` set, rather than
    deleting it: messages, notes, payments, agreements and response counts point to their
    author by this row (SET_NULL), so a deleted row would leave the thread saying "Unknown
    sender" and count the team's next reply as its first. `objects`, the default manager,
    leaves removed members out, so no page, task or query that looks teammates up finds
    them; a row that points to one (a message's author) still reaches it (Django follows
    foreign keys with the plain base manager). `all_objects` includes them: inviting a
    removed member again brings the same row back."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        ADMIN = "admin", _("Admin")
        MEMBER = "member", _("Member")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    objects: ClassVar[CurrentMemberManager] = CurrentMemberManager()
    all_objects: ClassVar[models.Manager["Member"]] = models.Manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="member_unique_user")
        ]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def is_admin(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.ADMIN)

    @property
    def invitation_pending(self) -> bool:
        """Invited, and no password chosen yet (the invitation's link sets the first one)."""
        return not self.user.has_usable_password() and self.user.last_login is None


class Client(TimeStamped):
    """A brand an agency runs campaigns for."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="clients")
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="client_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class ApiToken(TimeStamped):
    """A bearer token for the REST API. Only its SHA-256 is stored."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()
