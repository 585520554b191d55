"""Response bodies: which media types a fetch reads, and how bytes become text; pure.

* :func:`acceptable` -- the content-type allow-list: a ``"page"`` fetch reads HTML, XHTML
  and plain text; a ``"feed"`` fetch reads XML (RSS, Atom, RDF, ``*+xml``), JSON
  (JSON Feed, ``*+json``) and plain text.
* :func:`sniff` -- a media type for a body served without ``Content-Type``.
* :func:`decode` -- the text of a body: a BOM first, then the ``charset`` of the
  ``Content-Type`` header, then ``<meta charset>``/``http-equiv`` (HTML) or the XML
  declaration, else UTF-8 if it is valid UTF-8, else windows-1252 with replacement
  characters. Labels browsers read as windows-1252 (latin-1, ascii) are read so here too.
"""

from __future__ import annotations

import codecs
import re
from typing import Literal

Kind = Literal["page", "feed"]
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
FEED_TYPES = frozenset(
    {"application/xml", "text/xml", "application/json", "text/plain", "application/x-rss+xml"}
)


def acceptable(media_type: str, kind: Kind) -> bool:
    """Whether a page (HTML, XHTML, text) or feed (XML, JSON, text) fetch reads this type."""
    if kind == "page":
        return media_type in PAGE_TYPES
    return media_type in FEED_TYPES or media_type.endswith(("+xml", "+json"))


def sniff(body: bytes, kind: Kind) -> str:
    """A media type for a body served without Content-Type: HTML, XML, JSON, text or not."""
    head = body[:1024].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "text/html"
    if head.startswith(b"<?xml") or (kind == "feed" and head.startswith(b"<")):
        return "application/xml"
    if kind == "feed" and head.startswith((b"{", b"[")):
        return "application/json"
    if b"\x00" not in body[:4096]:
        return "text/plain"
    return "application/octet-stream"


_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([a-z0-9_.:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Browsers read these labels as windows-1252 (WHATWG Encoding); so do we.
_AS_CP1252 = frozenset({"ascii", "latin-1", "iso8859-1", "cp1252"})


def decode(body: bytes, header_charset: str | None, media_type: str = "") -> tuple[str, str]:
    """(text, encoding used): BOM, header, <meta>/XML declaration, UTF-8, else cp1252."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body.decode(encoding, "replace"), encoding.removesuffix("-sig")
    declared = [header_charset]
    head = body[:4096]
    if "html" in media_type or not media_type:
        declared.append(_first_group(_META_CHARSET, head))
    if "xml" in media_type or not media_type:
        declared.append(_first_group(_XML_ENCODING, head))
    for name in declared:
        codec = _text_codec(name)
        if codec is not None:
            return body.decode(codec, "replace"), codec
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return body.decode("cp1252", "replace"), "cp1252"


def _first_group(pattern: re.Pattern[bytes], head: bytes) -> str | None:
    match = pattern.search(head)
    return match.group(1).decode("ascii") if match else None


def _text_codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        info = codecs.lookup(name.strip())
    except LookupError:
        return None
    try:
        # rot13, hex and such are not text encodings (LookupError); idna and punycode do
        # not take "replace" (UnicodeError), which decoding a body needs.
        b"a".decode(info.name, "replace")
    except (LookupError, UnicodeError):
        return None
    return "cp1252" if info.name in _AS_CP1252 else info.name
