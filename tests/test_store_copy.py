"""Moving a bot from SQLite to PostgreSQL (bot/store/copy.py, ``digestbot migrate``): a
real SQLite file copied whole into a real PostgreSQL database -- every table's rows,
keys and counters -- answers every question the same, and the bot's next digest run
on the copy repeats nothing already delivered or queued and skips nothing new.

These tests need the PostgreSQL server whatever engine the rest of the suite runs on:
without it they are skipped with one line (failed under CI)."""

from __future__ import annotations

import sqlite3
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.articles import Article, Block
from bot.cli import main
from bot.filters import Term
from bot.schedule import Slot
from bot.store import Store
from bot.store.copy import CHUNK, CopyError, copy_database
from bot.store.feeds import FeedStore
from bot.store.migrations import MIGRATIONS
from bot.store.stories import StoryStore
from bot.telegram.jobs import queue_due_digests
from tests import databases
from tests.services import POSTGRES_DSN, need

START = datetime(2026, 11, 30, 6, 0, tzinfo=UTC).timestamp()
SLOT = Slot("08:00", "UTC")
RUN = datetime(2026, 11, 30, 8, 0, 5, tzinfo=UTC)
# Subscribers: (chat id, forum topic).
ALICE, BOB, FORUM, GROUP = (1, 0), (2, 0), (-100200, 7), (-100300, 0)
KEYS = (ALICE, BOB, FORUM, GROUP)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def server(
    postgresql_databases: databases.Databases | None,
) -> Iterator[databases.Databases]:
    """Fresh PostgreSQL databases: the PostgreSQL run's own, else ones of this module's
    on the test server (skipped with one line when it is unreachable, failed under CI)."""
    if postgresql_databases is not None:
        yield postgresql_databases
        return
    need("PostgreSQL", "127.0.0.1", 5432)
    made = databases.Databases(POSTGRES_DSN)
    yield made
    made.close()


@pytest.fixture
def target(server: databases.Databases) -> str:
    """An empty PostgreSQL database at this code's schema version."""
    return server.fresh()


@pytest.fixture
def blank(server: databases.Databases) -> Iterator[str]:
    """A PostgreSQL database with nothing in it, not even the schema."""
    name = f"digestbot_copy_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    yield databases._with_database(server.url, name)
    with psycopg.connect(server.url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def article(
    n: int, title: str | None = None, *, source: str | None = None, date: str | None = None
) -> Article:
    return Article(
        source=source or f"seed{n:03d}.txt",
        title=title or f"Harbour news {n}",
        date=date or f"2026-11-{1 + n % 28:02d}",
        url=f"https://example.com/{n}",
        language="english",
        blocks=(Block("paragraph", f"The body of article {n}."),),
    )


def populate(store: Store, clock: Clock) -> int:
    """A bot's database after a while: returns the number of the newest article, which
    was then deleted (its number must never come back)."""
    numbers = []
    for n in range(1, 41):
        title = f"Storm over the harbour {n}" if n % 10 == 3 else f"Harbour news {n}"
        number, _ = store.upsert_article(article(n, title))
        store.set_summary(number, [f"Summary {n}.", "Second sentence."])
        numbers.append(number)
        clock.now += 60
    StoryStore(store).set_story_ids({numbers[0]: numbers[0], numbers[1]: numbers[0]})
    store.subscribe(ALICE[0], "08:00", "UTC")
    store.subscribe(BOB[0], ["08:00", "20:00"], "UTC")
    store.subscribe(FORUM[0], "08:00", "UTC", topic=FORUM[1])
    store.subscribe(GROUP[0], "08:00", "UTC")
    store.add_filter_terms(
        ALICE[0], [(t.key, t.mode, t.text) for t in (Term("-", "Storm"), Term("-", "Weather"))], 50
    )
    store.set_chat_language(ALICE[0], "en")
    store.set_chat_language(BOB[0], "de")
    store.remember_channel(-1001, "Harbour channel", "harbourchan", admins=(ALICE[0],))
    store.set_target(ALICE[0], -1001)
    feeds = FeedStore(store)
    feed, _ = feeds.add_feed("https://feed.example/rss", title="Feed")
    for n in range(41, 44):
        entry = feeds.add_article(
            feed.id,
            article(n, source=f"feed:{n}"),
            keys=[f"id:{n}"],
            fingerprint=f"f{n}",
            published=None,
            summary=["An entry."],
        )
        assert entry is not None
        numbers.append(entry)
        clock.now += 60
    feeds.follow(BOB[0], "https://own.example/feed.xml", max_per_chat=50, max_feeds=1000)
    store.add_to_digest(BOB[0], article(50, "A page Bob added", source="page:50"), ["Added."])
    # What reached whom; what Alice's filter held back.
    store.record_deliveries(ALICE[0], numbers[:10])
    store.record_deliveries(FORUM[0], numbers[:5], topic=FORUM[1])
    store.record_held_back([(ALICE, [numbers[12]])])
    # Yesterday's digests, still waiting: one text for two subscribers (one shared body).
    store.queue_digests(
        "2026-11-29",
        [
            (BOB, [("<b>Yesterday</b>", [numbers[20]])]),
            (FORUM, [("<b>Yesterday</b>", [numbers[20]])]),
        ],
        now=START + 7200,
        digest_time="20:00",
    )
    # The group's old deliveries were pruned: everything before then counts as received.
    store.pass_over([GROUP], before=datetime.fromtimestamp(START + 600, UTC).isoformat())
    clock.now += 60
    newest, _ = store.upsert_article(article(45, "Gone soon"))
    with store.transaction() as db:
        db.execute("DELETE FROM articles WHERE number = ?", (newest,))
    return newest


def sqlite_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        names = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND sql NOT LIKE 'CREATE VIRTUAL%'"
                " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'article_titles_%'"
                " AND name != 'article_changes'"
            )
        ]
        return {name: db.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in names}


def answers(store: Store) -> dict[str, Any]:
    """What the bot asks the store, for every subscriber."""
    feeds = FeedStore(store)
    return {
        "unseen": {
            k: [a.number for a in store.unseen_articles(*k[:1], 50, topic=k[1])] for k in KEYS
        },
        "count_unseen": {k: store.count_unseen(k[0], topic=k[1]) for k in KEYS},
        "held_back": {k: store.count_held_back(k[0], topic=k[1]) for k in KEYS},
        "delivered": {k: sorted(store.delivered(k[0], topic=k[1])) for k in KEYS},
        "added": {k: sorted(store.added_numbers(k[0], topic=k[1])) for k in KEYS},
        "chats": [store.get_chat(k[0], topic=k[1]) for k in KEYS],
        "subscribers": store.subscribers(),
        "filters": store.filter_terms(ALICE[0]),
        "languages": store.chat_languages([ALICE[0], BOB[0]]),
        "target": store.target_of(ALICE[0]),
        "search": [a.number for a in store.search_articles(["harbour", "storm"])],
        "search_one": [a.number for a in store.search_articles(["news 1"])],
        "list": [a.number for a in store.list_articles(0, 100)],
        "count": store.count_articles(),
        "version": store.articles_version(),
        "article": store.get_article(3),
        "stories": StoryStore(store).story_ids(range(1, 60)),
        "next_due": store.next_outbox_due(),
        "outbox": store.count_outbox(),
        "feeds": feeds.feeds(),
        "followed": feeds.followed(BOB[0]),
    }


def test_a_copied_database_answers_the_same_and_its_next_digest_repeats_and_skips_nothing(
    tmp_path: Path, target: str
) -> None:
    clock = Clock(START)
    path = tmp_path / "bot.sqlite3"
    with Store(path, clock=clock) as source:
        deleted = populate(source, clock)
    counts = sqlite_counts(path)

    shown: list[tuple[str, int, int]] = []
    report = copy_database(path, target, chunk=7, progress=lambda *at: shown.append(at))

    assert dict(report.tables) == counts
    # A bar per table, moved chunk by chunk (7 rows here) to its end.
    articles = counts["articles"]
    assert [s for s in shown if s[0] == "articles"] == [
        ("articles", done, articles) for done in [0, *range(7, articles, 7), articles]
    ]
    assert report.total == sum(counts.values()) and report.version == len(MIGRATIONS)
    assert [t for t, n in counts.items() if n == 0] == ["chat_sources_off"]
    with Store(path, clock=clock) as old, Store(target, clock=clock) as new:
        assert answers(new) == answers(old)
        assert new.articles_version() == old.articles_version() > 0
        before = {k: set(new.delivered(k[0], topic=k[1])) for k in KEYS}
        waiting = {
            (item.chat_id, item.topic): set(item.article_numbers)
            for item in new.due_outbox(RUN, limit=100)
        }
        # The bot goes on: a new article gets the next number on both, never the deleted one's.
        clock.now = RUN.timestamp() - 60
        fresh = [
            store.upsert_article(article(60, "Fresh harbour news", date="2026-11-30"))[0]
            for store in (old, new)
        ]
        for store, number in zip((old, new), fresh, strict=True):
            store.set_summary(number, ["Fresh."])
        assert fresh[0] == fresh[1] == deleted + 1

        reports = [
            queue_due_digests(store, SLOT, RUN, default_timezone="UTC", max_articles=50)
            for store in (old, new)
        ]
        assert reports[0].queued == reports[1].queued == 4
        # The sender sends every message, in order: what each subscriber got.
        sent = [send_all(store) for store in (old, new)]
        assert sent[0] == sent[1]
        got: dict[tuple[int, int], set[int]] = {}
        for chat_id, topic, numbers, _ in sent[1]:
            got.setdefault((chat_id, topic), set()).update(numbers)
        for key, numbers in got.items():
            assert not numbers & before[key]  # nothing delivered is repeated
            if key in waiting:  # yesterday's, still waiting, is not queued again
                assert waiting[key] <= numbers and not sent_twice(sent[1], waiting[key])
            assert fresh[1] in numbers  # the new article reaches every subscriber
        # Nothing was skipped: every subscriber has seen everything.
        assert {k: new.count_unseen(k[0], topic=k[1]) for k in KEYS} == dict.fromkeys(KEYS, 0)
        assert answers(new) == answers(old)


def send_all(store: Store) -> list[tuple[int, int, tuple[int, ...], str]]:
    """Every message of the outbox, sent in order (as the sender does): what was sent."""
    sent = []
    while items := store.due_outbox(RUN, limit=100):
        sent += [(i.chat_id, i.topic, i.article_numbers, i.text) for i in items]
        store.mark_sent_many([i.id for i in items])
    return sorted(sent)


def sent_twice(items: list[tuple[int, int, tuple[int, ...], str]], numbers: set[int]) -> bool:
    """Whether any of ``numbers`` is in more than one of a subscriber's outbox items."""
    seen: dict[tuple[int, int, int], int] = {}
    for chat_id, topic, carried, _ in items:
        for number in carried:
            seen[(chat_id, topic, number)] = seen.get((chat_id, topic, number), 0) + 1
    return any(count > 1 for (_, _, number), count in seen.items() if number in numbers)


def test_digestbot_migrate_prints_each_tables_rows_and_the_total(
    tmp_path: Path, blank: str, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = Clock(START)
    path = tmp_path / "bot.sqlite3"
    with Store(path, clock=clock) as source:
        source.upsert_article(article(1))
        source.subscribe(ALICE[0], "08:00", "UTC")
        source.record_deliveries(ALICE[0], [1])

    assert main(["migrate", "--from", str(path), "--to", blank]) == 0

    out, err = capsys.readouterr()
    assert err == ""
    assert out.replace(blank, "URL") == (
        "channels                   0\n"
        "chat_filters               0\n"
        "chat_languages             0\n"
        "chat_sources_off           0\n"
        "chats                      1\n"
        "entry_keys                 0\n"
        "feeds                      0\n"
        "outbox_bodies              0\n"
        "pruned_deliveries          0\n"
        "subscriptions              1\n"
        "articles                   1\n"
        "channel_admins             0\n"
        "chat_targets               0\n"
        "feed_follows               0\n"
        "outbox                     0\n"
        "deliveries                 1\n"
        "digest_additions           0\n"
        "total                      4\n"
        f"copied {path} into URL (schema version {len(MIGRATIONS)}):"
        " every table's rows counted the same on both\n"
    )
    with Store(blank) as copied:
        assert copied.delivered(ALICE[0]) == {1}


def test_a_target_that_holds_rows_is_refused_and_left_as_it_was(
    tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bot.sqlite3"
    with Store(path) as source:
        source.upsert_article(article(1))
    with Store(target) as other:
        other.subscribe(9, "09:00", "UTC")

    assert main(["migrate", "--from", str(path), "--to", target]) == 1

    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"digestbot: error: {target} is not empty (table chats has rows):"
        " copy into an empty database\n"
    )
    with Store(target) as other:
        assert other.count_articles() == 0 and [c.chat_id for c in other.subscribers()] == [9]


def test_a_source_of_another_schema_version_is_refused(tmp_path: Path, target: str) -> None:
    path = tmp_path / "bot.sqlite3"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(CopyError, match="newer than this digestbot's"):
        copy_database(path, target)
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
    with pytest.raises(CopyError, match=r"older than this digestbot's .*\(digestbot check\)"):
        copy_database(path, target)


def test_a_failed_copy_leaves_nothing_in_the_target(tmp_path: Path, target: str) -> None:
    path = tmp_path / "bot.sqlite3"
    with Store(path) as source:
        source.upsert_article(article(1))
        source.subscribe(ALICE[0], "08:00", "UTC")
    with sqlite3.connect(path) as db:  # a row PostgreSQL's types refuse
        db.execute("UPDATE chats SET days = 'often'")

    with pytest.raises(CopyError, match=r"^copying into .* failed: .*bigint"):
        copy_database(path, target)

    with Store(target) as copied:
        assert copied.count_articles() == 0 and copied.subscribers() == []
        assert copied.articles_version() == 0


def test_migrate_refuses_while_a_bot_runs_on_the_file(
    tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.telegram.lock import InstanceLock

    path = tmp_path / "bot.sqlite3"
    Store(path).close()
    with InstanceLock(path):
        assert main(["migrate", "--from", str(path), "--to", target]) == 1
    err = capsys.readouterr().err
    assert err.startswith("digestbot: error: another digestbot (pid ") and err.count("\n") == 1


def test_migrate_on_a_terminal_draws_a_bar_for_each_big_table(
    tmp_path: Path, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_cli_progress import Terminal, bars, without_time

    path = tmp_path / "bot.sqlite3"
    with Store(path) as source:
        number, _ = source.upsert_article(article(1))
        with source.transaction() as db:
            db.executemany(
                "INSERT INTO deliveries (chat_id, number, delivered_at) VALUES (?, ?, 0)",
                [(chat, number) for chat in range(1, CHUNK + 2)],
            )
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["migrate", "--from", str(path), "--to", target]) == 0
    assert [without_time(line) for line in bars(terminal.getvalue())] == [
        f"migrate: deliveries [{'#' * 30}] {CHUNK + 1}/{CHUNK + 1} 100%"
    ]


def test_a_title_never_folded_is_folded_in_the_copy_and_found(tmp_path: Path, target: str) -> None:
    path = tmp_path / "bot.sqlite3"
    with Store(path) as source:
        number, _ = source.upsert_article(article(1, "ÉTÉ Straße"))
    with sqlite3.connect(path) as db:  # as written before the titles were folded
        db.execute("UPDATE articles SET title_folded = NULL, url_key = NULL")

    copy_database(path, target)

    with Store(target) as copied:
        assert [a.number for a in copied.search_articles(["été", "strasse"])] == [number]
        row = copied.query("SELECT title_folded, url_key FROM articles")[0]
        assert (row[0], row[1]) == ("été strasse", "https://example.com/1")
