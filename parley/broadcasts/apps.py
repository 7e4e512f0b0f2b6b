from django.apps import AppConfig


class BroadcastsConfig(AppConfig):
    name = "parley.broadcasts"
    label = "broadcasts"

    def ready(self) -> None:
        # The campaign actions' personal fields (coupon code, tracking link) and the
        # agreement renderer that uses them.
        from parley.broadcasts import campaign_fields  # noqa: F401
