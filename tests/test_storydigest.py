"""One story once below Telegram: collapsing a chat's entries into stories (pure) and
the story ids stored for the recent articles (a real SQLite file)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import pytest

from bot.catalog import sync
from bot.compose import collapse, regroup_recent, story_digest
from bot.digest import Also
from bot.store import Store
from bot.store.stories import StoryStore
from tests.conftest import write_article

STORM_A = "Storm Ciara floods harbour town of Kingsbridge"
STORM_B = "Kingsbridge harbour flooded as Storm Ciara hits coast"
BUDGET = "Council approves harbour tram budget after long debate"
SOLAR = "Solar farm opens in the valley"


class Record(NamedTuple):
    number: int
    title: str
    url: str | None
    date: str | None
    summary: tuple[str, ...] | None
    source_name: str | None = None
    language: str = "en"


def record(number: int, title: str, source: str, summary: bool = True) -> Record:
    text = (f"{title}. More about it.",) if summary else None
    return Record(number, title, f"https://{source.lower()}.example/{number}", None, text, source)


# -- collapse (pure) ------------------------------------------------------------------------


def test_a_story_is_shown_once_and_a_story_of_more_sources_comes_first() -> None:
    entries = [
        record(9, SOLAR, "Wire"),
        record(8, "STORM!!", "Shouty"),
        record(7, BUDGET, "Wire"),
        record(5, STORM_B, "Courier"),
    ]
    shown = collapse(entries, {8: 5, 5: 5})
    # The clearest title (a plain-length one) leads; told by two sources, the story
    # comes before the newer articles that only one source tells.
    assert [e.number for e in shown.entries] == [5, 9, 7]
    assert shown.new == 3
    assert shown.also == {5: (Also(8, "Shouty", "https://shouty.example/8"),)}
    assert shown.late == []


def test_a_story_counts_once_against_the_limit() -> None:
    entries = [record(4, STORM_A, "Wire"), record(3, STORM_B, "Courier"), record(2, BUDGET, "W")]
    shown = collapse(entries, {4: 3, 3: 3}, limit=2)
    assert len(shown.entries) == 2 and shown.entries[-1].number == 2
    # One story only: the others wait (they are neither shown nor late).
    one = collapse([*entries, record(1, SOLAR, "W")], {4: 3, 3: 3}, limit=1)
    assert [e.number for e in one.entries] in ([4], [3]) and len(one.also) == 1


def test_articles_of_a_story_the_chat_already_had_are_late_not_shown() -> None:
    entries = [record(6, STORM_A, "Wire"), record(2, BUDGET, "Wire")]
    shown = collapse(entries, {6: 3}, reached={3})
    assert [e.number for e in shown.entries] == [2] and shown.late == [6]


def test_the_member_with_a_summary_is_preferred() -> None:
    entries = [record(2, STORM_A, "Wire", summary=False), record(1, STORM_B, "Courier")]
    assert collapse(entries, {2: 1, 1: 1}).entries[0].number == 1


# -- stored story ids -------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path, shared_store_target: str) -> Iterator[Store]:
    folder = tmp_path / "seeds"
    write_article(folder, "a.md", STORM_A, date="2026-11-30", url="https://a.example/storm")
    write_article(folder, "b.md", STORM_B, date="2026-11-30", url="https://b.example/storm")
    write_article(folder, "c.md", BUDGET, date="2026-11-30")
    write_article(folder, "d.md", SOLAR, date="2026-11-30")
    db = Store(shared_store_target)
    sync(db, folder)
    yield db
    db.close()


def numbers(store: Store) -> dict[str, int]:
    return {a.title: a.number for a in store.list_articles(0, 100)}


def test_regrouping_stores_one_story_and_leaves_a_shared_word_apart(store: Store) -> None:
    report = regroup_recent(store, datetime.now(UTC))
    n = numbers(store)
    stories = StoryStore(store)
    story = min(n[STORM_A], n[STORM_B])
    assert report.articles == 4 and report.stories == 1 and report.changed == 2
    assert stories.story_ids(n.values()) == {n[STORM_A]: story, n[STORM_B]: story}
    assert [a.number for a in stories.members(n[STORM_B])] == sorted([n[STORM_A], n[STORM_B]])
    assert [a.number for a in stories.members(n[BUDGET])] == [n[BUDGET]]
    assert stories.members(10**30) == []


def test_regrouping_again_changes_nothing_and_keeps_the_article_version(store: Store) -> None:
    regroup_recent(store, datetime.now(UTC))
    version = store.articles_version()
    assert regroup_recent(store, datetime.now(UTC)).changed == 0
    assert store.articles_version() == version


def test_articles_older_than_the_window_are_not_regrouped(store: Store) -> None:
    far = datetime(2031, 1, 1, tzinfo=UTC)  # every article was added long before
    assert regroup_recent(store, far).articles == 0


def test_a_story_reached_a_chat_by_delivery_or_outbox_not_by_holding_back(store: Store) -> None:
    regroup_recent(store, datetime.now(UTC))
    n = numbers(store)
    stories = StoryStore(store)
    story = min(n[STORM_A], n[STORM_B])
    store.record_held_back([(1, [n[STORM_A]])])
    assert stories.stories_reached(1, [story]) == set()
    store.record_deliveries(2, [n[STORM_B]])
    assert stories.stories_reached(2, [story]) == {story}
    store.subscribe(3, "08:00")
    store.queue_digest(3, "2026-11-30", [("text", [n[STORM_A]])])
    assert stories.stories_reached(3, [story]) == {story}
    # The chat that had one member: the other is late, recorded without being shown.
    shown = story_digest(store, 2, store.unseen_articles(2, 10), 10)
    assert n[STORM_A] in shown.late and {e.number for e in shown.entries} == {n[BUDGET], n[SOLAR]}
    stories.record_shown_elsewhere([(2, shown.late)])
    assert n[STORM_A] in store.delivered(2)


def test_stories_rank_by_distinct_sources_then_by_recency() -> None:
    def dated(number: int, title: str, source: str, day: str) -> Record:
        return record(number, title, source)._replace(date=day)

    entries = [
        dated(20, "Newest alone", "Wire", "2026-12-07"),
        dated(19, "Told twice by one source", "Wire", "2026-12-06"),
        dated(18, "Told twice by one source again", "Wire", "2026-12-06"),
        dated(17, "Three sources", "Wire", "2026-12-05"),
        dated(16, "Three sources too", "Courier", "2026-12-05"),
        dated(15, "Three sources as well", "Shouty", "2026-12-04"),
        dated(14, "Older alone", "Courier", "2026-12-01"),
        dated(13, "Two sources", "Wire", "2026-12-03"),
        dated(12, "Two sources here", "Courier", "2026-12-03"),
    ]
    story_of = {19: 18, 18: 18, 17: 15, 16: 15, 15: 15, 13: 12, 12: 12}
    shown = collapse(entries, story_of, limit=3)
    # Three sources, then two; a story one source tells twice counts once, and ties go
    # to the newer story (the newest article alone before the story told twice).
    leads = [{e.number, *(m.number for m in shown.also.get(e.number, ()))} for e in shown.entries]
    assert leads == [{15, 16, 17}, {12, 13}, {20}]
    assert shown.new == 5  # five new stories to choose from
    everything = collapse(entries, story_of)
    members = [
        {e.number, *(m.number for m in everything.also.get(e.number, ()))}
        for e in everything.entries
    ]
    assert members == [*leads, {18, 19}, {14}]


def test_the_header_says_how_many_of_how_many_new_and_the_end_where_the_rest_are() -> None:
    from bot.digest import DigestEntry, compose_text, digest_messages

    entries = [DigestEntry(n, f"T{n}", None, None, ["S."]) for n in range(3)]
    ((text, _),) = digest_messages(entries, new=187)
    assert text.startswith("<b>Your digest</b> · 3 of 187 new stories\n\n")
    assert text.endswith("<i>184 more new stories: /article lists every article.</i>")
    ((text, _),) = digest_messages(entries, new=3)
    assert text.startswith("<b>Your digest</b> · 3 stories\n") and "more new" not in text
    ((text, _),) = digest_messages(entries, new=1000, more=True)
    assert "3 of 1,000+ new stories" in text and "997+ more new stories" in text
    assert compose_text(entries, new=5).splitlines()[-1] == (
        "2 more new stories: /article lists every article."
    )


def test_a_digest_moves_the_chats_horizon_only_once_it_is_sent(
    tmp_path: Path, shared_store_target: str
) -> None:
    with Store(shared_store_target) as store:
        for n in range(3):
            write_article(tmp_path / "seeds", f"{n}.md", f"Story {n}", date=f"2026-12-0{n + 1}")
        sync(store, tmp_path / "seeds")
        store.subscribe(5, "08:00")
        store.subscribe(6, "08:00")
        horizon = store.now_text()
        (shown,) = [a.number for a in store.unseen_articles(5, 1)]
        for chat in (5, 6):
            assert store.queue_digest(chat, "2026-12-07", [("digest", [shown])], horizon=horizon)
        # Queued, not sent: what the digest passed over is still new for the chats.
        assert store.count_unseen(5) == store.count_unseen(6) == 2
        # A later run with nothing new does not pass over what the unsent one chose from.
        assert store.queue_digest(6, "2026-12-08", [], horizon=store.now_text())
        assert store.count_unseen(6) == 2
        item5, item6 = sorted(store.due_outbox(float("inf")), key=lambda i: i.chat_id)
        assert store.mark_sent(item5.id)
        assert store.count_unseen(5) == 0  # sent: the next digest starts after it
        assert store.drop(item6.id, "Bad Request: something")
        assert store.count_unseen(6) == 3  # never delivered: nothing passed over
        # What was passed over is still an article (in /article).
        assert len(store.list_articles(0, 10)) == 3


def test_a_page_the_chat_added_itself_is_always_shown_whatever_the_ranking(
    tmp_path: Path, shared_store_target: str
) -> None:
    from bot.articles import Article, Block
    from bot.compose import compose_digest

    with Store(shared_store_target) as store:
        for n in range(4):
            write_article(tmp_path / "seeds", f"{n}.md", f"Story {n}", date=f"2026-12-0{n + 1}")
        sync(store, tmp_path / "seeds")
        page = Article(
            source="page:1",
            title="A page I added",
            date="2020-01-01",  # older than everything: ranked last
            url="https://example.com/added",
            language="english",
            blocks=(Block("paragraph", "Body of the page."),),
        )
        number, added = store.add_to_digest(7, page, ["Summary of the page."])
        assert added
        digest = compose_digest(store, 7, 2)
        assert digest.entries[0].number == number and len(digest.entries) == 2
        assert digest.new == 5


def test_a_tick_joins_new_articles_to_the_kept_stories_reading_only_them(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.compose.FULL_REGROUP_ARTICLES", 1)  # every window is "large"
    now = datetime.now(UTC)
    assert regroup_recent(store, now).articles == 4  # no kept window yet: all grouped
    folder = tmp_path / "seeds"
    late = "Storm Ciara floods Kingsbridge harbour again"
    write_article(folder, "e.md", late, date="2026-11-30", url="https://e.example/storm")
    write_article(folder, "f.md", "Library lends bicycles", date="2026-11-30")
    sync(store, folder)
    report = regroup_recent(store, now)
    assert report.articles == 2  # only the new ones were read and joined
    n = numbers(store)
    story = min(n[STORM_A], n[STORM_B])
    assert StoryStore(store).story_ids(n.values()) == {
        n[STORM_A]: story,
        n[STORM_B]: story,
        n[late]: story,
    }
    assert report.changed == 1
