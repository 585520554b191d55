"""The window: stories of the recent articles, kept between feed ticks so new articles
join them without grouping everything again.

:class:`StoryWindow` starts from a full grouping (:func:`bot.stories.group_stories`)
and keeps, for each article, its tf-idf vector, and for each story, the sum of its
members' vectors and its time span, with an inverted index from features to articles.
:meth:`StoryWindow.add` then joins each new article (in time order) to the story whose
summed vector is most like it -- the same "centroid" link and threshold the full
grouping merges with, scaled down by the same linear decay with the time to the story's
nearest article -- when the story stays within the window; otherwise the article starts
a story of its own. The stories to compare come from the index: the articles sharing a
selective feature (in at most ``Settings.pair_df`` articles), or a common word with one
of the last ``Settings.pair_neighbours`` articles that have it. So a tick costs what it
brings, whatever the window holds.

Joining is an approximation of grouping everything again: an article joins one story,
never brings two together, and weights come from the document frequencies when it
arrived. The caller groups the whole window again from time to time and when the window
is small (:func:`bot.compose.regroup_recent`). Pure: no store; not thread-safe (one
caller at a time).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Hashable, Sequence

from bot.stories.grouping import group_stories
from bot.stories.inputs import DEFAULT_SETTINGS, Settings, StoryInput
from bot.stories.similarity import hours_of
from bot.stories.text import Featurizer, prepared_texts

__all__ = ["StoryWindow"]


class StoryWindow:
    """Stories of a window of articles, grown one tick at a time."""

    def __init__(self, settings: Settings = DEFAULT_SETTINGS) -> None:
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

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, ident: object) -> bool:
        return ident in self._slot

    @classmethod
    def grouped(
        cls, articles: Sequence[StoryInput], settings: Settings = DEFAULT_SETTINGS
    ) -> StoryWindow:
        """A window of ``articles`` grouped as :func:`group_stories` groups them."""
        window = cls(settings)
        bags = window._bags(articles)
        for bag in bags:
            for column in bag:
                window._df[column] += 1
        stories = group_stories(articles, settings)
        hours = hours_of(articles).tolist()
        sums: dict[int, dict[int, float]] = {}  # per story: its summed vector, while building
        for k, (article, bag) in enumerate(zip(articles, bags, strict=True)):
            vector = window._vector(bag, len(articles))
            summed = sums.setdefault(stories[k], {})
            dot = sum(w * summed.get(c, 0.0) for c, w in vector.items())
            for column, weight in vector.items():
                summed[column] = summed.get(column, 0.0) + weight
            when = None if math.isnan(hours[k]) else hours[k]
            window._place(article.id, when, vector)
            window._join(k, stories[k], dot, when)
        return window

    def add(self, articles: Sequence[StoryInput]) -> list[Hashable]:
        """Join new articles (ids not in the window yet) to the stories; the id of each
        one's story (its first article's id), in the order given."""
        fresh = [a for a in articles if a.id not in self._slot]
        if len({a.id for a in fresh}) != len(fresh):
            raise ValueError("an article id is given twice")
        hours = hours_of(fresh).tolist()
        bags = self._bags(fresh)
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

    def _bags(self, articles: Sequence[StoryInput]) -> list[dict[int, tuple[int, float]]]:
        """Each article's features as column -> (count, kind weight); new columns added."""
        bags = []
        for article, text in zip(articles, prepared_texts(articles, self.settings), strict=True):
            counts, kinds = self._featurizer.features(article.language, text)
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
