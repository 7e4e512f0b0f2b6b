"""Writes of saved replies. A reply's subject and text are checked as the mass email's
templates are (the same Jinja2 sandbox and personal fields, parley.broadcasts.fields):
every problem at once, a syntax error with its line."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from parley.accounts.models import Member
from parley.broadcasts.fields import templates_check
from parley.core.bidi import bidi_strip
from parley.core.errors import Conflict, ValidationFailed
from parley.core.text import has_nul
from parley.outbox.services import MAX_BODY, MAX_SUBJECT
from parley.replies.models import SavedReply

MAX_NAME = 80


def _clean(*, name: str, subject: str, body: str) -> tuple[str, str, str]:
    errors: dict[str, list[str]] = {}
    name = " ".join(bidi_strip(name).split())
    subject = subject.strip()
    body = body.strip()
    if any(has_nul(v) for v in (name, subject, body)):
        raise ValidationFailed(_("Text cannot hold a NUL character (\\0)."))
    if not name:
        errors["name"] = [_("Give the reply a name, to find it by.")]
    elif len(name) > MAX_NAME:
        errors["name"] = [_("A name is at most 80 characters.")]
    if not body:
        errors["body"] = [_("Write the reply's text.")]
    elif len(body) > MAX_BODY:
        errors["body"] = [_("A reply is at most 50,000 characters.")]
    if len(subject) > MAX_SUBJECT:
        errors["subject"] = [_("A subject is at most 900 characters.")]
    if not errors:
        for problem in templates_check(subject=subject, body=body):
            errors.setdefault(problem.field, []).append(problem.message)
    if errors:
        raise ValidationFailed(errors)
    return name, subject, body


def _name_taken(member: Member, name: str, exclude: int | None = None) -> bool:
    taken = SavedReply.objects.filter(workspace_id=member.workspace_id, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(id=exclude)
    return taken.exists()


def _taken() -> Conflict:
    return Conflict({"name": [_("A saved reply with this name exists already.")]})


def saved_reply_create(*, member: Member, name: str, body: str, subject: str = "") -> SavedReply:
    name, subject, body = _clean(name=name, subject=subject, body=body)
    if _name_taken(member, name):
        raise _taken()
    try:
        with transaction.atomic():
            return SavedReply.objects.create(
                workspace_id=member.workspace_id,
                name=name,
                subject=subject,
                body=body,
                created_by=member,
            )
    except IntegrityError as exc:  # the same name, saved at the same moment
        raise _taken() from exc


def saved_reply_update(
    *, member: Member, reply: SavedReply, name: str, body: str, subject: str = ""
) -> SavedReply:
    if reply.workspace_id != member.workspace_id:
        raise ValidationFailed(_("Unknown saved reply."))
    name, subject, body = _clean(name=name, subject=subject, body=body)
    if _name_taken(member, name, exclude=reply.id):
        raise _taken()
    reply.name, reply.subject, reply.body = name, subject, body
    try:
        with transaction.atomic():
            reply.save(update_fields=["name", "subject", "body", "updated_at"])
    except IntegrityError as exc:
        raise _taken() from exc
    return reply


def saved_reply_delete(*, member: Member, reply: SavedReply) -> None:
    if reply.workspace_id != member.workspace_id:
        raise ValidationFailed(_("Unknown saved reply."))
    reply.delete()
