from django.apps import AppConfig


class CreatorsConfig(AppConfig):
    name = "parley.creators"
    label = "creators"
