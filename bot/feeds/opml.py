"""OPML, the file feed readers trade their feed lists in: reading one, writing one.

:func:`parse_opml` reads the bytes of an OPML file (1.0 or 2.0, as Feedly, Inoreader,
Miniflux, NetNewsWire and others export them) into :class:`OpmlFeed` entries: every
``<outline>`` with an ``xmlUrl``, at any depth (readers nest feeds in category
outlines; the category path is kept). Attribute names are matched case-insensitively
(``xmlurl`` occurs in the wild); a feed's title is its ``title``, else its ``text``.

Untrusted files are read with :mod:`defusedxml`: no entity declarations (billion
laughs, external entities that would read local files or URLs), nothing fetched; at
most :data:`MAX_OPML_BYTES` bytes and :data:`MAX_OPML_FEEDS` feeds. Encodings: what the
XML declaration says (UTF-8, UTF-16, ISO-8859-x, windows-125x, KOI8-R...), a byte
order mark, else UTF-8, and a file that is not valid UTF-8 without a declaration is
read as windows-1252. Every refusal is an :class:`OpmlError` of one line.

:func:`write_opml` writes an OPML 2.0 document with one ``<outline type="rss">`` per
feed (``text``, ``title``, ``xmlUrl``, and ``htmlUrl`` when known): what Feedly,
Inoreader and Miniflux import.

Pure: bytes in, bytes out; no store, no network, no Telegram.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from bot.articles.text import clean_text
from bot.errors import ReasonedError
from bot.locales import N_, Phrase

__all__ = [
    "MAX_OPML_BYTES",
    "MAX_OPML_FEEDS",
    "OpmlDocument",
    "OpmlError",
    "OpmlFeed",
    "parse_opml",
    "too_big",
    "write_opml",
]

MAX_OPML_BYTES = 2 * 1024 * 1024  # a list of 5,000 feeds is about 1 MB
MAX_OPML_FEEDS = 1000
MAX_CATEGORY_DEPTH = 8  # category names kept per feed (outer first)

_DECLARED_ENCODING = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
# Characters XML 1.0 cannot carry at all (not even as references).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class OpmlError(ReasonedError):
    """An OPML file refused: one line saying why (``said(t)``: in a chat's language)."""


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One feed outline: its feed URL, title, site link and category path (or None)."""

    url: str
    title: str | None = None
    html_url: str | None = None
    category: str | None = None  # enclosing outlines' names joined with " / "


@dataclass(frozen=True, slots=True)
class OpmlDocument:
    """An OPML file read: its head's title and its feeds in document order (a URL listed
    twice is kept twice: whoever adds them says it was skipped)."""

    title: str | None
    feeds: tuple[OpmlFeed, ...]


def parse_opml(data: bytes, *, max_bytes: int = MAX_OPML_BYTES) -> OpmlDocument:
    """Read an OPML file's bytes; raise :class:`OpmlError` (one line) if it is too big,
    hostile, not XML, not OPML or lists no feed."""
    if len(data) > max_bytes:
        raise OpmlError(too_big(len(data), max_bytes))
    if not data.strip():
        raise OpmlError(Phrase.of(N_("the file is empty, not an OPML feed list")))
    try:
        root = SafeET.fromstring(_decodable(data))
    except DefusedXmlException as exc:
        entities = Phrase.of(
            N_("refused: the file declares XML entities ({entities})"), entities=_defused(exc)
        )
        raise OpmlError(entities) from None
    except ParseError as exc:
        raise OpmlError(Phrase.of(N_("not a valid XML file: {error}"), error=exc)) from None
    except (LookupError, ValueError) as exc:  # an encoding Python does not know
        raise OpmlError(Phrase.of(N_("not a readable XML file: {error}"), error=exc)) from None
    if _local(root.tag) != "opml":
        raise OpmlError(
            Phrase.of(
                N_("not an OPML file: the document is <{tag}>, not <opml>"), tag=_local(root.tag)
            )
        )
    head = _child(root, "head")
    title_element = _child(head, "title") if head is not None else None
    title = _clean(title_element.text) if title_element is not None else None
    body = _child(root, "body")
    if body is None:
        raise OpmlError(Phrase.of(N_("not an OPML feed list: it has no <body>")))
    feeds = list(_feeds(body))
    if not feeds:
        raise OpmlError(Phrase.of(N_("the OPML file lists no feeds (no outline with an xmlUrl)")))
    if len(feeds) > MAX_OPML_FEEDS:
        raise OpmlError(
            Phrase.of(
                N_("the OPML file lists {count} feeds, more than {limit}"),
                count=len(feeds),
                limit=MAX_OPML_FEEDS,
            )
        )
    return OpmlDocument(title, tuple(feeds))


def write_opml(
    feeds: Iterable[OpmlFeed], *, title: str = "digestbot feeds", created: datetime | None = None
) -> bytes:
    """An OPML 2.0 document (UTF-8) with one ``type="rss"`` outline per feed, in order."""
    created = created or datetime.now(UTC)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{_text(title)}</title>",
        f"    <dateCreated>{format_datetime(created.astimezone(UTC), usegmt=True)}</dateCreated>",
        "  </head>",
        "  <body>",
    ]
    for feed in feeds:
        name = feed.title or feed.url
        attributes = [("type", "rss"), ("text", name), ("title", name), ("xmlUrl", feed.url)]
        if feed.html_url:
            attributes.append(("htmlUrl", feed.html_url))
        pairs = " ".join(f'{key}="{_attribute(value)}"' for key, value in attributes)
        lines.append(f"    <outline {pairs}/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines).encode("utf-8")


# -- reading ------------------------------------------------------------------------


def _feeds(body: Element) -> Iterable[OpmlFeed]:
    """Feed outlines depth-first in document order, without recursion (a file nested
    thousands deep must not exhaust the stack)."""
    stack: list[tuple[Iterator[Element], tuple[str, ...]]] = [(iter(body), ())]
    while stack:
        children, path = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            continue
        if not isinstance(child.tag, str) or _local(child.tag) != "outline":
            continue
        attributes = {key.lower(): value for key, value in child.attrib.items()}
        name = _clean(attributes.get("title")) or _clean(attributes.get("text"))
        url = _clean(attributes.get("xmlurl"))
        if url:
            yield OpmlFeed(
                url=url,
                title=name,
                html_url=_clean(attributes.get("htmlurl")),
                category=" / ".join(path) or None,
            )
        if len(child):
            deeper = name is not None and not url and len(path) < MAX_CATEGORY_DEPTH
            stack.append((iter(child), (*path, name) if name is not None and deeper else path))


def _decodable(data: bytes) -> bytes:
    """The bytes as expat can read them: unchanged when they declare an encoding, start
    with a byte order mark or are UTF-8; else windows-1252 turned into UTF-8."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return data
    data = data.lstrip()  # a blank line before the XML declaration is common and harmless
    if _DECLARED_ENCODING.match(data):
        return data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace").encode("utf-8")
    return data


def _child(element: Element, name: str) -> Element | None:
    for child in element:
        if isinstance(child.tag, str) and _local(child.tag) == name:
            return child
    return None


def _local(tag: str) -> str:
    """A tag without its namespace, lower-cased (``{ns}OPML`` -> ``opml``)."""
    return tag.rsplit("}", 1)[-1].lower()


def _clean(value: str | None) -> str | None:
    """An attribute as outside text: cleaned (:func:`bot.articles.text.clean_text`), one line."""
    if value is None:
        return None
    value = " ".join(clean_text(value).split())
    return value or None


def _defused(exc: DefusedXmlException) -> str:
    name = getattr(exc, "name", None)
    system_id = getattr(exc, "sysid", None)
    if system_id:
        return f"external entity {name!r} pointing at {system_id!r} was not read"
    return f"entity {name!r}" if name else type(exc).__name__


def too_big(size: int, limit: int = MAX_OPML_BYTES) -> Phrase:
    """Why a file of ``size`` bytes is refused (one line; ``str()`` in English)."""
    return Phrase.of(
        N_("the file is too big for an OPML feed list: {size} (at most {limit})"),
        size=_size(size),
        limit=_size(limit),
    )


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB"
    return f"{count / 1024:.0f} kB"


# -- writing ------------------------------------------------------------------------


def _text(value: str) -> str:
    value = _NOT_XML.sub("", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(value: str) -> str:
    return (
        _text(value)
        .replace('"', "&quot;")
        .replace("\t", "&#9;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
    )
