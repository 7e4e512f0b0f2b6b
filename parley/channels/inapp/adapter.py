"""The in-app channel: the creator reads the message in the creator portal."""

from parley.channels.base import DeliveryResult
from parley.inbox.models import Channel, Message


class InAppChannel:
    name: str = Channel.INAPP
    immediate = True

    def send(self, message: Message) -> DeliveryResult:
        # Delivery is the stored row itself: the portal reads it from the thread.
        return DeliveryResult(ok=True, provider_id=f"inapp-{message.pk}")
