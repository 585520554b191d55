"""Telegram-sized messages: packing parts into messages of at most 4,096 UTF-16 units.

Pure functions over strings, used by digests (:mod:`bot.digest`) and summaries on
demand (:mod:`bot.web.links`). Telegram counts message length in UTF-16 code units (an emoji
like 🎉 is two). The HTML source is counted, which is never shorter than the text
Telegram counts after parsing the markup, so every message fits (at worst a little
early).

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

import re
from collections.abc import Sequence
from typing import NamedTuple

__all__ = ["MESSAGE_LIMIT", "Part", "pack_messages", "split_messages", "utf16_len"]

MESSAGE_LIMIT = 4096


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
    return len(text.encode("utf-16-le")) // 2


# -- packing and splitting -----------------------------------------------------------


def split_messages(parts: Sequence[str | Part], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pack parts into messages of at most ``limit`` UTF-16 units (see pack_messages)."""
    return [text for text, _ in pack_messages(parts, limit)]


def pack_messages(
    parts: Sequence[str | Part], limit: int = MESSAGE_LIMIT, separator: str = "\n\n"
) -> list[tuple[str, list[int]]]:
    """Pack parts, in order, into messages of at most ``limit`` UTF-16 code units.

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
    units = 0
    numbers: list[int] = []

    def flush() -> None:
        nonlocal text, units, numbers
        if text.strip():
            messages.append((text.strip(), numbers))
        elif numbers and messages:
            messages[-1][1].extend(numbers)
        text, units, numbers = "", 0, []

    for part in parts:
        if isinstance(part, str):
            part = Part((part,))
        whole = "".join(part.segments).strip()
        if not whole:
            numbers.extend(part.numbers)
            continue
        whole_units = utf16_len(whole)
        joined = units + utf16_len(separator) + whole_units if text else whole_units
        if joined <= limit:
            text = text + separator + whole if text else whole
            units = joined
            numbers.extend(part.numbers)
            continue
        if whole_units <= limit:
            flush()
            text, units = whole, whole_units
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
            piece_units = utf16_len(piece)
            if units + piece_units <= limit:
                text += piece
                units += piece_units
                continue
            # The segment goes on in the next messages; its first chunk fills what is
            # left of this one when some of it fits there.
            body = segment.strip()
            lead = piece[: len(piece) - len(piece.lstrip())] if text else ""
            room = limit - units - utf16_len(lead) if text else None
            chunks = _Splitter(body).chunks(limit, first=room)
            if chunks[0]:
                text += lead + chunks[0]
            flush()
            for chunk in chunks[1:-1]:
                messages.append((chunk, []))
            if len(chunks) > 1:
                text, units = chunks[-1], utf16_len(chunks[-1])
        numbers.extend(part.numbers)
    flush()
    return messages


_MARKUP = re.compile(r"<[^>]*>|&#?\w+;")
_TAG_NAME = re.compile(r"</?([A-Za-z][\w-]*)")
_SENTENCE_END = re.compile(r"""[.!?…]["'”’»)\]]*$""")


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
        self.units = [0] * (n + 1)  # UTF-16 units of text[:i]
        self.solid = [0] * (n + 1)  # non-space characters in text[:i]
        for i, char in enumerate(text):
            self.units[i + 1] = self.units[i] + (2 if ord(char) > 0xFFFF else 1)
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
            size = first if first is not None and not chunks else limit
            budget = size - utf16_len(opening)
            if self.units[n] - self.units[start] <= budget:
                chunks.append(opening + text[start:].rstrip())
                return chunks
            # What is left of a message takes whole words only: a word cut there would
            # fit whole in the next message.
            filling = size != limit
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
            if units[i] - units[start] + utf16_len(self.closing(self.stacks[i])) > budget:
                continue
            if i < len(text) and text[i].isspace():
                if _SENTENCE_END.search(text[max(start, i - 8) : i]):
                    return i
                word = word or i
            anywhere = anywhere or i
        return word if words_only else word or anywhere
