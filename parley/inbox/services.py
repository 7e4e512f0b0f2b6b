"""Writes to conversations, messages, read state and notifications.

Every message, whatever its channel, is recorded by `message_record`, which keeps the
denormalised inbox columns (last activity, awaiting reply, preview, per-member unread) true
in the same transaction.
"""

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from parley.accounts.models import Member
from parley.core.bulk import ids_reserve
from parley.core.errors import ValidationFailed
from parley.core.lookups import ids_in
from parley.creators.models import Creator
from parley.inbox.events import Said, said
from parley.inbox.models import (
    Conversation,
    InboxEntry,
    Message,
    Notification,
    NotificationPreference,
    notification_fit,
    notification_shown,
)
from parley.inbox.responses import response_count_add
from parley.inbox.search import messages_insert_indexed, search_index_messages

PREVIEW_LENGTH = 140


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_LENGTH else flat[: PREVIEW_LENGTH - 1] + "…"


def conversation_get_or_create(*, creator: Creator, at: datetime | None = None) -> Conversation:
    """The creator's one conversation, with an inbox entry for every member of the workspace."""
    conversation = Conversation.objects.filter(creator=creator).first()
    if conversation is not None:
        return conversation
    at = at or timezone.now()
    with transaction.atomic():
        conversation, created = Conversation.objects.get_or_create(
            creator=creator,
            defaults={"workspace_id": creator.workspace_id, "last_activity_at": at},
        )
        if created:
            member_ids = Member.objects.filter(workspace_id=creator.workspace_id).values_list(
                "id", flat=True
            )
            InboxEntry.objects.bulk_create(
                InboxEntry(
                    workspace_id=creator.workspace_id,
                    member_id=member_id,
                    conversation=conversation,
                    creator_id=creator.id,
                    sort_at=at,
                )
                for member_id in member_ids
            )
    return conversation


def inbox_entries_create_for_member(*, member: Member, batch_size: int = 2000) -> int:
    """Give a new member an entry for every existing conversation (read, by their activity)."""
    created = 0
    existing = InboxEntry.objects.filter(member=member).values("conversation_id")
    conversations = (
        Conversation.objects.filter(workspace_id=member.workspace_id)
        .exclude(id__in=existing)
        .values_list("id", "creator_id", "last_activity_at")
    )
    batch: list[InboxEntry] = []
    for conversation_id, creator_id, last_activity_at in conversations.iterator(
        chunk_size=batch_size
    ):
        batch.append(
            InboxEntry(
                workspace_id=member.workspace_id,
                member=member,
                conversation_id=conversation_id,
                creator_id=creator_id,
                sort_at=last_activity_at,
                last_read_at=last_activity_at,
            )
        )
        if len(batch) >= batch_size:
            InboxEntry.objects.bulk_create(batch, ignore_conflicts=True)
            created += len(batch)
            batch = []
    InboxEntry.objects.bulk_create(batch, ignore_conflicts=True)
    return created + len(batch)


def message_record(
    *,
    conversation: Conversation,
    channel: str,
    direction: str,
    status: str,
    body_text: str = "",
    body_html: str = "",
    subject: str = "",
    campaign_id: int | None = None,
    author_member: Member | None = None,
    author_creator: Creator | None = None,
    created_at: datetime | None = None,
    event: Said | None = None,
    **provider_fields: object,
) -> Message:
    """Store a message and bring the conversation's inbox state up to date. A system event
    passes its words as `event` (parley.inbox.events): its body_text is them as said now."""
    at = created_at or timezone.now()
    if event is not None:
        body_text = str(event)
        provider_fields["event"] = event.stored()
    with transaction.atomic():
        response_seconds, first_response = None, False
        waiting_since = conversation.awaiting_reply_since
        if direction == Message.Direction.OUTBOUND and author_member and waiting_since:
            # A member's reply ends the creator's wait: how long it was, and whether the
            # team had replied in this thread before (the Reports page's figures).
            response_seconds = max(0, int((at - waiting_since).total_seconds()))
            first_response = not Message.objects.filter(
                conversation=conversation,
                direction=Message.Direction.OUTBOUND,
                author_member__isnull=False,
            ).exists()
        message = Message.objects.create(
            workspace_id=conversation.workspace_id,
            conversation=conversation,
            channel=channel,
            direction=direction,
            status=status,
            body_text=body_text,
            body_html=body_html,
            subject=subject,
            campaign_id=campaign_id,
            author_member=author_member,
            author_creator=author_creator,
            created_at=at,
            sent_at=at if status == Message.Status.SENT else None,
            response_seconds=response_seconds,
            first_response=first_response,
            **provider_fields,
        )
        if response_seconds is not None and author_member is not None:
            response_count_add(
                workspace_id=conversation.workspace_id,
                at=at,
                member_id=author_member.id,
                first=first_response,
                seconds=response_seconds,
            )
        _conversation_touch(conversation, message)
        search_index_messages(ids=[message.id])
    return message


def _conversation_touch(conversation: Conversation, message: Message) -> None:
    at = message.created_at
    fields = ["last_activity_at", "preview", "channels"]
    if at >= conversation.last_activity_at:
        conversation.last_activity_at = at
    if message.direction != Message.Direction.EVENT:
        conversation.preview = _preview(message.body_text or message.subject)
    if message.channel not in conversation.channel_list and not message.is_event:
        conversation.channels = ",".join([*conversation.channel_list, message.channel])
    if message.direction == Message.Direction.INBOUND:
        conversation.last_inbound_at = at
        if conversation.awaiting_reply_since is None:
            conversation.awaiting_reply_since = at
        fields += ["last_inbound_at", "awaiting_reply_since"]
    elif message.direction == Message.Direction.OUTBOUND and message.author_member_id:
        conversation.awaiting_reply_since = None
        fields.append("awaiting_reply_since")
    conversation.save(update_fields=fields)

    entries = InboxEntry.objects.filter(conversation=conversation)
    if message.direction == Message.Direction.INBOUND:
        entries.update(unread=True, sort_at=conversation.last_activity_at)
        notify(
            workspace_id=conversation.workspace_id,
            member_ids=list(entries.values_list("member_id", flat=True)),
            kind=Notification.Kind.INBOUND,
            text=_preview(message.body_text or message.subject),
            conversation_id=conversation.id,
            at=at,
        )
    else:
        entries.filter(sort_at__lt=conversation.last_activity_at).update(
            sort_at=conversation.last_activity_at
        )
        if message.author_member_id:
            InboxEntry.objects.filter(
                conversation=conversation, member_id=message.author_member_id
            ).update(unread=False, marked_unread=False, last_read_at=at)


# --- Many at once (mass messages) -------------------------------------------------------
# The same effects as conversation_get_or_create and message_record, for thousands of
# creators in a few statements: a broadcast to 10,000 creators must not be 50,000 queries.

CHUNK = 2000


@dataclass(slots=True)
class Thread:
    """What the bulk writers read and write of a conversation (no model instance per row)."""

    id: int
    creator_id: int
    channels: str

    @property
    def channel_list(self) -> list[str]:
        return [c for c in self.channels.split(",") if c]


@dataclass(slots=True)
class Written:
    """A message the bulk writer wrote: what the records and outbox items made beside it
    read (`provider_message_id` is filled in by the writer's `prepare`)."""

    id: int
    workspace_id: int
    conversation_id: int
    channel: str
    body_text: str
    provider_message_id: str = ""


def conversations_for_creators(
    *, workspace_id: int, creator_ids: list[int], at: datetime
) -> dict[int, Thread]:
    """creator id → their conversation, creating the missing ones (with every member's inbox
    entry). Call inside a transaction."""
    found: dict[int, Thread] = {}
    for first in range(0, len(creator_ids), CHUNK):
        chunk = creator_ids[first : first + CHUNK]
        for conversation_id, creator_id, channels in Conversation.objects.filter(
            workspace_id=workspace_id, creator_id__among=chunk
        ).values_list("id", "creator_id", "channels"):
            found[creator_id] = Thread(conversation_id, creator_id, channels)
    missing = [c for c in creator_ids if c not in found]
    if missing:
        created = Conversation.objects.bulk_create(
            [
                Conversation(workspace_id=workspace_id, creator_id=c, last_activity_at=at)
                for c in missing
            ],
            batch_size=CHUNK,
        )
        member_ids = list(
            Member.objects.filter(workspace_id=workspace_id).values_list("id", flat=True)
        )
        InboxEntry.objects.bulk_create(
            (
                InboxEntry(
                    workspace_id=workspace_id,
                    member_id=member_id,
                    conversation=conversation,
                    creator_id=conversation.creator_id,
                    sort_at=at,
                )
                for conversation in created
                for member_id in member_ids
            ),
            batch_size=CHUNK,
        )
        found.update({c.creator_id: Thread(c.id, c.creator_id, c.channels) for c in created})
    return found


def messages_record_outbound(
    *,
    author: Member,
    conversations: Sequence[Thread],
    bodies: list[str],
    subjects: list[str],
    channel: str,
    status: str,
    campaign_id: int | None,
    at: datetime,
    scheduled_for: datetime | None = None,
    prepare: Callable[[list[Written]], None] | None = None,
) -> list[Written]:
    """One outbound message by `author` in each conversation (bodies[i] and subjects[i] in
    conversations[i]), with the inbox state kept as message_record keeps it: last activity,
    preview, channels, no longer awaiting our reply, the author's entry read, every entry
    sorted at the new activity. `prepare` may fill in more of each message (its
    provider_message_id) once it has its id and before it is written. Call inside a
    transaction."""
    workspace_id = author.workspace_id
    written = [
        Written(message_id, workspace_id, conversation.id, channel, body)
        for message_id, conversation, body in zip(
            ids_reserve(Message, len(conversations)), conversations, bodies, strict=True
        )
    ]
    if prepare is not None:
        prepare(written)
    _messages_insert(
        written,
        subjects=subjects,
        direction=Message.Direction.OUTBOUND,
        status=status,
        campaign_id=campaign_id,
        author_id=author.pk,
        at=at,
        sent_at=at if status == Message.Status.SENT else None,
        scheduled_for=scheduled_for,
    )
    _threads_touch_outbound(author, conversations, bodies, subjects, channel, at)
    return written


def _threads_touch_outbound(
    author: Member,
    conversations: Sequence[Thread],
    bodies: list[str],
    subjects: list[str],
    channel: str,
    at: datetime,
) -> None:
    """The inbox state after an outbound message in each conversation, each row written
    once: the threads' preview and channels, last activity moved on (never back), no longer
    awaiting our reply (SQLite: a statement a row; PostgreSQL: one a chunk, the values as
    JSON arrays); every entry sorted at the new activity (never back), the author's read
    (one statement a chunk)."""
    qn = connection.ops.quote_name
    when = Conversation._meta.get_field("last_activity_at").get_db_prep_save(at, connection)
    previews = [_preview(body or subject) for body, subject in zip(bodies, subjects, strict=True)]
    for conversation in conversations:
        if channel not in conversation.channel_list:
            conversation.channels = ",".join([*conversation.channel_list, channel])
    table = qn(Conversation._meta.db_table)
    entries = qn(InboxEntry._meta.db_table)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for first in range(0, len(conversations), CHUNK):
                chunk = conversations[first : first + CHUNK]
                cursor.execute(
                    f"UPDATE {table} AS c SET preview = v.preview, channels = v.channels, "
                    "awaiting_reply_since = NULL, last_activity_at = GREATEST("
                    "c.last_activity_at, %s) FROM ROWS FROM (json_array_elements_text(%s::json), "
                    "json_array_elements_text(%s::json), json_array_elements_text(%s::json)) "
                    "AS v(id, preview, channels) WHERE c.id = v.id::bigint",
                    [
                        when,
                        json.dumps([c.id for c in chunk]),
                        json.dumps(previews[first : first + CHUNK]),
                        json.dumps([c.channels for c in chunk]),
                    ],
                )
        else:
            cursor.executemany(
                f"UPDATE {table} SET preview = %s, channels = %s, awaiting_reply_since = NULL, "
                "last_activity_at = CASE WHEN last_activity_at < %s THEN %s "
                "ELSE last_activity_at END WHERE id = %s",
                [
                    (preview, c.channels, when, when, c.id)
                    for c, preview in zip(conversations, previews, strict=True)
                ],
            )
        ids = [c.id for c in conversations]
        for first in range(0, len(ids), CHUNK):
            among, values = ids_in("conversation_id", ids[first : first + CHUNK], connection.vendor)
            cursor.execute(
                f"UPDATE {entries} SET "
                "sort_at = CASE WHEN sort_at < %s THEN %s ELSE sort_at END, "
                "unread = CASE WHEN member_id = %s THEN %s ELSE unread END, "
                "marked_unread = CASE WHEN member_id = %s THEN %s ELSE marked_unread END, "
                "last_read_at = CASE WHEN member_id = %s THEN %s ELSE last_read_at END "
                f"WHERE {among}",
                [when, when, author.id, False, author.id, False, author.id, when, *values],
            )


# What the bulk writers set on a message; every other column takes its default.
_BULK_COLUMNS = (
    "id",
    "workspace_id",
    "conversation_id",
    "channel",
    "direction",
    "status",
    "body_text",
    "subject",
    "campaign_id",
    "author_member_id",
    "created_at",
    "sent_at",
    "scheduled_for",
    "provider_message_id",
)


def _messages_insert(
    written: list[Written],
    *,
    subjects: list[str],
    direction: str,
    status: str,
    campaign_id: int | None,
    author_id: int | None,
    at: datetime,
    sent_at: datetime | None = None,
    scheduled_for: datetime | None = None,
    said: list[str] | None = None,
) -> None:
    """Write messages whose ids were reserved (written[i] with subjects[i]; COPY on
    PostgreSQL: a mass message's thousands of rows without an INSERT statement built for
    each), indexed for search. Events: `said[i]`, their words as JSON (Message.event)."""
    rows: Iterable[tuple[object, ...]] = (
        (
            w.id,
            w.workspace_id,
            w.conversation_id,
            w.channel,
            direction,
            status,
            w.body_text,
            subject,
            campaign_id,
            author_id,
            at,
            sent_at,
            scheduled_for,
            w.provider_message_id,
        )
        for w, subject in zip(written, subjects, strict=True)
    )
    columns: Sequence[str] = _BULK_COLUMNS
    if said is not None:
        columns = (*_BULK_COLUMNS, "event")
        rows = ((*row, words) for row, words in zip(rows, said, strict=True))
    ids = [w.id for w in written]
    messages_insert_indexed(columns, rows, index=lambda: search_index_messages(ids=ids))


def conversation_mark_read(*, member: Member, conversation: Conversation) -> None:
    InboxEntry.objects.filter(member=member, conversation=conversation).filter(
        Q(unread=True)
        | Q(last_read_at__isnull=True)
        | Q(last_read_at__lt=conversation.last_activity_at)
    ).update(unread=False, marked_unread=False, last_read_at=timezone.now())


def conversation_mark_unread(
    *, member: Member, conversation: Conversation, message: Message | None = None
) -> Notification:
    """Put the conversation back at the top of the member's inbox and leave a reminder."""
    now = timezone.now()
    with transaction.atomic():
        entry, _created = InboxEntry.objects.get_or_create(
            member=member,
            conversation=conversation,
            defaults={
                "workspace_id": conversation.workspace_id,
                "creator_id": conversation.creator_id,
                "sort_at": now,
            },
        )
        entry.unread = True
        entry.marked_unread = True
        entry.sort_at = now
        if message is not None:
            entry.last_read_at = message.created_at
        entry.save(update_fields=["unread", "marked_unread", "sort_at", "last_read_at"])
        creator_name = Creator.objects.filter(id=conversation.creator_id).values_list(
            "name", flat=True
        )[0]
        # A reminder the member asked for themselves: always in the app (their preferences
        # may add an email).
        words = said(gettext_noop("Marked as unread: %(name)s"), name=creator_name)
        reminder = Notification.objects.create(
            workspace_id=conversation.workspace_id,
            member=member,
            kind=Notification.Kind.REMINDER,
            conversation=conversation,
            text=notification_fit(str(words)),
            said=words.stored(),
            created_at=now,
        )
        if notification_wants_email(member_ids=[member.id], kind=Notification.Kind.REMINDER):
            _email_on_commit([member.id], reminder.text, conversation.id, reminder.said)
        return reminder


def conversation_assign(
    *, actor: Member, conversation: Conversation, assignee: Member | None
) -> Conversation:
    if assignee is not None and assignee.workspace_id != conversation.workspace_id:
        raise ValidationFailed({"assignee": [_("Not a member of this workspace.")]})
    with transaction.atomic():
        conversation.assignee = assignee
        conversation.save(update_fields=["assignee"])
        if assignee is not None and assignee.pk != actor.pk:
            notify(
                workspace_id=conversation.workspace_id,
                member_ids=[assignee.pk],
                kind=Notification.Kind.ASSIGNED,
                text=said(
                    gettext_noop("%(actor)s assigned a conversation to you"), actor=str(actor)
                ),
                conversation_id=conversation.id,
            )
    return conversation


# --- Notifications, as each member wants them --------------------------------------------

# Without a preference row: (in the app, by email). A mention is the one kind that also
# emails by default: someone asked for this member by name.
NOTIFY_DEFAULTS: dict[str, tuple[bool, bool]] = {
    kind: (True, kind == Notification.Kind.MENTION) for kind in Notification.Kind.values
}


def _preferences(member_ids: list[int], kind: str) -> dict[int, tuple[bool, bool]]:
    default = NOTIFY_DEFAULTS.get(kind, (True, False))
    chosen = {
        member_id: (in_app, email)
        for member_id, in_app, email in NotificationPreference.objects.filter(
            member_id__in=member_ids, kind=kind
        ).values_list("member_id", "in_app", "email")
    }
    return {member_id: chosen.get(member_id, default) for member_id in member_ids}


def notification_wants_email(*, member_ids: list[int], kind: str) -> list[int]:
    """Those of the members who want this kind by email."""
    return [m for m, (_in_app, email) in _preferences(member_ids, kind).items() if email]


def notify(
    *,
    workspace_id: int,
    member_ids: Iterable[int],
    kind: str,
    text: str | Said,
    conversation_id: int | None = None,
    at: datetime | None = None,
) -> list[Notification]:
    """Tell members of one event, each as their preferences say: a notification in the app,
    an email (sent by the worker once the transaction commits), both, or neither. One query
    for the preferences whatever the number of members. Words as said (a Said) are shown to
    each member in their language; a plain `text` (a new message's preview) as it is."""
    ids = list(dict.fromkeys(member_ids))
    if not ids:
        return []
    said = text.stored() if isinstance(text, Said) else None
    written = notification_fit(str(text))
    wanted = _preferences(ids, kind)
    created = Notification.objects.bulk_create(
        Notification(
            workspace_id=workspace_id,
            member_id=member_id,
            kind=kind,
            conversation_id=conversation_id,
            text=written,
            said=said,
            created_at=at or timezone.now(),
        )
        for member_id in ids
        if wanted[member_id][0]
    )
    by_email = [m for m in ids if wanted[m][1]]
    if by_email:
        _email_on_commit(by_email, written, conversation_id, said)
    return created


def _email_on_commit(
    member_ids: list[int], text: str, conversation_id: int | None, said: dict[str, Any] | None
) -> None:
    def enqueue() -> None:
        from parley.inbox.tasks import notification_email_task

        for member_id in member_ids:
            notification_email_task.enqueue(member_id, text, conversation_id, said)

    transaction.on_commit(enqueue)


def notification_email_send(
    *,
    member_id: int,
    text: str,
    conversation_id: int | None,
    said: dict[str, Any] | None = None,
) -> bool:
    """The email of one notification to a member (Django's mail, as the password reset
    mails), in the member's language: the text (`said`'s words, when given, else `text` as
    written) and a link to the conversation. False when the member is gone."""
    member = Member.objects.select_related("user", "workspace").filter(id=member_id).first()
    if member is None or not member.user.is_active or not member.user.email:
        return False
    with translation.override(member.user.language or settings.LANGUAGE_CODE):
        shown = notification_shown(text, said)
        lines = [shown]
        if conversation_id is not None:
            lines += [
                "",
                settings.PARLEY_PUBLIC_URL + reverse("inbox:conversation", args=[conversation_id]),
            ]
        lines += [
            "",
            _("You get this email because of your notification settings in %(workspace)s.")
            % {"workspace": member.workspace.name},
        ]
        subject = _("Parley: %(text)s") % {"text": shown}
    send_mail(
        subject=" ".join(subject.split())[:200],
        message="\n".join(lines),
        from_email=None,
        recipient_list=[member.user.email],
    )
    return True


def notification_preferences_update(
    *, member: Member, changes: dict[str, tuple[bool, bool]]
) -> None:
    """Set how the member hears of each kind given: kind → (in the app, by email)."""
    unknown = sorted(set(changes) - set(Notification.Kind.values))
    if unknown:
        raise ValidationFailed(
            {"kind": [_("Unknown kind of notification: %(kind)s.") % {"kind": unknown[0][:40]}]}
        )
    with transaction.atomic():
        for kind, (in_app, email) in changes.items():
            NotificationPreference.objects.update_or_create(
                member=member, kind=kind, defaults={"in_app": bool(in_app), "email": bool(email)}
            )


def notifications_mark_read(*, member: Member) -> int:
    return Notification.objects.filter(member=member, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def message_mark_failed(*, message: Message, reason: str, notification: str | Said = "") -> None:
    """An outbound message that turned out not to be delivered (a bounce after it was sent):
    failed, with the reason shown in the thread; its author is notified with
    `notification` (cut to fit)."""
    with transaction.atomic():
        message.status = Message.Status.FAILED
        message.status_reason = reason
        message.save(update_fields=["status", "status_reason"])
        if notification and message.author_member_id is not None:
            notify(
                workspace_id=message.workspace_id,
                member_ids=[message.author_member_id],
                kind=Notification.Kind.SEND_FAILED,
                text=notification,
                conversation_id=message.conversation_id,
            )


def message_note_status(*, message: Message, reason: str) -> None:
    """A note on a message's delivery that changes nothing else ("Delivery delayed: …")."""
    message.status_reason = reason
    message.save(update_fields=["status_reason"])


def events_record_many(
    *,
    workspace_id: int,
    bodies: dict[int, Said],
    campaign_id: int | None,
    author: Member | None,
    at: datetime | None = None,
    conversations: dict[int, Thread] | None = None,
) -> list[Written]:
    """A system event (channel and direction "event") in each creator's thread, for many
    creators in a few statements: `bodies` maps creator id → the event's words. Missing
    conversations are made. The conversations' last activity and the entries' sort key move
    up as message_record moves them for one event (an event is no preview and no channel).
    `conversations`: creator id → conversation, when the caller has them already (the
    mass-message writer, posting an event beside each message). Call inside a transaction."""
    from parley.inbox.models import Channel

    at = at or timezone.now()
    creator_ids = list(bodies)
    if conversations is None:
        conversations = conversations_for_creators(
            workspace_id=workspace_id, creator_ids=creator_ids, at=at
        )
    # Many creators often get the same words (an invitation's event): each said once.
    words = {b: (str(b), json.dumps(b.stored())) for b in set(bodies.values())}
    said = [words[b] for b in bodies.values()]
    events = [
        Written(message_id, workspace_id, conversations[creator_id].id, Channel.EVENT, text)
        for message_id, creator_id, (text, _json) in zip(
            ids_reserve(Message, len(bodies)), bodies, said, strict=True
        )
    ]
    _messages_insert(
        events,
        said=[stored for _text, stored in said],
        subjects=[""] * len(events),
        direction=Message.Direction.EVENT,
        status=Message.Status.DELIVERED,
        campaign_id=campaign_id,
        author_id=author.pk if author is not None else None,
        at=at,
    )
    ids = [conversations[c].id for c in creator_ids]
    for first in range(0, len(ids), CHUNK):
        chunk = ids[first : first + CHUNK]
        Conversation.objects.filter(id__among=chunk, last_activity_at__lt=at).update(
            last_activity_at=at
        )
        InboxEntry.objects.filter(conversation_id__among=chunk, sort_at__lt=at).update(sort_at=at)
    return events
