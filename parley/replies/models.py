from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from parley.core.models import TimeStamped


class SavedReply(TimeStamped):
    """A workspace's reply template: a name to find it by (the picker, or `/name` in the
    message box), a text with personal fields ({{ first_name }}, …, the mass email's), and
    a subject used when the reply goes by email."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="saved_replies"
    )
    name = models.CharField(_("name"), max_length=80)
    subject = models.CharField(_("subject"), max_length=900, blank=True)
    body = models.TextField(_("text"))
    created_by = models.ForeignKey(
        "accounts.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint("workspace", Lower("name"), name="saved_reply_unique_name")
        ]

    def __str__(self) -> str:
        return self.name
