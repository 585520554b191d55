"""Grouping: articles agglomerated into stories, the clearest article of a story, and the
window of stories kept between feed ticks (``StoryWindow``: new articles join them)."""

from __future__ import annotations

import heapq
import math
from array import array
from collections.abc import Hashable, Sequence
from dataclasses import replace

import numpy as np

from bot.stories.inputs import DEFAULT_SETTINGS, Settings, StoryInput
from bot.stories.similarity import (
    Features,
    article_features,
    hours_of,
    similarity_pairs,
    tfidf_vectors,
)
from bot.stories.text import Featurizer, prepared_texts


def group_stories(
    articles: Sequence[StoryInput],
    settings: Settings = DEFAULT_SETTINGS,
    features: Features | None = None,
) -> list[int]:
    """The story of each article: the index (in ``articles``) of its story's first article.

    Articles of one story share the number; an article alone is its own story. The
    result depends only on the articles and their order, never on chance. ``features``:
    the articles' features when already computed (:func:`article_features`).
    """
    if not articles:
        return []
    return group_pairs(articles, similarity_pairs(articles, settings, features), settings)


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


# -- the window: stories kept between ticks ---------------------------------------


class StoryWindow:
    """The stories of the recent articles, kept between feed ticks so that new articles
    join them without grouping everything again.

    It starts from a full grouping (:meth:`grouped`, with :func:`group_stories`) and
    keeps an inverted index from each feature to the articles having it (with their
    tf-idf weights), and for each story its time span and the squared length of its
    members' summed vector. :meth:`add` joins each new article, in time order, to the
    story whose summed vector is most like it -- the "centroid" link and threshold the
    full grouping merges with, scaled down by the same linear decay, here with the time
    to the story's span -- when the story then still fits in the window; otherwise the
    article starts a story of its own. The stories compared come from the index: those
    of the articles sharing a selective feature (in at most ``Settings.pair_df``
    articles) or a common word (at most ``Settings.near_df``) with the last
    ``Settings.pair_neighbours`` articles that have it. A tick costs what it brings,
    whatever the window holds.

    Joining approximates grouping everything again: an article joins one story and never
    brings two together, and weights are those of the document frequencies when it
    arrived. The caller groups the whole window again from time to time and whenever it
    is small (:func:`bot.compose.regroup_recent`). Pure (no store); one caller at a time.
    """

    def __init__(
        self, articles: Sequence[StoryInput] = (), settings: Settings = DEFAULT_SETTINGS
    ) -> None:
        """A window of ``articles`` grouped as :func:`group_stories` groups them."""
        self.settings = settings
        self._featurizer = Featurizer(settings)
        self._columns: dict[str, int] = {}
        self._char: list[bool] = []  # per column: a character n-gram
        self._df: list[int] = []  # per column: articles having it
        # Per column: the articles having it, in arrival order, and their weights on it.
        self._postings: list[array[int]] = []
        self._weights: list[array[float]] = []
        self._ids: list[Hashable] = []
        self._slot: dict[Hashable, int] = {}
        self._story: list[int] = []  # per article: its story (the slot of its first article)
        self._members: dict[int, list[int]] = {}
        self._inner: dict[int, float] = {}  # per story: squared length of its summed vector
        self._span: dict[int, tuple[float, float] | None] = {}  # per story: first, last hour
        if articles:
            self._start(articles)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, ident: object) -> bool:
        return ident in self._slot

    @classmethod
    def grouped(
        cls, articles: Sequence[StoryInput], settings: Settings = DEFAULT_SETTINGS
    ) -> StoryWindow:
        """A window of ``articles`` grouped as :func:`group_stories` groups them."""
        return cls(articles, settings)

    def _start(self, articles: Sequence[StoryInput]) -> None:
        features = article_features(articles, self.settings, self._featurizer)
        bags = self._bags(features)
        for bag in bags:
            for column in bag:
                self._df[column] += 1
        stories = group_stories(articles, self.settings, features)
        hours = hours_of(articles).tolist()
        sums: dict[int, dict[int, float]] = {}  # per story: its summed vector, while building
        for k, (article, bag) in enumerate(zip(articles, bags, strict=True)):
            vector = self._vector(bag, len(articles))
            summed = sums.setdefault(stories[k], {})
            dot = sum(w * summed.get(c, 0.0) for c, w in vector.items())
            for column, weight in vector.items():
                summed[column] = summed.get(column, 0.0) + weight
            when = None if math.isnan(hours[k]) else hours[k]
            self._place(article.id, when, vector)
            self._join(k, stories[k], dot, when)

    def add(self, articles: Sequence[StoryInput]) -> list[Hashable]:
        """Join new articles (ids not in the window yet) to the stories; the id of each
        one's story (its first article's id), in the order given."""
        fresh = [a for a in articles if a.id not in self._slot]
        if len({a.id for a in fresh}) != len(fresh):
            raise ValueError("an article id is given twice")
        hours = hours_of(fresh).tolist()
        bags = self._bags(article_features(fresh, self.settings, self._featurizer))
        undated = [math.isnan(h) for h in hours]
        order = sorted(
            range(len(fresh)), key=lambda k: (undated[k], 0.0 if undated[k] else hours[k])
        )
        for k in order:
            bag = bags[k]
            for column in bag:
                self._df[column] += 1
            when = None if undated[k] else hours[k]
            vector = self._vector(bag, len(self._ids) + 1)
            story, dot = self._best_story(vector, when)
            slot = self._place(fresh[k].id, when, vector)
            self._join(slot, slot if story is None else story, dot, when)
        return [self.story_of(a.id) for a in articles]

    def story_of(self, ident: Hashable) -> Hashable:
        """The id of the first article of the story of article ``ident``."""
        return self._ids[self._story[self._slot[ident]]]

    def members(self, ident: Hashable) -> list[Hashable]:
        """The ids of the articles of article ``ident``'s story, in arrival order."""
        return [self._ids[k] for k in self._members[self._story[self._slot[ident]]]]

    # -- inside ---------------------------------------------------------------------

    def _bags(self, features: Features) -> list[dict[int, tuple[int, float]]]:
        """Each article's features as column -> (count, kind weight); new columns added."""
        bags = []
        for counts, kinds in features:
            bag = {}
            for feature, count in counts.items():
                column = self._columns.get(feature)
                if column is None:
                    column = self._columns[feature] = len(self._columns)
                    self._char.append(feature[0] == "c")
                    self._df.append(0)
                    self._postings.append(array("l"))
                    self._weights.append(array("d"))
                bag[column] = (count, kinds[feature])
            bags.append(bag)
        return bags

    def _vector(self, bag: dict[int, tuple[int, float]], size: int) -> dict[int, float]:
        """The article's tf-idf vector (L2-normalised) with the frequencies as they are."""
        s = self.settings
        limit = max(s.max_df * size, s.max_df_min)
        char_limit = max(s.char_max_df * size, s.max_df_min)
        if s.max_df_count:
            limit, char_limit = min(limit, s.max_df_count), min(char_limit, s.max_df_count)
        total = max(size, s.idf_batch)
        vector = {}
        for column, (count, kind) in bag.items():
            df = self._df[column]
            if df > (char_limit if self._char[column] else limit):
                continue
            tf = 1.0 + math.log(count) if s.sublinear_tf else float(count)
            vector[column] = kind * tf * (math.log((total + 1) / (df + 1)) + 1.0)
        norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
        return {c: w / norm for c, w in vector.items()}

    def _place(self, ident: Hashable, when: float | None, vector: dict[int, float]) -> int:
        slot = len(self._ids)
        self._ids.append(ident)
        self._slot[ident] = slot
        self._story.append(slot)
        for column, weight in vector.items():
            self._postings[column].append(slot)
            self._weights[column].append(weight)
        return slot

    def _join(self, slot: int, story: int, dot: float, when: float | None) -> None:
        """Article ``slot`` becomes a member of ``story`` (itself: a new story);
        ``dot``: its vector times the story's summed vector."""
        self._story[slot] = story
        self._members.setdefault(story, []).append(slot)
        self._inner[story] = self._inner.get(story, 0.0) + 2.0 * dot + 1.0
        span = self._span.get(story)
        if when is not None:
            span = (when, when) if span is None else (min(span[0], when), max(span[1], when))
        self._span[story] = span

    def _partial(self, vector: dict[int, float]) -> dict[int, float]:
        """The vector times each story's summed vector, over the index: every article of
        a selective feature, the last ``pair_neighbours`` of a common word."""
        s = self.settings
        partial: dict[int, float] = {}
        story_of = self._story
        for column, weight in vector.items():
            postings, weights = self._postings[column], self._weights[column]
            df = len(postings)
            if s.pair_df and df > s.pair_df:
                if (s.near_df and df > s.near_df) or (self._char[column] and not s.near_chars):
                    continue
                postings = postings[-s.pair_neighbours :]
                weights = weights[-s.pair_neighbours :]
            for slot, other in zip(postings, weights, strict=True):
                story = story_of[slot]
                partial[story] = partial.get(story, 0.0) + weight * other
        return partial

    def _best_story(self, vector: dict[int, float], when: float | None) -> tuple[int | None, float]:
        """The story the article joins (or None), and its vector times that story's."""
        s = self.settings
        best, chosen, chosen_dot = s.threshold, None, 0.0
        for story, dot in self._partial(vector).items():
            span = self._span[story]
            gap = 0.0
            if when is not None and span is not None:
                if max(span[1], when) - min(span[0], when) > s.window_hours:
                    continue
                gap = max(span[0] - when, when - span[1], 0.0)
            link = dot / math.sqrt(self._inner[story])
            if s.linear_decay > 0:
                link *= 1.0 - s.linear_decay * gap / s.window_hours
            if link >= best:
                best, chosen, chosen_dot = link, story, dot
        return chosen, chosen_dot
