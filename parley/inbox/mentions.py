"""Mentions in notes: `@anna` in a note tells that teammate (a notification, and an email if
they want one), and the note shows the mention as a link.

A teammate answers to their email address's local part (`@anna.virtanen` for
anna.virtanen@brand.test), and to their first name or their first and last name written
together (`@anna`, `@annavirtanen`) when no other member of the workspace shares it. Case
does not matter. An address such as `info@brand.test` is no mention: the `@` must follow a
space, a line's start or punctuation.
"""

import re
from collections.abc import Iterable

from django.db import transaction
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_noop

from parley.accounts.models import Member
from parley.accounts.selectors import member_list
from parley.creators.models import Creator, Note
from parley.creators.services import note_add
from parley.inbox.events import said
from parley.inbox.models import Conversation, Notification
from parley.inbox.services import notify

MENTION = re.compile(r"(?<![\w@.])@([\w][\w.+-]*)")


def _clean(token: str) -> str:
    return token.rstrip(".-").casefold()


def mention_names(members: Iterable[Member]) -> dict[str, Member]:
    """Every name a member answers to (casefolded) → the member; a name two members share
    is nobody's (their address still reaches each)."""
    names: dict[str, Member] = {}
    shared: set[str] = set()
    by_address: dict[str, Member] = {}
    for member in members:
        user = member.user
        local = user.email.split("@")[0].casefold()
        if local:
            by_address[local] = member
        first, last = user.first_name.strip(), user.last_name.strip()
        for name in {first.casefold(), (first + last).replace(" ", "").casefold()}:
            if not name:
                continue
            if name in names and names[name].pk != member.pk:
                shared.add(name)
            names[name] = member
    for name in shared:
        del names[name]
    # An address's local part is exact: it wins over a name.
    return {**names, **by_address}


def mentioned(body: str, members: Iterable[Member]) -> list[Member]:
    """The members a text mentions, in the order first mentioned, each once."""
    names = mention_names(members)
    found: dict[int, Member] = {}
    for match in MENTION.finditer(body):
        member = names.get(_clean(match.group(1)))
        if member is not None:
            found.setdefault(member.pk, member)
    return list(found.values())


def note_html(body: str, members: Iterable[Member]) -> SafeString:
    """The note's text, escaped, with line breaks, each mention a link to write to that
    teammate (the text kept as written)."""
    names = mention_names(members)
    out: list[str] = []
    last = 0
    for match in MENTION.finditer(body):
        token = match.group(1)
        cleaned = token.rstrip(".-")
        member = names.get(cleaned.casefold())
        if member is None:
            continue
        out.append(escape(body[last : match.start()]))
        out.append(
            format_html(
                '<a class="mention" href="mailto:{}" title="{}">@{}</a>',
                member.user.email,
                str(member.user),
                cleaned,
            )
        )
        last = match.start() + 1 + len(cleaned)
    out.append(escape(body[last:]))
    # Every piece was escaped or built by format_html.
    return mark_safe("".join(out).replace("\r\n", "\n").replace("\n", "<br>"))


def note_post(*, creator: Creator, author: Member, body: str) -> Note:
    """Add a note about a creator; each teammate it mentions is told (not the author)."""
    with transaction.atomic():
        note = note_add(creator=creator, author=author, body=body)
        members = mentioned(note.body, member_list(workspace=author.workspace))
        others = [m.pk for m in members if m.pk != author.pk]
        if others:
            conversation_id = (
                Conversation.objects.filter(creator=creator).values_list("id", flat=True).first()
            )
            excerpt = " ".join(note.body.split())
            notify(
                workspace_id=author.workspace_id,
                member_ids=others,
                kind=Notification.Kind.MENTION,
                text=said(
                    gettext_noop("%(author)s mentioned you in a note on %(creator)s: %(note)s"),
                    author=str(author.user),
                    creator=creator.name,
                    note=excerpt[:160],
                ),
                conversation_id=conversation_id,
            )
    return note
