"""Text from outside, cleaned once on the way in: feeds, fetched pages, pasted text, seeds.

This module owns what "clean text" means, so every entry point reads outside text the
same way:

* :func:`clean_text` -- the one cleaning function. Removes characters a reader never
  sees and that break storage or display: lone surrogates, C0/C1 control characters
  (tab and line breaks kept), characters XML forbids (U+FFFE, U+FFFF and the other
  noncharacters), bidirectional controls (embeddings, overrides, isolates, marks: an
  unclosed right-to-left override reverses the rest of a digest line) and invisible
  characters (zero-width space, word joiner, soft hyphen, BOM); normalizes to NFC.
  ``form="html"`` reads the text as HTML (:func:`html_to_text`); ``form="field"`` (a
  feed's plain-text field) has its HTML entities decoded (``&amp;``, ``&#8217;``: a
  plain-text field that carries them meant the characters). Either way, text that is
  itself escaped HTML (a feed that escaped its HTML twice) is read as HTML once more.
  Text already read by an HTML parser or typed by a person (``form="text"``) only
  loses the characters above: a page about HTML keeps its ``&amp;`` and ``</p>``.
* :func:`html_to_text` -- an HTML fragment to paragraphs: no tags, no scripts or
  styles, entities decoded, one blank line between paragraphs; whitespace inside a
  paragraph folded, except inside ``<pre>`` where line breaks are kept.
* :func:`strip_invalid` -- only the character removal (no entities, no NFC), for
  strings that are not prose (feed ids, URLs).

Pure over strings.
"""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser
from typing import Literal

__all__ = [
    "Form",
    "clean_text",
    "html_to_text",
    "is_escaped_markup",
    "plain_paragraphs",
    "strip_invalid",
]

# Lone surrogates; C0 controls but tab, LF, CR; DEL and the C1 controls; soft hyphen;
# Arabic letter mark; zero-width space, LRM/RLM; bidi embeddings and overrides; word
# joiner, invisible operators, bidi isolates; BOM; noncharacters (XML forbids
# U+FFFE/U+FFFF). Zero-width (non-)joiners stay: Persian, Indic scripts and emoji need them.
_INVALID = re.compile(
    "[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u200b\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff"
    "\U0001fffe\U0001ffff\U0010fffe\U0010ffff]"
)
# An HTML entity as a plain-text field carries it: named (with its semicolon) or numeric.
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Escaped HTML that was read once as text: markup of common text elements, opened and
# closed (or a line break), e.g. "<p>Hello</p>" or "<div class="md"><p>…".
_MARKUP_TAG = re.compile(
    r"</(?:p|div|a|span|em|strong|b|i|li|ul|ol|blockquote|pre|code|h[1-6]|table|td|tr)\s*>"
    r"|<br\s*/?>",
    re.IGNORECASE,
)
Form = Literal["text", "field", "html"]
_SPACE = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def strip_invalid(text: str) -> str:
    """``text`` without the characters :func:`clean_text` removes (nothing else changed)."""
    if text.isascii() and text.isprintable():
        return text
    return _INVALID.sub("", text)


def is_escaped_markup(text: str) -> bool:
    """Does plain ``text`` hold HTML markup (closing tags of text elements, ``<br>``)?"""
    return "<" in text and _MARKUP_TAG.search(text) is not None


def clean_text(text: str, form: Form = "text") -> str:
    """Outside text as digestbot keeps it: see the module docstring.

    ``form`` says what ``text`` is: ``"text"`` -- already text (read from a page by an
    HTML parser, a file, a user's message): only characters removed and NFC;
    ``"field"`` -- a feed's plain-text field, which may carry HTML entities or escaped
    HTML; ``"html"`` -- an HTML fragment, read into paragraphs separated by blank
    lines. Line breaks are kept (``\r\n`` becomes ``\n``); callers fold spaces as
    they need.
    """
    text = strip_invalid(text)
    if form == "html":
        text = html_to_text(text)
    elif form == "field" and "&" in text and _ENTITY.search(text):
        text = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
    if form != "text" and is_escaped_markup(text):
        # HTML escaped twice: its tags came through as text; read them once more.
        text = "\n\n".join(
            html_to_text(part) if is_escaped_markup(part) else part
            for part in _PARAGRAPH_BREAK.split(text)
        )
    text = strip_invalid(text)  # entities may have spelled removed characters
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.isascii() else unicodedata.normalize("NFC", text)


# -- HTML to text -------------------------------------------------------------------

# HTML elements that end a paragraph (their text is a paragraph of its own).
_BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    ]
)
# Elements whose content is never text for a reader.
_SKIP = frozenset(
    ["script", "style", "iframe", "noscript", "template", "svg", "math", "head", "object"]
)


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._current: list[str] = []
        self._skipping = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping += 1
            return
        if tag == "br" and self._pre:
            self._current.append("\n")
            return
        if tag in _BLOCKS:
            self._break()
        if tag == "pre":
            self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" and self._pre:
            self._current.append("\n")
        elif tag in _BLOCKS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skipping = max(0, self._skipping - 1)
            return
        if tag in _BLOCKS and not (tag == "br" and self._pre):
            self._break()
        if tag == "pre":
            self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._current.append(data)

    def _break(self) -> None:
        raw = "".join(self._current)
        self._current = []
        if self._pre:
            # Preformatted: line breaks and indentation are the text; blank lines would
            # split it into paragraphs, so they go.
            lines = [line.rstrip() for line in raw.splitlines()]
            text = "\n".join(line for line in lines if line.strip())
        else:
            text = _SPACE.sub(" ", raw).strip()
        if text:
            self.paragraphs.append(text)

    def close(self) -> None:
        super().close()
        self._break()


def html_to_text(fragment: str) -> str:
    """Clean text of an HTML fragment: no tags, entities decoded, paragraphs separated
    by one blank line, whitespace inside a paragraph folded to single spaces (line
    breaks inside ``<pre>`` kept)."""
    if "<" not in fragment and "&" not in fragment:
        return plain_paragraphs(fragment)
    parser = _TextParser()
    parser.feed(fragment)
    parser.close()
    return "\n\n".join(parser.paragraphs)


def plain_paragraphs(text: str) -> str:
    """Plain text's paragraphs (split at blank lines), each folded to single spaces."""
    paragraphs = (_SPACE.sub(" ", part).strip() for part in _PARAGRAPH_BREAK.split(text))
    return "\n\n".join(p for p in paragraphs if p)
