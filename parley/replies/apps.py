from django.apps import AppConfig


class RepliesConfig(AppConfig):
    name = "parley.replies"
    label = "replies"
