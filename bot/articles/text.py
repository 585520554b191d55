"""Text helpers: outside text cleaned on the way in, line cleaning, folding, word tests.

This module owns how text from outside is cleaned, once, on the way in
(:func:`clean_text`, called at every entry point: feeds, fetched and saved pages,
pasted text, seed files), how an HTML fragment becomes paragraphs
(:func:`html_to_text`, line breaks of ``<pre>`` kept), how a line of seed text is
normalized (:func:`clean`: NFC, no invisible characters, single spaces), how text is
folded for matching stock phrases and month names (:func:`fold`: case-folded, accents
removed), and the one test for "ends like a sentence" (:func:`ends_sentence`, with the
CJK full stop and full-width marks) and how words are counted (:func:`words`, two Han
or kana characters for a word, so Japanese text weighs like English). The page rules,
the Markdown reader, dates and language detection all build on these, so the same line
is read the same way everywhere. Pure over strings.
"""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser
from typing import Literal

__all__ = [
    "CLOSERS",
    "Form",
    "clean",
    "clean_text",
    "ends_sentence",
    "fold",
    "html_to_text",
    "is_escaped_markup",
    "phrase_set",
    "plain_paragraphs",
    "split_lines",
    "strip_invalid",
    "strip_invisible",
    "word_set",
    "words",
]

# Characters that scrapes carry but readers never see (zero-width, soft hyphen, BOM).
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\u00ad\ufeff]")
_SPACES = re.compile(r"[^\S\n]+")
# Combining marks (accents) as NFKD leaves them.
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Closing quotes/brackets that may follow a sentence's final punctuation.
CLOSERS = "\"'”’»)]"
# Western sentence ends plus the CJK full stop and full-width "!", "?" (and "！？").
_SENTENCE_END = ".!?…:;。！？"
# Scripts written without spaces between words (Han, kana): their characters
# count as about half a word each, so a Japanese paragraph weighs like an English one.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``, for the rule tables."""
    return frozenset(text.split())


def phrase_set(text: str) -> frozenset[str]:
    """The "|"-separated phrases of ``text`` (line breaks are not part of a phrase)."""
    return frozenset(" ".join(item.split()) for item in text.split("|"))


def strip_invisible(text: str) -> str:
    """NFC without invisible characters (zero-width, soft hyphen, BOM); whitespace kept."""
    if text.isascii():
        return text
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", text))


def clean(line: str) -> str:
    """Normalize one line: NFC, no invisible characters, single spaces, stripped."""
    return _SPACES.sub(" ", strip_invisible(line)).strip()


def split_lines(text: str) -> list[str]:
    """The cleaned lines of ``text`` (any line ending)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [clean(line) for line in text.split("\n")]


def fold(text: str) -> str:
    """Lower-case without accents, for matching month names and stock phrases."""
    text = text.casefold()
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def words(text: str) -> int:
    """How many words ``text`` has: whitespace-separated, and two Han/kana characters count one."""
    count = len(text.split())
    if text.isascii():
        return count
    unspaced = len(_UNSPACED.findall(text))
    return count + unspaced // 2


def ends_sentence(text: str) -> bool:
    """Does ``text`` end in sentence punctuation, maybe followed by closing quotes/brackets?

    The same test as ``re.search(r"[.!?…:;][closers]*$", text)``, but a regex
    search for an end-anchored pattern tries every start position, so it costs
    the whole text; this looks at the tail only (a unit can be a whole file).
    """
    tail = text.removesuffix("\n").rstrip(CLOSERS)  # "$" also matches before a final "\n"
    return tail[-1:] != "" and tail[-1] in _SENTENCE_END


# -- text from outside ----------------------------------------------------------------

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
_FOLD = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def strip_invalid(text: str) -> str:
    """``text`` without the characters :func:`clean_text` removes (nothing else changed):
    for strings that are not prose (feed ids, links)."""
    if text.isascii() and text.isprintable():
        return text
    return _INVALID.sub("", text)


def is_escaped_markup(text: str) -> bool:
    """Does plain ``text`` hold HTML markup (closing tags of text elements, ``<br>``)?"""
    return "<" in text and _MARKUP_TAG.search(text) is not None


def clean_text(text: str, form: Form = "text") -> str:
    """Outside text as digestbot keeps it.

    Removes characters a reader never sees and that break storage or display: lone
    surrogates, C0/C1 control characters (tab and line breaks kept), characters XML
    forbids (U+FFFE, U+FFFF and the other noncharacters), bidirectional controls
    (embeddings, overrides, isolates, marks: an unclosed right-to-left override
    reverses the rest of a digest line) and invisible characters (zero-width space,
    word joiner, soft hyphen, BOM; zero-width joiners stay); normalizes to NFC.

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
            text = _FOLD.sub(" ", raw).strip()
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
    paragraphs = (_FOLD.sub(" ", part).strip() for part in _PARAGRAPH_BREAK.split(text))
    return "\n\n".join(p for p in paragraphs if p)
