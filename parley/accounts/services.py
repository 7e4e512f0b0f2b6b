"""Writes to users, workspaces, members, clients and API tokens."""

import secrets
import zoneinfo

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import ApiToken, Client, Member, User, Workspace
from parley.core.bidi import bidi_strip
from parley.core.errors import Conflict, PermissionDenied, ValidationFailed

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


def time_zone_names() -> list[str]:
    """The IANA time zone names a workspace can choose, sorted."""
    return sorted(zoneinfo.available_timezones())


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
    if time_zone not in zoneinfo.available_timezones():
        errors["time_zone"] = [_("Choose a time zone from the list, e.g. Europe/Helsinki.")]
    if errors:
        raise ValidationFailed(errors)
    workspace.name, workspace.kind, workspace.time_zone = name, kind, time_zone
    workspace.save(update_fields=["name", "kind", "time_zone", "updated_at"])
    return workspace


def member_add(*, workspace: Workspace, user: User, role: str = Member.Role.MEMBER) -> Member:
    if role not in Member.Role.values:
        raise ValidationFailed({"role": [_("Unknown role.")]})
    member, _created = Member.objects.get_or_create(
        workspace=workspace, user=user, defaults={"role": role}
    )
    return member


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
