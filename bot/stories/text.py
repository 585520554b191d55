"""Titles to features: site names stripped, words stemmed and folded, n-grams, weights."""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence

from anyascii import anyascii

from bot.stories.inputs import Settings, StoryInput

_STEMMER_LANGUAGES = {
    "ar": "arabic",
    "da": "danish",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nl": "dutch",
    "no": "norwegian",
    "nb": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
}
# sumy's stop-word lists by ISO code (no list for Russian or Slovenian, for example).
_STOP_LANGUAGES = {"cs": "czech", "el": "greek", "he": "hebrew", "pl": "polish", "sk": "slovak"}
_STOP_LANGUAGES |= {"uk": "ukrainian", "it": "italian", "sv": "swedish"}
_STOP_LANGUAGES |= {c: _STEMMER_LANGUAGES[c] for c in ("ar", "de", "en", "es", "fr", "pt")}
_SEPARATORS = re.compile(r"\s+[-|–—·:]{1,2}\s+|\s*\|\s*")
WORD = re.compile(r"\w+", re.UNICODE)  # a word, in any script


def _language_name(language: str, names: dict[str, str]) -> str | None:
    """The name for an ISO code ("pt", "pt-BR") or a name ("portuguese"), if listed."""
    code = language.strip().lower().replace("_", "-").split("-")[0]
    name = names.get(code) if len(code) <= 3 else code
    return name if name in names.values() else None


def _stemmer_for(language: str) -> Callable[[str], str] | None:
    name = _language_name(language, _STEMMER_LANGUAGES)
    if name is None:
        return None
    from nltk.stem.snowball import SnowballStemmer  # code only: no data download

    return SnowballStemmer(name).stem


@functools.cache
def _stop_words(language: str) -> frozenset[str]:
    """sumy's stop words of the language (shipped with the package), or none."""
    name = _language_name(language, _STOP_LANGUAGES)
    if name is None:
        return frozenset()
    from sumy.utils import get_stop_words

    try:
        return frozenset(get_stop_words(name))
    except LookupError:
        return frozenset()


def _fold(word: str) -> str:
    """Lower case without accents or other combining marks ("Tóquio" -> "toquio")."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Spellings of one sound across Latin transliterations, longest first: "Дончич" is
# "Donchich" in anyascii, "Dončić" is "doncic" folded; both become "dnkk".
_SOUNDS = re.compile(r"shch|dzh|tch|sch|kh|ch|ck|ts|tz|cz|sh|zh|dj|ph|th|[^a-z]")
_SOUND_OF = {
    "shch": "s", "dzh": "j", "tch": "k", "sch": "s", "kh": "", "ch": "k", "ck": "k",
    "ts": "k", "tz": "k", "cz": "k", "sh": "s", "zh": "j", "dj": "j", "ph": "f", "th": "t",
}  # fmt: skip
_LETTER_OF = str.maketrans("cqzxw", "kkskv", "aeiouyh")
_REPEATS = re.compile(r"(.)\1+")
SCORE = re.compile(r"(?<![\w.,:])(\d{1,3})\s?[-–:]\s?(\d{1,3})(?![\w.,:]|[-–:]\d)")
DECIMAL = re.compile(r"(?<![\w.,])(\d{1,3})[.,](\d{1,3})(?![\w]|[.,]\d)")


def name_key(word: str) -> str:
    """The consonant skeleton of a word in any script: transliterated to Latin letters
    (anyascii), spellings of one sound made one letter ("ch", "c", "k", "ts" are "k";
    "sh" and "z" are "s"), vowels, "h" and repeated letters dropped. A name written in
    two scripts or languages often keeps its skeleton: "Biles", "Байлз" and "بايلز" are
    all "bls"; "Doncic" and "Дончич" are "dnkk"."""
    ascii_word = anyascii(word).lower()
    sounds = _SOUNDS.sub(lambda m: _SOUND_OF.get(m.group(), ""), ascii_word)
    return _REPEATS.sub(r"\1", sounds.translate(_LETTER_OF))


def scores(text: str) -> list[str]:
    """The scores and decimal numbers of a text, written one way: "86-69", "86:69" and
    "86 – 69" are "86-69", a score read either way round ("69-86") too; "9.8" and "9,8"
    are "9.8". Shared by reports of one result in any language."""
    found = []
    for match in SCORE.finditer(text):
        high, low = sorted((match.group(1), match.group(2)), key=int, reverse=True)
        found.append(f"{high}-{low}")
    found.extend(f"{m.group(1)}.{m.group(2)}" for m in DECIMAL.finditer(text))
    return found


def _segments(title: str) -> list[str]:
    return [s.strip() for s in _SEPARATORS.split(title) if s.strip()]


def strip_site_names(titles: Sequence[str], min_titles: int = 3) -> list[str]:
    """The titles without leading or trailing site names.

    A segment (text between " - ", " | " and the like) at either end of a title is a
    site name when the same segment (case-insensitively) ends or starts at least
    ``min_titles`` titles whose other segments differ. The longest segment of a title
    (the headline) always stays.
    """
    split = [_segments(t) for t in titles]
    seen: dict[str, set[str]] = {}
    for parts in split:
        if len(parts) < 2:
            continue
        for index in (0, len(parts) - 1):
            rest = " ".join(p for i, p in enumerate(parts) if i != index).casefold()
            seen.setdefault(parts[index].casefold(), set()).add(rest)
    sites = {segment for segment, rests in seen.items() if len(rests) >= min_titles}
    result = []
    for title, parts in zip(titles, split, strict=True):
        if len(parts) < 2:
            result.append(title.strip())
            continue
        keep = max(range(len(parts)), key=lambda i: len(parts[i]))
        start, end = 0, len(parts)
        while start < keep and parts[start].casefold() in sites:
            start += 1
        while end - 1 > keep and parts[end - 1].casefold() in sites:
            end -= 1
        result.append(" - ".join(parts[start:end]))
    return result


def _is_entity(word: str, position: int, title_case: bool) -> bool:
    if word.isdigit() or any(c.isdigit() for c in word):
        return True
    return not title_case and position > 0 and word[:1].isupper()


class Featurizer:
    """Turns one text into its features and their weights, caching work per word."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stemmers: dict[str, Callable[[str], str] | None] = {}
        self._cache: dict[tuple[str, str], tuple[str, ...]] = {}
        self._keys: dict[str, str] = {}

    def _word(self, language: str, lower: str) -> tuple[str, ...]:
        """The word's stem feature followed by its character n-gram features."""
        s = self.settings
        if s.stop_words and lower in _stop_words(language):
            return ()
        if language not in self._stemmers:
            self._stemmers[language] = _stemmer_for(language) if s.stem else None
        stemmer = self._stemmers[language]
        stem = lower if stemmer is None else stemmer(lower)
        if s.fold_accents:
            stem, lower = _fold(stem), _fold(lower)
        found = ["w:" + stem]
        if s.char_n:
            padded = f" {lower} "
            n = s.char_n
            found.extend("c:" + padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
        return tuple(found)

    def features(self, language: str, text: str) -> tuple[Counter[str], dict[str, float]]:
        """Occurrences of each feature, and its weight (words, entities, n-grams)."""
        s = self.settings
        words = WORD.findall(text)
        letters = [w for w in words if w[:1].isalpha()]
        title_case = bool(letters) and sum(w[:1].isupper() for w in letters) > 0.6 * len(letters)
        counts: Counter[str] = Counter()
        weights: dict[str, float] = {}
        stems: list[str] = []  # the word features in order, stop words left out
        cache = self._cache
        for position, word in enumerate(words):
            lower = word.lower()
            key = (language, lower)
            found = cache.get(key)
            if found is None:
                found = cache[key] = self._word(language, lower)
            weight = s.word_weight
            entity = _is_entity(word, position, title_case)
            if s.key_weight and (entity or s.key_all_words) and not word.isdigit():
                skeleton = self._keys.get(lower)
                if skeleton is None:
                    skeleton = self._keys[lower] = name_key(lower)
                if len(skeleton) >= s.key_min:
                    counts["k:" + skeleton] += 1
                    weights["k:" + skeleton] = s.key_weight
            if entity:
                weight *= s.entity_boost
                if s.entity_weight:
                    # The unstemmed name, the same in every language ("Biles").
                    name = "e:" + (_fold(lower) if s.fold_accents else lower)
                    counts[name] += 1
                    weights[name] = s.entity_weight
            if not found:
                continue
            counts.update(found)
            stems.append(found[0])
            if weights.get(found[0], 0.0) < weight:
                weights[found[0]] = weight
        if s.score_weight:
            for score in scores(text):
                counts["n:" + score] += 1
                weights["n:" + score] = s.score_weight
        for feature in counts:
            if feature[0] == "c":
                weights[feature] = s.char_weight
        for left, right in itertools.pairwise(stems) if s.pair_weight else ():
            pair = "p:" + left[2:] + " " + right[2:]
            counts[pair] += 1
            weights[pair] = s.pair_weight
        return counts, weights


def prepared_texts(articles: Sequence[StoryInput], settings: Settings) -> list[str]:
    titles = [a.title or "" for a in articles]
    if settings.strip_sites:
        titles = strip_site_names(titles, settings.site_min_titles)
    texts = []
    for article, title in zip(articles, titles, strict=True):
        if article.source:
            parts = _segments(title)
            if len(parts) > 1 and parts[-1].casefold() == article.source.casefold():
                title = " - ".join(parts[:-1])
        if settings.lede_words and article.text:
            title += " " + " ".join(article.text.split()[: settings.lede_words])
        texts.append(title)
    return texts
