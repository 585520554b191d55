"""The engine the tests' stores run on: SQLite, or PostgreSQL when
``DIGESTBOT_TEST_DATABASE`` names a server (``postgresql://user@host:port/dbname``, the
database to connect to for creating the others).

On PostgreSQL each test process (xdist worker) creates a database of its own, migrated
once, and every test that asks for a store gets it empty (:class:`Databases`); it is
dropped when the process ends.
"""

from __future__ import annotations

import os
import re
import sys
import uuid

ENV = "DIGESTBOT_TEST_DATABASE"


def server_url() -> str | None:
    """The PostgreSQL server the tests run on, or None: SQLite."""
    url = os.environ.get(ENV, "").strip()
    return url or None


def engine() -> str:
    return "postgresql" if server_url() else "sqlite"


def unreachable() -> str | None:
    """Why the PostgreSQL server cannot be used, or None when it can."""
    url = server_url()
    if url is None:
        return f"${ENV} is not set"
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=3) as db:
            db.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


def _with_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    base = re.sub(r"(://[^/]*)(/[^/]*)?$", rf"\1/{name}", base)
    return base + (f"?{query}" if query else "")


class Databases:
    """Empty PostgreSQL databases for one test process: one database, migrated once
    (from a template), emptied before each test that asks for it -- every row deleted,
    every identity restarted, the counters zeroed: what a fresh database holds.
    (Creating and dropping a database per test took 1.5 s each on the shared machine;
    emptying one takes milliseconds.)"""

    def __init__(self, url: str) -> None:
        self.url = url
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.name = f"digestbot_test_{worker}_{uuid.uuid4().hex[:8]}"
        self._admin(f'CREATE DATABASE "{self.name}"')
        self.database = _with_database(url, self.name)
        from bot.store import Store

        Store(self.database).close()
        self._reset = self._reset_script()

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as db:
            db.execute(sql.encode())

    def _reset_script(self) -> str:
        import psycopg

        with psycopg.connect(self.database, autocommit=True) as db:
            tables = {
                row[0]
                for row in db.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename NOT IN ('schema_version', 'article_changes')"
                )
            }
            parents = {table: set() for table in tables}
            for child, parent in db.execute(
                "SELECT conrelid::regclass::text, confrelid::regclass::text"
                " FROM pg_constraint WHERE contype = 'f'"
            ):
                if child != parent:
                    parents[child].add(parent)
            identities = db.execute(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = 'public' AND is_identity = 'YES'"
            ).fetchall()
        order: list[str] = []  # children before their parents
        while parents:
            leaves = sorted(t for t in parents if not any(t in p for p in parents.values()))
            order += leaves
            for leaf in leaves:
                del parents[leaf]
        statements = [f"DELETE FROM {table}" for table in order]
        statements += [
            f"ALTER TABLE {table} ALTER COLUMN {column} RESTART WITH 1"
            for table, column in identities
        ]
        statements.append("UPDATE article_changes SET n = 0, listed = 0")
        return "BEGIN; " + "; ".join(statements) + "; COMMIT"

    def fresh(self) -> str:
        """The URL of the process's database, emptied."""
        import psycopg

        with psycopg.connect(self.database, autocommit=True) as db:
            db.execute(self._reset.encode())
        return self.database

    def drop(self, url: str) -> None:
        """Nothing: the next test empties the database again."""

    def close(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def main() -> int:
    """``python -m tests.databases``: whether the PostgreSQL run can go ahead -- 0 when
    its server answers; else one line saying why, and 2 (the run is skipped), or 1
    under CI (where it must run)."""
    problem = unreachable()
    if problem is None:
        return 0
    where = server_url() or f"(${ENV} is not set)"
    line = f"PostgreSQL at {where} is not reachable ({problem})"
    if os.environ.get("CI"):
        print(f"{line}: CI needs it", file=sys.stderr)
        return 1
    print(f"{line}: the PostgreSQL run is skipped", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
