"""Copying a whole database from SQLite into PostgreSQL (``digestbot migrate``).

:func:`copy_database` reads a SQLite file at the code's schema version and writes every
table into an empty PostgreSQL database (a new one gets the schema first, as the store
creates it) in **one transaction**: on any error, or when a table's count in the target
differs from the source's, nothing of the copy stays (the target is left as it was:
empty, migrated). What it keeps:

* **Every row, with its keys.** Tables go parents first (the target's foreign keys
  say the order), each streamed with ``COPY ... FROM STDIN`` from a cursor read in
  chunks of :data:`CHUNK` rows: memory stays flat whatever the table's size. Article
  numbers, feed and outbox ids are copied as they are; afterwards each identity column
  restarts past the highest number SQLite ever gave (``sqlite_sequence``: a deleted
  newest article's number is not reused either). ``chat_filters`` are read in SQLite's
  ``rowid`` order, which PostgreSQL's ``seq`` then numbers (the terms' order).
* **Derived state, as the source says it.** The ``article_changes`` counters are set to
  the source's values; the triggers that move them are disabled on the target during
  the copy (``ALTER TABLE ... DISABLE TRIGGER USER``, in the same transaction), so
  nothing is counted twice. The title search's trigram index is PostgreSQL's own index
  over ``title_folded`` (copied; a title never folded is folded here, as the store
  does on open). FTS5's shadow tables and SQLite's own (``sqlite_*``) are not copied.
* **A consistent picture.** The source is read in one read transaction (a snapshot:
  a writer elsewhere changes nothing the copy sees), after its version was checked:
  older or newer than this code's schema is refused, as is a target that already
  holds rows, tables of its own or another version.

Afterwards the target is ANALYZEd (fresh planner statistics after a bulk load).
``COPY`` streams the rows in one statement per table (no round trip per row or per
batch); rows a second and memory at three sizes: docs/postgresql.md (Moving from SQLite).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from bot.store.base import StoreError, fold_text, url_key
from bot.store.engine import WRITE_LOCK_KEY, parse_target
from bot.store.migrations import MIGRATIONS, add_functions

__all__ = ["CHUNK", "CopyError", "CopyReport", "copy_database"]

# Rows read from SQLite per fetch (and the step of the progress callback).
CHUNK: Final = 5_000
# Kept by the target itself: its version, and the counters (set from the source's).
_TARGET_OWN: Final = frozenset({"schema_version", "article_changes"})
# Where an article row's derived columns come from, as the store fills them on open.
_DERIVED: Final[dict[str, tuple[str, Callable[[Any], Any]]]] = {
    "title_folded": ("title", fold_text),
    "url_key": ("url", url_key),
}

Progress = Callable[[str, int, int], None]


class CopyError(StoreError):
    """The copy was refused or failed, and the target holds nothing of it (unless the
    message says it was copied: only the statistics afterwards failed)."""


@dataclass(frozen=True, slots=True)
class CopyReport:
    """What was copied: each table with its rows (in the order copied), the target
    (its password hidden), the schema version, the counters, and the seconds it took."""

    target: str
    tables: tuple[tuple[str, int], ...]
    version: int
    article_changes: tuple[int, int]
    seconds: float

    @property
    def total(self) -> int:
        return sum(rows for _, rows in self.tables)


def copy_database(
    source: str | Path,
    target: str,
    *,
    progress: Progress | None = None,
    chunk: int = CHUNK,
) -> CopyReport:
    """Copy the SQLite database ``source`` (a path or ``sqlite:///`` URL) whole into the
    PostgreSQL database ``target`` (empty, or freshly migrated to the same schema
    version, with no rows); ``progress(table, done, total)`` is called per chunk.
    Raises :class:`CopyError` (one line) when refused or when anything fails, the
    target's part of the copy rolled back."""
    started = time.perf_counter()
    src_target, dst_target = parse_target(source), parse_target(target)
    if src_target.engine != "sqlite" or src_target.is_memory:
        raise CopyError(f"the source must be a SQLite file, not {src_target}")
    if dst_target.engine != "postgresql":
        raise CopyError(f"the target must be a postgresql:// URL, not {dst_target}")
    path = Path(src_target.location)
    if not path.is_file():
        raise CopyError(f"no SQLite database at {path}")
    import psycopg

    shown = str(dst_target)
    src = _open_source(path)
    try:
        _prepare_target(dst_target.location, shown)
        return _copy(src, path, dst_target.location, shown, progress, chunk, started)
    except psycopg.Error as exc:  # outside the copy's transaction: nothing was written
        raise CopyError(f"{shown}: {_first_line(exc)}") from None
    finally:
        src.close()


def _open_source(path: Path) -> sqlite3.Connection:
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        src = sqlite3.connect(uri, uri=True, isolation_level=None)
        add_functions(src)  # what the schema's triggers and indexes call
        src.execute("PRAGMA busy_timeout = 5000")
        version = src.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise CopyError(f"cannot read {path}: {exc}") from None
    if version != len(MIGRATIONS):
        src.close()
        if version > len(MIGRATIONS):
            raise CopyError(
                f"{path} has schema version {version}, newer than this digestbot's "
                f"{len(MIGRATIONS)}: upgrade digestbot first"
            )
        raise CopyError(
            f"{path} has schema version {version}, older than this digestbot's "
            f"{len(MIGRATIONS)}: open it once with this digestbot (digestbot check) first"
        )
    return src


def _connect(url: str, shown: str) -> Any:
    import psycopg

    try:
        return psycopg.connect(url)
    except psycopg.Error as exc:
        raise CopyError(f"cannot open {shown}: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _prepare_target(url: str, shown: str) -> None:
    """An empty database gets the store's schema; any other is checked: this code's
    schema version, and no rows in any table."""
    with _connect(url, shown) as db:
        tables = _target_tables(db)
    if not tables:
        from bot.store import Store

        Store(url).close()
        return
    if "schema_version" not in tables:
        raise CopyError(f"{shown} is not empty: it has tables but no digestbot schema")
    with _connect(url, shown) as db:
        version = db.execute("SELECT version FROM schema_version").fetchone()[0]
        if version != len(MIGRATIONS):
            raise CopyError(
                f"{shown} has schema version {version}, this digestbot's is "
                f"{len(MIGRATIONS)}: copy into an empty database"
            )
        for table in sorted(tables - _TARGET_OWN):
            if db.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]:
                raise CopyError(
                    f"{shown} is not empty (table {table} has rows): copy into an empty database"
                )


def _target_tables(db: Any) -> set[str]:
    rows = db.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    ).fetchall()
    return {row[0] for row in rows}


def _source_tables(src: sqlite3.Connection) -> list[str]:
    """The source's own tables: not SQLite's (``sqlite_*``), not a virtual table (FTS5)
    nor its shadow tables."""
    rows = src.execute("SELECT name, type, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    virtual = [name for name, _, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
    return sorted(
        name
        for name, _, sql in rows
        if not name.startswith("sqlite_")
        and name not in virtual
        and not any(name.startswith(f"{v}_") for v in virtual)
    )


def _parents_first(db: Any, tables: set[str]) -> list[str]:
    """``tables`` in an order where every table comes after those its foreign keys
    name (by name among equals)."""
    parents: dict[str, set[str]] = {table: set() for table in tables}
    rows = db.execute(
        "SELECT conrelid::regclass::text, confrelid::regclass::text"
        " FROM pg_constraint WHERE contype = 'f'"
    ).fetchall()
    for child, parent in rows:
        if child in parents and parent in tables and child != parent:
            parents[child].add(parent)
    order: list[str] = []
    while parents:
        ready = sorted(t for t, named in parents.items() if not named - set(order))
        if not ready:
            raise CopyError(f"foreign keys form a cycle among {sorted(parents)}")
        order += ready
        for table in ready:
            del parents[table]
    return order


def _columns(src: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in src.execute(f'PRAGMA table_info("{table}")')]


def _target_columns(db: Any, table: str) -> list[str]:
    rows = db.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return [row[0] for row in rows]


def _copy(
    src: sqlite3.Connection,
    path: Path,
    url: str,
    shown: str,
    progress: Progress | None,
    chunk: int,
    started: float,
) -> CopyReport:
    import psycopg

    src.execute("BEGIN")  # one snapshot of the source for every table
    try:
        tables = set(_source_tables(src)) - _TARGET_OWN
        with _connect(url, shown) as db:
            target_tables = _target_tables(db) - _TARGET_OWN
            if tables != target_tables:
                raise CopyError(
                    f"{path} and {shown} have different tables "
                    f"(only in the source: {sorted(tables - target_tables)}, "
                    f"only in the target: {sorted(target_tables - tables)})"
                )
            try:
                # One writer, as the store's writes: nothing else writes while we copy.
                db.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))
                # The counters are set from the source's below: not moved row by row.
                db.execute("ALTER TABLE articles DISABLE TRIGGER USER")
                copied = []
                for table in _parents_first(db, tables):
                    rows = _copy_table(src, db, table, progress, chunk)
                    copied.append((table, rows))
                _check_counts(src, db, copied, shown)
                changes = src.execute("SELECT n, listed FROM article_changes").fetchone()
                db.execute(
                    "UPDATE article_changes SET n = %s, listed = %s", (changes[0], changes[1])
                )
                db.execute("ALTER TABLE articles ENABLE TRIGGER USER")
                _restart_identities(src, db)
                db.commit()
            except psycopg.Error as exc:
                db.rollback()
                raise CopyError(f"copying into {shown} failed: {_first_line(exc)}") from None
            except BaseException:
                db.rollback()
                raise
        try:
            with psycopg.connect(url, autocommit=True) as db:
                db.execute("ANALYZE")
        except psycopg.Error as exc:
            raise CopyError(
                f"copied into {shown}, but ANALYZE failed ({_first_line(exc)}): run it there"
            ) from None
    finally:
        src.execute("COMMIT")
    return CopyReport(
        target=shown,
        tables=tuple(copied),
        version=len(MIGRATIONS),
        article_changes=(changes[0], changes[1]),
        seconds=time.perf_counter() - started,
    )


def _copy_table(
    src: sqlite3.Connection, db: Any, table: str, progress: Progress | None, chunk: int
) -> int:
    """Stream ``table`` from the source into the target; returns the rows sent."""
    columns = _columns(src, table)
    target = _target_columns(db, table)
    missing = [c for c in columns if c not in target]
    if missing:
        raise CopyError(f"the target's {table} has no column {missing[0]}")
    total = src.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    # A column only the target has (chat_filters.seq) numbers the rows in SQLite's order.
    order = " ORDER BY rowid" if set(target) - set(columns) else ""
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = src.execute(f'SELECT {names} FROM "{table}"{order}')
    fixes: list[tuple[int, int, Callable[[Any], Any]]] = [
        (columns.index(column), columns.index(origin), derive)
        for column, (origin, derive) in _DERIVED.items()
        if table == "articles" and column in columns
    ]
    done = 0
    if progress is not None:
        progress(table, 0, total)
    with db.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for batch in _batches(cursor, chunk):
            for row in batch:
                if fixes and any(row[at] is None for at, _, _ in fixes):
                    row = _derived(row, fixes)
                copy.write_row(row)
            done += len(batch)
            if progress is not None:
                progress(table, done, max(total, done))
    return done


def _batches(cursor: sqlite3.Cursor, size: int) -> Iterator[list[Any]]:
    while batch := cursor.fetchmany(size):
        yield batch


def _derived(row: tuple[Any, ...], fixes: list[tuple[int, int, Callable[[Any], Any]]]) -> Any:
    values = list(row)
    for at, origin, derive in fixes:
        if values[at] is None:
            values[at] = derive(values[origin])
    return values


def _check_counts(
    src: sqlite3.Connection, db: Any, copied: list[tuple[str, int]], shown: str
) -> None:
    for table, rows in copied:
        expected = src.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        found = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if not expected == rows == found:
            raise CopyError(
                f"{table}: {expected} rows in the source, {found} in {shown}: nothing was copied"
            )


def _restart_identities(src: sqlite3.Connection, db: Any) -> None:
    """Every identity column restarts past its highest value, and past the highest
    SQLite ever gave that table (AUTOINCREMENT never reuses a number)."""
    given = dict(src.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
    identities = db.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
    ).fetchall()
    for table, column in identities:
        highest = db.execute(f"SELECT coalesce(max({column}), 0) FROM {table}").fetchone()[0]
        after = max(highest, given.get(table, 0)) + 1
        db.execute(f"ALTER TABLE {table} ALTER COLUMN {column} RESTART WITH {after}")
