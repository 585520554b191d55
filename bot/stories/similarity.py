"""Pair similarities: tf-idf vectors from the batch and their cosines inside the window."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from bot.stories.inputs import DEFAULT_SETTINGS, Settings, StoryInput
from bot.stories.text import WORD, Featurizer, prepared_texts


def tfidf_vectors(
    articles: Sequence[StoryInput], settings: Settings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tf-idf matrix as (row, column, weight) arrays, rows L2-normalised."""
    rows, cols, weights, _ = _tfidf(articles, settings)
    return rows, cols, weights


def tfidf_word_vectors(
    articles: Sequence[StoryInput], settings: Settings
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`tfidf_vectors`, and per column whether it is a word: a stem, a name or a
    number (not a character n-gram or a pair of stems)."""
    rows, cols, weights, kinds = _tfidf(articles, settings)
    return rows, cols, weights, (kinds != "c") & (kinds != "p")


Features = list[tuple[Counter[str], dict[str, float]]]


def tfidf_kind_vectors(
    articles: Sequence[StoryInput], settings: Settings, features: Features | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`tfidf_vectors` (of ``features`` when given: :func:`article_features`), and
    per column the kind of its feature: "w" a word, "c" a character n-gram, "p" a pair
    of stems, "e" a name as written, "k" a name's skeleton, "n" a score or decimal."""
    return _tfidf(articles, settings, features)


def article_features(
    articles: Sequence[StoryInput], settings: Settings, featurizer: Featurizer | None = None
) -> Features:
    """Each article's features (occurrences, and weight of each kind), from its title
    (site names stripped) and, if asked, the lede of its text."""
    featurizer = featurizer or Featurizer(settings)
    return [
        featurizer.features(article.language, text)
        for article, text in zip(articles, prepared_texts(articles, settings), strict=True)
    ]


def _tfidf(
    articles: Sequence[StoryInput], settings: Settings, features: Features | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`tfidf_vectors`, and the kind of each column (its feature's first letter:
    "c" a character n-gram, "p" a pair of stems, "w" a word, ...).

    Columns are numbered in the order features are first met. A feature in more than
    ``max_df`` of the batch (and more than ``max_df_min`` articles), or in more than
    ``max_df_count`` articles, is left out.
    """
    if features is None:
        features = article_features(articles, settings)
    columns: dict[str, int] = {}
    number = columns.setdefault
    cols_list: list[int] = []
    counts_list: list[int] = []
    kinds_list: list[float] = []
    lengths: list[int] = []
    distinct: set[frozenset[int]] = set()
    for bag, kinds in features:
        ids = [number(f, len(columns)) for f in bag]
        cols_list.extend(ids)
        counts_list.extend(bag.values())
        kinds_list.extend(map(kinds.__getitem__, bag))
        lengths.append(len(ids))
        if settings.df_distinct:
            distinct.add(frozenset(ids))
    n = len(lengths)
    if not cols_list:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, "U1")
    cols = np.asarray(cols_list, dtype=np.int64)
    rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
    if settings.df_distinct:
        # Copies of one text (syndicated wire stories) count once.
        df = np.bincount(
            np.fromiter((c for bag in distinct for c in bag), dtype=np.int64),
            minlength=len(columns),
        )
    else:
        df = np.bincount(cols, minlength=len(columns))
    limit = max(settings.max_df * n, settings.max_df_min)
    char_limit = max(settings.char_max_df * n, settings.max_df_min)
    if settings.max_df_count:
        limit = min(limit, settings.max_df_count)
        char_limit = min(char_limit, settings.max_df_count)
    column_kinds = np.asarray([f[0] for f in columns], dtype="U1")
    is_char = column_kinds == "c"
    kept = df <= np.where(is_char, char_limit, limit)
    size = max(n, settings.idf_batch)
    idf = np.log((size + 1) / (df + 1.0)) + 1.0
    counts = np.asarray(counts_list, dtype=np.float64)
    tf = 1.0 + np.log(counts) if settings.sublinear_tf else counts
    weights = np.asarray(kinds_list, dtype=np.float64) * tf * idf[cols]
    keep = kept[cols]
    rows, cols, weights = rows[keep], cols[keep], weights[keep]
    norms = np.sqrt(np.bincount(rows, weights=weights * weights, minlength=n))
    norms[norms == 0] = 1.0
    return rows, cols, weights / norms[rows], column_kinds


def hours_of(articles: Sequence[StoryInput]) -> np.ndarray:
    """Publication times in hours; an article without a date is always in the window."""
    return np.asarray(
        [a.published.timestamp() / 3600.0 if a.published is not None else np.nan for a in articles],
        dtype=np.float64,
    )


def similarity_pairs(
    articles: Sequence[StoryInput],
    settings: Settings = DEFAULT_SETTINGS,
    features: Features | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair (i < j) in the window with a similarity of at least ``min_similarity``.

    Linear in the articles: candidate pairs come from the inverted index of the
    *selective* features only (in at most ``Settings.pair_df`` articles): the entries of
    each, in time order, pair with the later ones inside the window. A pair whose
    selective features alone reach ``Settings.min_candidate`` then gets its exact cosine,
    the products of its shared common features added by lookup. So the work grows with
    the articles times ``pair_df``, not with the square of the batch, while every pair
    found has the same similarity as a full comparison would give it.
    """
    n = len(articles)
    rows, cols, weights, kinds = _tfidf(articles, settings, features)
    is_char = kinds == "c"
    if not rows.size:
        return (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    hours = hours_of(articles)
    df = np.bincount(cols)
    if settings.pair_df and int(df.max()) > settings.pair_df:
        selective = df[cols] <= settings.pair_df
        common = ~selective
        keys, sums = _shared_products(
            n, hours, rows[selective], cols[selective], weights[selective], settings
        )
        near = common & (df[cols] <= settings.near_df) if settings.near_df else common
        if not settings.near_chars:
            near = near & ~is_char[cols]
        near_keys, near_sums = _shared_products(
            n, hours, rows[near], cols[near], weights[near], settings,
            neighbours=settings.pair_neighbours,
        )  # fmt: skip
        # Candidates: selective products plus those of common features with near neighbours.
        union = _distinct(np.concatenate([keys, near_keys]))
        estimate = np.zeros(union.size)
        exact = np.zeros(union.size)
        at = np.searchsorted(union, keys)
        exact[at] = sums
        estimate[at] = sums
        estimate[np.searchsorted(union, near_keys)] += near_sums
        candidate = estimate >= settings.min_candidate
        keys = union[candidate]
        sums = exact[candidate] + _common_products(
            n, keys, rows[common], cols[common], weights[common], int(cols.max()) + 1
        )
    else:
        keys, sums = _shared_products(n, hours, rows, cols, weights, settings)
    first, second = keys // n, keys % n
    gap = np.nan_to_num(np.abs(hours[first] - hours[second]))  # no date: no distance
    if settings.half_life_hours > 0:
        sums = sums * np.exp2(-gap / settings.half_life_hours)
    if settings.linear_decay > 0:
        sums = sums * (1.0 - settings.linear_decay * gap / settings.window_hours)
    if settings.same_text:
        same = _same_text_pairs(articles, hours, settings)
        if same.size:
            at = np.minimum(np.searchsorted(keys, same), max(keys.size - 1, 0))
            found = at[keys[at] == same] if keys.size else at[:0]
            found = found[sums[found] >= settings.same_text_title]
            sums[found] = np.maximum(sums[found], 1.0)
    strong = sums >= settings.min_similarity
    first, second, sums = first[strong], second[strong], sums[strong]
    if settings.top_pairs and sums.size:
        best = _top_of(first, sums, settings.top_pairs) | _top_of(second, sums, settings.top_pairs)
        first, second, sums = first[best], second[best], sums[best]
    return first, second, sums


def _top_of(ends: np.ndarray, sims: np.ndarray, count: int) -> np.ndarray:
    """Whether each pair is among the ``count`` most similar of its article ``ends``
    (ties: the earlier pair)."""
    order = np.lexsort((np.arange(ends.size), -sims, ends))
    sorted_ends = ends[order]
    starts = np.flatnonzero(np.r_[True, sorted_ends[1:] != sorted_ends[:-1]])
    place = np.arange(ends.size) - np.repeat(starts, np.diff(np.r_[starts, ends.size]))
    chosen = np.zeros(ends.size, dtype=bool)
    chosen[order[place < count]] = True
    return chosen


def _same_text_pairs(
    articles: Sequence[StoryInput], hours: np.ndarray, settings: Settings
) -> np.ndarray:
    """Pair keys ``low * n + high`` (ascending) of articles inside the window whose texts
    are nearly the same: the 3-word runs of their first ``same_text_words`` words
    overlap by at least ``same_text`` (Jaccard). Runs found in more than
    ``same_text_max_df`` articles (a site's boilerplate) never count as shared; a text
    of fewer than ``same_text_min_words`` words is never compared."""
    runs: dict[tuple[str, ...], int] = {}
    rows: list[int] = []
    cols: list[int] = []
    sizes = np.zeros(len(articles))
    for row, article in enumerate(articles):
        words = WORD.findall(article.text.casefold())[: settings.same_text_words]
        if len(words) < settings.same_text_min_words:
            continue
        mine = {runs.setdefault(tuple(words[k : k + 3]), len(runs)) for k in range(len(words) - 2)}
        sizes[row] = len(mine)
        rows.extend([row] * len(mine))
        cols.extend(mine)
    if not rows:
        return np.zeros(0, np.int64)
    n = len(articles)
    row_array, col_array = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
    rare = np.bincount(col_array)[col_array] <= settings.same_text_max_df
    keys, shared = _shared_products(
        n, hours, row_array[rare], col_array[rare], np.ones(int(rare.sum())), settings
    )
    union = sizes[keys // n] + sizes[keys % n] - shared
    return keys[shared >= settings.same_text * union]


def _common_products(
    n: int, keys: np.ndarray, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, width: int
) -> np.ndarray:
    """For each pair key ``low * n + high``: the summed products of the two articles'
    weights on the features given (the common ones), by sorted lookup."""
    if not keys.size or not rows.size:
        return np.zeros(keys.size)
    order = np.lexsort((cols, rows))
    rows, cols, weights = rows[order], cols[order], weights[order]
    entry_keys = rows * width + cols
    starts = np.searchsorted(rows, np.arange(n + 1))
    low, high = keys // n, keys % n
    counts = starts[low + 1] - starts[low]
    totals = np.zeros(keys.size)
    step = max(1, _PAIRS_PER_SLICE // max(1, int(counts.max(initial=1))))
    for cut in range(0, keys.size, step):
        part_counts = counts[cut : cut + step]
        pair = np.repeat(np.arange(cut, cut + part_counts.size), part_counts)
        entry = (
            np.repeat(starts[low[cut : cut + step]], part_counts)
            + np.arange(pair.size)
            - np.repeat(np.cumsum(part_counts) - part_counts, part_counts)
        )
        wanted = high[pair] * width + cols[entry]
        found = np.minimum(np.searchsorted(entry_keys, wanted), entry_keys.size - 1)
        hit = entry_keys[found] == wanted
        totals[cut : cut + part_counts.size] += np.bincount(
            pair[hit] - cut,
            weights=weights[entry[hit]] * weights[found[hit]],
            minlength=part_counts.size,
        )
    return totals


def _shared_products(
    n: int,
    hours: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    weights: np.ndarray,
    settings: Settings,
    neighbours: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Pair keys ``low * n + high`` (ascending) of the articles sharing a feature inside
    the window, and the summed products of their weights on those features.

    From the inverted index: the entries of each feature, in time order, pair with the
    later ones inside the window only (with ``neighbours``: the next so many of them
    only), so the work (and memory, taken in slices of ``_PAIRS_PER_SLICE``) grows with
    the pairs inside the window, not with all pairs.
    """
    found: list[tuple[np.ndarray, np.ndarray]] = []
    if rows.size:
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
        if neighbours:
            first_stop = np.minimum(first_stop, np.arange(cols.size) + 1 + neighbours)
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
                    n, rows, weights, owner[cut:stop], range_start[cut:stop], lengths[cut:stop]
                )
            )
            cut = stop
            if sum(len(k) for k, _ in found[1:]) > max(len(found[0][0]), _PAIRS_PER_SLICE):
                found = [_merge(found, n)]  # keep memory near the number of pairs
    if not found:
        return np.zeros(0, np.int64), np.zeros(0)
    return _merge(found, n)


_PAIRS_PER_SLICE = 1 << 19


def _merge(found: list[tuple[np.ndarray, np.ndarray]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Partial sums by pair key, merged into one."""
    keys = np.concatenate([k for k, _ in found])
    return _sum_by_key(keys, np.concatenate([v for _, v in found]), n * n)


def _slice_pairs(
    n: int,
    rows: np.ndarray,
    weights: np.ndarray,
    owner: np.ndarray,
    start: np.ndarray,
    lengths: np.ndarray,
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
    return _sum_by_key(np.minimum(i, j) * n + np.maximum(i, j), products, n * n)


def _distinct(keys: np.ndarray) -> np.ndarray:
    """The distinct values, ascending (a sort: numpy's hashing unique is slower here)."""
    keys = np.sort(keys)
    return keys[np.r_[True, keys[1:] != keys[:-1]]] if keys.size else keys


_DENSE_CELLS = 1 << 20  # counting cells per pass: 8 MB of float64


def _sum_by_key(keys: np.ndarray, values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys (ascending) in ``[0, size)`` and the sum of the values of each.

    Counting into dense slices of the key range is several times faster than sorting;
    a sort takes over when the range would need too many slices.
    """
    passes = -(-size // _DENSE_CELLS)
    if passes > 16:
        order = np.argsort(keys, kind="stable")
        keys, values = keys[order], values[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if keys.size else keys
        return keys[starts], np.add.reduceat(values, starts) if keys.size else values
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
