"""Saved web pages (``.html``/``.htm`` seeds) as articles, through :mod:`bot.extract`.

The page itself says most of what we need: :func:`bot.extract.extract_html`
(trafilatura) finds the main text without navigation, comments or boilerplate, and
the title, date, canonical URL and language from the page's metadata. This module only
turns that into an :class:`~bot.articles.article.Article` like the other seed kinds.
The same extraction serves pages fetched from feeds and links.
"""

from __future__ import annotations

import datetime as dt

from bot.articles.article import Article, Block, finish
from bot.languages import language_name

__all__ = ["HTML_SUFFIXES", "parse_html"]

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})


def parse_html(data: bytes | str, source: str, url: str | None = None) -> Article:
    """A saved page's article; :class:`bot.errors.NotAnArticle` when it holds none."""
    # Imported here: bot.extract reads its text helpers from this package.
    from bot.extract import extract_html

    page = extract_html(data, url, source=source)
    blocks = [Block(block.kind, block.text) for block in page.blocks]
    date = page.date.date() if isinstance(page.date, dt.datetime) else page.date
    language = language_name(page.language) if page.language else None
    return finish(
        source,
        page.title,
        date.isoformat() if date is not None else None,
        page.url,
        blocks,
        language,
    )
