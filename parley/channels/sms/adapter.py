"""The SMS channel's sender: one message through Twilio's Messages API, from its number.

Registered with immediate=False: every SMS goes through the outbox. The number, the
recipient's phone and the segment count were fixed when the message was queued (an
SmsRecord without a MessageSid); the sender reads them back.

For the outbox the channel also gives:
- `sender_policy`: no daily limit, and the number's rate as the least time between two
  sends (`min_interval`: 1 / messages a second, 2% wider), which dispatch keeps across
  workers;
- `open_batch`: one Twilio client (one HTTP connection) for many messages of one number;
- `sender_ready`: False while Twilio refuses the account's login (the queue waits);
- `verify`: after a worker died mid-send, whether Twilio took the message (its id was noted,
  or a status callback naming the message came in); else the outcome is unknown and a person
  decides, since Twilio has no idempotency key to ask by.

A number that opted out is refused here too, before Twilio, in case the STOP came in after
the message was queued; Twilio's own 21610 marks it opted out.
"""

import logging
from collections.abc import Callable

from django.utils import timezone
from django.utils.translation import gettext as _
from twilio.rest import Client

from parley.channels.base import DeliveryResult, SenderPolicy, Verdict
from parley.channels.sms import twilio_api
from parley.channels.sms.health import account_mark_reauth, number_mark_error, opt_out_set
from parley.channels.sms.models import SmsNumber, SmsRecord
from parley.channels.sms.selectors import opted_out, record_of
from parley.channels.sms.services import account_client, status_callback_url
from parley.channels.sms.twilio_errors import (
    AUTHENTICATION,
    OPTED_OUT,
    TOO_MANY_REQUESTS,
    error_text,
)
from parley.inbox.models import Channel, Message

logger = logging.getLogger(__name__)

SENDER_PREFIX = "sms:"
# Twilio counts a number's throughput as messages reach it. Sends are spaced this much wider
# than the rate, so that the network's jitter (one send a few milliseconds slower on its
# way than the next) never lets one second at Twilio hold a message more than the rate.
PACE_MARGIN = 1.02


def _number_of(sender_key: str) -> SmsNumber | None:
    rest = sender_key[len(SENDER_PREFIX) :] if sender_key.startswith(SENDER_PREFIX) else ""
    if not rest.isdigit():
        return None
    return SmsNumber.objects.select_related("account", "workspace").filter(id=int(rest)).first()


def opted_out_text(phone: str) -> str:
    return _(
        "%(phone)s has opted out of SMS (replied STOP): nothing is sent until they reply START."
    ) % {"phone": phone}


class SmsBatch:
    """Messages of one number over one Twilio client, made at the first send."""

    def __init__(self, number: SmsNumber):
        self.number = number
        self.client: Client | None = None
        # Set by the outbox: waits for the number's turn under its rate (BatchSender).
        self.wait_turn: Callable[[], None] | None = None

    def send(self, message: Message) -> DeliveryResult:
        record = record_of(message=message)
        if record is None or record.number_id != self.number.id:
            return DeliveryResult(ok=False, error=_("No SMS number was chosen for this message."))
        number, account = self.number, self.number.account
        if not number.is_active or not account.is_active:
            return DeliveryResult(ok=False, error=_("The SMS number was disconnected."))
        if opted_out(workspace_id=record.workspace_id, phone=record.to_number) is not None:
            return DeliveryResult(ok=False, error=opted_out_text(record.to_number))
        if self.client is None:
            self.client = account_client(account)
            # The library builds (and imports) its Messages API on first use: before the
            # turn is taken, so that the first send is no later after its turn than the rest.
            _messages = self.client.messages
        if self.wait_turn is not None:
            self.wait_turn()
        try:
            created = twilio_api.message_create(
                self.client,
                to=record.to_number,
                body=message.body_text,
                from_number=number.phone_number if number.kind == SmsNumber.Kind.NUMBER else "",
                service_sid=number.twilio_sid if number.kind == SmsNumber.Kind.SERVICE else "",
                status_callback=status_callback_url(account, message.id),
            )
        except twilio_api.TwilioFailed as exc:
            return self._failed(record, exc)
        except twilio_api.TwilioUnreachable as exc:
            if exc.maybe_sent:
                # Sending again could send it twice. Its status callback names the message,
                # so if Twilio did take it, the thread shows it when Twilio reports.
                error = _(
                    "Twilio did not answer in time: the SMS may have gone out. Its status "
                    "shows here if Twilio took it; retry only if it does not."
                )
                number_mark_error(number_id=number.id, error=error)
                return DeliveryResult(ok=False, error=error)
            number_mark_error(number_id=number.id, error=str(exc))
            return DeliveryResult(ok=False, retry=True, error=str(exc))
        now = timezone.now()
        SmsRecord.objects.filter(id=record.id).update(
            message_sid=created.sid[:34],
            status=created.status[:12] or "queued",
            status_rank=2,
            segments=created.segments or record.segments,
            status_at=now,
        )
        SmsNumber.objects.filter(id=number.id).update(last_sent_at=now)
        return DeliveryResult(
            ok=True,
            provider_id=created.sid,
            note=_("At Twilio: %(status)s") % {"status": created.status or "queued"},
        )

    def _failed(self, record: SmsRecord, exc: twilio_api.TwilioFailed) -> DeliveryResult:
        error = error_text(exc.code, exc.message)
        SmsRecord.objects.filter(id=record.id).update(
            error_code=exc.code, status="failed", status_at=timezone.now()
        )
        if exc.code == OPTED_OUT:
            opt_out_set(
                workspace_id=record.workspace_id,
                phone=record.to_number,
                opted_out=True,
                keyword=str(OPTED_OUT),
            )
            return DeliveryResult(ok=False, error=error)
        if exc.status == 401 or exc.code == AUTHENTICATION:
            account_mark_reauth(account=self.number.account, reason=error)
            return DeliveryResult(ok=False, retry=True, error=error)
        number_mark_error(number_id=self.number.id, error=error)
        if exc.status == 429 or exc.code == TOO_MANY_REQUESTS or exc.status >= 500:
            return DeliveryResult(ok=False, retry=True, error=error)
        return DeliveryResult(ok=False, error=error)

    def close(self) -> None:
        self.client = None


class SmsChannel:
    name: str = Channel.SMS.value
    immediate = False

    def sender_ready(self, message: Message) -> bool:
        record = record_of(message=message)
        if record is None or record.number is None:
            return True
        return not record.number.account.needs_reauth

    def sender_policy(self, sender_key: str) -> SenderPolicy | None:
        number = _number_of(sender_key)
        if number is None:
            return None
        rate = max(number.per_second, 0.001)
        return SenderPolicy(
            daily_limit=None,
            time_zone=number.workspace.time_zone,
            label=number.label,
            min_interval=PACE_MARGIN / rate,
        )

    def open_batch(self, sender_key: str) -> SmsBatch:
        number = _number_of(sender_key)
        if number is None:
            raise ValueError(sender_key)
        return SmsBatch(number)

    def send(self, message: Message) -> DeliveryResult:
        record = record_of(message=message)
        if record is None or record.number is None:
            return DeliveryResult(ok=False, error=_("No SMS number was chosen for this message."))
        return SmsBatch(record.number).send(message)

    @property
    def unknown_reason(self) -> str:
        return _(
            "Outcome unknown: sending was interrupted before Twilio answered. If Twilio took "
            "the SMS its status shows here when Twilio reports it; else Retry, or Mark as sent."
        )

    def verify(self, message: Message) -> Verdict:
        record = record_of(message=message)
        if record is not None and record.message_sid:
            return Verdict.SENT
        return Verdict.UNKNOWN
