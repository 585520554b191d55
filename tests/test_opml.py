"""OPML read and written: readers' exports, odd encodings, hostile files refused."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.feeds.opml import MAX_OPML_FEEDS, OpmlError, OpmlFeed, parse_opml, write_opml

FEEDLY = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head>
    <title>Alice subscriptions in feedly Cloud</title>
  </head>
  <body>
    <outline text="Tech" title="Tech">
      <outline type="rss" text="Ars Technica" title="Ars Technica"
        xmlUrl="https://feeds.arstechnica.com/arstechnica/index" htmlUrl="https://arstechnica.com"/>
    </outline>
    <outline text="News" title="News">
      <outline type="rss" text="BBC News" title="BBC News"
        xmlUrl="https://feeds.bbci.co.uk/news/rss.xml" htmlUrl="https://www.bbc.co.uk/news/"/>
      <outline type="rss" text="Le Monde" title="Le Monde"
        xmlUrl="https://www.lemonde.fr/rss/une.xml" htmlUrl="https://www.lemonde.fr"/>
    </outline>
  </body>
</opml>
"""

INOREADER = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>Subscriptions of Bob from Inoreader [https://www.inoreader.com]</title></head>
  <body>
    <outline text="Science" title="Science">
      <outline text="Nature" title="Nature" type="rss"
        xmlUrl="https://www.nature.com/nature.rss" htmlUrl="https://www.nature.com"/>
      <outline text="Space" title="Space">
        <outline text="NASA" title="NASA" type="rss" xmlUrl="https://www.nasa.gov/rss/dyn/breaking_news.rss"/>
      </outline>
    </outline>
    <outline text="Hacker News" title="Hacker News" type="rss" xmlUrl="https://news.ycombinator.com/rss"/>
  </body>
</opml>
"""


def one_line_refusal(data: bytes) -> str:
    with pytest.raises(OpmlError) as caught:
        parse_opml(data)
    message = str(caught.value)
    assert "\n" not in message and message
    return message


def test_feedly_export_is_read_with_categories_in_document_order() -> None:
    document = parse_opml(FEEDLY)
    assert document.title == "Alice subscriptions in feedly Cloud"
    assert document.feeds == (
        OpmlFeed(
            "https://feeds.arstechnica.com/arstechnica/index",
            "Ars Technica",
            "https://arstechnica.com",
            "Tech",
        ),
        OpmlFeed(
            "https://feeds.bbci.co.uk/news/rss.xml",
            "BBC News",
            "https://www.bbc.co.uk/news/",
            "News",
        ),
        OpmlFeed(
            "https://www.lemonde.fr/rss/une.xml", "Le Monde", "https://www.lemonde.fr", "News"
        ),
    )


def test_inoreader_export_nested_two_deep_and_a_feed_outside_any_category() -> None:
    feeds = parse_opml(INOREADER).feeds
    assert [(f.title, f.category) for f in feeds] == [
        ("Nature", "Science"),
        ("NASA", "Science / Space"),
        ("Hacker News", None),
    ]


def test_missing_titles_fall_back_to_text_then_to_nothing() -> None:
    data = b"""<opml version="2.0"><body>
      <outline xmlUrl="http://a.example/feed"/>
      <outline text="Only text" xmlUrl="http://b.example/feed"/>
      <outline title="  " text="" xmlUrl="http://c.example/feed"/>
      <outline XMLURL="http://d.example/feed" TITLE="Shouting"/>
      <outline text="a link, no feed" type="link" url="http://e.example/"/>
    </body></opml>"""
    feeds = parse_opml(data).feeds
    assert [(f.url, f.title) for f in feeds] == [
        ("http://a.example/feed", None),
        ("http://b.example/feed", "Only text"),
        ("http://c.example/feed", None),
        ("http://d.example/feed", "Shouting"),
    ]


def test_a_url_listed_twice_is_kept_twice_for_the_importer_to_report() -> None:
    data = b"""<opml><body><outline text="A"><outline xmlUrl="http://a/f"/></outline>
      <outline text="B"><outline xmlUrl="http://a/f"/></outline></body></opml>"""
    assert [f.category for f in parse_opml(data).feeds] == ["A", "B"]


@pytest.mark.parametrize(
    ("data", "title"),
    [
        pytest.param(
            '<?xml version="1.0" encoding="windows-1252"?><opml><body>'
            '<outline text="Café – €uro" xmlUrl="http://a/f"/></body></opml>'.encode("cp1252"),
            "Café – €uro",
            id="windows-1252 declared",
        ),
        pytest.param(
            '<?xml version="1.0" encoding="ISO-8859-1"?><opml><body>'
            '<outline text="Zürich Öl" xmlUrl="http://a/f"/></body></opml>'.encode("latin-1"),
            "Zürich Öl",
            id="ISO-8859-1 declared",
        ),
        pytest.param(
            '<?xml version="1.0" encoding="KOI8-R"?><opml><body>'
            '<outline text="Новости" xmlUrl="http://a/f"/></body></opml>'.encode("koi8-r"),
            "Новости",
            id="KOI8-R declared",
        ),
        pytest.param(
            '<?xml version="1.0" encoding="UTF-16"?><opml><body>'
            '<outline text="日本語 ニュース" xmlUrl="http://a/f"/></body></opml>'.encode("utf-16"),
            "日本語 ニュース",
            id="UTF-16 with byte order mark",
        ),
        pytest.param(
            b"\xef\xbb\xbf"
            + '<?xml version="1.0"?><opml><body><outline text="Ελληνικά" xmlUrl="http://a/f"/>'
            "</body></opml>".encode(),
            "Ελληνικά",
            id="UTF-8 with byte order mark",
        ),
        pytest.param(
            '<opml><body><outline text="Señor Café" xmlUrl="http://a/f"/></body></opml>'.encode(
                "cp1252"
            ),
            "Señor Café",
            id="undeclared, not UTF-8: windows-1252",
        ),
        pytest.param(
            b'\n\n  <?xml version="1.0" encoding="UTF-8"?>\n<opml><body>'
            b'<outline text="Blank lines first" xmlUrl="http://a/f"/></body></opml>',
            "Blank lines first",
            id="blank lines before the declaration",
        ),
        pytest.param(
            b'<opml xmlns="http://example.org/ns"><body>'
            b'<outline text="Namespaced" xmlUrl="http://a/f"/></body></opml>',
            "Namespaced",
            id="default namespace",
        ),
    ],
)
def test_odd_encodings_are_read(data: bytes, title: str) -> None:
    [feed] = parse_opml(data).feeds
    assert feed.title == title and feed.url == "http://a/f"


def test_written_opml_is_opml_2_with_rss_outlines_readers_import() -> None:
    feeds = [
        OpmlFeed("https://a.example/rss?x=1&y=2", 'Tom & Jerry\'s "News" <daily>'),
        OpmlFeed("https://b.example/atom", None, "https://b.example/"),
        OpmlFeed("https://c.example/feed", "Line\nbreak\x07bell"),
    ]
    data = write_opml(feeds, created=datetime(2026, 11, 30, 22, 5, tzinfo=UTC))
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    root = ET.fromstring(data)  # our own output: the stdlib parser is fine here
    assert root.get("version") == "2.0"
    assert root.findtext("head/dateCreated") == "Mon, 30 Nov 2026 22:05:00 GMT"
    outlines = [o.attrib for o in root.iter("outline")]
    assert outlines == [
        {
            "type": "rss",
            "text": 'Tom & Jerry\'s "News" <daily>',
            "title": 'Tom & Jerry\'s "News" <daily>',
            "xmlUrl": "https://a.example/rss?x=1&y=2",
        },
        {
            "type": "rss",
            "text": "https://b.example/atom",
            "title": "https://b.example/atom",
            "xmlUrl": "https://b.example/atom",
            "htmlUrl": "https://b.example/",
        },
        {
            "type": "rss",
            "text": "Line\nbreakbell",
            "title": "Line\nbreakbell",
            "xmlUrl": "https://c.example/feed",
        },
    ]


def test_round_trip_keeps_urls_titles_and_site_links() -> None:
    feeds = parse_opml(FEEDLY).feeds + parse_opml(INOREADER).feeds
    again = parse_opml(write_opml(feeds)).feeds
    assert [(f.url, f.title, f.html_url) for f in again] == [
        (f.url, f.title, f.html_url) for f in feeds
    ]
    assert {f.category for f in again} == {None}  # written flat


# -- refused ----------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<opml version="2.0"><body><outline text="&lol9;" xmlUrl="http://a/f"/></body></opml>
"""


def xxe(secret: Path) -> bytes:
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        '<opml version="2.0"><body><outline text="&xxe;" xmlUrl="http://a/f"/></body></opml>\n'
    ).encode()


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-TOKEN-4711\n")
    return path


def test_billion_laughs_is_refused_before_any_entity_is_expanded() -> None:
    message = one_line_refusal(BILLION_LAUGHS)
    assert message == "refused: the file declares XML entities (entity 'lol')"


def test_an_external_entity_pointing_at_a_local_file_is_refused_and_not_read(
    secret: Path,
) -> None:
    message = one_line_refusal(xxe(secret))
    assert message == (
        "refused: the file declares XML entities (external entity 'xxe' pointing at "
        f"'file://{secret}' was not read)"
    )
    assert "TOP-SECRET" not in message


def test_a_parameter_entity_and_an_external_dtd_read_nothing(secret: Path, tmp_path: Path) -> None:
    parameter = (
        f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY % p SYSTEM "file://{secret}"> %p;]>'
        '<opml><body><outline xmlUrl="http://a/f"/></body></opml>'
    ).encode()
    assert one_line_refusal(parameter).startswith("refused: the file declares XML entities")
    # An external DTD is never loaded: the entity it defines stays unknown (and empty).
    dtd = tmp_path / "secret.dtd"
    dtd.write_text('<!ENTITY secret "TOP-SECRET-TOKEN-4711">')
    external = (
        f'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "file://{dtd}">'
        '<opml><body><outline text="a&secret;b" xmlUrl="http://a/f"/></body></opml>'
    ).encode()
    [feed] = parse_opml(external).feeds
    assert feed.title == "ab"


def test_a_10_mb_file_is_refused_before_it_is_parsed() -> None:
    outline = b'<outline text="x" xmlUrl="http://a/f"/>\n'
    data = b"<opml><body>" + outline * (10 * 1024 * 1024 // len(outline)) + b"</body></opml>"
    assert one_line_refusal(data) == (
        "the file is too big for an OPML feed list: 10.0 MB (at most 2.0 MB)"
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "the file is empty, not an OPML feed list"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a valid XML file: "),
        (b"<opml><body><outline xmlUrl='http://a/f'></body></opml>", "not a valid XML file: "),
        (
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
            "not an OPML file: the document is <rss>, not <opml>",
        ),
        (b"<opml><head/></opml>", "not an OPML feed list: it has no <body>"),
        (
            b"<opml><body><outline text='Empty folder'/></body></opml>",
            "the OPML file lists no feeds (no outline with an xmlUrl)",
        ),
        (
            b'<?xml version="1.0" encoding="no-such-codec"?><opml/>',
            "not a ",
        ),
    ],
)
def test_what_is_not_an_opml_feed_list_is_one_line(data: bytes, expected: str) -> None:
    assert one_line_refusal(data).startswith(expected)


def test_more_feeds_than_the_limit_is_refused() -> None:
    outlines = "".join(f'<outline xmlUrl="http://a/{i}"/>' for i in range(MAX_OPML_FEEDS + 1))
    message = one_line_refusal(f"<opml><body>{outlines}</body></opml>".encode())
    assert message == f"the OPML file lists {MAX_OPML_FEEDS + 1} feeds, more than {MAX_OPML_FEEDS}"


def test_outlines_nested_fifty_thousand_deep_do_not_exhaust_the_stack() -> None:
    deep = 50_000
    data = (
        b"<opml><body>"
        + b'<outline text="x">' * deep
        + b'<outline xmlUrl="http://deep/f"/>'
        + b"</outline>" * deep
        + b"</body></opml>"
    )
    [feed] = parse_opml(data).feeds
    assert feed.url == "http://deep/f" and feed.category == " / ".join(["x"] * 8)
