"""Writes to campaigns: create, edit (brief, dates, terms, the agreement template, the email
templates per kind), archive and restore, and adding creators. Status changes are
parley/campaigns/workflow.py's; the ones that send an email, parley/broadcasts/campaign_mail.py's.

Templates (the agreement, the emails) are Jinja2 in a sandbox with the mass email's personal
fields, checked the same way (`parley.broadcasts.fields`). That module sits in a higher app
but imports nothing of Parley: it is the personal-fields engine both share, and campaigns
add their own fields to its registry.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import nh3
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parley.accounts.models import Client, Workspace
from parley.broadcasts.fields import MAX_TEMPLATE, templates_check
from parley.campaigns.models import Campaign, CampaignEmailTemplate, CampaignMember
from parley.campaigns.workflow import campaign_check_open
from parley.core.bidi import bidi_strip
from parley.core.errors import ValidationFailed
from parley.creators.models import Creator

MAX_NAME = 160
MAX_BRIEF = 50_000
MAX_TERMS = 5_000
MAX_SUBJECT = 900
CHUNK = 2000

Kind = CampaignEmailTemplate.Kind

# What a new campaign's emails say until someone edits them (in the language of whoever
# creates the campaign).
DEFAULT_TEMPLATES: dict[str, tuple[Any, Any]] = {
    Kind.INVITATION: (
        gettext_lazy("Invitation: {{ campaign }}"),
        gettext_lazy(
            "Hi {{ first_name }},\n\n"
            "We would love to work with you on {{ campaign }}. Reply to this email to let us "
            "know whether you are in, and we will send you the details.\n\n"
            "Thank you!"
        ),
    ),
    Kind.APPROVAL: (
        gettext_lazy("You are in: {{ campaign }}"),
        gettext_lazy(
            "Hi {{ first_name }},\n\n"
            "Good news: you are approved for {{ campaign }}. We will be in touch shortly with "
            "the next steps.\n\n"
            "Thank you!"
        ),
    ),
    Kind.REJECTION: (
        gettext_lazy("About {{ campaign }}"),
        gettext_lazy(
            "Hi {{ first_name }},\n\n"
            "Thank you for your interest in {{ campaign }}. We cannot include you this time, "
            "but we would be glad to work with you on a future campaign.\n\n"
            "Best wishes"
        ),
    ),
}

# The brief is rich text: the tags a small editor makes, links, nothing active.
_BRIEF_TAGS = {
    "a", "b", "blockquote", "br", "div", "em", "h2", "h3", "i", "li", "ol", "p", "s",
    "strong", "u", "ul",
}  # fmt: skip
_BRIEF_ATTRS = {"a": {"href", "title"}}


def brief_sanitise(html: str) -> str:
    """Inert HTML for the brief: no script, style, event handlers or images; links http(s)
    and mailto only, opening without referrer (as parley/channels/email/mime.html_sanitise)."""
    return nh3.clean(
        html,
        tags=_BRIEF_TAGS,
        attributes=_BRIEF_ATTRS,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def _template_errors(
    source_subject: str, source_body: str, *, subject_field: str, body_field: str
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in templates_check(subject=source_subject, body=source_body):
        name = subject_field if problem.field == "subject" else body_field
        errors.setdefault(name, []).append(problem.message)
    return errors


@dataclass
class EmailTemplate:
    kind: str
    subject: str
    body: str


def email_templates_check(templates: Mapping[str, tuple[str, str]]) -> dict[str, list[str]]:
    """Every problem of the email templates at once, on `<kind>_subject` / `<kind>_body`:
    one-line subjects of at most 900 characters, a body, template syntax with its line,
    unknown fields."""
    errors: dict[str, list[str]] = {}
    for kind, (subject, body) in templates.items():
        if kind not in Kind.values:
            errors.setdefault("templates", []).append(_("Unknown email kind."))
            continue
        subject_field, body_field = f"{kind}_subject", f"{kind}_body"
        if "\n" in subject or "\r" in subject or len(subject) > MAX_SUBJECT:
            errors[subject_field] = [_("A subject is one line of at most 900 characters.")]
        elif not subject.strip():
            errors[subject_field] = [_("An email needs a subject.")]
        if not body.strip():
            errors[body_field] = [_("Write the message first.")]
        for name, messages in _template_errors(
            subject, body, subject_field=subject_field, body_field=body_field
        ).items():
            errors.setdefault(name, []).extend(messages)
    return errors


def _details_errors(
    *,
    workspace_id: int,
    name: str | None,
    client: Client | None,
    status: str | None,
    starts_on: date | None,
    ends_on: date | None,
    brief: str | None,
    payment_terms: str | None,
    agreement_template: str | None,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if name is not None and (not name or len(name) > MAX_NAME):
        errors["name"] = [_("A campaign needs a name of at most 160 characters.")]
    if client is not None and client.workspace_id != workspace_id:
        errors["client"] = [_("Unknown client.")]
    if status is not None and status not in Campaign.Status.values:
        errors["status"] = [_("Unknown status.")]
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = [_("The campaign cannot end before it starts.")]
    if brief is not None and len(brief) > MAX_BRIEF:
        errors["brief"] = [_("A brief is at most 50,000 characters.")]
    if payment_terms is not None and len(payment_terms) > MAX_TERMS:
        errors["payment_terms"] = [_("Payment terms are at most 5,000 characters.")]
    if agreement_template is not None:
        if len(agreement_template) > MAX_TEMPLATE:
            errors["agreement_template"] = [_("This text is too long.")]
        else:
            errors.update(
                _template_errors(
                    "", agreement_template, subject_field="name", body_field="agreement_template"
                )
            )
    return errors


def campaign_create(
    *,
    workspace: Workspace,
    name: str,
    client: Client | None = None,
    status: str = Campaign.Status.ACTIVE,
    brief: str = "",
    starts_on: date | None = None,
    ends_on: date | None = None,
    payment_terms: str = "",
    agreement_template: str = "",
    templates: Mapping[str, tuple[str, str]] | None = None,
) -> Campaign:
    """A campaign with its three emails (the defaults unless given). Archived is not a status
    to start in. Everything is checked, every problem at once, before anything is stored."""
    name = bidi_strip(name).strip()
    wanted = {k: (str(s), str(b)) for k, (s, b) in DEFAULT_TEMPLATES.items()}
    wanted.update(templates or {})
    errors = _details_errors(
        workspace_id=workspace.id,
        name=name,
        client=client,
        status=status,
        starts_on=starts_on,
        ends_on=ends_on,
        brief=brief,
        payment_terms=payment_terms,
        agreement_template=agreement_template,
    )
    if status == Campaign.Status.ARCHIVED:
        errors["status"] = [_("A new campaign is a draft or active.")]
    errors.update(email_templates_check(wanted))
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            workspace=workspace,
            name=name,
            client=client,
            status=status,
            brief=brief_sanitise(brief),
            starts_on=starts_on,
            ends_on=ends_on,
            payment_terms=payment_terms.strip(),
            agreement_template=agreement_template,
        )
        CampaignEmailTemplate.objects.bulk_create(
            CampaignEmailTemplate(campaign=campaign, kind=kind, subject=s.strip(), body=b)
            for kind, (s, b) in wanted.items()
        )
    return campaign


# "Leave it as it is": None already means "none" for the client and the dates.
KEEP: Any = object()


def campaign_update(
    *,
    campaign: Campaign,
    name: str | None = None,
    status: str | None = None,
    client: Client | None = KEEP,
    brief: str | None = None,
    starts_on: date | None = KEEP,
    ends_on: date | None = KEEP,
    payment_terms: str | None = None,
    agreement_template: str | None = None,
    templates: Mapping[str, tuple[str, str]] | None = None,
) -> Campaign:
    """Change what is given (the others keep their value); everything is checked before
    anything changes. `templates`: kind → (subject, body) for the emails to change."""
    if name is not None:
        name = bidi_strip(name).strip()
    new_starts = campaign.starts_on if starts_on is KEEP else starts_on
    new_ends = campaign.ends_on if ends_on is KEEP else ends_on
    errors = _details_errors(
        workspace_id=campaign.workspace_id,
        name=name,
        client=None if client is KEEP else client,
        status=status,
        starts_on=new_starts,
        ends_on=new_ends,
        brief=brief,
        payment_terms=payment_terms,
        agreement_template=agreement_template,
    )
    errors.update(email_templates_check(templates or {}))
    if errors:
        raise ValidationFailed(errors)
    fields = ["updated_at"]
    changes: dict[str, Any] = {
        "name": name,
        "status": status,
        "brief": brief_sanitise(brief) if brief is not None else None,
        "payment_terms": payment_terms.strip() if payment_terms is not None else None,
        "agreement_template": agreement_template,
    }
    for field_name, value in changes.items():
        if value is not None:
            setattr(campaign, field_name, value)
            fields.append(field_name)
    for field_name, value in (("client", client), ("starts_on", starts_on), ("ends_on", ends_on)):
        if value is not KEEP:
            setattr(campaign, field_name, value)
            fields.append(field_name)
    with transaction.atomic():
        campaign.save(update_fields=fields)
        for kind, (subject, body) in (templates or {}).items():
            CampaignEmailTemplate.objects.update_or_create(
                campaign=campaign, kind=kind, defaults={"subject": subject.strip(), "body": body}
            )
    return campaign


def campaign_archive(*, campaign: Campaign) -> Campaign:
    """Archived: out of the inbox drop-down and filters and of the pickers; its members and
    their threads stay as they are, and nothing changes in it until it is restored."""
    return campaign_update(campaign=campaign, status=Campaign.Status.ARCHIVED)


def campaign_restore(*, campaign: Campaign) -> Campaign:
    return campaign_update(campaign=campaign, status=Campaign.Status.ACTIVE)


def campaign_delete(*, campaign: Campaign) -> None:
    """Delete the campaign, its members and its assets. Its messages stay in the threads
    without it (their campaign is set to none); archiving is the way to keep everything."""
    campaign.delete()


def campaign_email_templates(*, campaign: Campaign) -> dict[str, EmailTemplate]:
    """The campaign's email for each kind (the default for a kind it has no row of)."""
    found = {
        t.kind: EmailTemplate(t.kind, t.subject, t.body)
        for t in CampaignEmailTemplate.objects.filter(campaign=campaign)
    }
    for kind, (subject, body) in DEFAULT_TEMPLATES.items():
        found.setdefault(kind, EmailTemplate(kind, str(subject), str(body)))
    return {kind: found[kind] for kind in Kind.values}


# Statuses a creator can be added with: added by the team, or an application recorded by
# hand. Everything after that is a change of the workflow (parley/campaigns/workflow.py).
ADD_STATUSES = (CampaignMember.Status.ADDED, CampaignMember.Status.APPLIED)


def campaign_members_add(
    *, campaign: Campaign, creator_ids: Iterable[int], status: str = CampaignMember.Status.ADDED
) -> int:
    """Add creators of the campaign's workspace (as added, no invitation sent: the team can
    email them at once and invite them later); those already in it are left as they are.
    Adding posts no event: it would open a conversation for every creator added."""
    if status not in ADD_STATUSES:
        raise ValidationFailed({"status": [_("Creators are added as “added” or “applied”.")]})
    campaign_check_open(campaign)
    wanted = list(dict.fromkeys(creator_ids))
    now = timezone.now()
    added = 0
    for first in range(0, len(wanted), CHUNK):
        chunk = wanted[first : first + CHUNK]
        ids = set(
            Creator.objects.filter(workspace_id=campaign.workspace_id, id__in=chunk).values_list(
                "id", flat=True
            )
        )
        already = set(
            CampaignMember.objects.filter(campaign=campaign, creator_id__in=ids).values_list(
                "creator_id", flat=True
            )
        )
        new = [
            CampaignMember(
                workspace_id=campaign.workspace_id,
                campaign=campaign,
                creator_id=i,
                status=status,
                last_activity_at=now,
            )
            for i in sorted(ids - already)
        ]
        CampaignMember.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
        added += len(new)
    return added
