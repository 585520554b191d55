"""Saved and fetched web pages (HTML) to article fields: :func:`extract_html`.

This module owns reading one HTML page: it finds the main text with trafilatura
(navigation, comments, "related" links and other boilerplate dropped; headings,
paragraphs, list items and table rows kept as separate blocks) and reads the page's
own metadata:

* **title** -- trafilatura's headline (``og:title``/``<h1>``/``<title>`` with the
  site name cut off);
* **date** -- the publication time (``article:published_time``, ``datePublished`` in
  JSON-LD or microdata, ``<meta name=date>``…) as an aware :class:`datetime.datetime`
  when the page gives a time with an offset, else a :class:`datetime.date` (also what
  trafilatura's date finder returns when the page has no such field);
* **url** -- ``<link rel=canonical>``, then ``og:url``, then the URL it was fetched from;
* **language** -- ISO 639-1 code from ``<html lang>``, ``Content-Language`` or
  ``og:locale``, else detected from the text (py3langid, whose model ships inside the
  package: nothing is downloaded);
* every string it returns is cleaned text (:func:`bot.articles.text.clean_text`: no control,
  bidi or invalid characters);
* **site_name** -- ``og:site_name`` or what trafilatura infers.

It is pure: HTML text in, an :class:`Extracted` out; no network, no files, no store,
no Telegram. A page without article text raises :class:`bot.errors.NotAnArticle`
with the reason.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypedDict
from urllib.parse import urljoin, urlsplit

import trafilatura
from htmldate import find_date
from trafilatura import metadata as trafilatura_metadata

from bot.articles.text import clean_text
from bot.errors import NotAnArticle
from bot.languages import LANGUAGE_NAMES, detect_code, text_language

__all__ = [
    "FULLER_SHARE",
    "Extracted",
    "ExtractedBlock",
    "detect_language",
    "extract_html",
    "kept_chars",
    "takes_fuller",
]

# An element of the lxml tree trafilatura parses (lxml names its class only privately).
Element = Any

# Chosen on ../shared/eval/pages (bench/pages.py --variants; every variant is in
# docs/benchmarks.md).
# "favor precision" drops more related-links and teaser lists, but on some pages it cuts
# the article to its first paragraphs; the balanced pass runs too and wins when the
# precise one keeps much less (FULLER_SHARE).
# "fast" skips trafilatura's second opinion (readability/jusText) on the precise pass: on
# the 90 pages body F1 0.9724 instead of 0.9726, titles unchanged, 13.7 instead of 17.9 ms
# of CPU a page (best of six interleaved runs).
PRECISE = {
    "favor_precision": True,
    "include_comments": False,
    "include_tables": True,
    "fast": True,
}
BALANCED = {"include_comments": False, "include_tables": True}
# The balanced pass's text replaces the precise one when the precise pass
# * cut the article short: it kept less than FULLER_SHARE of the balanced text's paragraph
#   characters (it kept 6-14 % of some articles). Chosen on the even-indexed half of
#   ../shared/eval/pages2 (python -m bench.pages2 --choose), checked on the odd half and on
#   ../shared/eval/pages;
# * kept less than trafilatura's own minimum extraction size (MIN_EXTRACTED_SIZE, 250
#   characters, below which trafilatura itself tries its other extractors) while the
#   balanced pass kept more: a pay-wall notice or a caption, not the article.
FULLER_SHARE = 0.2
MIN_PRECISE_CHARS = int(trafilatura.settings.DEFAULT_CONFIG["DEFAULT"]["MIN_EXTRACTED_SIZE"])
# Less article text than this (word characters) is not an article ("Page not found").
MIN_TEXT_CHARS = 40

# One extraction at a time per process: trafilatura's module-level lxml XPath objects are
# not thread-safe, and two feed threads extracting at once aborted the process inside
# libxml2 (seen once in the test suite). Pure-Python work holds the GIL anyway; summaries
# on demand run in worker processes, each with its own lock.
_TRAFILATURA = threading.Lock()
# Page furniture removed before trafilatura sees the tree (see _drop_furniture).
_FURNITURE = ("nav", "aside", "footer")
_SPACE = re.compile(r"\s+")
_LANG_CODE = re.compile(r"^([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]{1,8})*$")
# Metadata that holds the publication time, best first (names compared lower-case).
_DATE_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "article.published",
    "publish-date",
    "publishdate",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.date",
    "date",
)
_MAX_JSON_LD = 200_000


# htmldate without its "extensive search", which takes a footer's "© 2024" for the day
# the article was published (2024-01-01); the page's own fields and URL still count.
class _DateSearch(TypedDict):
    extensive_search: bool
    original_date: bool


_DATE_SEARCH: _DateSearch = {"extensive_search": False, "original_date": True}
# Earlier dates are placeholders ("0001-01-01T00:00:00Z"), not publication dates.
_EARLIEST_YEAR = 1991  # characters of one JSON-LD script worth parsing


@dataclass(frozen=True, slots=True)
class ExtractedBlock:
    """One piece of the main text: a sub-heading or a paragraph (list items and table
    rows are paragraphs of their own)."""

    kind: Literal["heading", "paragraph"]
    text: str


@dataclass(frozen=True, slots=True)
class Extracted:
    """What a page says about itself, and its main text."""

    title: str | None
    date: dt.datetime | dt.date | None
    url: str | None
    language: str | None  # ISO 639-1 code ("en", "pt", "ja"), None when unknown
    site_name: str | None
    blocks: tuple[ExtractedBlock, ...]

    @property
    def text(self) -> str:
        """Every block (sub-headings too), in page order, separated by blank lines."""
        return "\n\n".join(block.text for block in self.blocks)

    @property
    def paragraphs(self) -> list[str]:
        """The paragraph blocks' texts (no sub-headings)."""
        return [block.text for block in self.blocks if block.kind == "paragraph"]


def extract_html(
    html: str | bytes, url: str | None = None, *, source: str | None = None
) -> Extracted:
    """Read one HTML page into an :class:`Extracted`.

    ``url`` is where the page came from (used to resolve a relative canonical link and
    as the fallback URL). ``source`` names the page in a :class:`NotAnArticle` (default:
    ``url``, else ``"<html>"``). Raises :class:`NotAnArticle` when the input is empty,
    not HTML, or has no article text.
    """
    with _TRAFILATURA:
        return _extract(html, url, source=source)


def _extract(
    html: str | bytes,
    url: str | None,
    *,
    source: str | None = None,
    precise: Mapping[str, Any] = PRECISE,
    balanced: Mapping[str, Any] | None = BALANCED,
    fuller_share: float = FULLER_SHARE,
    drop_title: bool = True,
    drop_furniture: bool = True,
) -> Extracted:
    """:func:`extract_html` with the trafilatura settings open (bench/pages.py tries
    variants through it); ``balanced=None`` runs the precise pass alone."""
    name = source or url or "<html>"
    if not html.strip():
        raise NotAnArticle(name, "empty page")
    tree = trafilatura.load_html(html)
    if tree is None:
        raise NotAnArticle(name, "not an HTML page")
    meta = _Meta(tree)  # read before the furniture goes: JSON-LD may sit in a footer
    page_date, page_url, declared = meta.date(), meta.url(url), meta.language()
    if drop_furniture:
        _drop_furniture(tree)
    library = _library_meta(tree, url, need_date=page_date is None)
    title = (
        _clean(library.title) or meta.first("og:title") or _clean(tree.findtext(".//title"))
    ) or None
    blocks = _article_blocks(_bare(tree, url, precise), title, drop_title)
    if balanced is not None:
        fuller = _article_blocks(_bare(tree, url, balanced), title, drop_title)
        if takes_fuller(kept_chars(blocks), kept_chars(fuller), fuller_share):
            blocks = fuller
    text = "\n".join(block.text for block in blocks if block.kind == "paragraph")
    if not blocks or len(re.findall(r"\w", text)) < MIN_TEXT_CHARS:
        raise NotAnArticle(name, "no article text found")
    return Extracted(
        title=title,
        date=page_date or _parse_date(library.date),
        url=page_url or library.url or url,
        language=_language(text, declared),
        site_name=meta.first("og:site_name") or _clean(library.sitename),
        blocks=tuple(blocks),
    )


def _article_blocks(document: Any, title: str | None, drop_title: bool) -> list[ExtractedBlock]:
    """The blocks of one trafilatura pass (none when it found nothing), without the
    headline repeated as the body's first heading."""
    if document is None or document.body is None:
        return []
    blocks = list(_blocks(document.body))
    if drop_title and blocks and title and _words(blocks[0].text) == _words(title):
        blocks.pop(0)
    return blocks


def takes_fuller(precise: int, fuller: int, share: float = FULLER_SHARE) -> bool:
    """Whether the balanced pass's text (``fuller`` paragraph characters) replaces the
    precise pass's (``precise``): see :data:`FULLER_SHARE` and :data:`MIN_PRECISE_CHARS`."""
    cut_short = precise < share * fuller
    too_little = precise < MIN_PRECISE_CHARS and fuller > precise
    return cut_short or too_little


def kept_chars(blocks: list[ExtractedBlock] | tuple[ExtractedBlock, ...]) -> int:
    """Characters of article text (paragraphs, not sub-headings) in ``blocks``: what
    :data:`FULLER_SHARE` compares."""
    return sum(len(block.text) for block in blocks if block.kind == "paragraph")


def _drop_furniture(tree: Element) -> None:
    """Remove ``<nav>``, ``<aside>`` and ``<footer>`` (with their text; a tail after one
    stays) unless no ``<p>`` would be left.

    trafilatura discards these too, but only after running its XPath pruning over the
    whole raw tree, several times; on real news pages they hold a third of the elements.
    Removing them first gives the same result (bench/pages.py: body F1 and titles
    unchanged on the 90 pages) for about 8 % less CPU a page (13.9 against 15.0 ms).
    """
    furniture = [e for e in tree.iter(*_FURNITURE) if not _inside(e, _FURNITURE)]
    if not furniture:
        return
    if not any(not _inside(p, _FURNITURE) for p in tree.iter("p")):
        return  # a page built inside them (rare): leave it to trafilatura's own rules
    for element in furniture:
        parent = element.getparent()
        if parent is None:
            continue
        if element.tail:
            previous = element.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + element.tail
            else:
                parent.text = (parent.text or "") + element.tail
        parent.remove(element)


def _inside(element: Element, tags: tuple[str, ...]) -> bool:
    return any(True for _ in element.iterancestors(*tags))


def _bare(tree: Element, url: str | None, options: Mapping[str, Any]) -> Any:
    # bare_extraction copies the tree it is given, so one parse serves every try. Its
    # metadata is read once, by _library_meta, not on every try.
    return trafilatura.bare_extraction(tree, url=url, with_metadata=False, **options)


@dataclass(frozen=True, slots=True)
class _LibraryMeta:
    title: str | None
    sitename: str | None
    url: str | None
    date: str | None


def _library_meta(tree: Element, url: str | None, *, need_date: bool) -> _LibraryMeta:
    """trafilatura's headline, site name and URL, and htmldate's date (only when the
    page's own fields gave none), the way ``extract_metadata`` finds them.

    ``extract_metadata`` also looks for authors, categories, tags and a licence, which
    digestbot never shows: a fifth of the CPU of a page (bench/pages.py, with nothing
    else changed). tests/test_extract.py checks these fields against
    ``extract_metadata`` itself, so a trafilatura release that changes them is caught.
    """
    found = trafilatura_metadata.examine_meta(tree)
    with contextlib.suppress(Exception):  # as extract_metadata: JSON-LD bugs are skipped
        found = trafilatura_metadata.extract_meta_json(tree, found)
    title = found.title or trafilatura_metadata.extract_title(tree)
    page_url = found.url or trafilatura_metadata.extract_url(tree, url)
    sitename = found.sitename or trafilatura_metadata.extract_sitename(tree)
    if sitename:
        sitename = sitename.lstrip("@")
        if sitename and "." not in sitename and not sitename[0].isupper():
            sitename = sitename.title()
    elif page_url and (match := trafilatura_metadata.META_URL.match(page_url)):
        sitename = match[1]
    found.title, found.url, found.sitename = title, page_url, sitename or None
    found.date = find_date(tree, url=page_url, **_DATE_SEARCH) if need_date else None
    found.clean_and_trim()  # entities, spaces and control characters, as extract_metadata
    return _LibraryMeta(found.title, found.sitename, found.url, found.date)


# --------------------------------------------------------------------------- text


def _clean(text: str | None) -> str:
    """Page text as digestbot keeps it (:func:`bot.articles.text.clean_text`), one line."""
    return _SPACE.sub(" ", clean_text(text or "")).strip()


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _blocks(body: Element) -> Iterator[ExtractedBlock]:
    """The blocks of trafilatura's output tree: ``head`` is a heading; a ``list`` gives
    one paragraph per ``item``, a ``table`` one per ``row`` (cells joined by " | "); any
    other element (``p``, ``quote``, ``code``…) is a paragraph per ``<lb/>``-separated
    line."""
    for element in body:
        tag = element.tag
        if tag == "head":
            kind: Literal["heading", "paragraph"] = "heading"
            lines = [_clean(" ".join(element.itertext()))]
        elif tag == "list":
            items = element.iterchildren("item")  # a nested list stays inside its item
            kind, lines = "paragraph", [_element_text(item) for item in items]
        elif tag == "table":
            kind, lines = "paragraph", [_row_text(row) for row in element.iterchildren("row")]
        else:
            kind, lines = "paragraph", _element_lines(element)
        for line in lines:
            if line:
                yield ExtractedBlock(kind, line)
        if element.tail and element.tail.strip():
            yield ExtractedBlock("paragraph", _clean(element.tail))


def _element_lines(element: Element) -> list[str]:
    """The text of an element, split at ``<lb/>`` line breaks."""
    lines: list[list[str]] = [[]]

    def walk(node: Element) -> None:
        if node.tag == "lb":
            lines.append([])
        elif node.text:
            lines[-1].append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                lines[-1].append(child.tail)

    walk(element)
    return [_clean("".join(parts)) for parts in lines]


def _element_text(element: Element) -> str:
    return _clean(" ".join(element.itertext()))


def _row_text(row: Element) -> str:
    return " | ".join(filter(None, (_element_text(cell) for cell in row.iterchildren("cell"))))


# --------------------------------------------------------------------------- metadata


class _Meta:
    """The page's own metadata, read from the parsed HTML tree."""

    def __init__(self, tree: Element) -> None:
        self._tree = tree
        self._values: dict[str, list[str]] = {}
        for meta in tree.iter("meta"):
            key = meta.get("property") or meta.get("name") or meta.get("itemprop")
            key = key or meta.get("http-equiv")
            content = meta.get("content")
            if key and content and content.strip():
                self._values.setdefault(key.strip().lower(), []).append(content.strip())

    def first(self, key: str) -> str | None:
        values = self._values.get(key)
        return _clean(values[0]) if values else None

    def url(self, base: str | None) -> str | None:
        """The canonical URL: ``<link rel=canonical>``, else ``og:url``; absolute http(s)."""
        candidates = [
            link.get("href", "")
            for link in self._tree.iter("link")
            if "canonical" in (link.get("rel") or "").lower().split()
        ]
        candidates.append(self.first("og:url") or "")
        for candidate in candidates:
            candidate = candidate.strip()
            if not candidate:
                continue
            absolute = urljoin(base, candidate) if base else candidate
            parts = urlsplit(absolute)
            if parts.scheme in ("http", "https") and parts.netloc:
                return absolute
        return None

    def language(self) -> str | None:
        """ISO 639-1 code from ``<html lang>``, ``Content-Language`` or ``og:locale``."""
        root = self._tree.getroottree().getroot()
        candidates = [
            root.get("lang"),
            root.get("{http://www.w3.org/XML/1998/namespace}lang"),
            self.first("content-language"),
            self.first("og:locale"),
            self.first("language"),
            self.first("dc.language"),
        ]
        for candidate in candidates:
            code = _language_code(candidate)
            if code:
                return code
        return None

    def date(self) -> dt.datetime | dt.date | None:
        """The publication time from meta tags, JSON-LD or ``<time itemprop>``."""
        for key in _DATE_META:
            for value in self._values.get(key, ()):
                parsed = _parse_date(value)
                if parsed is not None:
                    return parsed
        for value in self._json_ld_dates():
            parsed = _parse_date(value)
            if parsed is not None:
                return parsed
        for time in self._tree.iter("time"):
            if (time.get("itemprop") or "").lower() == "datepublished" or (
                time.get("pubdate") is not None
            ):
                parsed = _parse_date(time.get("datetime") or time.text_content())
                if parsed is not None:
                    return parsed
        return None

    def _json_ld_dates(self) -> Iterator[str]:
        for script in self._tree.iter("script"):
            if (script.get("type") or "").strip().lower() != "application/ld+json":
                continue
            text = script.text or ""
            if len(text) > _MAX_JSON_LD:
                continue
            try:
                data = json.loads(text)
            except ValueError:
                continue
            yield from _find_key(data, "datePublished", depth=0)


def _find_key(data: object, key: str, depth: int) -> Iterator[str]:
    """Values of ``key`` in nested JSON (dicts and lists, at most 6 levels deep)."""
    if depth > 6:
        return
    if isinstance(data, dict):
        value = data.get(key)
        if isinstance(value, str):
            yield value
        for child in data.values():
            if isinstance(child, dict | list):
                yield from _find_key(child, key, depth + 1)
    elif isinstance(data, list):
        for child in data:
            yield from _find_key(child, key, depth + 1)


def _language_code(value: str | None) -> str | None:
    """``"en-US"``, ``"pt_BR"``, ``"de"`` → ``"en"``, ``"pt"``, ``"de"``; else None."""
    match = _LANG_CODE.match((value or "").strip())
    if not match:
        return None
    code = match.group(1).lower()
    return code if len(code) == 2 else None


def _parse_date(value: str | None) -> dt.datetime | dt.date | None:
    """An ISO 8601 date or time: aware datetime if it has an offset, else its date."""
    text = (value or "").strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        try:
            day = dt.date.fromisoformat(text[:10])
        except ValueError:
            return None
        return day if day.year >= _EARLIEST_YEAR else None
    if parsed.year < _EARLIEST_YEAR:
        return None
    if parsed.tzinfo is None:
        return parsed.date()  # a local time of an unknown zone: only the day is sure
    return parsed


# --------------------------------------------------------------------------- language


def _language(text: str, declared: str | None) -> str | None:
    """The text's language (ISO code) by the project's one rule
    (:func:`bot.languages.text_language`): the declared one unless enough text is
    surely another; undeclared, the detector's guess."""
    name = text_language(text, declared)
    if name is None:
        return None
    return _CODES.get(name, declared)


_CODES = {name: code for code, name in LANGUAGE_NAMES.items()}


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text`` by py3langid (97 languages), or None when unsure."""
    return detect_code(text)
