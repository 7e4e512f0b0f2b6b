from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "parley.outbox"
    label = "outbox"
