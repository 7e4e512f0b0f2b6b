"""Creator search: a case-insensitive substring of search_text, through the SQLite FTS5
trigram table (migration 0003) for terms of 3+ characters, LIKE otherwise and on PostgreSQL."""

import importlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.creators import selectors
from parley.creators.models import Creator
from parley.creators.selectors import SEARCH_FTS_TABLE, creator_list
from parley.creators.services import (
    creator_create,
    creator_delete,
    creator_update,
    identity_add,
    identity_remove,
)
from tests.factories import CreatorFactory

pytestmark = pytest.mark.django_db
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 table is SQLite's")
fts_migration = importlib.import_module("parley.creators.migrations.0003_creator_search_fts")


def _names(workspace, q: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.name for c in creator_list(workspace=workspace, q=q)]


def _fts_ids(term: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid FROM {SEARCH_FTS_TABLE} WHERE {SEARCH_FTS_TABLE} MATCH %s",
            ['"' + term.replace('"', '""') + '"'],
        )
        return {row[0] for row in cursor.fetchall()}


def _assert_fts_in_sync() -> None:
    """FTS5's integrity-check with rank 1 compares the index with creators_creator."""
    with connection.cursor() as cursor:
        table = SEARCH_FTS_TABLE
        cursor.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")


def _matches(captured: CaptureQueriesContext) -> int:
    return sum(f"{SEARCH_FTS_TABLE} MATCH" in q["sql"] for q in captured.captured_queries)


@pytest.fixture
def jane(member) -> Creator:  # type: ignore[no-untyped-def]
    creator = creator_create(
        workspace=member.workspace,
        name="Jane Doe",
        identities=[("email", "Jane.Doe@Example.com"), ("instagram", "@JaneGlows")],
    )
    creator_create(
        workspace=member.workspace, name="Someone Else", identities=[("email", "s@else.test")]
    )
    return creator


@pytest.mark.parametrize(
    "q",
    [
        "janeglows",  # handle
        "@janeglows",  # handle as the list shows it, with its @
        "aneglo",  # inside a handle
        "doe@example.c",  # inside an email
        "JANE.DOE@EXAMPLE.COM",  # any case
        "  Jane Doe ",  # the name, with the blanks the search box leaves
        "e d",  # a blank in the middle; 3 characters
    ],
)
def test_search_finds_a_substring_of_name_handle_or_email(member, jane, q):
    assert _names(member.workspace, q) == ["Jane Doe"]


@pytest.mark.parametrize("q", ["j", "gl", "ÉX"])
def test_terms_shorter_than_a_trigram_still_match_as_substrings(member, jane, q):
    CreatorFactory(workspace=member.workspace, name="Éxtra")
    expected = sorted(
        c.name
        for c in Creator.objects.filter(workspace=member.workspace)
        if q.lower() in c.search_text
    )
    with CaptureQueriesContext(connection) as captured:
        assert sorted(_names(member.workspace, q)) == expected != []
    assert _matches(captured) == 0  # LIKE: the trigram index cannot answer them


@pytest.mark.parametrize(
    "q",
    ['"', 'x"y', 'jane" OR "x', "jane OR doe", "jane*", "NEAR(jane doe)", "doe AND", "^jan", "(a)"],
)
def test_fts_syntax_in_a_term_is_a_literal_substring(member, jane, q):
    # given a creator whose text contains the term literally, and jane, who does not
    odd = CreatorFactory(workspace=member.workspace, name=f"odd {q} one")
    assert _names(member.workspace, q) == [odd.name]


def test_search_is_case_insensitive_beyond_ascii(member):
    creator_create(workspace=member.workspace, name="Jörg Müller")
    assert _names(member.workspace, "MÜLLER") == ["Jörg Müller"]


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("Aino Mäkinen", "makinen"),
        ("Aino Mäkinen", "Mäkinen"),
        ("Jörg Weiß", "jorg weiss"),
        ("Søren Økland", "soren ok"),
        ("François Lefèvre", "francois"),
        ("Łukasz Wałęsa", "lukasz wal"),
    ],
)
def test_search_finds_a_name_typed_without_its_diacritics(member, name, typed):
    creator = creator_create(workspace=member.workspace, name=name)
    assert _names(member.workspace, typed) == [name]
    # and after a rename, by the new name only
    creator_update(creator=creator, name="Plain Name")
    assert _names(member.workspace, typed) == []


def test_the_migration_folds_the_names_already_stored(member):
    from django.apps import apps

    folded = importlib.import_module("parley.creators.migrations.0009_search_text_folded")
    creator = creator_create(
        workspace=member.workspace, name="Aino Mäkinen", identities=[("email", "aino@x.fi")]
    )
    plain = creator_create(workspace=member.workspace, name="Plain Name")
    # As written before: the name in lower case, then the identities.
    Creator.objects.filter(id=creator.id).update(search_text="aino mäkinen aino@x.fi")

    folded.forwards(apps, None)
    folded.forwards(apps, None)  # run twice: the same

    creator.refresh_from_db()
    assert creator.search_text == "aino mäkinen aino makinen aino@x.fi"
    assert Creator.objects.get(id=plain.id).search_text == "plain name"
    assert _names(member.workspace, "makinen") == ["Aino Mäkinen"]


def test_search_is_scoped_to_the_workspace(member, other_member, jane):
    creator_create(workspace=other_member.workspace, name="Jane Doe Too")
    assert _names(member.workspace, "jane doe") == ["Jane Doe"]
    assert _names(other_member.workspace, "jane doe") == ["Jane Doe Too"]


def test_renamed_creator_is_found_by_the_new_name_only(member, jane):
    creator_update(creator=jane, name="Janet Roe")
    assert _names(member.workspace, "janet roe") == ["Janet Roe"]
    assert _names(member.workspace, "jane doe") == []


def test_changed_handle_is_found_by_the_new_handle_only(member, jane):
    old = jane.identities.get(kind="instagram")
    identity_add(creator=jane, kind="tiktok", value="@FreshHandle")
    identity_remove(identity=old)
    assert _names(member.workspace, "freshhand") == ["Jane Doe"]
    assert _names(member.workspace, "janeglows") == []


def test_queryset_update_and_bulk_create_are_indexed_too(member, jane):
    Creator.objects.filter(id=jane.id).update(search_text="bulk renamed")
    Creator.objects.bulk_create(
        [Creator(workspace=member.workspace, name="Bulk", search_text="bulk made")]
    )
    assert sorted(_names(member.workspace, "bulk")) == ["Bulk", "Jane Doe"]
    assert _names(member.workspace, "janeglows") == []


def test_deleted_creator_is_not_found(member, jane):
    creator_delete(creator=jane)
    assert _names(member.workspace, "janeglows") == []


def test_many_matches_fall_back_to_like(member, jane, monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_FTS_MAX_IDS", 1)
    CreatorFactory(workspace=member.workspace, name="Jane Two")
    with CaptureQueriesContext(connection) as captured:
        assert _names(member.workspace, "jane") == ["Jane Doe", "Jane Two"]
    assert _matches(captured) == (1 if connection.vendor == "sqlite" else 0)
    assert any("LIKE" in q["sql"] for q in captured.captured_queries)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(alphabet='ab "*()^:-+.@OR NEA', min_size=1, max_size=8))
def test_search_agrees_with_a_python_substring_test(member, q):
    if not Creator.objects.filter(workspace=member.workspace).exists():
        for text in ['ab "ab" a*b', "(ab) or near", "b.a@ab-ab", "OR AND NOT", 'ab""ba', "^ab:a"]:
            CreatorFactory(workspace=member.workspace, name=text)
    if not q.strip():
        return
    term = q.strip().lower()
    term = term.lstrip("@") or term  # a handle typed with its @ is the handle
    expected = sorted(
        c.name for c in Creator.objects.filter(workspace=member.workspace) if term in c.search_text
    )
    assert sorted(_names(member.workspace, q)) == expected


@sqlite_only
def test_sqlite_search_goes_through_the_trigram_table(member, jane):
    with CaptureQueriesContext(connection) as captured:
        assert _names(member.workspace, "JaneGlows") == ["Jane Doe"]
    assert _matches(captured) == 1
    assert not any("LIKE" in q["sql"] for q in captured.captured_queries)
    assert jane.id in _fts_ids("janeglows")


@sqlite_only
def test_sqlite_triggers_keep_the_index_in_sync(member, jane):
    # when creators are created, renamed (save and queryset update) and deleted
    other = Creator.objects.get(name="Someone Else")
    creator_update(creator=jane, name="Janet Roe")
    Creator.objects.filter(id=other.id).update(search_text="moved on")
    creator_delete(creator=other)
    # then the index holds exactly the current text
    _assert_fts_in_sync()
    assert _fts_ids("janet roe") == {jane.id}
    assert _fts_ids("jane doe") == set()
    assert _fts_ids("moved on") == _fts_ids("someone") == set()


@sqlite_only
def test_sqlite_triggers_exist_after_all_migrations():
    # Django rebuilds creators_creator on SQLite for most field changes, which drops its
    # triggers: such a migration must run 0003's create_fts again (see its docstring).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master "
            "WHERE type = 'trigger' AND tbl_name = 'creators_creator'"
        )
        triggers = {row[0] for row in cursor.fetchall()}
    assert triggers == {
        f"{SEARCH_FTS_TABLE}_ai",
        f"{SEARCH_FTS_TABLE}_au",
        f"{SEARCH_FTS_TABLE}_ad",
    }


@sqlite_only
def test_sqlite_migration_rebuild_indexes_existing_rows(member):
    class Editor:  # the part of a schema editor that the migration uses
        def __init__(self) -> None:
            self.connection = connection

        def execute(self, sql: str) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql)

    # given creators written while the table and triggers did not exist
    fts_migration.drop_fts(None, Editor())
    creator = CreatorFactory(workspace=member.workspace, name="Written Before")
    # when the migration runs
    fts_migration.create_fts(None, Editor())
    # then they are indexed
    assert _fts_ids("written before") == {creator.id}
    _assert_fts_in_sync()
    assert _names(member.workspace, "written") == ["Written Before"]
