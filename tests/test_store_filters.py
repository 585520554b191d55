"""Filters in the store and the scheduled run: terms kept per chat (limit, order,
switching mode), held-back articles recorded as done and counted, moved with the chat,
and queue_due_digests composing each chat's digest through its filters."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.articles import Article, Block
from bot.filters import Term
from bot.schedule import Slot
from bot.store import Store
from bot.telegram import jobs
from bot.telegram.jobs import queue_due_digests

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # a Tuesday


def add(store: Store, source: str, title: str, date: str = "2024-01-01", body: str = "") -> int:
    article = Article(
        source=source,
        title=title,
        date=date,
        url=f"https://example.com/{source}",
        language="english",
        blocks=(Block("paragraph", body or f"Body of {source}."),),
    )
    number, _ = store.upsert_article(article)
    store.set_summary(number, [f"Summary of {source}."])
    return number


def terms(*written: str) -> list[tuple[str, str, str]]:
    parsed = [Term(w[0], w[1:]) for w in written]
    return [(t.key, t.mode, t.text) for t in parsed]


def test_terms_are_kept_in_the_order_added_and_a_key_switches_mode(store_target: str) -> None:
    with Store(store_target) as store:
        assert store.add_filter_terms(1, terms("-zebra", "+apple", "-Transfer Window"), 50) == (
            True,
            3,
        )
        assert store.add_filter_terms(1, terms("+ZEBRA"), 50) == (True, 3)
        assert store.filter_terms(1) == [
            ("+", "ZEBRA"),
            ("+", "apple"),
            ("-", "Transfer Window"),
        ]
        assert store.filter_terms_of([1, 2, 3]) == {1: store.filter_terms(1)}
        assert store.filter_terms(2) == []


def test_the_limit_refuses_the_whole_addition(store_target: str) -> None:
    with Store(store_target) as store:
        store.add_filter_terms(1, terms(*(f"-w{n}" for n in range(49))), 50)
        assert store.add_filter_terms(1, terms("-a", "-b"), 50) == (False, 51)
        assert len(store.filter_terms(1)) == 49
        # Terms it has already do not count twice.
        assert store.add_filter_terms(1, terms("+w1", "-a"), 50) == (True, 50)


def test_remove_by_key_and_mode_and_clear(store_target: str) -> None:
    with Store(store_target) as store:
        store.add_filter_terms(1, terms("-football", "+election"), 50)
        assert store.remove_filter_terms(1, [("football", "+")]) == []  # it is a "-" term
        assert store.remove_filter_terms(1, [("football", "-"), ("nope", "")]) == ["football"]
        assert store.remove_filter_terms(1, [("election", "")]) == ["election"]
        store.add_filter_terms(1, terms("-a", "-b"), 50)
        store.add_filter_terms(2, terms("-a"), 50)
        assert store.clear_filter_terms(1) == 2
        assert store.filter_terms(1) == [] and store.filter_terms(2) == [("-", "a")]


def test_held_back_articles_are_done_for_the_chat_and_counted(store_target: str) -> None:
    with Store(store_target) as store:
        a, b = add(store, "a", "A"), add(store, "b", "B")
        store.record_held_back([(1, [a]), (2, [])])
        store.record_held_back([(1, [a, 99999])])  # again, and an unknown number: ignored
        assert [r.number for r in store.unseen_articles(1, 10)] == [b]
        assert store.unseen_numbers(1, 10) == [b]
        assert store.count_held_back(1) == 1 and store.count_held_back(2) == 0
        store.record_deliveries(1, [b])
        assert store.count_held_back(1) == 1  # a delivery is no held-back article
        assert set(store.articles_by_number([a, b, 12345])) == {a, b}


def test_a_migrated_group_keeps_its_filters_and_held_back_count(store_target: str) -> None:
    with Store(store_target) as store:
        a = add(store, "a", "A")
        store.subscribe(-1, "08:00")
        store.add_filter_terms(-1, terms("-football"), 50)
        store.add_filter_terms(-100, terms("+cricket"), 50)
        store.record_held_back([(-1, [a])])
        store.migrate_chat(-1, -100)
        assert store.filter_terms(-100) == [("+", "cricket"), ("-", "football")]
        assert store.filter_terms(-1) == []
        assert store.count_held_back(-100) == 1


def test_an_older_database_gains_the_filter_tables(tmp_path: Path) -> None:
    from bot.store.migrations import MIGRATIONS, add_functions

    path = tmp_path / "old.sqlite3"
    raw = sqlite3.connect(path, isolation_level=None)
    add_functions(raw)  # the SQL functions steps use (body_hash)
    for migration in MIGRATIONS[:-1]:
        for statement in migration.statements():
            raw.execute(statement)
    raw.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
    raw.execute(
        "INSERT INTO deliveries (chat_id, number, delivered_at) VALUES (1, 1, 'x')"
    )  # no article 1: foreign keys are off in this raw connection
    raw.close()
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.count_held_back(1) == 0  # old deliveries are deliveries
        store.add_filter_terms(1, terms("-a"), 50)
        assert store.filter_terms(1) == [("-", "a")]


# -- the scheduled run ------------------------------------------------------------------


@pytest.fixture
def store(store_target: str):
    with Store(store_target) as opened:
        yield opened


def run(store: Store, max_articles: int = 10):
    return queue_due_digests(
        store, Slot("08:00", "UTC"), NOW, default_timezone="UTC", max_articles=max_articles
    )


def outbox(store: Store) -> dict[int, tuple[int, ...]]:
    return {i.chat_id: i.article_numbers for i in store.due_outbox(NOW, limit=100)}


@pytest.mark.parametrize("kept", [5000, 1])
def test_each_chat_gets_what_its_filters_let_through(
    store: Store, monkeypatch: pytest.MonkeyPatch, kept: int
) -> None:
    # kept=1: the run's article records start over at every chat, same digests.
    monkeypatch.setattr(jobs, "RECORDS_KEPT", kept)
    football = add(store, "f", "Transfer window shuts", "2024-01-03")
    election = add(store, "e", "Elections in the north", "2024-01-02")
    harbour = add(store, "h", "Harbour reopens", "2024-01-01", body="After the storm.")
    for chat_id in (1, 2, 3, 4):
        store.subscribe(chat_id, "08:00", "UTC")
    store.add_filter_terms(1, terms("-transfer window"), 50)
    store.add_filter_terms(2, terms("+election"), 50)
    store.add_filter_terms(3, terms("-storm", "-election", "-window"), 50)

    report = run(store)
    assert (report.due, report.queued, report.nothing_new) == (4, 3, 1)
    assert outbox(store) == {
        1: (election, harbour),
        2: (election,),
        4: (football, election, harbour),
    }
    assert [store.count_held_back(c) for c in (1, 2, 3, 4)] == [1, 2, 3, 0]
    text = store.due_outbox(NOW, limit=1)[0].text
    assert text.startswith("<b>Your digest</b> · Tue 1 Dec 2026 · 2 stories\n\n")


def test_held_back_articles_do_not_crowd_out_the_digest(store: Store) -> None:
    muted = [add(store, f"m{i}", f"Football {i}", f"2024-02-{i + 1:02d}") for i in range(4)]
    others = [add(store, f"o{i}", f"Harbour {i}", f"2024-01-{i + 1:02d}") for i in range(4)]
    store.subscribe(1, "08:00", "UTC")
    store.add_filter_terms(1, terms("-football"), 50)
    run(store, max_articles=3)
    # The 4 newest are muted; it still gets 3 others (it reads 3 x 3 unseen ones).
    assert outbox(store) == {1: tuple(reversed(others))[:3]}
    assert store.count_held_back(1) == len(muted)


def test_a_chat_already_served_this_run_records_nothing_held_back(store: Store) -> None:
    add(store, "f", "Football tonight")
    store.subscribe(1, "08:00", "UTC")
    store.add_filter_terms(1, terms("-football"), 50)
    store.queue_digest(1, "2026-12-01", [], now=NOW)  # this run is done for it
    report = run(store)
    assert report.already == 1
    assert store.count_held_back(1) == 0
