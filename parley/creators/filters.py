"""The Creators list's filter set and sort: one definition for the page, the export and
the API."""

from dataclasses import dataclass, field

from django.http import QueryDict
from django.utils.translation import gettext as _

from parley.core.errors import ValidationFailed
from parley.core.text import has_nul, id_or_none

# Sort keys: the column, ascending; "-" in front for descending.
SORTS = ("name", "-name", "followers", "-followers", "added", "-added")
DEFAULT_SORT = "name"
# Selected creators (ticked one by one) that the export and bulk actions take by id.
MAX_SELECTED = 500
# The inbox's bounds (inbox.filters), repeated: creators sits below the inbox.
MAX_QUERY = 100
MAX_FILTER_IDS = 200


def _ids(values: list[str], name: str, cap: int = MAX_FILTER_IDS) -> tuple[int, ...]:
    """Ids from repeated query values; anything that is not an id is an error."""
    ids = {id_or_none(v) for v in values if v != ""}
    if None in ids:
        raise ValidationFailed({name: [_("Expected a list of ids.")]})
    if len(ids) > cap:
        raise ValidationFailed({name: [_("At most %(n)d ids in one filter.") % {"n": cap}]})
    return tuple(sorted(i for i in ids if i is not None))


@dataclass(frozen=True)
class CreatorFilters:
    q: str = ""
    tags: tuple[int, ...] = field(default_factory=tuple)
    campaigns: tuple[int, ...] = field(default_factory=tuple)
    clients: tuple[int, ...] = field(default_factory=tuple)
    sort: str = DEFAULT_SORT

    @property
    def is_empty(self) -> bool:
        return not (self.q or self.tags or self.campaigns or self.clients)

    def to_query(self, *, with_sort: bool = True) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        if self.q:
            pairs.append(("q", self.q))
        pairs += [("tags", str(i)) for i in self.tags]
        pairs += [("campaigns", str(i)) for i in self.campaigns]
        pairs += [("clients", str(i)) for i in self.clients]
        if with_sort and self.sort != DEFAULT_SORT:
            pairs.append(("sort", self.sort))
        return pairs


def creator_filters_from_query(query: QueryDict) -> CreatorFilters:
    q = (query.get("q") or "").strip()
    if len(q) > MAX_QUERY:
        raise ValidationFailed({"q": [_("Search is limited to 100 characters.")]})
    if has_nul(q):
        raise ValidationFailed({"q": [_("Remove the NUL character from the search.")]})
    sort = query.get("sort") or DEFAULT_SORT
    if sort not in SORTS:
        raise ValidationFailed({"sort": [_("Sort by name, followers or added.")]})
    return CreatorFilters(
        q=q,
        tags=_ids(query.getlist("tags"), "tags"),
        campaigns=_ids(query.getlist("campaigns"), "campaigns"),
        clients=_ids(query.getlist("clients"), "clients"),
        sort=sort,
    )


def selected_ids(query: QueryDict) -> list[int]:
    """Creators ticked one by one (`creators` values), at most MAX_SELECTED."""
    return list(_ids(query.getlist("creators"), "creators", cap=MAX_SELECTED))
