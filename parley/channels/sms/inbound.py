"""What Twilio's webhooks bring, once their signature is checked (views.py): an inbound SMS or
MMS stored in the creator's thread, and status callbacks applied to the messages sent.

- An inbound SMS finds its creator by phone number (one index lookup); an unknown number
  becomes a new creator, marked as come from SMS (the identity's source) and unassigned,
  rather than being dropped.
- Twilio's MessageSid is unique (SmsRecord): the same webhook delivered twice is stored once,
  even when both deliveries arrive at the same moment.
- STOP, STOPALL, UNSUBSCRIBE, CANCEL, END or QUIT opts the number out; START, UNSTOP or YES
  opts it back in (keywords.py). The message itself is kept, and an event says what happened.
- MMS media are fetched from Twilio after the message is stored, by a task (never inside
  the webhook), and kept as the message's attachments under safe names.
- A status callback moves the message on (queued → sent → delivered, or undelivered / failed
  with Twilio's error code and what it means), never back: callbacks can arrive late, out of
  order or twice.
"""

import logging
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from parley.accounts.models import Workspace
from parley.channels.sms import twilio_api
from parley.channels.sms.health import number_mark_error, opt_out_set
from parley.channels.sms.keywords import keyword_of, opts_in, opts_out
from parley.channels.sms.models import SmsMedia, SmsNumber, SmsRecord, TwilioAccount
from parley.channels.sms.segments import sms_segments
from parley.channels.sms.selectors import (
    number_for_inbound,
    phone_identity,
    record_by_sid,
    record_outbound,
)
from parley.channels.sms.services import account_login
from parley.channels.sms.twilio_errors import OPTED_OUT, error_text
from parley.core.errors import Conflict
from parley.core.files import filename_display, filename_safe
from parley.creators.models import Creator, Identity
from parley.creators.services import creator_create, identity_add
from parley.inbox.events import said
from parley.inbox.models import Attachment, Channel, Message
from parley.inbox.services import (
    conversation_get_or_create,
    message_mark_failed,
    message_record,
)

logger = logging.getLogger(__name__)

MAX_BODY = 5_000  # Twilio's inbound bodies are at most 1,600 characters
MAX_MEDIA = 10  # Twilio's own limit of media per MMS


def phone_e164(raw: str) -> str:
    """A sender's number in E.164 when it is one (Twilio sends E.164), else the text as
    given, trimmed (an alphanumeric sender ID or a short code)."""
    text = "".join(raw.split())[:40]
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_possible_number(number):
        return text
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _shown_number(e164: str) -> str:
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except phonenumbers.NumberParseException:
        return e164


def _creator_for(workspace: Workspace, phone: str) -> Creator:
    """The creator with this phone number, or a new one marked as come from SMS."""
    identity = phone_identity(workspace_id=workspace.id, phone=phone)
    if identity is not None:
        return identity.creator
    try:
        with transaction.atomic():
            creator = creator_create(
                workspace=workspace,
                name=_shown_number(phone),
                preferred_channel=Creator.Channel.SMS,
            )
            # A name that is a number has no first name to greet by.
            Creator.objects.filter(id=creator.id).update(first_name="")
            creator.first_name = ""
            if phone.startswith("+"):
                identity_add(
                    creator=creator,
                    kind=Identity.Kind.PHONE,
                    value=phone,
                    source=Identity.Source.SMS,
                )
            else:  # a sender ID that is no number: kept as it is, found by it next time
                Identity.objects.create(
                    workspace_id=workspace.id,
                    creator=creator,
                    kind=Identity.Kind.PHONE,
                    value=phone,
                    normalized=phone,
                    is_primary=True,
                    source=Identity.Source.SMS,
                )
            return creator
    except (IntegrityError, Conflict):  # made by a concurrent webhook a moment ago
        identity = phone_identity(workspace_id=workspace.id, phone=phone)
        if identity is None:
            raise
        return identity.creator


@dataclass(frozen=True)
class Inbound:
    message: Message
    # False when the webhook was a repeat of one stored already.
    created: bool


def sms_inbound(*, account: TwilioAccount, params: Mapping[str, str]) -> Inbound:
    """Store an inbound SMS or MMS (its signature was checked by the caller)."""
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    workspace_id = account.workspace_id
    stored = record_by_sid(workspace_id=workspace_id, sid=sid)
    if stored is not None:
        return Inbound(stored.message, created=False)
    phone = phone_e164(params.get("From", ""))
    to = phone_e164(params.get("To", ""))
    body = params.get("Body", "").replace("\x00", "")[:MAX_BODY]
    number = number_for_inbound(
        account=account, to=to, service_sid=params.get("MessagingServiceSid", "")
    )
    creator = _creator_for(account.workspace, phone)
    conversation = conversation_get_or_create(creator=creator)
    media = _media_params(params)
    count = sms_segments(body)
    keyword = keyword_of(body)
    now = timezone.now()
    try:
        with transaction.atomic():
            message = message_record(
                conversation=conversation,
                channel=Channel.SMS,
                direction=Message.Direction.INBOUND,
                status=Message.Status.RECEIVED,
                body_text=body,
                author_creator=creator,
                created_at=now,
                provider_sid=sid[:64],
            )
            # Unique on the sid: a second delivery of this webhook, racing this one, fails
            # here and rolls its message back.
            record = SmsRecord.objects.create(
                workspace_id=workspace_id,
                message=message,
                number=number,
                direction=SmsRecord.Direction.INBOUND,
                message_sid=sid[:34],
                from_number=phone,
                to_number=to,
                encoding=count.encoding,
                segments=int(params.get("NumSegments") or 0)
                if _digits(params, "NumSegments")
                else count.segments,
                num_media=len(media),
                status="received",
                status_rank=_RANK["received"],
                created_at=now,
                status_at=now,
            )
            if media:
                SmsMedia.objects.bulk_create(
                    SmsMedia(record=record, index=i, url=url[:500], content_type=kind[:120])
                    for i, (url, kind) in enumerate(media)
                )
                transaction.on_commit(lambda: _enqueue_media(record.id))
            if number is not None:
                SmsNumber.objects.filter(id=number.id).update(last_inbound_at=now)
            if keyword and (opts_out(keyword) or opts_in(keyword)):
                _keyword_apply(message, phone, keyword, now)
    except IntegrityError:
        stored = record_by_sid(workspace_id=workspace_id, sid=sid)
        if stored is None:
            raise
        return Inbound(stored.message, created=False)
    return Inbound(message, created=True)


def _digits(params: Mapping[str, str], name: str, most: int = 6) -> bool:
    value = params.get(name, "")
    return value.isascii() and value.isdigit() and len(value) <= most


def _media_params(params: Mapping[str, str]) -> list[tuple[str, str]]:
    count = int(params["NumMedia"]) if _digits(params, "NumMedia") else 0
    found = []
    for i in range(min(count, MAX_MEDIA)):
        url = params.get(f"MediaUrl{i}", "")
        if url:
            found.append((url, params.get(f"MediaContentType{i}", "")))
    return found


def _keyword_apply(message: Message, phone: str, keyword: str, at) -> None:  # type: ignore[no-untyped-def]
    out = opts_out(keyword)
    opt_out_set(
        workspace_id=message.workspace_id, phone=phone, opted_out=out, keyword=keyword, at=at
    )
    text = (
        said(
            gettext_noop(
                "Opted out of SMS by replying %(word)s: no SMS goes to %(phone)s until they "
                "reply START."
            ),
            word=keyword,
            phone=phone,
        )
        if out
        else said(gettext_noop("Opted back in to SMS by replying %(word)s."), word=keyword)
    )
    message_record(
        conversation=message.conversation,
        channel=Channel.EVENT,
        direction=Message.Direction.EVENT,
        status=Message.Status.DELIVERED,
        event=text,
        created_at=at,
    )


# --- Media ----------------------------------------------------------------------------------


def _enqueue_media(record_id: int) -> None:
    from parley.channels.sms.tasks import sms_media_fetch_task

    sms_media_fetch_task.enqueue(record_id)


MEDIA_ATTEMPTS = 3


def sms_media_fetch(*, record_id: int) -> int:
    """Fetch the pending media of one inbound MMS and keep them as the message's
    attachments; how many were stored. Idempotent: a stored file is not fetched again."""
    record = SmsRecord.objects.select_related("message").filter(id=record_id).first()
    if record is None:
        return 0
    account = TwilioAccount.objects.filter(workspace_id=record.workspace_id, is_active=True).first()
    pending = list(
        SmsMedia.objects.filter(record=record, state=SmsMedia.State.PENDING).order_by("index")
    )
    if account is None or not pending:
        return 0
    username, password = account_login(account)
    limit = int(getattr(settings, "PARLEY_SMS_MEDIA_MAX_BYTES", 5_000_000))
    stored = 0
    for item in pending:
        try:
            data, content_type = twilio_api.media_fetch(
                url=item.url, username=username, password=password, max_bytes=limit
            )
        except twilio_api.MediaRefused as exc:
            SmsMedia.objects.filter(id=item.id).update(
                state=SmsMedia.State.FAILED, error=str(exc)[:300]
            )
            continue
        except (twilio_api.TwilioFailed, twilio_api.TwilioUnreachable) as exc:
            attempts = item.attempts + 1
            SmsMedia.objects.filter(id=item.id).update(
                attempts=attempts,
                error=str(exc)[:300],
                state=SmsMedia.State.FAILED if attempts >= MEDIA_ATTEMPTS else item.state,
            )
            continue
        content_type = content_type or item.content_type or "application/octet-stream"
        extension = mimetypes.guess_extension(content_type) or ""
        name = f"mms-{record.message_id}-{item.index + 1}{extension}"
        with transaction.atomic():
            attachment = Attachment(
                message=record.message,
                filename=filename_display(name),
                content_type=content_type[:120],
                size=len(data),
            )
            attachment.file.save(filename_safe(name), ContentFile(data), save=False)
            attachment.save()
            SmsMedia.objects.filter(id=item.id).update(state=SmsMedia.State.DONE, error="")
        stored += 1
    return stored


def sms_media_fetch_pending(limit: int = 50) -> int:
    """Periodic: media whose task was lost (a worker died, a queue was emptied) or that
    failed for now are fetched again (at most MEDIA_ATTEMPTS tries each)."""
    ids = list(
        SmsMedia.objects.filter(state=SmsMedia.State.PENDING)
        .values_list("record_id", flat=True)
        .distinct()[:limit]
    )
    for record_id in ids:
        sms_media_fetch(record_id=record_id)
    return len(ids)


# --- Status callbacks ------------------------------------------------------------------------

# Twilio's statuses in the order they happen; a callback never moves a message back.
_RANK = {
    "accepted": 1,
    "scheduled": 1,
    "queued": 2,
    "sending": 3,
    "sent": 4,
    "receiving": 4,
    "received": 5,
    "delivered": 6,
    "undelivered": 6,
    "failed": 6,
    "canceled": 6,
    "read": 7,
}


def sms_status(
    *, account: TwilioAccount, params: Mapping[str, str], message_id: int | None = None
) -> SmsRecord | None:
    """Apply a status callback. `message_id`: the message its URL names (status_callback_url),
    which finds it when Twilio's id was never noted (the worker died after Twilio took it)."""
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    status = (params.get("MessageStatus") or params.get("SmsStatus") or "").strip().lower()
    if status not in _RANK or not sid:
        return None
    workspace_id = account.workspace_id
    record = record_by_sid(workspace_id=workspace_id, sid=sid)
    if record is None and message_id is not None:
        record = record_outbound(workspace_id=workspace_id, message_id=message_id)
        if record is not None and record.message_sid and record.message_sid != sid:
            return None  # the message is known by another id: not this one's report
    if record is None or record.direction != SmsRecord.Direction.OUTBOUND:
        return None
    code = int(params["ErrorCode"]) if _digits(params, "ErrorCode") else None
    code = code or None  # "0": no error
    rank = _RANK[status]
    if rank <= record.status_rank:
        return record  # late, out of order or repeated: what is recorded stands
    now = timezone.now()
    with transaction.atomic():
        record.message_sid = record.message_sid or sid[:34]
        record.status, record.status_rank, record.status_at = status, rank, now
        record.error_code = code if code is not None else record.error_code
        record.save(
            update_fields=["message_sid", "status", "status_rank", "status_at", "error_code"]
        )
        _message_follow(record, status, code)
    return record


def _message_follow(record: SmsRecord, status: str, code: int | None) -> None:
    """Bring the thread's message up to the status Twilio reported."""
    message = Message.objects.select_for_update().get(id=record.message_id)
    if not message.provider_sid:
        message.provider_sid = record.message_sid
    if status in ("accepted", "scheduled", "queued", "sending"):
        if message.status == Message.Status.SENT:
            message.status_reason = _("At Twilio: %(status)s") % {"status": status}
        message.save(update_fields=["provider_sid", "status_reason"])
        return
    if status in ("undelivered", "failed", "canceled"):
        words = said(
            {
                "undelivered": gettext_noop("Undelivered"),
                "failed": gettext_noop("Failed"),
                "canceled": gettext_noop("Cancelled at Twilio"),
            }[status]
        )
        why = (
            said("%(words)s: %(error)s", words=words, error=error_text(code))
            if code is not None
            else words
        )
        reason = str(why)
        message.save(update_fields=["provider_sid"])
        message_mark_failed(
            message=message,
            reason=reason,
            notification=said(
                gettext_noop("SMS not delivered to %(to)s: %(reason)s"),
                to=record.to_number,
                reason=why,
            ),
        )
        if record.number_id:
            number_mark_error(number_id=record.number_id, error=reason)
        if code == OPTED_OUT:
            opt_out_set(
                workspace_id=record.workspace_id,
                phone=record.to_number,
                opted_out=True,
                keyword=str(OPTED_OUT),
            )
        return
    message.status = {
        "sent": Message.Status.SENT,
        "delivered": Message.Status.DELIVERED,
        "read": Message.Status.READ,
    }.get(status, message.status)
    message.status_reason = ""
    message.sent_at = message.sent_at or timezone.now()
    message.save(update_fields=["provider_sid", "status", "status_reason", "sent_at"])
