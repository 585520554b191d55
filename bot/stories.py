"""Stories: which articles tell the same story, and the clearest way to show each story.

Pure: plain data in (``StoryInput``), plain groups out; no Telegram, scheduler or store.
Offline and model-free. Site names ("... - SAPO Desporto", "Visão | ...") go first: a
leading or trailing title segment that recurs in the batch before different headlines is
a site name, not news. Each title (plus the lede of the text, if asked) then becomes a
tf-idf vector, idf from the batch itself, of: stemmed, accent-folded words (Snowball
stemmers where the language has one, a Unicode word split otherwise; names and numbers
weigh double), pairs of neighbouring stems, and character 4-grams of the words (which
also match a name across languages). Two articles are as similar as the cosine of their
vectors, scaled down linearly to half at ``Settings.window_hours`` apart, and not at
all beyond. Groups grow by agglomeration: the two closest groups merge while the cosine
of their summed vectors ("centroid" link) reaches ``Settings.threshold`` and the merged
group spans at most the window. ``bench/stories.py`` measures it and every variant.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np

from bot.errors import DigestbotError

__all__ = [
    "DEFAULT_SETTINGS",
    "Settings",
    "StoryInput",
    "clearest",
    "group_pairs",
    "group_stories",
    "similarity_pairs",
    "story_input",
    "strip_site_names",
    "with_settings",
]


@dataclass(frozen=True)
class StoryInput:
    """What grouping needs to know of one article."""

    id: str | int
    language: str
    title: str
    text: str = ""
    published: datetime | None = None
    source: str = ""


@dataclass(frozen=True)
class Settings:
    """The knobs of the grouping; ``DEFAULT_SETTINGS`` are the tuned ones."""

    threshold: float = 0.44
    linkage: str = "centroid"  # "average", "centroid", "single" or "complete"
    window_hours: float = 48.0
    strip_sites: bool = True
    site_min_titles: int = 3  # a segment recurring before this many headlines is a site
    stem: bool = True
    fold_accents: bool = True
    word_weight: float = 1.0
    char_n: int = 4  # 0: no character n-grams
    char_weight: float = 0.5
    entity_boost: float = 2.0  # weight of capitalised words and numbers (1: no boost)
    stop_words: bool = False  # drop sumy's stop words where it has a list
    idf_batch: int = 0  # compute idf as if the batch held at least this many articles
    df_distinct: bool = False  # document frequency over distinct texts only
    pair_weight: float = 0.5  # weight of pairs of neighbouring stems (0: none)
    entity_weight: float = 0.0  # weight of an extra unstemmed feature per entity (0: none)
    lede_words: int = 0  # words of the text added to the title (0: title only)
    sublinear_tf: bool = True
    max_df: float = 0.1  # features in more than this share of the batch are ignored
    char_max_df: float = 0.1  # the same for character n-grams
    max_df_min: int = 10  # ... but only features in more than this many articles
    min_similarity: float = 0.05  # smaller pair similarities count as 0
    min_average: float = 0.0  # "centroid": merge only groups with this mean pair similarity
    half_life_hours: float = 0.0  # similarity halves per this many hours apart (0: no decay)
    linear_decay: float = 0.5  # or: similarity falls by this share from 0 h to the window


DEFAULT_SETTINGS = Settings()


def story_input(record: object, where: str = "article") -> StoryInput:
    """One JSON object (``id``, ``language``, ``title``, ``text``, ``published``) as input.

    ``published`` is an ISO 8601 time ("2021-07-25T00:14:00Z"; without a zone, UTC) or
    null; ``text`` and ``language`` may be missing. Raises ``DigestbotError`` naming
    ``where`` and the field when the record cannot be used.
    """
    if not isinstance(record, dict):
        raise DigestbotError(f"{where}: not a JSON object")
    ident = record.get("id")
    if isinstance(ident, bool) or not isinstance(ident, str | int) or ident == "":
        raise DigestbotError(f"{where}: 'id' must be a non-empty string or a number")
    fields = {}
    for name in ("language", "title", "text", "source"):
        value = record.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise DigestbotError(f"{where}: {name!r} must be a string")
        fields[name] = value
    if not fields["title"].strip() and not fields["text"].strip():
        raise DigestbotError(f"{where}: no 'title' and no 'text'")
    published = record.get("published")
    when = None
    if published not in (None, ""):
        if not isinstance(published, str):
            raise DigestbotError(f"{where}: 'published' must be an ISO 8601 time")
        try:
            when = datetime.fromisoformat(published.strip().replace("Z", "+00:00"))
        except ValueError:
            raise DigestbotError(
                f"{where}: 'published' is not an ISO 8601 time: {published!r}"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    return StoryInput(id=ident, published=when, **fields)


def with_settings(**changes: object) -> Settings:
    """The default settings with some changed (for benchmarks and tests)."""
    return replace(DEFAULT_SETTINGS, **changes)  # type: ignore[arg-type]


# -- text ---------------------------------------------------------------------

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
_WORD = re.compile(r"\w+", re.UNICODE)


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


class _Featurizer:
    """Turns one text into its features and their weights, caching work per word."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stemmers: dict[str, Callable[[str], str] | None] = {}
        self._cache: dict[tuple[str, str], tuple[str, ...]] = {}

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
        words = _WORD.findall(text)
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
            if _is_entity(word, position, title_case):
                weight *= s.entity_boost
                if s.entity_weight:
                    # The unstemmed name, the same in every language ("Biles").
                    entity = "e:" + (_fold(lower) if s.fold_accents else lower)
                    counts[entity] += 1
                    weights[entity] = s.entity_weight
            if not found:
                continue
            counts.update(found)
            stems.append(found[0])
            if weights.get(found[0], 0.0) < weight:
                weights[found[0]] = weight
        for feature in counts:
            if feature[0] == "c":
                weights[feature] = s.char_weight
        for left, right in itertools.pairwise(stems) if s.pair_weight else ():
            pair = "p:" + left[2:] + " " + right[2:]
            counts[pair] += 1
            weights[pair] = s.pair_weight
        return counts, weights


def _texts(articles: Sequence[StoryInput], settings: Settings) -> list[str]:
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


# -- similarity -----------------------------------------------------------------


def _vectors(
    articles: Sequence[StoryInput], settings: Settings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tf-idf matrix as (row, column, weight) arrays, rows L2-normalised."""
    featurizer = _Featurizer(settings)
    bags = [
        featurizer.features(a.language, text)
        for a, text in zip(articles, _texts(articles, settings), strict=True)
    ]
    n = len(bags)
    df: Counter[str] = Counter()
    if settings.df_distinct:
        # Copies of one text (syndicated wire stories) count once.
        for bag in {frozenset(bag) for bag, _ in bags}:
            df.update(bag)
    else:
        for bag, _ in bags:
            df.update(bag.keys())
    limit = max(settings.max_df * n, settings.max_df_min)
    char_limit = max(settings.char_max_df * n, settings.max_df_min)
    columns = {
        f: i
        for i, f in enumerate(
            sorted(f for f, d in df.items() if d <= (char_limit if f[0] == "c" else limit))
        )
    }
    rows: list[int] = []
    cols: list[int] = []
    weights: list[float] = []
    size = max(n, settings.idf_batch)
    idf = {f: math.log((size + 1) / (df[f] + 1)) + 1.0 for f in columns}
    for row, (bag, kinds) in enumerate(bags):
        entries = []
        for feature, count in bag.items():
            column = columns.get(feature)
            if column is None:
                continue
            tf = 1.0 + math.log(count) if settings.sublinear_tf else float(count)
            entries.append((column, kinds[feature] * tf * idf[feature]))
        norm = math.sqrt(sum(w * w for _, w in entries)) or 1.0
        for column, weight in entries:
            rows.append(row)
            cols.append(column)
            weights.append(weight / norm)
    return (
        np.asarray(rows, dtype=np.int64),
        np.asarray(cols, dtype=np.int64),
        np.asarray(weights, dtype=np.float64),
    )


def _hours(articles: Sequence[StoryInput]) -> np.ndarray:
    """Publication times in hours; an article without a date is always in the window."""
    return np.asarray(
        [a.published.timestamp() / 3600.0 if a.published is not None else np.nan for a in articles],
        dtype=np.float64,
    )


def similarity_pairs(
    articles: Sequence[StoryInput], settings: Settings = DEFAULT_SETTINGS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair (i < j) in the window with a similarity of at least ``min_similarity``.

    From the inverted index: the entries of each feature, in time order, pair with the
    later ones inside the window only, so the work (and memory, taken in slices of
    ``_PAIRS_PER_SLICE``) grows with the pairs inside the window, not with all pairs.
    """
    n = len(articles)
    rows, cols, weights = _vectors(articles, settings)
    found: list[tuple[np.ndarray, np.ndarray]] = []
    if rows.size:
        hours = _hours(articles)
        window = settings.window_hours
        dated = ~np.isnan(hours)
        low = float(hours[dated].min()) if dated.any() else 0.0
        # Sort by feature, then time; undated entries go last in their feature's run.
        band = float(np.nanmax(hours) - low if dated.any() else 0.0) + 2 * window + 2
        offset = np.where(dated, hours - low, band - window - 1)[rows]
        order = np.lexsort((rows, offset, cols))
        rows, cols, weights, offset = rows[order], cols[order], weights[order], offset[order]
        key = cols * band + offset
        starts = np.flatnonzero(np.r_[True, cols[1:] != cols[:-1]])
        run_end = np.repeat(np.r_[starts[1:], cols.size], np.diff(np.r_[starts, cols.size]))
        entry_dated = dated[rows]
        # First partner range: later entries up to the window's end (dated) or the
        # run's end (undated). Second: the run's undated entries, for a dated entry.
        first_stop = np.where(entry_dated, np.searchsorted(key, key + window, "right"), run_end)
        undated_start = np.searchsorted(key, cols * band + (band - window - 1), "left")
        range_start = np.r_[np.arange(cols.size) + 1, np.maximum(undated_start, first_stop)]
        range_stop = np.r_[first_stop, np.where(entry_dated, run_end, 0)]
        lengths = np.maximum(range_stop - range_start, 0)
        owner = np.r_[np.arange(cols.size), np.arange(cols.size)]
        keep = lengths > 0
        range_start, lengths, owner = range_start[keep], lengths[keep], owner[keep]
        bounds = np.cumsum(lengths)
        cut = 0
        while cut < lengths.size:
            stop = int(np.searchsorted(bounds, bounds[cut] - lengths[cut] + _PAIRS_PER_SLICE))
            stop = max(stop, cut + 1)
            found.append(
                _slice_pairs(
                    n, hours, rows, weights, owner[cut:stop], range_start[cut:stop],
                    lengths[cut:stop], settings,
                )
            )  # fmt: skip
            cut = stop
            if sum(len(k) for k, _ in found[1:]) > max(len(found[0][0]), _PAIRS_PER_SLICE):
                found = [_merge(found, n)]  # keep memory near the number of pairs
    if not found:
        return (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    keys, sums = _merge(found, n)
    strong = sums >= settings.min_similarity
    keys, sums = keys[strong], sums[strong]
    return keys // n, keys % n, sums


_PAIRS_PER_SLICE = 1 << 19


def _merge(found: list[tuple[np.ndarray, np.ndarray]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Partial sums by pair key, merged into one."""
    keys = np.concatenate([k for k, _ in found])
    return _sum_by_key(keys, np.concatenate([v for _, v in found]), n * n)


def _slice_pairs(
    n: int,
    hours: np.ndarray,
    rows: np.ndarray,
    weights: np.ndarray,
    owner: np.ndarray,
    start: np.ndarray,
    lengths: np.ndarray,
    settings: Settings,
) -> tuple[np.ndarray, np.ndarray]:
    """The summed products of one slice of partner ranges, by pair key ``low * n + high``."""
    total = int(lengths.sum())
    first = np.repeat(owner, lengths)
    second = (
        np.repeat(start, lengths)
        + np.arange(total)
        - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    i, j = rows[first], rows[second]
    products = weights[first] * weights[second]
    gap = np.nan_to_num(np.abs(hours[i] - hours[j]))  # no date: no distance
    if settings.half_life_hours > 0:
        products = products * np.exp2(-gap / settings.half_life_hours)
    if settings.linear_decay > 0:
        products = products * (1.0 - settings.linear_decay * gap / settings.window_hours)
    return _sum_by_key(np.minimum(i, j) * n + np.maximum(i, j), products, n * n)


_DENSE_CELLS = 1 << 20  # counting cells per pass: 8 MB of float64


def _sum_by_key(keys: np.ndarray, values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys (ascending) in ``[0, size)`` and the sum of the values of each.

    Counting into dense slices of the key range is several times faster than sorting;
    a sort takes over when the range would need too many slices.
    """
    passes = -(-size // _DENSE_CELLS)
    if passes > 16:
        unique, inverse = np.unique(keys, return_inverse=True)
        return unique, np.bincount(inverse, weights=values)
    found_keys, found_sums = [], []
    for start in range(0, size, _DENSE_CELLS):
        if passes == 1:
            part_keys, part_values = keys, values
        else:
            inside = (keys >= start) & (keys < start + _DENSE_CELLS)
            part_keys, part_values = keys[inside], values[inside]
        counted = np.bincount(
            part_keys - start, weights=part_values, minlength=min(_DENSE_CELLS, size - start)
        )
        present = np.flatnonzero(
            np.bincount(part_keys - start, minlength=min(_DENSE_CELLS, size - start))
        )
        found_keys.append(present + start)
        found_sums.append(counted[present])
    return np.concatenate(found_keys), np.concatenate(found_sums)


# -- grouping -------------------------------------------------------------------


def group_stories(
    articles: Sequence[StoryInput], settings: Settings = DEFAULT_SETTINGS
) -> list[int]:
    """The story of each article: the index (in ``articles``) of its story's first article.

    Articles of one story share the number; an article alone is its own story. The
    result depends only on the articles and their order, never on chance.
    """
    if not articles:
        return []
    return group_pairs(articles, similarity_pairs(articles, settings), settings)


def group_pairs(
    articles: Sequence[StoryInput],
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
    settings: Settings = DEFAULT_SETTINGS,
) -> list[int]:
    """``group_stories`` given ``similarity_pairs`` (to try many thresholds on one batch)."""
    return _cluster(_hours(articles), pairs, settings)


def _cluster(
    hours: np.ndarray, pairs: tuple[np.ndarray, np.ndarray, np.ndarray], settings: Settings
) -> list[int]:
    """Agglomerate articles (given their pair similarities) into stories.

    Repeatedly merges the two most similar groups while their link reaches the
    threshold and the merged group spans at most the window. ``links[a][b]`` holds the
    sum of the pair similarities between groups a and b ("average", "centroid"), their
    maximum ("single") or minimum ("complete", with ``counts`` telling whether every
    pair is known: an unknown pair is below ``min_similarity``).
    """
    n = len(hours)
    linkage = settings.linkage
    if linkage not in ("average", "centroid", "single", "complete"):
        raise ValueError(f"unknown linkage: {linkage!r}")
    threshold, window, min_average = settings.threshold, settings.window_hours, settings.min_average
    summed = linkage in ("average", "centroid")
    first, second, sims = (x.tolist() for x in pairs)
    times = [None if math.isnan(h) else float(h) for h in hours.tolist()]
    spans: dict[int, tuple[float, float] | None] = {
        k: None if t is None else (t, t) for k, t in enumerate(times)
    }
    size = dict.fromkeys(range(n), 1)
    parent = list(range(n))
    inner = dict.fromkeys(range(n), 1.0)  # squared length of the group's summed vectors
    links: dict[int, dict[int, float]] = {k: {} for k in range(n)}
    counts: dict[int, dict[int, int]] = {k: {} for k in range(n)} if linkage == "complete" else {}
    for a, b, s in zip(first, second, sims, strict=True):
        links[a][b] = links[b][a] = s
        if counts:
            counts[a][b] = counts[b][a] = 1

    def score(a: int, b: int, total: float) -> float:
        if linkage == "average":
            return total / (size[a] * size[b])
        if linkage == "centroid":
            if total < min_average * size[a] * size[b]:
                return 0.0
            return total / math.sqrt(inner[a] * inner[b])
        if linkage == "complete" and counts[a][b] < size[a] * size[b]:
            return 0.0
        return total

    heap = [(-s, a, b) for a, b, s in zip(first, second, sims, strict=True) if s >= threshold]
    heapq.heapify(heap)
    while heap:
        negative, a, b = heapq.heappop(heap)
        if a not in size or b not in size:
            continue
        total = links[a].get(b)
        if total is None or score(a, b, total) != -negative:
            continue  # stale: one of the groups changed since this entry was pushed
        span_a, span_b = spans[a], spans[b]
        if span_a is None or span_b is None:
            span = span_a or span_b
        else:
            span = (min(span_a[0], span_b[0]), max(span_a[1], span_b[1]))
            if span[1] - span[0] > window:
                continue
        if size[a] < size[b]:
            a, b = b, a  # merge the smaller group into the larger
        parent[b] = a
        spans[a] = span
        del spans[b]
        inner[a] += inner.pop(b) + 2.0 * total
        size[a] += size.pop(b)
        mine = links[a]
        del mine[b]
        theirs = links.pop(b)
        del theirs[a]
        for other, value in theirs.items():
            far = links[other]
            del far[b]
            if summed:
                joined = mine.get(other, 0.0) + value
            elif linkage == "single":
                joined = max(mine.get(other, 0.0), value)
            else:
                joined = min(mine.get(other, value), value)
            mine[other] = far[a] = joined
        if counts:
            mine_counts = counts[a]
            del mine_counts[b]
            for other, count in counts.pop(b).items():
                if other != a:
                    del counts[other][b]
                    mine_counts[other] = counts[other][a] = mine_counts.get(other, 0) + count
        for other, value in mine.items():
            linked = score(a, other, value)
            if linked >= threshold:
                heapq.heappush(heap, (-linked, min(a, other), max(a, other)))
    roots = []
    for k in range(n):
        root = k
        while parent[root] != root:
            root = parent[root]
        while parent[k] != root:
            parent[k], k = root, parent[k]
        roots.append(root)
    leader: dict[int, int] = {}
    for k, root in enumerate(roots):
        leader.setdefault(root, k)  # the first article of the group, in input order
    return [leader[root] for root in roots]


# -- presentation -----------------------------------------------------------------


def clearest(articles: Sequence[StoryInput], settings: Settings = DEFAULT_SETTINGS) -> int:
    """The index of the article that shows a story best.

    The article whose (site-stripped) title is most similar to the others' on average,
    preferring one with a text, then a title of a plain length (no all-caps shouting,
    not a fragment), then the earliest. For one article, 0.
    """
    if not articles:
        raise ValueError("a story has at least one article")
    if len(articles) == 1:
        return 0
    titles = _texts(articles, replace(settings, lede_words=0, site_min_titles=2))
    rows, cols, weights = _vectors(
        [replace(a, title=t, text="") for a, t in zip(articles, titles, strict=True)],
        replace(settings, max_df=1.0, strip_sites=False, lede_words=0),
    )
    matrix = np.zeros((len(articles), int(cols.max()) + 1 if cols.size else 1))
    matrix[rows, cols] = weights
    centrality = (matrix @ matrix.T).sum(axis=1)

    def key(k: int) -> tuple[float, ...]:
        words = len(titles[k].split())
        plain = 1.0 if 5 <= words <= 16 and not titles[k].isupper() else 0.0
        has_text = 1.0 if articles[k].text.strip() else 0.0
        return (has_text, plain, round(float(centrality[k]), 9), -k)

    return max(range(len(articles)), key=key)
