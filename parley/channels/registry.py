"""Which adapter serves which channel. Channel apps register theirs in AppConfig.ready()."""

from django.utils.translation import gettext as _

from parley.channels.base import ChannelAdapter
from parley.channels.inapp.adapter import InAppChannel
from parley.core.errors import ValidationFailed

_ADAPTERS: dict[str, ChannelAdapter] = {InAppChannel.name: InAppChannel()}


def channel_register(adapter: ChannelAdapter) -> None:
    _ADAPTERS[adapter.name] = adapter


def channel_adapter(name: str) -> ChannelAdapter:
    adapter = _ADAPTERS.get(name)
    if adapter is None:
        raise ValidationFailed({"channel": [_("This channel is not connected.")]})
    return adapter


def available_channels() -> list[str]:
    return list(_ADAPTERS)
