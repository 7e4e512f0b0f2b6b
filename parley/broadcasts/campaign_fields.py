"""The personal fields of a campaign's actions, for mass messages and agreements:

- `{{ coupon_code }}`: the recipient's coupon code of the broadcast's campaign; those
  without one get one of the pool when the messages are written (in bulk);
- `{{ tracking_link("https://shop.example/spring") }}`: the recipient's tracking link to
  that address in the campaign, made when the messages are written (in bulk) for those
  who have none; `{{ tracking_link }}` alone is their latest link in the campaign.

The check and the preview show what there is and stand-ins for what the send will make
(and say when the pool has too few free codes). Registered when Django starts
(BroadcastsConfig.ready), with the renderer that freezes agreements
(campaigns.assets.agreements), which uses the same fields.
"""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jinja2 import StrictUndefined, nodes

from parley.accounts.models import Member
from parley.broadcasts.fields import (
    NO_CAMPAIGN,
    PREVIEW,
    STRICT,
    WRITE,
    FieldsLoad,
    PersonalField,
    RenderError,
    field_register,
    fields_load,
    parse,
    renderer,
    templates_check,
)
from parley.broadcasts.selectors import recipients_load
from parley.campaigns.assets import agreements
from parley.campaigns.assets.coupons import coupons_assign_many
from parley.campaigns.assets.links import (
    destination_clean,
    link_stand_in,
    link_url,
    links_create_many,
)
from parley.campaigns.assets.selectors import pool_stats
from parley.campaigns.models import Campaign, CouponCode, TrackingLink
from parley.core.errors import ValidationFailed
from parley.creators.models import Creator


def _campaign(load: FieldsLoad) -> Campaign | None:
    if load.campaign_id is None:
        return None
    return Campaign.objects.filter(id=load.campaign_id, workspace_id=load.workspace_id).first()


def _author(load: FieldsLoad) -> Member | None:
    if load.author_id is None:
        return None
    return Member.objects.filter(id=load.author_id).first()


# --- coupon_code -----------------------------------------------------------------------------


def _coupon_value(recipient: Any) -> Any:
    return recipient.extra.get("coupon_code") or StrictUndefined(
        hint=_("%(name)s has no coupon code of this campaign.") % {"name": recipient.name},
        name="coupon_code",
    )


def _coupon_load(load: FieldsLoad) -> list[str]:
    campaign = _campaign(load)
    if campaign is None:
        return [str(NO_CAMPAIGN) % {"field": "coupon_code"}]
    ids = [r.creator_id for r in load.recipients]
    if load.mode == WRITE:
        codes = coupons_assign_many(
            actor=_author(load), campaign=campaign, creator_ids=ids, all_or_none=False
        )
        have = {creator_id: code.code for creator_id, code in codes.items()}
    else:
        have = dict(
            CouponCode.objects.filter(campaign=campaign, creator_id__among=ids).values_list(
                "creator_id", "code"
            )
        )
    for recipient in load.recipients:
        if recipient.creator_id in have:
            recipient.extra["coupon_code"] = have[recipient.creator_id]
        elif load.mode == PREVIEW:
            recipient.extra["coupon_code"] = _("(a code from the pool)")
    if load.mode != PREVIEW:
        return []
    missing = len([i for i in ids if i not in have])
    free = pool_stats(campaign=campaign).free if missing else 0
    if missing > free:
        return [
            _(
                "The coupon pool of %(campaign)s has %(free)d free codes; %(needed)d "
                "recipients need one. Add codes in the campaign's settings."
            )
            % {"campaign": campaign.name, "free": free, "needed": missing}
        ]
    return []


# --- tracking_link -------------------------------------------------------------------------


class TrackingLinkField:
    """`{{ tracking_link("https://…") }}` → the recipient's link to that address;
    `{{ tracking_link }}` → their latest link in the campaign."""

    def __init__(self, name: str, by_destination: dict[str, str], latest: str, stand_in: str):
        self._name = name
        self._by_destination = by_destination
        self._latest = latest
        self._stand_in = stand_in

    def __call__(self, destination: Any = None) -> str:
        url = self._by_destination.get(str(destination)) or self._stand_in
        if not url:
            raise ValueError(
                _("%(name)s has no tracking link to %(destination)s.")
                % {"name": self._name, "destination": destination}
            )
        return url

    def __str__(self) -> str:
        if not self._latest:
            raise ValueError(
                _("%(name)s has no tracking link in this campaign.") % {"name": self._name}
            )
        return self._latest


def _link_calls(sources: list[str]) -> tuple[list[str], list[str]]:
    """The destinations `tracking_link("…")` is called with in the templates, and the
    problems of its calls (not one address in quotes, not an http(s) address)."""
    destinations: list[str] = []
    problems: list[str] = []
    usage = _('Write {{ tracking_link("https://shop.example/page") }} with the address in quotes.')
    for source in sources:
        try:
            tree = parse(source)
        except Exception:  # a syntax error: templates_check reports it
            continue
        for call in tree.find_all(nodes.Call):
            if not (isinstance(call.node, nodes.Name) and call.node.name == "tracking_link"):
                continue
            args = call.args
            if len(args) != 1 or call.kwargs or not isinstance(args[0], nodes.Const):
                problems.append(usage)
                continue
            value = args[0].value
            try:
                destinations.append(destination_clean(str(value)))
            except ValidationFailed as exc:
                problems += [m for messages in exc.errors.values() for m in messages]
    return list(dict.fromkeys(destinations)), list(dict.fromkeys(problems))


def _link_value(recipient: Any) -> Any:
    return recipient.extra.get("tracking_link") or TrackingLinkField(recipient.name, {}, "", "")


def _link_load(load: FieldsLoad) -> list[str]:
    campaign = _campaign(load)
    if campaign is None:
        return [str(NO_CAMPAIGN) % {"field": "tracking_link"}]
    destinations, problems = _link_calls(load.sources)
    if problems:
        return problems
    ids = [r.creator_id for r in load.recipients]
    urls: dict[tuple[int, str], str] = {}
    if load.mode == WRITE:
        author = _author(load)
        for destination in destinations:
            made = links_create_many(
                actor=author, campaign=campaign, creator_ids=ids, destination=destination
            )
            urls.update({(c, destination): link_url(link) for c, link in made.items()})
    latest: dict[int, str] = {}
    for creator_id, destination, code in (
        TrackingLink.objects.filter(campaign=campaign, creator_id__among=ids)
        .order_by("creator_id", "created_at", "id")
        .values_list("creator_id", "destination", "code")
    ):
        urls[(creator_id, destination)] = link_url(code)
        latest[creator_id] = link_url(code)
    stand_in = link_stand_in() if load.mode == PREVIEW else ""
    for recipient in load.recipients:
        recipient.extra["tracking_link"] = TrackingLinkField(
            recipient.name,
            {
                d: urls[(recipient.creator_id, d)]
                for d in destinations
                if (recipient.creator_id, d) in urls
            },
            latest.get(recipient.creator_id, ""),
            stand_in,
        )
    return []


field_register(
    PersonalField(
        "coupon_code",
        gettext_lazy("The creator's coupon code of the campaign (given from its pool)"),
        _coupon_value,
        "{{ coupon_code }}",
        load=_coupon_load,
        needs_campaign=True,
    )
)
field_register(
    PersonalField(
        "tracking_link",
        gettext_lazy(
            "The creator's tracking link to an address (made for them); without the address, "
            "their latest link in the campaign"
        ),
        _link_value,
        '{{ tracking_link("https://shop.example/spring") }}',
        load=_link_load,
        needs_campaign=True,
    )
)


# --- Agreements ----------------------------------------------------------------------------


def agreement_render(template: str, campaign: Campaign, creator: Creator) -> str:
    """The agreement template written for one creator with the personal fields (their
    coupon code and links as they are: nothing is made). ValueError says what is wrong."""
    problems = [p.message for p in templates_check(subject="", body=template)]
    if problems:
        raise ValueError(" ".join(problems))
    loaded = recipients_load(
        workspace_id=campaign.workspace_id, creator_ids=[creator.id], campaign=campaign.name
    )
    if not loaded:
        raise ValueError(_("Unknown creator."))
    recipient = loaded[0].recipient
    problems = fields_load(
        workspace_id=campaign.workspace_id,
        campaign_id=campaign.id,
        author_id=None,
        recipients=[recipient],
        sources=[template],
        mode=STRICT,
    )
    if problems:
        raise ValueError(" ".join(problems))
    try:
        return renderer(template)(recipient)
    except RenderError as exc:
        raise ValueError(str(exc)) from exc


agreements.renderer_set(agreement_render)
