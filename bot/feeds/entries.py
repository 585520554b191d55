"""A feed entry made into an article: the linked page's main text when it says more than
the feed, else the feed's own; the title, date and language; the summary. Pure apart
from one log line, and made of picklable values so that :func:`build_article` can run
in a process pool (:class:`bot.feeds.poll.Poller` runs it off the event loop).

Language: the config's ``language`` for the feed when it gives one; else the feed's
language is :func:`bot.languages.text_language` of its declared ``<language>`` and all
its entries' text (:func:`feed_language`), and each entry's is the same rule on its own
text with the feed's language as the declared one (a long entry surely in another
language keeps that).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.articles import Article, Block
from bot.articles.article import finish
from bot.errors import NotAnArticle, UnsupportedLanguage
from bot.extract import extract_html
from bot.feeds.parse import FeedEntry, url_key
from bot.languages import language_name, text_language
from bot.summarizer import summarize

__all__ = ["MIN_TEXT_WORDS", "Built", "build_article", "feed_language", "text_words"]

log = logging.getLogger(__name__)

_WORD_CHARS = re.compile(r"\w+")
# An article's text has at least this many words (each Han or kana character one): less
# is a link label ("Comments", "Read more"), not a sentence.
MIN_TEXT_WORDS = 3
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_]+")
# Characters of the feed's entries read to tell its language.
_LANGUAGE_SAMPLE = 4000


@dataclass(frozen=True, slots=True)
class Built:
    """An article built from an entry (and its page), with its summary."""

    article: Article
    summary: tuple[str, ...]
    page_key: str | None  # the page's canonical URL key, when it differs from the link's


def text_words(text: str) -> int:
    """Words of ``text`` for :data:`MIN_TEXT_WORDS`: letter/digit runs, and each Han or
    kana character one word."""
    return len(_TOKEN.findall(text))


def feed_language(entries: Sequence[FeedEntry], declared: str | None) -> str | None:
    """The feed's language: its declared one unless its entries' text is surely another
    (:func:`bot.languages.text_language` over the titles and texts)."""
    parts: list[str] = []
    size = 0
    for entry in entries:
        for part in (entry.title, entry.text):
            if part and size < _LANGUAGE_SAMPLE:
                parts.append(part[:1000])
                size += len(parts[-1])
    return text_language("\n".join(parts), declared)


def build_article(
    source: str,
    entry: FeedEntry,
    page: str | None,
    page_url: str | None,
    language: str | None,
    sentences: int,
    default_language: str,
    declared: str | None = None,
) -> Built:
    """The article for ``entry``: the page's main text when it has more words than the
    feed's text, else the feed's; summarized. ``language`` (the config's) is used as it
    is; else the entry's language is told from its text with ``declared`` (the feed's
    language) as what the source says. Raises :class:`NotAnArticle` with the reason
    when the text is shorter than a sentence (:data:`MIN_TEXT_WORDS` words) or empty.
    Top-level and made of picklable values so it can run in a process pool."""
    title, date, url, lang = entry.title, _day(entry.published), entry.link, language
    from_page = False
    paragraphs = [p for p in entry.text.split("\n\n") if p]
    blocks = [Block("paragraph", p) for p in paragraphs]
    page_key = None
    if page:
        try:
            extracted = extract_html(page, page_url, source=page_url)
        except NotAnArticle as exc:
            log.info("%s: no article text on the page (%s), using the feed's text", source, exc)
        else:
            if len(_WORD_CHARS.findall(extracted.text)) > entry.words:
                blocks = [Block(b.kind, b.text) for b in extracted.blocks]
                title = title or extracted.title
                date = date or _day(extracted.date)
                from_page = True
                if not lang and extracted.language:
                    lang = language_name(extracted.language)
            if extracted.url:
                url = extracted.url
                key = url_key(extracted.url)
                if key and key != (url_key(entry.link) if entry.link else None):
                    page_key = key
    text = "\n\n".join(b.text for b in blocks if b.kind == "paragraph")
    words = text_words(text)
    if words < MIN_TEXT_WORDS:
        where = "the page and the feed give" if page else "the feed gives"
        raise NotAnArticle(
            source,
            f"{where} no text a sentence long ({words} words: {text[:40]!r})"
            if text
            else f"{where} no text",
        )
    if not lang and not from_page:
        lang = text_language(f"{title or ''}\n{text}", declared)
    article = finish(source, title, date, url, blocks, lang)
    try:
        summary = summarize(article.text, sentences, article.language, title=article.title)
    except UnsupportedLanguage:
        summary = summarize(article.text, sentences, default_language, title=article.title)
    return Built(article, tuple(summary), page_key)


def _day(moment: object) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return (
            moment.astimezone(UTC).date().isoformat()
            if moment.tzinfo
            else moment.date().isoformat()
        )
    return str(moment)[:10]
