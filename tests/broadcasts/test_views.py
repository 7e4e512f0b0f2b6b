"""Mass message pages: from the inbox selection to the compose page, preview, check, send,
progress and cancel; another workspace's mass message is a 404."""

import pytest
from django.urls import reverse
from django.utils import timezone

from parley.broadcasts.models import Broadcast
from parley.channels.email.models import Mailbox
from parley.inbox.models import Message
from parley.portal.models import PortalAccess, PortalAccount
from tests.factories import CreatorFactory, IdentityFactory, MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def picked(member, make_conversation):  # type: ignore[no-untyped-def]
    conversations = [make_conversation(name=f"Pick {i}") for i in range(3)]
    for c in conversations:
        IdentityFactory(creator=c.creator, value=f"pick{c.creator_id}@creators.test")
    return [c.creator for c in conversations]


def _draft(logged_in, creators, **extra):  # type: ignore[no-untyped-def]
    data = {"action": "broadcast", "creators": [c.id for c in creators], **extra}
    response = logged_in.post(reverse("inbox:bulk"), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return Broadcast.objects.get(id=int(response["HX-Redirect"].split("/")[-3]))


def test_from_the_inbox_selection_to_sent(logged_in, picked, connect, smtp_server):  # type: ignore[no-untyped-def]
    mailbox = connect(access=Mailbox.Access.SEND_ONLY)
    broadcast = _draft(logged_in, picked)
    url = reverse("broadcasts:edit", args=[broadcast.id])
    page = logged_in.get(url).content.decode()
    assert "Mass message to 3 creators" in page and "{{ first_name }}" in page
    # Without a campaign, the fields that would be blank or refused are not offered.
    assert "{{ campaign }}" not in page and "{{ coupon_code }}" not in page
    # A custom field is shown as the creators' own fields are named (they have none here).
    assert "{{ custom.shoe_size }}" in page and "custom-example" not in page
    picked[0].custom_fields = {"City": "Oulu", "Shirt size": "M"}
    picked[0].save()
    page = logged_in.get(url).content.decode()
    assert '"custom-example">{{ custom.City }}<' in page
    assert '"custom-example">{{ custom[&quot;Shirt size&quot;] }}<' in page
    assert "shoe_size" not in page
    form = {"channel": "email", "mailbox": mailbox.id, "subject": "Hi {{ first_name }}"}
    form["body"] = "Hello {{ name }}"
    saved = logged_in.post(url, {**form, "action": "save"}).content.decode()
    assert 'data-testid="preview-subject">Hi Pick' in saved
    checked = logged_in.post(url, {**form, "action": "check"}).content.decode()
    assert "Ready: 3 creators get it." in checked
    sent = logged_in.post(url, {**form, "action": "send"})
    assert sent.status_code == 302 and sent["Location"].endswith(f"/{broadcast.id}/")
    broadcast.refresh_from_db()
    assert broadcast.state == Broadcast.State.PREPARING
    detail = logged_in.get(sent["Location"]).content.decode()
    assert 'data-testid="progress"' in detail and "every 3s" in detail


def test_progress_shows_cancel_while_going_out_and_stops_when_done(logged_in, picked):  # type: ignore[no-untyped-def]
    broadcast = _draft(logged_in, picked)
    Broadcast.objects.filter(id=broadcast.id).update(state=Broadcast.State.SENDING)
    url = reverse("broadcasts:detail", args=[broadcast.id])
    # The live part (polled) holds the counts and the cancel button, so both change together.
    live = logged_in.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert live.startswith('<div id="progress" hx-get=') and 'hx-swap="outerHTML"' in live
    assert 'data-testid="cancel-broadcast"' in live
    Broadcast.objects.filter(id=broadcast.id).update(state=Broadcast.State.DONE)
    done = logged_in.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert done.startswith('<div id="progress">') and "hx-get" not in done
    assert 'data-testid="cancel-broadcast"' not in done
    page = logged_in.get(url).content.decode()
    assert 'data-testid="cancel-broadcast"' not in page and "every 3s" not in page
    # A cancel that comes too late is refused as an error, not shown as a success.
    refused = logged_in.post(reverse("broadcasts:cancel", args=[broadcast.id]), follow=True)
    html = refused.content.decode()
    assert '<p class="error" role="alert">Only a mass message that is still going out' in html


def test_problems_are_shown_on_the_form_and_nothing_is_sent(logged_in, picked, connect):  # type: ignore[no-untyped-def]
    mailbox = connect(access=Mailbox.Access.SEND_ONLY)
    broadcast = _draft(logged_in, picked)
    response = logged_in.post(
        reverse("broadcasts:edit", args=[broadcast.id]),
        {
            "channel": "email",
            "mailbox": mailbox.id,
            "subject": "{{ nope }}",
            "body": "{% for %}",
            "action": "send",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Unknown field “nope”" in html and "Line 1:" in html
    assert not Message.objects.exists()


def test_hostile_values_are_clear_errors(logged_in, picked, connect):  # type: ignore[no-untyped-def]
    mailbox = connect(access=Mailbox.Access.SEND_ONLY)
    broadcast = _draft(logged_in, picked)
    url = reverse("broadcasts:edit", args=[broadcast.id])
    for data in (
        {"subject": "x" * 1000, "body": "b"},
        {"subject": "a\u202eb", "body": "{{ name.__class__.__mro__ }}", "action": "check"},
        {"subject": "s", "body": "b", "mailbox": "99999999999999999999"},
        {"subject": "s", "body": "b", "send_at": "not a date"},
    ):
        response = logged_in.post(
            url, {"channel": "email", "mailbox": mailbox.id, "action": "save", **data}
        )
        assert response.status_code in (200, 400, 404, 422), data


def test_another_workspaces_broadcast_is_404(client, other_member, member, picked):  # type: ignore[no-untyped-def]
    client.force_login(member.user)
    broadcast = _draft(client, picked)
    client.force_login(other_member.user)
    for name in ("detail", "edit"):
        assert client.get(reverse(f"broadcasts:{name}", args=[broadcast.id])).status_code == 404
    assert client.post(reverse("broadcasts:cancel", args=[broadcast.id])).status_code == 404
    assert client.get(reverse("broadcasts:list")).status_code == 200


def test_without_a_mailbox_the_draft_offers_in_app_first(logged_in, picked, connect):  # type: ignore[no-untyped-def]
    url = reverse("broadcasts:edit", args=[_draft(logged_in, picked).id])
    assert 'value="inapp" required id="id_channel_1" checked' in logged_in.get(url).content.decode()
    connect(access=Mailbox.Access.SEND_ONLY)
    assert 'value="email" required id="id_channel_0" checked' in logged_in.get(url).content.decode()


def test_list_without_broadcasts_says_where_to_start(logged_in):  # type: ignore[no-untyped-def]
    html = logged_in.get(reverse("broadcasts:list")).content.decode()
    assert "No mass messages yet" in html and "Mass message…" in html


def test_select_all_that_match_takes_the_filter(logged_in, member, make_conversation):  # type: ignore[no-untyped-def]
    for i in range(4):
        conversation = make_conversation(name=f"Match {i}")
        IdentityFactory(creator=conversation.creator, value=f"m{i}@creators.test")
    other = CreatorFactory(workspace=member.workspace, name="Zed")
    response = logged_in.post(
        reverse("inbox:bulk"),
        {"action": "broadcast", "select_all": "1", "q": "Match"},
        HTTP_HX_REQUEST="true",
    )
    broadcast = Broadcast.objects.get(id=int(response["HX-Redirect"].split("/")[-3]))
    assert len(broadcast.recipient_ids) == 4 and other.id not in broadcast.recipient_ids


def test_a_saved_draft_is_listed_for_its_author_only(logged_in, member, picked, client):  # type: ignore[no-untyped-def]
    empty = _draft(logged_in, picked)  # "Mass message…" makes one before anything is typed
    saved = _draft(logged_in, picked)
    url = reverse("broadcasts:edit", args=[saved.id])
    logged_in.post(url, {"channel": "inapp", "subject": "Spring plans", "action": "save"})

    page = logged_in.get(reverse("broadcasts:list")).content.decode()

    assert page.count('data-testid="draft"') == 1 and "No mass messages yet" not in page
    assert f'href="{url}">Spring plans<' in page
    # an in-app draft without a subject is named by its text
    logged_in.post(url, {"channel": "inapp", "body": "Hello {{ first_name }}", "action": "save"})
    assert f'href="{url}">Hello {{{{ first_name }}}}<' in (
        logged_in.get(reverse("broadcasts:list")).content.decode()
    )
    assert reverse("broadcasts:edit", args=[empty.id]) not in page
    # a teammate does not see it among theirs
    client.force_login(MemberFactory(workspace=member.workspace).user)
    assert 'data-testid="draft"' not in client.get(reverse("broadcasts:list")).content.decode()


def test_the_check_names_a_custom_field_nobody_has_and_in_app_recipients_without_portal(
    logged_in, picked
):  # type: ignore[no-untyped-def]
    picked[0].custom_fields = {"city": "Oulu"}
    picked[0].save()
    broadcast = _draft(logged_in, picked)
    url = reverse("broadcasts:edit", args=[broadcast.id])
    form = {"channel": "inapp", "subject": "", "action": "check"}

    typo = logged_in.post(url, {**form, "body": "From {{ custom.cty }} {{ custom['city'] }}"})

    assert typo.status_code == 422
    assert "None of these creators has the custom field “cty”. Theirs: city." in (
        typo.content.decode()
    )
    # a field only some have is fine (empty for the others), and in-app recipients without a
    # portal account are told about, not refused
    PortalAccess.objects.create(
        workspace=picked[1].workspace,
        creator=picked[1],
        account=PortalAccount.objects.create(email="pick1@creators.test"),
        invited_at=timezone.now(),
    )
    ok = logged_in.post(url, {**form, "body": "From {{ custom.city }}"}).content.decode()
    assert "Ready: 3 creators get it." in ok
    assert "2 of them have no creator portal account yet" in ok
