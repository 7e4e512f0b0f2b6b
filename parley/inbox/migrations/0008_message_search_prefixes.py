"""SQLite: the message search index keeps the prefixes of 4 to 8 letters of every word
(FTS5's `prefix` option), and is filled again from the messages stored.

A word is looked for as a word's beginning (parley/inbox/search.py). Without these prefix
indexes FTS5 merges the entries of every word that begins so, for every search: a common
word cost ten times as much at ten times the messages. With them, a prefix of 4 to 8
letters is one entry, read newest first up to the page. PostgreSQL: nothing changes.
"""

from django.db import migrations

FTS = "inbox_message_fts"
CHARS = 100_000


def _create(schema_editor, prefix: str) -> None:
    schema_editor.execute(f"DROP TABLE IF EXISTS {FTS}")
    schema_editor.execute(
        f"CREATE VIRTUAL TABLE {FTS} USING fts5(ws, subject, body_text, content=''{prefix}, "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    schema_editor.execute(
        f"INSERT INTO {FTS}(rowid, ws, subject, body_text) SELECT id, 'w' || workspace_id, "
        f"subject, substr(body_text, 1, {CHARS}) FROM inbox_message"
    )


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        _create(schema_editor, ", prefix='4 5 6 7 8'")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        _create(schema_editor, "")


class Migration(migrations.Migration):
    dependencies = [("inbox", "0007_response_counts")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
