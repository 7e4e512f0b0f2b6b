"""Edit a message that waits to go out: its text (an email's subject too) and its time."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from parley.accounts.models import Member
from parley.core.errors import ValidationFailed
from parley.core.views import apply_errors, member_view
from parley.inbox.models import Channel
from parley.inbox.selectors import conversation_get, message_get
from parley.outbox.services import MAX_BODY, MAX_SUBJECT, outbox_reschedule


class ScheduledMessageForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=MAX_SUBJECT, required=False)
    body = forms.CharField(
        label=_("Message"), max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 8})
    )
    send_at = forms.DateTimeField(
        label=_("Send at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave it empty to send as soon as the sender has room."),
        error_messages={"invalid": _("Enter a date and time, e.g. 2026-12-24 09:30.")},
    )


@member_view
@require_http_methods(["GET", "POST"])
def scheduled_edit(
    request: HttpRequest, member: Member, conversation_id: int, message_id: int
) -> HttpResponse:
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    message = message_get(conversation=conversation, id=message_id)
    back = reverse("inbox:conversation", args=[conversation.id])
    initial = {
        "subject": message.subject,
        "body": message.body_text,
        "send_at": timezone.localtime(message.scheduled_for) if message.scheduled_for else None,
    }
    form = ScheduledMessageForm(request.POST if request.method == "POST" else None, initial=initial)
    if message.channel != Channel.EMAIL:
        del form.fields["subject"]
    if request.method == "POST" and form.is_valid():
        try:
            outbox_reschedule(
                member=member,
                message=message,
                body=form.cleaned_data["body"],
                subject=form.cleaned_data.get("subject"),
                send_at=form.cleaned_data["send_at"],
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            return redirect(back)
    context = {"form": form, "conversation": conversation, "message": message, "back": back}
    return render(
        request,
        "inbox/scheduled_edit.html",
        context,
        status=(409 if "__all__" in form.errors else 422) if form.errors else 200,
    )
