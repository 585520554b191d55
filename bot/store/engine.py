"""The engine of a store's target: SQLite (a file or ``":memory:"``) or PostgreSQL.

:func:`parse_target` reads what ``Store(target)`` and ``[storage] url`` take: a path,
``":memory:"``, ``sqlite:///path`` (SQLite), or ``postgresql://...`` (PostgreSQL). For
PostgreSQL this module also holds the connection the store uses
(:class:`PostgresConnection`): the same small interface as ``sqlite3.Connection``
(``execute``/``executemany`` returning a cursor with ``fetchone``, ``fetchall``,
``rowcount``, iteration; rows readable by name and by index, like ``sqlite3.Row``),
and :data:`DatabaseError`, the errors of either engine, for callers to catch.

Why hand-written SQL and not SQLAlchemy Core: the store's queries were tuned to
SQLite's index plans -- covering and partial indexes named in ``INDEXED BY``, the FTS5
trigram index, keyset walks -- and measured (docs/scale.md). A query builder would put
a layer between those statements and the plans they were measured with. So each
statement stays written once, in SQLite's spelling, wherever the two engines agree,
and :func:`postgresql_sql` gives PostgreSQL's spelling of the few places they differ,
each SQLite spelling next to its PostgreSQL one in :data:`SPELLINGS` (placeholders,
index hints, ``INSERT OR IGNORE``, two-argument ``max``, ``IS NOT ?``, ``instr``,
``json_each`` over a list of integers, ``COLLATE NOCASE``, how NULLs sort). Where a
query differs in more than spelling (the title search: FTS5 trigram there, pg_trgm
here), the module that owns it writes both versions side by side. SQLite statements
run untouched: the SQLite path costs nothing more than before.

psycopg is imported only when a PostgreSQL target is opened, so a SQLite bot never
loads it.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "DatabaseError",
    "PostgresConnection",
    "PostgresError",
    "Row",
    "Target",
    "parse_target",
    "postgresql_sql",
]

Engine = Literal["sqlite", "postgresql"]


@dataclass(frozen=True, slots=True)
class Target:
    """Where a store lives: ``engine`` and, for SQLite, the file (or ``":memory:"``);
    for PostgreSQL the connection URL."""

    engine: Engine
    location: str

    @property
    def is_memory(self) -> bool:
        return self.engine == "sqlite" and self.location == ":memory:"

    def __str__(self) -> str:
        return self.location if self.engine == "sqlite" else _without_password(self.location)


def parse_target(target: str | Path) -> Target:
    """The engine and location of ``target``: a path or ``":memory:"`` (SQLite),
    ``sqlite:///relative/path`` or ``sqlite:////absolute/path`` (SQLite), or
    ``postgresql://`` / ``postgres://`` URLs (PostgreSQL). Other schemes: ValueError."""
    text = str(target)
    if isinstance(target, Path) or "://" not in text:
        return Target("sqlite", text)
    scheme, _, rest = text.partition("://")
    scheme = scheme.lower()
    if scheme == "sqlite":
        if not rest.startswith("/"):
            raise ValueError(f"sqlite URL needs three slashes (sqlite:///path): {text!r}")
        path = rest[1:]
        return Target("sqlite", path or ":memory:")
    if scheme in ("postgresql", "postgres") or scheme.startswith("postgresql+"):
        return Target("postgresql", "postgresql://" + rest)
    raise ValueError(
        f"unknown database URL scheme {scheme!r}: a path, sqlite:///path or postgresql://..."
    )


def _without_password(url: str) -> str:
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


class PostgresError(Exception):
    """A PostgreSQL error, as the store raises it (the driver's error is its cause)."""


# What callers outside the store catch: an error of either engine.
DatabaseError: Final = (sqlite3.Error, PostgresError)


# -- PostgreSQL's spelling --------------------------------------------------------------

# (SQLite spelling, PostgreSQL spelling): regular expressions applied in order. Each
# is a place where the two dialects say the same thing differently.
SPELLINGS: Final[tuple[tuple[str, str], ...]] = (
    # Index hints: PostgreSQL's planner chooses its indexes itself.
    (r"\s+INDEXED BY \w+", ""),
    # A NULL never equals: SQLite's "IS NOT" with a value is IS DISTINCT FROM.
    (r"\bIS NOT \?", "IS DISTINCT FROM ?"),
    (r"\binstr\(", "strpos("),
    # A list of integers passed as JSON text, and one stored as JSON text.
    (
        r"SELECT value FROM json_each\(\?\)",
        "SELECT value::bigint FROM json_array_elements_text(?::json) AS j(value)",
    ),
    (
        r"SELECT j\.value FROM outbox o, json_each\(o\.article_numbers\) j",
        "SELECT j.value::bigint FROM outbox o,"
        " json_array_elements_text(o.article_numbers::json) AS j(value)",
    ),
    # NOCASE folds ASCII letters; so does lower() on the schema's COLLATE "C" columns.
    (r"(\w+) = \? COLLATE NOCASE", r"lower(\1) = lower(?)"),
    (r"ORDER BY ([\w.]+) COLLATE NOCASE", r"ORDER BY lower(\1)"),
    # SQLite sorts NULL first ascending and last descending; PostgreSQL the other way
    # round. The nullable columns the store sorts by (the indexes say the same).
    (r"\b((?:\w+\.)?date) DESC\b", r"\1 DESC NULLS LAST"),
    (r"\b((?:\w+\.)?published_at) DESC\b", r"\1 DESC NULLS LAST"),
    (r"ORDER BY ((?:\w+\.)?date), ", r"ORDER BY \1 NULLS FIRST, "),
    # chat_filters' insertion order: SQLite's implicit rowid, PostgreSQL's seq column.
    (r"\browid\b", "seq"),
    # No limit: SQLite's LIMIT -1 is PostgreSQL's LIMIT NULL.
    (r"\bLIMIT \?", "LIMIT nullif(?, -1)"),
)
_COMPILED = tuple((re.compile(pattern), spelling) for pattern, spelling in SPELLINGS)
_IGNORE = re.compile(r"^\s*INSERT OR IGNORE INTO\b", re.IGNORECASE)


@lru_cache(maxsize=4096)
def postgresql_sql(sql: str) -> str:
    """``sql`` (SQLite's spelling, ``?`` placeholders) as PostgreSQL says it (``%s``)."""
    for pattern, spelling in _COMPILED:
        sql = pattern.sub(spelling, sql)
    sql = _two_argument(sql, "max", "greatest")
    sql = _two_argument(sql, "min", "least")
    if _IGNORE.match(sql):
        sql = _IGNORE.sub("INSERT INTO", sql, count=1)
        head, returning, tail = sql.partition(" RETURNING ")
        sql = f"{head} ON CONFLICT DO NOTHING{returning}{tail}"
    return _placeholders(sql)


def _two_argument(sql: str, name: str, spelling: str) -> str:
    """SQLite's scalar ``max(a, b)`` (two arguments; one is the aggregate) as
    ``greatest(a, b)`` (the store's arguments are never NULL, where the two differ)."""
    out, at = [], 0
    for found in re.finditer(rf"\b{name}\(", sql):
        start = found.end()
        depth, comma = 0, False
        for i in range(start, len(sql)):
            char = sql[i]
            if char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    break
                depth -= 1
            elif char == "," and depth == 0:
                comma = True
        if comma:
            out.append(sql[at : found.start()] + spelling + "(")
            at = start
    out.append(sql[at:])
    return "".join(out)


_NUMBERED = re.compile(r"\?(\d+)")


def _placeholders(sql: str) -> str:
    # The store's statements hold no '?' or '%' inside string literals but as written.
    # Numbered ones (?1, ?2) become named ones, read from the parameters as a mapping.
    sql = sql.replace("%", "%%")
    sql = _NUMBERED.sub(r"%(\1)s", sql)
    return sql.replace("?", "%s")


def _parameters(sql: str, params: Sequence[Any]) -> Sequence[Any] | dict[str, Any] | None:
    if "%(" in sql:
        return {str(i): value for i, value in enumerate(params, start=1)}
    return tuple(params) or None


class Row(tuple[Any, ...]):
    """A result row read by index or by column name, as ``sqlite3.Row``."""

    __slots__ = ()
    _index: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


@lru_cache(maxsize=1024)
def _row_class(names: tuple[str, ...]) -> type[Row]:
    index = {name: i for i, name in reversed(list(enumerate(names)))}
    return type("Row", (Row,), {"_index": index, "__slots__": ()})


def _row_factory(cursor: Any) -> Any:
    kind = _row_class(tuple(column.name for column in cursor.description or ()))
    return kind


class PostgresCursor:
    """What ``execute`` returns: the rows of a statement, and how many it changed."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def fetchone(self) -> Any:
        if self._cursor.description is None:
            return None
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        if self._cursor.description is None:
            return []
        return self._cursor.fetchall()

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class PostgresConnection:
    """One psycopg connection with the part of ``sqlite3.Connection``'s interface the
    store uses. Autocommit: the store says BEGIN and COMMIT itself, as on SQLite."""

    def __init__(self, url: str) -> None:
        import psycopg

        self._psycopg = psycopg
        try:
            self._db = psycopg.connect(url, autocommit=True, row_factory=_row_factory)
        except psycopg.Error as exc:
            raise PostgresError(str(exc).strip()) from exc

    @property
    def in_transaction(self) -> bool:
        status = self._db.info.transaction_status
        return status != self._psycopg.pq.TransactionStatus.IDLE

    def execute(self, sql: str, params: Sequence[Any] = ()) -> PostgresCursor:
        cursor = self._db.cursor()
        sql = postgresql_sql(sql)
        try:
            cursor.execute(sql, _parameters(sql, params))
        except self._psycopg.Error as exc:
            raise PostgresError(str(exc).strip()) from exc
        return PostgresCursor(cursor)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> PostgresCursor:
        cursor = self._db.cursor()
        sql = postgresql_sql(sql)
        try:
            cursor.executemany(sql, [_parameters(sql, row) or () for row in rows])
        except self._psycopg.Error as exc:
            raise PostgresError(str(exc).strip()) from exc
        return PostgresCursor(cursor)

    def execute_raw(self, sql: str) -> None:
        """A statement in PostgreSQL's own spelling, without placeholders (the schema)."""
        try:
            self._db.execute(sql.encode())
        except self._psycopg.Error as exc:
            raise PostgresError(str(exc).strip()) from exc

    def close(self) -> None:
        self._db.close()

    def __del__(self) -> None:
        # As a sqlite3 connection: one nobody closed is closed when it is collected
        # (a store built and never run), quietly.
        try:
            db = self._db
        except AttributeError:  # it was never connected
            return
        if not db.closed:
            db.close()


# One lock for every writer of one database: pg_advisory_xact_lock's key.
WRITE_LOCK_KEY: Final = 0x64696765  # "dige"


class ConnectionLocal(threading.local):
    reader: Any = None
