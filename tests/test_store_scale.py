"""The store at volume: indexes behind every lookup and foreign key, title search by
trigrams with the substring rule, the listed count, pages from either end, shared outbox
bodies, deletes in batches, and the cheap check at open with the full one on demand."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.articles import Article, Block
from bot.cli import main
from bot.store import Store
from bot.store.feeds import FeedStore
from bot.store.migrations import MIGRATIONS, fresh_schema


def article(source: str, title: str, date: str | None = "2024-01-01") -> Article:
    return Article(
        source=source,
        title=title,
        date=date,
        url=f"https://example.com/{source}",
        language="english",
        blocks=(Block("paragraph", "Some text."),),
    )


@pytest.fixture
def store(tmp_path: Path, shared_store_target: str):
    with Store(shared_store_target) as s:
        yield s


@pytest.mark.sqlite_only
def test_every_foreign_key_column_leads_an_index(store: Store) -> None:
    db = sqlite3.connect(store.path)
    tables = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'"
        )
    ]
    missing = []
    for table in tables:
        leading = {
            db.execute(f"PRAGMA index_info('{index[1]}')").fetchone()[2]
            for index in db.execute(f"PRAGMA index_list('{table}')")
        }
        # A rowid table's INTEGER PRIMARY KEY is its own index.
        leading |= {col[1] for col in db.execute(f"PRAGMA table_info('{table}')") if col[5] == 1}
        for fk in db.execute(f"PRAGMA foreign_key_list('{table}')"):
            if fk[3] not in leading:
                missing.append(f"{table}.{fk[3]}")
    db.close()
    assert tables and missing == []


@pytest.mark.sqlite_only
def test_the_readers_questions_use_an_index_not_a_scan(store: Store) -> None:
    db = sqlite3.connect(store.path)
    db.create_function("casefold", 1, str.casefold)
    plans = {
        "delete an article's deliveries": "SELECT 1 FROM deliveries WHERE number = 1",
        "delete an article's additions": "SELECT 1 FROM digest_additions WHERE number = 1",
        "the oldest feed articles": "SELECT number FROM articles INDEXED BY articles_feed_age"
        " WHERE feed_id IS NOT NULL AND coalesce(published_at, added_at) < 'x'",
        "titles to fold": "SELECT 1 FROM articles WHERE title_folded IS NULL",
        "old entry keys": "SELECT key FROM entry_keys WHERE seen_at < 'x'",
        "a body's items": "SELECT 1 FROM outbox WHERE body = x'00'",
    }
    for name, sql in plans.items():
        plan = " ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}"))
        # SEARCH: a range of an index; SCAN of a partial index: only the rows it holds.
        assert "USING" in plan, (name, plan)
    db.close()


def test_title_search_keeps_the_substring_rule_for_every_length_of_word(store: Store) -> None:
    titles = {
        "a": "Straße closed after the STORM",
        "b": "Storms hit the coast",
        "c": "AI finds a new moon",
        "d": "Council votes on the bridge",
        "e": 'Quotes "like this" and 100% wildcards_',
    }
    numbers = {}
    for source, title in titles.items():
        numbers[source], _ = store.upsert_article(article(source, title))

    def found(*words: str, limit: int | None = None) -> set[str]:
        hits = {a.number for a in store.search_articles(words, limit)}
        return {s for s, n in numbers.items() if n in hits}

    for limit in (None, 11, 1000):
        assert found("storm", limit=limit) == {"a", "b"}  # a substring, any case
        assert found("STRASSE", limit=limit) == {"a"}  # Unicode casefold
        assert found("ai", limit=limit) == {"c"}  # two letters: no trigram, still found
        assert found("torm", "coast", limit=limit) == {"b"}
        assert found('"like', limit=limit) == {"e"}
        assert found("100%", limit=limit) == {"e"}
        assert found("zeppelin", limit=limit) == set()
        assert found("", " ", limit=limit) == set()


def test_title_search_finds_rare_words_beyond_the_newest_titles(store: Store) -> None:
    store.upsert_articles(
        article(f"n{n}", f"Harbour news number {n}", date=f"2024-{1 + n % 12:02d}-01")
        for n in range(2500)
    )
    old, _ = store.upsert_article(article("old", "Zeppelin lands in the harbour", "2001-01-01"))
    assert [a.number for a in store.search_articles(["zeppelin"], 11)] == [old]
    assert len(store.search_articles(["harbour"], 11)) == 11
    assert store.search_articles(["nothing-like-it"], 11) == []
    # A retitled article is found by its new title only (the trigram index follows).
    store.upsert_article(article("old", "Airship lands in the harbour", "2001-01-01"))
    assert store.search_articles(["zeppelin"], 11) == []
    assert [a.number for a in store.search_articles(["airship"], 11)] == [old]


def test_the_listed_count_follows_every_change(store: Store) -> None:
    def counted() -> int:
        return store.query(
            "SELECT count(*) FROM articles WHERE retired_at IS NULL AND private = 0"
        )[0][0]

    store.upsert_articles(article(f"s{n}", f"Title {n}") for n in range(5))
    assert store.count_articles() == counted() == 5
    store.retire_missing({"s0", "s1", "s2"})
    assert store.count_articles() == counted() == 3
    store.upsert_article(article("s4", "Title 4"))  # back
    store.add_to_digest(7, article("page", "A private page"), ["One."])
    assert store.count_articles() == counted() == 4


def test_every_page_is_the_same_from_either_end(store: Store) -> None:
    store.upsert_articles(
        article(f"p{n}", f"Title {n}", date=None if n % 7 == 0 else f"2024-01-{1 + n % 5:02d}")
        for n in range(53)
    )
    expected = [
        row[0]
        for row in store.query(
            "SELECT number FROM articles WHERE retired_at IS NULL AND private = 0"
            " ORDER BY date DESC, added_at DESC, number DESC"
        )
    ]
    pages = [[a.number for a in store.list_articles(offset, 10)] for offset in range(0, 60, 10)]
    assert [n for page in pages for n in page] == expected
    assert [a.number for a in store.list_articles(47, 10)] == expected[47:]
    # "Next" walks the same order, one seek each.
    walked = [expected[0]]
    while (following := store.next_article(walked[-1])) is not None:
        walked.append(following.number)
    assert walked == expected


def test_chats_with_the_same_digest_share_one_stored_body(store: Store) -> None:
    number, _ = store.upsert_article(article("a", "Harbour reopens"))
    text = "<b>Your digest</b>\n" + "Harbour reopens after the storm.\n" * 100
    for chat in range(1, 201):
        store.subscribe(chat, "08:00")
    store.queue_digests("2024-01-02", [(chat, [(text, [number])]) for chat in range(1, 201)])
    store.queue_digest(999, "2024-01-02", [("other", [number])])  # unknown chat: nothing
    bodies = "SELECT count(*) FROM outbox_bodies"
    assert store.query(bodies)[0][0] == 1
    items = store.due_outbox(datetime.now(UTC), limit=500)
    assert len(items) == 200 and {item.text for item in items} == {text}
    store.mark_sent_many(item.id for item in items[:199])
    assert store.query(bodies)[0][0] == 1  # still used
    assert store.drop(items[199].id, "blocked")
    assert store.query(bodies)[0][0] == 0


def test_next_outbox_due_is_the_earliest_first_item_of_a_chat(store: Store) -> None:
    number, _ = store.upsert_article(article("a", "Harbour reopens"))
    for chat in (1, 2):
        store.subscribe(chat, "08:00")
    assert store.next_outbox_due() is None
    store.queue_digest(1, "k", [("one", [number]), ("two", [number])], now=100.0)
    store.queue_digest(2, "k", [("three", [number])], now=300.0)
    first, second = store.due_outbox(1000.0, limit=10)
    store.retry_later(first.id, 500.0, "flood")
    # Chat 1's second part is due at 100, but waits behind its first (due 500).
    assert store.next_outbox_due() == 300.0
    store.mark_sent(second.id)
    assert store.next_outbox_due() == 500.0


@pytest.mark.sqlite_only
def test_pruning_feed_articles_deletes_them_all_in_short_batches(tmp_path: Path) -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with Store(tmp_path / "prune.sqlite3", clock=lambda: now.timestamp()) as store:
        feeds = FeedStore(store)
        ages = [(now - timedelta(days=n % 60)).isoformat() for n in range(3000)]
        db = sqlite3.connect(store.path)
        db.execute(
            "INSERT INTO feeds (id, url, origin, created_at) VALUES (1, 'https://f/', 'c', 't')"
        )
        db.executemany(
            "INSERT INTO articles (source, content_hash, title, title_folded, language, text,"
            " summary, added_at, feed_id, published_at) VALUES (?, 'h', ?, ?, 'en', 't',"
            " '[\"s\"]', ?, 1, ?)",
            [
                (f"f{n}", f"T {n}", f"t {n}", now.isoformat(), published)
                for n, published in enumerate(ages)
            ],
        )
        db.execute(
            "INSERT INTO chats (chat_id, topic, created_at, updated_at) VALUES (5, 0, 't', 't')"
        )
        db.execute(
            "INSERT INTO deliveries (chat_id, topic, number, delivered_at)"
            " SELECT 5, 0, number, 't' FROM articles"
        )
        db.commit()
        older = db.execute(
            "SELECT count(*) FROM articles WHERE published_at < ?",
            ((now - timedelta(days=30)).isoformat(),),
        ).fetchone()[0]
        deleted, _ = feeds.prune(30)
        assert deleted == older > 0
        left = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert db.execute("SELECT count(*) FROM deliveries").fetchone()[0] == left == 3000 - older
        assert store.count_articles() == left
        db.close()


@pytest.mark.sqlite_only
def test_a_sound_database_passes_the_full_check_and_the_cli_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    (tmp_path / "seeds").mkdir()
    assert main(["check", "--config", str(config)]) == 0
    assert "is sound" in capsys.readouterr().out


@pytest.mark.sqlite_only
def test_damage_the_cheap_open_misses_is_found_by_the_full_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "digestbot.sqlite3"
    with Store(path) as store:
        store.upsert_articles(article(f"s{n}", f"Title {n} " + "x" * 300) for n in range(400))
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = db.execute("PRAGMA page_size").fetchone()[0]
    # A leaf of the articles table that is not its first: the open's probe reads only
    # the root and the first leaf of each table.
    page = db.execute(
        "SELECT pageno FROM dbstat WHERE name = 'articles' AND pagetype = 'leaf'"
        " AND path NOT LIKE '/000/%' ORDER BY pageno DESC LIMIT 1"
    ).fetchone()[0]
    db.close()
    data = bytearray(path.read_bytes())
    data[(page - 1) * size : (page - 1) * size + 40] = b"\xff" * 40
    path.write_bytes(bytes(data))
    with Store(path) as store:
        problems = store.check_integrity()
    assert problems
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    assert main(["check", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"database {path} is corrupt (" in err


def test_the_schema_file_matches_after_the_scale_migration() -> None:
    assert MIGRATIONS[-1].version == len(MIGRATIONS)
    assert "article_titles" in fresh_schema() and "outbox_bodies" in fresh_schema()
