"""Seed files to clean articles: decoding, boilerplate removal, identity.

The flow, one module per rule set::

    files.scan(folder)                      walk the seeds folder, skip and log bad files
      └─ files.load(path)                   read bytes, files.decode() them to text
           ├─ pages.parse_page(text)        scraped page (anything not .md/.markdown)
           └─ markdown.parse_markdown(text) TOML front matter + Markdown body
                └─ article.finish(...)      → Article (title, date, url, language, blocks)

* :mod:`~bot.articles.files`: reading, decoding (UTF-8, UTF-16 with a BOM,
  cp1252, Latin-1), rejecting empty/binary/oversized files, scanning a folder
  (:class:`Scan`, :class:`Skipped`, one log line per skipped file on the
  ``bot.articles`` logger). The only module here that touches the disk.
* :mod:`~bot.articles.pages`: a page copied from a browser to an article: the
  run of prose that is the article, its headline, paragraphs and sub-headings.
* :mod:`~bot.articles.lines`: what one page line is (navigation, banners and
  forms, section breaks, dates, bylines, credits, captions, text).
* :mod:`~bot.articles.markdown`: front matter (tomllib) and the body (markdown-it-py).
* :mod:`~bot.articles.dates`: dates in many formats and languages (:func:`parse_date`).
* :mod:`~bot.articles.language`: :func:`detect_language` and front-matter language
  names, over the summary languages of :mod:`bot.languages`.
* :mod:`~bot.articles.article`: :class:`Article` and :class:`Block`, the content
  hash that is an article's identity, and the finishing step both parsers share.
* :mod:`~bot.articles.text`: outside text cleaned on the way in; line cleaning and
  folding every rule set shares.

Everything is pure over strings except :func:`load` and :func:`scan`; nothing
here imports Telegram, APScheduler or the store. The names below are the API the
rest of the bot uses; import them from ``bot.articles``.
"""

from __future__ import annotations

from bot.articles.article import Article, Block
from bot.articles.dates import parse_date
from bot.articles.files import Scan, Skipped, decode, load, scan
from bot.articles.language import detect_language
from bot.articles.markdown import parse_markdown
from bot.articles.pages import parse_page

__all__ = [
    "Article",
    "Block",
    "Scan",
    "Skipped",
    "decode",
    "detect_language",
    "load",
    "parse_date",
    "parse_markdown",
    "parse_page",
    "scan",
]
