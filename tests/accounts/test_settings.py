"""Settings → General: the workspace's name, kind, time zone and search language."""

import re

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

pytestmark = pytest.mark.django_db

URL = "accounts:settings_general"


def test_admin_sets_the_time_zone(logged_in, member):  # type: ignore[no-untyped-def]
    page = logged_in.get(reverse(URL))
    assert page.status_code == 200 and 'name="time_zone"' in page.content.decode()
    response = logged_in.post(
        reverse(URL),
        {
            "name": "Brand Oy",
            "kind": "agency",
            "time_zone": "Europe/Helsinki",
            "search_language": "simple",
        },
    )
    assert response.status_code == 302
    member.workspace.refresh_from_db()
    assert (member.workspace.name, member.workspace.kind, member.workspace.time_zone) == (
        "Brand Oy",
        "agency",
        "Europe/Helsinki",
    )


def test_the_time_zones_offered_are_the_current_names(logged_in, member):  # type: ignore[no-untyped-def]
    html = logged_in.get(reverse(URL)).content.decode()
    offered = set(re.findall(r'<option value="([^"]+)"', html))
    assert {"UTC", "Europe/Helsinki", "Europe/Kyiv", "Europe/Stockholm", "America/New_York"} <= (
        offered
    )
    # Old and backward names are left out of the list: one name for each place.
    assert not offered & {"Europe/Kiev", "US/Eastern", "EST5EDT", "Asia/Calcutta", "GB", "Zulu"}
    assert '<option value="America/New_York">America/New York</option>' in html


def test_a_workspace_on_an_old_name_keeps_it_and_can_save(logged_in, member):  # type: ignore[no-untyped-def]
    member.workspace.time_zone = "US/Eastern"
    member.workspace.save(update_fields=["time_zone"])
    html = logged_in.get(reverse(URL)).content.decode()
    assert 'value="US/Eastern" selected' in html
    data = {"name": "Brand", "kind": "brand", "time_zone": "US/Eastern"}
    response = logged_in.post(reverse(URL), {"search_language": "simple", **data})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "data, field",
    [
        ({"name": "", "kind": "brand", "time_zone": "UTC"}, "name"),
        ({"name": "x" * 121, "kind": "brand", "time_zone": "UTC"}, "name"),
        ({"name": "Brand", "kind": "brand", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"name": "Brand", "kind": "alien", "time_zone": "UTC"}, "kind"),
        (
            {"name": "Brand", "kind": "brand", "time_zone": "UTC", "search_language": "x"},
            "search_language",
        ),
    ],
)
def test_bad_values_are_explained_and_change_nothing(logged_in, member, data, field):  # type: ignore[no-untyped-def]
    before = member.workspace.name
    response = logged_in.post(reverse(URL), {"search_language": "simple", **data})
    assert response.status_code == 422
    html = response.content.decode()
    assert f'data-field="{field}"' in html and 'class="error"' in html
    member.workspace.refresh_from_db()
    assert member.workspace.name == before and member.workspace.time_zone == "UTC"


def test_a_new_search_language_queues_the_reindex_of_the_messages(
    logged_in, member, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    data = {"name": "Brand", "kind": "brand", "time_zone": "UTC", "search_language": "german"}
    with django_capture_on_commit_callbacks(execute=True):
        assert logged_in.post(reverse(URL), data).status_code == 302
    member.workspace.refresh_from_db()
    assert member.workspace.search_language == "german"
    queued = DBTaskResult.objects.filter(task_path__endswith="message_search_reindex_task")
    assert [r.args_kwargs["args"] for r in queued] == [[member.workspace_id]]
    with django_capture_on_commit_callbacks(execute=True):
        assert logged_in.post(reverse(URL), data).status_code == 302
    assert queued.count() == 1  # unchanged: nothing to redo


def test_a_plain_member_sees_the_settings_but_cannot_change_them(client, teammate):  # type: ignore[no-untyped-def]
    client.force_login(teammate.user)
    page = client.get(reverse(URL)).content.decode()
    assert "Only an owner or admin" in page and 'name="time_zone"' not in page
    response = client.post(reverse(URL), {"name": "Hijack", "kind": "brand", "time_zone": "UTC"})
    assert response.status_code == 403
    teammate.workspace.refresh_from_db()
    assert teammate.workspace.name != "Hijack"


def test_settings_are_in_the_main_navigation(logged_in):  # type: ignore[no-untyped-def]
    html = logged_in.get(reverse("inbox:list")).content.decode()
    assert f'href="{reverse("accounts:settings")}"' in html
    assert logged_in.get(reverse("accounts:settings")).status_code == 302
