"""Telegram-sized messages: packing parts into messages Telegram accepts whole.

Pure functions over strings of Telegram HTML, used by digests (:mod:`bot.digest`) and
summaries on demand (:mod:`bot.web.links`). Telegram's limit is on the text the reader
sees: at most 4,096 UTF-16 code units *after* the markup is parsed (an emoji like 🎉 is
two units, ``&amp;`` is one, a tag is none), so that is what is counted
(:func:`visible_len`). Counting the HTML source instead wasted a third of every message
(a 10-item digest of 3,240 visible characters became two messages). Two more of
Telegram's limits are kept: at most :data:`ENTITY_LIMIT` formatting entities a message
(Telegram ignores the ones after the 100th: a bold title, a link, a quote each count),
and visible text plus link URLs at most :data:`ENTITY_TEXT_LIMIT` units (Telegram
refuses a message whose entities are too long -- "Entities_too_long" -- around 9,500
characters of text and URLs; we keep well under that).

Splitting is safe by construction: an article is a :class:`Part` made of *segments* --
its title line, its source line, its summary blockquote -- and every segment is
self-contained HTML (no tag left open), so a message may end between any two of them.
Parts are packed whole when they fit; a part longer than a message is split between
segments, and a single segment longer than what is left of a message (a huge summary)
at a sentence end, else at a space, else anywhere -- but never inside a tag or an
entity like ``&amp;``. A break inside an element (the summary's blockquote) closes the
open tags at the end of the chunk and opens them again in the next, so every message
is valid HTML on its own.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

__all__ = [
    "ENTITY_LIMIT",
    "ENTITY_TEXT_LIMIT",
    "MESSAGE_LIMIT",
    "Part",
    "Size",
    "measure",
    "pack_messages",
    "split_messages",
    "utf16_len",
    "visible_len",
]

MESSAGE_LIMIT = 4096
ENTITY_LIMIT = 100
ENTITY_TEXT_LIMIT = 8192


class Part(NamedTuple):
    """A unit of packing: ``segments`` are self-contained HTML (or plain text) strings a
    message may break between, each carrying its own leading separator ("\\n", " ");
    ``numbers`` are the articles the part delivers. The message holding a part's last
    segment carries its numbers, so a split article counts as delivered when all of it
    was sent."""

    segments: tuple[str, ...]
    numbers: tuple[int, ...] = ()


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts message length."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class Size(NamedTuple):
    """What a piece of Telegram HTML costs in a message: ``units`` of visible text
    (UTF-16), formatting ``entities`` (opening tags), ``links`` (UTF-16 units of the
    link URLs)."""

    units: int
    entities: int = 0
    links: int = 0

    def __add__(self, other: object) -> Size:
        assert isinstance(other, Size)
        return Size(
            self.units + other.units, self.entities + other.entities, self.links + other.links
        )


_MARKUP = re.compile(r"<[^>]*>|&#?\w+;")
_TAG_NAME = re.compile(r"</?([A-Za-z][\w-]*)")
_SENTENCE_END = re.compile(r"""[.!?…]["'”’»)\]]*$""")
_HREF = re.compile(r"""\shref\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


@lru_cache(maxsize=2048)  # a scheduled run measures the same article parts chat after chat
def measure(text: str) -> Size:
    """The :class:`Size` of Telegram HTML ``text``: tags count no visible units, an
    entity like ``&amp;`` counts as the character it stands for."""
    units = entities = links = 0
    after = 0
    for match in _MARKUP.finditer(text):
        units += utf16_len(text[after : match.start()])
        token = match.group()
        if token.startswith("&"):
            units += utf16_len(html.unescape(token))
        elif not token.startswith("</") and _TAG_NAME.match(token):
            entities += 1
            href = _HREF.search(token)
            if href:
                links += utf16_len(html.unescape(href.group(1) or href.group(2) or ""))
        after = match.end()
    units += utf16_len(text[after:])
    return Size(units, entities, links)


def visible_len(text: str) -> int:
    """UTF-16 units of the text Telegram shows for HTML ``text`` (what its 4,096-unit
    limit counts)."""
    return measure(text).units


def _fits(size: Size, limit: int) -> bool:
    """Whether a message of ``size`` is within Telegram's limits (``limit`` visible units)."""
    return (
        size.units <= limit
        and size.entities <= ENTITY_LIMIT
        and size.units + size.links <= ENTITY_TEXT_LIMIT
    )


# -- packing and splitting -----------------------------------------------------------


def split_messages(parts: Sequence[str | Part], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pack parts into messages of at most ``limit`` UTF-16 units (see pack_messages)."""
    return [text for text, _ in pack_messages(parts, limit)]


def pack_messages(
    parts: Sequence[str | Part], limit: int = MESSAGE_LIMIT, separator: str = "\n\n"
) -> list[tuple[str, list[int]]]:
    """Pack parts, in order, into messages of at most ``limit`` UTF-16 units of visible
    text (and within Telegram's other limits: see the module's docstring).

    Parts are joined with ``separator`` and kept whole when they fit; a part that does
    not fit in what is left of a message starts the next one. Only a part longer than a
    whole message is split: it fills what is left of the current message and goes on
    in the next ones, breaking between its segments, and a segment longer than a message
    at a sentence end, else at a space, else anywhere outside a tag or an entity. A plain
    string is a part of one segment. Returns (text, article numbers) per message.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    messages: list[tuple[str, list[int]]] = []
    text = ""
    size = Size(0)
    numbers: list[int] = []
    gap = measure(separator)

    def flush() -> None:
        nonlocal text, size, numbers
        if text.strip():
            messages.append((text.strip(), numbers))
        elif numbers and messages:
            messages[-1][1].extend(numbers)
        text, size, numbers = "", Size(0), []

    for part in parts:
        if isinstance(part, str):
            part = Part((part,))
        whole = "".join(part.segments).strip()
        if not whole:
            numbers.extend(part.numbers)
            continue
        whole_size = measure(whole)
        joined = size + gap + whole_size if text else whole_size
        if _fits(joined, limit):
            text = text + separator + whole if text else whole
            size = joined
            numbers.extend(part.numbers)
            continue
        if _fits(whole_size, limit):
            flush()
            text, size = whole, whole_size
            numbers.extend(part.numbers)
            continue
        # Longer than a whole message, so it must be split anyway: fill what is left of
        # this message, then break between segments.
        first = True
        for segment in part.segments:
            if not segment.strip():
                continue
            if not text:
                piece = segment.lstrip()
            elif first:
                piece = separator + segment.lstrip()
            else:
                piece = segment
            first = False
            piece_size = measure(piece)
            if _fits(size + piece_size, limit):
                text += piece
                size += piece_size
                continue
            # The segment goes on in the next messages; its first chunk fills what is
            # left of this one when some of it fits there.
            body = segment.strip()
            lead = piece[: len(piece) - len(piece.lstrip())] if text else ""
            splitter = _Splitter(body)
            room = limit - size.units - visible_len(lead) if text else None
            chunks = splitter.chunks(limit, first=room)
            if chunks[0] and not _fits(size + measure(lead + chunks[0]), limit):
                chunks = ["", *splitter.chunks(limit)]  # no room left for its links or tags
            if chunks[0]:
                text += lead + chunks[0]
            flush()
            for chunk in chunks[1:-1]:
                messages.append((chunk, []))
            if len(chunks) > 1:
                text, size = chunks[-1], measure(chunks[-1])
        numbers.extend(part.numbers)
    flush()
    return messages


def _split_long(text: str, limit: int) -> list[str]:
    """Split one segment into chunks of at most ``limit`` UTF-16 units, each chunk
    breaking at the best place available: a sentence end, else a space, else any
    character -- never inside a tag or an entity. A break inside an element (a long
    summary's blockquote) closes the open tags and opens them again in the next chunk,
    so every chunk is valid HTML on its own."""
    return _Splitter(text).chunks(limit)


class _Splitter:
    """Where one text may be broken, precomputed per position i (a break before text[i])."""

    def __init__(self, text: str) -> None:
        n = len(text)
        self.text = text
        # breakable[i]: not inside a tag or an entity, and no empty element either side.
        self.breakable = [True] * (n + 1)
        # stacks[i]: the opening tags still open at i.
        self.stacks: list[tuple[str, ...]] = [()] * (n + 1)
        stack: tuple[str, ...] = ()
        after = 0
        for match in _MARKUP.finditer(text):
            for i in range(after, match.start() + 1):
                self.stacks[i] = stack
            for i in range(match.start() + 1, match.end()):
                self.breakable[i] = False
            token = match.group()
            if _TAG_NAME.match(token) and token.startswith("</"):
                stack = stack[:-1]
                self.breakable[match.start()] = False
            elif _TAG_NAME.match(token) and not token.endswith("/>"):
                stack = (*stack, token)
                self.breakable[match.end()] = False
            after = match.end()
        for i in range(after, n + 1):
            self.stacks[i] = stack
        # What each character adds to the visible text: a tag nothing, an entity the
        # character it stands for (counted on its "&").
        weights = [2 if ord(char) > 0xFFFF else 1 for char in text]
        for match in _MARKUP.finditer(text):
            token = match.group()
            weights[match.start() : match.end()] = [0] * len(token)
            if token.startswith("&"):
                weights[match.start()] = utf16_len(html.unescape(token))
        self.units = [0] * (n + 1)  # visible UTF-16 units of text[:i]
        self.solid = [0] * (n + 1)  # non-space characters in text[:i]
        for i, char in enumerate(text):
            self.units[i + 1] = self.units[i] + weights[i]
            self.solid[i + 1] = self.solid[i] + (not char.isspace())

    @staticmethod
    def closing(tags: tuple[str, ...]) -> str:
        names = (_TAG_NAME.match(tag) for tag in reversed(tags))
        return "".join(f"</{name[1]}>" for name in names if name)

    def chunks(self, limit: int, first: int | None = None) -> list[str]:
        """The chunks, each at most ``limit`` units; the first at most ``first`` units
        when given (what is left of a message), or "" when nothing fits in that."""
        text, n = self.text, len(self.text)
        chunks: list[str] = []
        start = 0
        while True:
            while start < n and text[start].isspace():
                start += 1
            if start >= n:
                return chunks
            opening = "".join(self.stacks[start])
            budget = first if first is not None and not chunks else limit
            if self.units[n] - self.units[start] <= budget:
                chunks.append(opening + text[start:].rstrip())
                return chunks
            # What is left of a message takes whole words only: a word cut there would
            # fit whole in the next message.
            filling = budget != limit
            end = self.best_break(start, budget, words_only=filling) if budget > 0 else None
            if end is None and filling:
                chunks.append("")  # nothing fits in what is left: start a new message
                first = None
                continue
            if end is None:
                raise ValueError(f"cannot split a message part into pieces of {limit} UTF-16 units")
            chunks.append(opening + text[start:end].rstrip() + self.closing(self.stacks[end]))
            start = end

    def best_break(self, start: int, budget: int, words_only: bool = False) -> int | None:
        """The last break after ``start`` whose chunk, closing tags included, fits in
        ``budget`` units and holds some text: after a sentence end, else before a space,
        else (unless ``words_only``) anywhere."""
        text, units = self.text, self.units
        end = start
        while end < len(text) and units[end + 1] - units[start] <= budget:
            end += 1
        word = anywhere = None
        for i in range(end, start, -1):
            if not self.breakable[i] or self.solid[i] == self.solid[start]:
                continue
            if units[i] - units[start] > budget:
                continue
            if i < len(text) and text[i].isspace():
                if _SENTENCE_END.search(text[max(start, i - 8) : i]):
                    return i
                word = word or i
            anywhere = anywhere or i
        return word if words_only else word or anywhere
