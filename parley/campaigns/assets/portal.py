"""The seam for "has a creator portal account".

Payments and agreements are shown to a creator, and signed, in the creator portal
(parley.portal). A creator has an account once the brand has invited them to it (or they
applied to a campaign from its public page): a PortalAccess row. This module reads it
through the creator's reverse relation, without importing the portal app, which sits above
this one; every caller (services, pages, the API) goes through these functions.
"""

from django.utils.translation import gettext as _

from parley.creators.models import Creator


def creator_has_portal(*, creator: Creator) -> bool:
    """Whether the creator can sign in to the creator portal."""
    return Creator.objects.filter(id=creator.id, portal_access__isnull=False).exists()


def creators_without_portal(*, creator_ids: list[int], chunk: int = 2000) -> int:
    """How many of these creators cannot sign in to the creator portal (in-app messages
    wait there until they can)."""
    return sum(
        Creator.objects.filter(
            id__among=creator_ids[first : first + chunk], portal_access__isnull=True
        ).count()
        for first in range(0, len(creator_ids), chunk)
    )


def portal_access_table() -> str:
    """The table of portal accounts (a row per creator who can sign in, its `creator_id`),
    for a query that reads it beside the assets (the Members tab's, member_assets)."""
    return str(Creator._meta.get_field("portal_access").related_model._meta.db_table)  # type: ignore[union-attr]


def portal_required_message(*, creator: Creator, what: str) -> str:
    """Why an action that needs the portal is refused, in words the team understands."""
    return _(
        "%(name)s has no creator portal account yet: %(what)s are signed and followed in "
        "the portal. Invite them to it from the thread's menu (⋮). Tracking links, coupon "
        "codes, files and gifts can be sent without one."
    ) % {"name": creator.name, "what": what}
