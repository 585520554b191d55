"""Markdown seeds: TOML front matter between ``+++`` lines, then a Markdown body.

This module owns :func:`parse_markdown`. The front matter is read with
:mod:`tomllib` (keys ``title``, ``url``, ``date``, ``language``; others are
ignored, so front matter written for a static site generator works). The body
is parsed by markdown-it-py (CommonMark) and walked once: every paragraph (each
list item's, each block quote's) becomes a paragraph block and every heading a
heading block, as plain text: emphasis and code marks, link targets, images and
inline HTML go; link text, code text and autolinked URLs stay. Fenced code and
HTML blocks are not prose the summarizer could quote and are left out.
Indented text is a paragraph, not code (the "code" rule is off): hand-written
seeds indent paragraphs, and a seed never needs an indented code block.

markdown-it-py is linear in its input, also on pathological text (thousands of
unclosed ``*``, ``[`` or backticks); the tests and ``bench/ingest.py`` cover it.
Pure over strings.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Sequence
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.articles.article import Article, Block, finish
from bot.articles.dates import parse_date
from bot.articles.language import language_name
from bot.articles.text import clean, strip_invisible
from bot.errors import NotAnArticle

__all__ = ["parse_markdown"]

# One parser for every file: it keeps no state between parse() calls.
_PARSER = MarkdownIt("commonmark").disable("code")
# Inline tokens a reader sees (as their content, or a break as a space); the rest is markup.
_BREAKS = frozenset({"softbreak", "hardbreak"})
_TEXT = frozenset({"text", "code_inline"})


def parse_markdown(text: str, source: str) -> Article:
    """Read a Markdown seed with optional TOML front matter between ``+++`` lines.

    Front matter keys: ``title``, ``url``, ``date`` (a TOML date or a date
    string), ``language`` (a sumy name or a code like "de"); other keys are
    ignored, so front matter written for a static site generator works. Without
    a ``title`` the first ``#`` heading is the title; without a ``language`` it
    is guessed from the text. Every other heading becomes a heading block.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    meta, body = _front_matter(text, source)
    title = _meta_string(meta, "title", source)
    url = _meta_string(meta, "url", source)
    date = _meta_date(meta, source)
    language = None
    if "language" in meta:
        raw = _meta_string(meta, "language", source) or ""
        language = language_name(raw)
        if language is None:
            raise NotAnArticle(source, f"front matter language: cannot read {raw!r}")

    blocks = _markdown_blocks(body)
    if title is None:
        first_heading = next((b for b in blocks if b.kind == "heading"), None)
        if first_heading is not None:
            title = first_heading.text
            blocks.remove(first_heading)
    elif blocks and blocks[0].kind == "heading" and blocks[0].text == title:
        blocks.pop(0)  # the body repeats the front-matter title as "# Title"
    return finish(source, title, date, url, blocks, language)


def _front_matter(text: str, source: str) -> tuple[dict[str, object], str]:
    lines = text.split("\n")
    if lines and lines[0].strip() == "+++":
        for end in range(1, len(lines)):
            if lines[end].strip() == "+++":
                try:
                    meta = tomllib.loads("\n".join(lines[1:end]))
                except tomllib.TOMLDecodeError as exc:
                    raise NotAnArticle(source, f"front matter is not valid TOML: {exc}") from exc
                return meta, "\n".join(lines[end + 1 :])
        raise NotAnArticle(source, "front matter opened with +++ is never closed")
    if (
        lines
        and lines[0].strip() == "---"
        and len(lines) > 2
        and re.match(r"^\w+\s*:", lines[1])
        and any(line.strip() == "---" for line in lines[2:])
    ):
        raise NotAnArticle(
            source, "YAML front matter (---) is not supported; use TOML between +++ lines"
        )
    return {}, text


def _meta_string(meta: dict[str, object], key: str, source: str) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise NotAnArticle(
            source, f"front matter {key}: expected a string, got {type(value).__name__}"
        )
    value = clean(value)
    return value or None


def _meta_date(meta: dict[str, object], source: str) -> str | None:
    value = meta.get("date")
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        iso = parse_date(value)
        if iso is None:
            raise NotAnArticle(source, f"front matter date: cannot read {value!r} as a date")
        return iso
    raise NotAnArticle(source, f"front matter date: expected a date, got {type(value).__name__}")


def _markdown_blocks(body: str) -> list[Block]:
    """The body's headings and paragraphs, in order, as plain text (empty ones left out)."""
    blocks: list[Block] = []
    kind: Literal["heading", "paragraph"] | None = None  # what the next inline token is
    for token in _PARSER.parse(strip_invisible(body)):
        if token.type == "heading_open":
            kind = "heading"
        elif token.type == "paragraph_open":
            kind = "paragraph"
        elif token.type == "inline" and kind is not None:
            text = _plain_text(token.children or ())
            if text:
                blocks.append(Block(kind, text))
            kind = None
    return blocks


def _plain_text(children: Sequence[Token]) -> str:
    """What a reader sees of one inline run: text and code, line breaks as spaces."""
    parts: list[str] = []
    for child in children:
        if child.type in _TEXT:
            parts.append(child.content)
        elif child.type in _BREAKS:
            parts.append(" ")
        # Everything else is markup: *em*/**strong** and link marks (their text
        # is in the text tokens between them), images (alt text is not prose)
        # and inline HTML tags and comments.
    return clean("".join(parts))
