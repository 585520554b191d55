"""What an article is: :class:`Block`, :class:`Article` and its identity, and the last step
both parsers share.

An article's identity is :attr:`Article.content_hash`, a sha256 over what the
reader sees (title, date, url, language, blocks) but not over the file name or
the bytes, so a rescan or a re-encoded file is the same article and any edit
to the text is a new one. :func:`finish` turns what a parser found into an
:class:`Article`: it needs a paragraph, takes the first sentence as a missing
title and detects a missing language. Pure.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Literal

from bot.articles.language import detect_language
from bot.articles.text import CLOSERS
from bot.errors import NotAnArticle

__all__ = ["Article", "Block", "finish", "first_sentence"]


@dataclass(frozen=True, slots=True)
class Block:
    """One piece of an article body: a sub-heading or a paragraph."""

    kind: Literal["heading", "paragraph"]
    text: str


@dataclass(frozen=True, slots=True)
class Article:
    """A clean article, ready for the summarizer.

    ``source`` is the file's path relative to the scanned folder (POSIX), or
    the path as given when loaded on its own. It is not part of the identity.
    """

    source: str
    title: str
    date: str | None
    url: str | None
    language: str
    blocks: tuple[Block, ...]

    @property
    def text(self) -> str:
        """The paragraphs (no headings) joined by blank lines: what the summarizer reads."""
        return "\n\n".join(block.text for block in self.blocks if block.kind == "paragraph")

    @property
    def content_hash(self) -> str:
        """A stable sha256 hex digest of the content (not of the file name)."""
        content = [
            "digestbot-article-1",
            self.title,
            self.date,
            self.url,
            self.language,
            [[block.kind, block.text] for block in self.blocks],
        ]
        encoded = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def finish(
    source: str,
    title: str | None,
    date: str | None,
    url: str | None,
    blocks: list[Block],
    language: str | None = None,
) -> Article:
    """The Article both parsers end with: it needs a paragraph; a missing title is the
    first sentence and a missing language is detected from the paragraphs."""
    paragraphs = [b.text for b in blocks if b.kind == "paragraph"]
    if not paragraphs:
        raise NotAnArticle(source, "no article text")
    return Article(
        source=source,
        title=title if title is not None else first_sentence(paragraphs[0]),
        date=date,
        url=url,
        language=language or detect_language(" ".join(paragraphs)),
        blocks=tuple(blocks),
    )


def first_sentence(text: str, limit: int = 120) -> str:
    """The first sentence of ``text`` (what titles an untitled article), cut at a word
    to at most ``limit`` characters with "…"."""
    match = re.search(rf"^.+?(?:[.!?…][{re.escape(CLOSERS)}]*(?=\s|$)|[。！？][」』]?)", text)
    sentence = match.group(0) if match else text
    if len(sentence) <= limit:
        return sentence
    return sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
