from django.apps import AppConfig


class OpsConfig(AppConfig):
    """The command line: run, worker, demo, createuser, token. Top layer, like views."""

    name = "parley.ops"
    label = "ops"
