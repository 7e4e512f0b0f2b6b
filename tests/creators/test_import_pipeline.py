"""The import on PostgreSQL outside a transaction, as the worker runs it: chunks written by
a second thread on its own connection while the next is matched, rows parsed in a second
process (creators.imports._Writer). Committed data, so these tests flush the database."""

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from parley.accounts.models import Member
from parley.creators import imports
from parley.creators.imports import creator_import_run, creator_import_start, creator_import_upload
from parley.creators.models import Creator, CreatorImport, CreatorTag, Identity
from parley.creators.services import creator_create
from tests.factories import MemberFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the pipelined writer is PostgreSQL's"
    ),
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def owner() -> Member:
    return MemberFactory(role=Member.Role.OWNER)


def _upload(member: Member, rows: list[list[str]]) -> CreatorImport:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    upload = SimpleUploadedFile("creators.csv", out.getvalue().encode(), content_type="text/csv")
    creator_import = creator_import_upload(member=member, upload=upload)
    creator_import_start(creator_import=creator_import)
    return creator_import


def test_chunks_in_flight_match_what_the_one_before_wrote(owner, monkeypatch):
    """Chunks of 3: a creator whose rows fall in two chunks in a row (the second must wait
    for the first to be in and update it), one already in the database, a bad row."""
    monkeypatch.setattr(imports, "CHUNK", 3)
    existing = creator_create(
        workspace=owner.workspace, name="Old Name", identities=[("email", "old@x.com")]
    )
    rows = [["Name", "Email", "Instagram", "Tags"]]
    rows += [[f"P{i}", f"p{i}@x.com", f"p_{i}", "a"] for i in range(8)]
    rows[3] = ["Dana", "dana@x.com", "dana_ig", "first"]  # chunk 1, line 4
    rows[4] = ["Dana Again", "", "dana_ig", "second"]  # chunk 2: same handle
    rows[6] = ["New Name", "old@x.com", "", "b"]  # chunk 2: the existing creator
    rows[8] = ["Broken", "not-an-email", "", ""]  # chunk 3

    done = creator_import_run(import_id=_upload(owner, rows).id)

    assert (done.state, done.rows_done, done.failed) == ("done", 8, 1)
    assert (done.created, done.updated) == (5, 2)
    dana = Creator.objects.get(workspace=owner.workspace, identities__normalized="dana_ig")
    assert dana.name == "Dana Again"
    tags = CreatorTag.objects.filter(creator=dana).values_list("tag__name", flat=True)
    assert set(tags) == {"first", "second"}
    assert sorted(dana.identities.values_list("normalized", flat=True)) == [
        "dana@x.com",
        "dana_ig",
    ]
    existing.refresh_from_db()
    assert existing.name == "New Name"
    assert Creator.objects.filter(workspace=owner.workspace).count() == 6
    assert Identity.objects.filter(workspace=owner.workspace, normalized="dana_ig").count() == 1
    assert CreatorTag.objects.filter(creator__workspace=owner.workspace).count() == 7
    assert done.failures.get().line == 9


def test_a_writer_that_fails_keeps_the_chunks_before_it_and_resumes(owner, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", 2)
    rows = [["Name", "Email"], *[[f"R{i}", f"r{i}@x.com"] for i in range(5)]]
    creator_import = _upload(owner, rows)
    real, calls = imports._put, {"n": 0}

    def flaky(*args: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the database went away")
        real(*args)

    monkeypatch.setattr(imports, "_put", flaky)
    failed = creator_import_run(import_id=creator_import.id)
    assert (failed.state, failed.rows_done, failed.created) == ("failed", 2, 2)

    CreatorImport.objects.filter(id=creator_import.id).update(state="running")
    done = creator_import_run(import_id=creator_import.id)
    assert (done.state, done.rows_done, done.created) == ("done", 5, 5)
    assert Creator.objects.filter(workspace=owner.workspace).count() == 5
