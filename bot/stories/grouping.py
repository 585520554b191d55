"""Grouping: articles agglomerated into stories, and the clearest article of a story."""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from bot.stories.inputs import DEFAULT_SETTINGS, Settings, StoryInput
from bot.stories.similarity import hours_of, similarity_pairs, tfidf_vectors
from bot.stories.text import prepared_texts


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
    return _cluster(hours_of(articles), pairs, settings)


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
    titles = prepared_texts(articles, replace(settings, lede_words=0, site_min_titles=2))
    rows, cols, weights = tfidf_vectors(
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
