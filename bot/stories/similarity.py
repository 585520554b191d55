"""Pair similarities: tf-idf vectors from the batch and their cosines inside the window."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from bot.stories.inputs import DEFAULT_SETTINGS, Settings, StoryInput
from bot.stories.text import Featurizer, prepared_texts


def tfidf_vectors(
    articles: Sequence[StoryInput], settings: Settings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tf-idf matrix as (row, column, weight) arrays, rows L2-normalised."""
    featurizer = Featurizer(settings)
    bags = [
        featurizer.features(a.language, text)
        for a, text in zip(articles, prepared_texts(articles, settings), strict=True)
    ]
    n = len(bags)
    df: Counter[str] = Counter()
    if settings.df_distinct:
        # Copies of one text (syndicated wire stories) count once.
        for distinct in {frozenset(bag) for bag, _ in bags}:
            df.update(distinct)
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


def hours_of(articles: Sequence[StoryInput]) -> np.ndarray:
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
    rows, cols, weights = tfidf_vectors(articles, settings)
    found: list[tuple[np.ndarray, np.ndarray]] = []
    if rows.size:
        hours = hours_of(articles)
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
