"""Message search (parley/inbox/search.py) on whichever database the tests run on: the index
kept by every writer, words, prefixes, phrases, inflected forms where the database has
stemmers, other workspaces never found, hostile input refused in words, two queries."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from parley.accounts.models import SearchLanguage
from parley.core.errors import ValidationFailed
from parley.inbox.events import Said
from parley.inbox.models import Channel, Message
from parley.inbox.search import (
    message_search,
    search_index_tidy,
    search_reindex_workspace,
    workspace_search_language_set,
)
from parley.inbox.services import (
    events_record_many,
    message_record,
    messages_record_outbound,
)
from parley.inbox.tasks import message_search_reindex_task
from parley.outbox.services import message_send, outbox_reschedule
from tests.factories import CampaignFactory, TagFactory

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="stemmers are PostgreSQL's"
)


@pytest.fixture
def say(member, make_conversation):  # type: ignore[no-untyped-def]
    """say(text, subject=..., conversation=...): an inbound message through message_record."""
    conversation = make_conversation(name="Ada Creator")

    def record(text: str, *, subject: str = "", in_conversation=None) -> Message:  # type: ignore[no-untyped-def]
        thread = in_conversation or conversation
        return message_record(
            conversation=thread,
            channel=Channel.EMAIL,
            direction=Message.Direction.INBOUND,
            status=Message.Status.RECEIVED,
            body_text=text,
            subject=subject,
            author_creator=thread.creator,
        )

    return record


def _found(workspace, q: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [hit.message.id for hit in message_search(workspace=workspace, q=q).hits]


def test_a_word_finds_messages_by_text_and_by_subject_newest_first(member, say):
    by_text = say("The contract is ready to sign")
    by_subject = say("See attached", subject="Contract for spring")
    say("Nothing to see here")
    assert _found(member.workspace, "contract") == [by_subject.id, by_text.id]


def test_every_word_is_required_and_each_is_a_word_beginning(member, say):
    both = say("Your contracts and the shipping address")
    say("Your contracts only")
    assert _found(member.workspace, "contract shipping") == [both.id]
    assert _found(member.workspace, "ontract") == []


def test_a_quoted_phrase_is_its_words_in_that_order(member, say):
    phrase = say("we loved the red shoes in the video")
    say("shoes, red and blue")
    assert _found(member.workspace, '"red shoes"') == [phrase.id]
    assert sorted(_found(member.workspace, "red shoes")) == sorted(
        m.id for m in Message.objects.filter(body_text__contains="red")
    )


def test_other_workspaces_messages_are_never_found(member, other_member, say, make_conversation):
    theirs = make_conversation(workspace=other_member.workspace, name="Other Creator")
    say("secret launch plans", in_conversation=theirs)
    ours = say("public launch plans")
    assert _found(member.workspace, "launch") == [ours.id]
    assert _found(other_member.workspace, "public") == []


def test_diacritics_and_case_do_not_matter_on_sqlite_words_are_prefixes(member, say):
    hit = say("Die Verträge für München")
    assert _found(member.workspace, "VERTRÄGE") == [hit.id]
    if connection.vendor == "sqlite":
        # No stemmers in SQLite: without its diacritics and as a prefix, the stem finds it.
        assert _found(member.workspace, "vertrag munchen") == [hit.id]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 index")
def test_sqlite_a_long_word_is_looked_for_by_its_first_eight_letters(member, say):
    hit = say("Die Verträge für München")
    say("Der Vertrag")
    # "verträgen" (9 letters) by "verträge", which the index keeps as a prefix (migration
    # 0008: prefixes of 4 to 8 letters, so a word is one entry, not a merge of many).
    found = message_search(workspace=member.workspace, q="Verträgen")
    assert [h.message.id for h in found.hits] == [hit.id]
    assert "<mark>Verträge</mark>" in found.hits[0].snippet
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'inbox_message_fts'")
        assert "prefix='4 5 6 7 8'" in cursor.fetchone()[0]


@on_postgres
@pytest.mark.parametrize(
    ("language", "text", "q"),
    [
        (SearchLanguage.GERMAN, "Anbei die unterschriebenen Verträge", "Vertrag"),
        (SearchLanguage.GERMAN, "Wir haben den Vertrag", "Verträgen"),
        (SearchLanguage.FINNISH, "Osallistutko kampanjaan?", "kampanjassa"),
        (SearchLanguage.FINNISH, "Lähetin lahjan eilen", "lahja"),
        (SearchLanguage.FINNISH, "Kiitos yhteistyöstä", "yhteistyö"),
        (SearchLanguage.ENGLISH, "She was shipping the parcels", "shipped parcel"),
    ],
)
def test_a_workspace_language_finds_inflected_forms(member, say, language, text, q):
    member.workspace.search_language = language
    member.workspace.save(update_fields=["search_language"])
    hit = say(text)
    assert _found(member.workspace, q) == [hit.id]
    snippet = message_search(workspace=member.workspace, q=q).hits[0].snippet
    assert "<mark>" in snippet


@on_postgres
def test_changing_the_language_reindexes_the_workspace(member, say):
    old = say("Die Verträge kommen")
    assert _found(member.workspace, "Vertrag") == []  # simple: as written only
    member.workspace.search_language = SearchLanguage.GERMAN
    member.workspace.save(update_fields=["search_language"])
    done = search_reindex_workspace(workspace_id=member.workspace.id, after_id=0, limit=100)
    assert done == old.id
    assert (
        search_reindex_workspace(workspace_id=member.workspace.id, after_id=done, limit=100) is None
    )
    assert _found(member.workspace, "Vertrag") == [old.id]


@on_postgres
def test_the_reindex_task_redoes_every_chunk(
    member, say, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("parley.inbox.search.REINDEX_CHUNK", 2)
    made = [say(f"Die Verträge {i}") for i in range(5)]
    assert _found(member.workspace, "Vertrag") == []
    with django_capture_on_commit_callbacks(execute=False):
        assert workspace_search_language_set(member=member, language=SearchLanguage.GERMAN)
    message_search_reindex_task.call(member.workspace.id)
    assert _found(member.workspace, "Vertrag") == [m.id for m in reversed(made)]


def test_the_bulk_writers_keep_the_index(member, make_conversation):
    conversations = [make_conversation(name=f"Bulk {i}") for i in range(3)]
    now = timezone.now()
    sent = messages_record_outbound(
        author=member,
        conversations=conversations,
        bodies=[f"broadcast zebra {i}" for i in range(3)],
        subjects=["", "", ""],
        channel=Channel.INAPP,
        status=Message.Status.SENT,
        campaign_id=None,
        at=now,
    )
    events = events_record_many(
        workspace_id=member.workspace_id,
        bodies={c.creator_id: Said("Invitation sent: zebra campaign") for c in conversations[:2]},
        campaign_id=None,
        author=member,
        at=now + timedelta(seconds=1),
    )
    assert sorted(_found(member.workspace, "zebra")) == sorted(m.id for m in [*sent, *events])


@on_postgres
def test_the_bulk_writers_use_each_workspace_language(member, other_member, make_conversation):
    member.workspace.search_language = SearchLanguage.GERMAN
    member.workspace.save(update_fields=["search_language"])
    german = make_conversation(name="Vertragspartner")
    other = make_conversation(name="Other", workspace=other_member.workspace)
    written = {}
    for author, conversation in [(member, german), (other_member, other)]:
        written[author.workspace_id] = messages_record_outbound(
            author=author,
            conversations=[conversation],
            bodies=["Die Verträge kommen"],
            subjects=[""],
            channel=Channel.INAPP,
            status=Message.Status.SENT,
            campaign_id=None,
            at=timezone.now(),
        )[0]
    assert _found(member.workspace, "Vertrag") == [written[member.workspace_id].id]
    assert _found(other_member.workspace, "Vertrag") == []  # "simple": as written only
    assert _found(other_member.workspace, "Verträge") == [written[other_member.workspace_id].id]


@pytest.mark.django_db(transaction=True)
def test_sqlite_index_segments_are_merged_by_the_worker_not_the_writers(member, say):
    """Each transaction writes a segment of its own; the writers leave them (migration
    0012), the worker's job merges them, and every message is found before and after."""
    if connection.vendor != "sqlite":
        assert search_index_tidy() == 0  # GIN merges its pending entries itself
        return
    made = [say(f"spring launch, part {i}") for i in range(6)]
    newest_first = [m.id for m in reversed(made)]
    assert _found(member.workspace, "spring") == newest_first
    assert search_index_tidy() >= 1
    assert search_index_tidy() == 0  # nothing left to merge
    assert _found(member.workspace, "spring") == newest_first
    assert _found(member.workspace, '"launch part"') == newest_first


def test_the_demo_generator_indexes_what_it_writes(member):
    from parley.ops.generate import generate

    campaign = CampaignFactory(workspace=member.workspace)
    tag = TagFactory(workspace=member.workspace)
    generate(
        workspace=member.workspace,
        members=[member],
        campaigns=[campaign],
        tags=[tag],
        creators=4,
        messages=12,
    )
    messages = list(Message.objects.filter(workspace=member.workspace))
    first = next(w for w in _words(messages[0].body_text) if len(w) > 3)
    expected = {
        m.id
        for m in messages
        if any(w.startswith(first) for w in _words(f"{m.subject} {m.body_text}"))
    }
    found = set(_found(member.workspace, first))
    assert messages[0].id in found
    if connection.vendor == "sqlite":  # PostgreSQL's "simple" takes the same words
        assert found == expected


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.lower())


def test_snippet_marks_the_term_and_escapes_the_text(member, say):
    say("<b>bold</b> & a contract <script>alert(1)</script> " + "long words " * 40)
    snippet = message_search(workspace=member.workspace, q="contract").hits[0].snippet
    assert "<mark>contract</mark>" in snippet
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet
    assert "&lt;b&gt;bold" in snippet and snippet.endswith("…")


def test_snippet_starts_near_a_match_far_into_the_text(member, say):
    say("filler " * 200 + "the parcel arrived today")
    snippet = message_search(workspace=member.workspace, q="parcel").hits[0].snippet
    assert snippet.startswith("…") and "<mark>parcel</mark> arrived" in snippet


def test_pages_follow_the_cursor(member, say):
    made = [say(f"giveaway number {i}") for i in range(5)]
    first = message_search(workspace=member.workspace, q="giveaway", limit=3)
    assert [h.message.id for h in first.hits] == [m.id for m in made[::-1][:3]]
    second = message_search(
        workspace=member.workspace, q="giveaway", limit=3, cursor=first.next_cursor
    )
    assert [h.message.id for h in second.hits] == [made[1].id, made[0].id]
    assert second.next_cursor is None


@pytest.mark.parametrize("walk", [1, 3, 100])
def test_common_and_rare_words_page_alike(member, say, monkeypatch, walk):
    # PostgreSQL takes a page from a walk of the newest WALK messages when it fills it, and
    # sorts the GIN index's matches when not: the same pages either way.
    monkeypatch.setattr("parley.inbox.search.WALK", walk)
    made = [say(f"unboxing video {i}") for i in range(5)]
    say("something else")
    pages, cursor = [], None
    while True:
        page = message_search(workspace=member.workspace, q="unboxing", limit=2, cursor=cursor)
        pages.append([h.message.id for h in page.hits])
        if not (cursor := page.next_cursor):
            break
    assert pages == [[made[4].id, made[3].id], [made[2].id, made[1].id], [made[0].id]]
    snippet = message_search(workspace=member.workspace, q="unboxing").hits[0].snippet
    assert "<mark>unboxing</mark>" in snippet


def test_two_queries_whatever_the_number_of_matches(
    member, say, django_assert_num_queries, make_conversation
):
    for i in range(30):
        say(f"sample request {i}", in_conversation=make_conversation(name=f"C{i}"))
    with django_assert_num_queries(2):
        page = message_search(workspace=member.workspace, q="sample")
        assert [h.message.conversation.creator.name for h in page.hits][:2] == ["C29", "C28"]
    with django_assert_num_queries(1):
        assert message_search(workspace=member.workspace, q="nomatch").hits == []


@pytest.mark.parametrize(
    ("q", "says"),
    [
        ("a", "at least two letters"),
        ("?!", "at least two letters"),
        ("-- ... ''", "at least two letters"),
        ("x" * 101, "limited to 100"),
        ("abc\x00def", "NUL"),
        ("one two three four five six seven eight nine", "at most 8"),
    ],
)
def test_hostile_or_empty_searches_are_refused_in_words(member, q, says):
    with pytest.raises(ValidationFailed) as refused:
        message_search(workspace=member.workspace, q=q)
    assert says in str(refused.value.errors["q"])


@pytest.mark.parametrize(
    "q",
    ['"', 'a"', "NEAR(x y)", "x OR y*", "ws : w1", "{subject} : hi", "':* & !", "\\'\\"],
)
def test_query_syntax_is_never_syntax(member, say, q):
    say("ws w1 near or subject hi")
    try:
        message_search(workspace=member.workspace, q=q)
    except ValidationFailed as refused:
        assert "q" in refused.errors


def test_right_to_left_text_is_found(member, say):
    hebrew = say("שלום, החוזה מוכן")
    arabic = say("العقد جاهز للتوقيع")
    assert _found(member.workspace, "החוזה") == [hebrew.id]
    assert _found(member.workspace, "العقد") == [arabic.id]
    word = "العقد"
    assert _found(member.workspace, f"\u202e{word}\u202c") == [arabic.id]


def test_an_edited_scheduled_message_is_found_by_its_new_text_only(member, make_conversation):
    scheduled = message_send(
        member=member,
        conversation=make_conversation(name="Ada"),
        channel="inapp",
        body="Shipping the hoodies tomorrow",
        send_at=timezone.now() + timedelta(days=1),
    )
    assert _found(member.workspace, "hoodies") == [scheduled.id]

    outbox_reschedule(member=member, message=scheduled, body="Shipping the caps", send_at=None)

    assert _found(member.workspace, "hoodies") == []
    assert _found(member.workspace, "caps") == [scheduled.id]
    assert _found(member.workspace, "shipping") == [scheduled.id]  # once, not twice
