from django.apps import AppConfig


class EmailConfig(AppConfig):
    name = "parley.channels.email"
    label = "email"
    verbose_name = "Email"

    def ready(self) -> None:
        from parley.channels.email.adapter import EmailChannel
        from parley.channels.registry import channel_register

        channel_register(EmailChannel())
