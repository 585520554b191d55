"""bot.web.content: which media types a page or feed fetch reads, and bytes to text."""

from __future__ import annotations

import codecs

import pytest

from bot.web.content import acceptable, decode, sniff

TEXT = "Grüße, café, naïve — “quoted”"


@pytest.mark.parametrize(
    ("media_type", "page", "feed"),
    [
        ("text/html", True, False),
        ("application/xhtml+xml", True, True),
        ("text/plain", True, True),
        ("application/pdf", False, False),
        ("image/png", False, False),
        ("application/rss+xml", False, True),
        ("application/atom+xml", False, True),
        ("application/rdf+xml", False, True),
        ("application/xml", False, True),
        ("text/xml", False, True),
        ("application/feed+json", False, True),
        ("application/json", False, True),
    ],
)
def test_pages_and_feeds_read_their_types(media_type: str, page: bool, feed: bool) -> None:
    assert acceptable(media_type, "page") is page
    assert acceptable(media_type, "feed") is feed


def test_header_charset_wins_over_meta() -> None:
    body = '<meta charset="utf-8"><p>Grüße, café</p>'.encode("latin-1")
    text, used = decode(body, "iso-8859-1", "text/html")
    assert used == "cp1252" and "Grüße, café" in text


def test_meta_charset_and_http_equiv_are_read() -> None:
    for meta in (
        '<meta charset="windows-1252">',
        "<META HTTP-EQUIV=Content-Type CONTENT='text/html; charset=windows-1252'>",
    ):
        text, used = decode((meta + TEXT).encode("cp1252"), None, "text/html")
        assert (used, text.endswith(TEXT)) == ("cp1252", True)


def test_xml_declaration_is_read_for_feeds() -> None:
    body = ('<?xml version="1.0" encoding="iso-8859-15"?><rss>€</rss>').encode("iso-8859-15")
    text, used = decode(body, None, "application/rss+xml")
    assert used == "iso8859-15" and "€" in text


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
)
def test_a_byte_order_mark_wins(bom: bytes, encoding: str) -> None:
    text, _ = decode(bom + TEXT.encode(encoding), "iso-8859-1", "text/html")
    assert text == TEXT


def test_undeclared_text_is_utf8_if_valid_else_cp1252() -> None:
    assert decode(TEXT.encode("utf-8"), None, "text/html") == (TEXT, "utf-8")
    text, used = decode(TEXT.encode("cp1252"), None, "text/html")
    assert (text, used) == (TEXT, "cp1252")


def test_unknown_or_non_text_charsets_are_ignored() -> None:
    assert decode(TEXT.encode(), "no-such-charset", "text/html") == (TEXT, "utf-8")
    assert decode(TEXT.encode(), "rot13", "text/html") == (TEXT, "utf-8")


def test_codecs_that_cannot_decode_a_page_are_ignored() -> None:
    # idna cannot replace bad bytes, "undefined" decodes nothing: both used to raise.
    for charset in ("idna", "undefined"):
        assert decode(TEXT.encode(), charset, "text/html") == (TEXT, "utf-8")


def test_sniffing_a_body_without_content_type() -> None:
    assert sniff(b"  <!DOCTYPE html><html>", "page") == "text/html"
    assert sniff(b"<?xml version='1.0'?><rss/>", "feed") == "application/xml"
    assert sniff(b'{"version": "https://jsonfeed.org/version/1.1"}', "feed") == "application/json"
    assert sniff(b"just words", "page") == "text/plain"
    assert sniff(b"%PDF-1.4\x00\x01", "page") == "application/octet-stream"
