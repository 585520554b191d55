"""bot/store/migrations.py and bot/store/schema.sql: named steps in order, the schema written down,
and a database at any older version upgrading to exactly that schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.store import Store
from bot.store.migrations import (
    BASELINE_VERSION,
    MIGRATIONS,
    SCHEMA_FILE,
    add_functions,
    dump_schema,
    fresh_schema,
    main,
)

REGENERATE = "python -m bot.store.migrations --write"


def schema_of(path: Path) -> str:
    with sqlite3.connect(path) as raw:
        text = dump_schema(raw)
    raw.close()
    return text


def test_schema_sql_is_what_the_store_creates(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    Store(path).close()
    written = SCHEMA_FILE.read_text(encoding="utf-8")
    assert schema_of(path) == written, (
        f"{SCHEMA_FILE} is out of date with bot/store/migrations.py:"
        f" regenerate it with `{REGENERATE}`"
    )


def test_replaying_the_migrations_gives_the_stores_schema(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    Store(path).close()
    assert fresh_schema() == schema_of(path)


@pytest.mark.parametrize("version", range(1, len(MIGRATIONS)))
def test_a_database_at_any_older_version_upgrades_to_the_same_schema(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / f"v{version}.sqlite3"
    with sqlite3.connect(path) as raw:
        add_functions(raw)  # the SQL functions steps use (body_hash)
        for step in MIGRATIONS[:version]:
            raw.executescript(step.sql)
        raw.execute(f"PRAGMA user_version = {version}")
    raw.close()
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
    assert schema_of(path) == SCHEMA_FILE.read_text(encoding="utf-8")


def test_migrations_are_numbered_from_one_in_order_with_distinct_names() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    names = [m.name for m in MIGRATIONS]
    assert all(name.strip() for name in names) and len(set(names)) == len(names)
    assert all(m.statements() for m in MIGRATIONS)


def test_a_migration_with_an_incomplete_statement_is_refused() -> None:
    from bot.store.migrations import Migration

    with pytest.raises(ValueError, match="incomplete SQL statement in migration 9"):
        Migration(9, "typo", "CREATE TABLE t (a INTEGER").statements()


def test_python_m_bot_migrations_prints_the_schema_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([]) == 0
    assert capsys.readouterr().out == SCHEMA_FILE.read_text(encoding="utf-8")


# What differs on purpose (bot/store/schema_postgresql.sql says why): SQLite's FTS5
# table article_titles is a pg_trgm index of that name, and chat_filters.seq is the
# insertion order SQLite's rowid gives.
_SQLITE_ONLY_TABLES = {"article_titles"}
_POSTGRESQL_ONLY_COLUMNS = {("chat_filters", "seq")}
_POSTGRESQL_ONLY_INDEXES = {"article_titles"}


def _sqlite_names(path: Path) -> tuple[dict[str, set[str]], set[str]]:
    with sqlite3.connect(path) as raw:
        tables = [
            row[0]
            for row in raw.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'article_titles%'"
            )
        ]
        columns = {t: {row[1] for row in raw.execute(f"PRAGMA table_info({t})")} for t in tables}
        indexes = {
            row[0]
            for row in raw.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        }
    raw.close()
    return columns, indexes


def test_postgresql_has_the_same_tables_columns_and_indexes(
    tmp_path: Path, store_target: str
) -> None:
    if not store_target.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (DIGESTBOT_TEST_DATABASE)")
    path = tmp_path / "db.sqlite3"
    Store(path).close()
    sqlite_columns, sqlite_indexes = _sqlite_names(path)
    with Store(store_target) as store:
        assert store.schema_version == len(MIGRATIONS)
        rows = store.query(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name != 'schema_version'"
        )
        indexes = {
            row[0]
            for row in store.query(
                "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
                " AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            )
        }
    columns: dict[str, set[str]] = {}
    for table, column in rows:
        if (table, column) not in _POSTGRESQL_ONLY_COLUMNS:
            columns.setdefault(table, set()).add(column)
    assert columns == sqlite_columns
    assert indexes - _POSTGRESQL_ONLY_INDEXES == sqlite_indexes


def test_every_step_after_the_postgresql_baseline_has_its_postgresql_spelling() -> None:
    assert len(MIGRATIONS) >= BASELINE_VERSION
    missing = [step.version for step in MIGRATIONS[BASELINE_VERSION:] if not step.postgresql]
    assert missing == [], f"migrations {missing} need Migration(..., postgresql=...)"
