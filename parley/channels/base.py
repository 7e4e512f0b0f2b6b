"""The one small interface every channel implements. The inbox knows no channel details."""

from dataclasses import dataclass
from typing import Protocol

from parley.inbox.models import Message


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    provider_id: str = ""
    error: str = ""
    # A temporary failure (server busy, network down): the outbox tries again later.
    retry: bool = False


class ChannelAdapter(Protocol):
    name: str
    # True when sending is instant and local (nothing to queue).
    immediate: bool

    def send(self, message: Message) -> DeliveryResult: ...
