"""The seam for "has a creator portal account".

Payments and agreements are shown to a creator, and signed, in the creator portal (the
next issue). Until it exists no creator has an account, so both selectors answer "no"; the
portal replaces their bodies with a look-up of its accounts, and every caller (services,
pages, the API) already goes through them.
"""

from collections.abc import Iterable

from django.utils.translation import gettext as _

from parley.creators.models import Creator


def creator_has_portal(*, creator: Creator) -> bool:
    """Whether the creator can sign in to the creator portal. False until it exists."""
    return False


def creators_with_portal(*, creator_ids: Iterable[int]) -> set[int]:
    """Those of the creators who can sign in to the portal (one query once it exists)."""
    return set()


def portal_required_message(*, creator: Creator, what: str) -> str:
    """Why an action that needs the portal is refused, in words the team understands."""
    return _(
        "%(name)s has no creator portal account yet: %(what)s are signed and followed in "
        "the portal. Tracking links, coupon codes, files and gifts can be sent without one."
    ) % {"name": creator.name, "what": what}
