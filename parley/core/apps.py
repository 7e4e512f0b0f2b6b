from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "parley.core"
    label = "core"

    def ready(self) -> None:
        from parley.core import lookups  # noqa: F401  (registers __among)
