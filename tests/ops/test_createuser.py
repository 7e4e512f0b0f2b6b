"""`parley createuser` applies Django's password validators (issue 11, finding 5)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from parley.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
    ],
)
def test_a_weak_password_is_refused_with_the_validators_reason(password: str, why: str) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("createuser", email="ann@brand.io", password=password, workspace="Brand")
    assert why in str(caught.value)
    assert not User.objects.filter(email="ann@brand.io").exists()


def test_a_good_password_creates_the_user_with_a_clean_name() -> None:
    call_command(
        "createuser",
        email="ann@brand.io",
        password="a-long-password-9",
        name="\u202eAnn Lee",
        workspace="Brand",
    )
    user = User.objects.get(email="ann@brand.io")
    assert user.check_password("a-long-password-9")
    assert (user.first_name, user.last_name) == ("Ann", "Lee")
