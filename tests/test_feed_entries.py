"""Feeds as they really are: one bad entry costs only itself, languages, dates in the
feed's language, link-label texts, one post in two feeds (bot.feeds.parse, bot.feeds.entries,
bot.feeds.poll)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import pytest

from bot.feeds.parse import parse_feed
from tests.feedkit import WORDS, Item, atom, jsonfeed, long_text, rss
from tests.newssite import NewsSite
from tests.test_feedpoll import RSS_TYPE, Clock, Rig, full

JSON_TYPE = "application/feed+json"


@pytest.fixture
async def site() -> AsyncIterator[NewsSite]:
    async with NewsSite() as news:
        yield news


@pytest.fixture
async def rig(site: NewsSite) -> AsyncIterator[Rig]:
    made = Rig(site, Clock())
    yield made
    await made.close()


def json_feed(items: list[dict[str, object]]) -> bytes:
    return json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items}
    ).encode()


def json_item(i: int, **extra: object) -> dict[str, object]:
    return {
        "id": f"j{i}",
        "url": f"http://127.0.0.1/j/{i}",
        "title": f"Story {i}",
        "content_text": f"{WORDS} {i}",
        "date_published": "2026-11-30T10:00:00Z",
        **extra,
    }


# -- one bad entry never costs the others ----------------------------------------------


async def test_a_character_reference_to_a_surrogate_costs_nothing_in_rss(
    site: NewsSite, rig: Rig
) -> None:
    bad = Item(guid="bad", link="http://127.0.0.1/a/9", title="Bad PLACEHOLDER", text=long_text(2))
    body = rss([bad, full(1)]).replace(b"PLACEHOLDER", b"&#xD800;&#1;&#xFFFE;")
    site.feeds["/rss"] = (body, RSS_TYPE)
    feed_id = rig.add("/rss")
    [outcome] = await rig.poll()
    assert (outcome.status, outcome.new) == ("new", 2), outcome.describe()
    titles = sorted(a.title for a in rig.store.list_articles())
    assert titles == ["Bad", "Story 1"]
    [row] = [f for f in rig.feeds.feeds() if f.id == feed_id]
    assert row.failures == 0


async def test_a_lone_surrogate_in_a_json_feed_is_cleaned_and_the_poll_succeeds(
    site: NewsSite, rig: Rig
) -> None:
    body = json_feed([json_item(1, title="Bad \ud800 one"), json_item(2)])
    assert b"\\ud800" in body
    site.feeds["/json"] = (body, JSON_TYPE)
    feed_id = rig.add("/json")
    [outcome] = await rig.poll()
    assert (outcome.status, outcome.new) == ("new", 2), outcome.describe()
    assert sorted(a.title for a in rig.store.list_articles()) == ["Bad one", "Story 2"]
    [row] = [f for f in rig.feeds.feeds() if f.id == feed_id]
    assert (row.failures, row.last_error) == (0, None)


def test_an_over_deep_json_feed_loses_only_the_deep_value(
    caplog: pytest.LogCaptureFixture,
) -> None:
    deep = "[" * 50_000 + "]" * 50_000
    body = json_feed([json_item(1), json_item(2)]).replace(
        b'"id": "j1"', b'"_ext": ' + deep.encode() + b', "id": "j1"'
    )
    with caplog.at_level(logging.INFO, logger="bot.feeds.parse"):
        feed = parse_feed(body, JSON_TYPE)
    assert [e.title for e in feed.entries] == ["Story 1", "Story 2"]
    assert sum("nested deeper" in r.getMessage() for r in caplog.records) == 1


def test_a_raw_control_character_in_a_json_string_costs_only_that_character(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = json_feed([json_item(1, title="Bad XX one \ud800"), json_item(2)])
    body = body.replace(b"XX", b"\x01")
    with caplog.at_level(logging.INFO, logger="bot.feeds.parse"):
        feed = parse_feed(body, JSON_TYPE)
    assert [e.title for e in feed.entries] == ["Bad one", "Story 2"]
    lines = [r.getMessage() for r in caplog.records]
    assert sum("2 invalid characters removed" in line for line in lines) == 1, lines


async def test_an_entry_whose_build_fails_costs_only_itself(
    site: NewsSite, rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.feeds.poll as poll

    real = poll.build_article

    def flaky(source, entry, *args, **kwargs):  # type: ignore[no-untyped-def]
        if entry.title == "Story 1":
            raise RuntimeError("boom")
        return real(source, entry, *args, **kwargs)

    monkeypatch.setattr(poll, "build_article", flaky)
    site.feeds["/rss"] = (rss([full(1), full(2)]), RSS_TYPE)
    rig.add("/rss")
    [outcome] = await rig.poll()
    assert (outcome.status, outcome.new) == ("new", 1), outcome.describe()


# -- feeds as they really are --------------------------------------------------------


async def test_a_declared_language_names_short_entries_and_undeclared_text_is_detected(
    site: NewsSite, rig: Rig
) -> None:
    dutch = [
        Item(guid=f"n{i}", link=f"http://127.0.0.1/n/{i}", title=f"Nieuws {i}", text=text)
        for i, text in enumerate(
            [
                "<p>De gemeenteraad heeft dinsdag het nieuwe plan voor het openbaar vervoer"
                " besproken. Volgens de wethouder komen er twaalf nieuwe buslijnen bij.</p>",
                "<p>Het kabinet wil meer geld voor onderwijs en zorg uittrekken.</p>",
            ]
        )
    ]
    site.feeds["/nl"] = (
        rss(dutch).replace(b"<channel>", b"<channel><language>nl</language>"),
        RSS_TYPE,
    )
    slovak = Item(
        guid="s",
        link="http://127.0.0.1/s",
        title="Správy",
        text="<p>Vláda v piatok schválila zákon, ktorý bude platiť aj pre všetky regióny"
        " krajiny. Opozícia kritizovala, že peniaze mali ísť na opravu ciest.</p>",
    )
    site.feeds["/sk"] = (rss([slovak]), RSS_TYPE)
    rig.add("/nl")
    rig.add("/sk")
    await rig.poll()
    languages = {a.title: a.language for a in rig.store.list_articles()}
    assert languages == {"Nieuws 0": "dutch", "Nieuws 1": "dutch", "Správy": "slovak"}


async def test_a_date_in_the_feeds_language_is_read(site: NewsSite) -> None:
    rig = Rig(site, Clock(), keep_days=3650)
    items = [
        Item(
            guid="pt",
            link="http://127.0.0.1/pt",
            title="Notícia",
            text=long_text(2),
            date="Seg, 24 Set 2026 10:00:00 -0300",
        ),
        Item(
            guid="fr",
            link="http://127.0.0.1/fr",
            title="Nouvelle",
            text=long_text(2),
            date="mer, 16 nov 2026 08:00:00 +0100",
        ),
    ]
    site.feeds["/rss"] = (rss(items), RSS_TYPE)
    rig.add("/rss")
    await rig.poll()
    dates = {a.title: a.date for a in rig.store.list_articles()}
    await rig.close()
    assert dates == {"Notícia": "2026-09-24", "Nouvelle": "2026-11-16"}


async def test_an_entry_whose_text_is_a_link_label_is_skipped_with_its_reason(
    site: NewsSite, rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    label = Item(
        guid="c", link="http://127.0.0.1/missing", title="A post", text="<a href=x>Comments</a>"
    )
    site.feeds["/rss"] = (rss([label, full(1)]), RSS_TYPE)
    rig.add("/rss")
    with caplog.at_level(logging.INFO, logger="bot.feeds.poll"):
        [outcome] = await rig.poll()
    assert outcome.new == 1, outcome.describe()
    assert [a.title for a in rig.store.list_articles()] == ["Story 1"]
    assert any(
        "skipped" in r.getMessage() and "'Comments'" in r.getMessage() for r in caplog.records
    )


async def test_a_link_label_entry_whose_page_has_text_gets_the_page(
    site: NewsSite, rig: Rig
) -> None:
    from tests.feedkit import page

    site.pages["/post"] = page("The full post", paragraphs=4)
    label = Item(guid="c", link=site.url("/post"), title="A post", text="Comments")
    site.feeds["/rss"] = (rss([label]), RSS_TYPE)
    rig.add("/rss")
    await rig.poll()
    [article] = rig.store.list_articles()
    assert len(article.text.split()) > 100


async def test_one_post_in_a_sites_atom_and_json_feeds_polled_at_once_is_one_article(
    site: NewsSite, rig: Rig
) -> None:
    short = Item(
        guid="urn:1",
        link="http://127.0.0.1/elsewhere/1",
        title="Linked: a thing",
        text="<p>Nice one, worth a read.</p>",
    )
    long = Item(guid="urn:2", link="http://127.0.0.1/post/2", title="Essay", text=long_text(3))
    site.feeds["/atom"] = (atom([short, long]), "application/atom+xml")
    permalinks = [
        Item(
            guid="http://127.0.0.1/linked/1",
            link="http://127.0.0.1/linked/1",
            title=short.title,
            text=short.text,
        ),
        Item(
            guid="http://127.0.0.1/post/2?x",
            link="http://127.0.0.1/linked/2",
            title=long.title,
            text=long.text,
        ),
    ]
    site.feeds["/json"] = (jsonfeed(permalinks), JSON_TYPE)
    rig.add("/atom")
    rig.add("/json")
    await asyncio.gather(rig.poll())
    assert sorted(a.title for a in rig.store.list_articles()) == ["Essay", "Linked: a thing"]
