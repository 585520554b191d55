"""Digests and article views as text: Telegram HTML and plain text.

Pure functions over plain data -- no Telegram, no database. An entry is anything with
the attributes ``number``, ``title``, ``url``, ``date`` and ``summary`` (a sequence of
sentences, or None), and maybe ``source_name`` (shown when present): a
:class:`DigestEntry`, or a ``bot.store.ArticleRecord``.

* :func:`digest_messages` -- a chat's digest as Telegram messages, each with the article
  numbers it carries (what ``Store.queue_digest`` takes); :func:`compose_html` is the
  same digest unsplit, :func:`compose_text` the plain-text version the CLI prints.
  A digest opens with a header (``Your digest · Mon 1 Dec 2026 · 3 stories``, the day
  given by the caller in the chat's timezone); each item is its title linked to the
  source, a line with the source's name, the date and ``/article N``, and the summary
  in an expandable blockquote, so a long digest stays short on screen::

      <a href="URL"><b>Title</b></a>
      <i>Source · 26 Dec 2014</i> · /article 12
      <blockquote expandable>First summary sentence. Second one.</blockquote>

* **One story once**: ``also`` maps an entry's number to the other articles
  of its story (:class:`Also`: number, source name, URL), shown under the source line as
  ``Also: <a href="URL">Source B</a>, <a href="URL">Source C</a>``; the story counts as
  one in the header and its part carries every member's number, so delivering it
  delivers them all. Which articles form a story is the caller's business
  (:mod:`bot.compose`); this module only shows it.
* :func:`article_detail_messages`, :func:`article_list_line`, :func:`article_list_html`
  -- the views of ``/article N`` and ``/article``.
* Each article is a :class:`bot.messages.Part` of self-contained segments (title line,
  source line, summary blockquote), packed into messages of at most 4,096 UTF-16 units
  by :mod:`bot.messages` (``split_messages``, ``pack_messages``, re-exported here).

Every piece of text put into HTML is escaped with ``html.escape`` (quotes too, so the
same escaping is right in text and in ``href="..."``), and only http(s) URLs become links.

"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import NamedTuple, Protocol
from urllib.parse import urlsplit

from bot.locales import ENGLISH, N_, Translator
from bot.messages import MESSAGE_LIMIT, Part, pack_messages, split_messages, utf16_len, visible_len
from bot.times import format_date, format_day

__all__ = [
    "ALSO_SHOWN",
    "MESSAGE_LIMIT",
    "TITLE_LIMIT",
    "Also",
    "DigestEntry",
    "Entry",
    "Part",
    "PartsKept",
    "also_line",
    "article_detail_messages",
    "article_list_html",
    "article_list_line",
    "article_part",
    "compose_html",
    "compose_text",
    "day_text",
    "digest_header",
    "digest_messages",
    "digest_parts",
    "link_title",
    "pack_messages",
    "rest_line",
    "split_messages",
    "utf16_len",
    "visible_len",
]

# Titles are shown up to this many characters (then "…"): a title line always fits in a
# message with room to spare, so it never needs splitting.
TITLE_LIMIT = 256
# A line of the /article list shows at most this many UTF-16 units of escaped title, so a
# page of ten lines always fits in one message, whatever the titles hold.
LIST_TITLE_UNITS = 300
# URLs longer than this once escaped are not linked (the title is shown without a link),
# so a title line (at most ~1,550 + 2,048 units) always fits in a message.
URL_LIMIT = 2048
# A source's name is shown up to this many characters (then "…").
SOURCE_LIMIT = 100
# The digest's title (a text to translate: the header says it in the chat's language).
DIGEST_TITLE = N_("Your digest")
# An "Also:" line links at most this many other articles of the story ("+ N more" after).
ALSO_SHOWN = 6


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


class DigestEntry(NamedTuple):
    """An article as the digest needs it."""

    number: int
    title: str
    url: str | None
    date: str | None
    summary: Sequence[str] | None


class Also(NamedTuple):
    """Another article of the same story, as the "Also:" line shows it."""

    number: int
    source: str | None
    url: str | None


# Each entry's other story members, by the entry's number (plain data from the caller).
AlsoMap = Mapping[int, Sequence[Also]]


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


def day_text(day: date, weekday: bool = True) -> str:
    """``Mon 1 Dec 2026`` (``1 Dec 2026`` without the weekday): :func:`bot.times.format_day`."""
    return format_day(day, weekday=weekday)


def _date_text(value: str | None, t: Translator = ENGLISH) -> str | None:
    """An article's date as shown everywhere: :func:`bot.times.format_date`, a day
    written ``t``'s language's way."""
    return format_date(value, lambda day: t.date(day, weekday=False))


def _source_text(entry: Entry) -> str | None:
    name = " ".join(str(getattr(entry, "source_name", None) or "").split())
    if not name:
        return None
    return name if len(name) <= SOURCE_LIMIT else name[: SOURCE_LIMIT - 1].rstrip() + "…"


def _plural(count: int) -> str:
    return f"{count} story" if count == 1 else f"{count} stories"


def _also_name(member: Also, t: Translator = ENGLISH) -> str:
    """What the "Also:" line calls a member: its source's name, else its URL's host,
    else "article N"."""
    name = " ".join((member.source or "").split())
    if not name and _linkable(member.url):
        name = (urlsplit(member.url or "").hostname or "").removeprefix("www.")
    if not name:
        return t("article {number}", number=int(member.number))
    return name if len(name) <= SOURCE_LIMIT else name[: SOURCE_LIMIT - 1].rstrip() + "…"


def also_line(
    members: Sequence[Also], html_text: bool = True, t: Translator = ENGLISH
) -> str | None:
    """``Also: <a href="URL">Source B</a>, <a href="URL">Source C</a>`` (escaped), or
    the plain text ``Also: Source B (URL), …``; None for no members. At most
    :data:`ALSO_SHOWN` are named, then "+ N more". A member without an http(s) URL is
    named with its ``/article N``."""
    if not members:
        return None
    shown = []
    for member in members[:ALSO_SHOWN]:
        name = _also_name(member, t)
        link = _linkable(member.url)
        href = html.escape(link or "", quote=True)
        if not html_text:
            shown.append(f"{name} ({link})" if link else f"{name} (/article {int(member.number)})")
        elif link is None or utf16_len(href) > URL_LIMIT:
            shown.append(f"{html.escape(name)} (/article {int(member.number)})")
        else:
            shown.append(f'<a href="{href}">{html.escape(name)}</a>')
    more = len(members) - ALSO_SHOWN
    tail = " + " + t("{count} more", count=t.number(more)) if more > 0 else ""
    return t("Also: {names}", names=", ".join(shown)) + tail


def article_part(
    entry: Entry,
    also: Sequence[Also] = (),
    *,
    headlines: bool = False,
    t: Translator = ENGLISH,
) -> Part:
    """One article of a digest, as HTML segments (title line, source line, the other
    articles of its story, summary)::

    <a href="URL"><b>Title</b></a>
    <i>Source · 1 May 2024</i> · /article 12
    Also: <a href="URL">Source B</a>, <a href="URL">Source C</a>
    <blockquote expandable>First summary sentence. Second one.</blockquote>

    The part carries the numbers of the entry and of every ``also`` member. With
    ``headlines`` (a chat's /settings) the summary is left out.
    """
    segments = [link_title(entry.title, entry.url)]
    about = [x for x in (_source_text(entry), _date_text(entry.date, t)) if x]
    command = f"/article {int(entry.number)}"
    if about:
        segments.append(f"\n<i>{html.escape(' · '.join(about))}</i> · {command}")
    else:
        segments.append(f"\n{command}")
    line = also_line(also, t=t)
    if line:
        segments.append(f"\n{line}")
    sentences = [] if headlines else _sentences(entry.summary)
    if sentences:
        quote = " ".join(html.escape(sentence) for sentence in sentences)
        segments.append(f"\n<blockquote expandable>{quote}</blockquote>")
    numbers = (int(entry.number), *(int(m.number) for m in also if m.number != entry.number))
    return Part(tuple(segments), numbers)


def _counted(count: int, new: int | None, more: bool, t: Translator = ENGLISH) -> str:
    """``3 stories``, or when the digest chose among more: ``10 of 187 new stories``
    (``10 of 500+ new stories`` when there were more than it looked at)."""
    if new is None or (new <= count and not more):
        return t.plural("{count} story", "{count} stories", count)
    return t.plural(
        "{shown} of {count}{plus} new story",
        "{shown} of {count}{plus} new stories",
        new,
        shown=t.number(count),
        plus="+" if more else "",
    )


@lru_cache(maxsize=1024)  # a scheduled run heads thousands of digests with one day
def digest_header(
    count: int,
    title: str = DIGEST_TITLE,
    today: date | None = None,
    new: int | None = None,
    more: bool = False,
    t: Translator = ENGLISH,
) -> str:
    """``<b>Your digest</b> · Mon 1 Dec 2026 · 3 stories`` (escaped; no date without
    ``today``, the day in the chat's timezone); ``… · 10 of 187 new stories`` when
    there were ``new`` stories to choose from (``more``: and more than that); in ``t``'s
    language."""
    day = f" · {t.date(today)}" if today is not None else ""
    return f"<b>{html.escape(t(title))}</b>{day} · {_counted(count, new, more, t)}"


def rest_line(
    count: int, new: int | None, more: bool = False, t: Translator = ENGLISH
) -> str | None:
    """Where the new stories a digest did not show are (HTML), or None when it showed
    them all: ``177 more new stories: /article lists every article.``"""
    if new is None or (new <= count and not more):
        return None
    rest = t.plural(
        "{count}{plus} more new story: /article lists every article.",
        "{count}{plus} more new stories: /article lists every article.",
        new - count,
        plus="+" if more else "",
    )
    return f"<i>{rest}</i>"


# Article parts kept across digests, by (what the entry shows, its "Also:" members,
# headlines only, language).
PartsKept = dict[tuple[object, ...], Part]


def _shown_fields(entry: Entry) -> tuple[object, ...]:
    """What :func:`article_part` shows of an entry (its key among kept parts)."""
    return (
        int(entry.number),
        entry.title,
        entry.url,
        entry.date,
        tuple(entry.summary or ()),
        getattr(entry, "source_name", None),
    )


def digest_parts(
    entries: Sequence[Entry],
    title: str | None = DIGEST_TITLE,
    today: date | None = None,
    also: AlsoMap | None = None,
    *,
    headlines: bool = False,
    footer: str | None = None,
    new: int | None = None,
    more: bool = False,
    t: Translator = ENGLISH,
    kept: PartsKept | None = None,
) -> list[Part]:
    """The digest as parts: a header (unless ``title`` is None; with ``new``, how many
    stories it shows of how many new), then one per entry (a story: with ``also``, its
    other articles are named under it; with ``headlines``, no summaries), then where
    the rest are (:func:`rest_line`) and the ``footer`` (HTML, the caller's) if any.
    ``kept``: the article parts a caller keeps across digests (a scheduled run: one
    article is in many chats' digests), by what they show."""
    header = digest_header(len(entries), title, today, new, more, t) if title is not None else None
    parts = [Part((header,))] if header is not None else []
    also = also or {}
    for entry in entries:
        members = tuple(also.get(int(entry.number), ()))
        if kept is None:
            parts.append(article_part(entry, members, headlines=headlines, t=t))
            continue
        key = (_shown_fields(entry), members, headlines, t.language)
        part = kept.get(key)
        if part is None:
            part = kept[key] = article_part(entry, members, headlines=headlines, t=t)
        parts.append(part)
    ending = "\n".join(x for x in (rest_line(len(entries), new, more, t), footer) if x)
    if ending:
        parts.append(Part((ending,)))
    return parts


def digest_messages(
    entries: Sequence[Entry],
    *,
    limit: int = MESSAGE_LIMIT,
    title: str | None = DIGEST_TITLE,
    today: date | None = None,
    also: AlsoMap | None = None,
    headlines: bool = False,
    footer: str | None = None,
    new: int | None = None,
    more: bool = False,
    t: Translator = ENGLISH,
    kept: PartsKept | None = None,
) -> list[tuple[str, list[int]]]:
    """The digest as Telegram HTML messages, each with the article numbers it carries.

    Articles keep the order given (newest first, as the store returns them). No
    entries: no messages (the caller says "nothing new" if it wants). ``today``: the
    day the header names, in the chat's timezone. ``also``: each story's other
    articles by the shown entry's number; a message carries their numbers too.
    ``headlines``: titles, sources and dates without the summaries; ``footer``: a last
    line (HTML); ``new``, ``more``: how many new stories it chose from (the header says
    "10 of 187 new stories", the end where the rest are); ``kept``: see
    :func:`digest_parts`.
    """
    if not entries:
        return []
    parts = digest_parts(
        entries,
        title,
        today,
        also,
        headlines=headlines,
        footer=footer,
        new=new,
        more=more,
        t=t,
        kept=kept,
    )
    return pack_messages(parts, limit)


def compose_html(
    entries: Sequence[Entry],
    title: str | None = DIGEST_TITLE,
    today: date | None = None,
    also: AlsoMap | None = None,
) -> str:
    """The whole digest as one HTML string, unsplit (articles separated by a blank line)."""
    parts = digest_parts(entries, title, today, also)
    return "\n\n".join("".join(part.segments) for part in parts)


def compose_text(
    entries: Sequence[Entry],
    title: str | None = DIGEST_TITLE,
    today: date | None = None,
    also: AlsoMap | None = None,
    new: int | None = None,
    more: bool = False,
) -> str:
    """The digest as plain text (for the CLI), ending in a newline; the same items as
    the HTML one (``new``, ``more``: as :func:`digest_messages`), each under its article
    number::

    Your digest · Mon 1 Dec 2026 · 2 stories

    12. Title
    Source · 1 May 2024 · https://example.com/a
      First summary sentence.
      Second one.
    """
    if not entries:
        return "Nothing new.\n"
    blocks = []
    if title is not None:
        day = f" · {day_text(today)}" if today is not None else ""
        blocks.append(f"{title}{day} · {_counted(len(entries), new, more)}")
    for entry in entries:
        lines = [f"{int(entry.number)}. {_short_title(entry.title)}"]
        meta = " · ".join(x for x in (_source_text(entry), _date_text(entry.date), entry.url) if x)
        if meta:
            lines.append(meta)
        line = also_line((also or {}).get(int(entry.number), ()), html_text=False)
        if line:
            lines.append(line)
        lines.extend(f"  {sentence}" for sentence in _sentences(entry.summary))
        blocks.append("\n".join(lines))
    rest = rest_line(len(entries), new, more)
    if rest:
        blocks.append(html.unescape(rest.removeprefix("<i>").removesuffix("</i>")))
    return "\n\n".join(blocks) + "\n"


# -- article views -------------------------------------------------------------------


def article_detail_messages(
    entry: Entry,
    *,
    limit: int = MESSAGE_LIMIT,
    also: Sequence[Also] = (),
    t: Translator = ENGLISH,
) -> list[str]:
    """``/article N``: the title (linked when the URL is known), the date, the other
    articles of its story (``also``), the summary; usually one message, more if the
    summary is longer than ``limit``::

        <a href="URL"><b>Title</b></a>
        <i>1 May 2024 · World Wire</i>
        Also: <a href="URL">Source B</a>

        First summary sentence. Second one.
    """
    segments = [link_title(entry.title, entry.url)]
    # A feed article also names its feed: "1 May 2024 · World Wire".
    meta = " · ".join(x for x in (_date_text(entry.date, t), _source_text(entry)) if x)
    if meta:
        segments.append(f"\n<i>{html.escape(meta)}</i>")
    line = also_line(also, t=t)
    if line:
        segments.append(f"\n{line}")
    sentences = _sentences(entry.summary)
    if not sentences:
        segments.append("\n\n<i>" + t("The summary is not ready yet.") + "</i>")
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
