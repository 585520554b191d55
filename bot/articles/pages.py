"""Scraped pages: the text of a news page as copied from a browser, cleaned into an article.

This module owns :func:`parse_page` and the page-line heuristics. The text is
plain (blank lines separate blocks, hard-wrapped lines are joined again); each
non-empty line is classified (:func:`_classify`) as navigation, the page's own
link, a date line, an image line and its caption, a byline, an agency credit,
site furniture, a Markdown-style heading or text. The text lines are joined
into units, the title is the longest short line before the first prose, and
the body keeps paragraphs plus sub-headings (short lines without terminal
punctuation between paragraphs). The rules are general, not per site; each is
a named regex or small function below, so a new site's furniture is one entry
away. Pure over strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.articles.article import Article, Block, finish
from bot.articles.dates import date_line, parse_date
from bot.articles.text import CLOSERS, ends_sentence, fold, phrase_set, split_lines, word_set, words

__all__ = ["parse_page"]

# "## Heading" (Markdown ATX) in pages scraped to Markdown.
_ATX = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_ENDS_CLAUSE = re.compile(rf"[,–—-][{re.escape(CLOSERS)}]*$")


def _is_paragraph(text: str) -> bool:
    """Prose: ends like a sentence, or is too long to be a heading."""
    return ends_sentence(text) or words(text) > 12


def _is_heading_like(text: str) -> bool:
    """A short line without terminal punctuation that does not continue a sentence."""
    return (
        not _is_paragraph(text)
        and not _ENDS_CLAUSE.search(text)
        and len(text) <= 100
        and not text[:1].islower()
    )


# --------------------------------------------------------------------------- page lines

_MENU_SEPARATOR = re.compile(r"\s+[|•·»/]\s+")
_LIST_ITEM = re.compile(r"^(?:\d{1,3}[.)]|[-*•·▪►‣◦])\s+(?P<rest>.+)$")
_NAVIGATION = re.compile(
    r"^(?:skip|jump|go|back)\s+to\b|^(?:zum|zur)\s+\w+\s+springen$|^aller au\b|^ir al\b"
)
_URL_LINE = re.compile(r"^(?:(?P<label>[^:/]{1,30}?)\s*[:–—-]?\s+)?<?(?P<url>https?://[^\s<>]+)>?$")
# Labels under which a page shows its own address (the article's source link).
_URL_LABELS = frozenset(
    {"permalink", "link", "url", "source", "canonical", "original", "short link", "shortlink"}
    | {"source link", "article link", "original article", "quelle", "lien", "fuente", "enlace"}
)
_IMAGE_LINE = re.compile(
    r"^[\[(]?\s*(?:image|images|photo|photos|photograph|picture|pictures|pic|"
    r"photo credit|image credit|image source|image caption|caption|credit|credits|"
    r"video|graphic|illustration|bild|bildquelle|bildunterschrift|foto|fotos|"
    r"legende|credit photo|credits photo|imagen|fotografia|ilustracion)\s*:"
)
_IMAGE_CREDIT = re.compile(
    r"getty images|shutterstock|istockphoto|picture[- ]alliance|imago images|"
    r"\bap photo\b|\bafp photo\b|\bepa-efe\b|\bvia reuters\b"
)
_BYLINE_PREFIX = re.compile(
    r"^(?:by|von|par|por|di|door|written by|words by|reporting by|additional reporting by|"
    r"editing by|edited by|text|author|authors|autor|autorin|auteur|autora|reporter|editor)"
    r"\s*:?\s+(?P<names>.+)$",
    re.IGNORECASE,
)
_NAME_JOINERS = word_set(
    "and und et y e & with in for de van von der den la le du da di del bin al"
)
_AGENCIES = word_set(
    """ap afp reuters dpa kna epd efe ansa kyodo yonhap xinhua tass interfax upi pa aa sid
    apa sda ats ips ians pti bloomberg cnn bbc kcna ria lusa anp belga ctk mti pap ntb tt
    ritzau stt ana mena irna sana jiji ddp nhk dw"""
)
_AGENCY_ALT = "|".join(sorted(_AGENCIES, key=len, reverse=True))
_CREDIT_LINE = re.compile(
    r"^(?P<initials>[\w/ ,.&-]{0,30}?)\s*\((?P<list>[^()]{1,60})\)\s*\.?$", re.UNICODE
)
_INITIALS = re.compile(r"^[a-z]{1,5}(?:\s*/\s*[a-z]{1,5})+$")
# "WASHINGTON (Reuters) - " opening a paragraph, "... on Friday. (AP)" closing one.
_DATELINE = re.compile(
    rf"^(?:[A-Z][\w .,'/-]{{0,40}}?\s*)?\((?:{_AGENCY_ALT})\)\s*(?:--|[-–—])\s*(?=\S)",
    re.IGNORECASE,
)
_TRAILING_CREDIT = re.compile(
    rf"(?<=[.!?\"”’])\s+(?:[a-z]{{1,5}}(?:/[a-z]{{1,5}})+\s*)?"
    rf"\((?:{_AGENCY_ALT})(?:\s*[,/;]\s*(?:{_AGENCY_ALT}))*\)$",
    re.IGNORECASE,
)
# Whole lines that are site furniture (matched folded: lower-case, no accents).
_FURNITURE = phrase_set(
    """advertisement|anzeige|werbung|publicite|publicidad|pubblicita|sponsored|
    advertising|share|share this|share this article|share this story|share this page|print|
    email|e-mail|tweet|whatsapp|facebook|twitter|linkedin|pinterest|reddit|copy link|menu|
    search|close|home|log in|login|sign in|sign up|subscribe|newsletter|related|
    related topics|related content|related articles|related stories|more on this topic|
    read more|also read|see also|recommended|recommended stories|top stories|most read|
    comments|back to top|next article|previous article|send us your feedback|show more|
    load more|skip advertisement|continue reading|audio|listen|watch|play video|teilen|
    drucken|mehr zum thema|lesen sie auch|partager|imprimer|lire aussi|a lire aussi|compartir|
    imprimir|ver tambien|lea tambien"""
)
_FURNITURE_PREFIX = re.compile(
    r"^(?:read more|also read|see also|related|keywords|tags|topics|more|watch|listen|"
    r"follow us|follow|share|source|sources|mehr zum thema|lesen sie auch|schlagworte|"
    r"lire aussi|a lire aussi|mots-cles|lea tambien|ver tambien|etiquetas|feedback)\s*:"
    r"|^(?:follow us on|click here|sign up for|subscribe to|download our app)\b"
    r"|^(?:keywords|related subjects|related topics|schlagworte|print this page|mobile version)\b"
    r"|^(?:©|\(c\)\s|copyright\b)|all rights reserved"
)


def _classify(line: str) -> tuple[str, str]:
    """What one non-empty page line is: (kind, payload).

    Kinds: "nav", "url" (payload: the URL, or "" for a link that is not the
    page's own), "date" (payload: ISO date), "image", "byline", "credit",
    "furniture", "heading" (Markdown-style "## x", payload: its text) and
    "text" (payload: the line without a list marker).
    """
    folded = fold(line)
    if _NAVIGATION.search(folded):
        return "nav", ""
    # Before list items: "26. Dezember 2014" is a date, not item 26 of a menu.
    iso = date_line(line)
    if iso is not None:
        return "date", iso
    segments = _MENU_SEPARATOR.split(line)
    if (
        len(segments) >= 3
        and all(words(segment) <= 3 for segment in segments)
        and not any(parse_date(segment) for segment in segments)
    ):
        return "nav", ""  # "Home | World | Business | Tech", but not "Title | Site | 26.12.2014"
    item = _LIST_ITEM.match(line)
    if item:
        rest = item.group("rest")
        # Menus are lists of short labels; a list item that reads like prose is content.
        if words(rest) <= 6 and not ends_sentence(rest):
            return "nav", ""
        line, folded = rest, fold(rest)
    atx = _ATX.match(line)
    if atx and atx.group(2):
        return "heading", atx.group(2)
    url = _URL_LINE.match(line)
    if url:
        label = fold(url.group("label") or "").strip(" :-–—")
        is_own = label == "" or label in _URL_LABELS
        return "url", url.group("url").rstrip(".,;") if is_own else ""
    if _IMAGE_LINE.match(folded) or (words(line) <= 8 and _IMAGE_CREDIT.search(folded)):
        return "image", ""
    if _is_byline(line):
        return "byline", ""
    if _is_credit(line):
        return "credit", ""
    if folded.rstrip(" :.!") in _FURNITURE or (
        words(line) <= 25 and _FURNITURE_PREFIX.search(folded)
    ):
        return "furniture", ""
    return "text", line


def _is_byline(line: str) -> bool:
    if len(line) > 100 or ends_sentence(line.rstrip(".")):
        return False
    # "Reporting by Jane Doe; Editing by John Roe" is two bylines on one line.
    for part in line.split(";"):
        match = _BYLINE_PREFIX.match(part.strip())
        if not match:
            return False
        names = match.group("names").replace(",", " ").split()
        if not names or len(names) > 10:
            return False
        for name in names:
            if name.lower() in _NAME_JOINERS:
                continue
            if not name[:1].isupper():
                return False
    return True


def _is_credit(line: str) -> bool:
    """An agency credit such as "ksb/tj (AP, AFP)", "(Reuters)", "dh/rc (dpa)"."""
    if len(line) > 80:
        return False
    match = _CREDIT_LINE.match(line)
    if not match:
        return False
    names = [n.strip() for n in re.split(r"[,/;]", match.group("list"))]
    if not all(n and " " not in n and len(n) <= 15 for n in names):
        return False
    initials = match.group("initials").strip(" -–—")
    known = any(fold(n).rstrip(".") in _AGENCIES for n in names)
    return known or bool(_INITIALS.match(initials))


# --------------------------------------------------------------------------- pages


@dataclass(slots=True)
class _Unit:
    """A run of text lines that form one paragraph, heading or title candidate."""

    text: str
    chunk: int
    marked_heading: bool = False


def parse_page(text: str, source: str) -> Article:
    """Clean a scraped news page (plain text) into an :class:`Article`.

    Raises :class:`NotAnArticle` when nothing that reads like article text is
    left after removing the page furniture.
    """
    lines = split_lines(text)
    # (chunk number, kind, payload) for every non-empty line; chunks are
    # separated by blank lines.
    classified: list[tuple[int, str, str]] = []
    chunk = 0
    for line in lines:
        if not line:
            chunk += 1
            continue
        kind, payload = _classify(line)
        if kind == "image" and classified:
            # The photo caption is the line right above its credit, same chunk.
            prev_chunk, prev_kind, prev_payload = classified[-1]
            if prev_chunk == chunk and prev_kind == "text" and words(prev_payload) <= 40:
                classified[-1] = (prev_chunk, "caption", "")
        classified.append((chunk, kind, payload))

    url = next((p for _, k, p in classified if k == "url" and p), None)
    date = next((p for _, k, p in classified if k == "date"), None)
    units = _units(classified)

    title, body = _split_title(units)
    if title is not None and " | " in title:
        # "Title | Section | Site | 26.12.2014": keep the title, use a date segment.
        segments = [s.strip() for s in title.split(" | ") if s.strip()]
        title = segments[0]
        for segment in segments[1:]:
            date = date or date_line(segment)
    if date is None and url is not None:
        path_date = re.search(r"/(\d{4})/(\d{1,2})/(\d{1,2})/", url)
        if path_date:
            date = parse_date("-".join(path_date.groups()))

    return finish(source, title, date, url, _body_blocks(body))


def _units(classified: list[tuple[int, str, str]]) -> list[_Unit]:
    """Join the text lines of each chunk into units, undoing hard line wraps.

    Linear in the number of lines: a unit's lines are collected in a list and
    joined once, and whether the next line continues it is decided from the
    unit's first and last lines only (a file without blank lines or sentence
    ends is one unit, so anything that re-read the joined text per line would
    be quadratic).
    """
    pieces: list[tuple[list[str], int, bool]] = []  # (lines, chunk, marked heading)
    current: list[str] | None = None
    current_chunk = -1
    for chunk, kind, payload in classified:
        if kind == "heading":
            pieces.append(([payload], chunk, True))
            current = None
            continue
        if kind != "text":
            continue  # furniture between two lines still separates them
        if current is not None and current_chunk == chunk and _continues(current, payload):
            current.append(payload)
        else:
            current, current_chunk = [payload], chunk
            pieces.append((current, chunk, False))
    return [_Unit(" ".join(lines), chunk, marked) for lines, chunk, marked in pieces]


def _continues(unit_lines: list[str], line: str) -> bool:
    """Is ``line`` the hard-wrapped continuation of the unit made of ``unit_lines`` (same chunk)?"""
    # Lines are stripped and non-empty, so the joined unit ends like its last line.
    if ends_sentence(unit_lines[-1]):
        return False
    # A short heading line directly above a longer line is a heading, not the
    # first line of a wrapped paragraph (wrapped lines have similar widths).
    first = unit_lines[0]
    return not (len(unit_lines) == 1 and _is_heading_like(first) and len(first) < 0.6 * len(line))


def _split_title(units: list[_Unit]) -> tuple[str | None, list[_Unit]]:
    """Pick the title among the units before the first prose, and return the body units.

    The title is the longest short line before the first sentence-like text;
    other short lines there are kickers, section names or site names and go.
    """
    first_prose = next(
        (i for i, u in enumerate(units) if ends_sentence(u.text) or words(u.text) > 25),
        len(units),
    )
    header = [u for u in units[:first_prose] if words(u.text) <= 30]
    if header:
        title = max(header, key=lambda u: words(u.text))  # max keeps the first of equals
        return title.text, units[first_prose:]
    if first_prose < len(units) - 1:
        # A title may end in "?" or "!": take a short first line standing on its own.
        first = units[0]
        alone = all(u.chunk != first.chunk for u in units[1:])
        if first_prose == 0 and alone and words(first.text) <= 20 and first.text[-1:] in "?!":
            return first.text, units[1:]
    return None, units[first_prose:]


def _body_blocks(units: list[_Unit]) -> list[Block]:
    """Paragraphs, plus headings that stand between two paragraphs."""
    kinds = []
    for unit in units:
        if unit.marked_heading:
            kinds.append("heading")
        elif _is_paragraph(unit.text):
            kinds.append("paragraph")
        elif _is_heading_like(unit.text):
            kinds.append("heading")
        else:
            kinds.append("drop")
    # The kind of the next unit that is not dropped, for each unit: one pass
    # from the end, so a file of many short lines is not scanned once per line.
    next_kinds: list[str | None] = []
    following: str | None = None
    for kind in reversed(kinds):
        next_kinds.append(following)
        if kind != "drop":
            following = kind
    next_kinds.reverse()
    blocks: list[Block] = []
    has_paragraph = False
    for unit, kind, next_kind in zip(units, kinds, next_kinds, strict=True):
        if kind == "paragraph":
            text = _strip_credits(unit.text)
            if text:
                blocks.append(Block("paragraph", text))
                has_paragraph = True
        elif kind == "heading" and has_paragraph and next_kind == "paragraph":
            # A short line with no paragraph after it is page furniture
            # ("Related topics"), not a sub-heading; so is one before the text.
            blocks.append(Block("heading", unit.text))
    return blocks


def _strip_credits(text: str) -> str:
    text = _DATELINE.sub("", text, count=1)
    return _TRAILING_CREDIT.sub("", text).strip()
