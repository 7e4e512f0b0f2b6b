"""Reads of saved replies, and a reply rendered for one creator."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from parley.accounts.models import Workspace
from parley.broadcasts.fields import STRICT, RenderError, fields_load, renderer
from parley.broadcasts.selectors import recipients_load
from parley.campaigns.models import Campaign
from parley.core.errors import NotFound, ValidationFailed
from parley.creators.models import Creator
from parley.replies.models import SavedReply


def saved_reply_list(*, workspace: Workspace) -> list[SavedReply]:
    return list(SavedReply.objects.filter(workspace=workspace).order_by("name", "id"))


def saved_reply_get(*, workspace: Workspace, id: int) -> SavedReply:
    reply = SavedReply.objects.filter(workspace=workspace, id=id).first()
    if reply is None:
        raise NotFound
    return reply


@dataclass(frozen=True)
class RenderedReply:
    subject: str
    body: str


def saved_reply_render(
    *, reply: SavedReply, creator: Creator, campaign: Campaign | None = None
) -> RenderedReply:
    """The reply with the creator's personal fields filled in (the campaign's name, code
    and link when one is given and the creator has them: nothing is made here). A field
    without a value for this creator is a ValidationFailed that names it."""
    if creator.workspace_id != reply.workspace_id:
        raise NotFound
    if campaign is not None and campaign.workspace_id != reply.workspace_id:
        raise NotFound
    loaded = recipients_load(
        workspace_id=reply.workspace_id,
        creator_ids=[creator.id],
        campaign=campaign.name if campaign else "",
    )
    recipient = loaded[0].recipient
    problems = fields_load(
        workspace_id=reply.workspace_id,
        campaign_id=campaign.id if campaign else None,
        author_id=None,
        recipients=[recipient],
        sources=[reply.subject, reply.body],
        mode=STRICT,
    )
    if problems:
        raise ValidationFailed({"body": problems})
    try:
        return RenderedReply(
            subject=renderer(reply.subject)(recipient) if reply.subject else "",
            body=renderer(reply.body)(recipient),
        )
    except RenderError as exc:
        raise ValidationFailed(
            {
                "body": [
                    _("This reply cannot be filled in for %(name)s: %(error)s")
                    % {"name": creator.name, "error": exc}
                ]
            }
        ) from exc
