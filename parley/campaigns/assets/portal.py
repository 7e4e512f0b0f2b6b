"""The seam for "has a creator portal account".

Payments and agreements are shown to a creator, and signed, in the creator portal
(parley.portal). A creator has an account once the brand has invited them to it (or they
applied to a campaign from its public page): a PortalAccess row. This module reads it
through the creator's reverse relation, without importing the portal app, which sits above
this one; every caller (services, pages, the API) goes through these functions.
"""

from collections.abc import Iterable

from django.utils.translation import gettext as _

from parley.creators.models import Creator


def creator_has_portal(*, creator: Creator) -> bool:
    """Whether the creator can sign in to the creator portal."""
    return Creator.objects.filter(id=creator.id, portal_access__isnull=False).exists()


def creators_with_portal(*, creator_ids: Iterable[int]) -> set[int]:
    """Those of the creators who can sign in to the portal (one query)."""
    ids = list(creator_ids)
    if not ids:
        return set()
    return set(
        Creator.objects.filter(id__in=ids, portal_access__isnull=False).values_list("id", flat=True)
    )


def portal_required_message(*, creator: Creator, what: str) -> str:
    """Why an action that needs the portal is refused, in words the team understands."""
    return _(
        "%(name)s has no creator portal account yet: %(what)s are signed and followed in "
        "the portal. Invite them to it from the thread's menu (⋮). Tracking links, coupon "
        "codes, files and gifts can be sent without one."
    ) % {"name": creator.name, "what": what}
