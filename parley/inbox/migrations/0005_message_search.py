"""The message search index (parley/inbox/search.py), and every message already stored in it.

PostgreSQL: a tsvector column made with the workspace's text-search configuration, a GIN
index on it, and (workspace_id, id) for the newest matches first. SQLite: a contentless FTS5
table, rowid = the message's id, its `ws` column "w<workspace id>". Neither is declared on
the model (a tsvector field would need django.contrib.postgres and exist on SQLite too);
the app writes them, so a later migration that rebuilds inbox_message on SQLite loses
nothing (there are no triggers), and on PostgreSQL the column is kept by ALTER TABLE.
"""

from django.db import OperationalError, migrations

FTS = "inbox_message_fts"
CHARS = 100_000

PG_FORWARD = [
    "ALTER TABLE inbox_message ADD COLUMN IF NOT EXISTS search_vector tsvector",
    "UPDATE inbox_message AS m SET search_vector = to_tsvector("
    f"w.search_language::regconfig, left(m.subject || ' ' || m.body_text, {CHARS})) "
    "FROM accounts_workspace AS w WHERE w.id = m.workspace_id",
    "CREATE INDEX IF NOT EXISTS message_search ON inbox_message USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS message_workspace_recent ON inbox_message (workspace_id, id)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS message_workspace_recent",
    "DROP INDEX IF EXISTS message_search",
    "ALTER TABLE inbox_message DROP COLUMN IF EXISTS search_vector",
]
SQLITE_FORWARD = [
    f"DROP TABLE IF EXISTS {FTS}",
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(ws, subject, body_text, content='', "
    "tokenize='unicode61 remove_diacritics 2')",
    f"INSERT INTO {FTS}(rowid, ws, subject, body_text) SELECT id, 'w' || workspace_id, "
    f"subject, substr(body_text, 1, {CHARS}) FROM inbox_message",
]
SQLITE_BACKWARD = [f"DROP TABLE IF EXISTS {FTS}"]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for sql in PG_FORWARD:
            schema_editor.execute(sql)
    elif vendor == "sqlite":
        try:
            for sql in SQLITE_FORWARD:
                schema_editor.execute(sql)
        except OperationalError as exc:  # "no such module: fts5"
            raise RuntimeError(
                f"Message search needs SQLite with FTS5, or PostgreSQL (DATABASE_URL): {exc}"
            ) from exc


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}.get(vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_workspace_search_language"),
        ("inbox", "0004_response_times_preferences"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
