"""bot/store/migrations.py and bot/store/schema.sql: named steps in order, the schema written down,
and a database at any older version upgrading to exactly that schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.store import Store
from bot.store.migrations import (
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
