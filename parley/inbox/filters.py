"""The inbox filter set: one definition for the HTML list and the API list."""

from dataclasses import dataclass, field

from django.http import QueryDict
from django.utils.translation import gettext as _

from parley.core.errors import ValidationFailed


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


def _ids(values: list[str], name: str) -> tuple[int, ...]:
    try:
        return tuple(sorted({int(v) for v in values if v != ""}))
    except ValueError as exc:
        raise ValidationFailed({name: [_("Expected a list of ids.")]}) from exc


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "on", "yes")


def filters_from_query(query: QueryDict) -> InboxFilters:
    campaign_raw = query.get("campaign") or ""
    campaign = _ids([campaign_raw], "campaign")
    q = (query.get("q") or "").strip()
    if len(q) > 100:
        raise ValidationFailed({"q": [_("Search is limited to 100 characters.")]})
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
