"""The inbox filter set: one definition for the HTML list and the API list."""

from dataclasses import dataclass, field

from django.http import QueryDict
from django.utils.translation import gettext as _

from parley.core.errors import ValidationFailed
from parley.core.text import has_nul, id_or_none

MAX_QUERY = 100


@dataclass(frozen=True)
class InboxFilters:
    campaign: int | None = None  # the drop-down: one campaign, or all creators
    campaigns: tuple[int, ...] = field(default_factory=tuple)
    tags: tuple[int, ...] = field(default_factory=tuple)
    clients: tuple[int, ...] = field(default_factory=tuple)
    unread: bool = False
    assigned_to_me: bool = False
    awaiting: bool = False
    q: str = ""

    @property
    def is_empty(self) -> bool:
        return self == InboxFilters()

    def to_query(self) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        if self.campaign:
            pairs.append(("campaign", str(self.campaign)))
        pairs += [("campaigns", str(i)) for i in self.campaigns]
        pairs += [("tags", str(i)) for i in self.tags]
        pairs += [("clients", str(i)) for i in self.clients]
        for name in ("unread", "assigned_to_me", "awaiting"):
            if getattr(self, name):
                pairs.append((name, "1"))
        if self.q:
            pairs.append(("q", self.q))
        return pairs


# At most this many ids in one list filter (a page offers a checkbox per campaign, tag or
# client; the API schema states the same bound).
MAX_FILTER_IDS = 200


def _ids(values: list[str], name: str) -> tuple[int, ...]:
    """Ids from repeated query values; anything that is not an id (1 to 2**63-1) is an
    error, never an OverflowError in the database driver."""
    ids = {id_or_none(v) for v in values if v != ""}
    if None in ids:
        raise ValidationFailed({name: [_("Expected a list of ids.")]})
    if len(ids) > MAX_FILTER_IDS:
        raise ValidationFailed(
            {name: [_("At most %(n)d ids in one filter.") % {"n": MAX_FILTER_IDS}]}
        )
    return tuple(sorted(i for i in ids if i is not None))


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "on", "yes")


def filters_from_query(query: QueryDict) -> InboxFilters:
    campaign_raw = query.get("campaign") or ""
    campaign = _ids([campaign_raw], "campaign")
    q = (query.get("q") or "").strip()
    if len(q) > MAX_QUERY:
        raise ValidationFailed({"q": [_("Search is limited to 100 characters.")]})
    if has_nul(q):
        raise ValidationFailed({"q": [_("Remove the NUL character from the search.")]})
    return InboxFilters(
        campaign=campaign[0] if campaign else None,
        campaigns=_ids(query.getlist("campaigns"), "campaigns"),
        tags=_ids(query.getlist("tags"), "tags"),
        clients=_ids(query.getlist("clients"), "clients"),
        unread=_flag(query.get("unread")),
        assigned_to_me=_flag(query.get("assigned_to_me")),
        awaiting=_flag(query.get("awaiting")),
        q=q,
    )
