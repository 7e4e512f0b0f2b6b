"""Writing many rows, each with its own values: what a mass message, the demo data and the
benchmarks write by the thousand, without building a model instance per row."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, connections, router, transaction
from django.db.models import Field, Model
from django.utils import timezone


def rows_update(objs: Sequence[Model], fields: Sequence[str]) -> int:
    """Write `fields` of each object (all of one model) to its row; how many rows.

    What `QuerySet.bulk_update` does, the values prepared by their fields as the ORM
    prepares them: on PostgreSQL one `UPDATE … FROM unnest(<an array per column>)`, on
    SQLite one `UPDATE … WHERE pk = %s` run for every row with executemany (one prepared
    statement). bulk_update builds a CASE WHEN per row and field instead: about a
    millisecond of Python per row, six times the time on PostgreSQL for 10,000 rows
    (bench/broadcast.py). No signals and no pre_save, as with bulk_update; values are plain
    (no expressions) of fields whose database type takes an array."""
    if not objs:
        return 0
    model = type(objs[0])
    meta = model._meta
    using = router.db_for_write(model)
    connection = connections[using]
    columns: list[Field] = []
    for name in fields:
        field = meta.get_field(name)
        assert isinstance(field, Field) and field.concrete, name
        columns.append(field)
    pk = meta.pk
    assert pk is not None
    qn = connection.ops.quote_name
    rows = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns]
        + [pk.get_db_prep_save(obj.pk, connection)]
        for obj in objs
    ]
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement over the columns as arrays: psycopg's executemany formats and
            # runs the statement once for each row, most of the client's time.
            names = [qn(str(field.column)) for field in [*columns, pk]]
            arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in [*columns, pk])
            sets = ", ".join(f"{name} = v.{name}" for name in names[:-1])
            cursor.execute(
                f"UPDATE {qn(meta.db_table)} AS t SET {sets} FROM unnest({arrays}) "
                f"AS v({', '.join(names)}) WHERE t.{names[-1]} = v.{names[-1]}",
                [list(column) for column in zip(*rows, strict=True)],
            )
        else:
            sets = ", ".join(f"{qn(str(field.column))} = %s" for field in columns)
            sql = f"UPDATE {qn(meta.db_table)} SET {sets} WHERE {qn(str(pk.column))} = %s"
            cursor.executemany(sql, rows)
    return len(rows)


def rows_insert(
    model: type[Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    computed: dict[str, str] | None = None,
    joined: str = "",
) -> None:
    """Insert plain value tuples: COPY on PostgreSQL, executemany elsewhere.

    bulk_create spends most of its time preparing every field of every object; the big
    tables (messages, inbox entries, identities) skip that. `columns` are attnames
    ("conversation_id"; "id" when the ids were reserved with ids_reserve); every other
    field gets its default, auto_now fields the time now. Values are plain (no
    expressions); JSON columns take their JSON text.

    `computed` (PostgreSQL only): columns the model does not declare, each an SQL
    expression over the row being inserted, aliased `s` (the messages' search vector), and
    over the tables `joined` names (SQL after `FROM … AS s`). The rows are then copied into
    a temporary table and inserted from it with those columns, rather than written and then
    updated (twice the writes, and every index entry twice).
    """
    fields = {f.attname: f for f in model._meta.concrete_fields}
    rest = [
        f for f in model._meta.concrete_fields if f.attname not in columns and not f.primary_key
    ]
    now = timezone.now()
    fixed = tuple(
        now
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        else f.get_default()
        for f in rest
    )
    names = [str(fields[c].column) for c in columns] + [str(f.column) for f in rest]
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    column_sql = ", ".join(qn(n) for n in names)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if not computed:
                with cursor.cursor.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row((*row, *fixed))
                return
            # Each staged row numbered, and inserted in that order (a join may reorder
            # rows; ids not given are taken in the order rows are inserted).
            target = qn(f"staging_{model._meta.db_table}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {target} ON COMMIT DROP AS "
                f"SELECT {column_sql}, 0::bigint AS staged_row FROM {table} WITH NO DATA"
            )
            copied = f"COPY {target} ({column_sql}, staged_row) FROM STDIN"
            with cursor.cursor.copy(copied) as copy:
                for number, row in enumerate(rows):
                    copy.write_row((*row, *fixed, number))
            extra = ", ".join(qn(c) for c in computed)
            cursor.execute(
                f"INSERT INTO {table} ({column_sql}, {extra}) "
                f"SELECT {', '.join(f's.{qn(n)}' for n in names)}, "
                f"{', '.join(computed.values())} FROM {target} AS s {joined} "
                "ORDER BY s.staged_row"
            )
            cursor.execute(f"DROP TABLE {target}")
            return
        # Other databases take datetimes as the backend adapts them (SQLite: ISO text).
        # A mass message's rows share a few times: each is adapted once.
        adapted: dict[Any, Any] = {None: None}

        def adapt(value: Any) -> Any:
            if value not in adapted:
                adapted[value] = connection.ops.adapt_datetimefield_value(value)
            return adapted[value]

        dt_at = [
            i for i, c in enumerate(columns) if fields[c].get_internal_type() == "DateTimeField"
        ]
        fixed = tuple(
            adapt(v) if f.get_internal_type() == "DateTimeField" else v
            for f, v in zip(rest, fixed, strict=True)
        )
        placeholders = ", ".join(["%s"] * len(names))
        sql = f"INSERT INTO {table} ({column_sql}) VALUES ({placeholders})"
        chunk: list[list[Any]] = []
        for row in rows:
            values: list[Any] = [*row, *fixed]
            for i in dt_at:
                values[i] = adapt(values[i])
            chunk.append(values)
            if len(chunk) >= 5000:
                cursor.executemany(sql, chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)


def ids_reserve(model: type[Model], count: int) -> list[int]:
    """`count` new primary keys for rows of `model` that the caller then writes itself
    (rows_insert with "id"), so that what refers to them can be written without reading
    them back. PostgreSQL hands them out from the table's sequence (other writers get
    others); on SQLite they follow the highest id used, which is safe because Parley's
    transactions hold the write lock from their start (IMMEDIATE): call inside one and
    insert before it ends."""
    if count <= 0:
        return []
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    table, column = meta.db_table, str(pk.column)
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [int(row[0]) for row in cursor.fetchall()]
        assert connection.in_atomic_block, "ids_reserve needs the transaction that inserts"
        cursor.execute(f"SELECT MAX({qn(column)}) FROM {qn(table)}")
        top = int(cursor.fetchone()[0] or 0)
        # AUTOINCREMENT never reuses an id, not even one whose row was deleted.
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(top, int(row[0]) if row else 0) + 1
    return list(range(start, start + count))
