"""Feeds as data: RSS, Atom and JSON Feed documents to plain :class:`FeedEntry` values.

This module owns reading one feed document and nothing else (no network, no store):

* :func:`parse_feed` reads RSS 0.9x/1.0 (RDF)/2.0 and Atom 0.3/1.0 with feedparser (in
  whatever encoding the document or the HTTP header declares; feedparser also reads
  documents that are not well-formed XML) and JSON Feed 1.0/1.1 with the standard
  library, into a :class:`ParsedFeed` of :class:`FeedEntry` values;
* every string a feed gives (titles, texts, authors) goes through
  :func:`bot.articles.text.clean_text` on the way in: HTML read as text, entities decoded,
  invalid, control and bidi characters removed (:func:`html_to_text` is re-exported
  from there);
* one bad entry costs only itself: character references XML forbids (``&#xD800;``)
  are removed before parsing, a JSON Feed nested deeper than :data:`MAX_JSON_DEPTH`
  has its over-deep values cut (that entry keeps the rest), and an entry that still
  fails to read is skipped -- each with one log line;
* dates feedparser cannot read ("Seg, 24 Set 2018") are read by
  :func:`bot.articles.dates.parse_date` (month names in several languages) as that day;
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
from typing import Any

import feedparser

from bot.articles.dates import parse_date
from bot.articles.text import clean_text, html_to_text, plain_paragraphs, strip_invalid
from bot.errors import ReasonedError
from bot.locales import N_, Phrase
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

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")
# Entries with fewer words than this get no text-hash key (see entry_keys).
HASH_MIN_WORDS = 25
_JSON_FEED = re.compile(r"^https?://jsonfeed\.org/version/1(\.\d+)?/?$")


class NotAFeed(ReasonedError):
    """The document is neither RSS, Atom nor JSON Feed (or has nothing a feed has);
    ``said(t)`` gives the reason in a chat's language."""


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
    body, removed = _drop_invalid_references(body)
    if removed:
        log.info(
            "feed %s: %d character references to invalid characters removed", url or "?", removed
        )
    headers = {"content-type": content_type} if content_type else {}
    if url:
        headers["content-location"] = url
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        problem = parsed.get("bozo_exception")
        if problem:
            raise NotAFeed(Phrase.of(N_("not a feed: {problem}"), problem=problem))
        raise NotAFeed(Phrase.of(N_("not a feed: no RSS, Atom or JSON Feed found")))
    entries, skipped = [], 0
    for item in parsed.entries:
        entry = _read_entry(_xml_entry, item, url)
        if entry is None:
            skipped += 1
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
        language=_string(info.get("language")),
    )


def _read_entry(read: Any, item: Any, url: str | None) -> FeedEntry | None:
    """One entry read by ``read``, or None (skipped, with one log line): an entry with
    neither text nor link, or one whose reading fails -- it costs only itself."""
    try:
        entry = read(item)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        log.info("feed %s: an entry skipped: cannot read it (%s)", url or "?", exc)
        return None
    if entry is None:
        log.info("feed %s: an entry with neither text nor link skipped", url or "?")
    return entry


# Character references to code points XML 1.0 forbids: surrogates, controls but tab and
# line breaks, U+FFFE/U+FFFF, beyond U+10FFFF. feedparser's fallback parser fails the
# whole document on one of them.
_REFERENCE = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")


def _invalid_code_point(code: int) -> bool:
    return (
        (code < 0x20 and code not in (0x9, 0xA, 0xD))
        or 0xD800 <= code <= 0xDFFF
        or code in (0xFFFE, 0xFFFF)
        or code > 0x10FFFF
    )


def _drop_invalid_references(body: bytes) -> tuple[bytes, int]:
    """``body`` without character references to invalid code points, and how many went."""
    if b"&#" not in body:
        return body, 0
    removed = 0

    def replace(match: re.Match[bytes]) -> bytes:
        nonlocal removed
        code = int(match[1], 16) if match[1] else int(match[2])
        if _invalid_code_point(code):
            removed += 1
            return b""
        return match[0]

    return _REFERENCE.sub(replace, body), removed


def _xml_entry(item: Any) -> FeedEntry | None:
    text = ""
    # Full content first (content:encoded, atom:content), then the summary/description.
    for detail in [*item.get("content", []), item.get("summary_detail")]:
        if detail and detail.get("value", "").strip():
            text = _detail_text(detail)
            if text:
                break
    if not text and item.get("summary"):
        text = clean_text(item["summary"], "html")
    link = _link(item)
    if not text and not link:
        return None
    title = _clean_title(item.get("title"), item.get("title_detail"))
    guid = strip_invalid(item.get("id") or "").strip() or None
    author = _clean_title(item.get("author"))
    # dict.get: feedparser's own get() maps updated to published with a warning.
    updated = _struct(dict.get(item, "updated_parsed")) or _written_date(dict.get(item, "updated"))
    published = (
        _struct(dict.get(item, "published_parsed"))
        or _written_date(dict.get(item, "published"))
        or updated
    )
    return FeedEntry(
        guid=guid,
        link=link,
        title=title,
        text=text,
        published=published,
        updated=updated,
        author=author,
    )


def _written_date(raw: object) -> datetime | None:
    """A date feedparser could not read, as the project's date parser reads it (month
    names in several languages: "Seg, 24 Set 2018"): that day at 00:00 UTC."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    day = parse_date(raw[:200])
    return datetime.fromisoformat(day).replace(tzinfo=UTC) if day else None


def _link(item: Any) -> str | None:
    link = strip_invalid(item.get("link") or "").strip()
    if not link:
        for candidate in item.get("links", []):
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = strip_invalid(candidate["href"]).strip()
                break
    if not link:
        # RSS 2.0: a guid that is a permalink is the link.
        guid = strip_invalid(item.get("id") or "").strip()
        if item.get("guidislink") or _is_web(guid):
            link = guid
    return link if _is_web(link) else None


def _is_web(link: str) -> bool:
    return link.lower().startswith(("http://", "https://"))


def _detail_text(detail: Any) -> str:
    value = detail.get("value", "")
    kind = (detail.get("type") or "").lower()
    if kind.startswith("text/plain"):
        return plain_paragraphs(clean_text(value, "field"))
    return clean_text(value, "html")


def _clean_title(title: object, detail: Any = None) -> str | None:
    """A one-line field (title, author): cleaned, HTML read as text, spaces folded."""
    if not isinstance(title, str) or not title:
        return None
    kind = ((detail or {}).get("type") or "").lower()
    markup = any(t in kind for t in _HTML_TYPES) or "<" in title
    text = _SPACE.sub(" ", clean_text(title, "html" if markup else "field")).strip()
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


# JSON nested deeper than this is cut (the value becomes null): no feed field needs it, and
# the standard library's parser recurses once per level.
MAX_JSON_DEPTH = 64
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


# What a JSON document may hold that clean_text removes: a surrogate escape that is not
# half of a pair, or a raw control character inside a string.
_INVALID_JSON = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r"|[\x00-\x08\x0b\x0c\x0e-\x1f]"
)


def _cut_deep_json(document: str, limit: int = MAX_JSON_DEPTH) -> tuple[str, int]:
    """``document`` with every array or object that opens deeper than ``limit`` replaced
    by ``null``, and how many were cut. Strings are skipped whole (their brackets do not
    count); a document whose brackets do not balance is returned as it is."""
    depth = 0
    cuts: list[tuple[int, int]] = []
    cut_from = -1
    for match in _JSON_TOKEN.finditer(document):
        token = match.group(0)
        if token[0] == '"':
            continue
        if token in "[{":
            depth += 1
            if depth == limit + 1 and cut_from < 0:
                cut_from = match.start()
        else:
            if depth == limit + 1 and cut_from >= 0:
                cuts.append((cut_from, match.end()))
                cut_from = -1
            depth -= 1
            if depth < 0:
                return document, 0
    if not cuts:
        return document, 0
    if cut_from >= 0:  # unclosed: cut to the end, json.loads says what is wrong
        cuts.append((cut_from, len(document)))
    parts, last = [], 0
    for begin, finish in cuts:
        parts.append(document[last:begin])
        parts.append("null")
        last = finish
    parts.append(document[last:])
    return "".join(parts), len(cuts)


def _parse_json(body: bytes, url: str | None) -> ParsedFeed:
    try:
        document = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotAFeed(Phrase.of(N_("not a feed: invalid JSON ({error})"), error=exc)) from None
    invalid = len(_INVALID_JSON.findall(document))
    if invalid:
        log.info("feed %s: %d invalid characters removed", url or "?", invalid)
    document, cut = _cut_deep_json(document)
    if cut:
        log.info(
            "feed %s: %d values nested deeper than %d levels left out",
            url or "?",
            cut,
            MAX_JSON_DEPTH,
        )
    try:
        # strict=False: a raw control character inside a string costs that character
        # (clean_text removes it), not the whole feed.
        data = json.loads(document, strict=False)
    except (ValueError, RecursionError) as exc:
        error = str(exc)[:200]
        raise NotAFeed(Phrase.of(N_("not a feed: invalid JSON ({error})"), error=error)) from None
    if not isinstance(data, dict) or not _JSON_FEED.match(str(data.get("version", ""))):
        raise NotAFeed(Phrase.of(N_("not a feed: JSON without a jsonfeed.org version")))
    items = data.get("items")
    if not isinstance(items, list):
        raise NotAFeed(Phrase.of(N_("not a feed: JSON Feed without items")))
    entries, skipped = [], 0
    for item in items:
        entry = _read_entry(_json_entry, item, url) if isinstance(item, dict) else None
        if entry is None:
            skipped += 1
            continue
        entries.append(entry)
    return ParsedFeed(
        format="json1",
        title=_clean_title(data.get("title")),
        link=_string(data.get("home_page_url")),
        entries=tuple(entries),
        skipped=skipped,
        language=_string(data.get("language")),
    )


def _json_entry(item: dict[str, Any]) -> FeedEntry | None:
    text = ""
    if _string(item.get("content_html")):
        text = clean_text(item["content_html"], "html")
    if not text and _string(item.get("content_text")):
        text = plain_paragraphs(clean_text(item["content_text"], "field"))
    if not text and _string(item.get("summary")):
        text = plain_paragraphs(clean_text(item["summary"], "field"))
    link = _string(item.get("url")) or _string(item.get("external_url"))
    if link and not _is_web(link):
        link = None
    if not text and not link:
        return None
    guid = item.get("id")
    authors = item.get("authors") or (
        [item["author"]] if isinstance(item.get("author"), dict) else []
    )
    names = [_clean_title(a.get("name")) for a in authors if isinstance(a, dict)]
    return FeedEntry(
        guid=strip_invalid(str(guid)).strip() or None if guid is not None else None,
        link=link,
        title=_clean_title(_string(item.get("title"))),
        text=text,
        published=_rfc3339(item.get("date_published")) or _rfc3339(item.get("date_modified")),
        updated=_rfc3339(item.get("date_modified")),
        author=", ".join(n for n in names if n) or None,
    )


def _string(value: object) -> str | None:
    return strip_invalid(value).strip() or None if isinstance(value, str) else None


def _rfc3339(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return _written_date(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# -- identity -------------------------------------------------------------------------


def text_hash(title: str | None, text: str) -> str:
    """A hash of an entry's words (case and spacing folded): the same story re-published
    under a new id and link has the same hash."""
    folded = " ".join(_WORD.findall(f"{title or ''} {text}".casefold()))
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def entry_keys(feed_id: int, entry: FeedEntry) -> list[str]:
    """The keys ``entry`` of feed ``feed_id`` is known by, best first: ``id:<feed>:<guid>``,
    ``url:<canonical link>``, ``hash:<text hash>`` (for texts of :data:`HASH_MIN_WORDS`
    words or more, or when there is no other key), ``post:<published>:<text hash>``
    (an entry with a title and a publication time: the same post in another feed)."""
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
    # The same post in a site's other feed (Atom and JSON) may link elsewhere (the
    # permalink, or the page it comments on): its title, text and time are the same.
    if entry.title and entry.published is not None:
        keys.append(f"post:{entry.published.isoformat()}:{text_hash(entry.title, entry.text)}")
    return keys


def url_key(link: str) -> str | None:
    """The ``url:`` key of a link, or None if it is not an absolute URL."""
    try:
        return f"url:{canonical_url(link)}"
    except ValueError:
        return None
