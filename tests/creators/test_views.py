"""The Creators pages: the list (empty state, filters, sort each way, paging, pinned query
counts), adding by hand with duplicates pointed out, the profile, starting a conversation,
bulk actions, export (streamed, defused, round-tripping through import), the import pages,
and another workspace's ids (404, nothing changed)."""

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from parley.creators.imports import creator_import_run
from parley.creators.models import Creator, CreatorImport, CreatorTag, Identity
from parley.creators.normalize import MAX_HANDLE, MAX_VALUE
from parley.creators.services import MAX_FIRST_NAME, MAX_NAME, creator_add, creator_create
from parley.inbox.models import Conversation, InboxEntry
from tests.factories import (
    CampaignFactory,
    CampaignMemberFactory,
    ClientFactory,
    CreatorFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def _names(html: str) -> list[str]:
    import re

    return re.findall(r'<td class="name"><a href="[^"]+">([^<]+)</a>', html)


@pytest.fixture
def many(member):  # type: ignore[no-untyped-def]
    """60 creators with followers, a tag on the even ones, a campaign (of a client) on 3."""
    ws = member.workspace
    tag = TagFactory(workspace=ws, name="even")
    client = ClientFactory(workspace=ws, name="Acme")
    campaign = CampaignFactory(workspace=ws, name="Spring", client=client)
    creators = []
    for i in range(60):
        creator = creator_add(
            workspace=ws,
            name=f"Creator {i:02d}",
            identities=[("email", f"c{i}@example.com"), ("instagram", f"@insta{i}")],
            followers=(i * 37) % 1000 + 1,
        )
        creators.append(creator)
        if i % 2 == 0:
            CreatorTag.objects.create(tag=tag, creator=creator)
    for creator in creators[:3]:
        CampaignMemberFactory(campaign=campaign, creator=creator)
    return {"creators": creators, "tag": tag, "campaign": campaign, "client": client}


def test_new_workspace_says_what_to_do_first(logged_in):
    html = logged_in.get(reverse("creators:list")).content.decode()
    assert 'data-testid="creators-empty"' in html
    for link in (reverse("creators:import"), reverse("creators:new"), reverse("email:settings")):
        assert link in html
    inbox = logged_in.get(reverse("inbox:list")).content.decode()
    assert reverse("creators:import") in inbox and reverse("email:settings") in inbox


def test_list_shows_creators_without_a_conversation_and_pages(logged_in, many):
    html = logged_in.get(reverse("creators:list")).content.decode()
    names = _names(html)
    assert names == [f"Creator {i:02d}" for i in range(50)]
    assert not Conversation.objects.exists()
    assert "c0@example.com" in html and "@insta0" in html and "even" in html
    # the next page through the cursor of "Load more"
    import re

    next_url = re.search(r'hx-get="(/creators/rows/\?[^"]+)"', html).group(1)  # type: ignore[union-attr]
    rest = logged_in.get(next_url.replace("&amp;", "&")).content.decode()
    assert _names(rest) == [f"Creator {i:02d}" for i in range(50, 60)]
    assert "load-more" not in rest


def test_follower_counts_are_grouped_in_the_readers_language(logged_in, member):  # type: ignore[no-untyped-def]
    creator = CreatorFactory(workspace=member.workspace, name="Big Audience", followers=545049)
    page = logged_in.get(reverse("creators:list")).content.decode()
    assert ">545,049<" in page
    german = logged_in.get(reverse("creators:list"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert ">545.049<" in german
    profile = logged_in.get(reverse("creators:detail", args=[creator.id])).content.decode()
    assert "545,049 followers" in profile


@pytest.mark.parametrize(
    ("sort", "key", "reverse_"),
    [
        ("name", lambda c: (c.name, c.id), False),
        ("-name", lambda c: (c.name, c.id), True),
        ("followers", lambda c: (c.followers, c.id), False),
        ("-followers", lambda c: (c.followers, c.id), True),
        ("added", lambda c: (c.created_at, c.id), False),
        ("-added", lambda c: (c.created_at, c.id), True),
    ],
)
def test_each_sort_pages_through_all_in_order(logged_in, many, sort, key, reverse_):
    expected = [c.name for c in sorted(Creator.objects.all(), key=key, reverse=reverse_)]
    seen: list[str] = []
    url = reverse("creators:rows") + f"?sort={sort}"
    import re

    while url:
        html = logged_in.get(url).content.decode()
        seen += _names(html)
        found = re.search(r'hx-get="(/creators/rows/\?[^"]+)"', html)
        url = found.group(1).replace("&amp;", "&") if found else ""
    assert seen == expected


def test_filters_by_tag_campaign_client_and_search(logged_in, many):
    rows = reverse("creators:rows")
    tag = many["tag"].id
    assert len(_names(logged_in.get(rows, {"tags": tag}).content.decode())) == 30
    assert _names(logged_in.get(rows, {"campaigns": many["campaign"].id}).content.decode()) == [
        "Creator 00",
        "Creator 01",
        "Creator 02",
    ]
    by_client = logged_in.get(rows, {"clients": many["client"].id, "tags": tag})
    assert _names(by_client.content.decode()) == ["Creator 00", "Creator 02"]
    assert _names(logged_in.get(rows, {"q": "insta17"}).content.decode()) == ["Creator 17"]
    assert "no-match" in logged_in.get(rows, {"q": "nobody-like-this"}).content.decode()


@pytest.mark.parametrize("sort", ["name", "-name", "followers", "-followers", "added", "-added"])
def test_query_counts_are_pinned(logged_in, many, sort, django_assert_num_queries):
    rows = reverse("creators:rows")
    # session, user, memberships; the page, its identities, its tags, its latest Fetch
    # Email requests
    with django_assert_num_queries(7):
        logged_in.get(rows, {"sort": sort})
    # + the filter's ids checked, + the tag's set sized
    with django_assert_num_queries(9):
        logged_in.get(rows, {"sort": sort, "tags": many["tag"].id})
    # + the search term looked up in the trigram index
    with django_assert_num_queries(8):
        logged_in.get(rows, {"sort": sort, "q": "creator 1"})
    # the whole page: + filter options, + mailboxes needing re-authorisation
    with django_assert_num_queries(9):
        logged_in.get(reverse("creators:list"), {"sort": sort})


def test_bad_filters_are_400_and_foreign_ids_404(logged_in, many, other_member):
    rows = reverse("creators:rows")
    assert logged_in.get(rows, {"sort": "evil"}).status_code == 400
    assert logged_in.get(rows, {"cursor": "nope"}).status_code == 400
    assert logged_in.get(rows, {"tags": "2" * 30}).status_code == 400
    foreign = TagFactory(workspace=other_member.workspace)
    assert logged_in.get(rows, {"tags": foreign.id}).status_code == 404
    assert logged_in.get(reverse("creators:export"), {"tags": foreign.id}).status_code == 404


def test_add_a_creator_by_hand(logged_in, member):
    response = logged_in.post(
        reverse("creators:new"),
        {
            "name": "Jane Doe",
            "emails": "jane@example.com, jd@example.com",
            "phones": "+358 40 123 4567",
            "instagram": "https://instagram.com/jane.doe",
            "tags": "vip, summer",
            "custom_fields": "Size: M\nCity: Oulu",
            "followers": "1200",
            "preferred_channel": "email",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    creator = Creator.objects.get(name="Jane Doe")
    assert response["Location"] == reverse("creators:detail", args=[creator.id])
    assert creator.custom_fields == {"Size": "M", "City": "Oulu"} and creator.followers == 1200
    assert set(creator.identities.values_list("normalized", flat=True)) == {
        "jane@example.com",
        "jd@example.com",
        "+358401234567",
        "jane.doe",
    }
    assert {t.tag.name for t in creator.creator_tags.all()} == {"vip", "summer"}


def test_a_duplicate_email_or_handle_links_to_the_creator_who_has_it(logged_in, member):
    jane = creator_create(
        workspace=member.workspace, name="Jane", identities=[("email", "jane@example.com")]
    )
    response = logged_in.post(
        reverse("creators:new"),
        {"name": "Copy", "emails": "JANE@example.com", "preferred_channel": "email"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert f'href="{reverse("creators:detail", args=[jane.id])}"' in html
    assert 'data-testid="duplicate-link">Jane</a>' in html
    assert Creator.objects.count() == 1
    bad = logged_in.post(
        reverse("creators:new"), {"name": "", "emails": "nope", "preferred_channel": "email"}
    )
    assert bad.status_code == 422 and Creator.objects.count() == 1


def _field_errors(html: str) -> dict[str, list[str]]:
    """The errors the add form shows, by field ("" for those on top of the form)."""
    import re
    from html import unescape

    found: dict[str, list[str]] = {}
    top = re.search(r'<div class="errors form-errors"[^>]*>(.*?)</div>', html, re.S)
    if top:
        found[""] = [unescape(m) for m in re.findall(r"<p>(.*?)</p>", top.group(1), re.S)]
    for row in re.split(r'(?=<div class="form-row)', html)[1:]:
        name = re.search(r'data-field="([^"]+)"', row).group(1)  # type: ignore[union-attr]
        errors = re.findall(r'<p class="error" role="alert">(.*?)</p>', row, re.S)
        if errors:
            found[name] = [unescape(re.sub(r"<[^>]+>", "", e)) for e in errors]
    return found


@pytest.mark.parametrize(
    ("language", "intro"),
    [
        ("en", "if one you enter already belongs to another creator, the form says so"),
        ("de", "Gehört eine Angabe, die du eingibst, schon einem anderen Creator"),
        ("fi", "jos antamasi tieto kuuluu jo toiselle sisällöntuottajalle"),
    ],
)
def test_add_form_says_plainly_that_a_taken_email_is_pointed_out(logged_in, language, intro):
    html = logged_in.get(reverse("creators:new"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert intro in html
    assert "one another creator has already" not in html


def test_add_form_reports_every_problem_on_one_submit(logged_in, member):
    """Given a creator with an email, when the form is sent with a bad follower count, a
    bad email, that creator's email, a bad phone, a long tag and a bad custom field line,
    then each is reported at once, each on its field, and nobody is added."""
    jane = creator_create(
        workspace=member.workspace, name="Jane", identities=[("email", "jane@example.com")]
    )
    response = logged_in.post(
        reverse("creators:new"),
        {
            "name": "Copy",
            "followers": "lots",
            "emails": "nope, JANE@example.com",
            "phones": "+1 234",
            "tags": "fine, " + "t" * 61,
            "custom_fields": "Size: M\nno colon here",
            "preferred_channel": "email",
        },
    )
    assert response.status_code == 422
    errors = _field_errors(response.content.decode())
    assert errors["followers"] == ["Enter a whole number."]
    assert errors["emails"] == [
        "nope: Enter a valid email address.",
        "jane@example.com belongs to Jane already.",
    ]
    assert errors["phones"] == ["+1 234: +1 234 is not a valid phone number."]
    assert errors["tags"] == ["t" * 60 + "…: A tag is at most 60 characters."]
    assert errors["custom_fields"] == ["Line 2: Write each field as name: value."]
    assert f'href="{reverse("creators:detail", args=[jane.id])}"' in response.content.decode()
    assert Creator.objects.count() == 1


def test_add_form_counts_identities_and_custom_fields_with_the_other_problems(logged_in):
    emails = ", ".join(f"c{i}@example.com" for i in range(20))
    response = logged_in.post(
        reverse("creators:new"),
        {
            "name": "",
            "emails": emails,
            "instagram": "@one.more",
            "custom_fields": "\n".join(f"f{i}: v" for i in range(51)),
            "preferred_channel": "email",
        },
    )
    errors = _field_errors(response.content.decode())
    assert errors == {
        "": ["At most 20 emails, phones and handles at once."],
        "name": ["This field is required."],
        "custom_fields": ["At most 50 custom fields."],
    }
    assert not Creator.objects.exists()


def test_a_long_handle_is_told_its_length(logged_in):
    response = logged_in.post(
        reverse("creators:new"),
        {"name": "Long", "instagram": "a" * 5000, "tiktok": "b" * 65, "preferred_channel": "email"},
    )
    assert response.status_code == 422
    errors = _field_errors(response.content.decode())
    assert errors["instagram"] == [f"{'a' * 60}…: A handle is at most {MAX_HANDLE} characters."]
    assert errors["tiktok"] == [f"{'b' * 60}…: A handle is at most {MAX_HANDLE} characters."]
    assert "without spaces" not in response.content.decode()
    # A long handle with characters no handle has is told both.
    both = logged_in.post(
        reverse("creators:new"),
        {"name": "Long", "youtube": "@" + "a!" * 40, "preferred_channel": "email"},
    )
    assert [e.split(": ", 1)[1] for e in _field_errors(both.content.decode())["youtube"]] == [
        f"A handle is at most {MAX_HANDLE} characters.",
        "Enter a handle without spaces, e.g. @jane.doe.",
    ]
    # At the limit it is a handle.
    ok = logged_in.post(
        reverse("creators:new"),
        {"name": "Long", "instagram": "a" * MAX_HANDLE, "preferred_channel": "email"},
    )
    assert ok.status_code == 302
    assert Creator.objects.get().identities.get().normalized == "a" * MAX_HANDLE


def test_add_form_has_no_maxlength_a_browser_would_cut_text_to(logged_in):
    html = logged_in.get(reverse("creators:new")).content.decode()
    assert 'name="name"' in html and 'name="custom_fields"' in html
    assert "maxlength" not in html


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("name", "N" * 5000, f"A name is at most {MAX_NAME} characters."),
        ("first_name", "F" * 81, f"A first name is at most {MAX_FIRST_NAME} characters."),
        (
            "emails",
            "a" * 250 + "@example.com",
            "a" * 60 + f"…: An email address is at most {MAX_VALUE} characters.",
        ),
        ("tags", "t" * 61, "t" * 60 + "…: A tag is at most 60 characters."),
        ("tags", ",".join(f"t{i}" for i in range(51)), "At most 50 tags at once."),
        (
            "custom_fields",
            "Bio: " + "b" * 1001,
            "Line 1: Field names are 1 to 60 characters, values at most 1,000.",
        ),
    ],
)
def test_too_long_text_is_refused_with_its_limit_never_cut(logged_in, field, value, error):
    data = {"name": "Nina", "preferred_channel": "email", field: value}
    response = logged_in.post(reverse("creators:new"), data)
    assert response.status_code == 422
    assert _field_errors(response.content.decode()) == {field: [error]}
    assert not Creator.objects.exists()


def test_add_form_adds_an_email_typed_twice_once(logged_in):
    response = logged_in.post(
        reverse("creators:new"),
        {"name": "Twice", "emails": "t@example.com, T@example.com", "preferred_channel": "email"},
    )
    assert response.status_code == 302
    assert Creator.objects.get().identities.count() == 1


def test_profile_and_start_a_conversation(logged_in, member):
    creator = creator_add(
        workspace=member.workspace,
        name="Ann <b>Bold</b>",
        identities=[("email", "ann@example.com"), ("tiktok", "@ann")],
        tags=["vip"],
        custom_fields={"Size": "S"},
    )
    html = logged_in.get(reverse("creators:detail", args=[creator.id])).content.decode()
    assert "Ann &lt;b&gt;Bold&lt;/b&gt;" in html and "ann@example.com" in html
    assert "@ann" in html and "vip" in html and "Size" in html
    assert "Start a conversation" in html and "ENRICHMENT" not in html
    response = logged_in.post(reverse("creators:conversation", args=[creator.id]))
    conversation = Conversation.objects.get(creator=creator)
    assert response.status_code == 302
    assert response["Location"] == reverse("inbox:conversation", args=[conversation.id])
    assert InboxEntry.objects.filter(conversation=conversation, member=member).exists()
    # again: the same conversation
    logged_in.post(reverse("creators:conversation", args=[creator.id]))
    assert Conversation.objects.count() == 1


def test_bulk_tag_all_that_match_and_mass_message(logged_in, many):
    response = logged_in.post(
        reverse("creators:bulk"),
        {"action": "tag", "bulk_tag_name": "picked", "select_all": "1", "q": "insta1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    tagged = Creator.objects.filter(creator_tags__tag__name="picked")
    assert tagged.count() == 11  # insta1, insta10..19
    picked = [many["creators"][0].id, many["creators"][1].id]
    response = logged_in.post(reverse("creators:bulk"), {"action": "broadcast", "creators": picked})
    assert "/inbox/broadcasts/" in response["HX-Redirect"]
    response = logged_in.post(reverse("creators:bulk"), {"action": "export", "creators": picked})
    assert response["HX-Redirect"].startswith(reverse("creators:export") + "?creators=")


def _start(client: Any, imp: CreatorImport) -> None:
    """Post the mapping form as the browser sends it (the guessed mapping), with Import."""
    data = {"action": "import"}
    for column, target in imp.mapping.items():
        custom = target.startswith("custom:")
        data[f"col_{column}_0"] = "custom" if custom else target
        data[f"col_{column}_1"] = target.removeprefix("custom:") if custom else ""
    response = client.post(reverse("creators:import_detail", args=[imp.id]), data)
    assert response.status_code == 302, response.content.decode()[-2000:]


def _export(client: Any, **query: Any) -> str:
    response = client.get(reverse("creators:export"), query)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    return b"".join(response.streaming_content).decode()


def test_export_defuses_formulas_and_round_trips_through_import(logged_in, member, other_member):
    ws = member.workspace
    campaign = CampaignFactory(workspace=ws, name="Spring")
    a = creator_add(
        workspace=ws,
        name="=cmd|' /C calc'!A0",
        identities=[
            ("email", "a@example.com"),
            ("phone", "+358401234567"),
            ("instagram", "@a.insta"),
        ],
        tags=["-vip", "@team", "plain"],
        custom_fields={"Note": "+1 big", "name": "clash", "Quote": "'already"},
        followers=5000,
    )
    Identity.objects.filter(creator=a, kind="instagram").update(followers=4000)
    CampaignMemberFactory(campaign=campaign, creator=a)
    creator_add(workspace=ws, name="Bob, Jr.", identities=[("tiktok", "bob")])
    first = _export(logged_in)
    rows = list(csv.reader(io.StringIO(first.lstrip("\ufeff"))))
    header = rows[0]
    assert header[:4] == ["name", "first_name", "emails", "phones"]
    assert "field:name" in header and "Note" in header and header[-2:] == ["campaigns", "added"]
    row = dict(zip(header, rows[1], strict=True))  # sorted by name: "=cmd…" first
    assert row["name"] == "'=cmd|' /C calc'!A0"
    assert row["phones"] == "'+358401234567" and row["tags"] == "'-vip, @team, plain"
    assert row["Note"] == "'+1 big" and row["Quote"] == "''already"
    assert row["campaigns"] == "Spring: Invited" and row["instagram_followers"] == "4000"
    # Importing the file back into the same workspace changes nothing
    before = _export(logged_in)
    upload = SimpleUploadedFile("export.csv", first.encode(), content_type="text/csv")
    logged_in.post(reverse("creators:import"), {"file": upload})
    _start(logged_in, CreatorImport.objects.get())
    imp = CreatorImport.objects.get()
    done = creator_import_run(import_id=imp.id)
    assert (done.created, done.updated, done.failed) == (0, 2, 0)
    assert _export(logged_in) == before
    # and into a new workspace it makes the same creators (campaigns and dates aside)
    from django.test import Client

    other = Client()
    other.force_login(other_member.user)
    upload = SimpleUploadedFile("export.csv", first.encode(), content_type="text/csv")
    response = other.post(reverse("creators:import"), {"file": upload})
    assert response.status_code == 302, response.content.decode()[-1500:]
    imp = CreatorImport.objects.get(workspace=other_member.workspace)
    _start(other, imp)
    assert creator_import_run(import_id=imp.id).created == 2

    def strip(text: str) -> list[list[str]]:
        return [r[:-2] for r in csv.reader(io.StringIO(text.lstrip("\ufeff")))]

    assert strip(_export(other)) == strip(first)


def test_export_of_a_selection_and_of_a_filter(logged_in, many):
    picked = [c.id for c in many["creators"][5:8]]
    text = _export(logged_in, creators=picked)
    assert [r[0] for r in csv.reader(io.StringIO(text.lstrip("\ufeff")))][1:] == [
        "Creator 05",
        "Creator 06",
        "Creator 07",
    ]
    tagged = _export(logged_in, tags=many["tag"].id, sort="-name")
    names = [r[0] for r in csv.reader(io.StringIO(tagged.lstrip("\ufeff")))][1:]
    assert names[:2] == ["Creator 58", "Creator 56"] and len(names) == 30


def test_import_pages_from_upload_to_report(logged_in, member):
    creator_create(workspace=member.workspace, name="Anna", identities=[("email", "a@x.com")])
    data = b"Name;Email;Size\r\nGood;good@example.com;M\r\nBad;nope;L\r\nAnna H;a@x.com;S\r\n"
    response = logged_in.post(
        reverse("creators:import"),
        {"file": SimpleUploadedFile("../../evil.csv", data, content_type="text/csv")},
    )
    imp = CreatorImport.objects.get()
    assert response.status_code == 302
    page = logged_in.get(reverse("creators:import_detail", args=[imp.id])).content.decode()
    assert "“nope” is not a valid email address." in page and "New creator" in page
    assert ">Updates Anna and renames them Anna H<" in page
    assert 'value="custom"' in page and "Size" in page
    started = logged_in.post(
        reverse("creators:import_detail", args=[imp.id]),
        {
            "action": "import",
            "col_0_0": "name",
            "col_1_0": "email",
            "col_2_0": "custom",
            "col_2_1": "Shirt size",
        },
    )
    assert started.status_code == 302
    creator_import_run(import_id=imp.id)
    progress = logged_in.get(
        reverse("creators:import_detail", args=[imp.id]), HTTP_HX_REQUEST="true"
    )
    assert progress.status_code == 286  # stop polling
    html = progress.content.decode()
    assert 'data-testid="count-created">1<' in html and "download-failures" in html
    assert Creator.objects.get(name="Good").custom_fields == {"Shirt size": "M"}
    assert Creator.objects.get(name="Anna H").custom_fields == {"Shirt size": "S"}
    failed = logged_in.get(reverse("creators:import_failures", args=[imp.id]))
    text = b"".join(failed.streaming_content).decode().lstrip("\ufeff")
    assert list(csv.reader(io.StringIO(text))) == [
        ["Name", "Email", "Size", "line", "error"],
        ["Bad", "nope", "L", "3", "“nope” is not a valid email address."],
    ]


def test_import_upload_errors_are_shown_and_nothing_kept(logged_in, settings):
    for data, message in [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a CSV file"),
    ]:
        upload = SimpleUploadedFile("x.csv", data, content_type="text/csv")
        response = logged_in.post(reverse("creators:import"), {"file": upload})
        assert response.status_code == 422
        assert message in response.content.decode()
    settings.PARLEY_IMPORT_MAX_BYTES = 10
    upload = SimpleUploadedFile("x.csv", b"Name\r\nA very long file\r\n", content_type="text/csv")
    response = logged_in.post(reverse("creators:import"), {"file": upload})
    assert response.status_code == 422 and "limit" in response.content.decode()
    assert not CreatorImport.objects.exists()


def test_another_workspaces_creator_and_import_are_404_and_change_nothing(
    logged_in, member, other_member
):
    theirs = creator_create(workspace=other_member.workspace, name="Theirs")
    imp = CreatorImport.objects.create(
        workspace=other_member.workspace, filename="x.csv", path="imports/x.csv", headers=["Name"]
    )
    for url in [
        reverse("creators:detail", args=[theirs.id]),
        reverse("creators:import_detail", args=[imp.id]),
        reverse("creators:import_failures", args=[imp.id]),
    ]:
        assert logged_in.get(url).status_code == 404
    assert logged_in.post(reverse("creators:conversation", args=[theirs.id])).status_code == 404
    assert (
        logged_in.post(
            reverse("creators:import_detail", args=[imp.id]), {"action": "import"}
        ).status_code
        == 404
    )
    response = logged_in.post(
        reverse("creators:bulk"), {"action": "tag", "bulk_tag_name": "x", "creators": theirs.id}
    )
    assert response.status_code == 200 and not CreatorTag.objects.exists()
    assert not Conversation.objects.exists()
    imp.refresh_from_db()
    assert imp.state == "mapping"
