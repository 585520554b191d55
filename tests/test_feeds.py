"""Feed documents to FeedEntry values, HTML to clean text, entry keys (bot.feeds.parse)."""

from __future__ import annotations

import json
import logging

import pytest

from bot.feeds.parse import NotAFeed, entry_keys, html_to_text, parse_feed, text_hash
from tests.feedkit import Item, atom, jsonfeed, long_text, rdf, rss


def test_html_from_feeds_becomes_clean_text_with_paragraphs() -> None:
    html = (
        "<div><p>First &amp; <b>bold</b>&nbsp;para&#8217;s\n  text.</p>"
        "<script>alert(1)</script><style>p{}</style>"
        "<p>Second<br>line</p><ul><li>one</li><li>two</li></ul>"
        "<img src=x alt=picture><iframe>ad</iframe>Tail &lt;tag&gt;</div>"
    )
    assert html_to_text(html) == (
        "First & bold para’s text.\n\nSecond\n\nline\n\none\n\ntwo\n\nTail <tag>"
    )


def test_plain_text_keeps_its_paragraphs() -> None:
    assert html_to_text("One line\nsame paragraph.\n\n  Next one. ") == (
        "One line same paragraph.\n\nNext one."
    )


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (rss([Item(guid="1", link="http://x/1", title="T", text="<p>Body</p>")]), "rss20"),
        (rdf([Item(guid="1", link="http://x/1", title="T", text="<p>Body</p>")]), "rss10"),
        (atom([Item(guid="1", link="http://x/1", title="T", text="<p>Body</p>")]), "atom10"),
        (
            atom([Item(guid="1", link="http://x/1", title="T", text="<p>Body</p>")], version="0.3"),
            "atom03",
        ),
        (jsonfeed([Item(guid="1", link="http://x/1", title="T", text="<p>Body</p>")]), "json1"),
    ],
)
def test_every_format_gives_the_same_entry(body: bytes, kind: str) -> None:
    feed = parse_feed(body)
    assert feed.format == kind
    [entry] = feed.entries
    assert (entry.link, entry.title, entry.text) == ("http://x/1", "T", "Body")
    assert entry.published is not None and entry.published.year == 2026


def test_rss_091_and_092_are_read() -> None:
    for version in ("0.91", "0.92"):
        body = (
            f'<?xml version="1.0"?><rss version="{version}"><channel><title>Old</title>'
            "<item><title>A</title><link>http://x/a</link><description>Text &amp; more"
            "</description></item></channel></rss>"
        ).encode()
        feed = parse_feed(body)
        assert feed.format.startswith("rss09")
        assert feed.entries[0].text == "Text & more"


def test_a_latin1_feed_is_decoded_by_its_declaration() -> None:
    body = rss(
        [Item(guid="1", link="http://x/1", title="Über Café", text="Grüße")], encoding="iso-8859-1"
    )
    assert b"\xdcber" in body
    [entry] = parse_feed(body).entries
    assert (entry.title, entry.text) == ("Über Café", "Grüße")


def test_the_http_charset_counts_when_the_document_declares_none() -> None:
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
        "<title>na\xefve</title><link>http://x/1</link></item></channel></rss>"
    ).encode("latin-1")
    [entry] = parse_feed(body, "application/rss+xml; charset=ISO-8859-1").entries
    assert entry.title == "naïve"


def test_entries_without_title_or_link(caplog: pytest.LogCaptureFixture) -> None:
    items = [
        Item(guid="a", link=None, title=None, text="<p>Only text here.</p>"),
        Item(guid="b", link="http://x/b", title=None, text=None),
        Item(guid="c", link=None, title="Only a title", text=None),
    ]
    with caplog.at_level(logging.INFO, logger="bot.feeds.parse"):
        feed = parse_feed(rss(items))
    assert [(e.guid, e.title, e.link, e.text) for e in feed.entries] == [
        ("a", None, None, "Only text here."),
        ("b", None, "http://x/b", ""),
    ]
    assert feed.skipped == 1
    assert "neither text nor link" in caplog.text


def test_a_permalink_guid_is_the_link() -> None:
    body = (
        b'<rss version="2.0"><channel><title>t</title><item><guid>https://x/p/1</guid>'
        b"<description>text</description></item></channel></rss>"
    )
    assert parse_feed(body).entries[0].link == "https://x/p/1"


def test_json_feed_10_and_11_authors_and_text_fallbacks() -> None:
    data = {
        "version": "https://jsonfeed.org/version/1",
        "title": "J",
        "items": [
            {"id": 7, "content_text": "Plain\n\ntext", "author": {"name": "Ann"}},
            {"id": "x", "url": "https://x/2", "summary": "Sum", "authors": [{"name": "Bo"}]},
            {"id": "empty"},
        ],
    }
    feed = parse_feed(json.dumps(data).encode(), "application/feed+json")
    assert [(e.guid, e.text, e.author, e.link) for e in feed.entries] == [
        ("7", "Plain\n\ntext", "Ann", None),
        ("x", "Sum", "Bo", "https://x/2"),
    ]
    assert feed.skipped == 1


@pytest.mark.parametrize(
    "body",
    [b"<html><body>Not a feed</body></html>", b"", b'{"version": "2"}', b"{not json"],
)
def test_what_is_not_a_feed_is_refused(body: bytes) -> None:
    with pytest.raises(NotAFeed):
        parse_feed(body)


def test_broken_xml_is_still_read() -> None:
    body = rss([Item(guid="1", link="http://x/1", title="A & B", text="t")])
    body = body.replace(b"A &amp; B", b"A & B")  # an unescaped ampersand: not XML
    feed = parse_feed(body)
    assert feed.problem is not None
    assert feed.entries[0].title == "A & B"


def test_entry_keys_guid_then_canonical_url_then_text_hash() -> None:
    text = long_text(1)
    [entry] = parse_feed(
        rss(
            [
                Item(
                    guid="g",
                    link="HTTP://News.Example.COM/a?id=1&utm_source=x&fbclid=y#c",
                    title="T",
                    text=text,
                )
            ]
        )
    ).entries
    assert entry_keys(3, entry) == [
        "id:3:g",
        "url:http://news.example.com/a?id=1",
        f"hash:{text_hash('T', html_to_text(text))}",
        f"post:2026-11-30T10:00:00+00:00:{text_hash('T', html_to_text(text))}",
    ]


def test_short_texts_get_a_hash_key_only_when_nothing_else_names_the_entry() -> None:
    short = Item(guid=None, link="http://x/1", title="T", text="Read more…")
    [entry] = parse_feed(rss([short])).entries
    post = f"post:2026-11-30T10:00:00+00:00:{text_hash('T', 'Read more…')}"
    assert entry_keys(1, entry) == ["url:http://x/1", post]
    [bare] = parse_feed(rss([Item(guid=None, link=None, title="T", text="Read more…")])).entries
    assert entry_keys(1, bare) == [f"hash:{text_hash('T', 'Read more…')}", post]


def test_text_hash_ignores_case_spacing_and_markup() -> None:
    assert text_hash("Title", "Some  text.\n\nMore") == text_hash("title", "some text more")


def test_fingerprint_changes_with_an_edit_not_with_a_new_guid() -> None:
    base = Item(guid="1", link="http://x/1", title="T", text="<p>Body</p>")
    [a] = parse_feed(rss([base])).entries
    [b] = parse_feed(
        rss([Item(guid="2", link="http://x/1", title="T", text="<p>Body</p>")])
    ).entries
    [c] = parse_feed(
        rss([Item(guid="1", link="http://x/1", title="T", text="<p>Body!</p>")])
    ).entries
    assert a.fingerprint == b.fingerprint != c.fingerprint
