from django.apps import AppConfig


class SmsConfig(AppConfig):
    name = "parley.channels.sms"
    label = "sms"
    verbose_name = "SMS"

    def ready(self) -> None:
        from parley.channels.registry import channel_register
        from parley.channels.sms.adapter import SmsChannel

        channel_register(SmsChannel())
