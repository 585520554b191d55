"""Text from outside cleaned once on the way in (clean_text), at each entry point."""

from __future__ import annotations

import json

from bot.articles.files import load
from bot.articles.text import clean_text, html_to_text
from bot.extract import extract_html
from bot.feeds.parse import parse_feed
from bot.web.links import summarize_text
from tests.feedkit import WORDS, Item, rss

RLO, LRI, PDI = "\u202e", "\u2066", "\u2069"


def test_control_bidi_and_invalid_characters_are_removed() -> None:
    dirty = f"Bank{RLO}gpj.exe {LRI}x{PDI}\x01\x7f\u0085 \ud800ok\ufeff\u200b\ufffe"
    assert clean_text(dirty) == "Bankgpj.exe x ok"


def test_line_breaks_and_joiners_stay() -> None:
    assert clean_text("one\r\ntwo\tthree") == "one\ntwo\tthree"
    assert clean_text("می\u200cخواهم") == "می\u200cخواهم"  # Persian needs its ZWNJ


def test_entities_in_plain_text_are_decoded_but_a_bare_ampersand_stays() -> None:
    assert (
        clean_text("Ben &amp; Jerry&#8217;s &#x2014; AT&T &copy", "field")
        == "Ben & Jerry’s — AT&T &copy"
    )


def test_html_escaped_twice_is_read_as_html() -> None:
    once = clean_text(
        "&lt;div class=&quot;md&quot;&gt;&lt;p&gt;Hello there&lt;/p&gt;&lt;/div&gt;", "html"
    )
    assert once == "Hello there"


def test_pre_keeps_its_line_breaks_and_indentation() -> None:
    text = html_to_text("<p>Run this:</p><pre>def f():\n    return 1\n</pre><p>Done   now.</p>")
    assert text == "Run this:\n\ndef f():\n    return 1\n\nDone now."


def test_feed_titles_and_texts_are_cleaned() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Feed &amp; Co",
            "items": [
                {
                    "id": "1",
                    "url": "http://127.0.0.1/1",
                    "title": f"Rock &amp; Roll&#8217;s {RLO}return",
                    "content_text": f"It is back{RLO}. {WORDS}",
                }
            ],
        }
    ).encode()
    feed = parse_feed(body, "application/feed+json")
    [entry] = feed.entries
    assert feed.title == "Feed & Co"
    assert entry.title == "Rock & Roll’s return"
    assert RLO not in entry.text
    [item] = parse_feed(rss([Item(link="http://127.0.0.1/2", title=f"A {RLO}B", text="x")])).entries
    assert item.title == "A B"


def test_pages_pasted_text_and_seeds_are_cleaned(tmp_path) -> None:
    paragraphs = "".join(f"<p>{WORDS} {RLO}{i}</p>" for i in range(3))
    page = (
        f"<html><head><title>Hi {RLO}there</title></head>"
        f"<body><article>{paragraphs}</article></body></html>"
    )
    extracted = extract_html(page)
    assert RLO not in extracted.title and RLO not in extracted.text
    pasted = summarize_text(f"{WORDS}{RLO} {WORDS}")
    assert all(RLO not in text for _, text in pasted.blocks)
    seed = tmp_path / "a.md"
    seed.write_text(f"# Title {RLO}x\n\n{WORDS} &amp; {RLO}more\n", encoding="utf-8")
    article = load(seed)
    assert RLO not in article.title and RLO not in article.text


def test_opml_titles_are_cleaned() -> None:
    from bot.feeds.opml import parse_opml

    document = parse_opml(
        (
            '<?xml version="1.0"?><opml version="2.0"><body>'
            f'<outline text="News {RLO}daily" xmlUrl="http://127.0.0.1/feed"/>'
            "</body></opml>"
        ).encode()
    )
    assert [feed.title for feed in document.feeds] == ["News daily"]


def test_a_feed_that_escaped_its_html_twice_gives_text_and_pre_keeps_its_lines() -> None:
    twice = "&lt;div class=&quot;md&quot;&gt;&lt;p&gt;Posted by someone.&lt;/p&gt;&lt;/div&gt;"
    code = "<p>Try this:</p><pre>for x in xs:\n    print(x)</pre>"
    feed = parse_feed(
        rss(
            [
                Item(guid="a", link="http://127.0.0.1/a", title="Escaped", text=twice),
                Item(guid="b", link="http://127.0.0.1/b", title="Code", text=code),
            ]
        )
    )
    escaped, pre = feed.entries
    assert escaped.text == "Posted by someone."
    assert pre.text == "Try this:\n\nfor x in xs:\n    print(x)"
