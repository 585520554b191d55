"""The engine the tests' stores run on: SQLite, or PostgreSQL when
``DIGESTBOT_TEST_DATABASE`` names a server (``postgresql://user@host:port/dbname``, the
database to connect to for creating the others).

On PostgreSQL every test gets a database of its own, copied from a template that was
migrated once per test process (``CREATE DATABASE ... TEMPLATE``: a file copy, no
migration per test), and dropped after the test.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

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
        return None
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
    """Fresh PostgreSQL databases from one migrated template, for one test process."""

    def __init__(self, url: str) -> None:
        self.url = url
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.prefix = f"digestbot_test_{worker}_{uuid.uuid4().hex[:8]}"
        self.template = f"{self.prefix}_template"
        self._count = 0
        self._made: list[str] = []
        self._admin(f'CREATE DATABASE "{self.template}"')
        from bot.store import Store

        Store(_with_database(url, self.template)).close()

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as db:
            db.execute(sql.encode())

    def fresh(self) -> str:
        """The URL of a new, migrated, empty database."""
        self._count += 1
        name = f"{self.prefix}_{self._count}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self._made.append(name)
        return _with_database(self.url, name)

    def drop(self, url: str) -> None:
        name = url.rpartition("/")[2].partition("?")[0]
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self._made:
            self._made.remove(name)

    def close(self) -> None:
        for name in [*self._made, self.template]:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._made.clear()


def sqlite_target(tmp_path: Path) -> str:
    return str(tmp_path / "store.sqlite3")
