"""The inbox search box: a case-insensitive substring of the creator's name, handles and
emails; terms of 3+ characters first find the workspace's matching ids through a trigram
index (SQLite's FTS5 table, PostgreSQL's pg_trgm) (creator_search_filter)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parley.creators import selectors as creator_selectors
from parley.creators.models import Creator
from parley.creators.selectors import SEARCH_FTS_TABLE
from parley.creators.services import creator_create, creator_delete, creator_update
from parley.inbox.filters import InboxFilters
from parley.inbox.selectors import conversation_list, conversation_match_ids
from parley.inbox.services import conversation_get_or_create

pytestmark = pytest.mark.django_db


def _search(member, q: str) -> list[str]:  # type: ignore[no-untyped-def]
    page = conversation_list(member=member, filters=InboxFilters(q=q))
    return sorted(e.conversation.creator.name for e in page.entries)


def _matches(captured: CaptureQueriesContext) -> int:
    return sum(f"{SEARCH_FTS_TABLE} MATCH" in q["sql"] for q in captured.captured_queries)


@pytest.fixture
def jane(member, make_conversation) -> Creator:  # type: ignore[no-untyped-def]
    creator = creator_create(
        workspace=member.workspace,
        name="Jane Doe",
        identities=[("email", "Jane.Doe@Example.com"), ("tiktok", "@JaneGlows")],
    )
    conversation_get_or_create(creator=creator)
    make_conversation(name="Someone Else")
    return creator


@pytest.mark.parametrize(
    "q", ["janeglows", "aneglo", "doe@example.c", "JANE.DOE@EXAMPLE", "Jane Doe", "e d"]
)
def test_search_finds_a_substring_of_name_handle_or_email(member, jane, q):
    assert _search(member, q) == ["Jane Doe"]


@pytest.mark.parametrize("q", ["ja", "J", "oe"])
def test_one_or_two_characters_match_as_substrings(member, jane, q):
    with CaptureQueriesContext(connection) as captured:
        assert _search(member, q) == ["Jane Doe"]
    assert _matches(captured) == 0


@pytest.mark.parametrize(
    "q", ['"', 'e"d', 'jane" OR "some', "jane OR some", "jane*", "NEAR(jane some)", "some -"]
)
def test_fts_syntax_in_a_term_is_a_literal_substring(member, jane, make_conversation, q):
    make_conversation(name=f"odd {q} one")
    assert _search(member, q) == [f"odd {q} one"]


def test_search_is_scoped_to_the_member(member, other_member, jane, make_conversation):
    make_conversation(name="Jane Doe Elsewhere", workspace=other_member.workspace)
    assert _search(member, "jane doe") == ["Jane Doe"]
    assert _search(other_member, "jane doe") == ["Jane Doe Elsewhere"]


def test_search_follows_renames(member, jane):
    creator_update(creator=jane, name="Janet Roe")
    assert _search(member, "janet roe") == ["Janet Roe"]
    assert _search(member, "jane doe") == []


def test_deleted_creator_is_not_found(member, jane):
    creator_delete(creator=jane)
    assert _search(member, "janeglows") == []


def test_select_all_that_match_uses_the_same_search(member, jane):
    ids = conversation_match_ids(member=member, filters=InboxFilters(q="JaneGlows"), cap=10)
    assert ids == [jane.id]


def _page_sql(member, q: str) -> str:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        _search(member, q)
    return captured.captured_queries[-1]["sql"]


def test_few_matches_reach_the_list_as_ids(member, jane):
    # the page itself never tests LIKE row by row: neither database can estimate a LIKE
    # '%term%' (PostgreSQL walked a whole 100k inbox for one handle)
    assert "LIKE" not in _page_sql(member, "JaneGlows")


def test_many_matches_fall_back_to_like(member, jane, make_conversation, monkeypatch):
    monkeypatch.setattr(creator_selectors, "SEARCH_FTS_MAX_IDS", 1)
    make_conversation(name="Jane Two")
    assert _search(member, "jane") == ["Jane Doe", "Jane Two"]
    assert "LIKE" in _page_sql(member, "jane")


def test_other_workspaces_matches_do_not_count(
    member, other_member, jane, make_conversation, monkeypatch
):
    monkeypatch.setattr(creator_selectors, "SEARCH_FTS_MAX_IDS", 1)
    make_conversation(name="Jane Three", workspace=other_member.workspace)
    make_conversation(name="Jane Four", workspace=other_member.workspace)
    assert "LIKE" not in _page_sql(member, "jane")
    assert _search(member, "jane") == ["Jane Doe"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 table is SQLite's")
def test_sqlite_search_goes_through_the_trigram_table(member, jane):
    with CaptureQueriesContext(connection) as captured:
        assert _search(member, "JaneGlows") == ["Jane Doe"]
    assert _matches(captured) == 1
    page_sql = captured.captured_queries[-1]["sql"]
    assert "LIKE" not in page_sql and 'creators_creator"."search_text' not in page_sql
