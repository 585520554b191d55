"""Extractive summaries: pick the sentences of an article that say the most.

``summarize(text, sentences=3, language="english", title="")`` returns sentences
verbatim from the text, in document order. It runs offline: sentences come from our
own splitter (:mod:`bot.sentences`, cut further here at 。！？؟। for scripts it does
not know yet), stems and stop words from sumy.

Any language is summarized. The languages in ``SUPPORTED_LANGUAGES`` get their
stemmer and stop words; every other one (Japanese, Chinese, Russian, Arabic, ...),
and any text mostly in a non-Latin script, gets language-independent scoring: words
are letter runs as written, or character bigrams in scripts without spaces between
words (:func:`independent_words`), with no stemming and no stop words.

How sentences are chosen (:class:`PositionCentralitySummarizer`, a sumy summarizer):

1. Candidates: sentences that can stand alone. Boilerplate ("scroll down for video",
   "click here", "published:", photo credits) and fragments under six words are used
   only when nothing else is left.
2. Each sentence is a tf-idf vector over stemmed non-stop words (sumy's stemmer and
   stop words), idf counted over the article's own sentences; similarity is cosine.
3. Score = position prior x (directed centrality + 4 x title overlap) x length
   factor x quote factor: ``(i + 1) ** -0.25`` (news puts its point first), times
   the similarity to the *later* sentences minus half the similarity to the
   *earlier* ones (PacSum's idea: a sentence the rest of the article develops is
   central; one that repeats what came before is not), min-max normalised, plus
   four times the cosine similarity to the title (Edmundson's title words: the
   headline names what the article is about), times ``(words / 20) ** -0.25``
   (long sentences must earn their room), times ``1 - 0.5 x`` the share of the
   sentence inside quotation marks (a summary reports; it rarely quotes).
4. Greedy selection with a small redundancy penalty (maximal marginal relevance);
   near-duplicates of a chosen sentence (a lede repeated as a caption) are skipped.

The few settings (:class:`Settings`) are the same for every language. They were
chosen on one half of two 1,000-article dev sets (English CNN/DailyMail; French
OrangeSum, which has titles) and checked on the other half; ``bench/rouge.py``
scores them and every variant tried against Lead-3. Nothing is trained or tuned per
article.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import numpy as np
from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer
from sumy.summarizers import AbstractSummarizer
from sumy.utils import get_stop_words

from bot.errors import UnsupportedLanguage
from bot.languages import SUPPORTED_LANGUAGES, language_name, script_language
from bot.sentences import Tokenizer, clip_summary, paragraph_sentences, split_words

__all__ = [
    "DEFAULT_SETTINGS",
    "SUPPORTED_LANGUAGES",
    "PositionCentralitySummarizer",
    "Settings",
    "summarize",
    "with_settings",
]

# Sentences that are site furniture rather than news. Matched on the lower-cased text.
_BOILERPLATE = re.compile(
    r"scroll down|click here|read more\b|sign up for|subscribe to|follow (?:us|@)"
    r"|like us on facebook|all rights reserved|copyright|\bpublished\s*:|\bupdated\s*:"
    r"|^\W*(?:by|photo|photos|image|images|video|source|pictured|picture|credit)\s*:"
    r"|contributed to this report|reporting by|editing by|the views expressed"
    r"|^\W*advertisement\W*$|e-?mail to a friend|share this (?:article|story)",
)

# Photo captions as news sites write them: "(left)", "(pictured)", or a short label
# and a colon before the text ("Passed out: the child's grandmother ...").
_CAPTION = re.compile(
    r"\(\s*(?:far\s+)?(?:left|right|centre|center|pictured|above|below|top|bottom|inset"
    r"|photographed|file photo)\s*\)|^\W*(?:[\w'’-]+\s+){0,3}[\w'’-]+\s*:\s"
)

_OPENING_QUOTES = '"«“„`'
_LONE_QUOTE = re.compile(r"^[\"«»“”„`']+$")


def _starts_quote(sentences: Sequence[str], i: int) -> bool:
    """Whether sentence ``i`` opens with a quotation mark (or follows a lone one)."""
    sentence = sentences[i]
    if sentence[:1] in _OPENING_QUOTES:
        return True
    return i > 0 and bool(_LONE_QUOTE.match(sentences[i - 1]))


# Quotation marks. `` and '' are tokenized text's (CNN/DM) and „ only ever opens;
# every other mark closes an open quotation and opens one otherwise, which reads
# "…" and «…» as well as German „…“ and »…«.
_QUOTE_MARK = re.compile(r"(``|''|[\"«»“”„])")
_ALWAYS_OPENS = frozenset({"``", "„"})
# A quotation still open after this many sentences was a stray mark: forget it.
_QUOTE_SPAN = 3


def _quoted_shares(sentences: Sequence[str]) -> np.ndarray:
    """The share of each sentence's characters that is inside quotation marks.

    Quotes may span sentences (and paragraphs: pages break long quotes), so the
    state carries over from one sentence to the next, for at most _QUOTE_SPAN.
    """
    shares = np.zeros(len(sentences))
    inside, open_for = False, 0
    for i, sentence in enumerate(sentences):
        if inside:
            open_for += 1
            if open_for > _QUOTE_SPAN:
                inside = False
        parts = _QUOTE_MARK.split(sentence)
        if len(parts) == 1:  # no quotation mark: all in or all out
            shares[i] = 1.0 if inside else 0.0
            continue
        quoted = total = 0
        for j, part in enumerate(parts):
            if j % 2 == 0:
                total += len(part)
                quoted += len(part) if inside else 0
            elif part in _ALWAYS_OPENS or (not inside and part != "''"):
                inside, open_for = True, 0
            else:
                inside = False
        shares[i] = quoted / total if total else 0.0
    return shares


# Cosine similarity above which two sentences say the same thing.
_NEAR_DUPLICATE = 0.9
# Only this many leading sentences are scored: bounds time and memory (the tf-idf
# matrix is sentences x vocabulary) on book-length input; news is far shorter.
_MAX_SENTENCES = 400


@dataclass(frozen=True)
class Settings:
    """How sentences are scored and picked; the defaults are what digestbot uses.

    The non-default values exist for the variants ``bench/rouge.py`` compares.
    """

    # Sentences with fewer words than this are candidates only as a last resort.
    min_words: int = 6
    # Drop site furniture (see _BOILERPLATE) unless nothing else is left.
    drop_boilerplate: bool = True
    # Drop photo captions (see _CAPTION) unless nothing else is left.
    drop_captions: bool = False
    # Position prior (i + 1) ** -position_power, i = index among all sentences.
    position_power: float = 0.25
    # "none", "degree" (sum of similarities) or "directed" (PacSum-style).
    centrality: str = "directed"
    # Directed centrality: weight of similarity to *earlier* sentences (PacSum's
    # lambda1; negative: repeating what came before is not new) and to later ones.
    backward_weight: float = -0.5
    forward_weight: float = 1.0
    # PacSum's edge threshold: similarities below min + t x (max - min) count as 0.
    edge_threshold: float = 0.0
    # Floor added to the normalised centrality so the prior keeps a say when a
    # sentence shares no words with the rest.
    centrality_floor: float = 0.0
    # Length: multiply the score by (words / 20) ** -length_penalty, so that long
    # sentences must earn their room (ROUGE F1, like a reader, rewards brevity).
    length_penalty: float = 0.25
    # MMR: subtract this x (max similarity to a chosen sentence) when picking.
    redundancy: float = 0.15
    # Title: add title_weight x cosine(sentence, title) x position prior to the score.
    title_weight: float = 4.0
    # Whether the title term is weighted by the position prior too.
    title_with_prior: bool = True
    # Direct quotes: multiply the score by (1 - quote_penalty x quoted share), where
    # the share is the part of the sentence inside quotation marks ("share") or 1 for
    # a sentence that opens with a quotation mark ("start").
    quote_penalty: float = 0.5
    quote_rule: str = "share"


DEFAULT_SETTINGS = Settings()


@cache
def _language_tools(language: str) -> tuple[Callable[[str], str], frozenset[str]]:
    """(memoised stemmer, stop words) for a language; no-ops for unsupported ones.

    ``language`` is a name or code :func:`bot.languages.language_name` reads. A
    language without a stemmer in :data:`SUPPORTED_LANGUAGES` (Japanese, Russian,
    ...) gets language-independent scoring: words as they are, no stop words.
    Raises :class:`UnsupportedLanguage` for a name that is no language we know.
    """
    name = language_name(language)
    if name is None:
        raise UnsupportedLanguage(
            f"unsupported language {language!r}; supported: {', '.join(SUPPORTED_LANGUAGES)}"
            " (with stemming) and any other language by name or ISO code"
        )
    if name not in SUPPORTED_LANGUAGES:
        return _same, frozenset()
    stemmer = Stemmer(name)
    stop_words = frozenset(get_stop_words(name))
    cache: dict[str, str] = {}

    # Snowball stemming is the slowest step; words repeat a lot, so remember them.
    def stem(word: str) -> str:
        stemmed = cache.get(word)
        if stemmed is None:
            if len(cache) > 200_000:
                cache.clear()
            stemmed = cache[word] = stemmer(word)
        return stemmed

    return stem, stop_words


def _same(word: str) -> str:
    return word


def _normalize_language(language: str) -> str:
    return language.strip().lower()


# ------------------------------------------------------------- language-independent words

# Scripts written without spaces between words: Han, Hiragana, Katakana (with the
# prolonged sound mark and half-width forms), Thai, Lao, Khmer, Myanmar.
_SPACELESS = (
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
    "\u0e00-\u0eff\u1780-\u17ff\u1000-\u109f\U00020000-\U0003134f"
)
_SPACELESS_RUN = re.compile(f"[{_SPACELESS}]+|[^{_SPACELESS}]+")
_SPACELESS_CHAR = re.compile(f"[{_SPACELESS}]")


@cache
def _letter_run() -> re.Pattern[str]:
    """Runs of letters and combining marks (Devanagari or Thai vowel signs are marks,
    not letters, so ``[^\\W\\d_]+`` alone would cut their words apart)."""
    marks = [c for c in range(0x300, 0x10000) if unicodedata.category(chr(c))[0] == "M"]
    ranges: list[str] = []
    first = last = marks[0]
    for code in [*marks[1:], -1]:
        if code == last + 1:
            last = code
            continue
        ranges.append(f"\\u{first:04x}-\\u{last:04x}" if first != last else f"\\u{first:04x}")
        first = last = code
    return re.compile(f"(?:[^\\W\\d_]|[{''.join(ranges)}])+")


def independent_words(sentence: str) -> list[str]:
    """Words for language-independent scoring, lower-cased.

    Letter runs (with their combining marks) are words; in scripts written without
    spaces (Chinese, Japanese, Thai, ...) each pair of neighbouring characters is a
    word (character bigrams), and a lone character is a word by itself.
    """
    words: list[str] = []
    for run in _letter_run().findall(sentence.lower()):
        if not _SPACELESS_CHAR.search(run):
            words.append(run)
            continue
        for part in _SPACELESS_RUN.findall(run):
            if len(part) > 1 and _SPACELESS_CHAR.match(part):
                words.extend(part[i : i + 2] for i in range(len(part) - 1))
            else:
                words.append(part)
    return words


# ------------------------------------------------------------- sentence ends beyond Latin

# Sentence ends our splitter (bot.sentences) may not know: the ideographic full stop
# and full-width ! ?, the Arabic question mark and the Devanagari danda. A sentence
# ends after them (and after closing brackets or quotes that follow) unless a bracket
# or quote opened before is still open: 「行きます。」と言った。 is one sentence.
_EXTRA_ENDS = "。！？؟।॥"
_EXTRA_END = re.compile(f"[{_EXTRA_ENDS}]")
_BRACKETS = {
    "「": "」",
    "『": "』",
    "（": "）",
    "【": "】",
    "〈": "〉",
    "《": "》",
    "“": "”",
    "(": ")",
}
_CLOSING = frozenset(_BRACKETS.values()) | {'"', "'", "’"}


def _split_extra(sentence: str) -> list[str]:
    """``sentence`` cut after the sentence ends in _EXTRA_ENDS; verbatim, stripped slices."""
    if not _EXTRA_END.search(sentence):
        return [sentence]
    for nesting in (True, False):  # unbalanced brackets: split as if there were none
        cuts, depth, i, n = [], 0, 0, len(sentence)
        while i < n:
            char = sentence[i]
            if nesting and char in _BRACKETS:
                depth += 1
            elif nesting and char in _CLOSING and depth:
                depth -= 1
            elif char in _EXTRA_ENDS and depth == 0:
                while i + 1 < n and (sentence[i + 1] in _EXTRA_ENDS or sentence[i + 1] in _CLOSING):
                    i += 1
                cuts.append(i + 1)
            i += 1
        if depth == 0:
            break
    pieces, start = [], 0
    for cut in [*cuts, n]:
        piece = sentence[start:cut].strip()
        if piece:
            pieces.append(piece)
        start = cut
    return pieces


def _document(text: str, tokenizer: Tokenizer) -> ObjectDocumentModel:
    """sumy's document model of ``text``: our splitter's sentences, cut further at
    the sentence ends of other scripts (see _EXTRA_ENDS)."""
    extra = _EXTRA_END.search(text) is not None
    paragraphs = []
    for sentences in paragraph_sentences(text):
        if extra:
            sentences = [piece for s in sentences for piece in _split_extra(s)]
        paragraphs.append(Paragraph([Sentence(s, tokenizer) for s in sentences]))
    return ObjectDocumentModel(paragraphs)


class PositionCentralitySummarizer(AbstractSummarizer):
    """Position prior x (directed) tf-idf centrality, picked with MMR.

    A sumy summarizer: ``summarizer(document, count)`` returns sumy ``Sentence``
    objects in document order, like sumy's own LexRank or LSA summarizers.
    """

    def __init__(
        self,
        stemmer: Callable[[str], str],
        stop_words: frozenset[str],
        settings: Settings = DEFAULT_SETTINGS,
        title: str = "",
        words: Callable[[str], list[str]] = split_words,
    ) -> None:
        super().__init__(stemmer)
        self.stop_words = stop_words
        self.settings = settings
        self.title = title
        self._words = words

    def __call__(self, document: ObjectDocumentModel, sentences_count: int) -> tuple[Sentence, ...]:
        sentences = document.sentences
        chosen = self.select([str(s) for s in sentences], sentences_count, self.title)
        return tuple(sentences[i] for i in chosen)

    def select(self, sentences: Sequence[str], count: int, title: str = "") -> list[int]:
        """Indices (ascending) of the ``count`` sentences to keep."""
        n = len(sentences)
        if count <= 0:
            return []
        if n <= count:
            return list(range(n))
        if n > _MAX_SENTENCES:
            sentences, n = sentences[:_MAX_SENTENCES], _MAX_SENTENCES
        words = [self._words(s) for s in sentences]
        candidates = self._candidates(sentences, words)
        vectors, title_vector = self._vectors(words, self._words(title) if title else [])
        similarity = vectors @ vectors.T
        np.fill_diagonal(similarity, 0.0)
        scores = self._scores(similarity)
        settings = self.settings
        if settings.title_weight and title_vector is not None:
            overlap = vectors @ title_vector
            if settings.title_with_prior:
                overlap = overlap * (np.arange(n, dtype=float) + 1.0) ** -settings.position_power
            scores = scores + settings.title_weight * overlap
        if settings.length_penalty:
            lengths = np.array([max(len(w), 1) for w in words], dtype=float)
            scores = scores * (lengths / 20.0) ** -settings.length_penalty
        if settings.quote_penalty:
            if settings.quote_rule == "start":
                quoted = np.array([_starts_quote(sentences, i) for i in range(n)], dtype=float)
            else:
                quoted = _quoted_shares(sentences)
            scores = scores * (1.0 - settings.quote_penalty * quoted)
        order = self._pick(scores, similarity, candidates, count)
        if len(order) < count:
            # Not enough stand-alone sentences: fill up with the best of the rest,
            # near-duplicates included, so that ``count`` sentences come back.
            taken = set(order)
            rest = [i for i in range(n) if i not in taken]
            order += self._pick(scores, similarity, rest, count - len(order), order, True)
        return sorted(order)

    def _candidates(self, sentences: Sequence[str], words: list[list[str]]) -> list[int]:
        settings = self.settings
        keep = []
        for i, (sentence, sentence_words) in enumerate(zip(sentences, words, strict=True)):
            if len(sentence_words) < settings.min_words:
                continue
            lowered = sentence.lower()
            if settings.drop_boilerplate and _BOILERPLATE.search(lowered):
                continue
            if settings.drop_captions and _CAPTION.search(lowered):
                continue
            keep.append(i)
        return keep

    def _vectors(
        self, words: list[list[str]], title: list[str]
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Unit tf-idf vectors of the sentences (idf over them) and of the title."""
        n = len(words)
        stop_words = self.stop_words
        stem = self._stemmer
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        columns: list[int] = []
        for i, sentence_words in enumerate(words):
            for word in sentence_words:
                lowered = word.lower()
                if lowered in stop_words:
                    continue
                term = vocabulary.setdefault(stem(lowered), len(vocabulary))
                rows.append(i)
                columns.append(term)
        size = len(vocabulary)
        if size == 0:
            return np.zeros((n, 1)), None
        flat = np.asarray(rows, dtype=np.int64) * size + np.asarray(columns, dtype=np.int64)
        counts = np.bincount(flat, minlength=n * size).reshape(n, size).astype(float)
        document_frequency = np.count_nonzero(counts, axis=0)
        idf = np.log(n / document_frequency) + 1.0
        vectors = np.log1p(counts) * idf
        norms = np.linalg.norm(vectors, axis=1)
        norms[norms == 0] = 1.0
        vectors /= norms[:, None]
        title_vector = None
        if title:
            title_counts = np.zeros(size)
            for word in title:
                lowered = word.lower()
                if lowered not in stop_words:
                    column = vocabulary.get(stem(lowered))
                    if column is not None:
                        title_counts[column] += 1.0
            norm = np.linalg.norm(title_counts * idf)
            if norm > 0:
                title_vector = np.log1p(title_counts) * idf
                title_vector /= np.linalg.norm(title_vector)
        return vectors, title_vector

    def _scores(self, similarity: np.ndarray) -> np.ndarray:
        settings = self.settings
        n = similarity.shape[0]
        positions = np.arange(n, dtype=float)
        prior = (positions + 1.0) ** -settings.position_power
        if settings.centrality == "none":
            return prior
        if settings.edge_threshold:
            low, high = similarity.min(), similarity.max()
            cut = low + settings.edge_threshold * (high - low)
            similarity = np.where(similarity > cut, similarity - cut, 0.0)
        if settings.centrality == "degree":
            centrality = similarity.sum(axis=1)
        elif settings.centrality == "directed":
            later = np.triu(similarity, 1).sum(axis=1)
            earlier = np.tril(similarity, -1).sum(axis=1)
            centrality = settings.forward_weight * later + settings.backward_weight * earlier
        else:
            raise ValueError(f"unknown centrality {settings.centrality!r}")
        low, high = centrality.min(), centrality.max()
        spread = high - low
        normalised = (centrality - low) / spread if spread > 0 else np.zeros(n)
        return prior * (settings.centrality_floor + normalised)

    def _pick(
        self,
        scores: np.ndarray,
        similarity: np.ndarray,
        pool: Sequence[int],
        count: int,
        already: Sequence[int] = (),
        duplicates: bool = False,
    ) -> list[int]:
        """Greedy MMR: best score minus redundancy x closeness to what is chosen.

        Near-duplicates of a chosen sentence (news sites repeat the lede as a photo
        caption) are skipped unless ``duplicates`` is true.
        """
        chosen: list[int] = []
        pool = list(pool)
        weight = self.settings.redundancy
        top = float(scores.max()) if scores.size else 1.0
        top = top if top > 0 else 1.0
        while pool and len(chosen) < count:
            picked = [*already, *chosen]
            best, best_value = None, -math.inf
            for i in pool:
                value = scores[i] / top
                if picked:
                    closest = float(similarity[i, picked].max())
                    if closest >= _NEAR_DUPLICATE and not duplicates:
                        continue
                    value -= weight * closest
                if value > best_value:
                    best, best_value = i, value
            if best is None:
                break
            chosen.append(best)
            pool.remove(best)
        return chosen


def summarize(
    text: str,
    sentences: int = 3,
    language: str = "english",
    settings: Settings | None = None,
    *,
    title: str = "",
) -> list[str]:
    """The ``sentences`` most telling sentences of ``text``, verbatim, in document order.

    Paragraphs are separated by blank lines; a sentence never spans two. Fewer
    sentences in the text than asked gives all of them; empty text gives ``[]``.
    ``title`` (optional) is the article's headline: sentences that share its words
    score higher.

    ``language`` is a name or ISO code ("french", "fr", "ja-JP"). The languages in
    :data:`SUPPORTED_LANGUAGES` are scored with their stemmer and stop words; any
    other language, and any text mostly in a non-Latin script whatever ``language``
    says, with language-independent scoring (see :func:`independent_words`).
    Raises :class:`bot.errors.UnsupportedLanguage` for a name that is no language
    (:func:`bot.languages.language_name` returns ``None``).
    """
    stem, stop_words = _language_tools(_normalize_language(language))  # validates first
    if not text.strip() or sentences <= 0:
        return []
    words: Callable[[str], list[str]] = split_words
    if stop_words and script_language(text) is not None:
        stem, stop_words = _same, frozenset()  # e.g. Japanese text, language "english"
    if not stop_words:
        words = independent_words
    summarizer = PositionCentralitySummarizer(
        stem, stop_words, settings or DEFAULT_SETTINGS, title, words
    )
    document = _document(text, Tokenizer(_normalize_language(language)))
    return clip_summary([str(sentence) for sentence in summarizer(document, sentences)])


def with_settings(**changes: Any) -> Settings:
    """DEFAULT_SETTINGS with some fields changed (for benchmarks and experiments)."""
    return replace(DEFAULT_SETTINGS, **changes)
