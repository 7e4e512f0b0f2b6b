"""Content for approval: the creator submits a file (at most PARLEY_PORTAL_CONTENT_MAX_BYTES)
or a URL in the portal; the brand approves it or asks for changes with a comment, which goes
to the creator as an in-app message. Each step is an event in the brand's thread and moves
the creator's status: active → content submitted → content approved, or back to active
when changes are asked for.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from parley.accounts.models import Member
from parley.campaigns.assets.common import event_post
from parley.campaigns.models import Campaign, CampaignMember
from parley.campaigns.workflow import campaign_check_open, member_status_set
from parley.core.bidi import bidi_strip
from parley.core.errors import Conflict, NotFound, ValidationFailed
from parley.core.files import filename_display, filename_safe
from parley.core.text import megabytes
from parley.inbox.events import said
from parley.inbox.models import Channel
from parley.inbox.services import conversation_get_or_create
from parley.outbox.services import message_send
from parley.portal.models import ContentSubmission, PortalAccess

S = CampaignMember.Status
URL_MAX = 2000
NOTE_MAX = 2000
COMMENT_MAX = 5000
# Where a creator may submit content: in the campaign and past the invitation.
SUBMITTABLE = {S.ACCEPTED, S.APPROVED, S.ACTIVE, S.CONTENT_SUBMITTED, S.CONTENT_APPROVED}


def content_max_bytes() -> int:
    return int(settings.PARLEY_PORTAL_CONTENT_MAX_BYTES)


def _url_clean(value: Any) -> str:
    url = value.strip() if isinstance(value, str) else ""
    if not url:
        return ""
    try:
        if len(url) > URL_MAX:
            raise ValidationError("long")
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise ValidationFailed(
            {"url": [_("Enter a link that starts with http:// or https:// (at most 2,000).")]}
        ) from exc
    return url


def content_submit(
    *,
    access: PortalAccess,
    campaign: Campaign,
    url: Any = "",
    upload: UploadedFile | None = None,
    note: Any = "",
) -> ContentSubmission:
    """The creator submits one piece of content (a URL or a file, with a note)."""
    member = (
        CampaignMember.objects.select_related("campaign", "creator")
        .filter(campaign=campaign, creator_id=access.creator_id)
        .first()
    )
    if member is None:
        raise NotFound
    campaign_check_open(campaign)
    if member.status not in SUBMITTABLE:
        raise Conflict({"status": [_("Content can be submitted once you are in the campaign.")]})
    clean_url = _url_clean(url)
    clean_note = bidi_strip(note).strip() if isinstance(note, str) else ""
    errors: dict[str, list[str]] = {}
    if len(clean_note) > NOTE_MAX:
        errors["note"] = [_("A note is at most 2,000 characters.")]
    if bool(clean_url) == (upload is not None):
        errors["url"] = [_("Give a link or choose a file (one of them).")]
    size = int(upload.size or 0) if upload is not None else 0
    if upload is not None and size > content_max_bytes():
        errors["file"] = [
            _("The file is %(size)s; a file may be at most %(limit)s.")
            % {"size": megabytes(size), "limit": megabytes(content_max_bytes())}
        ]
    elif upload is not None and size == 0:
        errors["file"] = [_("The file is empty.")]
    if errors:
        raise ValidationFailed(errors)
    now = timezone.now()
    submission = ContentSubmission(
        workspace_id=campaign.workspace_id,
        campaign=campaign,
        creator_id=access.creator_id,
        url=clean_url,
        note=clean_note,
        submitted_at=now,
    )
    what = clean_url
    if upload is not None:
        submission.filename = filename_display(upload.name or "", default="content")
        submission.size = size
        what = submission.filename
    with transaction.atomic():
        if upload is not None:
            submission.file.save(filename_safe(upload.name or "", default="content"), upload, False)
        submission.save()
        event = said(gettext_noop("Content submitted: %(what)s"), what=what)
        if member.status in (S.ACCEPTED, S.APPROVED):
            member = member_status_set(
                campaign_member=member,
                status=S.ACTIVE,
                event=said(gettext_noop("Active: content submitted")),
            )
        if member.status == S.ACTIVE:
            member_status_set(campaign_member=member, status=S.CONTENT_SUBMITTED, event=event)
        else:
            event_post(campaign=campaign, creator=member.creator, actor=None, text=event)
    return submission


def content_review(
    *, actor: Member, submission: ContentSubmission, approve: bool, comment: Any = ""
) -> ContentSubmission:
    """Approve the submission, or ask for changes with a comment (required) that goes to the
    creator in-app. The creator's status follows: content approved once nothing they
    submitted waits for review, back to active when changes are asked for."""
    if submission.workspace_id != actor.workspace_id:
        raise NotFound
    text = bidi_strip(comment).strip() if isinstance(comment, str) else ""
    if len(text) > COMMENT_MAX:
        raise ValidationFailed({"comment": [_("A comment is at most 5,000 characters.")]})
    if not approve and not text:
        raise ValidationFailed({"comment": [_("Say what to change: the creator sees it.")]})
    campaign = submission.campaign
    campaign_check_open(campaign)
    now = timezone.now()
    status = (
        ContentSubmission.Status.APPROVED if approve else ContentSubmission.Status.CHANGES_REQUESTED
    )
    with transaction.atomic():
        taken = ContentSubmission.objects.filter(
            id=submission.id, status=ContentSubmission.Status.SUBMITTED
        ).update(status=status, reviewed_by=actor, reviewed_at=now, comment=text)
        if not taken:
            raise Conflict({"status": [_("This content was reviewed already.")]})
        submission.refresh_from_db()
        what = submission.url or submission.filename
        member = CampaignMember.objects.select_related("campaign", "creator").get(
            campaign=campaign, creator_id=submission.creator_id
        )
        waiting = ContentSubmission.objects.filter(
            campaign=campaign,
            creator_id=submission.creator_id,
            status=ContentSubmission.Status.SUBMITTED,
        ).exists()
        if approve:
            event = said(gettext_noop("Content approved: %(what)s"), what=what)
            if member.status == S.CONTENT_SUBMITTED and not waiting:
                member_status_set(
                    campaign_member=member, status=S.CONTENT_APPROVED, actor=actor, event=event
                )
            else:
                event_post(campaign=campaign, creator=member.creator, actor=actor, text=event)
        else:
            event = said(gettext_noop("Changes requested: %(what)s"), what=what)
            if member.status == S.CONTENT_SUBMITTED:
                member_status_set(campaign_member=member, status=S.ACTIVE, actor=actor, event=event)
            else:
                event_post(campaign=campaign, creator=member.creator, actor=actor, text=event)
        if text:
            message_send(
                member=actor,
                conversation=conversation_get_or_create(creator=member.creator),
                channel=Channel.INAPP,
                body=(
                    _("About %(what)s: %(comment)s") % {"what": what, "comment": text}
                    if approve
                    else _("Changes requested for %(what)s: %(comment)s")
                    % {"what": what, "comment": text}
                ),
                campaign_id=campaign.id,
            )
    return submission
