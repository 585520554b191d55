"""Keyword filters: a chat's ``/filter`` terms, parsed from what the user typed and
matched against articles. Pure: no Telegram, no store.

A chat has up to :data:`MAX_TERMS` terms, each a word or a quoted phrase of at most
:data:`MAX_TERM_CHARS` characters, with a mode:

* ``-word`` (:data:`MUTE`): an article that mentions it is held back;
* ``+word`` (:data:`KEEP`): when a chat has any, only articles that mention at least
  one of them are kept. A muted article is held back even if it also has a ``+`` term.

Matching is on whole words over the title and the text, case- and accent-insensitive,
and stemmed with the *article's* language's Snowball stemmer (sumy's ``Stemmer``,
which is NLTK's Snowball for most languages: no data files): ``+election`` matches
"Elections", ``-fussball`` matches "Fußball", ``-"transfer window"`` matches the two
words in a row ("transfer windows" too). Words are folded (casefold, accents removed)
*before* stemming, so a term typed without accents stems exactly like the accented
word in the text. Scripts written without spaces (Chinese, Japanese, Thai, ...) have
no words to match whole: a term in such a script matches where it appears in the
folded text. Nothing the user types is ever a regular expression: a term is cut into
words by the same tokenizer as the articles, and those words are compared as strings.

Speed, for a scheduled run over thousands of chats: an article's folded stems are
computed once per run (:class:`ArticleCache`), a chat's terms are compiled once per
set of terms and per language (:func:`compile_filter`, cached), and checking one
article against one chat's filter is a few set lookups.

Parsing: :func:`parse_command` reads the argument of ``/filter`` ("", "clear",
"remove WORD …", or "-word +word -\\"a phrase\\" …") and raises :class:`FilterError`
with a message for the user when it cannot.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from operator import itemgetter
from typing import Any, Literal, TypeVar

from bot.articles.text import fold as _fold_accents
from bot.caches import text_size
from bot.languages import language_name
from bot.locales import ENGLISH, N_, Translator

__all__ = [
    "KEEP",
    "MAX_TERMS",
    "MAX_TERM_CHARS",
    "MUTE",
    "ArticleCache",
    "ArticleWords",
    "ChatFilter",
    "FilterCommand",
    "FilterError",
    "Stems",
    "Term",
    "TermMatches",
    "compile_filter",
    "fold",
    "parse_command",
    "split_entries",
    "stems",
    "term_words",
]

MUTE = "-"
KEEP = "+"
MAX_TERMS = 50
MAX_TERM_CHARS = 50

# Letters and digits (no underscore): the words of a term and of an article. Folded
# ASCII text (most news in Latin script, once accents are gone) takes the faster
# ASCII pattern, which finds exactly the same words there.
_WORD = re.compile(r"[^\W_]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
# Scripts written without spaces between words (Han, kana, Thai, Lao, Khmer, Myanmar).
_SPACELESS = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
    "\u0e00-\u0eff\u1780-\u17ff\u1000-\u109f\U00020000-\U0003134f]"
)
# Quotes a phrase may be written in ("…", “…”, „…“, «…», '…' are all common).
_OPENING_QUOTES = "\"“”„«»‘’'"
_CLOSING_QUOTES = {
    '"': '"',
    "“": "”“",
    "”": "”",
    "„": "“”",
    "«": "»",
    "»": "«",
    "‘": "’‘",
    "’": "’",
    "'": "'",
}
_STEM_CACHE_LIMIT = 200_000

E = TypeVar("E")


class FilterError(ValueError):
    """What the user typed cannot be a filter; ``str(error)`` says why in English,
    :meth:`said` in a chat's language (plain text: the handler escapes it)."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message.format(**values) if values else message)
        self.message = message
        self.values = values

    def said(self, t: Translator = ENGLISH) -> str:
        return t(self.message, **self.values)


def fold(text: str) -> str:
    """Case-folded, accents removed, recomposed (so Hangul stays syllables)."""
    folded = _fold_accents(text)
    return folded if folded.isascii() else unicodedata.normalize("NFC", folded)


def _words(folded: str) -> list[str]:
    return (_ASCII_WORD if folded.isascii() else _WORD).findall(folded)


def term_words(text: str) -> tuple[str, ...]:
    """The folded words of ``text``, as both terms and articles are cut."""
    return tuple(_words(fold(text)))


@dataclass(frozen=True, slots=True)
class Term:
    """One filter term: ``mode`` is :data:`MUTE` or :data:`KEEP`; ``text`` is the word
    or phrase as the user wrote it (spaces normalized, quotes removed)."""

    mode: str
    text: str

    @property
    def key(self) -> str:
        """What identifies the term in a chat: its folded words ("Transfer  Window" and
        "transfer window" are the same term)."""
        return " ".join(term_words(self.text))

    def quoted(self) -> str:
        """``word``, or ``"a phrase"`` in quotes."""
        return f'"{self.text}"' if " " in self.text else self.text

    def shown(self) -> str:
        """``-word`` or ``+"a phrase"``, as it is typed after /filter."""
        return f"{self.mode}{self.quoted()}"


@dataclass(frozen=True, slots=True)
class FilterCommand:
    """A parsed ``/filter`` argument. ``action``: "show" (no argument), "clear",
    "add" (``terms`` have their mode) or "remove" (a term's mode is "" when the user
    did not say which, meaning either)."""

    action: Literal["show", "clear", "add", "remove"]
    terms: tuple[Term, ...] = ()


def _tokens(argument: str) -> list[tuple[str, str, bool]]:
    """(sign, text, quoted) for each term of ``argument``: ``-word``, ``+"a phrase"``,
    ``remove`` ... A sign standing alone applies to the next token."""
    tokens: list[tuple[str, str, bool]] = []
    i, n = 0, len(argument)
    sign = ""
    while i < n:
        char = argument[i]
        if char.isspace():
            i += 1
            continue
        if char in "+-" and not sign:
            sign = char
            i += 1
            continue
        if char in _OPENING_QUOTES:
            closers = _CLOSING_QUOTES[char]
            end = min((j for j in (argument.find(c, i + 1) for c in closers) if j >= 0), default=-1)
            if end < 0:
                raise FilterError(
                    N_("The quote before “{text}” is not closed."), text=argument[i + 1 : i + 30]
                )
            tokens.append((sign, " ".join(argument[i + 1 : end].split()), True))
            i = end + 1
        else:
            end = i
            while end < n and not argument[end].isspace():
                end += 1
            tokens.append((sign, argument[i:end], False))
            i = end
        sign = ""
    if sign:
        raise FilterError(
            N_("“{sign}” needs a word right after it, e.g. {sign}football."), sign=sign
        )
    return tokens


def _term(sign: str, text: str) -> Term:
    if not text:
        raise FilterError(N_("An empty phrase is no filter."))
    if len(text) > MAX_TERM_CHARS:
        raise FilterError(
            N_("“{text}…” is {length} characters long; a filter term has at most {limit}."),
            text=text[:30],
            length=len(text),
            limit=MAX_TERM_CHARS,
        )
    if not term_words(text):
        raise FilterError(N_("“{text}” has no letters or digits to look for."), text=text)
    return Term(sign, text)


def parse_command(argument: str) -> FilterCommand:
    """Read the argument of ``/filter``; raises :class:`FilterError` with the reason.

    ``""`` → show; ``clear`` → clear; ``remove WORD …`` → remove (a word may keep its
    sign: ``remove -football``); ``-word +word -"a phrase" …`` → add. A word without a
    sign is refused (mute or keep? the user has to say), as are more than
    :data:`MAX_TERMS` terms at once, terms over :data:`MAX_TERM_CHARS` characters and
    terms without a letter or digit.
    """
    tokens = _tokens(argument)
    if not tokens:
        return FilterCommand("show")
    first_sign, first, quoted = tokens[0]
    command = "" if first_sign or quoted else first.casefold()
    if command == "clear":
        if len(tokens) > 1:
            raise FilterError(N_("/filter clear takes nothing after it."))
        return FilterCommand("clear")
    if command == "remove":
        if len(tokens) == 1:
            raise FilterError(N_("Say which word to remove, e.g. /filter remove football."))
        terms = tuple(_term(sign, text) for sign, text, _ in tokens[1:])
        return FilterCommand("remove", _unique(terms))
    for sign, text, _ in tokens:
        if not sign:
            raise FilterError(
                N_(
                    "Start “{text}” with - to mute articles that mention it, or with + to "
                    "keep only articles that mention it."
                ),
                text=text[:30],
            )
    if len(tokens) > MAX_TERMS:
        raise FilterError(N_("At most {count} terms per chat."), count=MAX_TERMS)
    return FilterCommand("add", _unique(tuple(_term(sign, text) for sign, text, _ in tokens)))


def _unique(terms: tuple[Term, ...]) -> tuple[Term, ...]:
    """One term per key, the last one written winning (``-a +a`` is ``+a``)."""
    by_key = {term.key: term for term in terms}
    return tuple(by_key.values())


# -- stemming ------------------------------------------------------------------------


class Stems:
    """A language's stemmer of folded words, memoised: :meth:`of` stems one word,
    :meth:`of_all` a set of them (the cached ones in one C-level pass)."""

    __slots__ = ("_cache", "_stem_word")

    def __init__(self, stem_word: Callable[[str], str] | None) -> None:
        self._stem_word = stem_word
        self._cache: dict[str, str] = {}

    def of(self, word: str) -> str:
        if self._stem_word is None:
            return word
        stemmed = self._cache.get(word)
        if stemmed is None:
            if len(self._cache) >= _STEM_CACHE_LIMIT:
                self._cache.clear()
            # Folded again: a stemmer must never make two spellings of one word differ.
            stemmed = self._cache[word] = fold(self._stem_word(word)) or word
        return stemmed

    def of_all(self, words: set[str]) -> frozenset[str]:
        if self._stem_word is None:
            return frozenset(words)
        cache = self._cache
        missing = words.difference(cache)
        if len(cache) + len(missing) > _STEM_CACHE_LIMIT:
            cache.clear()
            missing = words
        for word in missing:
            self.of(word)
        try:
            return frozenset(map(cache.__getitem__, words))
        except KeyError:  # another thread started the cache over meanwhile
            return frozenset(self.of(word) for word in words)


@cache
def stems(language: str) -> Stems:
    """The memoised stemmer for ``language`` (a name or code): the Snowball stemmer
    sumy has for it, or words as they are for a language without one."""
    name = language_name(language) if language else None
    if name is None:
        return Stems(None)
    from sumy.nlp.stemmers import Stemmer

    try:
        return Stems(Stemmer(name))
    except LookupError:
        return Stems(None)


# -- articles ------------------------------------------------------------------------


class ArticleWords:
    """An article's words as the filters see them: the set of folded stems of its title
    and text (computed once), and, only when a phrase needs them, where each stem
    stands in the text."""

    __slots__ = ("_folded", "_positions", "_sequence", "language", "stems")

    def __init__(self, title: str, text: str, language: str) -> None:
        self.language = language
        self._folded = fold(f"{title}\n{text}")
        self.stems: frozenset[str] = stems(language).of_all(set(_words(self._folded)))
        self._sequence: list[str] | None = None
        self._positions: dict[str, list[int]] | None = None

    def has_phrase(self, phrase: tuple[str, ...]) -> bool:
        """Do these stems appear in a row (a phrase of two words or more)?"""
        if not all(s in self.stems for s in phrase):
            return False
        sequence, positions = self._sequence, self._positions
        if sequence is None or positions is None:
            of = stems(self.language).of
            sequence = self._sequence = [of(w) for w in _words(self._folded)]
            positions = self._positions = {}
            for i, stem in enumerate(sequence):
                positions.setdefault(stem, []).append(i)
        # Try the places of the phrase's rarest word only.
        k = min(range(len(phrase)), key=lambda j: len(positions[phrase[j]]))
        size = len(phrase)
        return any(
            i >= k and tuple(sequence[i - k : i - k + size]) == phrase for i in positions[phrase[k]]
        )

    def contains(self, folded: str) -> bool:
        """Does the folded text hold ``folded`` anywhere (for spaceless scripts)?"""
        return folded in self._folded


class ArticleCache:
    """ArticleWords per article for one run: each article is read once however many
    chats' filters look at it. Bounded: starts over past ``limit`` articles or about
    ``max_bytes`` (an entry holds the folded text and its stems, ~10 KB for a
    3,000-character article: counted as three times the text)."""

    def __init__(self, limit: int = 3000, max_bytes: int = 32 << 20) -> None:
        self.limit = limit
        self.max_bytes = max_bytes
        self._words: dict[tuple[Any, ...], ArticleWords] = {}
        self.bytes = 0

    def words(self, entry: Any) -> ArticleWords:
        """The words of an entry with ``number``, ``title``, ``text``, ``language`` (and
        ``content_hash`` when it has one, so an edited article is read again)."""
        key = (entry.number, getattr(entry, "content_hash", None))
        found = self._words.get(key)
        if found is None:
            title, text = entry.title or "", getattr(entry, "text", "") or ""
            if len(self._words) >= self.limit or self.bytes > self.max_bytes:
                self._words.clear()
                self.bytes = 0
            found = self._words[key] = ArticleWords(title, text, entry.language or "")
            self.bytes += 3 * (text_size(text) + text_size(title))
        return found


# -- compiled filters ---------------------------------------------------------------

# A compiled term: ("word", stem) | ("phrase", stems) | ("text", folded substring).
_Pattern = tuple[str, Any]


def _pattern(words: tuple[str, ...], stem: Callable[[str], str]) -> _Pattern:
    if any(_SPACELESS.search(word) for word in words):
        return ("text", " ".join(words))
    stems = tuple(stem(word) for word in words)
    return ("word", stems[0]) if len(stems) == 1 else ("phrase", stems)


def _matches(pattern: _Pattern, article: ArticleWords) -> bool:
    kind, value = pattern
    if kind == "word":
        return value in article.stems
    if kind == "phrase":
        return article.has_phrase(value)
    return article.contains(value)


@dataclass(frozen=True)
class ChatFilter:
    """A chat's terms, compiled per article language on first use."""

    terms: tuple[Term, ...]
    _compiled: dict[str, tuple[list[tuple[Term, _Pattern]], list[_Pattern]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __bool__(self) -> bool:
        return bool(self.terms)

    def _for(self, language: str) -> tuple[list[tuple[Term, _Pattern]], list[_Pattern]]:
        compiled = self._compiled.get(language)
        if compiled is None:
            stem = stems(language).of
            mutes, keeps = [], []
            for term in self.terms:
                words = term_words(term.text)
                if not words:
                    continue
                pattern = _pattern(words, stem)
                if term.mode == MUTE:
                    mutes.append((term, pattern))
                else:
                    keeps.append(pattern)
            compiled = self._compiled[language] = (mutes, keeps)
        return compiled

    def muted_by(self, article: ArticleWords) -> Term | None:
        """The ``-`` term that mutes the article, or None."""
        mutes, _ = self._for(article.language)
        return next((term for term, pattern in mutes if _matches(pattern, article)), None)

    def allows(self, article: ArticleWords) -> bool:
        """True if the article goes in the digest: no ``-`` term matches, and one ``+``
        term does when there are any."""
        mutes, keeps = self._for(article.language)
        if any(_matches(pattern, article) for _, pattern in mutes):
            return False
        return not keeps or any(_matches(pattern, article) for pattern in keeps)


@lru_cache(maxsize=4096)
def _compile(terms: tuple[Term, ...]) -> ChatFilter:
    return ChatFilter(terms)


def compile_filter(terms: Iterable[Term | tuple[str, str]]) -> ChatFilter:
    """A chat's filter from its terms (Terms or (mode, text) pairs, as the store gives
    them); the same terms give the same cached compiled filter."""
    return _compile(tuple(t if isinstance(t, Term) else Term(*t) for t in terms))


class TermMatches:
    """Which of a fixed sequence of articles each term matches, found once per term:
    the chats of a scheduled run mostly have the same new articles, and many chats
    share terms, so a chat's filter over those articles is a few set operations
    (:meth:`held`) instead of a look at every article. A term matches an article as
    in :meth:`ChatFilter.allows` (compiled for the article's language). It keeps the
    matches only (a few integers a term); the articles' words come from the caller's
    :class:`ArticleCache`, bounded."""

    def __init__(self, entries: Sequence[Any]) -> None:
        self.entries = entries
        self._found: dict[tuple[str, ...], frozenset[int]] = {}
        self._terms: dict[Term, tuple[str, ...]] = {}

    def matching(self, words: tuple[str, ...], cache: ArticleCache) -> frozenset[int]:
        """The indexes of the entries a term of these folded ``words`` matches."""
        found = self._found.get(words)
        if found is None:
            patterns: dict[str, _Pattern] = {}
            hits = []
            for i, entry in enumerate(self.entries):
                article = cache.words(entry)
                pattern = patterns.get(article.language)
                if pattern is None:
                    pattern = patterns[article.language] = _pattern(
                        words, stems(article.language).of
                    )
                if _matches(pattern, article):
                    hits.append(i)
            found = self._found[words] = frozenset(hits)
        return found

    def held(self, chat_filter: ChatFilter, cache: ArticleCache) -> set[int]:
        """The indexes of the entries ``chat_filter`` holds back."""
        muted: set[int] = set()
        kept: set[int] | None = None
        for term in chat_filter.terms:
            words = self._terms.get(term)
            if words is None:
                words = self._terms[term] = term_words(term.text)
            if not words:
                continue
            if term.mode == MUTE:
                muted |= self.matching(words, cache)
            else:
                kept = (kept or set()) | self.matching(words, cache)
        if kept is not None:
            muted |= set(range(len(self.entries))) - kept
        return muted


def _picked(entries: Sequence[E], indexes: set[int]) -> list[E]:
    """The entries at ``indexes``, in order (picked in one C-level call)."""
    if len(indexes) < 2:
        return [entries[i] for i in indexes]
    return list(itemgetter(*sorted(indexes))(entries))


def split_entries(
    entries: Sequence[E],
    chat_filter: ChatFilter,
    cache: ArticleCache | None = None,
    limit: int | None = None,
    matches: TermMatches | None = None,
) -> tuple[list[E], list[E]]:
    """(kept, held back): the entries the filter lets through, in order, at most
    ``limit`` of them, and the ones it holds back. Entries after the ``limit``-th kept
    one are in neither list when they would be kept (they wait for the next digest),
    and held back when they would not. ``matches``: the terms' matches over these
    same ``entries``, kept across chats (:class:`TermMatches`)."""
    if not chat_filter:
        kept_all = list(entries)
        return (kept_all if limit is None else kept_all[:limit]), []
    kept: list[E] = []
    held: list[E] = []
    cache = cache or ArticleCache()
    if matches is not None and matches.entries is entries:
        out = matches.held(chat_filter, cache)
        if limit is None:
            return _picked(entries, set(range(len(entries))) - out), _picked(entries, out)
        for i, entry in enumerate(entries):
            if i in out:
                held.append(entry)
            elif limit is None or len(kept) < limit:
                kept.append(entry)
        return kept, held
    for entry in entries:
        if chat_filter.allows(cache.words(entry)):
            if limit is None or len(kept) < limit:
                kept.append(entry)
        else:
            held.append(entry)
    return kept, held
