"""Ranking: which stories a digest of N items shows, in which order, each once.

:func:`rank` is the one ranking the bot's digests and ``digestbot rank`` use. Pure:
articles (``StoryInput``) in, ``RankedStory`` items out.

* The articles are grouped into stories (:func:`bot.stories.group_stories`), unless the
  caller gives each article's story already (``stories=``: stored story ids, say).
* Pieces of one story become one item: going down the ranked groups, a group whose
  summed title vector (every feature kept) is at least ``Settings.fold`` alike to an
  item's, their titles sharing at least ``Settings.fold_words`` words, joins that item
  (every group, with ``Settings.fold_all``: a story told in many small pieces rises).
  The titles compared leave out a *series label*: a leading "Label:" that starts at
  least ``Settings.series_labels`` of the titles (and 5), such as a wire's "Olympics
  Latest:", names a column, not what the article tells.
* A story's importance is the number of distinct sources telling it (an article whose
  source is unknown counts as a source of its own), plus its *support*:
  ``Settings.support_weight`` of the importance of each later item whose best match
  it is at a cosine of at least ``Settings.support`` (too unlike to fold, alike enough
  to be the same story told otherwise). Ties go to the story whose newest article is
  newer, then to the story with more articles, then to the one that came first.
* Each story is shown once, as its clearest article (:func:`bot.stories.clearest`); its
  other articles are the item's ``also``. An item whose names, numbers and scores (in
  any script: :func:`bot.stories.name_key`) are at least ``Settings.once_names`` alike
  to those of an item shown before it, in languages that item has none of, retells it:
  it goes last (it keeps its own articles; nothing claims the two are one story).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from bot.stories.grouping import clearest, group_stories
from bot.stories.inputs import DEFAULT_SETTINGS, Settings, StoryInput
from bot.stories.similarity import Features, article_features, tfidf_kind_vectors

__all__ = ["RankedStory", "importance", "rank"]


@dataclass(frozen=True, slots=True)
class RankedStory:
    """One item of a ranked digest: a story shown once.

    ``id``: the id of the article shown (the story's clearest); ``story``: the story's
    id, the id of its first article in the input; ``also``: the ids of its other
    articles, in input order. ``lead`` and ``members`` are the same articles as indexes
    into the input of :func:`rank`. ``sources``: the importance (distinct sources);
    ``latest``: the newest publication time among the members (None: none dated).
    """

    id: str | int
    story: str | int
    also: tuple[str | int, ...]
    lead: int
    members: tuple[int, ...]
    sources: int
    latest: datetime | None


def importance(members: Sequence[StoryInput]) -> int:
    """How many distinct sources tell the story: named sources once each (case-blind),
    plus one for every article whose source is unknown."""
    named = {a.source.strip().casefold() for a in members if a.source.strip()}
    unknown = sum(1 for a in members if not a.source.strip())
    return len(named) + unknown


def rank(
    articles: Sequence[StoryInput],
    limit: int | None = None,
    *,
    stories: Sequence[Hashable | None] | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> list[RankedStory]:
    """The stories of ``articles`` in digest order, at most ``limit`` of them (None: all).

    ``stories``: each article's story key when already known (articles with equal
    non-None keys are one story, None is an article alone); otherwise the articles are
    grouped here with ``settings``. Deterministic: the same input gives the same items.
    """
    if limit is not None and limit < 0:
        raise ValueError("limit must be at least 0")
    if not articles or limit == 0:
        return []
    if stories is None:
        keys: Sequence[Hashable | None] = group_stories(articles, settings)
    else:
        if len(stories) != len(articles):
            raise ValueError("stories must give one key per article")
        keys = stories
    groups: dict[Hashable, list[int]] = {}
    for index, key in enumerate(keys):
        groups.setdefault(("alone", index) if key is None else ("story", key), []).append(index)

    def order(members: list[int]) -> tuple[float, float, int, int]:
        times = [t.timestamp() for k in members if (t := articles[k].published) is not None]
        newest = max(times, default=float("-inf"))
        chosen = [articles[k] for k in members]
        size = float(importance(chosen))
        if settings.language_weight:
            languages = {a.language.strip().casefold() for a in chosen}
            size += settings.language_weight * (len(languages) - 1)
        return (-size, -newest, -len(members), members[0])

    ranked = sorted(groups.values(), key=order)
    if settings.fold > 0 and len(ranked) > 1:
        features = _pool_features(articles, settings)
        vectors = _Vectors(articles, settings, features)
        vectors.by_groups(ranked, settings.group_idf)
        ranked = sorted(_fold(vectors, ranked, limit, settings), key=order)
        for _ in range(settings.fold_passes - 1):
            ranked = sorted(_fold(vectors, ranked, limit, settings), key=order)
        if settings.support > 0 and len(ranked) > 1:
            ranked = _by_support(vectors, ranked, order, settings)
        if settings.once_names > 0 and len(ranked) > 1:
            names = _Vectors(articles, settings, features, names=True)
            ranked = _once(names, ranked, limit, settings)
    if limit is not None:
        ranked = ranked[:limit]
    items = []
    for members in ranked:
        chosen = [articles[k] for k in members]
        lead = members[clearest(chosen, settings)]
        times = [a.published for a in chosen if a.published is not None]
        items.append(
            RankedStory(
                id=articles[lead].id,
                story=articles[members[0]].id,
                also=tuple(articles[k].id for k in members if k != lead),
                lead=lead,
                members=tuple(members),
                sources=importance(chosen),
                latest=max(times) if times else None,
            )
        )
    return items


_FOLD_CANDIDATES = 20


class _Vectors:
    """The articles' title vectors for folding (every feature kept), summed per group,
    and an index of the groups by their selective features."""

    def __init__(
        self, articles: Sequence[StoryInput], settings: Settings, features: Features,
        names: bool = False,
    ) -> None:  # fmt: skip
        """Vectors of the ``features`` of :func:`_pool_features`: with ``names``, of the
        names, their skeletons and the scores alone; otherwise of every other feature."""
        # Every feature counts here: the names of a day's biggest story are in so many
        # of its articles that grouping leaves them out as common words.
        everything = replace(settings, max_df=1.0, char_max_df=1.0, max_df_count=0)
        chosen: Features = []
        for bag, weights_of in features:
            keep = [f for f in bag if (f[0] in _NAME_KINDS) == names]
            chosen.append((Counter({f: bag[f] for f in keep}), {f: weights_of[f] for f in keep}))
        rows, cols, weights, kinds = tfidf_kind_vectors(articles, everything, chosen)
        is_word = (kinds != "c") & (kinds != "p")
        self.cols, self.weights, self.is_word = cols, weights, is_word
        self.languages = [a.language.strip().casefold() for a in articles]
        self.starts = np.searchsorted(rows, np.arange(len(articles) + 1))
        df = np.bincount(cols, minlength=int(cols.max()) + 1 if cols.size else 0)
        self.selective = df <= settings.pair_df if settings.pair_df else df >= 0
        self.scaled = weights
        self.kept: dict[tuple[int, ...], dict[int, float]] = {}

    def by_groups(self, groups: Sequence[Sequence[int]], power: float) -> None:
        """Weigh each feature also by how rare it is among the groups (its idf over
        groups, to the ``power``): a word in most groups says little of which two are
        one story, however rare it is among articles."""
        if not power or not self.cols.size:
            self.scaled = self.weights
            return
        owner = np.zeros(self.starts.size - 1, dtype=np.int64)
        for number, members in enumerate(groups):
            owner[list(members)] = number
        rows = np.repeat(np.arange(owner.size), np.diff(self.starts))
        width = int(self.cols.max()) + 1
        pairs = np.unique(owner[rows] * width + self.cols)
        gdf = np.bincount(pairs % width, minlength=width)
        idf = np.log((len(groups) + 1) / (gdf + 1.0)) + 1.0
        self.scaled = self.weights * idf[self.cols] ** power

    def summed(self, members: Sequence[int]) -> dict[int, float]:
        """The summed vector of the articles ``members`` (kept ones: see :meth:`keep`)."""
        kept = self.kept.get(tuple(members))
        if kept is not None:
            return kept
        total: dict[int, float] = {}
        cols, weights, starts = self.cols, self.scaled, self.starts
        for k in members:
            for column, weight in zip(
                cols[starts[k] : starts[k + 1]].tolist(),
                weights[starts[k] : starts[k + 1]].tolist(),
                strict=True,
            ):
                total[column] = total.get(column, 0.0) + weight
        return total


_NAME_KINDS = "ekn"  # feature kinds: a name as written, its skeleton, a score


def _pool_features(articles: Sequence[StoryInput], settings: Settings) -> Features:
    """Each article's features for the fold (series labels left out of its title) and,
    with ``Settings.once_names``, its names, their skeletons and its scores too."""
    if settings.series_labels:
        articles = _without_series_labels(articles, settings.series_labels)
    if settings.once_names:
        settings = replace(settings, entity_weight=1.0, key_weight=1.0, score_weight=1.0)
    return article_features(articles, settings)


_LABEL = re.compile(r"^\s*([^:]{2,40}?)\s*:\s+(?=\S)")


def _without_series_labels(articles: Sequence[StoryInput], share: float) -> list[StoryInput]:
    """The articles with a leading series label ("Olympics Latest: ...") taken off their
    titles: a label before a colon that starts at least ``share`` of the titles (and at
    least 5) says which column an article is in, not what it tells."""
    labels = [_LABEL.match(a.title) for a in articles]
    counts = Counter(m.group(1).casefold() for m in labels if m)
    least = max(5.0, share * len(articles))
    series = {label for label, count in counts.items() if count >= least}
    return [
        replace(a, title=a.title[m.end() :]) if m and m.group(1).casefold() in series else a
        for a, m in zip(articles, labels, strict=True)
    ]


def _length(vector: dict[int, float]) -> float:
    return math.sqrt(sum(w * w for w in vector.values())) or 1.0


class _Index:
    """Groups by their selective features: the candidates a group is compared with."""

    def __init__(self, vectors: _Vectors) -> None:
        self.selective = vectors.selective
        self.postings: dict[int, list[int]] = {}

    def add(self, item: int, vector: dict[int, float]) -> None:
        for column in vector:
            if self.selective[column]:
                found = self.postings.setdefault(column, [])
                if not found or found[-1] != item:
                    found.append(item)

    def candidates(self, vector: dict[int, float]) -> list[int]:
        """The ``_FOLD_CANDIDATES`` items sharing the most selective features."""
        selective, postings = self.selective, self.postings
        shared = Counter(i for c in vector if selective[c] for i in postings.get(c, ()))
        return sorted(shared, key=lambda i: (-shared[i], i))[:_FOLD_CANDIDATES]


def _link(
    vectors: _Vectors,
    mine: dict[int, float],
    mine_length: float,
    theirs: dict[int, float],
    theirs_length: float,
) -> tuple[float, float, int]:
    """The cosine of two summed vectors, their dot product, and the words they share."""
    small, large = (mine, theirs) if len(mine) < len(theirs) else (theirs, mine)
    is_word = vectors.is_word
    dot = 0.0
    words = 0
    for c, w in small.items():
        other = large.get(c)
        if other is not None:
            dot += w * other
            words += bool(is_word[c])
    return dot / (mine_length * theirs_length), dot, words


def _fold(
    vectors: _Vectors,
    ranked: list[list[int]],
    limit: int | None,
    settings: Settings,
) -> list[list[int]]:
    """The stories (in ranked order) with the pieces of an item's story folded into it.

    Grouping keeps a story apart when unsure, so one big story can come out as several
    groups (told in other words, or other languages). Going down the ranked groups, a
    group whose summed vector is at least ``Settings.fold`` similar (cosine) to that of
    an item already taken joins that item; otherwise it becomes the next item. Only the
    first ``limit`` items take pieces (the work is the groups times ``limit``), unless
    ``Settings.fold_all``: then every group may take the pieces of later ones, so that a
    story told in many small pieces can rise into the digest; a folded item's summed
    vector is that of all its articles.
    """
    # Items to compare come from an index: the ``_FOLD_CANDIDATES`` sharing the most
    # selective features (in at most ``Settings.pair_df`` articles) with the group, so
    # the work stays near linear.
    index = _Index(vectors)
    items: list[list[int]] = []
    sums: list[dict[int, float]] = []  # per item: its articles' summed vector, and its length
    lengths: list[float] = []
    rest: list[list[int]] = []
    for members in ranked:
        mine = vectors.summed(members)
        mine_length = _length(mine)
        best, where, best_dot = 0.0, -1, 0.0
        for candidate in index.candidates(mine):
            cosine, dot, words = _link(
                vectors, mine, mine_length, sums[candidate], lengths[candidate]
            )
            if cosine > best and words >= settings.fold_words:
                best, where, best_dot = cosine, candidate, dot
        if where >= 0 and best >= settings.fold:
            items[where].extend(members)
            if settings.fold_all:
                theirs = sums[where]
                for column, weight in mine.items():
                    theirs[column] = theirs.get(column, 0.0) + weight
                lengths[where] = math.sqrt(lengths[where] ** 2 + 2.0 * best_dot + mine_length**2)
                index.add(where, mine)
        elif limit is None or settings.fold_all or len(items) < limit:
            items.append(list(members))
            sums.append(mine)
            lengths.append(mine_length)
            index.add(len(items) - 1, mine)
        else:
            rest.append(members)
    items = [sorted(members) for members in items]
    vectors.kept = {tuple(members): vector for members, vector in zip(items, sums, strict=True)}
    return items + rest


def _once(
    names: _Vectors, ranked: list[list[int]], limit: int | None, settings: Settings
) -> list[list[int]]:
    """The items (in ranked order) with an item that retells one shown before it in
    other languages put last: their names, numbers and scores (summed over their
    articles) are at least ``Settings.once_names`` alike (cosine) and no language is
    in both. Folding cannot see such a pair (their words differ); showing it once
    does not claim it is one story (the item keeps its own articles)."""
    index = _Index(names)
    shown: list[int] = []
    hidden: list[int] = []
    sums: list[dict[int, float]] = []
    lengths: list[float] = []
    languages: list[set[str]] = []
    for number, members in enumerate(ranked):
        if limit is not None and len(shown) >= limit:
            hidden.extend(range(number, len(ranked)))
            break
        mine = names.summed(members)
        mine_length = _length(mine)
        my_languages = {names.languages[k] for k in members}
        again = False
        for candidate in index.candidates(mine):
            if my_languages & languages[candidate]:
                continue
            cosine, _, _ = _link(names, mine, mine_length, sums[candidate], lengths[candidate])
            if cosine >= settings.once_names:
                again = True
                break
        if again:
            hidden.append(number)
            continue
        index.add(len(shown), mine)
        shown.append(number)
        sums.append(mine)
        lengths.append(mine_length)
        languages.append(my_languages)
    return [ranked[k] for k in shown + hidden]


def _by_support(
    vectors: _Vectors,
    ranked: list[list[int]],
    order: Callable[[list[int]], tuple[float, float, int, int]],
    settings: Settings,
) -> list[list[int]]:
    """The items reordered by their support: an item's importance plus
    ``Settings.support_weight`` times that of each later item most like it (cosine at
    least ``Settings.support``, but below the fold: not shown as one story)."""
    keys = [order(members) for members in ranked]
    support = [-key[0] for key in keys]
    sizes = list(support)
    sums = [vectors.summed(members) for members in ranked]
    lengths = [_length(vector) for vector in sums]
    index = _Index(vectors)
    for item, vector in enumerate(sums):
        best, where = 0.0, -1
        for candidate in index.candidates(vector):
            cosine, _, words = _link(
                vectors, vector, lengths[item], sums[candidate], lengths[candidate]
            )
            if cosine > best and words >= settings.fold_words:
                best, where = cosine, candidate
        if where >= 0 and best >= settings.support:
            support[where] += settings.support_weight * sizes[item]
        index.add(item, vector)
    by_support = sorted(range(len(ranked)), key=lambda i: (-support[i], keys[i]))
    return [ranked[item] for item in by_support]
