"""CSV import: the file checks at upload, the mapping, each kind of bad row, matching on
email or handle (against the database and within the file), hostile cells, and a 50,000-row
file through the worker's code."""

import csv
import io
import time
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from parley.core.errors import ValidationFailed
from parley.creators.imports import (
    creator_import_preview,
    creator_import_run,
    creator_import_start,
    creator_import_upload,
)
from parley.creators.models import (
    Creator,
    CreatorImport,
    CreatorImportFailure,
    CreatorTag,
    Identity,
    Tag,
)
from parley.creators.services import creator_create, tag_get_or_create
from tests.factories import TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def _csv(rows: list[list[str]], delimiter: str = ",", bom: bool = False) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


def upload(member: Any, data: bytes, name: str = "creators.csv", **kw: Any) -> CreatorImport:
    return creator_import_upload(
        member=member, upload=SimpleUploadedFile(name, data, content_type="text/csv"), **kw
    )


def run(
    member: Any, data: bytes, mapping: dict[str, str] | None = None, **kw: Any
) -> CreatorImport:
    imp = upload(member, data, **kw)
    creator_import_start(creator_import=imp, mapping=mapping)
    return creator_import_run(import_id=imp.id)


HEADER = ["Name", "Email", "Phone", "Instagram", "TikTok", "Followers", "Tags", "Size"]


def test_happy_path_maps_by_header_and_imports_every_field(member):
    # Given a file with every kind of column (a custom one too)
    data = _csv(
        [
            HEADER,
            [
                "Jane Doe",
                "Jane@Example.com",
                "+358 40 123 4567",
                "@jane.doe",
                "",
                "12.5k",
                "vip, summer",
                "M",
            ],
            [
                "Bob Roe",
                "bob@example.com; bob2@example.com",
                "",
                "https://instagram.com/bobroe/",
                "bob_t",
                "900",
                "vip",
                "",
            ],
        ]
    )
    # When it is uploaded, the columns are guessed from the header
    imp = upload(member, data)
    assert imp.mapping == {
        "0": "name",
        "1": "email",
        "2": "phone",
        "3": "instagram",
        "4": "tiktok",
        "5": "followers",
        "6": "tags",
        "7": "custom:Size",
    }
    # And imported
    creator_import_start(creator_import=imp)
    done = creator_import_run(import_id=imp.id)
    # Then both creators are there with everything
    assert (done.state, done.created, done.updated, done.failed) == ("done", 2, 0, 0)
    assert done.rows_total == done.rows_done == 2
    jane = Creator.objects.get(workspace=member.workspace, name="Jane Doe")
    assert jane.first_name == "Jane" and jane.followers == 12500
    assert jane.custom_fields == {"Size": "M"}
    kinds = {(i.kind, i.normalized, i.is_primary) for i in jane.identities.all()}
    assert kinds == {
        ("email", "jane@example.com", True),
        ("phone", "+358401234567", True),
        ("instagram", "jane.doe", True),
    }
    assert sorted(t.tag.name for t in jane.creator_tags.all()) == ["summer", "vip"]
    bob = Creator.objects.get(name="Bob Roe")
    assert set(bob.identities.values_list("normalized", flat=True)) == {
        "bob@example.com",
        "bob2@example.com",
        "bobroe",
        "bob_t",
    }
    assert "jane@example.com" in jane.search_text and "jane doe" in jane.search_text
    assert Tag.objects.filter(workspace=member.workspace).count() == 2
    # and the stored file is gone
    assert not CreatorImportFailure.objects.exists()


def test_bom_and_semicolons(member):
    data = _csv([["Name", "Email"], ["Åsa Öberg", "asa@example.se"]], delimiter=";", bom=True)
    done = run(member, data)
    assert done.created == 1
    creator = Creator.objects.get()
    assert creator.name == "Åsa Öberg"
    assert creator.identities.get().normalized == "asa@example.se"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"   \r\n\r\n", "The file is empty."),
        (b"Name,Email\r\n", "no rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "not a CSV file"),
        ("Name\r\nJürgen".encode("latin-1"), "not a CSV file"),
        (b"PK\x03\x04\x14\x00\x06\x00", "not a CSV file"),
    ],
)
def test_unreadable_files_are_clear_errors_and_keep_nothing(member, tmp_path, data, message):
    with pytest.raises(ValidationFailed) as caught:
        upload(member, data)
    assert message in str(caught.value)
    assert not CreatorImport.objects.exists()
    assert not list(tmp_path.rglob("*.csv"))


def test_over_the_size_limit(member):
    with override_settings(PARLEY_IMPORT_MAX_BYTES=100), pytest.raises(ValidationFailed) as caught:
        upload(member, _csv([["Name"], *[[f"Creator {i}"] for i in range(50)]]))
    assert "limit" in str(caught.value)
    assert not CreatorImport.objects.exists()


def test_each_kind_of_bad_row_is_reported_and_good_rows_imported(member):
    rows = [
        ["Name", "Email", "Phone", "Instagram", "Followers", "Tags", "Note"],
        ["Good One", "good@example.com", "", "", "", "", ""],
        ["", "noname@example.com", "", "", "", "", ""],
        ["Bad Email", "not-an-email", "", "", "", "", ""],
        ["Bad Phone", "", "+1 555", "", "", "", ""],
        ["Bad Handle", "", "", "has space!", "", "", ""],
        ["Bad Count", "", "", "", "lots", "", ""],
        ["Long Tag", "", "", "", "", "t" * 61, ""],
        ["Long Field", "", "", "", "", "", "x" * 1001],
        ["N" * 161, "", "", "", "", "", ""],
        ["Nul Name", "", "", "", "", "", "a\x00b"],
        ["Good Two", "", "+44 20 7946 0958", "", "", "", ""],
    ]
    done = run(member, _csv(rows))
    assert (done.created, done.failed) == (2, 9)
    reasons = dict(
        CreatorImportFailure.objects.filter(creator_import=done).values_list("line", "reason")
    )
    assert reasons == {
        3: "No name.",
        4: "“not-an-email” is not a valid email address.",
        5: "“+1 555” is not a valid phone number.",
        6: "“space!” is not a valid Instagram handle.",
        7: "“lots” is not a number of followers.",
        8: "A tag is over 60 characters.",
        9: "The custom field “Note” is over 1,000 characters.",
        10: "The name is over 160 characters.",
        11: "A cell holds a NUL character (\\0).",
    }
    failure = CreatorImportFailure.objects.get(line=4)
    assert failure.values == ["Bad Email", "not-an-email", "", "", "", "", ""]
    assert Identity.objects.get(kind="phone").normalized == "+442079460958"


def test_matching_on_email_or_handle_updates_instead_of_duplicating(member):
    # Given creators already here, one with an email and one with a handle
    jane = creator_create(
        workspace=member.workspace,
        name="Jane",
        identities=[("email", "jane@example.com")],
        custom_fields={"Size": "S", "Shoe": "38"},
    )
    bob = creator_create(workspace=member.workspace, name="Bob", identities=[("tiktok", "@bob")])
    TagFactory(workspace=member.workspace, name="vip")
    # When a file names them by email and handle (in another case and form)
    data = _csv(
        [
            ["Name", "Email", "TikTok", "Size", "Tags"],
            ["Jane Doe", "JANE@example.com", "janet", "M", "vip"],
            ["Bobby", "bob@example.com", "https://www.tiktok.com/@Bob", "", ""],
            ["Jane Again", "jane@example.com", "", "", "new"],  # twice in the file
            ["Clash", "jane@example.com", "bob", "", ""],  # belongs to two creators
        ]
    )
    done = run(member, data)
    # Then they are updated, not duplicated; the clash is reported
    assert (done.created, done.updated, done.failed) == (0, 3, 1)
    assert Creator.objects.count() == 2
    jane.refresh_from_db()
    assert jane.name == "Jane Again"
    assert jane.custom_fields == {"Size": "M", "Shoe": "38"}
    assert set(jane.identities.values_list("normalized", flat=True)) == {
        "jane@example.com",
        "janet",
    }
    assert sorted(t.tag.name for t in jane.creator_tags.all()) == ["new", "vip"]
    assert jane.identities.get(kind="tiktok").is_primary
    bob.refresh_from_db()
    assert bob.name == "Bobby"
    assert set(bob.identities.values_list("normalized", flat=True)) == {"bob", "bob@example.com"}
    clash = CreatorImportFailure.objects.get()
    assert clash.line == 5 and "different creators" in clash.reason


def test_duplicates_within_the_file_across_chunks(member, monkeypatch):
    monkeypatch.setattr("parley.creators.imports.CHUNK", 3)
    rows = [["Name", "Email", "Instagram"]]
    rows += [[f"P{i}", f"p{i}@example.com", ""] for i in range(5)]
    rows += [["P1 again", "p1@example.com", "p1insta"], ["P4 again", "", "p1insta"]]
    done = run(member, _csv(rows))
    assert (done.created, done.updated, done.failed) == (5, 2, 0)
    assert Creator.objects.count() == 5
    p1 = Creator.objects.get(identities__normalized="p1insta")
    assert p1.name == "P4 again"


def test_preview_shows_what_each_row_will_do(member):
    creator_create(workspace=member.workspace, name="Jane", identities=[("email", "j@x.com")])
    imp = upload(
        member,
        _csv(
            [
                ["Name", "Email"],
                ["Jane", "j@x.com"],
                ["New", "n@x.com"],
                ["", "z@x.com"],
                ["Jane Doe", "j@x.com"],
            ]
        ),
    )
    rows = creator_import_preview(creator_import=imp, mapping=imp.mapping)
    assert [(r.outcome, r.detail, r.rename) for r in rows] == [
        ("update", "Jane", ""),
        ("new", "", ""),
        ("error", "No name.", ""),
        ("update", "Jane", "Jane Doe"),  # the row renames her: the preview says so
    ]


def test_mapping_problems_are_all_reported(member):
    imp = upload(member, _csv([["A", "B", "C"], ["1", "2", "3"]]))
    with pytest.raises(ValidationFailed) as caught:
        creator_import_start(
            creator_import=imp, mapping={"0": "followers", "1": "followers", "2": "custom:"}
        )
    errors = caught.value.errors["mapping"]
    assert len(errors) == 3 and any("names" in e for e in errors)
    imp.refresh_from_db()
    assert imp.state == "mapping"


def test_hostile_cells_are_stored_as_text_and_names_lose_bidi_controls(member):
    data = _csv(
        [
            ["Name", "Email", "Notes", "Tags"],
            ['=HYPERLINK("http://evil")', "a@example.com", "+1+1", "@admin"],
            ["<script>alert(1)</script>", "b@example.com", "<b>x</b>", "-x"],
            ["\u202eevil\u202c Name", "c@example.com", "x" * 1000, ""],
        ]
    )
    done = run(member, data)
    assert done.created == 3
    names = set(Creator.objects.values_list("name", flat=True))
    assert names == {'=HYPERLINK("http://evil")', "<script>alert(1)</script>", "evil Name"}
    assert Creator.objects.get(name="<script>alert(1)</script>").custom_fields == {
        "Notes": "<b>x</b>"
    }
    assert set(Tag.objects.values_list("name", flat=True)) == {"@admin", "-x"}


def test_a_ten_thousand_character_cell_fails_its_row_only(member):
    data = _csv([["Name", "Email"], ["Ok", "ok@example.com"], ["y" * 10_000, "y@example.com"]])
    done = run(member, data)
    assert (done.created, done.failed) == (1, 1)


def test_upload_name_that_is_a_path_is_only_shown(member, tmp_path):
    imp = upload(member, _csv([["Name"], ["A"]]), name="../../etc/passwd\u202e.csv")
    assert ".." not in imp.path and imp.path.startswith(f"imports/{member.workspace_id}/")
    assert "\u202e" not in imp.filename
    assert (tmp_path / imp.path).exists()


def test_a_run_resumes_after_the_last_chunk_written(member, monkeypatch):
    monkeypatch.setattr("parley.creators.imports.CHUNK", 2)
    imp = upload(member, _csv([["Name", "Email"], *[[f"R{i}", f"r{i}@x.com"] for i in range(5)]]))
    creator_import_start(creator_import=imp)
    calls = {"n": 0}
    real = __import__("parley.creators.imports", fromlist=["_chunk"])._chunk

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker died")
        return real(*args, **kwargs)

    monkeypatch.setattr("parley.creators.imports._chunk", flaky)
    failed = creator_import_run(import_id=imp.id)
    assert failed.state == "failed" and failed.rows_done == 2
    CreatorImport.objects.filter(id=imp.id).update(state="running")
    done = creator_import_run(import_id=imp.id)
    assert (done.state, done.rows_done, done.created) == ("done", 5, 5)
    assert Creator.objects.count() == 5


@pytest.mark.slow
def test_fifty_thousand_rows(member):
    rows = [["Name", "Email", "Instagram", "Followers", "Tags", "City"]]
    rows += [
        [f"Creator {i}", f"c{i}@example.com", f"handle_{i}", str(i), f"t{i % 7}", "Helsinki"]
        for i in range(50_000)
    ]
    rows[100][1] = "broken"
    rows[200][0] = ""
    started = time.perf_counter()
    done = run(member, _csv(rows))
    elapsed = time.perf_counter() - started
    assert (done.created, done.failed) == (49_998, 2)
    assert Identity.objects.filter(workspace=member.workspace).count() == 99_996
    print(f"\n50,000 rows in {elapsed:.1f} s ({50_000 / elapsed:,.0f} rows/s)")


def test_a_stray_quote_fails_its_line_only_and_the_rows_after_it_are_read(member):
    data = (
        b'Name,Email\r\nGood,g@example.com\r\n"Unclosed quote,x@example.com\r\n'
        b'Next,n@example.com\r\n"Two\r\nlines",t@example.com\r\n"abc"def,q@example.com\r\n'
        b'Last,l@example.com\r\n"Open at the end,z@example.com\r\n'
    )

    done = run(member, data)

    assert (done.created, done.failed) == (4, 3)
    assert set(Creator.objects.values_list("name", flat=True)) == {
        "Good",
        "Next",
        "Two\r\nlines",
        "Last",
    }
    failures = {f.line: f.reason for f in CreatorImportFailure.objects.all()}
    assert sorted(failures) == [3, 7, 9]
    assert all('quotes (") do not pair up' in reason for reason in failures.values())


def test_tags_in_another_case_are_the_tags_the_workspace_has(member):
    tag_get_or_create(workspace=member.workspace, name="VIP")
    data = _csv([["Name", "Tags"], ["A", "vip, Summer"], ["B", "summer"], ["C", "Vip"]])

    done = run(member, data)

    assert done.created == 3
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["Summer", "VIP"]
    tagged = {
        (t.creator.name, t.tag.name) for t in CreatorTag.objects.select_related("creator", "tag")
    }
    assert tagged == {("A", "VIP"), ("A", "Summer"), ("B", "Summer"), ("C", "VIP")}


def test_a_custom_column_in_another_case_fills_the_field_the_workspace_has(member):
    creator_create(
        workspace=member.workspace,
        name="Old",
        identities=[("email", "old@example.com")],
        custom_fields={"city": "Oulu"},
    )
    data = _csv([["Name", "City", "Shoe"], ["New", "Berlin", "38"]])

    done = run(member, data, {"0": "name", "1": "custom:City", "2": "custom:Shoe"})

    assert done.created == 1
    assert Creator.objects.get(name="New").custom_fields == {"city": "Berlin", "Shoe": "38"}
    # and an update of a creator with the field in another case keeps one field
    data = _csv([["Name", "Email", "CITY"], ["Old", "old@example.com", "Rome"]])
    again = run(member, data, {"0": "name", "1": "email", "2": "custom:CITY"})
    assert again.updated == 1 and Creator.objects.get(name="Old").custom_fields == {"city": "Rome"}


def test_two_columns_for_one_custom_field_in_two_cases_are_refused(member):
    imp = upload(member, _csv([["Name", "City", "city"], ["A", "x", "y"]]))
    with pytest.raises(ValidationFailed) as caught:
        creator_import_start(
            creator_import=imp, mapping={"0": "name", "1": "custom:City", "2": "custom:city"}
        )
    assert caught.value.errors["mapping"] == ["Two columns go to the custom field “city”."]
