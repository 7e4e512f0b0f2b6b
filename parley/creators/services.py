"""Writes to the creators database."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from parley.accounts.models import Member, Workspace
from parley.core.bidi import bidi_strip
from parley.core.errors import Conflict, ValidationFailed
from parley.creators.models import Creator, CreatorTag, Identity, Note, Tag
from parley.creators.normalize import (
    MAX_URL,
    MAX_VALUE,
    identity_normalize,
    phone_e164,
    profile_url,
    search_text,
)

# Limits of what a member can write; the API schema states the same numbers.
MAX_NAME = 160
MAX_FIRST_NAME = 80
MAX_IDENTITIES = 20
MAX_CUSTOM_FIELDS = 50
MAX_FIELD_NAME = 60
MAX_FIELD_VALUE = 1000
MAX_TAG = 60
MAX_NOTE = 10_000


def _search_text(creator: Creator) -> str:
    return search_text(creator.name, list(creator.identities.values_list("normalized", flat=True)))


def creator_refresh_search(*, creator: Creator) -> None:
    creator.search_text = _search_text(creator)
    creator.save(update_fields=["search_text", "updated_at"])


def _validate_custom_fields(fields: Any) -> dict[str, str]:
    """The fields as stored: names stripped, one field whatever the case its name is written
    in (the first spelling kept, the last value: "City" after "city" sets "city")."""
    if not isinstance(fields, dict):
        raise ValidationFailed({"custom_fields": [_("Custom fields must be an object.")]})
    too_many = Conflict({"custom_fields": [_("At most 50 custom fields.")]})
    if len(fields) > 2 * MAX_CUSTOM_FIELDS + 100:  # more than any merge can bring
        raise too_many
    clean: dict[str, str] = {}
    spelled: dict[str, str] = {}
    for key, value in fields.items():
        # A field name is a label the team reads: no direction controls (as in names, tags).
        key = bidi_strip(str(key)).strip()
        if not key or len(key) > MAX_FIELD_NAME:
            raise ValidationFailed({"custom_fields": [_("Field names are 1 to 60 characters.")]})
        key = spelled.setdefault(key.casefold(), key)
        if value is not None and not isinstance(value, str | int | float | bool):
            raise ValidationFailed({"custom_fields": [_("Field values must be plain text.")]})
        text = "" if value is None else str(value)
        if len(text) > MAX_FIELD_VALUE:
            raise ValidationFailed(
                {"custom_fields": [_("A field value is at most 1,000 characters.")]}
            )
        if text != "":
            clean[key] = text
        else:
            clean.pop(key, None)
    if len(clean) > MAX_CUSTOM_FIELDS:
        raise too_many
    return clean


class _Problems:
    """Every problem of one call, raised together ("get every problem at once"): a
    Conflict when each is one (the API answers 409), else ValidationFailed."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}
        self.conflicts_only = True

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)
        self.conflicts_only = False

    def take(self, exc: ValidationFailed) -> None:
        for field, messages in exc.errors.items():
            self.errors.setdefault(field, []).extend(messages)
        self.conflicts_only = self.conflicts_only and isinstance(exc, Conflict)

    def raise_any(self) -> None:
        if self.errors:
            raise (Conflict if self.conflicts_only else ValidationFailed)(self.errors)


def _creator_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """The changes to a creator's fields as stored, each checked; every problem raised at
    once."""
    problems = _Problems()
    for key in sorted(set(changes) - {"name", "first_name", "preferred_channel", "custom_fields"}):
        problems.add(key, _("Unknown field."))
    clean: dict[str, Any] = {}
    if "name" in changes:
        clean["name"] = bidi_strip(str(changes["name"])).strip()
        if not clean["name"] or len(clean["name"]) > MAX_NAME:
            problems.add("name", _("A creator needs a name of at most 160 characters."))
    if "first_name" in changes:
        first_name = str(changes["first_name"])
        if len(first_name.strip()) > MAX_FIRST_NAME:
            problems.add("first_name", _("A first name is at most 80 characters."))
        clean["first_name"] = bidi_strip(first_name).strip()
    if "preferred_channel" in changes:
        if changes["preferred_channel"] not in Creator.Channel.values:
            problems.add("preferred_channel", _("Unknown channel."))
        clean["preferred_channel"] = changes["preferred_channel"]
    if "custom_fields" in changes:
        try:
            clean["custom_fields"] = _validate_custom_fields(changes["custom_fields"])
        except ValidationFailed as exc:
            problems.take(exc)
    problems.raise_any()
    return clean


def creator_create(
    *,
    workspace: Workspace,
    name: str,
    first_name: str = "",
    preferred_channel: str = Creator.Channel.EMAIL,
    identities: Iterable[tuple[str, str]] = (),
    custom_fields: dict[str, Any] | None = None,
) -> Creator:
    problems = _Problems()
    clean: dict[str, Any] = {}
    try:
        clean = _creator_changes(
            {
                "name": name,
                "first_name": first_name,
                "preferred_channel": preferred_channel,
                "custom_fields": custom_fields or {},
            }
        )
    except ValidationFailed as exc:
        problems.take(exc)
    identities = list(identities)
    if len(identities) > MAX_IDENTITIES:
        problems.add("identities", _("At most 20 identities at once."))
    problems.raise_any()
    name = clean["name"]
    with transaction.atomic():
        creator = Creator.objects.create(
            workspace=workspace,
            name=name,
            # The first word of the name, cut to the column's size (a name can be one word).
            first_name=clean["first_name"] or name.split()[0][:MAX_FIRST_NAME],
            preferred_channel=preferred_channel,
            custom_fields=clean["custom_fields"],
        )
        for kind, value in identities:
            identity_add(creator=creator, kind=kind, value=value, refresh=False)
        creator_refresh_search(creator=creator)
    return creator


def creator_update(*, creator: Creator, **changes: Any) -> Creator:
    """Change a creator's fields; every problem is raised at once, and the creator is
    left as it was when there is one."""
    for field, value in _creator_changes(changes).items():
        setattr(creator, field, value)
    with transaction.atomic():
        creator.search_text = _search_text(creator)
        creator.save()
    return creator


def _identity_clean(*, kind: str, value: str, url: str, source: str) -> tuple[str, str, str]:
    """(value, normalized, profile URL) of an identity as stored; the value's and the
    URL's problems raised at once."""
    # Names and handles shown in lists never carry bidirectional controls (core.bidi).
    value, url = bidi_strip(value), bidi_strip(url)
    problems = _Problems()
    if len(url.strip()) > MAX_URL:
        problems.add("url", _("A profile URL is at most 200 characters."))
    normalized = ""
    if len(value.strip()) > MAX_VALUE:
        problems.add("value", _("At most 254 characters."))
    else:
        try:
            if kind == Identity.Kind.PHONE and source != Identity.Source.SMS:
                # E.164 through phonenumbers, as the add form and the import store phones
                # (an inbound SMS finds its creator by it). A number an SMS came from is
                # kept as the carrier gave it, in E.164, even one libphonenumber does not
                # know.
                value = phone_e164(value)
            normalized = identity_normalize(kind, value)
        except ValidationFailed as exc:
            problems.take(exc)
    if "url" not in problems.errors:
        try:
            url = profile_url(kind, normalized, url)
        except ValidationFailed as exc:
            problems.take(exc)
    problems.raise_any()
    return value.strip(), normalized, url


def identity_add(
    *,
    creator: Creator,
    kind: str,
    value: str,
    url: str = "",
    refresh: bool = True,
    source: str = Identity.Source.MANUAL,
) -> Identity:
    value, normalized, url = _identity_clean(kind=kind, value=value, url=url, source=source)
    try:
        with transaction.atomic():
            identity = Identity.objects.create(
                workspace_id=creator.workspace_id,
                creator=creator,
                kind=kind,
                value=value,
                normalized=normalized,
                url=url,
                is_primary=not creator.identities.filter(kind=kind).exists(),
                source=source,
            )
    except IntegrityError as exc:
        raise Conflict(
            {"value": [_("Another creator in this workspace already has %(v)s.") % {"v": value}]}
        ) from exc
    if refresh:
        creator_refresh_search(creator=creator)
    return identity


def identity_remove(*, identity: Identity) -> None:
    creator = identity.creator
    identity.delete()
    creator_refresh_search(creator=creator)


def identity_bounce_mark(*, identity: Identity, status: str, diagnostic: str, at: datetime) -> None:
    """An email address hard-bounced: the next email to it asks first (outbox.email_send)."""
    identity.bounced_at = at
    identity.bounce_status = status[:16]
    identity.bounce_diagnostic = diagnostic[:500]
    identity.save(update_fields=["bounced_at", "bounce_status", "bounce_diagnostic"])


def identity_bounce_clear(*, workspace_id: int, address: str, replied_at: datetime) -> int:
    """Mail from a bouncing address arrived after its bounce: it works again. One UPDATE
    (nothing when it is not bouncing); returns how many identities were cleared."""
    return Identity.objects.filter(
        workspace_id=workspace_id,
        kind=Identity.Kind.EMAIL,
        normalized=address,
        bounced_at__lte=replied_at,
    ).update(bounced_at=None, bounce_status="", bounce_diagnostic="")


def tag_get_or_create(*, workspace: Workspace, name: str) -> Tag:
    name = bidi_strip(name).strip()
    if not name or len(name) > MAX_TAG:
        raise ValidationFailed({"name": [_("A tag is 1 to 60 characters.")]})
    # "vip" is the workspace's "VIP" if it has one: one tag, however it is typed.
    existing = Tag.objects.filter(workspace=workspace, name__iexact=name).order_by("id").first()
    if existing is not None:
        return existing
    tag, _created = Tag.objects.get_or_create(workspace=workspace, name=name)
    return tag


def tags_add(*, tag: Tag, creator_ids: Iterable[int]) -> int:
    """Tag many creators at once; ids of other workspaces are ignored. Returns how many."""
    ids = set(
        Creator.objects.filter(workspace_id=tag.workspace_id, id__in=list(creator_ids)).values_list(
            "id", flat=True
        )
    )
    already = set(
        CreatorTag.objects.filter(tag=tag, creator_id__in=ids).values_list("creator_id", flat=True)
    )
    new = [CreatorTag(tag=tag, creator_id=i) for i in ids - already]
    CreatorTag.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    return len(new)


def tag_remove(*, tag: Tag, creator: Creator) -> None:
    CreatorTag.objects.filter(tag=tag, creator=creator).delete()


def note_add(*, creator: Creator, author: Member, body: str) -> Note:
    body = body.strip()
    if not body:
        raise ValidationFailed({"body": [_("A note cannot be empty.")]})
    if len(body) > MAX_NOTE:
        raise ValidationFailed({"body": [_("A note is at most 10,000 characters.")]})
    return Note.objects.create(creator=creator, author=author, body=body)


def creator_delete(*, creator: Creator) -> None:
    """Delete a creator with their identities, tags, notes and conversation."""
    with transaction.atomic():
        creator.delete()


def custom_fields_merge(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`changes` over `current`; a name `current` has in another case takes its spelling."""
    merged = dict(current)
    spelled = {str(name).casefold(): name for name in current}
    for name, value in changes.items():
        merged[spelled.setdefault(str(name).casefold(), name)] = value
    return merged


def creator_custom_fields_update(*, creator: Creator, changes: dict[str, Any]) -> Creator:
    """Merge `changes` into the custom fields; a null or empty value removes the field."""
    if not isinstance(changes, dict):
        raise ValidationFailed({"custom_fields": [_("Custom fields must be an object.")]})
    merged = custom_fields_merge(creator.custom_fields, changes)
    return creator_update(creator=creator, custom_fields=merged)


def creator_profile_update(
    *,
    creator: Creator,
    name: str,
    first_name: str,
    preferred_channel: str,
    new_identity: tuple[str, str, str] | None = None,
) -> Creator:
    """Update Profile: the names, the preferred channel and optionally a new (kind, value,
    url) identity, all or nothing. The fields' and the identity's problems are raised
    together."""
    problems = _Problems()
    try:
        _creator_changes(
            {"name": name, "first_name": first_name, "preferred_channel": preferred_channel}
        )
    except ValidationFailed as exc:
        problems.take(exc)
    if new_identity is not None:
        kind, value, url = new_identity
        try:
            _identity_clean(kind=kind, value=value, url=url, source=Identity.Source.MANUAL)
        except ValidationFailed as exc:
            problems.take(exc)
    problems.raise_any()
    with transaction.atomic():
        creator_update(
            creator=creator, name=name, first_name=first_name, preferred_channel=preferred_channel
        )
        if new_identity is not None:
            kind, value, url = new_identity
            identity_add(creator=creator, kind=kind, value=value, url=url)
    return creator


def creator_add(
    *,
    workspace: Workspace,
    name: str,
    first_name: str = "",
    preferred_channel: str = Creator.Channel.EMAIL,
    identities: Iterable[tuple[str, str]] = (),
    tags: Iterable[str] = (),
    custom_fields: dict[str, Any] | None = None,
    followers: int | None = None,
) -> Creator:
    """Add a creator by hand (the Creators page): creator_create, with tags (made when
    new) and the follower count, all or nothing."""
    with transaction.atomic():
        creator = creator_create(
            workspace=workspace,
            name=name,
            first_name=first_name,
            preferred_channel=preferred_channel,
            identities=identities,
            custom_fields=custom_fields,
        )
        for tag_name in dict.fromkeys(t.strip() for t in tags if t.strip()):
            tags_add(
                tag=tag_get_or_create(workspace=workspace, name=tag_name), creator_ids=[creator.id]
            )
        if followers:
            creator.followers = followers
            creator.save(update_fields=["followers"])
    return creator
