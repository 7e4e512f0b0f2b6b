from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "parley.reports"
    label = "reports"
