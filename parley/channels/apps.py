from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "parley.channels"
    label = "channels"
