"""Feeds as data: RSS, Atom and JSON Feed documents to plain :class:`FeedEntry` values.

This module owns reading one feed document and nothing else (no network, no store):

* :func:`parse_feed` reads RSS 0.9x/1.0 (RDF)/2.0 and Atom 0.3/1.0 with feedparser (in
  whatever encoding the document or the HTTP header declares; feedparser also reads
  documents that are not well-formed XML) and JSON Feed 1.0/1.1 with the standard
  library, into a :class:`ParsedFeed` of :class:`FeedEntry` values;
* :func:`html_to_text` turns the HTML a feed carries into clean text: no tags, no
  scripts or styles, entities decoded, paragraphs (and list items, headings, line
  breaks between paragraphs) kept as paragraphs separated by a blank line;
* :func:`entry_keys` gives the keys an entry is recognised by, best first: the feed's
  own id/guid (scoped to the feed), the canonical URL of its link
  (:func:`bot.web.urls.canonical_url`), and a hash of its text (:func:`text_hash`).

An entry without a title keeps ``title=None`` (the catalog takes the text's first
sentence, as for seed files); an entry with neither text nor link is skipped with one
log line. Pure apart from that logging.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import feedparser

from bot.errors import DigestbotError
from bot.web.urls import canonical_url

__all__ = [
    "FeedEntry",
    "NotAFeed",
    "ParsedFeed",
    "entry_keys",
    "html_to_text",
    "parse_feed",
    "text_hash",
]

log = logging.getLogger(__name__)

# HTML elements that end a paragraph (their text is a paragraph of its own).
_BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    ]
)
# Elements whose content is never text for a reader.
_SKIP = frozenset(
    ["script", "style", "iframe", "noscript", "template", "svg", "math", "head", "object"]
)
_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)
_SPACE = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")
_WORD = re.compile(r"\w+")
_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")
# Entries with fewer words than this get no text-hash key (see entry_keys).
HASH_MIN_WORDS = 25
_JSON_FEED = re.compile(r"^https?://jsonfeed\.org/version/1(\.\d+)?/?$")


class NotAFeed(DigestbotError):
    """The document is neither RSS, Atom nor JSON Feed (or has nothing a feed has)."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a feed, as plain data. ``text`` is clean text (paragraphs separated by
    blank lines; may be empty); ``title`` None when the feed gave none."""

    guid: str | None
    link: str | None
    title: str | None
    text: str
    published: datetime | None = None  # aware, UTC
    updated: datetime | None = None
    author: str | None = None

    @property
    def words(self) -> int:
        return len(_WORD.findall(self.text))

    @property
    def fingerprint(self) -> str:
        """A hash of what the feed says about the entry (not its id): changes when it is
        edited, not when the feed only renames its guid."""
        content = [self.link, self.title, self.text, _iso(self.published)]
        return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A feed document: its own title and link, its entries in document order."""

    format: str  # feedparser's version ("rss20", "atom10", "rss10"...) or "json1"
    title: str | None
    link: str | None
    entries: tuple[FeedEntry, ...]
    skipped: int = 0  # entries with neither text nor link
    problem: str | None = None  # feedparser's complaint about a document it still read
    language: str | None = None


def parse_feed(body: bytes, content_type: str = "", url: str | None = None) -> ParsedFeed:
    """Read one feed document (bytes as fetched); raise :class:`NotAFeed` if it is none.

    ``content_type`` is the HTTP ``Content-Type`` header (its charset counts for XML
    feeds that declare none); ``url`` resolves relative links and names the feed in logs.
    """
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start in (b"{", b"[") or "json" in content_type.lower():
        return _parse_json(body, url)
    headers = {"content-type": content_type} if content_type else {}
    if url:
        headers["content-location"] = url
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no RSS, Atom or JSON Feed found"
        raise NotAFeed(f"not a feed: {reason}")
    entries, skipped = [], 0
    for item in parsed.entries:
        entry = _xml_entry(item)
        if entry is None:
            skipped += 1
            log.info("feed %s: an entry with neither text nor link skipped", url or "?")
            continue
        entries.append(entry)
    info = parsed.feed
    problem = str(parsed.get("bozo_exception")) if parsed.get("bozo") else None
    return ParsedFeed(
        format=version or "unknown",
        title=_clean_title(info.get("title"), info.get("title_detail")),
        link=info.get("link"),
        entries=tuple(entries),
        skipped=skipped,
        problem=problem,
        language=info.get("language"),
    )


def _xml_entry(item: Any) -> FeedEntry | None:
    text = ""
    # Full content first (content:encoded, atom:content), then the summary/description.
    for detail in [*item.get("content", []), item.get("summary_detail")]:
        if detail and detail.get("value", "").strip():
            text = _detail_text(detail)
            if text:
                break
    if not text and item.get("summary"):
        text = html_to_text(item["summary"])
    link = _link(item)
    if not text and not link:
        return None
    title = _clean_title(item.get("title"), item.get("title_detail"))
    guid = (item.get("id") or "").strip() or None
    author = (item.get("author") or "").strip() or None
    return FeedEntry(
        guid=guid,
        link=link,
        title=title,
        text=text,
        # dict.get: feedparser's own get() maps updated to published with a warning.
        published=_struct(dict.get(item, "published_parsed"))
        or _struct(dict.get(item, "updated_parsed")),
        updated=_struct(dict.get(item, "updated_parsed")),
        author=author,
    )


def _link(item: Any) -> str | None:
    link = (item.get("link") or "").strip()
    if not link:
        for candidate in item.get("links", []):
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = candidate["href"].strip()
                break
    if not link:
        # RSS 2.0: a guid that is a permalink is the link.
        guid = (item.get("id") or "").strip()
        if item.get("guidislink") or _is_web(guid):
            link = guid
    return link if _is_web(link) else None


def _is_web(link: str) -> bool:
    return link.lower().startswith(("http://", "https://"))


def _detail_text(detail: Any) -> str:
    value = detail.get("value", "")
    kind = (detail.get("type") or "").lower()
    if kind.startswith("text/plain"):
        return _plain_text(value)
    return html_to_text(value)


def _clean_title(title: str | None, detail: Any = None) -> str | None:
    if not title:
        return None
    kind = ((detail or {}).get("type") or "").lower()
    text = html_to_text(title) if any(t in kind for t in _HTML_TYPES) or "<" in title else title
    text = _SPACE.sub(" ", text).strip()
    return text or None


def _struct(value: time.struct_time | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# -- JSON Feed ----------------------------------------------------------------------


def _parse_json(body: bytes, url: str | None) -> ParsedFeed:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise NotAFeed(f"not a feed: invalid JSON ({exc})") from None
    if not isinstance(data, dict) or not _JSON_FEED.match(str(data.get("version", ""))):
        raise NotAFeed("not a feed: JSON without a jsonfeed.org version")
    items = data.get("items")
    if not isinstance(items, list):
        raise NotAFeed("not a feed: JSON Feed without items")
    entries, skipped = [], 0
    for item in items:
        entry = _json_entry(item) if isinstance(item, dict) else None
        if entry is None:
            skipped += 1
            log.info("feed %s: an entry with neither text nor link skipped", url or "?")
            continue
        entries.append(entry)
    return ParsedFeed(
        format="json1",
        title=_string(data.get("title")),
        link=_string(data.get("home_page_url")),
        entries=tuple(entries),
        skipped=skipped,
        language=_string(data.get("language")),
    )


def _json_entry(item: dict[str, Any]) -> FeedEntry | None:
    text = ""
    if _string(item.get("content_html")):
        text = html_to_text(item["content_html"])
    if not text and _string(item.get("content_text")):
        text = _plain_text(item["content_text"])
    if not text and _string(item.get("summary")):
        text = _plain_text(item["summary"])
    link = _string(item.get("url")) or _string(item.get("external_url"))
    if link and not _is_web(link):
        link = None
    if not text and not link:
        return None
    guid = item.get("id")
    authors = item.get("authors") or (
        [item["author"]] if isinstance(item.get("author"), dict) else []
    )
    names = [name for a in authors if isinstance(a, dict) and (name := _string(a.get("name")))]
    return FeedEntry(
        guid=str(guid).strip() or None if guid is not None else None,
        link=link,
        title=_clean_title(_string(item.get("title"))),
        text=text,
        published=_rfc3339(item.get("date_published")) or _rfc3339(item.get("date_modified")),
        updated=_rfc3339(item.get("date_modified")),
        author=", ".join(names) or None,
    )


def _string(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _rfc3339(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# -- HTML to text -------------------------------------------------------------------


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._current: list[str] = []
        self._skipping = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            if tag not in _VOID:
                self._skipping += 1
            return
        if tag in _BLOCKS:
            self._break()
        if tag == "pre":
            self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skipping = max(0, self._skipping - 1)
            return
        if tag in _BLOCKS:
            self._break()
        if tag == "pre":
            self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._current.append(data)

    def _break(self) -> None:
        text = _SPACE.sub(" ", "".join(self._current)).strip()
        if text:
            self.paragraphs.append(text)
        self._current = []

    def close(self) -> None:
        super().close()
        self._break()


def html_to_text(html: str) -> str:
    """Clean text of an HTML fragment: no tags, entities decoded, paragraphs separated
    by one blank line, whitespace inside a paragraph folded to single spaces."""
    if "<" not in html and "&" not in html:
        return _plain_text(html)
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return "\n\n".join(parser.paragraphs)


def _plain_text(text: str) -> str:
    paragraphs = (_SPACE.sub(" ", part).strip() for part in re.split(r"\n\s*\n", text))
    return "\n\n".join(p for p in paragraphs if p)


# -- identity -------------------------------------------------------------------------


def text_hash(title: str | None, text: str) -> str:
    """A hash of an entry's words (case and spacing folded): the same story re-published
    under a new id and link has the same hash."""
    folded = " ".join(_WORD.findall(f"{title or ''} {text}".casefold()))
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def entry_keys(feed_id: int, entry: FeedEntry) -> list[str]:
    """The keys ``entry`` of feed ``feed_id`` is known by, best first: ``id:<feed>:<guid>``,
    ``url:<canonical link>``, ``hash:<text hash>`` (for texts of :data:`HASH_MIN_WORDS`
    words or more, or when there is no other key)."""
    keys = []
    if entry.guid:
        keys.append(f"id:{feed_id}:{entry.guid}")
    if entry.link:
        url = url_key(entry.link)
        if url:
            keys.append(url)
    # A short text ("Read more…", a one-line teaser) is shared by unrelated entries; it
    # is a key only for an entry that has nothing else to be known by.
    if entry.text and (entry.words >= HASH_MIN_WORDS or not keys):
        keys.append(f"hash:{text_hash(entry.title, entry.text)}")
    return keys


def url_key(link: str) -> str | None:
    """The ``url:`` key of a link, or None if it is not an absolute URL."""
    try:
        return f"url:{canonical_url(link)}"
    except ValueError:
        return None
