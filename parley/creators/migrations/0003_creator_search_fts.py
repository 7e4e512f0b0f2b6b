"""A trigram full-text index for substring search on creators (SQLite only).

SQLite has no index that serves `search_text LIKE '%term%'`: at 100k creators a search
for a handle read every row (~370 ms, bench/inbox.py). An FTS5 table with the trigram
tokenizer (SQLite 3.34+) answers a quoted term of three or more characters as a
substring match, case-insensitively, like the pg_trgm index of 0002 does on PostgreSQL.
`creator_search_filter` (parley/creators/selectors.py) is the one place that queries it.

The table is external-content: it stores only the index and reads search_text from
creators_creator by rowid = id. The triggers are the pattern from the FTS5 documentation
(section 4.4.3, 'delete' command with the old values), so every write path, bulk_create
and raw SQL included, keeps the index in sync; 'rebuild' indexes the rows already there.

Caveat: Django's SQLite schema editor rebuilds creators_creator for most AddField /
AlterField operations (copy to a new table, drop the old one), and dropping a table drops
its triggers. tests/creators/test_selectors.py checks that the triggers exist after all
migrations; a migration that rebuilds the table must run `create_fts` again (import it
from here) so the index is re-synced and the triggers come back.

PostgreSQL: a no-op (it has the pg_trgm index).
"""

from django.db import OperationalError, migrations

TABLE = "creator_search_fts"
MIN_SQLITE = (3, 34, 0)

CREATE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
    "search_text, content='creators_creator', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_ai AFTER INSERT ON creators_creator BEGIN "
    f"INSERT INTO {TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_ad AFTER DELETE ON creators_creator BEGIN "
    f"INSERT INTO {TABLE}({TABLE}, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    # WHEN: Django's save() rewrites every column; an unchanged search_text needs no reindex.
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_au AFTER UPDATE OF search_text ON creators_creator "
    "WHEN old.search_text IS NOT new.search_text BEGIN "
    f"INSERT INTO {TABLE}({TABLE}, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO {TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')",
]

DROP = [
    f"DROP TRIGGER IF EXISTS {TABLE}_ai",
    f"DROP TRIGGER IF EXISTS {TABLE}_ad",
    f"DROP TRIGGER IF EXISTS {TABLE}_au",
    f"DROP TABLE IF EXISTS {TABLE}",
]


def create_fts(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    needs = (
        f"Creator search needs SQLite {'.'.join(map(str, MIN_SQLITE))}+ with FTS5 and its "
        f"trigram tokenizer; this Python's SQLite is {version}. Use a newer Python/SQLite, "
        "or PostgreSQL (DATABASE_URL)."
    )
    if tuple(int(p) for p in version.split(".")[:3]) < MIN_SQLITE:
        raise RuntimeError(needs)
    # Drop first: re-running this after a table rebuild (see the caveat above) starts clean.
    try:
        for sql in [*DROP, *CREATE]:
            schema_editor.execute(sql)
    except OperationalError as exc:  # "no such module: fts5", "no such tokenizer: trigram"
        raise RuntimeError(f"{needs} ({exc})") from exc


def drop_fts(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for sql in DROP:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("creators", "0002_creator_search_trgm"),
    ]

    operations = [migrations.RunPython(create_fts, drop_fts, elidable=False)]
