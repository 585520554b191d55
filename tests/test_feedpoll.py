"""Polling feeds against a news site the tests serve on 127.0.0.1 (bot.feeds.poll)."""

from __future__ import annotations

import gzip
import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import Config, FeedConfig, SourcesConfig
from bot.feeds.poll import Poller, PollOutcome
from bot.store import Store
from bot.store.feeds import FeedStore
from bot.web.fetch import Fetcher
from tests.feedkit import Item, atom, jsonfeed, long_text, page, rdf, rss
from tests.newssite import NewsSite

RSS_TYPE = "application/rss+xml"


class Clock:
    def __init__(self, now: float = 1_796_032_800.0) -> None:  # 2026-12-01 10:00 UTC
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def site() -> AsyncIterator[NewsSite]:
    async with NewsSite() as news:
        yield news


class Rig:
    """A store, a fetcher and a poller for the site's feeds."""

    def __init__(self, site: NewsSite, clock: Clock, **sources: object) -> None:
        self.site = site
        self.clock = clock
        self.store = Store(":memory:", clock=clock)
        self.feeds = FeedStore(self.store)
        self.fetcher = Fetcher(site.config())
        self.config = Config(
            fetch=site.config(), sources=replace(SourcesConfig(), workers=2, **sources)
        )
        self.poller = Poller(self.feeds, self.fetcher, self.config, clock=clock)

    def add(self, path: str, name: str | None = None) -> int:
        rows = self.feeds.sync_config(
            [
                *(FeedConfig(f.url, f.name) for f in self.feeds.feeds()),
                FeedConfig(self.site.url(path), name),
            ]
        )
        return rows[-1].id

    async def poll(self, *ids: int) -> list[PollOutcome]:
        feeds = [f for f in self.feeds.feeds() if not ids or f.id in ids]
        return await self.poller.poll_many(feeds)

    async def close(self) -> None:
        self.poller.close()
        await self.fetcher.close()
        self.store.close()


@pytest.fixture
async def rig(site: NewsSite) -> AsyncIterator[Rig]:
    made = Rig(site, Clock())
    yield made
    await made.close()


def full(i: int, topic: str = "budget") -> Item:
    return Item(
        guid=f"g{i}",
        link=f"http://127.0.0.1/a/{i}",
        title=f"Story {i}",
        text=long_text(4, f"{topic} {i}"),
    )


async def test_rss_atom_rdf_and_json_feeds_become_articles_with_their_source(
    site: NewsSite, rig: Rig
) -> None:
    site.feeds["/rss"] = (rss([full(1)], title="Daily RSS"), RSS_TYPE)
    site.feeds["/atom"] = (atom([full(2)]), "application/atom+xml")
    site.feeds["/atom03"] = (atom([full(3)], version="0.3"), "application/atom+xml")
    site.feeds["/rdf"] = (rdf([full(4)]), "application/rdf+xml")
    site.feeds["/json"] = (jsonfeed([full(5)]), "application/feed+json")
    site.feeds["/json10"] = (jsonfeed([full(6)], version="1"), "application/json")
    ids = [rig.add(p) for p in ("/rss", "/atom", "/atom03", "/rdf", "/json", "/json10")]
    rig.add("/rss", name="Named")  # the same URL again: renamed, not added twice
    outcomes = await rig.poll()
    assert [o.status for o in outcomes] == ["new"] * 6, [o.describe() for o in outcomes]
    titles = {a.title: a for a in rig.store.list_articles(limit=50)}
    assert set(titles) == {f"Story {i}" for i in range(1, 7)}
    assert titles["Story 1"].source_name == "Named"
    assert titles["Story 2"].source_name == "Atom News"
    assert titles["Story 5"].source_name == "JSON News"
    assert all(a.summary for a in titles.values())
    assert titles["Story 4"].date == "2026-11-30"
    assert len(set(ids)) == 6


async def test_latin1_feed_is_read_in_its_declared_encoding(site: NewsSite, rig: Rig) -> None:
    item = Item(guid="c", link="http://127.0.0.1/c", title="Café à Zürich", text=long_text(3))
    site.feeds["/latin"] = (rss([item], title="Nouvelles éàü", encoding="iso-8859-1"), RSS_TYPE)
    rig.add("/latin")
    [outcome] = await rig.poll()
    assert outcome.new == 1
    [article] = rig.store.list_articles()
    assert article.title == "Café à Zürich"
    assert article.source_name == "Nouvelles éàü"


async def test_broken_xml_that_feedparser_still_reads_gives_its_entries(
    site: NewsSite, rig: Rig
) -> None:
    body = rss([full(1), full(2)]).replace(b"</channel></rss>", b"<item><title>broken &")
    site.feeds["/broken"] = (body, RSS_TYPE)
    rig.add("/broken")
    [outcome] = await rig.poll()
    assert outcome.new == 2, outcome.describe()


async def test_second_poll_answered_304_parses_nothing_and_adds_nothing(
    site: NewsSite, rig: Rig
) -> None:
    site.feeds["/rss"] = (rss([full(1)]), RSS_TYPE)
    rig.add("/rss")
    await rig.poll()
    [again] = await rig.poll()
    assert again.not_modified and again.status == "unchanged"
    assert site.not_modified["/rss"] == 1
    assert rig.store.count_articles() == 1


async def test_permanent_redirect_updates_the_stored_feed_url(site: NewsSite, rig: Rig) -> None:
    site.feeds["/new-home"] = (rss([full(1)]), RSS_TYPE)
    site.redirects["/old-home"] = (301, site.url("/new-home"))
    site.redirects["/tmp"] = (302, site.url("/new-home"))
    old = rig.add("/old-home")
    tmp = rig.add("/tmp")
    await rig.poll()
    assert rig.feeds.get_feed(old).url == site.url("/new-home")
    assert rig.feeds.get_feed(tmp).url == site.url("/tmp")  # temporary: kept
    assert rig.store.count_articles() == 1  # the same entry through both


async def test_failing_servers_fail_alone_and_back_off(site: NewsSite, rig: Rig) -> None:
    site.feeds["/good"] = (rss([full(1)]), RSS_TYPE)
    site.statuses["/error"] = (500, {})
    site.statuses["/busy"] = (503, {"Retry-After": "7200"})
    site.bombs.add("/bomb")
    good = rig.add("/good")
    feeds = rig.feeds.sync_config(
        [FeedConfig(site.url(p)) for p in ("/good", "/error", "/busy", "/bomb")]
        + [FeedConfig(site.raw_url(p)) for p in ("/hang", "/slam", "/cut-short")]
    )
    outcomes = {o.feed.url: o for o in await rig.poll()}
    assert outcomes[site.url("/good")].new == 1
    errors = {url: o.error for url, o in outcomes.items() if o.failed}
    assert len(errors) == 6, errors
    assert "500" in errors[site.url("/error")]
    assert "503" in errors[site.url("/busy")]
    assert "5000000" in errors[site.url("/bomb")] or "bytes" in errors[site.url("/bomb")]
    assert (
        "timed out" in errors[site.raw_url("/hang")] or "timeout" in errors[site.raw_url("/hang")]
    )
    rows = {f.url: f for f in rig.feeds.feeds()}
    now = rig.clock.now
    error_row = rows[site.url("/error")]
    assert error_row.failures == 1 and error_row.last_error
    hour = 3600
    assert error_row.next_poll_at == pytest.approx(now + hour)
    assert rows[site.url("/busy")].next_poll_at == pytest.approx(now + 7200)
    assert rows[site.url("/good")].failures == 0
    assert good == feeds[0].id


async def test_backoff_doubles_to_a_day_and_a_day_of_failures_is_logged_once(
    site: NewsSite, rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    site.statuses["/down"] = (500, {})
    feed_id = rig.add("/down")
    delays = []
    with caplog.at_level(logging.WARNING, logger="bot.feeds.poll"):
        for _ in range(8):
            before = rig.clock.now
            await rig.poll(feed_id)
            row = rig.feeds.get_feed(feed_id)
            delays.append(row.next_poll_at - before)
            rig.clock.now = row.next_poll_at
    assert delays[:6] == [3600, 7200, 14400, 28800, 57600, 86400]
    assert delays[6:] == [86400, 86400]
    warnings = [r for r in caplog.records if "failed for more than a day" in r.getMessage()]
    assert len(warnings) == 1
    assert rig.poller.failing_for_a_day(rig.feeds.feeds())


async def test_a_feed_failing_three_polls_then_recovering_logs_two_lines(
    site: NewsSite, rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    site.statuses["/flaky"] = (500, {})
    feed_id = rig.add("/flaky", name="Flaky News")
    with caplog.at_level(logging.INFO, logger="bot.feeds.poll"):
        for _ in range(3):
            [outcome] = await rig.poll(feed_id)
            assert outcome.failed
            rig.clock.now = rig.feeds.get_feed(feed_id).next_poll_at
        del site.statuses["/flaky"]
        site.feeds["/flaky"] = (rss([full(1)]), RSS_TYPE)
        [outcome] = await rig.poll(feed_id)
        assert outcome.new == 1, outcome.describe()
        await rig.poll(feed_id)  # working on: nothing to say
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "bot.feeds.poll"]
    assert len(lines) == 2, lines
    (failing_level, failing), (recovered_level, recovered) = lines
    assert failing_level == "WARNING"
    assert failing.startswith(f"feed Flaky News ({site.url('/flaky')}) is failing: ")
    assert "500" in failing and failing.endswith("remove it with /removefeed")
    assert recovered_level == "INFO"
    assert recovered == f"feed Flaky News ({site.url('/flaky')}) works again after 3 failed polls"


async def test_teaser_entries_get_their_page_fetched_and_extracted(
    site: NewsSite, rig: Rig
) -> None:
    site.pages["/story/1"] = page("Council backs night trams", paragraphs=6, topic="trams")
    teaser = Item(
        guid="t1",
        link=site.url("/story/1?utm_source=rss"),
        title=None,
        text="<p>The council backed night trams.</p>",
    )
    site.feeds["/teasers"] = (rss([teaser]), RSS_TYPE)
    rig.add("/teasers")
    [outcome] = await rig.poll()
    assert outcome.new == 1, outcome.describe()
    [article] = rig.store.list_articles()
    assert article.title == "Council backs night trams"
    assert "Paragraph 5." in article.text
    assert "Home" not in article.text and "Copyright" not in article.text
    assert site.hits["/story/1"] == 1


async def test_page_that_cannot_be_fetched_falls_back_to_the_feed_text(
    site: NewsSite, rig: Rig
) -> None:
    site.statuses["/story/gone"] = (404, {})
    teaser = Item(
        guid="t",
        link=site.url("/story/gone"),
        title="Short one",
        text="<p>Only a teaser sentence here.</p>",
    )
    site.feeds["/teasers"] = (rss([teaser]), RSS_TYPE)
    rig.add("/teasers")
    [outcome] = await rig.poll()
    assert outcome.new == 1
    [article] = rig.store.list_articles()
    assert article.text == "Only a teaser sentence here."


async def test_duplicates_within_and_across_feeds_and_republished_entries_are_one_article(
    site: NewsSite, rig: Rig
) -> None:
    one = full(1)
    same_link_other_guid = replace(one, guid="other", link=one.link + "?utm_medium=x#top")
    site.feeds["/a"] = (rss([one, one]), RSS_TYPE)
    site.feeds["/b"] = (atom([same_link_other_guid]), "application/atom+xml")
    a = rig.add("/a")
    b = rig.add("/b")
    await rig.poll(a)
    await rig.poll(b)
    assert rig.store.count_articles() == 1
    # The feed re-publishes everything with new guids and links but the same text.
    moved = [replace(full(1), guid="new-1", link="http://127.0.0.1/moved/1")]
    site.feeds["/a"] = (rss(moved), RSS_TYPE)
    [outcome] = await rig.poll(a)
    assert (outcome.new, outcome.updated) == (0, 0)
    assert rig.store.count_articles() == 1


async def test_edited_entry_updates_its_article_without_sending_it_again(
    site: NewsSite, rig: Rig
) -> None:
    site.feeds["/a"] = (rss([full(1), full(2)]), RSS_TYPE)
    feed_id = rig.add("/a")
    await rig.poll()
    before = {a.title: a.number for a in rig.store.list_articles()}
    rig.store.record_deliveries(42, before.values())
    edited = replace(full(1), title="Story 1 (corrected)", text=long_text(5, "corrected"))
    site.feeds["/a"] = (rss([edited, full(2)]), RSS_TYPE)
    [outcome] = await rig.poll(feed_id)
    assert (outcome.new, outcome.updated, outcome.unchanged) == (0, 1, 1)
    article = rig.store.get_article(before["Story 1"])
    assert article.title == "Story 1 (corrected)" and "corrected" in article.text
    assert article.summary
    assert rig.store.unseen_articles(42, 10) == []


async def test_old_entries_are_not_added_and_old_articles_are_pruned(
    site: NewsSite, rig: Rig
) -> None:
    old = replace(full(1), date="Mon, 02 Jan 2023 10:00:00 GMT")
    site.feeds["/a"] = (rss([old, full(2)]), RSS_TYPE)
    rig.add("/a")
    [outcome] = await rig.poll()
    assert outcome.new == 1 and outcome.unchanged == 1
    rig.clock.now += 40 * 86400
    assert rig.feeds.prune(30) == (1, 0)
    assert rig.store.count_articles() == 0
    fresh = replace(full(3), date="Sat, 09 Jan 2027 10:00:00 GMT")
    site.feeds["/a"] = (rss([old, full(2), fresh]), RSS_TYPE)
    [outcome] = await rig.poll()
    assert outcome.new == 1  # story 3; story 2 is remembered, not brought back


async def test_entries_without_title_or_link_are_handled(site: NewsSite, rig: Rig) -> None:
    items = [
        Item(guid="no-title", link=None, title=None, text=long_text(3, "untitled")),
        Item(guid="nothing", link=None, title="Only a title", text=None),
    ]
    site.feeds["/a"] = (rss(items), RSS_TYPE)
    rig.add("/a")
    [outcome] = await rig.poll()
    assert outcome.new == 1
    [article] = rig.store.list_articles()
    assert article.title.startswith("untitled The city council met on Tuesday")


async def test_a_gzip_encoded_feed_is_read(site: NewsSite, rig: Rig) -> None:
    site.feeds["/gz"] = (rss([full(1)]), RSS_TYPE)
    site.gzipped.add("/gz")
    rig.add("/gz")
    [outcome] = await rig.poll()
    assert outcome.new == 1, outcome.describe()


EVAL_PAGES = Path(__file__).resolve().parents[1] / ".." / "shared" / "eval" / "pages"


@pytest.mark.skipif(not (EVAL_PAGES / "html").is_dir(), reason="../shared/eval/pages missing")
async def test_real_pages_from_the_eval_set_are_extracted_through_the_feed(
    site: NewsSite, rig: Rig
) -> None:
    truth = {}
    with (EVAL_PAGES / "ground-truth.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            truth[row["id"]] = row
    files = sorted((EVAL_PAGES / "html").glob("*.html.gz"))[:10]
    items = []
    for i, path in enumerate(files):
        site.pages[f"/real/{i}"] = gzip.decompress(path.read_bytes())
        items.append(
            Item(guid=f"r{i}", link=site.url(f"/real/{i}"), title=None, text="<p>teaser</p>")
        )
    site.feeds["/real"] = (rss(items), RSS_TYPE)
    rig.add("/real")
    [outcome] = await rig.poll()
    assert outcome.new == len(files), outcome.describe()
    by_title = {a.title: a for a in rig.store.list_articles(limit=20)}
    good_titles = good_bodies = 0
    for path in files:
        expected = truth[path.name.removesuffix(".html.gz")]
        article = next((a for t, a in by_title.items() if t in expected["title_candidates"]), None)
        if article is None:
            continue
        good_titles += 1
        words = set(re.findall(r"\w+", expected["body"].casefold()))
        got = re.findall(r"\w+", article.text.casefold())
        if got and sum(w in words for w in got) / len(got) > 0.8 and len(got) > 100:
            good_bodies += 1
    assert good_titles >= 8, good_titles
    assert good_bodies >= 7, good_bodies


async def test_two_links_to_one_page_by_its_canonical_url_are_one_article(
    site: NewsSite, rig: Rig
) -> None:
    canonical = site.url("/story/main")
    site.pages["/story/a"] = page("Harbour reopens", canonical=canonical, topic="harbour")
    site.pages["/story/b"] = page("Harbour reopens", canonical=canonical, topic="harbour")
    site.feeds["/a"] = (
        rss([Item(guid="a", link=site.url("/story/a"), title=None, text="x")]),
        RSS_TYPE,
    )
    site.feeds["/b"] = (
        rss([Item(guid="b", link=site.url("/story/b"), title=None, text="y")]),
        RSS_TYPE,
    )
    a, b = rig.add("/a"), rig.add("/b")
    [first] = await rig.poll(a)
    [second] = await rig.poll(b)
    assert (first.new, second.new, second.unchanged) == (1, 0, 1)
    [article] = rig.store.list_articles()
    assert article.url == canonical
    # Known now by b's guid too: the next poll of b fetches no page.
    site.feeds["/b"] = (
        rss([Item(guid="b", link=site.url("/story/b"), title=None, text="y")], title="B2"),
        RSS_TYPE,
    )
    await rig.poll(b)
    assert site.hits["/story/b"] == 1
