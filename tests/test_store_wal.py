"""The store's write path at volume: the WAL is checkpointed beside the writer, never
inside its commits, and a delivery row stores its time in integer seconds."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

import bot.store.base
import bot.store.deliveries
from bot.articles import Article, Block
from bot.store import Store
from bot.store.migrations import MIGRATIONS, add_functions

pytestmark = pytest.mark.sqlite_only  # SQLite's WAL and its checkpoints

NOW = datetime(2026, 12, 7, 12, 0, 30, 250_000, tzinfo=UTC)


def article(n: int) -> Article:
    return Article(
        source=f"wal/{n}",
        title=f"Article {n}",
        date="2026-12-07",
        url=f"https://example.com/{n}",
        language="english",
        blocks=(Block("paragraph", f"Text number {n}. " * 200),),
    )


def test_commits_leave_the_wal_to_the_checkpointer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The checkpointer's thread waits an hour between rounds: only checkpoint() copies.
    monkeypatch.setattr(bot.store.base, "CHECKPOINT_SECONDS", 3600.0)
    path = tmp_path / "wal.sqlite3"
    with Store(path) as store:
        for batch in range(4):  # four commits of ~500 pages: past SQLite's 1,000
            store.upsert_articles([article(batch * 250 + n) for n in range(250)])
        # An automatic checkpoint in a commit past 1,000 pages would have let the next
        # commit rewind the WAL: every commit is still in it.
        busy, frames, copied = store.checkpoint()
        assert frames > 1000
        assert (busy, copied) == (0, frames)
        # The next write starts the WAL over: the checkpointed frames are reused.
        store.upsert_article(article(5000))
        assert store.checkpoint()[1] < 100


def test_a_deliverys_time_is_integer_seconds(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite3"
    with Store(path, clock=NOW.timestamp) as store:
        number, _ = store.upsert_article(article(1))
        store.record_deliveries(7, [number])
    db = sqlite3.connect(path)
    try:
        row = db.execute("SELECT typeof(delivered_at), delivered_at FROM deliveries").fetchone()
    finally:
        db.close()
    assert row == ("integer", int(NOW.timestamp()))


def test_an_older_databases_delivery_times_become_seconds(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    raw = sqlite3.connect(path, isolation_level=None)
    add_functions(raw)
    steps = [m for m in MIGRATIONS if m.version <= 20]
    for migration in steps:
        for statement in migration.statements():
            raw.execute(statement)
    raw.execute(f"PRAGMA user_version = {steps[-1].version}")
    raw.execute(
        "INSERT INTO articles (number, source, content_hash, title, language, text, added_at)"
        " VALUES (1, 'a', 'h', 'T', 'english', 'x', '2026-12-01T00:00:00+00:00')"
    )
    raw.execute(
        "INSERT INTO deliveries (chat_id, topic, number, delivered_at, held_back) VALUES"
        f" (5, 0, 1, '{NOW.isoformat(timespec='microseconds')}', 1), (6, 2, 1, 'x', 0)"
    )
    raw.close()
    with Store(path) as store:
        assert store.count_held_back(5) == 1
        assert store.delivered(6, topic=2) == {1}
    db = sqlite3.connect(path)
    try:
        rows = db.execute(
            "SELECT chat_id, delivered_at FROM deliveries ORDER BY chat_id"
        ).fetchall()
    finally:
        db.close()
    assert rows == [(5, int(NOW.timestamp())), (6, "x")]


def test_both_walks_of_the_unseen_articles_give_the_same_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    day = 86_400.0
    clock = [1_000 * day]
    with Store(":memory:", clock=lambda: clock[0]) as store:
        numbers = []
        for n in range(6):
            number, _ = store.upsert_article(article(n))
            store.set_summary(number, ["Summary."])
            numbers.append(number)
            clock[0] += 60
        store.record_deliveries(7, numbers[:2])
        store.pass_over([7], store.now_text())  # a digest chose among those six
        clock[0] += 60
        later = []
        for n in range(6, 9):
            number, _ = store.upsert_article(article(n))
            store.set_summary(number, ["Summary."])
            later.append(number)
        store.record_deliveries(7, later[:1])
        # An old shared article the chat added to its digest itself counts from then.
        page = Article(
            source="link:https://example.com/2",
            title="A page",
            date="2026-12-07",
            url="https://example.com/2",
            language="english",
            blocks=(Block("paragraph", "Text."),),
        )
        added, _ = store.add_to_digest(7, page, ["Mine."])
        assert added == numbers[2]

        def answers() -> tuple[list[int], int, list[int]]:
            return (
                store.unseen_numbers(7, 50),
                store.count_unseen(7),
                [a.number for a in store.unseen_articles(7, 2)],
            )

        since = answers()  # few articles since the horizon: walked along them
        monkeypatch.setattr(bot.store.deliveries, "SINCE_WALK_MAX", -1)
        assert answers() == since  # the newest-first walk
        assert sorted(since[0]) == sorted([added, *later[1:]])
        assert since[1] == 3
