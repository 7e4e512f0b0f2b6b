"""Message search: the index the message writers keep, and the query that reads it.

PostgreSQL: `inbox_message.search_vector`, a tsvector made with the workspace's text-search
configuration (`Workspace.search_language`: "simple", or a language whose stemmer finds a
word's inflected forms), in a GIN index. SQLite: `inbox_message_fts`, a contentless FTS5
table (unicode61, diacritics removed) whose rowid is the message's id, with a `ws` column
holding "w<workspace id>": a workspace's matches are an intersection inside the index.
Neither is declared on the model; migration 0005 makes them and indexes what is there.

Stored, never computed per query: `message_record` and the bulk writers
(`messages_record_outbound`, `events_record_many`, the demo generator) call
`search_index_messages` / `search_index_since` in the transaction that writes the rows; a
scheduled message edited before it goes is indexed again (`search_index_replace`). A message
deleted with its creator or workspace (a cascade, which tells the index nothing) leaves its
FTS5 entry on SQLite; the query joins the messages, so it is never found. SQLite's index
merges its segments in the worker (`search_index_tidy`), not as the writers write.

Results come newest stored first (by id). SQLite's FTS5 walks a term's entries in rowid
order with a LIMIT; the index keeps every word's prefixes of 4 to 8 letters, so a word
(looked for as a beginning) is one entry read newest first, not the merge of every word
that begins so. PostgreSQL first walks the newest WALK messages testing each (a common
word fills a page within a few hundred, whatever the table's size); if they do not fill the
page, it takes every match from the GIN index and sorts them (a rare word: few; a walk of
the whole table would be the size of the table).

Terms: bare words must all be found, each as a word's beginning on SQLite (which has no
stemmers: "vertrag" finds "Verträge"; a word of more than 8 letters by its first 8, like a
stemmer: "verträgen" finds "Verträge" too), or as a stem and prefix on PostgreSQL; a quoted
"phrase" is those words in that order. Words of one character, outside quotes, are left
out; a search with nothing left is refused with a message rather than run.
"""

import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connections, router, transaction
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from parley.accounts.models import Member, SearchLanguage, Workspace
from parley.core import cursor as cursors
from parley.core.bulk import rows_insert
from parley.core.errors import ValidationFailed
from parley.core.lookups import ids_in
from parley.core.text import has_nul
from parley.inbox.models import Message

FTS_TABLE = "inbox_message_fts"
# Only the start of a very long message is indexed (PostgreSQL refuses a tsvector over 1 MB).
INDEXED_CHARS = 100_000
MAX_QUERY = 100
MAX_TERMS = 8
# PostgreSQL: a search tests the newest this many messages first; if they do not fill the
# page, it takes every match from the GIN index and sorts them (bench/search.py).
WALK = 5000
# SQLite: the index keeps every word's prefixes of 4 to 8 letters (migration 0008); a longer
# word is looked for by its first 8.
FTS_PREFIX = 8
MIN_WORD = 2
SNIPPET_CHARS = 160

_WORD = re.compile(r"[^\W_]+")
_LEXEME = re.compile(r"'((?:[^']|'')+)'")


@dataclass(frozen=True)
class SearchTerms:
    words: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]


def search_terms(q: str) -> SearchTerms:
    """The words and quoted phrases of a search; ValidationFailed (under "q") when there is
    nothing to look for, or too much."""
    if has_nul(q):
        raise ValidationFailed({"q": [_("Remove the NUL character from the search.")]})
    if len(q) > MAX_QUERY:
        raise ValidationFailed(
            {"q": [_("Search is limited to %(n)d characters.") % {"n": MAX_QUERY}]}
        )
    text = unicodedata.normalize("NFC", q).lower()
    words: list[str] = []
    phrases: list[tuple[str, ...]] = []
    # Between the 1st and 2nd quote, the 3rd and 4th, ...: phrases (an unclosed one too).
    for i, part in enumerate(text.split('"')):
        tokens = _WORD.findall(part)
        if i % 2:
            if tokens:
                phrases.append(tuple(tokens))
        else:
            words += [t for t in tokens if len(t) >= MIN_WORD]
    words = list(dict.fromkeys(words))
    if not words and not phrases:
        raise ValidationFailed(
            {"q": [_("To search messages, type a word of at least two letters or digits.")]}
        )
    if len(words) + sum(len(p) for p in phrases) > MAX_TERMS:
        raise ValidationFailed(
            {"q": [_("Search for at most %(n)d words at once.") % {"n": MAX_TERMS}]}
        )
    return SearchTerms(words=tuple(words), phrases=tuple(phrases))


# --- The index ------------------------------------------------------------------------------


# PostgreSQL: each workspace's text-search configuration, cast once: joined as `cfg` to the
# rows a vector is made for. (A subquery for each row, casting its text, doubled the time of
# making the vectors: 0.85 s against 0.47 s for 10,000 mass-message bodies.)
PG_CONFIGS = "(SELECT id, search_language::regconfig AS config FROM accounts_workspace) AS cfg"


def pg_search_vector(row: str) -> str:
    """PostgreSQL: the SQL of a message's search vector, `row` the message row's alias, with
    PG_CONFIGS joined on its workspace: its subject and body, cut at INDEXED_CHARS, in its
    workspace's search language."""
    return (
        f"to_tsvector(cfg.config, left({row}.subject || ' ' || {row}.body_text, {INDEXED_CHARS}))"
    )


_PG_INDEX = (
    f"UPDATE inbox_message AS m SET search_vector = {pg_search_vector('m')} FROM {PG_CONFIGS} "
    "WHERE cfg.id = m.workspace_id AND ({where})"
)
_SQLITE_INDEX = (
    f"INSERT INTO {FTS_TABLE}(rowid, ws, subject, body_text) "
    f"SELECT m.id, 'w' || m.workspace_id, m.subject, substr(m.body_text, 1, {INDEXED_CHARS}) "
    "FROM inbox_message AS m WHERE {where}"
)
_CHUNK = 2000


def _index(where: str, params: list[Any]) -> None:
    using = router.db_for_write(Message)
    connection = connections[using]
    template = _PG_INDEX if connection.vendor == "postgresql" else _SQLITE_INDEX
    with connection.cursor() as cursor:
        cursor.execute(template.format(where=where), params)


def messages_insert_indexed(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, index: Callable[[], None]
) -> None:
    """Write message rows in bulk (core.bulk.rows_insert) and index them for search:
    PostgreSQL makes each vector as its row goes in (rather than writing every row and its
    index entries twice, with an UPDATE after); elsewhere `index` indexes the rows after
    (search_index_messages with their ids, or search_index_since)."""
    if connections[router.db_for_write(Message)].vendor == "postgresql":
        rows_insert(
            Message,
            columns,
            rows,
            computed={"search_vector": pg_search_vector("s")},
            joined=f"JOIN {PG_CONFIGS} ON cfg.id = s.workspace_id",
        )
        return
    rows_insert(Message, columns, rows)
    index()


def search_index_messages(*, ids: Sequence[int]) -> None:
    """Index messages just written (each exactly once: SQLite's table would keep a second
    entry). Call in the transaction that wrote them."""
    vendor = connections[router.db_for_write(Message)].vendor
    for first in range(0, len(ids), _CHUNK):
        _index(*ids_in("m.id", list(ids[first : first + _CHUNK]), vendor))


def search_index_replace(*, message: Message, old_subject: str, old_body: str) -> None:
    """Index a message again after its text changed (a scheduled message edited before it
    goes), in the transaction that changed it. SQLite's contentless table forgets an entry
    only when told the values it was made from, hence the old text."""
    connection = connections[router.db_for_write(Message)]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, ws, subject, body_text) "
                "VALUES ('delete', %s, %s, %s, %s)",
                [
                    message.pk,
                    f"w{message.workspace_id:d}",
                    old_subject,
                    old_body[:INDEXED_CHARS],
                ],
            )
    search_index_messages(ids=[message.pk])


def search_index_since(*, after_id: int) -> None:
    """Index every message with an id above `after_id`: what a bulk loader that does not
    get its ids back (the demo generator's COPY) wrote since it read the highest id."""
    _index("m.id > %s", [after_id])


# SQLite: each merge step writes about this many pages of the index (a few milliseconds
# with the database's write lock), and the job stops after this many steps a run.
TIDY_PAGES = 200
TIDY_STEPS = 50


def search_index_tidy() -> int:
    """SQLite (a periodic job of the worker): merge the search index's segments, a few pages
    a step, each step a short transaction of its own, until no level has four or more (FTS5's
    `usermerge`) or TIDY_STEPS were taken; how many steps merged something. The writers
    leave merging to this (migration 0012: a mass message's entries go in 2.5 times as
    fast), and a search reads fewer segments after it. PostgreSQL's GIN index merges its
    pending entries itself: 0 at once."""
    using = router.db_for_write(Message)
    connection = connections[using]
    if connection.vendor != "sqlite":
        return 0
    for merged in range(TIDY_STEPS):
        with transaction.atomic(using=using), connection.cursor() as cursor:
            before = connection.connection.total_changes
            cursor.execute(
                f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('merge', %s)", [TIDY_PAGES]
            )
            # FTS5: a merge that did nothing changes fewer than two rows.
            if connection.connection.total_changes - before < 2:
                return merged
    return TIDY_STEPS


def search_reindex_workspace(*, workspace_id: int, after_id: int, limit: int) -> int | None:
    """PostgreSQL: make again the vectors of the workspace's next `limit` messages above
    `after_id` (after its search language changed); the last id done, or None when none
    were left. SQLite's index does not depend on the language: None at once."""
    using = router.db_for_write(Message)
    if connections[using].vendor != "postgresql":
        return None
    ids = list(
        Message.objects.using(using)
        .filter(workspace_id=workspace_id, id__gt=after_id)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    search_index_messages(ids=ids)
    return ids[-1] if ids else None


REINDEX_CHUNK = 5000


def workspace_search_language_set(*, member: Member, language: str) -> bool:
    """Settings → General: the workspace's search language (admins). When it changes, the
    worker makes the workspace's vectors again in that language (PostgreSQL), a chunk at a
    time; until it is done, messages not yet redone are found as their old language found
    them. Whether it changed."""
    if not member.is_admin:
        raise PermissionDenied
    if language not in SearchLanguage.values:
        raise ValidationFailed({"search_language": [_("Choose a language from the list.")]})
    workspace = member.workspace
    if workspace.search_language == language:
        return False
    workspace.search_language = language
    workspace.save(update_fields=["search_language", "updated_at"])
    transaction.on_commit(lambda: _enqueue_reindex(workspace.id))
    return True


def _enqueue_reindex(workspace_id: int) -> None:
    from parley.inbox.tasks import message_search_reindex_task

    message_search_reindex_task.enqueue(workspace_id)


def search_reindex_all(*, workspace_id: int) -> None:
    """Every vector of the workspace made again, in chunks (a transaction each).
    Idempotent: run twice, the same vectors."""
    after: int | None = 0
    while after is not None:
        with transaction.atomic():
            after = search_reindex_workspace(
                workspace_id=workspace_id, after_id=after, limit=REINDEX_CHUNK
            )


# --- The query ------------------------------------------------------------------------------


def _pg_query(terms: SearchTerms) -> str:
    """A to_tsquery text: each word a prefix, each phrase its words in a row, all required.
    Every token is letters and digits only, so quoting it is enough."""
    parts = [f"'{w}':*" for w in terms.words]
    parts += ["(" + " <-> ".join(f"'{t}'" for t in p) + ")" for p in terms.phrases]
    return " & ".join(parts)


def _fts_word(word: str) -> str:
    """SQLite: what a word is looked for by, as a word's beginning: the word, or its first
    FTS_PREFIX letters when it is longer (the longest prefix the index keeps)."""
    return word[:FTS_PREFIX]


def _fts_query(terms: SearchTerms, workspace_id: int) -> str:
    parts = [f'"{_fts_word(w)}"*' for w in terms.words]
    parts += ['"' + " ".join(p) + '"' for p in terms.phrases]
    return f'ws : "w{workspace_id:d}" AND {{subject body_text}} : ({" AND ".join(parts)})'


def _match_ids(
    terms: SearchTerms, workspace: Workspace, before: int | None, limit: int
) -> tuple[list[int], tuple[str, ...]]:
    """Ids of up to `limit` matching messages, newest first, and the beginnings the query
    looked for (PostgreSQL's stems, SQLite's words cut at FTS_PREFIX), to mark them in the
    snippets."""
    using = router.db_for_read(Message)
    connection = connections[using]
    after = " AND m.id < %s" if before else ""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Newest first from a walk down the workspace's newest WALK messages, testing
            # each: a common word (or prefix) fills the page within a few hundred, however
            # many messages match in all. Only when the walk does not fill it are the
            # matches taken from the GIN index and sorted (a rare word: few of them; a GIN
            # bitmap of a common word's every match grows with the table). One statement:
            # the branch not taken is never executed.
            tsq = "to_tsquery(%s::regconfig, %s)"
            query: list[str | int] = [workspace.search_language, _pg_query(terms)]
            before_p: list[str | int] = [before] if before else []
            walk_params: list[str | int] = [workspace.pk, *before_p, WALK, *query, limit]
            all_params: list[str | int] = [limit, workspace.pk, *query, *before_p]
            cursor.execute(
                "WITH walk AS MATERIALIZED (SELECT w.id FROM (SELECT m.id, m.search_vector "
                f"FROM inbox_message AS m WHERE m.workspace_id = %s{after} "
                f"ORDER BY m.id DESC LIMIT %s) AS w WHERE w.search_vector @@ {tsq} LIMIT %s), "
                # (No ORDER BY here, or the planner walks the ids instead of the index.)
                "found AS MATERIALIZED (SELECT m.id FROM inbox_message AS m "
                "WHERE (SELECT count(*) FROM walk) < %s AND m.workspace_id = %s "
                f"AND m.search_vector @@ {tsq}{after}) "
                f"(SELECT id, {tsq}::text FROM walk WHERE (SELECT count(*) FROM walk) >= %s) "
                f"UNION ALL (SELECT id, {tsq}::text FROM found ORDER BY id DESC LIMIT %s)",
                [*walk_params, *all_params, *query, limit, *query, limit],
            )
            rows = cursor.fetchall()
            lexemes = tuple(
                x.replace("''", "'") for x in _LEXEME.findall(rows[0][1] if rows else "")
            )
            return [r[0] for r in rows], lexemes
        cursor.execute(
            f"SELECT m.id FROM {FTS_TABLE} AS f JOIN inbox_message AS m ON m.id = f.rowid "
            f"WHERE {FTS_TABLE} MATCH %s AND m.workspace_id = %s{after.replace('m.id', 'f.rowid')} "
            "ORDER BY f.rowid DESC LIMIT %s",
            [_fts_query(terms, workspace.pk), workspace.pk, *([before] if before else []), limit],
        )
        return [r[0] for r in cursor.fetchall()], tuple(_fts_word(w) for w in terms.words)


@dataclass
class MessageHit:
    message: Message  # with conversation.creator (its name) loaded
    snippet: SafeString  # the text around the match, escaped, the terms in <mark>


@dataclass
class MessageSearchPage:
    hits: list[MessageHit]
    next_cursor: str | None


HIT_FIELDS = (
    "id",
    "conversation_id",
    "channel",
    "direction",
    "subject",
    "body_text",
    "created_at",
    "conversation__creator_id",
    "conversation__creator__name",
)


def message_search(
    *, workspace: Workspace, q: str, cursor: str | None = None, limit: int = 20
) -> MessageSearchPage:
    """The workspace's messages whose subject or text match `q`, newest first, each with a
    snippet. Two queries whatever the number of matches."""
    terms = search_terms(q)
    before = None
    if cursor:
        (before,) = cursors.decode(cursor, length=1)
        if not isinstance(before, int) or before < 1:
            raise ValidationFailed({"cursor": [_("Invalid cursor.")]})
    ids, lexemes = _match_ids(terms, workspace, before, limit + 1)
    more = len(ids) > limit
    ids = ids[:limit]
    messages = (
        Message.objects.filter(workspace=workspace, id__in=ids)
        .select_related("conversation__creator")
        .only(*HIT_FIELDS)
        .order_by("-id")
        if ids
        else []
    )
    marker = _marker(terms, lexemes)
    hits = [MessageHit(message=m, snippet=_snippet(m, marker)) for m in messages]
    next_cursor = cursors.encode([ids[-1]]) if more else None
    return MessageSearchPage(hits=hits, next_cursor=next_cursor)


# --- Snippets -------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case without diacritics, one character for each of `text` (so a match's
    position in the folded text is its position in the text)."""
    out = []
    for ch in text:
        base = "".join(
            c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)
        ).lower()
        out.append(base if len(base) == 1 else ch)
    return "".join(out)


def _marker(terms: SearchTerms, lexemes: tuple[str, ...]) -> re.Pattern[str]:
    """What to mark: words starting with a term (or with a stem PostgreSQL looked for), and
    the phrases, all folded as the text is."""
    starts = sorted({_fold(t) for t in (*terms.words, *lexemes) if t}, key=len, reverse=True)
    alternatives = [r"[\W_]+".join(re.escape(_fold(t)) for t in p) for p in terms.phrases]
    alternatives += [re.escape(s) + r"[^\W_]*" for s in starts]
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + ")")


def _snippet(message: Message, marker: re.Pattern[str]) -> SafeString:
    """Up to SNIPPET_CHARS of the body around its first match (else the subject's, else the
    body's start), every match marked; all text escaped."""
    for source in (message.body_text, message.subject):
        text = " ".join(source[:INDEXED_CHARS].split())
        found = marker.search(_fold(text))
        if found:
            break
    else:
        text = " ".join(message.body_text[: SNIPPET_CHARS * 4].split()) or message.subject
        found = None
    start = 0
    if found and found.start() > SNIPPET_CHARS // 3:
        start = text.rfind(" ", 0, found.start() - SNIPPET_CHARS // 3) + 1
    end = min(len(text), start + SNIPPET_CHARS)
    if end < len(text) and " " in text[start:end]:
        end = text.rfind(" ", start, end)
    window = text[start:end]
    out = ["…" if start else ""]
    at = 0
    for m in marker.finditer(_fold(window)) if found else ():
        out.append(html.escape(window[at : m.start()]))
        out.append(f"<mark>{html.escape(window[m.start() : m.end()])}</mark>")
        at = m.end()
    out.append(html.escape(window[at:]))
    out.append("…" if end < len(text) else "")
    # Every piece of text above was escaped.
    return mark_safe("".join(out))
