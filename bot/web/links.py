"""Summaries on demand: what a message asks for, the summary of a page or a text, and
the reply that carries it.

Pure: no Telegram, no store, no network, no asyncio. The handlers
(:mod:`bot.telegram.handlers.ondemand`) fetch and send; this module decides and computes:

* :func:`what_is_asked` -- a private message or a ``/summarize`` command to an
  :class:`Ask`: a link (the first http(s) link in the text), a text long enough to
  summarize (:data:`MIN_WORDS` words), or nothing (the caller gives its hint or usage);
* :func:`summarize_page` and :func:`summarize_text` -- the CPU-heavy part (trafilatura
  extraction, the summarizer), top-level functions taking and returning plain,
  picklable data, so the bot runs them in a process pool and the CLI calls them
  directly. They return a :class:`PageSummary`;
* :func:`summary_messages` -- the reply: the title linked to the page, the site and the
  date, the summary sentences, split into messages of at most 4,096 UTF-16 units like
  digests, with the "Add to my digest" button under the last one;
* :class:`Pending` -- the summaries whose button may still be pressed, by token,
  bounded in count and bytes (an old or forged token is simply not there);
* :func:`as_article` -- a summary as the :class:`~bot.articles.Article` the store keeps.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
import secrets
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.articles.article import Article, Block, finish, first_sentence
from bot.articles.language import detect_language
from bot.articles.pages import parse_page
from bot.articles.text import clean_text
from bot.caches import text_size
from bot.digest import MESSAGE_LIMIT, Part, link_title, split_messages
from bot.errors import NotAnArticle, UnsupportedLanguage
from bot.languages import ISO_CODES, SUPPORTED_LANGUAGES
from bot.locales import ENGLISH, N_, Translator
from bot.summarizer import summarize
from bot.times import format_date
from bot.web.urls import canonical_url, first_link

__all__ = [
    "ADD_PREFIX",
    "MIN_WORDS",
    "Ask",
    "PageSummary",
    "Pending",
    "as_article",
    "summarize_page",
    "summarize_text",
    "summary_messages",
    "what_is_asked",
]

# A pasted or forwarded text of at least this many words is summarized; a shorter
# one gets the hint (private chats) or the usage (/summarize).
MIN_WORDS = 50
# callback_data of the "Add to my digest" button: ADD_PREFIX + token (≤ 64 bytes).
ADD_PREFIX = "add:"
ADD_BUTTON = N_("Add to my digest")
_WORD = re.compile(r"\w+")


# -- what a message asks for ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ask:
    """What a message asks: ``kind`` "link" (``value`` is the URL), "text" (``value`` is
    the text to summarize), or "short" (a text under :data:`MIN_WORDS` words, ``words``
    counted) / "nothing" (no text at all)."""

    kind: Literal["link", "text", "short", "nothing"]
    value: str = ""
    words: int = 0


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def what_is_asked(
    text: str | None, hidden: Sequence[str] = (), *, min_words: int = MIN_WORDS
) -> Ask:
    """What ``text`` asks for: its first http(s) link, else the first of the ``hidden``
    links (``text_link`` entities: words linked in a forwarded post), else the text
    itself if it has ``min_words`` words, else "short" (or "nothing" without text)."""
    link = first_link(text or "")
    if link is None:
        link = next((url for url in hidden if first_link(url) == url), None)
    if link is not None:
        return Ask("link", link)
    if text is None or not text.strip():
        return Ask("nothing")
    words = word_count(text)
    if words >= min_words:
        return Ask("text", text.strip(), words)
    return Ask("short", text.strip(), words)


# -- computing a summary (runs in a worker process) -----------------------------------


@dataclass(frozen=True, slots=True)
class PageSummary:
    """A page or text summarized: what the reply shows and what the store would keep."""

    title: str
    url: str | None  # the page (after redirects); None for a pasted text
    site_name: str | None
    date: str | None  # ISO date ("2026-11-30"), when the page gives one
    language: str  # a summary language name ("english")
    sentences: tuple[str, ...]
    blocks: tuple[tuple[str, str], ...]  # (kind, text): the article text, for the store

    @property
    def size(self) -> int:
        """About how many bytes this takes in memory (for :class:`Pending` and the
        bot's caches): its texts as CPython stores them, plus the objects around them."""
        texts = [self.title, *(text for _, text in self.blocks), *self.sentences]
        return sum(map(text_size, texts)) + 100 * len(texts) + 512


def _language_name(code: str | None, text: str, default: str) -> str:
    """The summary language for an ISO code, else guessed from the text, else default."""
    if code and code.lower() in ISO_CODES:
        return ISO_CODES[code.lower()]
    return detect_language(text, default)


def _sentences(text: str, count: int, language: str, default: str) -> tuple[str, ...]:
    try:
        return tuple(summarize(text, count, language))
    except UnsupportedLanguage:
        return tuple(summarize(text, count, default))


def _repeats(sentence: str, title: str) -> bool:
    """True when ``sentence`` is ``title`` again: the same words, or the sentence the
    title was cut from (a long first sentence becomes a title ending in "…")."""
    said, named = " ".join(sentence.split()).casefold(), " ".join(title.split()).casefold()
    if not named:
        return False
    if said == named:
        return True
    return named.endswith("…") and said.startswith(named[:-1].rstrip())


def _summary_under(
    title: str, text: str, count: int, language: str, default: str
) -> tuple[str, ...]:
    """The ``count`` best sentences of ``text`` other than the one its ``title`` already
    says (a text without a headline is titled by its first sentence: shown again right
    under it, it would say the same thing twice). When the title's sentence is among the
    best, the next best one takes its place; a text of that one sentence keeps it."""
    summary = _sentences(text, count, language, default)
    if not any(_repeats(sentence, title) for sentence in summary):
        return summary
    rest = tuple(
        s for s in _sentences(text, count + 1, language, default) if not _repeats(s, title)
    )
    return rest[:count] or summary


def _iso_date(value: dt.datetime | dt.date | None) -> str | None:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return value.isoformat() if isinstance(value, dt.date) else None


def summarize_page(
    page: str, url: str, *, sentences: int = 3, language: str = "english", plain: bool = False
) -> PageSummary:
    """Extract a fetched page's article and summarize it in its own language.

    ``page`` is the decoded text, ``url`` where it was fetched from (after redirects);
    ``plain`` for a text/plain page. ``language`` is used when the page's language has
    no summarizer. Raises :class:`NotAnArticle` ("no article text found")."""
    if language not in SUPPORTED_LANGUAGES:
        language = "english"
    if plain:
        return summarize_text(page, sentences=sentences, language=language, url=url)
    from bot.extract import extract_html  # trafilatura: imported where it is used

    extracted = extract_html(page, url)
    text = "\n\n".join(extracted.paragraphs) or extracted.text
    name = _language_name(extracted.language, text, language)
    title = extracted.title or first_sentence(text)
    summary = _summary_under(title, text, sentences, name, language)
    if not summary:
        raise NotAnArticle(url, "no article text found")
    return PageSummary(
        title=title or url,
        url=url,
        site_name=extracted.site_name,
        date=_iso_date(extracted.date),
        language=name,
        sentences=summary,
        blocks=tuple((block.kind, block.text) for block in extracted.blocks),
    )


def summarize_text(
    text: str, *, sentences: int = 3, language: str = "english", url: str | None = None
) -> PageSummary:
    """Summarize a pasted or forwarded text (or a text/plain page at ``url``).

    The text is read like a page copied from a browser (:func:`bot.articles.pages
    .parse_page`: a headline line becomes the title, bylines and credits are dropped);
    raises :class:`NotAnArticle` when nothing of it is article text."""
    if language not in SUPPORTED_LANGUAGES:
        language = "english"
    text = clean_text(text)  # outside text, cleaned once on the way in
    source = url or "the text"
    try:
        article = parse_page(text, source)
    except NotAnArticle:
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        if not paragraphs:
            raise NotAnArticle(source, "no article text found") from None
        article = finish(source, None, None, url, [Block("paragraph", p) for p in paragraphs])
    name = article.language if article.language in SUPPORTED_LANGUAGES else language
    summary = _summary_under(article.title, article.text, sentences, name, language)
    if not summary:
        raise NotAnArticle(source, "no article text found")
    return PageSummary(
        title=article.title,
        url=url,
        site_name=None,
        date=article.date,
        language=name,
        sentences=summary,
        blocks=tuple((block.kind, block.text) for block in article.blocks),
    )


# -- the reply ------------------------------------------------------------------------


def summary_messages(
    summary: PageSummary,
    token: str | None,
    *,
    limit: int = MESSAGE_LIMIT,
    t: Translator = ENGLISH,
) -> list[tuple[str, str | None]]:
    """The reply as (HTML text, reply_markup JSON or None) messages::

        <a href="URL"><b>Title</b></a>
        <i>Site · 30 Nov 2026</i>

        First summary sentence. Second one.

    Everything from the page is escaped; messages are at most ``limit`` UTF-16 units
    (split like digests). The last one carries the "Add to my digest" button when a
    ``token`` is given (named in ``t``'s language)."""
    segments = [link_title(summary.title, summary.url)]
    meta = " · ".join(x for x in (summary.site_name, format_date(summary.date)) if x and x.strip())
    if meta:
        segments.append(f"\n<i>{html.escape(' '.join(meta.split()))}</i>")
    for i, sentence in enumerate(summary.sentences):
        sentence = " ".join(sentence.split())
        if sentence:
            segments.append(("\n\n" if i == 0 else " ") + html.escape(sentence))
    texts = split_messages([Part(tuple(segments))], limit)
    messages: list[tuple[str, str | None]] = [(text, None) for text in texts]
    if token is not None:
        button = {"text": t(ADD_BUTTON), "callback_data": ADD_PREFIX + token}
        markup = json.dumps({"inline_keyboard": [[button]]}, ensure_ascii=False)
        messages[-1] = (messages[-1][0], markup)
    return messages


# -- the button -----------------------------------------------------------------------


class Pending:
    """Summaries whose "Add to my digest" button still works, by token.

    A token is random (unguessable) and belongs to one chat. At most ``max_items``
    summaries and ``max_bytes`` of text are kept, the oldest dropped first; a dropped,
    unknown or other chat's token is "out of date". The bot keeps this in memory: after
    a restart old buttons are out of date too."""

    def __init__(self, max_items: int = 2000, max_bytes: int = 16 << 20) -> None:
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, tuple[int, PageSummary]] = OrderedDict()
        self._bytes = 0

    def add(self, chat_id: int, summary: PageSummary) -> str:
        """Keep ``summary`` for ``chat_id``; returns the token for its button."""
        token = secrets.token_urlsafe(12)
        self._items[token] = (chat_id, summary)
        self._bytes += summary.size
        while self._items and (len(self._items) > self.max_items or self._bytes > self.max_bytes):
            _, (_, dropped) = self._items.popitem(last=False)
            self._bytes -= dropped.size
        return token

    def get(self, chat_id: int, token: str) -> PageSummary | None:
        """The summary behind ``token`` if it is this chat's and still kept, else None."""
        item = self._items.get(token)
        if item is None or item[0] != chat_id:
            return None
        return item[1]

    def __len__(self) -> int:
        return len(self._items)


def as_article(summary: PageSummary) -> Article:
    """The summary as an Article for the store: source ``link:<canonical URL>`` for a
    page, ``text:<sha256>`` for a pasted text (so the same page or text is one article)."""
    blocks = tuple(Block(kind, text) for kind, text in summary.blocks)  # type: ignore[arg-type]
    if summary.url:
        source = "link:" + canonical_url(summary.url)
    else:
        digest = hashlib.sha256("\n\n".join(b.text for b in blocks).encode()).hexdigest()
        source = "text:" + digest
    return Article(
        source=source,
        title=summary.title,
        date=summary.date,
        url=summary.url,
        language=summary.language,
        blocks=blocks,
    )
