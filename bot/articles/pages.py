"""Scraped pages: the text of a news page as copied from a browser, cleaned into an article.

This module owns :func:`parse_page` and the page-level heuristics; what one
line is (navigation, furniture, a section break, a date, a byline, a caption
or text) is :mod:`bot.articles.lines`. The steps, each a small named function:

* :func:`_units` joins text lines into units (paragraph, heading or title
  candidates). A line goes on in the next when it stops mid-clause; lines are
  rejoined by width only in a hard-wrapped file (:func:`_continues`), never
  in a browser copy, where each menu entry and paragraph has a line.
* :func:`_main_region` finds the article as the run of units with the most
  prose net of the rest (:func:`_weight`: a paragraph counts its words, any
  other unit costs one more than its words, furniture lines between units
  cost too, a section break such as "Most Popular" costs ten), in one pass;
  its end is where paragraphs start to stand alone between headlines (teasers).
* :func:`_find_title` picks the headline near the start of that run by
  :func:`_title_scores` (how much of it the article repeats, whether it
  stands in a block of its own, is repeated, sits above the text or a byline)
  or, in a plain file, the longest short line above the text.
* :func:`_body_blocks` keeps paragraphs and the sub-headings between them.

The rules are general (no site names, no addresses) and linear in the number
of lines. Pure over strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.articles.article import Article, Block, finish
from bot.articles.dates import date_line, parse_date
from bot.articles.lines import classify_lines, strip_credits
from bot.articles.text import (
    CLOSERS,
    ends_sentence,
    fold,
    words,
)

__all__ = ["parse_page"]

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


# --------------------------------------------------------------------------- pages


@dataclass(slots=True)
class _Unit:
    """A run of text lines that form one paragraph, heading or title candidate."""

    text: str
    chunk: int
    marked_heading: bool = False
    gap: float = 0.0  # the weight of the non-text lines between the previous unit and this one
    after_byline: bool = False  # a byline or date line stands between the previous unit and this
    weight: float | None = None  # :func:`_weight`, once the text is final
    repeated: bool = False  # the same prose stands elsewhere on the page (a caption, a teaser)


# What the non-text lines between two units cost the article run (other kinds: 0.5).
_GAP_WEIGHTS = {"nav": -1.0, "furniture": -2.0, "section": -10.0}


def parse_page(text: str, source: str) -> Article:
    """Clean a scraped news page (plain text) into an :class:`Article`.

    Raises :class:`NotAnArticle` when nothing that reads like article text is
    left after removing the page furniture.
    """
    classified = classify_lines(text)
    url = next((p for _, k, p in classified if k == "url" and p), None)
    date = next((p for _, k, p in classified if k == "date"), None)
    units = _units(classified)
    start, end = _main_region(units)
    title, at = _find_title(units, start, end)
    start = max(start, at + 1)
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

    return finish(source, title, date, url, _body_blocks(units[start:end]))


def _units(classified: list[tuple[int, str, str]]) -> list[_Unit]:
    """Join the text lines of each chunk into units, undoing hard line wraps.

    Linear in the number of lines: a unit's lines are collected in a list and
    joined once, and whether the next line continues it is decided from the
    unit's first and last lines and the chunk's widest line only.
    """
    # A browser copy has a line per paragraph, so some lines are long; a file
    # hard-wrapped at a width has none over it. Only there are lines rejoined by width.
    widest: dict[int, int] = {}
    long_lines = 0
    for chunk, kind, payload in classified:
        if kind == "text":
            widest[chunk] = max(widest.get(chunk, 0), len(payload))
            long_lines += len(payload) > _WRAP_LIMIT
    if long_lines > 1:
        widest = dict.fromkeys(widest, 0)
    units: list[_Unit] = []
    current: list[str] = []  # the lines of units[-1] while it may still grow

    def flush() -> None:
        if len(current) > 1:
            units[-1].text = " ".join(current)
        current.clear()

    gap, byline = 0.0, False
    for chunk, kind, payload in classified:
        if kind == "heading":
            flush()
            units.append(_Unit(payload, chunk, True, gap, byline))
            gap, byline = 0.0, False
        elif kind != "text":
            flush()  # a line of furniture between two lines separates them
            gap += _GAP_WEIGHTS.get(kind, -0.5)
            byline = byline or kind in ("byline", "date")
        elif (
            current
            and units[-1].chunk == chunk
            and _continues(current, payload, widest[chunk] if widest[chunk] <= _WRAP_LIMIT else 0)
        ):
            current.append(payload)
        else:
            flush()
            current.append(payload)
            units.append(_Unit(payload, chunk, False, gap, byline))
            gap, byline = 0.0, False
    flush()
    _mark_repeats(units)
    return units


def _mark_repeats(units: list[_Unit]) -> None:
    """Mark prose that the page shows more than once: a gallery caption, a teaser, a pull
    quote. An article does not repeat its own paragraphs word for word."""
    counts: dict[str, int] = {}
    for unit in units:
        if words(unit.text) >= 8:
            key = fold(unit.text)
            counts[key] = counts.get(key, 0) + 1
    for unit in units:
        if words(unit.text) >= 8 and counts[fold(unit.text)] > 1:
            unit.repeated = True


_OPEN_ENDS = tuple(",([{-–—/&+=、，")
# Hard-wrapped text is wrapped at 72-100 columns; a browser copy has longer lines.
_WRAP_LIMIT = 120


def _continues(unit_lines: list[str], line: str, width: int) -> bool:
    """Is ``line`` the continuation of the unit made of ``unit_lines`` (same chunk)?

    When the unit's last line stops mid-clause (a comma, an open bracket, a
    dash), always. Otherwise only in a hard-wrapped file (``width`` > 0, the
    chunk's widest line): when the next line goes on in lower case, or the last
    line is nearly as wide as the widest. A browser copy puts each menu entry,
    headline and paragraph on a line of its own, and those stay apart.
    """
    last = unit_lines[-1]
    if ends_sentence(last):
        return False
    first = unit_lines[0]
    if len(unit_lines) == 1 and _is_heading_like(first) and len(first) < 0.6 * len(line):
        # A short heading line directly above a longer line is a heading.
        return False
    if last.endswith(_OPEN_ENDS):
        return True
    if not width:
        return False
    return (line[:1].islower() and len(last) >= 30) or (40 <= len(last) >= 0.7 * width)


def _weight(unit: _Unit) -> float:
    """How much a unit speaks for being article text: its words if it is prose, else less."""
    if unit.weight is None:
        unit.weight = _unit_weight(unit)
    return unit.weight


def _unit_weight(unit: _Unit) -> float:
    size = words(unit.text)
    if unit.marked_heading:
        return 0.0
    text = unit.text
    if unit.repeated:
        return -(1.0 + size * _SHORT_COST)
    if ends_sentence(text):
        if size >= 2 and not _is_exclamation(text) and not _is_truncated(text):
            return float(size)
    elif size > 25 and _SENTENCE_INSIDE.search(text):
        return float(size)  # a long paragraph whose last sentence lost its full stop
    return -(1.0 + size * _SHORT_COST)


_SHORT_COST = 1.0
# A sentence end inside a text; a long unit without any is a tag cloud or a menu run.
_SENTENCE_INSIDE = re.compile(r"[.!?。！？…][\"'”’»)\]]*\s")


def _is_truncated(text: str) -> bool:
    """A teaser cut short ("… a party of six left without …", "[…]"): a link to another story."""
    return text.endswith(("...", "…", "[…]", "[...]")) and not text.endswith(("....", "……"))


def _is_exclamation(text: str) -> bool:
    """A few words and "!" or ":": a button, a form's reply or a label ("Sorry!",
    "Copy Link URLCopied!", "Publish date:", "Author:")."""
    return words(text) <= 4 and text.rstrip(CLOSERS).endswith(("!", "！", ":", "："))


def _main_region(units: list[_Unit]) -> tuple[int, int]:
    """The run of units with the most prose net of everything else inside it.

    Each unit weighs :func:`_weight`, the furniture lines before it their
    (negative) gap, and the run with the greatest sum is the article
    (:func:`_max_run`). Its end is taken from a second run in which prose
    standing alone between two non-prose units counts half: that is how
    teasers of other stories look (headline, teaser, headline, teaser…),
    while an article's paragraphs follow one another. The start stays that of
    the first run, which keeps a lede that stands alone under its headline.
    """
    weights = [_weight(unit) for unit in units]
    start, end = _max_run(units, weights)
    if end == 0:
        return 0, len(units)  # no prose at all: let the block rules decide
    last = len(units) - 1
    for i, weight in enumerate(weights):
        if weight > 0 and (i == 0 or weights[i - 1] < 0) and (i == last or weights[i + 1] < 0):
            weights[i] = weight * _ALONE_SHARE
    trimmed_start, trimmed_end = _max_run(units, weights)
    if start <= trimmed_start < end:
        end = trimmed_end
    return start, end


# How much a paragraph standing alone between two non-prose units counts at the article's end.
_ALONE_SHARE = 0.5


def _max_run(units: list[_Unit], weights: list[float]) -> tuple[int, int]:
    """(start, end) of the run with the greatest sum of weights and gaps; (0, 0) if none is
    positive. One pass (Kadane's maximum subarray), preferring the longer run on ties."""
    best, best_start, best_end = 0.0, 0, 0
    running, running_start = float("-inf"), 0
    for i, unit in enumerate(units):
        weight = weights[i]
        if running + unit.gap >= 0:
            running += unit.gap + weight
        else:
            running, running_start = weight, i
        if running > 0 and running >= best:
            best, best_start, best_end = running, running_start, i + 1
    return best_start, best_end


_TERM = re.compile(r"[^\W\d_]{4,}|[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]{2,}")
_UNSPACED_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]{2,}")


def _terms(text: str) -> set[str]:
    """Content terms for overlap: folded words of 3+ letters, and Han/kana character pairs."""
    out: set[str] = set()
    for match in _TERM.finditer(fold(text)):
        term = match.group(0)
        if _UNSPACED_RUN.fullmatch(term):
            out.update(term[i : i + 2] for i in range(len(term) - 1))
        else:
            out.add(term)
    return out


def _find_title(units: list[_Unit], start: int, end: int) -> tuple[str | None, int]:
    """The title and its unit's index (-1 if none).

    In a plain file, with at most three short units above the text, the
    longest of them (the others are kickers, sections, site names). Else, in
    a page copied from a browser, the best of :func:`_title_scores`.
    """
    first_text = start
    while first_text < end and (
        _weight(units[first_text]) <= 0 or _title_shaped(units[first_text].text)
    ):
        first_text += 1
    if first_text <= 3:
        header = [i for i in range(first_text) if 2 <= words(units[i].text) <= 30]
        if header:
            index = max(header, key=lambda i: words(units[i].text))
            return units[index].text, index
    scores = _title_scores(units, start, end)
    if scores:
        score, index = max(scores, key=lambda pair: (pair[0], -pair[1]))
        if score >= 1.0:
            return units[index].text, index
    return None, -1


def _title_scores(units: list[_Unit], start: int, end: int) -> list[tuple[float, int]]:
    """(score, index) of each title candidate near the start of the article text.

    Candidates are the short units just before the text (and its first few
    units, when the region took the title in); each scores by how many of its
    words the article uses (menus, bylines and site names share few), with a
    bonus when the page shows the same line again nearby (a headline often is
    repeated, or quoted in a breadcrumb or share line), when it stands right
    above the text or above a byline or date, a small penalty per unit of
    distance and one for a date inside.
    """
    body_terms: set[str] = set()
    for unit in units[start:end]:
        if _weight(unit) > 0 and not _title_shaped(unit.text):
            body_terms |= _terms(unit.text)
    lo = max(0, start - 12)
    # Up to the first paragraph that is not title-shaped (a title may end in "?").
    hi = start
    while hi < end and (_weight(units[hi]) <= 0 or _title_shaped(units[hi].text)):
        hi += 1
    hi = min(hi + 1, end, start + 3)
    nearby = [fold(unit.text) for unit in units[lo : min(end, hi + 12)]]
    scores = []
    for index in range(lo, hi):
        unit = units[index]
        text = unit.text.split(" | ", 1)[0]
        size = words(text)
        if not 2 <= size <= 30 or not _title_shaped(text):
            continue
        terms = _terms(text)
        if not terms:
            continue
        score = 3.0 * len(terms & body_terms) / len(terms)
        key = fold(unit.text)
        if size >= 4 and sum(key in other for other in nearby) > 1:
            score += 1.0
        if 4 <= size <= 25:
            score += 0.5
        if _alone(units, index):
            score += 1.0  # a headline is a block of its own: blank lines around it
        after = units[index + 1] if index + 1 < end else None
        if after is not None and (after.after_byline or _weight(after) > 0):
            score += 1.0  # right above the text, or above a byline or date
        if parse_date(text):
            score -= 2.0
        if size > 15 and _SENTENCE_INSIDE.search(text):
            score -= 2.0  # two sentences: a standfirst, not a headline
        score -= 0.05 * abs(index - start)
        scores.append((score, index))
    return scores


_TITLE_ENDS = ("?", "!", "？", "！")


def _alone(units: list[_Unit], index: int) -> bool:
    """Whether the unit is the only text of its chunk (blank lines above and below)."""
    chunk = units[index].chunk
    before = index > 0 and units[index - 1].chunk == chunk
    after = index + 1 < len(units) and units[index + 1].chunk == chunk
    return not (before or after)


def _title_shaped(text: str) -> bool:
    """Short enough for a headline and not ending like a statement: up to 30 words without
    sentence punctuation, or up to 20 ending in "?" or "!"."""
    size = words(text)
    if not ends_sentence(text):
        return size <= 30
    return size <= 20 and text.rstrip(CLOSERS).endswith(_TITLE_ENDS)


def _body_blocks(units: list[_Unit]) -> list[Block]:
    """Paragraphs, plus headings that stand between two paragraphs."""
    kinds = []
    for unit in units:
        if unit.marked_heading:
            kinds.append("heading")
        elif unit.repeated:
            kinds.append("drop")
        elif _is_paragraph(unit.text) and not _is_exclamation(unit.text):
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
            text = strip_credits(unit.text)
            if text:
                blocks.append(Block("paragraph", text))
                has_paragraph = True
        elif kind == "heading" and has_paragraph and next_kind == "paragraph":
            # A short line with no paragraph after it is page furniture
            # ("Related topics"), not a sub-heading; so is one before the text.
            blocks.append(Block("heading", unit.text))
    return blocks
