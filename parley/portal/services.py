"""Writes of the creator portal: invitations, magic links, sessions, and what a creator does
there (reply, answer an invitation, apply, sign, pick gifts).

Magic links and sessions hold a random token; only its SHA-256 hash is stored. A link is
used up by a POST (the page a link opens shows a button), once, within its lifetime. Asking
for a link answers the same whether or not the address has an account, and is counted per
address and per client address (parley.core.ratelimit). Emails are Parley's own (the
password-reset mail settings), sent after the transaction commits.

Every step a creator takes goes through the campaign services, so it is an event in the
brand's thread and moves the creator's status (parley.campaigns.workflow).
"""

import contextlib
import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from parley.accounts.models import Member
from parley.campaigns.assets import agreements, gifts
from parley.campaigns.assets.common import event_post
from parley.campaigns.models import Agreement, Campaign, CampaignMember, GiftOffer
from parley.campaigns.workflow import campaign_check_open, member_status_set
from parley.core.bidi import bidi_strip
from parley.core.errors import Conflict, NotFound, ValidationFailed
from parley.core.ratelimit import rate_limit_hit
from parley.creators.models import Creator, Identity
from parley.creators.services import creator_create
from parley.inbox.events import Said, said
from parley.inbox.models import Channel, Message
from parley.inbox.services import (
    conversation_get_or_create,
    events_record_many,
    message_record,
)
from parley.portal.models import MagicLink, PortalAccess, PortalAccount, PortalSession

logger = logging.getLogger(__name__)

S = CampaignMember.Status
LINK_WINDOW = timedelta(hours=1)
REPLY_MAX = 50_000
NOTE_MAX = 2_000
NAME_MAX = 160
EMAIL_MAX = 254
CHUNK = 2000


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def email_clean(value: Any) -> str:
    """The address lower-cased, or ValidationFailed."""
    address = str(value or "").strip().lower() if isinstance(value, str) else ""
    try:
        if not address or len(address) > EMAIL_MAX:
            raise ValidationError("empty")
        validate_email(address)
    except ValidationError as exc:
        raise ValidationFailed({"email": [_("Enter a valid email address.")]}) from exc
    return address


def _link_url(token: str) -> str:
    return settings.PARLEY_PUBLIC_URL + reverse("portal:link", args=[token])


def _mail(*, to: str, subject: str, body: str) -> None:
    """Send one of Parley's own emails once the transaction commits; a failure is logged
    (the page has answered already, and says the same whatever happens)."""

    def send() -> None:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
        except Exception:  # an SMTP server down must not turn a page into a 500
            logger.exception("portal email to a creator could not be sent")

    transaction.on_commit(send)


def _link_create(
    *,
    purpose: str,
    lifetime: timedelta,
    account: PortalAccount | None = None,
    email: str = "",
    **fields: Any,
) -> str:
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    MagicLink.objects.create(
        account=account,
        email=email,
        purpose=purpose,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + lifetime,
        **fields,
    )
    return token


def _sign_in_lifetime() -> timedelta:
    return timedelta(minutes=settings.PARLEY_PORTAL_LINK_MINUTES)


# --- Invitations (the brand) ----------------------------------------------------------------


def _account_for(email: str) -> PortalAccount:
    account = PortalAccount.objects.filter(email=email).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return PortalAccount.objects.create(email=email)
    except IntegrityError:  # made by another request this very moment
        return PortalAccount.objects.get(email=email)


def _access_grant(
    *, account: PortalAccount, creator: Creator, by: Member | None, at: datetime
) -> PortalAccess:
    access, _created = PortalAccess.objects.get_or_create(
        creator=creator,
        defaults={
            "account": account,
            "workspace_id": creator.workspace_id,
            "invited_by": by,
            "invited_at": at,
        },
    )
    return access


@dataclass
class Invited:
    sent: list[int]
    # creator id → why no invitation went (no email address).
    skipped: dict[int, str]

    def summary(self) -> str:
        text = ngettext(
            "%(n)d creator invited to the creator portal.",
            "%(n)d creators invited to the creator portal.",
            len(self.sent),
        ) % {"n": len(self.sent)}
        if self.skipped:
            text += " " + ngettext(
                "%(n)d has no email address.", "%(n)d have no email address.", len(self.skipped)
            ) % {"n": len(self.skipped)}
        return text


def portal_invite(*, actor: Member, creator: Creator) -> PortalAccess:
    """Give the creator a portal account at their email address (or the access of the
    account that address has already) and email them a link that signs them in; an event in
    their thread. Conflict when they have no email address."""
    if creator.workspace_id != actor.workspace_id:
        raise NotFound
    result = portal_invite_many(actor=actor, creator_ids=[creator.id])
    if creator.id in result.skipped:
        raise Conflict({"creator": [result.skipped[creator.id]]})
    return PortalAccess.objects.select_related("account").get(creator=creator)


def _emails_of(creator_ids: list[int]) -> dict[int, str]:
    """creator id → the address for the portal: the primary email, else the first."""
    emails: dict[int, str] = {}
    for first in range(0, len(creator_ids), CHUNK):
        for creator_id, email in (
            Identity.objects.filter(
                creator_id__in=creator_ids[first : first + CHUNK], kind=Identity.Kind.EMAIL
            )
            .order_by("creator_id", "-is_primary", "id")
            .values_list("creator_id", "normalized")
        ):
            emails.setdefault(creator_id, email)
    return emails


def _accounts_for(emails: set[str]) -> dict[str, int]:
    """address → account id, making the missing accounts (two requests at once make one)."""
    wanted = sorted(emails)
    found: dict[str, int] = {}
    for first in range(0, len(wanted), CHUNK):
        chunk = wanted[first : first + CHUNK]
        PortalAccount.objects.bulk_create(
            [PortalAccount(email=e) for e in chunk], ignore_conflicts=True
        )
        found.update(PortalAccount.objects.filter(email__in=chunk).values_list("email", "id"))
    return found


def portal_invite_many(
    *, actor: Member, creator_ids: Sequence[int], queue: bool = False
) -> Invited:
    """Invite many creators of the actor's workspace at once (the campaign invitation's
    "and to the creator portal"): accounts, accesses and events in a few statements, each
    creator's email sent after the commit, or, with `queue`, by the worker (a task each,
    which makes the link there: its token is never stored in the clear)."""
    now = timezone.now()
    result = Invited(sent=[], skipped={})
    wanted = list(dict.fromkeys(creator_ids))
    ids: list[int] = []
    for first in range(0, len(wanted), CHUNK):
        ids += Creator.objects.filter(
            workspace_id=actor.workspace_id, id__in=wanted[first : first + CHUNK]
        ).values_list("id", flat=True)
    emails = _emails_of(ids)
    missing = [i for i in ids if i not in emails][:CHUNK]
    names = (
        dict(Creator.objects.filter(id__in=missing).values_list("id", "name")) if missing else {}
    )
    for creator_id in ids:
        if creator_id not in emails and creator_id in names:
            result.skipped[creator_id] = _(
                "%(name)s has no email address: add one to invite them to the creator portal."
            ) % {"name": names.get(creator_id, "")}
    with transaction.atomic():
        have = dict(
            PortalAccess.objects.filter(creator_id__in=list(emails)).values_list(
                "creator_id", "account_id"
            )
        )
        accounts = _accounts_for({e for c, e in emails.items() if c not in have})
        PortalAccess.objects.bulk_create(
            [
                PortalAccess(
                    account_id=accounts[email],
                    workspace_id=actor.workspace_id,
                    creator_id=creator_id,
                    invited_by=actor,
                    invited_at=now,
                )
                for creator_id, email in emails.items()
                if creator_id not in have
            ],
            ignore_conflicts=True,
            batch_size=CHUNK,
        )
        events_record_many(
            workspace_id=actor.workspace_id,
            bodies={
                creator_id: said(
                    gettext_noop("Creator portal invitation sent to %(email)s"), email=email
                )
                for creator_id, email in emails.items()
            },
            campaign_id=None,
            author=actor,
            at=now,
        )
        accesses = list(
            PortalAccess.objects.filter(creator_id__in=list(emails)).values_list("id", flat=True)
        )
        for access_id in accesses:
            if queue:
                transaction.on_commit(partial(_invitation_enqueue, access_id, now))
            else:
                invitation_email_send(access_id=access_id, on_commit=True)
        result.sent = list(emails)
    return result


def _invitation_enqueue(access_id: int, at: datetime) -> None:
    from parley.portal.tasks import portal_invitation_task

    portal_invitation_task.enqueue(access_id, at.isoformat())


def invitation_email_send(
    *, access_id: int, since: datetime | None = None, on_commit: bool = False
) -> bool:
    """Make a fresh invitation link for the access and email it to its account (the task of
    invitations sent in bulk; `on_commit`: once the caller's transaction commits). With
    `since` (when it was asked for), nothing happens if an invitation link was made for the
    account since then: the task run twice sends one email. The link is stored only once
    the email has gone (one transaction), so a failed send is tried again in full."""
    access = (
        PortalAccess.objects.select_related("account", "creator", "workspace")
        .filter(id=access_id)
        .first()
    )
    if access is None:
        return False
    if (
        since is not None
        and MagicLink.objects.filter(
            account_id=access.account_id,
            purpose=MagicLink.Purpose.INVITATION,
            created_at__gte=since,
        ).exists()
    ):
        return False
    creator, brand = access.creator, access.workspace.name
    with transaction.atomic():
        token = _link_create(
            purpose=MagicLink.Purpose.INVITATION,
            lifetime=timedelta(days=settings.PARLEY_PORTAL_INVITATION_DAYS),
            account=access.account,
        )
        subject = _("%(brand)s invites you to its creator portal") % {"brand": brand}
        body = _(
            "Hello %(name)s,\n\n%(brand)s works with you through Parley's creator portal: "
            "your messages, campaigns, agreements, gifts and content in one place.\n\n"
            "Open this link to sign in (it works once, for %(days)d days):\n%(url)s\n\n"
            "Later, sign in with your email address at %(sign_in)s."
        ) % {
            "name": creator.first_name or creator.name,
            "brand": brand,
            "days": settings.PARLEY_PORTAL_INVITATION_DAYS,
            "url": _link_url(token),
            "sign_in": settings.PARLEY_PUBLIC_URL + reverse("portal:sign_in"),
        }
        if on_commit:
            _mail(to=access.account.email, subject=subject, body=body)
        else:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [access.account.email])
    return True


# --- Magic links ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkRequest:
    # The client's address asked too often: wait this many minutes (said whatever the
    # address; nothing is sent). 0: the page answers "check your email".
    wait_minutes: int = 0


def _throttle(*, email: str, ip: str) -> tuple[LinkRequest, bool]:
    """(what the page says, whether an email may go) for one more link to `email`."""
    by_ip = rate_limit_hit(
        scope="portal-link-ip",
        value=ip or "unknown",
        limit=settings.PARLEY_PORTAL_LINKS_PER_IP,
        window=LINK_WINDOW,
    )
    if not by_ip.allowed:
        return LinkRequest(wait_minutes=by_ip.retry_minutes), False
    by_address = rate_limit_hit(
        scope="portal-link-address",
        value=email,
        limit=settings.PARLEY_PORTAL_LINKS_PER_ADDRESS,
        window=LINK_WINDOW,
    )
    return LinkRequest(), by_address.allowed


def link_request(*, email: Any, ip: str) -> LinkRequest:
    """Email a sign-in link to `email` if it has a portal account. The answer is the same
    whether or not it has one (and whether its own limit is reached)."""
    address = email_clean(email)
    answer, may_send = _throttle(email=address, ip=ip)
    if not may_send:
        return answer
    account = PortalAccount.objects.filter(email=address, accesses__isnull=False).first()
    if account is None:
        return answer
    with transaction.atomic():
        token = _link_create(
            purpose=MagicLink.Purpose.SIGN_IN, lifetime=_sign_in_lifetime(), account=account
        )
        _mail(
            to=account.email,
            subject=_("Your sign-in link for the creator portal"),
            body=_(
                "Open this link to sign in to the creator portal. It works once, for "
                "%(minutes)d minutes:\n%(url)s\n\nIf you did not ask for it, ignore this email."
            )
            % {"minutes": settings.PARLEY_PORTAL_LINK_MINUTES, "url": _link_url(token)},
        )
    return answer


def application_request(
    *, campaign: Campaign, email: Any, name: Any, note: Any, ip: str
) -> LinkRequest:
    """Someone applies to a campaign open for applications from its public page: a link to
    confirm goes to their address (the application is made when it is used, so nobody
    applies in another's name). Same answer for every address."""
    errors: dict[str, list[str]] = {}
    try:
        address = email_clean(email)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        address = ""
    clean_name = " ".join(bidi_strip(str(name or "")).split()) if isinstance(name, str) else ""
    if not clean_name or len(clean_name) > NAME_MAX:
        errors["name"] = [_("Enter your name (at most 160 characters).")]
    clean_note = bidi_strip(note).strip() if isinstance(note, str) else ""
    if len(clean_note) > NOTE_MAX:
        errors["note"] = [_("A note is at most 2,000 characters.")]
    if errors:
        raise ValidationFailed(errors)
    answer, may_send = _throttle(email=address, ip=ip)
    if not may_send:
        return answer
    with transaction.atomic():
        token = _link_create(
            purpose=MagicLink.Purpose.APPLICATION,
            lifetime=_sign_in_lifetime(),
            account=PortalAccount.objects.filter(email=address).first(),
            email=address,
            campaign=campaign,
            applicant_name=clean_name,
            applicant_note=clean_note,
        )
        _mail(
            to=address,
            subject=_("Confirm your application to %(campaign)s") % {"campaign": campaign.name},
            body=_(
                "Open this link to confirm your application to %(campaign)s and sign in to "
                "the creator portal. It works once, for %(minutes)d minutes:\n%(url)s\n\n"
                "If you did not apply, ignore this email."
            )
            % {
                "campaign": campaign.name,
                "minutes": settings.PARLEY_PORTAL_LINK_MINUTES,
                "url": _link_url(token),
            },
        )
    return answer


def link_peek(*, token: str) -> MagicLink | None:
    """The link if it can still be used (the page that offers the button); None otherwise."""
    if not isinstance(token, str) or len(token) > 100:
        return None
    return (
        MagicLink.objects.select_related("campaign")
        .filter(token_hash=token_hash(token), used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )


def link_use(*, token: str) -> PortalAccount:
    """Use the link up (once: two requests at once cannot both) and return the account it
    signs in; an application's link makes the application first. NotFound when the link
    is unknown, used or expired."""
    link = link_peek(token=token)
    if link is None:
        raise NotFound
    now = timezone.now()
    with transaction.atomic():
        taken = MagicLink.objects.filter(id=link.id, used_at__isnull=True).update(used_at=now)
        if not taken:
            raise NotFound
        if link.purpose == MagicLink.Purpose.APPLICATION:
            return _application_make(link=link, at=now)
        assert link.account is not None  # only applications are made without one
        return link.account


def _application_make(*, link: MagicLink, at: datetime) -> PortalAccount:
    campaign = link.campaign
    account = link.account or _account_for(link.email)
    if campaign is None:  # the campaign was deleted meanwhile
        return account
    creator = (
        Creator.objects.filter(
            workspace_id=campaign.workspace_id,
            identities__kind=Identity.Kind.EMAIL,
            identities__normalized=account.email,
        )
        .order_by("id")
        .first()
    )
    if creator is None:
        creator = creator_create(
            workspace=campaign.workspace,
            name=link.applicant_name or account.email.split("@")[0],
            identities=[(Identity.Kind.EMAIL, account.email)],
        )
    if not PortalAccess.objects.filter(creator=creator).exists():
        _access_grant(account=account, creator=creator, by=None, at=at)
    # A creator whose portal is another address's keeps it: the application still stands,
    # and this address signs in to its own account only (never to the other's brands).
    # In the campaign already, or it closed meanwhile: the link still signs in.
    with contextlib.suppress(Conflict):
        campaign_apply(creator=creator, campaign=campaign, note=link.applicant_note)
    return account


def campaign_applications_set(*, campaign: Campaign, is_open: bool) -> Campaign:
    """Open the campaign's public page for applications (its code made the first time, random
    and unguessable) or close it."""
    campaign_check_open(campaign)
    campaign.open_for_applications = is_open
    fields = ["open_for_applications", "updated_at"]
    if is_open and not campaign.public_code:
        campaign.public_code = secrets.token_urlsafe(16)
        fields.append("public_code")
    campaign.save(update_fields=fields)
    return campaign


def campaign_apply(*, creator: Creator, campaign: Campaign, note: str = "") -> CampaignMember:
    """The creator applies to a campaign open for applications: a member "applied", an event
    in the brand's thread (with their note). Conflict when they are in it already."""
    if not campaign.open_for_applications or campaign.status != Campaign.Status.ACTIVE:
        raise Conflict({"campaign": [_("This campaign does not take applications now.")]})
    if creator.workspace_id != campaign.workspace_id:
        raise NotFound
    with transaction.atomic():
        member, created = CampaignMember.objects.get_or_create(
            campaign=campaign,
            creator=creator,
            defaults={"workspace_id": campaign.workspace_id, "status": S.APPLIED},
        )
        if not created:
            raise Conflict(
                {"campaign": [_("You are in %(campaign)s already.") % {"campaign": campaign.name}]}
            )
        text = (
            said(gettext_noop("applied from the creator portal: %(note)s"), note=note)
            if note
            else said(gettext_noop("applied from the creator portal"))
        )
        event_post(campaign=campaign, creator=creator, actor=None, text=text)
    return member


# --- Sessions -------------------------------------------------------------------------------


def session_start(*, account: PortalAccount, ip: str) -> str:
    """A new portal session for the account; the key for its cookie."""
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        PortalSession.objects.create(
            account=account,
            key_hash=token_hash(key),
            created_at=now,
            expires_at=now + timedelta(days=settings.PARLEY_PORTAL_SESSION_DAYS),
            ip=ip or None,
        )
        PortalAccount.objects.filter(id=account.id).update(last_login_at=now)
        PortalAccess.objects.filter(account=account, first_signed_in_at__isnull=True).update(
            first_signed_in_at=now
        )
    return key


def session_end(*, key: str) -> None:
    if key:
        PortalSession.objects.filter(key_hash=token_hash(key)).delete()


def portal_prune() -> int:
    """Delete expired links and sessions (a periodic job of `parley worker`)."""
    now = timezone.now()
    links, _n = MagicLink.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    sessions, _n = PortalSession.objects.filter(expires_at__lt=now).delete()
    return links + sessions


# --- The thread -------------------------------------------------------------------------------


def portal_reply(*, access: PortalAccess, body: Any) -> Message:
    """An in-app message from the creator: inbound for the brand (unread, awaiting reply,
    its inbox moves at once)."""
    text = body.strip() if isinstance(body, str) else ""
    if not bidi_strip(text).strip():
        raise ValidationFailed({"body": [_("Write a message first.")]})
    if len(text) > REPLY_MAX:
        raise ValidationFailed({"body": [_("A message is at most 50,000 characters.")]})
    creator = access.creator
    with transaction.atomic():
        return message_record(
            conversation=conversation_get_or_create(creator=creator),
            channel=Channel.INAPP,
            direction=Message.Direction.INBOUND,
            status=Message.Status.RECEIVED,
            body_text=text,
            author_creator=creator,
        )


def inapp_mark_delivered(*, creator_ids: Sequence[int]) -> int:
    """The brand's in-app messages to these creators reached their portal: sent → delivered."""
    return Message.objects.filter(
        conversation__creator_id__in=list(creator_ids),
        channel=Channel.INAPP,
        direction=Message.Direction.OUTBOUND,
        status=Message.Status.SENT,
    ).update(status=Message.Status.DELIVERED)


def inapp_mark_read(*, access: PortalAccess) -> int:
    """The creator opened the thread: the brand's in-app messages are read."""
    return Message.objects.filter(
        conversation__creator_id=access.creator_id,
        channel=Channel.INAPP,
        direction=Message.Direction.OUTBOUND,
        status__in=[Message.Status.SENT, Message.Status.DELIVERED],
    ).update(status=Message.Status.READ)


# --- Campaigns ------------------------------------------------------------------------------


def _membership(access: PortalAccess, campaign: Campaign) -> CampaignMember:
    member = (
        CampaignMember.objects.select_related("campaign", "creator")
        .filter(campaign=campaign, creator_id=access.creator_id)
        .first()
    )
    if member is None:
        raise NotFound
    return member


def invitation_answer(*, access: PortalAccess, campaign: Campaign, accept: bool) -> CampaignMember:
    """Accept or decline the campaign's invitation (invited → accepted / declined)."""
    member = _membership(access, campaign)
    if member.status != S.INVITED:
        raise Conflict({"status": [_("There is no invitation to answer in this campaign.")]})
    return member_status_set(campaign_member=member, status=S.ACCEPTED if accept else S.DECLINED)


def _activate(member: CampaignMember, event: Said) -> None:
    """Accepted or approved → active, for the first thing the creator does (sign, pick)."""
    if member.status in (S.ACCEPTED, S.APPROVED):
        member_status_set(campaign_member=member, status=S.ACTIVE, event=event)


def _open_statuses() -> set[str]:
    return {S.ACCEPTED, S.APPROVED, S.ACTIVE, S.CONTENT_SUBMITTED, S.CONTENT_APPROVED}


def agreement_answer(
    *,
    access: PortalAccess,
    agreement: Agreement,
    sign: bool,
    signer_name: Any = "",
    consent: bool = False,
    ip: str = "",
) -> Agreement:
    """Sign (typed full name and consent; name, time and address kept) or decline; signing
    makes an accepted creator active."""
    if agreement.creator_id != access.creator_id:
        raise NotFound
    if not sign:
        return agreements.agreement_decline(agreement=agreement)
    errors: dict[str, list[str]] = {}
    if not consent:
        errors["consent"] = [_("Tick the box to agree to sign electronically.")]
    name = signer_name if isinstance(signer_name, str) else ""
    if not " ".join(bidi_strip(name).split()):
        errors["signer_name"] = [_("Type your full name to sign.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        signed = agreements.agreement_sign(
            agreement=agreement, signer_name=bidi_strip(name), signer_ip=ip or None
        )
        member = _membership(access, signed.campaign)
        _activate(member, said(gettext_noop("Active: agreement signed")))
    return signed


def gifts_pick(
    *,
    access: PortalAccess,
    offer: GiftOffer,
    selection: Sequence[dict[str, Any]],
    shipping_address: Any,
) -> GiftOffer:
    """The creator's pick of the offered gifts and where to ship them; an accepted creator
    becomes active."""
    if offer.creator_id != access.creator_id:
        raise NotFound
    address = bidi_strip(shipping_address) if isinstance(shipping_address, str) else ""
    with transaction.atomic():
        picked = gifts.gift_select(
            actor=None, offer=offer, selection=selection, shipping_address=address
        )
        member = _membership(access, picked.campaign)
        _activate(member, said(gettext_noop("Active: products selected")))
    return picked
