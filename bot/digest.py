"""Digests and article views as text: Telegram HTML, plain text, and message splitting.

Pure functions over plain data -- no Telegram, no database. An entry is anything with
the attributes ``number``, ``title``, ``url``, ``date`` and ``summary`` (a sequence of
sentences, or None): a :class:`DigestEntry`, or a ``bot.store.ArticleRecord``.

* :func:`digest_messages` -- a chat's digest as Telegram messages, each with the article
  numbers it carries (what ``Store.queue_digest`` takes); :func:`compose_html` is the
  same digest unsplit, :func:`compose_text` the plain-text version the CLI prints.
* :func:`article_detail_messages`, :func:`article_list_line`, :func:`article_list_html`
  -- the views of ``/article N`` and ``/article``.
* :func:`split_messages` / :func:`pack_messages` -- pack parts into messages of at most
  4,096 UTF-16 code units (Telegram counts UTF-16 units: an emoji like 🎉 is two).
  The HTML source is counted, which is never shorter than the text Telegram counts
  after parsing the markup, so every message fits (at worst a little early).

Every piece of text put into HTML is escaped with ``html.escape`` (quotes too, so the
same escaping is right in text and in ``href="..."``), and only http(s) URLs become links.

Splitting is safe by construction: an article is a :class:`Part` made of *segments* --
its title line, each summary sentence, its ``/article N`` line -- and every segment is
self-contained HTML (no tag left open), so a message may end between any two of them.
Parts are packed whole when they fit; a part longer than a message is split between
segments, and a single segment longer than a message at a sentence end, else at a
space, else anywhere -- but never inside a tag or an entity like ``&amp;``. (Should a
caller's own part break inside an element, the open tags are closed at the end of the
chunk and opened again in the next; a digest never needs that at 4,096 units.)
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple, Protocol
from urllib.parse import urlsplit

__all__ = [
    "MESSAGE_LIMIT",
    "TITLE_LIMIT",
    "DigestEntry",
    "Entry",
    "Part",
    "article_detail_messages",
    "article_list_html",
    "article_list_line",
    "article_part",
    "compose_html",
    "compose_text",
    "digest_header",
    "digest_messages",
    "digest_parts",
    "link_title",
    "pack_messages",
    "split_messages",
    "utf16_len",
]

MESSAGE_LIMIT = 4096
# Titles are shown up to this many characters (then "…"): a title line always fits in a
# message with room to spare, so it never needs splitting.
TITLE_LIMIT = 256
# A line of the /article list shows at most this many UTF-16 units of escaped title, so a
# page of ten lines always fits in one message, whatever the titles hold.
LIST_TITLE_UNITS = 300
# URLs longer than this once escaped are not linked (the title is shown without a link),
# so a title line (at most ~1,550 + 2,048 units) always fits in a message.
URL_LIMIT = 2048


class Entry(Protocol):
    """What the formatters read from an article."""

    @property
    def number(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def date(self) -> str | None: ...
    @property
    def summary(self) -> Sequence[str] | None: ...


# A source name (a feed's title) is shown up to this many characters.
SOURCE_LIMIT = 64


def source_of(entry: object) -> str | None:
    """The optional ``source_name`` of an entry (a feed article's feed; seed files have
    none), shortened to :data:`SOURCE_LIMIT` characters, or None."""
    name = getattr(entry, "source_name", None)
    if not isinstance(name, str) or not name.strip():
        return None
    name = " ".join(name.split())
    return name if len(name) <= SOURCE_LIMIT else name[: SOURCE_LIMIT - 1] + "…"


class DigestEntry(NamedTuple):
    """An article as the digest needs it."""

    number: int
    title: str
    url: str | None
    date: str | None
    summary: Sequence[str] | None
    source_name: str | None = None  # the feed it came from (issue 12)


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


# -- HTML building blocks ------------------------------------------------------------


def _short_title(title: str) -> str:
    title = " ".join(title.split()) or "(untitled)"
    if len(title) > TITLE_LIMIT:
        title = title[: TITLE_LIMIT - 1].rstrip() + "…"
    return title


def _escaped_title(title: str, max_units: int | None = None) -> str:
    """The shortened title, escaped; at most ``max_units`` UTF-16 units when given."""
    short = _short_title(title)
    escaped = html.escape(short)
    if max_units is None or utf16_len(escaped) <= max_units:
        return escaped
    low, high = 0, len(short)  # the longest prefix whose escaped form fits
    while low < high:
        middle = (low + high + 1) // 2
        if utf16_len(html.escape(short[:middle].rstrip() + "…")) <= max_units:
            low = middle
        else:
            high = middle - 1
    return html.escape(short[:low].rstrip() + "…")


def _linkable(url: str | None) -> str | None:
    """The URL if it can be a link in Telegram: http(s), with a host, not absurdly long."""
    if not url or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def link_title(title: str, url: str | None) -> str:
    """The title in bold, linked to ``url`` when it is an http(s) URL; all escaped:
    ``<a href="URL"><b>Title</b></a>`` or ``<b>Title</b>``."""
    bold = f"<b>{_escaped_title(title)}</b>"
    link = _linkable(url)
    href = html.escape(link or "", quote=True)
    if link is None or utf16_len(href) > URL_LIMIT:
        return bold
    return f'<a href="{href}">{bold}</a>'


def _sentences(summary: Sequence[str] | None) -> list[str]:
    return [" ".join(s.split()) for s in summary or () if s.strip()]


def article_part(entry: Entry) -> Part:
    """One article of a digest, as HTML segments (title line, each sentence, footer)::

    <a href="URL"><b>Title</b></a>
    First summary sentence. Second one.
    /article 12 · 2024-05-01
    """
    segments = [link_title(entry.title, entry.url)]
    for i, sentence in enumerate(_sentences(entry.summary)):
        segments.append(("\n" if i == 0 else " ") + html.escape(sentence))
    footer = f"/article {int(entry.number)}"
    if entry.date:
        footer += f" · {html.escape(entry.date)}"
    if source := source_of(entry):
        footer += f" · {html.escape(source)}"
    segments.append("\n" + footer)
    return Part(tuple(segments), (int(entry.number),))


def digest_header(count: int, title: str = "Your digest") -> str:
    """``<b>Your digest</b> · 3 new articles`` (escaped)."""
    noun = "article" if count == 1 else "articles"
    return f"<b>{html.escape(title)}</b> · {count} new {noun}"


def digest_parts(entries: Sequence[Entry], title: str | None = "Your digest") -> list[Part]:
    """The digest as parts: a header (unless ``title`` is None), then one per article."""
    parts = [Part((digest_header(len(entries), title),))] if title is not None else []
    parts.extend(article_part(entry) for entry in entries)
    return parts


def digest_messages(
    entries: Sequence[Entry],
    *,
    limit: int = MESSAGE_LIMIT,
    title: str | None = "Your digest",
) -> list[tuple[str, list[int]]]:
    """The digest as Telegram HTML messages, each with the article numbers it carries.

    Articles keep the order given (newest first, as the store returns them). No
    entries: no messages (the caller says "nothing new" if it wants).
    """
    if not entries:
        return []
    return pack_messages(digest_parts(entries, title), limit)


def compose_html(entries: Sequence[Entry], title: str | None = "Your digest") -> str:
    """The whole digest as one HTML string, unsplit (articles separated by a blank line)."""
    return "\n\n".join("".join(part.segments) for part in digest_parts(entries, title))


def compose_text(entries: Sequence[Entry], title: str | None = "Your digest") -> str:
    """The digest as plain text (for the CLI), ending in a newline::

    Your digest · 2 new articles

    12. Title
    2024-05-01 · https://example.com/a
      First summary sentence.
      Second one.
    """
    if not entries:
        return "Nothing new.\n"
    blocks = []
    if title is not None:
        noun = "article" if len(entries) == 1 else "articles"
        blocks.append(f"{title} · {len(entries)} new {noun}")
    for entry in entries:
        lines = [f"{int(entry.number)}. {_short_title(entry.title)}"]
        meta = " · ".join(x for x in (entry.date, source_of(entry), entry.url) if x)
        if meta:
            lines.append(meta)
        lines.extend(f"  {sentence}" for sentence in _sentences(entry.summary))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


# -- article views -------------------------------------------------------------------


def article_detail_messages(entry: Entry, *, limit: int = MESSAGE_LIMIT) -> list[str]:
    """``/article N``: the title (linked when the URL is known), the date, the summary;
    usually one message, more if the summary is longer than ``limit``::

        <a href="URL"><b>Title</b></a>
        <i>2024-05-01</i>

        First summary sentence. Second one.
    """
    segments = [link_title(entry.title, entry.url)]
    meta = " · ".join(x for x in (entry.date, source_of(entry)) if x)
    if meta:
        segments.append(f"\n<i>{html.escape(meta)}</i>")
    sentences = _sentences(entry.summary)
    if not sentences:
        segments.append("\n\n<i>The summary is not ready yet.</i>")
    for i, sentence in enumerate(sentences):
        segments.append(("\n\n" if i == 0 else " ") + html.escape(sentence))
    return split_messages([Part(tuple(segments), (int(entry.number),))], limit)


def article_list_line(number: int, title: str) -> str:
    """One line of the ``/article`` list: ``12. Title`` (escaped HTML; a very long title
    is shortened with "…")."""
    return f"{int(number)}. {_escaped_title(title, LIST_TITLE_UNITS)}"


def article_list_html(entries: Iterable[Entry], header: str | None = None) -> str:
    """Numbered lines ``N. Title``, one per entry, under an optional (escaped) header in
    bold. A page of ten lines always fits in one message."""
    lines = [f"<b>{html.escape(header)}</b>"] if header else []
    lines.extend(article_list_line(entry.number, entry.title) for entry in entries)
    return "\n".join(lines)


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
            flush()
            chunks = _split_long(segment.strip(), limit)
            for chunk in chunks[:-1]:
                messages.append((chunk, []))
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
    character -- never inside a tag or an entity. A break inside an element (rare: our
    own parts never need it) closes the open tags and opens them again in the next
    chunk, so every chunk is valid HTML on its own."""
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

    def chunks(self, limit: int) -> list[str]:
        text, n = self.text, len(self.text)
        chunks: list[str] = []
        start = 0
        while True:
            while start < n and text[start].isspace():
                start += 1
            if start >= n:
                return chunks
            opening = "".join(self.stacks[start])
            budget = limit - utf16_len(opening)
            if self.units[n] - self.units[start] <= budget:
                chunks.append(opening + text[start:].rstrip())
                return chunks
            end = self.best_break(start, budget)
            if end is None:
                raise ValueError(f"cannot split a message part into pieces of {limit} UTF-16 units")
            chunks.append(opening + text[start:end].rstrip() + self.closing(self.stacks[end]))
            start = end

    def best_break(self, start: int, budget: int) -> int | None:
        """The last break after ``start`` whose chunk, closing tags included, fits in
        ``budget`` units and holds some text: after a sentence end, else before a space,
        else anywhere."""
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
        return word or anywhere
