"""Every cache has a ceiling in bytes, not only in entries (bench/memory.py measures the
whole bot: 60 links to 5 MB pages)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from bot.caches import ENTRY_OVERHEAD, SizedCache, text_size
from bot.telegram.app import runtime
from bot.telegram.runtime import PAGE_SUMMARIES_BYTES, Runtime
from bot.web.links import PageSummary, Pending
from bot.web.workers import Workers
from tests.conftest import write_article
from tests.fakebotapi import FakeBotAPI, Message
from tests.test_links import CHAT, NewsSite, start_bot


def test_a_sized_cache_drops_the_least_recently_used_beyond_its_bytes() -> None:
    cache: SizedCache[str, bytes] = SizedCache(100, 3 * (1000 + ENTRY_OVERHEAD), len)
    for key in "abc":
        cache.put(key, b"x" * 1000)
    assert cache.get("a") is not None  # now the most recent
    cache.put("d", b"x" * 1000)
    assert "b" not in cache and {"a", "c", "d"} <= {k for k in "abcd" if k in cache}
    assert cache.bytes <= cache.max_bytes
    cache.put("huge", b"x" * 10_000)  # larger than the whole budget: not kept
    assert "huge" not in cache and len(cache) == 3


def test_a_sized_cache_also_keeps_at_most_its_entries() -> None:
    cache: SizedCache[int, str] = SizedCache(2, 1 << 20, text_size)
    for n in range(5):
        cache.put(n, "v")
    assert len(cache) == 2 and 3 in cache and 4 in cache
    cache.put(4, "w" * 100)  # replacing counts the new size only
    assert cache.bytes == text_size("v") + text_size("w" * 100) + 2 * ENTRY_OVERHEAD


def test_text_size_counts_what_cpython_stores() -> None:
    assert text_size("a" * 1000) == sys.getsizeof("a" * 1000)
    assert text_size("🌉" * 1000) >= 4000  # four bytes a character once one needs it


def test_a_summary_s_size_counts_its_text_as_stored() -> None:
    wide = "Brücke über den Fluss 🌉. " * 1000
    summary = PageSummary("T", None, None, None, "german", (wide,), (("paragraph", wide),))
    assert summary.size >= 2 * sys.getsizeof(wide)


def test_pending_buttons_keep_at_most_their_bytes() -> None:
    big = "word " * 200_000  # ~1 MB of article text
    summary = PageSummary("T", None, None, None, "english", ("S.",), (("paragraph", big),))
    pending = Pending(max_items=2000, max_bytes=5 << 20)
    tokens = [pending.add(1, summary) for _ in range(20)]
    assert len(pending) <= 5
    assert pending.get(1, tokens[-1]) is summary and pending.get(1, tokens[0]) is None


# -- the bot's caches ------------------------------------------------------------------


@pytest.fixture
async def site():
    async with NewsSite() as server:
        yield server


@pytest.fixture
async def bot(
    fake: FakeBotAPI, bot_config: Any, seeds: Path, site: NewsSite, warm_workers: Workers
):
    write_article(seeds, "seed.md", "A seed article", date="2026-11-01")
    async for application in start_bot(bot_config, site, warm_workers):
        yield application


async def ask(fake: FakeBotAPI, text: str) -> Message:
    """Send ``text``; the reply (the worker process may take seconds to start on a busy
    machine)."""
    before = len(fake.messages(CHAT))
    fake.send_text(CHAT, text)
    return await fake.wait_for_message(CHAT, before + 1, timeout=30)


def small_summaries(rt: Runtime, max_bytes: int) -> None:
    rt.page_summaries = SizedCache(256, max_bytes, lambda summary: summary.size)


async def test_summarized_pages_keep_their_summaries_within_bytes_and_never_the_bodies(
    bot, fake, site
):
    rt = runtime(bot)
    assert rt.page_summaries.max_bytes == PAGE_SUMMARIES_BYTES
    first = await ask(fake, site.url("/news/first"))
    kept = rt.page_summaries.values()
    assert kept and all(isinstance(value, PageSummary) for value in kept)
    one = kept[0].size + ENTRY_OVERHEAD
    small_summaries(rt, int(2.5 * one))
    for name in ("a", "b", "c", "d"):
        await ask(fake, site.url(f"/news/{name}"))
    assert len(rt.page_summaries) == 2 and rt.page_summaries.bytes <= int(2.5 * one)
    assert first.bold() == ["Story first"]


async def test_article_replies_are_kept_within_their_bytes(bot, fake):
    rt = runtime(bot)
    rt.article_replies = SizedCache(4096, 1, lambda reply: 1)  # room for nothing
    reply = await ask(fake, "/article 1")
    assert reply.bold() == ["A seed article"]
    assert len(rt.article_replies) == 0


# -- what a scheduled digest run keeps ---------------------------------------------------


def test_a_digest_run_keeps_article_texts_within_its_bytes(store_target: str) -> None:
    from bot.compose import DigestReads
    from bot.store import Store
    from tests.test_links import page_article

    with Store(store_target) as store:
        big = "word " * 200_000  # ~1 MB of text each
        numbers = [
            store.upsert_article(page_article(f"https://example.com/{n}", big))[0] for n in range(6)
        ]
        reads = DigestReads(store, records_kept=3000, records_bytes=2_500_000)
        for number in numbers:
            assert [a.number for a in reads.articles([number])] == [number]
            assert len(reads.records) <= 4  # started over once past ~2.5 MB


def test_the_filters_words_of_a_run_stay_within_their_bytes() -> None:
    from types import SimpleNamespace

    from bot.filters import ArticleCache

    cache = ArticleCache(limit=3000, max_bytes=5_000_000)
    text = "word " * 100_000  # ~0.5 MB, counted three times
    for number in range(20):
        cache.words(SimpleNamespace(number=number, title="T", text=text, language="english"))
        assert cache.bytes <= 5_000_000 + 3 * 600_000
