"""Bidirectional control characters never reach a stored name or handle (issue 11, finding
5): a creator named "\\u202eKCABLLAC" would show as "CALLBACK", or reverse the rest of its
list row, and pass for someone else."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley.accounts.models import Member
from parley.accounts.services import client_create, user_create, workspace_create
from parley.campaigns.services import campaign_create, campaign_update
from parley.core.bidi import BIDI_CONTROLS, bidi_strip
from parley.creators.models import Identity
from parley.creators.normalize import identity_normalize
from parley.creators.services import (
    creator_create,
    creator_update,
    identity_add,
    tag_get_or_create,
)

pytestmark = pytest.mark.django_db

RLO, LRI, PDI = "\u202e", "\u2066", "\u2069"
CONTROLS = list(BIDI_CONTROLS)


def _clean(text: str) -> bool:
    return not any(c in text for c in CONTROLS)


def test_every_embedding_override_and_isolate_is_a_control() -> None:
    expected = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
    assert expected == CONTROLS


@given(st.text(st.sampled_from([*CONTROLS, "a", "ب", " ", "\u200f"]), max_size=30))
def test_bidi_strip_removes_the_controls_and_keeps_everything_else(text: str) -> None:
    out = bidi_strip(text)
    assert _clean(out)
    assert out == "".join(c for c in text if c not in CONTROLS)


def test_creator_names_and_identities_are_stored_without_controls(member: Member) -> None:
    # Given a creator whose name hides a reversed word, and a handle with an isolate
    creator = creator_create(
        workspace=member.workspace,
        name=f"Anna {RLO}KCABLLAC",
        first_name=f"{LRI}Anna{PDI}",
        identities=[("other", f"@{RLO}anna.cast"), ("email", f"anna{RLO}@creators.test")],
    )
    # Then what is stored and shown carries none
    creator.refresh_from_db()
    assert creator.name == "Anna KCABLLAC" and creator.first_name == "Anna"
    values = list(creator.identities.values_list("value", "normalized"))
    assert all(_clean(v) and _clean(n) for v, n in values)
    assert ("anna@creators.test", "anna@creators.test") in values
    # And an update, a link and a handle on their own are cleaned the same way
    creator_update(creator=creator, name=f"{RLO}Ann{PDI}", first_name=f"A{RLO}")
    creator.refresh_from_db()
    assert (creator.name, creator.first_name) == ("Ann", "A")
    identity = identity_add(
        creator=creator, kind="instagram", value=f"@ann{RLO}", url=f"https://x.test/{RLO}a"
    )
    assert (identity.value, identity.normalized, identity.url) == (
        "@ann",
        "ann",
        "https://x.test/a",
    )
    assert identity_normalize(Identity.Kind.TIKTOK, f"{LRI}@ann{PDI}") == "ann"


def test_a_name_of_only_controls_is_empty(member: Member) -> None:
    from parley.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        creator_create(workspace=member.workspace, name=f"{RLO}{PDI} ")
    with pytest.raises(ValidationFailed):
        tag_get_or_create(workspace=member.workspace, name=RLO)


def test_tag_campaign_client_and_workspace_names_carry_no_controls(member: Member) -> None:
    ws = member.workspace
    assert tag_get_or_create(workspace=ws, name=f"vip{RLO}").name == "vip"
    client = client_create(workspace=ws, name=f"{RLO}Acme")
    assert client.name == "Acme"
    campaign = campaign_create(workspace=ws, name=f"Summer {LRI}26{PDI}", client=client)
    assert campaign.name == "Summer 26"
    assert campaign_update(campaign=campaign, name=f"{RLO}Winter").name == "Winter"
    assert workspace_create(name=f"{RLO}Brand", owner=member.user).name == "Brand"


def test_member_names_on_user_creation_carry_no_controls() -> None:
    user = user_create(
        email="new@brand.test",
        password="a-long-password-9",
        first_name=f"{RLO}Mika",
        last_name=f"Virtanen{PDI}",
    )
    assert (user.first_name, user.last_name) == ("Mika", "Virtanen")
