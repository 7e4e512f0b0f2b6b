"""The one small interface every channel implements. The inbox knows no channel details.

Every channel sends one message (`send`). A channel whose messages pass the outbox may add,
for the dispatcher:
- `sender_policy(sender_key)`: the sender's daily limit and time zone, and the least time
  between two of its sends (a per-second rate), or None;
- `open_batch(sender_key)`: a `BatchSender` that keeps one connection for many messages;
- `verify(message)`: after a worker died mid-send, whether the provider has the message;
- `sender_ready(message)`: False while the sender needs a person (re-authorisation).
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from parley.inbox.models import Message


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    provider_id: str = ""
    error: str = ""
    # A temporary failure (server busy, network down): the outbox tries again later.
    retry: bool = False
    # The provider refuses more from this sender today (a daily quota, throttling): the
    # sender is paused until its next day; nothing is failed, the queue is kept.
    pause: bool = False
    # A note shown beside a sent message until the provider says more ("At Twilio: queued").
    note: str = ""


@dataclass(frozen=True)
class SenderPolicy:
    daily_limit: int | None
    # The IANA zone whose calendar days the limit counts.
    time_zone: str
    # The sender as people know it: "max@brand.example".
    label: str
    # The least time, in seconds, between two sends of this sender, across every worker:
    # a rate of N a second is 1/N (an SMS number's throughput). 0: as fast as it goes.
    min_interval: float = 0.0


class Verdict(StrEnum):
    SENT = "sent"
    NOT_SENT = "not_sent"
    UNKNOWN = "unknown"


class ChannelAdapter(Protocol):
    name: str
    # True when sending is instant and local (nothing to queue).
    immediate: bool

    def send(self, message: Message) -> DeliveryResult: ...


class BatchSender(Protocol):
    """Sends many messages of one sender over one connection, then closes it.

    A batch of a paced sender (`SenderPolicy.min_interval`) may have a `wait_turn`
    attribute: the dispatcher sets it to a callable that waits for the sender's next turn
    and takes it, and the batch calls it right before it hands a message to the provider.
    Without it the dispatcher waits before calling `send`."""

    def send(self, message: Message) -> DeliveryResult: ...

    def close(self) -> None: ...
