"""Writes to users, workspaces, members, clients and API tokens."""

import functools
import re
import secrets
import zoneinfo
from importlib import resources

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from parley.accounts.models import ApiToken, Client, Member, User, Workspace
from parley.core.bidi import bidi_strip
from parley.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

MAX_CLIENT_NAME = 120

TOKEN_PREFIX = "pk_"


def user_create(*, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    email = email.strip().lower()
    if not email or "@" not in email:
        raise ValidationFailed({"email": [_("Enter a valid email address.")]})
    if User.objects.filter(email=email).exists():
        raise ValidationFailed({"email": [_("A user with this email already exists.")]})
    first_name, last_name = bidi_strip(first_name).strip(), bidi_strip(last_name).strip()
    try:  # Django's password validators (settings.AUTH_PASSWORD_VALIDATORS)
        validate_password(
            password, user=User(email=email, first_name=first_name, last_name=last_name)
        )
    except ValidationError as exc:
        raise ValidationFailed({"password": list(exc.messages)}) from exc
    return User.objects.create_user(
        email=email, password=password, first_name=first_name, last_name=last_name
    )


def workspace_create(*, name: str, owner: User, kind: str = Workspace.Kind.BRAND) -> Workspace:
    name = bidi_strip(name).strip()
    if not name:
        raise ValidationFailed({"name": [_("A workspace needs a name.")]})
    with transaction.atomic():
        workspace = Workspace.objects.create(name=name, kind=kind)
        Member.objects.create(workspace=workspace, user=owner, role=Member.Role.OWNER)
    return workspace


MAX_WORKSPACE_NAME = 120


@functools.cache
def _time_zones_known() -> frozenset[str]:
    """Every name the time zone database knows (read from its files once a process)."""
    return frozenset(zoneinfo.available_timezones())


@functools.cache
def _time_zones_offered() -> frozenset[str]:
    table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text("utf-8")
    names = {"UTC"}
    for line in table.splitlines():
        if line and not line.startswith("#"):
            names.add(line.split("\t")[2])
    return frozenset(names)


def time_zone_names(current: str = "") -> list[str]:
    """The time zones offered to a workspace, sorted: UTC and the IANA database's zones by
    country (zone.tab: "Europe/Kyiv", "Europe/Stockholm"), without the old and backward
    names ("Europe/Kiev", "US/Eastern", "EST5EDT") it keeps for compatibility; and
    `current` when the workspace has one of those. Any name the database knows is still
    accepted (workspace_update)."""
    names = set(_time_zones_offered())
    if current in _time_zones_known():
        names.add(current)
    return sorted(names)


def workspace_update(*, member: Member, name: str, kind: str, time_zone: str) -> Workspace:
    """Settings → General. Admins only; every field checked before any is changed."""
    if not member.is_admin:
        raise PermissionDenied
    workspace = member.workspace
    name = bidi_strip(name).strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("A workspace needs a name.")]
    elif len(name) > MAX_WORKSPACE_NAME:
        errors["name"] = [_("A workspace name is at most 120 characters.")]
    if kind not in Workspace.Kind.values:
        errors["kind"] = [_("Choose brand or agency.")]
    if time_zone not in _time_zones_known():
        errors["time_zone"] = [_("Choose a time zone from the list, e.g. Europe/Helsinki.")]
    if errors:
        raise ValidationFailed(errors)
    workspace.name, workspace.kind, workspace.time_zone = name, kind, time_zone
    workspace.save(update_fields=["name", "kind", "time_zone", "updated_at"])
    return workspace


def member_add(*, workspace: Workspace, user: User, role: str = Member.Role.MEMBER) -> Member:
    """The user's membership of the workspace (a removed one comes back with `role`)."""
    if role not in Member.Role.values:
        raise ValidationFailed({"role": [_("Unknown role.")]})
    member, created = Member.all_objects.get_or_create(
        workspace=workspace, user=user, defaults={"role": role}
    )
    if not created and member.removed_at is not None:
        _member_restore(member, role=role)
    return member


# Settings → Team ---------------------------------------------------------------------------

# A login address as the user's row holds it: the email is also the username, a column of
# 150 characters (PostgreSQL refuses a longer one; RFC 5321 would allow 254). A name as the
# user's first and last names hold it (150 characters each, and the name is split in two).
MAX_EMAIL = 150
MAX_MEMBER_NAME = 150
# A plain address (dot-atom local part, domain labels, a letters-only top level): the API
# schema states it, and every address it matches passes Django's validator as well, which
# member_email_clean also runs. (The pattern of creators.normalize, which accounts, below
# creators, cannot import; without the spaces around, which the pages strip.)
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
MEMBER_EMAIL_PATTERN = rf"^{_ATOM}(\.{_ATOM})*@({_LABEL}\.)+[A-Za-z]{{2,63}}$"


class TeamAdminOnly(PermissionDenied, ValidationFailed):
    """Only an owner or admin may invite, change roles and remove; only an owner may make,
    change or remove an owner. The API answers 403; the pages show the words (it is a
    ValidationFailed too)."""


def _admin_only(actor: Member) -> None:
    if not actor.is_admin:
        raise TeamAdminOnly(
            _("Only an owner or admin can invite teammates, change roles or remove members.")
        )


def _owner_only(actor: Member) -> None:
    if actor.role != Member.Role.OWNER:
        raise TeamAdminOnly(_("Only an owner can make someone an owner, or change or remove one."))


def _same_workspace(actor: Member, member: Member) -> None:
    # Views and routers look the member up in the actor's workspace; this is the backstop.
    if member.workspace_id != actor.workspace_id or member.removed_at is not None:
        raise NotFound


def _role_checked(role: str) -> str:
    if role not in Member.Role.values:
        raise ValidationFailed({"role": [_("Choose owner, admin or member.")]})
    return role


def member_email_clean(email: str) -> str:
    """A teammate's login address: trimmed, lower-case, a plain address (MEMBER_EMAIL_PATTERN)
    that Django's validator accepts. A bidirectional control in it is refused, not removed: it
    would be another address."""
    email = email.strip()
    if not email:
        raise ValidationFailed({"email": [_("Enter the teammate's email address.")]})
    if len(email) > MAX_EMAIL:
        raise ValidationFailed(
            {"email": [_("An email address is at most %(n)d characters.") % {"n": MAX_EMAIL}]}
        )
    invalid = ValidationFailed({"email": [_("Enter a valid email address.")]})
    if re.fullmatch(MEMBER_EMAIL_PATTERN, email) is None:
        raise invalid
    try:
        validate_email(email)
    except ValidationError as exc:
        raise invalid from exc
    return email.lower()  # (ASCII by now: the pattern allows nothing else)


def member_name_clean(name: str) -> tuple[str, str]:
    """A teammate's name as (first name, the rest): spaces collapsed, bidirectional controls
    removed (core.bidi), NUL refused, at most MAX_MEMBER_NAME characters."""
    if "\x00" in name:
        raise ValidationFailed({"name": [_("A name cannot hold a NUL character (\\0).")]})
    name = " ".join(bidi_strip(name).split())
    if len(name) > MAX_MEMBER_NAME:
        raise ValidationFailed(
            {"name": [_("A name is at most %(n)d characters.") % {"n": MAX_MEMBER_NAME}]}
        )
    first, _space, last = name.partition(" ")
    return first, last


def _owner_ids_locked(workspace_id: int) -> list[int]:
    """The workspace's owners, their rows locked until the transaction ends: two owners who
    demote (or remove) each other at once cannot leave the workspace without one."""
    return list(
        Member.objects.select_for_update()
        .filter(workspace_id=workspace_id, role=Member.Role.OWNER)
        .order_by("id")
        .values_list("id", flat=True)
    )


def _member_restore(member: Member, *, role: str) -> None:
    """A removed member back in the workspace, with their history: a member since now."""
    member.removed_at = None
    member.role = role
    member.created_at = timezone.now()
    member.save(update_fields=["removed_at", "role", "created_at", "updated_at"])


def member_invite(
    *, actor: Member, email: str, name: str = "", role: str = Member.Role.MEMBER
) -> Member:
    """Add a teammate by email (owners and admins; an owner only by an owner). A user with
    the address joins the workspace (the name given is theirs to choose, so it is left as
    is); for a new address a user is made with no usable password, which the invitation's
    link sets. A removed member comes back with their history. Conflict when they are a
    member already. The email goes out once the transaction commits (`_invitation_queue`).
    inbox.team.team_member_invite adds their inbox entries in the same transaction."""
    _admin_only(actor)
    errors: dict[str, list[str]] = {}
    first = last = ""
    try:
        email = member_email_clean(email)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        first, last = member_name_clean(name)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        _role_checked(role)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    if role == Member.Role.OWNER:
        _owner_only(actor)
    taken = Conflict(
        {"email": [_("%(email)s is already a member of this workspace.") % {"email": email}]}
    )
    try:
        with transaction.atomic():
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                user = User.objects.create_user(
                    email=email, password=None, first_name=first, last_name=last
                )
            member = (
                Member.all_objects.select_for_update()
                .filter(workspace_id=actor.workspace_id, user=user)
                .first()
            )
            if member is None:
                member = Member.objects.create(
                    workspace_id=actor.workspace_id, user=user, role=role
                )
            elif member.removed_at is None:
                raise taken
            else:
                _member_restore(member, role=role)
    except IntegrityError as exc:  # the same address invited twice at once
        raise taken from exc
    member.user = user
    _invitation_queue(member=member, inviter=actor)
    return member


def _invitation_queue(*, member: Member, inviter: Member) -> None:
    """The invitation (or "you were added") email, sent by the worker once the transaction
    commits, in the invitee's language if they chose one, else in the inviter's."""
    language = member.user.language or translation.get_language() or settings.LANGUAGE_CODE
    member_id, inviter_id = member.id, inviter.id

    def enqueue() -> None:
        from parley.accounts.tasks import member_invitation_email_task

        member_invitation_email_task.enqueue(member_id, inviter_id, language)

    transaction.on_commit(enqueue)


def member_invitation_resend(*, actor: Member, member: Member) -> None:
    """The invitation again, with a new link (owners and admins): for a teammate who has not
    set a password yet (the link in the first one lasts PASSWORD_RESET_TIMEOUT). Conflict
    once they have one: they sign in as usual, and "Forgot your password?" serves them."""
    _same_workspace(actor, member)
    _admin_only(actor)
    if not member.invitation_pending:
        raise Conflict(
            _("%(name)s has set a password already: they sign in as usual.")
            % {"name": str(member.user)}
        )
    _invitation_queue(member=member, inviter=actor)


def member_role_set(*, actor: Member, member: Member, role: str) -> Member:
    """Change a teammate's role (owners and admins; making, changing or demoting an owner
    only an owner). The last owner stays one (Conflict): make another owner first."""
    _same_workspace(actor, member)
    _admin_only(actor)
    _role_checked(role)
    if Member.Role.OWNER in (role, member.role):
        _owner_only(actor)
    with transaction.atomic():
        owners = _owner_ids_locked(actor.workspace_id)
        current = Member.objects.select_for_update().filter(pk=member.pk).first()
        if current is None:  # removed meanwhile
            raise NotFound
        if current.role == role:
            return current
        if current.role == Member.Role.OWNER and owners == [current.id]:
            raise Conflict(
                {
                    "role": [
                        _(
                            "%(name)s is the workspace's only owner: make someone else an "
                            "owner first."
                        )
                        % {"name": str(member.user)}
                    ]
                }
            )
        current.role = role
        current.save(update_fields=["role", "updated_at"])
    member.role = role
    return member


def member_remove(*, actor: Member, member: Member) -> None:
    """Remove a teammate from the workspace (owners and admins; an owner only an owner; the
    last owner cannot go: Conflict). They lose access at once, and their API tokens; what
    they wrote (messages, notes, payments) stays theirs, the row kept with `removed_at`
    (see Member). inbox.team.team_member_remove also clears their inbox."""
    _same_workspace(actor, member)
    _admin_only(actor)
    if member.role == Member.Role.OWNER:
        _owner_only(actor)
    with transaction.atomic():
        owners = _owner_ids_locked(actor.workspace_id)
        current = Member.objects.select_for_update().filter(pk=member.pk).first()
        if current is None:
            raise NotFound
        if current.role == Member.Role.OWNER and owners == [current.id]:
            raise Conflict(
                _(
                    "%(name)s is the workspace's only owner and cannot be removed: make "
                    "someone else an owner first."
                )
                % {"name": str(member.user)}
            )
        current.removed_at = timezone.now()
        current.save(update_fields=["removed_at", "updated_at"])
        ApiToken.objects.filter(member=current).delete()
    member.removed_at = current.removed_at


def member_invitation_email_send(*, member_id: int, inviter_id: int, language: str) -> bool:
    """The email to a teammate just invited (Django's mail, as the password reset mails):
    to a new user a link to choose their password (Django's reset link: the token lasts
    PASSWORD_RESET_TIMEOUT and ends once a password is set), to an existing one word that
    the workspace is in their switcher. False when the membership is gone by now."""
    member = Member.objects.select_related("user", "workspace").filter(id=member_id).first()
    if member is None or not member.user.is_active:
        return False
    user, workspace = member.user, member.workspace
    inviter = Member.all_objects.select_related("user").filter(id=inviter_id).first()
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        who = str(inviter.user) if inviter is not None else _("A teammate")
        facts = {
            "inviter": who,
            "workspace": workspace.name,
            "role": str(Member.Role(member.role).label),
            "email": user.email,
        }
        if member.invitation_pending:
            days = max(1, int(settings.PASSWORD_RESET_TIMEOUT) // 86400)
            link = settings.PARLEY_PUBLIC_URL + reverse(
                "password_reset_confirm",
                kwargs={
                    "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                    "token": default_token_generator.make_token(user),
                },
            )
            subject = _("%(inviter)s invited you to %(workspace)s on Parley") % facts
            lines = [
                _(
                    "%(inviter)s invited you to join %(workspace)s on Parley, the team's "
                    "inbox for creator partnerships. Your role: %(role)s."
                )
                % facts,
                "",
                _("Open this link to choose your password:"),
                link,
                "",
                ngettext(
                    "The link works for %(n)d day, until you set a password. After that, ask "
                    "%(inviter)s to send the invitation again.",
                    "The link works for %(n)d days, until you set a password. After that, ask "
                    "%(inviter)s to send the invitation again.",
                    days,
                )
                % {**facts, "n": days},
                "",
                _("You sign in with this address, %(email)s.") % facts,
            ]
        else:
            subject = _("You were added to %(workspace)s on Parley") % facts
            lines = [
                _("%(inviter)s added you to %(workspace)s on Parley. Your role: %(role)s.") % facts,
                "",
                _(
                    "Sign in as usual (%(email)s) and choose %(workspace)s in the workspace "
                    "switcher at the top of the page:"
                )
                % facts,
                settings.PARLEY_PUBLIC_URL + reverse("login"),
            ]
    send_mail(
        subject=" ".join(subject.split())[:200],
        message="\n".join(lines),
        from_email=None,
        recipient_list=[user.email],
    )
    return True


def client_create(*, workspace: Workspace, name: str) -> Client:
    name = bidi_strip(name).strip()
    if not name:
        raise ValidationFailed({"name": [_("A client needs a name.")]})
    if len(name) > MAX_CLIENT_NAME:
        raise ValidationFailed({"name": [_("A client name is at most 120 characters.")]})
    if Client.objects.filter(workspace=workspace, name=name).exists():
        raise Conflict({"name": [_("A client with this name already exists.")]})
    return Client.objects.create(workspace=workspace, name=name)


MAX_TOKEN_NAME = 80


def api_token_create(*, member: Member, name: str) -> tuple[ApiToken, str]:
    """Create a token; the raw value is returned once and never stored (only its SHA-256)."""
    name = " ".join(bidi_strip(name).split())
    if "\x00" in name:
        raise ValidationFailed({"name": [_("A name cannot hold a NUL character (\\0).")]})
    if len(name) > MAX_TOKEN_NAME:
        raise ValidationFailed({"name": [_("A token's name is at most 80 characters.")]})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        member=member, name=name or "API", prefix=raw[:10], digest=ApiToken.hash(raw)
    )
    return token, raw


def api_token_revoke(*, member: Member, token: ApiToken) -> None:
    """Revoke one of the member's own tokens: it stops working at once."""
    if token.member_id != member.id:
        raise PermissionDenied
    token.delete()


def api_token_touch(*, token: ApiToken) -> None:
    token.last_used_at = timezone.now()
    token.save(update_fields=["last_used_at"])
