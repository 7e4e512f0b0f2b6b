"""A trigram index for substring search on creators (PostgreSQL only).

`search_text__contains` is `LIKE '%term%'`, which no B-tree can serve: without this index a
search that matches few creators reads the whole table (100k creators: ~30 ms for the
creator search, ~25 ms for the inbox search; see bench/inbox.py). A GIN index with
gin_trgm_ops answers LIKE '%term%' for terms of three or more characters.

SQLite has no trigram index; there the query keeps walking the name or inbox index. The
index is not declared on the model because GinIndex/OpClass would need
django.contrib.postgres and would not exist on SQLite; migrate state does not need it.
Built CONCURRENTLY (so atomic = False) to leave the table writable on a live database.
pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
"""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS creator_search_trgm "
        "ON creators_creator USING gin (search_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS creator_search_trgm")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("creators", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
