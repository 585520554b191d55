"""bot/store/engine.py: which engine a target names, PostgreSQL's spelling of the store's
SQL, and (with a PostgreSQL server: DIGESTBOT_TEST_DATABASE) a new database's schema,
writers serialized across connections, and clear errors."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.articles import Article, Block
from bot.store import Store, StoreError
from bot.store.engine import parse_target, postgresql_sql
from bot.store.migrations import MIGRATIONS
from tests.databases import Databases


@pytest.mark.parametrize(
    ("target", "engine", "location"),
    [
        ("digestbot.sqlite3", "sqlite", "digestbot.sqlite3"),
        (Path("/var/lib/db"), "sqlite", "/var/lib/db"),
        (":memory:", "sqlite", ":memory:"),
        ("sqlite:///data/bot.db", "sqlite", "data/bot.db"),
        ("sqlite:////var/lib/bot.db", "sqlite", "/var/lib/bot.db"),
        ("postgresql://u@h:5432/db", "postgresql", "postgresql://u@h:5432/db"),
        ("postgres://u@h/db", "postgresql", "postgresql://u@h/db"),
    ],
)
def test_a_target_names_its_engine(target: str | Path, engine: str, location: str) -> None:
    parsed = parse_target(target)
    assert (parsed.engine, parsed.location) == (engine, location)


def test_an_unknown_scheme_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="unknown database URL scheme 'mysql'"):
        Store("mysql://localhost/db")


def test_a_postgresql_target_prints_without_its_password() -> None:
    assert str(parse_target("postgresql://bot:s3cret@db:5432/news")) == (
        "postgresql://bot:***@db:5432/news"
    )


def test_postgresql_spelling_of_what_the_dialects_say_differently() -> None:
    assert postgresql_sql("SELECT a FROM t INDEXED BY t_a WHERE b = ? LIMIT ?") == (
        "SELECT a FROM t WHERE b = %s LIMIT nullif(%s, -1)"
    )
    assert postgresql_sql("INSERT OR IGNORE INTO t (a) VALUES (?)") == (
        "INSERT INTO t (a) VALUES (%s) ON CONFLICT DO NOTHING"
    )
    assert postgresql_sql("SET x = max(t.x, excluded.x), y = max(y)") == (
        "SET x = greatest(t.x, excluded.x), y = max(y)"
    )
    assert postgresql_sql("WHERE r IS NOT ? AND r IS NOT NULL AND t LIKE '5%'") == (
        "WHERE r IS DISTINCT FROM %s AND r IS NOT NULL AND t LIKE '5%%'"
    )
    assert postgresql_sql("ORDER BY date DESC, added_at DESC") == (
        "ORDER BY date DESC NULLS LAST, added_at DESC"
    )
    assert postgresql_sql("VALUES (?1, ?2, ?1)") == "VALUES (%(1)s, %(2)s, %(1)s)"


# -- on a PostgreSQL server ---------------------------------------------------------------


@pytest.fixture
def server(postgresql_databases: Databases | None) -> Databases:
    if postgresql_databases is None:
        pytest.skip("needs PostgreSQL (DIGESTBOT_TEST_DATABASE)")
    return postgresql_databases


@pytest.fixture
def empty_database(server: Databases) -> Iterator[str]:
    """A database with nothing in it, not even the schema."""
    import psycopg

    name = f"digestbot_empty_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server.url, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"'.encode())
    yield server.database.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(server.url, autocommit=True) as db:
        db.execute(f'DROP DATABASE "{name}" WITH (FORCE)'.encode())


def article(n: int) -> Article:
    return Article(
        source=f"s{n}",
        title=f"Title {n}",
        date="2026-12-07",
        url=f"https://example.com/{n}",
        language="english",
        blocks=(Block("paragraph", "Text."),),
    )


def test_a_new_postgresql_database_gets_the_schema_once_when_opened_at_once(
    empty_database: str,
) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_store() -> None:
        start.wait()
        try:
            Store(empty_database).close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Store(empty_database) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.upsert_article(article(1)) == (1, True)
        assert store.count_articles() == 1


def test_a_writer_on_another_connection_waits_for_the_one_in_its_transaction(
    server: Databases,
) -> None:
    url = server.fresh()
    with Store(url) as first, Store(url) as second:
        first.upsert_article(article(1))
        done = threading.Event()
        numbers: list[int] = []

        def write() -> None:
            numbers.append(second.upsert_article(article(3))[0])
            done.set()

        with first.transaction() as db:
            db.execute(
                "INSERT INTO articles (content_hash, title, language, text, source, added_at)"
                " VALUES ('h', 't', 'english', 'x', 's2', 'now')"
            )
            writer = threading.Thread(target=write)
            writer.start()
            # The second writer is seen waiting for the write lock (the advisory lock).
            waiting = False
            for _ in range(10_000):
                waiting = bool(
                    first.query(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                        " AND NOT granted AND database ="
                        " (SELECT oid FROM pg_database WHERE datname = current_database())"
                    )[0][0]
                )
                if waiting:
                    break
            assert waiting and not done.is_set()
        writer.join()
        assert numbers == [3]  # numbered after the first transaction's article


def test_an_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(
        StoreError, match=r"cannot open database postgresql://nobody@127\.0\.0\.1:1/"
    ):
        Store("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
