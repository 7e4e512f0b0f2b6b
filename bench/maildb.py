"""Databases and figures for the sending benchmarks (bench/broadcast.py, bench/postoffice/,
bench/compare_mail.py); the drivers' side only, standard library and psycopg.

Each side migrates and fills a template database once; every round then runs on a fresh
copy of it (SQLite: a copy of the file; PostgreSQL: CREATE DATABASE … TEMPLATE …), so no
round sees the rows an earlier one wrote. SQLite files live in a temporary folder and get
the settings Parley uses (WAL, synchronous=NORMAL); PostgreSQL databases are created and
dropped on the server of --postgres (trust authentication, as in the README).
"""

import shutil
import sqlite3
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


@dataclass
class Db:
    """One database a round runs on: `url` for the child process."""

    kind: str  # "sqlite" or "postgresql"
    url: str


class Databases:
    """Template and round databases of one side (`prefix`) on one engine."""

    def __init__(self, kind: str, prefix: str, postgres: str = DEFAULT_POSTGRES):
        self.kind, self.prefix, self.postgres = kind, prefix, postgres
        self.tmp = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
        self.rounds = 0

    # SQLite: files in self.tmp. PostgreSQL: databases named prefix_template, prefix_rN.

    def _pg_url(self, name: str) -> str:
        parts = urlsplit(self.postgres)
        return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))

    def _pg_admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(self._pg_url("postgres"), autocommit=True) as conn:
            for sql in statements:
                conn.execute(sql)  # type: ignore[arg-type]

    def template(self) -> Db:
        """A new, empty template database (the child migrates and fills it)."""
        if self.kind == "sqlite":
            return Db("sqlite", f"sqlite:///{self.tmp / 'template.sqlite3'}")
        name = f"{self.prefix}_template"
        self._pg_admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        return Db("postgresql", self._pg_url(name))

    def fresh(self) -> Db:
        """A copy of the template for one round (the previous round's copy is dropped)."""
        self.drop_round()
        self.rounds += 1
        if self.kind == "sqlite":
            template = self.tmp / "template.sqlite3"
            with sqlite3.connect(template) as conn:  # fold the WAL into the file first
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            target = self.tmp / f"round{self.rounds}.sqlite3"
            shutil.copyfile(template, target)
            return Db("sqlite", f"sqlite:///{target}")
        name = f"{self.prefix}_r{self.rounds}"
        self._pg_admin(
            f'DROP DATABASE IF EXISTS "{name}"',
            f'CREATE DATABASE "{name}" TEMPLATE "{self.prefix}_template"',
        )
        return Db("postgresql", self._pg_url(name))

    def drop_round(self) -> None:
        if not self.rounds:
            return
        if self.kind == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                (self.tmp / f"round{self.rounds}.sqlite3{suffix}").unlink(missing_ok=True)
        else:
            self._pg_admin(f'DROP DATABASE IF EXISTS "{self.prefix}_r{self.rounds}"')

    def close(self) -> None:
        self.drop_round()
        if self.kind == "postgresql":
            self._pg_admin(f'DROP DATABASE IF EXISTS "{self.prefix}_template"')
        shutil.rmtree(self.tmp, ignore_errors=True)


def spread(values: list[float]) -> tuple[float, float, float]:
    """(median, min, max)."""
    return statistics.median(values), min(values), max(values)


def fmt(values: list[float], digits: int = 2) -> str:
    """'median (min-max)', or "n/a" for none."""
    if not values:
        return "n/a"
    mid, low, high = spread(values)
    if len(values) == 1:
        return f"{mid:.{digits}f}"
    return f"{mid:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def machine() -> str:
    """nproc, load, Python, for the header of a result table."""
    import os
    import platform

    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs, load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}, "
        f"Python {platform.python_version()}"
    )
