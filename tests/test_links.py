"""Summaries on demand end to end: links and texts sent to the bot over the
fake Bot API, pages served by the tests on 127.0.0.1 (the only exempt address) and a
trap on 127.0.0.2 that must never receive a connection.

Host names resolve through a stub (``news.test`` → 127.0.0.1, ``inside.test`` →
127.0.0.2, anything else: no such host), so nothing leaves 127.0.0.0/8. The fetcher's
own tests (tests/test_fetch.py, tests/test_fence.py) cover every refused spelling and
redirect case; here a subset goes through the whole bot.
"""

from __future__ import annotations

import asyncio
import gzip
import html
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.articles import Article, Block
from bot.cluster.state import LocalTokens
from bot.digest import visible_len
from bot.store import Store
from bot.store.feeds import FeedStore
from bot.telegram.app import build_application, running, runtime
from bot.telegram.jobs import rescan_seeds
from bot.telegram.replies import COMMANDS
from bot.web import links
from bot.web.fetch import Fetcher
from bot.web.links import PageSummary, Pending, summary_messages, what_is_asked
from bot.web.workers import Workers
from tests import conftest
from tests.conftest import write_article
from tests.fakebotapi import FakeBotAPI, Message
from tests.loopsite import LoopSite

CHAT = 5151
OTHER = 5252
GROUP = -100777

PARAGRAPHS = [
    "The city council approved a new harbour bridge on Monday after a long debate. "
    "The bridge will cost forty million euros and open in three years. "
    "Engineers said the design would survive the strongest storms on the coast.",
    "Critics argued that the money should have gone to schools and hospitals instead. "
    "Supporters replied that thousands of commuters would save an hour every day. "
    "The mayor promised that local firms would build most of the structure.",
    "Work on the foundations starts in the spring, weather permitting. "
    "Ferry operators warned that their services might have to close once it opens. "
    "The regional government still has to sign off on its share of the cost.",
]

ARTICLE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title} | Harbour News</title>
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="Harbour News">
<meta property="article:published_time" content="2026-11-29T08:00:00+00:00">
</head><body><nav><a href="/">Home</a> <a href="/sport">Sport</a></nav>
<article><h1>{title}</h1>{body}</article>
<footer>Copyright Harbour News</footer></body></html>"""


def article_html(title: str = "Council approves the harbour bridge", extra: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + extra
    return ARTICLE.format(title=title, body=body)


class NewsSite(LoopSite):
    """The fetch tests' loopback site plus article pages in several encodings."""

    async def _news(self, request: web.Request, rest: str) -> web.StreamResponse:
        """/news/NAME: an article whose title names NAME."""
        return web.Response(text=article_html(f"Story {rest}"), content_type="text/html")

    async def _tricky(self, request: web.Request, rest: str) -> web.StreamResponse:
        title = '<b>"AT&T" & Co</b> win the <script>bridge</script> contract'
        page = article_html("TITLE").replace("TITLE", html.escape(title))
        return web.Response(text=page, content_type="text/html")

    async def _latin(self, request: web.Request, rest: str) -> web.StreamResponse:
        """ISO-8859-1, said only in the Content-Type header."""
        page = article_html("Grüße aus Köln: the bridge", " <p>Café owners à la française.</p>")
        page = page.replace('<meta charset="utf-8">', "")
        return web.Response(
            body=page.encode("latin-1"), headers={"Content-Type": "text/html; charset=ISO-8859-1"}
        )

    async def _windows(self, request: web.Request, rest: str) -> web.StreamResponse:
        """windows-1252, said only in a <meta> tag."""
        page = article_html("“Smart quotes” – the bridge")
        page = page.replace('<meta charset="utf-8">', '<meta charset="windows-1252">')
        return web.Response(body=page.encode("cp1252"), headers={"Content-Type": "text/html"})

    async def _words(self, request: web.Request, rest: str) -> web.StreamResponse:
        text = "Harbour bridge approved\n\n" + "\n\n".join(PARAGRAPHS)
        return web.Response(text=text, content_type="text/plain")

    async def _zipped(self, request: web.Request, rest: str) -> web.StreamResponse:
        return web.Response(
            body=gzip.compress(article_html("Zipped story").encode()),
            headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"},
        )

    async def _slow(self, request: web.Request, rest: str) -> web.StreamResponse:
        """Waits for the gate, then an article (a fetch in flight as long as a test likes)."""
        self.entered.set()
        await self.gate.wait()
        return web.Response(text=article_html("The slow story"), content_type="text/html")


class StubDNS:
    def __init__(self) -> None:
        self.answers = {"news.test": ["127.0.0.1"], "inside.test": ["127.0.0.2"]}

    async def __call__(self, host: str, port: int) -> list[str]:
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.answers[host]


@pytest.fixture
async def site() -> AsyncIterator[NewsSite]:
    async with NewsSite() as server:
        yield server
    assert server.trap.connections == 0, "the refused address was contacted"


def fetch_section(site: LoopSite, **changes: Any) -> dict[str, Any]:
    section: dict[str, Any] = {
        "connect_timeout": 2,
        "total_timeout": 2,
        "max_bytes": 1_000_000,
        "allow_ports": [site.port, site.raw.port],
        "allow_networks": ["127.0.0.1/32"],
        "per_chat_per_hour": 30,
    }
    section.update(changes)
    return section


async def start_bot(
    bot_config: Any, site: LoopSite, workers: Workers, **fetch: Any
) -> AsyncIterator[Any]:
    config = bot_config(fetch=fetch_section(site, **fetch))
    application = build_application(config)
    rt = runtime(application)
    rt.fetcher = Fetcher(config.fetch, lookup=StubDNS())
    rt.workers = workers  # the session's warm worker process: the real path, little CPU
    async with running(application, config):
        await rescan_seeds(application)
        yield application


@pytest.fixture
async def bot(
    fake: FakeBotAPI, bot_config: Any, seeds: Path, site: NewsSite, warm_workers: Workers
):
    write_article(seeds, "seed.md", "A seed article", date="2026-11-01")
    async for application in start_bot(bot_config, site, warm_workers):
        yield application


async def ask(fake: FakeBotAPI, text: str, chat: int = CHAT, replies: int = 1) -> Message:
    return await conftest.ask(fake, text, chat, replies)


# -- what a message asks (pure) -------------------------------------------------------


def test_the_first_link_in_a_message_is_what_it_asks_for() -> None:
    ask_ = what_is_asked("Look at this: https://example.com/a?b=1. And http://example.org/")
    assert (ask_.kind, ask_.value) == ("link", "https://example.com/a?b=1")


def test_a_word_linked_in_a_forwarded_post_counts_as_a_link() -> None:
    ask_ = what_is_asked("Read more", ["https://example.com/story"])
    assert (ask_.kind, ask_.value) == ("link", "https://example.com/story")


def test_fifty_words_are_a_text_to_summarize_and_fewer_are_short() -> None:
    assert what_is_asked(" ".join(["word"] * 50)).kind == "text"
    short = what_is_asked(" ".join(["word"] * 49))
    assert (short.kind, short.words) == ("short", 49)
    assert what_is_asked("   ").kind == "nothing"
    assert what_is_asked(None).kind == "nothing"


def test_a_long_summary_is_split_into_messages_of_at_most_4096_utf16_units() -> None:
    sentence = "Ein sehr langer Satz über Brücken & Häfen 🌉 mit <Zeichen>, " * 30
    summary = PageSummary(
        title="Long",
        url="https://example.com/long",
        site_name="Site",
        date="2026-11-30",
        language="german",
        sentences=tuple(sentence.strip() + "." for _ in range(6)),
        blocks=(("paragraph", "x"),),
    )
    messages = summary_messages(summary, "token")
    assert len(messages) > 1
    assert all(visible_len(text) <= 4096 for text, _ in messages)
    assert all(markup is None for _, markup in messages[:-1])
    assert "add:token" in messages[-1][1]
    assert "&lt;Zeichen&gt;" in messages[0][0] and "<Zeichen>" not in messages[0][0]


def test_a_pasted_text_without_headline_does_not_repeat_its_title_as_its_summary() -> None:
    summary = links.summarize_text("\n\n".join(PARAGRAPHS), sentences=3)
    assert (
        summary.title
        == "The city council approved a new harbour bridge on Monday after a long debate."
    )
    assert summary.title not in summary.sentences
    assert len(summary.sentences) == 3  # the next best sentence takes its place
    shown = summary_messages(summary, None)[0][0]
    assert shown.count("The city council approved") == 1


def test_a_long_first_sentence_cut_into_a_title_is_not_repeated_under_it() -> None:
    first = (
        "The city council approved a new harbour bridge on Monday after a long debate that"
        " lasted well into the night and left several members of the opposition furious."
    )
    summary = links.summarize_text(first + " " + "\n\n".join(PARAGRAPHS[1:]), sentences=3)
    assert summary.title.endswith("…") and first.startswith(summary.title[:-1])
    assert first not in summary.sentences and len(summary.sentences) == 3


def test_a_headline_line_titles_a_pasted_text_and_its_sentences_stay() -> None:
    summary = links.summarize_text("Harbour bridge approved\n\n" + "\n\n".join(PARAGRAPHS))
    assert summary.title == "Harbour bridge approved"
    assert summary.sentences[0].startswith("The city council approved")


def test_an_untitled_page_is_titled_by_its_first_sentence_not_repeated_below() -> None:
    page = article_html("TITLE").replace("<title>TITLE | Harbour News</title>", "")
    page = page.replace('<meta property="og:title" content="TITLE">', "")
    page = page.replace("<h1>TITLE</h1>", "")
    summary = links.summarize_page(page, "https://news.test/untitled")
    assert summary.title.startswith("The city council approved")
    assert all(not s.startswith("The city council approved") for s in summary.sentences)


def test_pending_buttons_belong_to_one_chat_and_the_oldest_are_forgotten() -> None:
    summary = PageSummary("T", None, None, None, "english", ("S.",), (("paragraph", "S."),))
    pending = Pending(max_items=2)
    first = pending.add(1, summary)
    assert pending.get(1, first) is summary
    assert pending.get(2, first) is None
    assert pending.get(1, "forged") is None
    pending.add(1, summary)
    pending.add(1, summary)
    assert pending.get(1, first) is None and len(pending) == 2


# -- the store: private articles ------------------------------------------------------


def page_article(url: str = "https://example.com/a", text: str = "Some text.") -> Article:
    return Article(
        source=f"link:{url}",
        title="A page",
        date="2026-11-30",
        url=url,
        language="english",
        blocks=(Block("paragraph", text),),
    )


def test_an_added_page_is_in_that_chats_digest_only_and_not_in_the_shared_list(
    store_target: str,
) -> None:
    with Store(store_target) as store:
        number, added = store.add_to_digest(CHAT, page_article(), ["A sentence."])
        assert added
        assert [a.number for a in store.unseen_articles(CHAT, 10)] == [number]
        assert store.unseen_articles(OTHER, 10) == []
        assert store.count_unseen(CHAT) == 1 and store.count_unseen(OTHER) == 0
        assert store.list_articles(0, 10) == [] and store.count_articles() == 0
        assert store.search_articles(["page"]) == []
        assert store.get_article(number, CHAT).summary == ("A sentence.",)
        # A seeds scan that does not know it leaves it alone.
        assert store.retire_missing([]) == []
        assert store.get_article(number, CHAT) is not None


def test_the_same_page_added_again_or_by_another_chat_is_the_same_article(
    store_target: str,
) -> None:
    with Store(store_target) as store:
        number, _ = store.add_to_digest(CHAT, page_article(), ["A sentence."])
        again, added = store.add_to_digest(CHAT, page_article(), ["A sentence."])
        assert (again, added) == (number, False)
        other, added = store.add_to_digest(OTHER, page_article(text="Changed."), ["New."])
        assert (other, added) == (number, True)
        assert store.get_article(number, OTHER).summary == ("New.",)
        # Sent in a digest, then added again: it comes back in the next one.
        store.record_deliveries(CHAT, [number])
        assert store.unseen_articles(CHAT, 10) == []
        assert store.add_to_digest(CHAT, page_article(), ["A sentence."]) == (number, True)
        assert [a.number for a in store.unseen_articles(CHAT, 10)] == [number]


def test_an_added_page_sent_and_pruned_stays_seen_until_it_is_added_again(
    store_target: str,
) -> None:
    day = 86_400.0
    clock = [1_000 * day]
    with Store(store_target, clock=lambda: clock[0]) as store:
        number, _ = store.add_to_digest(CHAT, page_article(), ["A sentence."])
        store.record_deliveries(CHAT, [number])
        clock[0] += 400 * day
        pruned = store.prune(retention_days=90)
        assert pruned.deliveries == 1
        assert store.unseen_articles(CHAT, 10) == []  # pruned, still never twice
        assert store.add_to_digest(CHAT, page_article(), ["A sentence."]) == (number, True)
        assert [a.number for a in store.unseen_articles(CHAT, 10)] == [number]


def test_a_group_that_becomes_a_supergroup_keeps_the_pages_it_added(store_target: str) -> None:
    with Store(store_target) as store:
        number, _ = store.add_to_digest(GROUP, page_article(), ["A sentence."])
        store.migrate_chat(GROUP, GROUP - 1)
        assert [a.number for a in store.unseen_articles(GROUP - 1, 10)] == [number]
        assert store.unseen_articles(GROUP, 10) == []


def seed_article(source: str, url: str | None) -> Article:
    return Article(
        source=source,
        title=f"Seed {source}",
        date="2026-11-29",
        url=url,
        language="english",
        blocks=(Block("paragraph", f"The text of {source}."),),
    )


def test_a_link_that_is_already_an_article_keeps_its_number_when_added_to_a_digest(
    store_target: str,
) -> None:
    with Store(store_target) as store:
        for i in range(4):
            store.upsert_article(seed_article(f"other{i}.txt", f"https://example.com/o{i}"))
        seed, _ = store.upsert_article(seed_article("seed.txt", "https://example.com/a"))
        store.set_summary(seed, ["The seed's own summary."])
        feed = FeedStore(store).add_article(
            FeedStore(store).add_feed("https://example.com/feed.xml")[0].id,
            seed_article("entry", "https://example.com/b"),
            keys=["url:https://example.com/b"],
            fingerprint="f",
            published=None,
            summary=["The entry's summary."],
        )
        store.record_deliveries(CHAT, [seed, feed])
        count = store.count_articles()
        # The same page under another spelling (case, default port, tracking parameters).
        link = "HTTPS://Example.COM:443/a?utm_source=chat"
        assert store.add_to_digest(CHAT, page_article(link), ["Mine."]) == (seed, True)
        assert store.add_to_digest(CHAT, page_article(link), ["Mine."]) == (seed, False)
        assert [a.number for a in store.unseen_articles(CHAT, 10)] == [seed]
        page_b = page_article("https://example.com/b#top")
        assert store.add_to_digest(OTHER, page_b, ["B."]) == (feed, False)  # waiting for it
        # No new article: the shared one keeps its content and stays shared.
        assert store.count_articles() == count
        assert store.get_article(seed).summary == ("The seed's own summary.",)
        assert store.get_article(seed).source == "seed.txt"
        # A page no article links to is a new (private) article.
        new, added = store.add_to_digest(CHAT, page_article("https://example.com/c"), ["C."])
        assert added and new > feed and store.count_articles() == count


def test_a_retired_articles_link_added_to_a_digest_is_a_new_private_article(
    store_target: str,
) -> None:
    with Store(store_target) as store:
        seed, _ = store.upsert_article(seed_article("seed.txt", "https://example.com/a"))
        store.retire_missing([])
        number, added = store.add_to_digest(CHAT, page_article(), ["A sentence."])
        assert added and number != seed
        assert store.get_article(seed) is None  # still retired


def test_a_shared_article_added_again_after_pruning_goes_into_the_next_digest(
    store_target: str,
) -> None:
    day = 86_400.0
    clock = [1_000 * day]
    with Store(store_target, clock=lambda: clock[0]) as store:
        seed, _ = store.upsert_article(seed_article("seed.txt", "https://example.com/a"))
        store.set_summary(seed, ["Summary."])
        store.record_deliveries(CHAT, [seed])
        clock[0] += 400 * day
        store.prune(retention_days=90)
        assert store.unseen_articles(CHAT, 10) == []
        assert store.add_to_digest(CHAT, page_article(), ["A sentence."]) == (seed, True)
        assert [a.number for a in store.unseen_articles(CHAT, 10)] == [seed]


# -- private chats --------------------------------------------------------------------


async def test_a_link_in_a_private_chat_gets_the_pages_summary_with_title_site_and_date(
    bot, fake, site
):
    url = site.url("/news/one")
    reply = await ask(fake, f"What is this? {url}")
    assert reply.links() == [url], reply.text
    assert reply.bold() == ["Story one"]
    assert "Harbour News · 29 Nov 2026" in reply.text
    assert "The city council approved a new harbour bridge on Monday" in reply.text
    assert "Copyright" not in reply.text and "Sport" not in reply.text
    assert reply.button_texts() == ["Add to my digest"]
    typing = fake.calls_to("sendChatAction")
    assert typing and typing[0].params["chat_id"] == CHAT
    assert typing[0].params["action"] == "typing"
    assert typing[0].time <= fake.calls_to("sendMessage")[-1].time


async def test_a_photo_whose_caption_has_a_link_gets_the_pages_summary(bot, fake, site):
    before = len(fake.messages(CHAT))
    photo = [{"file_id": "AgACphoto", "file_unique_id": "AQADphoto", "width": 90, "height": 90}]
    fake.inject(
        {
            "message": {
                "message_id": 700_001,
                "from": {"id": CHAT, "is_bot": False, "first_name": "Ana"},
                "chat": {"id": CHAT, "type": "private", "first_name": "Ana"},
                "date": 1_800_000_000,
                "photo": photo,
                "caption": f"look: {site.url('/news/captioned')}",
            }
        }
    )
    reply = await fake.wait_for_message(CHAT, before + 1, timeout=30)
    assert reply.bold() == ["Story captioned"]


async def test_a_long_pasted_text_gets_its_summary_and_a_short_one_the_hint(bot, fake):
    reply = await ask(fake, "\n\n".join(PARAGRAPHS))
    assert "The city council approved a new harbour bridge" in reply.text
    assert reply.button_texts() == ["Add to my digest"]
    hint = await ask(fake, "hello there bot")
    assert hint.text.startswith("I summarize web pages and texts of at least 50 words.")
    assert hint.buttons() == []


async def test_a_forwarded_post_with_a_linked_word_gets_the_linked_pages_summary(bot, fake, site):
    url = site.url("/news/forwarded")
    before = len(fake.messages(CHAT))
    fake.inject(
        {
            "message": {
                "message_id": 900,
                "from": {"id": CHAT, "is_bot": False, "first_name": "U"},
                "chat": {"id": CHAT, "type": "private", "first_name": "U"},
                "date": 1_700_000_000,
                "forward_origin": {"type": "hidden_user", "sender_user_name": "X", "date": 1},
                "text": "Big news today. Read more",
                "entities": [{"type": "text_link", "offset": 16, "length": 9, "url": url}],
            }
        }
    )
    reply = await fake.wait_for_message(CHAT, before + 1)
    assert reply.bold() == ["Story forwarded"]


async def test_the_title_and_sentences_from_the_page_are_escaped(bot, fake, site):
    reply = await ask(fake, site.url("/tricky"))
    assert reply.bold() == ['<b>"AT&T" & Co</b> win the <script>bridge</script> contract'], (
        reply.html
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/latin", "Grüße aus Köln: the bridge"),
        ("/windows", "“Smart quotes” – the bridge"),
        ("/zipped", "Zipped story"),
    ],
)
async def test_pages_in_other_encodings_are_read_correctly(bot, fake, site, path, expected):
    reply = await ask(fake, site.url(path))
    assert reply.bold() == [expected]


async def test_a_plain_text_page_is_summarized_too(bot, fake, site):
    reply = await ask(fake, site.url("/words"))
    assert "The city council approved" in reply.text


async def test_a_link_shared_in_three_chats_is_fetched_and_summarized_once(bot, fake, site):
    url = site.url("/news/shared")
    runs = runtime(bot).workers.runs
    await ask(fake, url, CHAT)
    # Two chats at once: the second waits for the first's summary instead of redoing it.
    fake.send_text(OTHER, url)
    reply = await ask(fake, url.replace("/news/", "/news/./"), OTHER + 1)
    assert reply.bold() == ["Story shared"]
    assert (await fake.wait_for_message(OTHER)).bold() == ["Story shared"]
    assert site.hits["/news/shared"] == 1
    assert runtime(bot).workers.runs == runs + 1


# -- groups -----------------------------------------------------------------------------


async def test_in_a_group_only_the_command_is_answered(bot, fake, site):
    fake.send_text(GROUP, f"look {site.url('/news/ignored')}")
    fake.send_text(GROUP, "\n\n".join(PARAGRAPHS))
    reply = await ask(fake, f"/summarize {site.url('/news/group')}", GROUP)
    assert reply.bold() == ["Story group"]
    assert len(fake.messages(GROUP)) == 1
    assert site.hits["/news/ignored"] == 0


async def test_summarize_as_a_reply_takes_the_link_or_the_text_of_that_message(bot, fake, site):
    for text, title in (
        (f"see {site.url('/news/replied')}", "Story replied"),
        ("\n\n".join(PARAGRAPHS), None),
    ):
        original = fake.send_text(GROUP, text)["message"]
        before = len(fake.messages(GROUP))
        fake.inject(
            {
                "message": {
                    "message_id": original["message_id"] + 1000,
                    "from": {"id": 77, "is_bot": False, "first_name": "U"},
                    "chat": original["chat"],
                    "date": 1_700_000_000,
                    "text": "/summarize",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
                    "reply_to_message": original,
                }
            }
        )
        reply = await fake.wait_for_message(GROUP, before + 1)
        if title:
            assert reply.bold() == [title]
        else:
            assert "The city council approved a new harbour bridge" in reply.text


async def test_summarize_with_a_text_without_anything_or_with_too_few_words(bot, fake):
    reply = await ask(fake, "/summarize " + "\n\n".join(PARAGRAPHS), GROUP)
    assert "The city council approved" in reply.text
    usage = await ask(fake, "/summarize", GROUP)
    assert usage.text.startswith("Usage: /summarize LINK")
    short = await ask(fake, "/summarize just a few words", GROUP)
    assert "too short to summarize (4 words" in short.text


async def test_help_and_the_menu_list_summarize_with_an_example(bot, fake):
    assert "summarize" in [name for name, _ in COMMANDS]
    reply = await ask(fake, "/help")
    assert "/summarize https://example.com/news/story" in reply.text


# -- the button -----------------------------------------------------------------------


async def test_add_to_my_digest_puts_the_page_in_this_chats_next_digest(bot, fake, site):
    reply = await ask(fake, site.url("/news/keep"))
    query = fake.click(CHAT, reply.message_id, "Add to my digest")
    await fake.wait_until(lambda: query in fake.answered_callbacks)
    answer = fake.answered_callbacks[query]["text"]
    assert answer.startswith("Added “Story keep” to your next digest as article ")
    number = int(answer.split("article ")[1].split(" ")[0])
    article = await ask(fake, f"/article {number}")
    assert article.bold()[0] == "Story keep"
    digest = await ask(fake, "/digest")
    assert "Story keep" in digest.bold() and "A seed article" in digest.bold()
    other = await ask(fake, "/digest", OTHER)
    assert "Story keep" not in other.bold()
    listing = await ask(fake, "/article")
    assert "Story keep" not in listing.text
    again = fake.click(CHAT, reply.message_id, "Add to my digest")
    await fake.wait_until(lambda: again in fake.answered_callbacks)
    assert fake.answered_callbacks[again]["text"].startswith("Added “Story keep” to your next")


async def test_a_page_added_in_a_forum_topic_goes_into_that_topics_digest(bot, fake):
    async def in_topic(text: str, topic: int) -> Message:
        before = len(fake.messages(GROUP))
        fake.send_text(GROUP, text, 1000, thread_id=topic)
        return await fake.wait_for_message(GROUP, before + 1)

    reply = await in_topic("/summarize " + "\n\n".join(PARAGRAPHS), 3)
    assert reply.thread_id == 3
    query = fake.click(GROUP, reply.message_id, "Add to my digest", user_id=1000)
    await fake.wait_until(lambda: query in fake.answered_callbacks)
    assert " to your next digest as article " in fake.answered_callbacks[query]["text"]
    elsewhere = await in_topic("/digest", 4)
    assert "The city council approved" not in elsewhere.text
    digest = await in_topic("/digest", 3)
    assert digest.thread_id == 3 and "The city council approved" in digest.text


async def test_a_forged_or_forgotten_button_is_out_of_date(bot, fake, site):
    reply = await ask(fake, site.url("/news/button"))
    runtime(bot).pending = LocalTokens()  # as after a restart
    query = fake.click(CHAT, reply.message_id, "Add to my digest")
    await fake.wait_until(lambda: query in fake.answered_callbacks)
    assert "out of date" in fake.answered_callbacks[query]["text"]
    forged = fake.press_stale(CHAT, "add:AAAAAAAAAAAAAAAA")
    await fake.wait_until(lambda: forged in fake.answered_callbacks)
    assert "out of date" in fake.answered_callbacks[forged]["text"]


# -- refusals and failures --------------------------------------------------------------


async def test_refused_addresses_in_any_spelling_are_answered_and_never_contacted(bot, fake, site):
    port = site.port
    urls = (
        f"http://127.0.0.2:{port}/",
        f"http://2130706434:{port}/",
        f"http://0x7f.0.0.2:{port}/",
        f"http://0177.0.0.2:{port}/",
        f"http://127.0.2:{port}/",
        f"http://[::ffff:127.0.0.2]:{port}/",
        f"http://inside.test:{port}/",
        site.url(f"/to?url=http://127.0.0.2:{port}/news/x"),
        site.url(f"/to?url=http://inside.test:{port}/news/x&code=301"),
        f"http://user:secret@127.0.0.1:{port}/news/x",
    )
    # One chat each: replies to one chat are paced at about one a second.
    for chat, url in enumerate(urls, CHAT):
        fake.send_text(chat, url)
    for chat, url in enumerate(urls, CHAT):
        reply = await fake.wait_for_message(chat)
        assert reply.text.startswith("I will not open that link: "), (url, reply.text)
    assert site.trap.connections == 0
    assert site.hits["/news/x"] == 0


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/pdf", "Not a web page I can read: application/pdf."),
        ("/untyped/pdf", "Not a web page I can read: application/octet-stream."),
        ("/big/2000000", "That page is too big for me (over 1 MB)."),
        ("/stream/2000000", "That page is too big for me (over 1 MB)."),
        ("/bomb", "That page is too big for me (over 1 MB)."),
        ("/status/404", "The site answered with an error: HTTP 404 Not Found."),
        ("/status/503", "The site answered with an error: HTTP 503 Service Unavailable."),
        ("/stall", "The site took too long to answer (more than 2 seconds)."),
        ("/chain/6", "That link redirects too many times (more than 5)."),
        ("/page", "I found no article text on that page"),
    ],
)
async def test_every_failure_gets_a_clear_answer(bot, fake, site, path, expected):
    reply = await ask(fake, site.url(path))
    assert reply.text.startswith(expected), reply.text
    assert reply.buttons() == []


async def test_a_host_that_does_not_exist_is_named(bot, fake, site):
    reply = await ask(fake, f"http://nowhere.test:{site.port}/story")
    assert reply.text == "I could not find the site nowhere.test (no such host)."


async def test_a_port_the_operator_did_not_allow_is_refused(bot, fake, site):
    reply = await ask(fake, "http://127.0.0.1:1/story")
    assert reply.text.startswith("I will not open that link: ")
    assert "port" in reply.text


# -- per-chat limits ---------------------------------------------------------------------


@pytest.fixture
async def limited_bot(fake: FakeBotAPI, bot_config: Any, site: NewsSite, warm_workers: Workers):
    async for application in start_bot(bot_config, site, warm_workers, per_chat_per_hour=2):
        yield application


async def test_a_chat_over_its_hourly_links_is_told_when_to_try_again(limited_bot, fake, site):
    await ask(fake, site.url("/news/a"))
    await ask(fake, site.url("/news/b"))
    reply = await ask(fake, site.url("/news/c"))
    assert reply.text == (
        "Too many requests from this chat: at most 2 summaries an hour. "
        "Please try again in 60 minutes."
    )
    assert site.hits["/news/c"] == 0
    # Other chats are not affected.
    assert (await ask(fake, site.url("/news/c"), OTHER)).bold() == ["Story c"]


async def test_refused_links_do_not_count_against_the_hourly_limit(limited_bot, fake, site):
    for _ in range(3):
        refused = await ask(fake, f"http://2130706434:{site.port}/")
        assert refused.text.startswith("I will not open that link")
    assert (await ask(fake, site.url("/news/a"))).bold() == ["Story a"]
    assert (await ask(fake, site.url("/news/b"))).bold() == ["Story b"]


async def test_one_link_at_a_time_per_chat_while_other_commands_are_answered(
    limited_bot, fake, site
):
    fake.send_text(CHAT, site.url("/slow/1"))
    await asyncio.wait_for(site.entered.wait(), 5)
    status = await ask(fake, "/status")
    assert "Subscribed: no" in status.text
    busy = await ask(fake, site.url("/news/second"))
    assert busy.text.startswith("I am still working on your previous link")
    site.gate.set()
    slow = await fake.wait_for_reply(CHAT)
    assert slow.bold() == ["The slow story"]


# -- the command line ---------------------------------------------------------------------


async def run_cli(*args: str, config: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "summarize",
        "--config",
        str(config),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


@pytest.fixture
def cli_config(tmp_path: Path, site: NewsSite) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        "[fetch]\n"
        f"allow_ports = [{site.port}]\n"
        'allow_networks = ["127.0.0.1/32"]\n'
        "total_timeout = 5\nconnect_timeout = 2\n"
    )
    return path


async def test_the_cli_summarizes_a_url_under_the_same_rules(site, cli_config):
    url = site.url("/news/cli")
    status, out, err = await run_cli(url, config=cli_config)
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0] == "Story cli"
    assert lines[1] == f"2026-11-29 · Harbour News · {url}"
    assert lines[2].startswith("  The city council approved a new harbour bridge")


async def test_the_cli_refuses_an_address_in_one_line(site, cli_config):
    status, out, err = await run_cli(f"http://2130706434:{site.port}/", config=cli_config)
    assert status == 1 and out == ""
    assert err.startswith("digestbot: error: ") and len(err.strip().splitlines()) == 1
    assert "will not open" in err or "refused" in err
    assert site.trap.connections == 0
    status, _, err = await run_cli(site.url("/pdf"), config=cli_config)
    assert status == 1 and "application/pdf" in err


def test_links_module_is_pure() -> None:
    source = Path(links.__file__).read_text()
    for forbidden in ("telegram", "apscheduler", "bot.store", "aiohttp", "asyncio"):
        assert f"import {forbidden}" not in source and f"from {forbidden}" not in source
