"""String helpers every article rule set shares: line cleaning, folding, word and sentence tests.

This module owns how a line of seed text is normalized (:func:`clean`: NFC, no
invisible characters, single spaces), how text is folded for matching stock
phrases and month names (:func:`fold`: case-folded, accents removed), and the
one test for "ends like a sentence" (:func:`ends_sentence`, with the CJK
full stop and full-width marks) and how words are counted (:func:`words`, two
Han or kana characters for a word, so Japanese text weighs like English). The page rules,
the Markdown reader, dates and language detection all build on these, so the
same line is read the same way everywhere. Pure over strings.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "CLOSERS",
    "clean",
    "ends_sentence",
    "fold",
    "phrase_set",
    "split_lines",
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
