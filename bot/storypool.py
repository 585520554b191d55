"""A pool of new articles as ranked stories, ranked once and cut for each chat that has it.

Pure: entries (anything with ``number``, ``title``, ``summary``, maybe ``source_name``,
``language``, ``date`` and ``added_at``) and their story keys in, plain data out; no
store, no Telegram.

What is new for a chat is the pool its digest chooses from (:mod:`bot.compose`): its
unseen articles, newest first. Most chats of one scheduled slot have the same pool (the
same sources, and the same horizon: their last digest), and ranking a pool of 1,000
articles into stories costs a third of a second of CPU (:func:`bot.stories.rank` folds
the pieces of one story together by their tf-idf vectors); a chat's filters, the
stories it already had and the pages it added itself then only take articles out of
the pool. So :class:`StoryPool` ranks the whole pool once -- which articles are one
story (the stored story ids, then ``rank``'s folding, decided on the whole pool) and the
stories' order -- and :meth:`StoryPool.cut` gives a chat's stories when some articles
are taken out: each story keeps the members that are left (a story with none left is
gone), and its importance (distinct sources), its newest time, its size and its
clearest article (:func:`bot.stories.clearest`) are those of the members left, so the
order is :func:`bot.stories.rank`'s order of what the chat has. A pool nothing is taken
out of gives exactly ``rank``'s items.

Why the cut is cheap: taking articles out of a story can only lower it in the order
(fewer sources, an older newest article, fewer members, a later first member), never
raise it. So the walk goes down the pool's ranked stories and stops once ``limit``
stories untouched by the cut are behind it: no story further down can pass them. A chat
whose filters hold back a quarter of the pool looks at a dozen stories, not a thousand.
The clearest article of a story cut down is chosen once per set of members left.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from operator import attrgetter, itemgetter
from typing import Generic, Protocol, TypeVar

from bot.stories import StoryInput, clearest, importance, rank

__all__ = ["Cut", "PoolEntry", "StoryPool", "entry_time", "story_inputs", "story_keys"]


class PoolEntry(Protocol):
    """What a pool reads of an article (the other fields are read when present)."""

    @property
    def number(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def summary(self) -> Sequence[str] | None: ...


E = TypeVar("E", bound=PoolEntry)

# A story's place in the order: (-importance, -newest time, -members, first member).
_Key = tuple[float, float, int, int]
# The clearest members of cut-down stories a pool keeps (then starts over).
LEADS_KEPT = 4096


def _moment(value: object) -> datetime | None:
    """An ISO time or date (no zone: UTC), else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def entry_time(entry: object) -> datetime | None:
    """When an entry came out, for ranking: its date, else when it was added."""
    return _moment(getattr(entry, "date", None)) or _moment(getattr(entry, "added_at", None))


def story_inputs(entries: Iterable[PoolEntry]) -> list[StoryInput]:
    """What :func:`bot.stories.rank` reads of each entry: the title, the summary as the
    text (what the clearest article is chosen by), the source's name, when it came out."""
    return [
        StoryInput(
            id=int(m.number),
            language=str(getattr(m, "language", "") or ""),
            title=str(m.title or ""),
            text=" ".join(m.summary or ()),
            published=entry_time(m),
            source=str(getattr(m, "source_name", None) or ""),
        )
        for m in entries
    ]


class Cut(Generic[E]):
    """A chat's stories from a pool: ``stories`` in digest order, each as (the entry
    shown, the other members in pool order); ``new``: how many stories (by story key,
    an article without one a story of its own) the entries left hold."""

    __slots__ = ("new", "stories")

    def __init__(self, stories: list[tuple[E, tuple[E, ...]]], new: int) -> None:
        self.stories = stories
        self.new = new


class StoryPool(Generic[E]):
    """``entries`` (newest first) ranked into stories once; ``keys``: each entry's story
    key (a stored story id), None for an article alone. See the module docstring."""

    def __init__(self, entries: Sequence[E], keys: Sequence[Hashable | None]) -> None:
        if len(keys) != len(entries):
            raise ValueError("keys must give one story key per entry")
        self.entries = list(entries)
        self.keys = list(keys)
        self.index = {int(e.number): i for i, e in enumerate(self.entries)}
        self._inputs = story_inputs(self.entries)
        self._times = [
            t.timestamp() if (t := a.published) is not None else float("-inf") for a in self._inputs
        ]
        ranked = rank(self._inputs, None, stories=self.keys)
        self._members = [item.members for item in ranked]
        self._leads = [item.lead for item in ranked]
        self._order = [self._key(item.members) for item in ranked]
        self._story_of = [0] * len(self.entries)
        for k, members in enumerate(self._members):
            for i in members:
                self._story_of[i] = k
        # Entries per story key (for the count of new stories, and the late ones).
        self._by_key: dict[Hashable, list[int]] = {}
        for i, key in enumerate(self.keys):
            if key is not None:
                self._by_key.setdefault(key, []).append(i)
        self._stories = len(self._by_key) + self.keys.count(None)
        self._cut_leads: dict[tuple[int, ...], int] = {}
        self._whole: dict[int | None, Cut[E]] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def members_of(self, story_keys: Iterable[Hashable]) -> list[int]:
        """The indexes of the entries whose story key is one of ``story_keys``, in order."""
        found: list[int] = []
        for key in story_keys:
            found.extend(self._by_key.get(key, ()))
        return sorted(found)

    def story_keys(self) -> set[Hashable]:
        """The story keys of the pool's entries (None left out)."""
        return {key for key in self.keys if key is not None}

    def _key(self, members: Sequence[int]) -> _Key:
        """A story's place in :func:`bot.stories.rank`'s order (with its default
        settings): most distinct sources, then the newest, then the most members, then
        the first in the pool."""
        size = importance([self._inputs[i] for i in members])
        newest = max(self._times[i] for i in members)
        return (-float(size), -newest, -len(members), members[0])

    def _lead(self, members: tuple[int, ...]) -> int:
        """The clearest of a cut-down story's members (chosen once per set)."""
        if len(members) == 1:
            return members[0]
        lead = self._cut_leads.get(members)
        if lead is None:
            if len(self._cut_leads) >= LEADS_KEPT:
                self._cut_leads.clear()
            lead = members[clearest([self._inputs[i] for i in members])]
            self._cut_leads[members] = lead
        return lead

    def cut(self, removed: Iterable[int] = (), limit: int | None = None) -> Cut[E]:
        """The stories of the pool without the entries at the indexes ``removed``: at
        most ``limit`` (None: all), in :func:`bot.stories.rank`'s order of what is left."""
        if limit is not None and limit < 0:
            raise ValueError("limit must be at least 0")
        gone = set(removed)
        if not gone:
            whole = self._whole.get(limit)
            if whole is None:
                whole = self._whole[limit] = self._cut(gone, limit)
            return whole
        return self._cut(gone, limit)

    def _cut(self, gone: set[int], limit: int | None) -> Cut[E]:
        touched = {self._story_of[i] for i in gone}
        chosen: list[tuple[_Key, int, tuple[int, ...]]] = []
        whole = 0  # stories passed that the cut left as they were
        if limit != 0:
            for k, members in enumerate(self._members):
                if k not in touched:
                    chosen.append((self._order[k], self._leads[k], members))
                    whole += 1
                    if limit is not None and whole >= limit:
                        break  # no story further down can pass these
                    continue
                left = tuple(i for i in members if i not in gone)
                if left:
                    chosen.append((self._key(left), self._lead(left), left))
        chosen.sort(key=itemgetter(0))
        if limit is not None:
            del chosen[limit:]
        entries = self.entries
        stories = [
            (entries[lead], tuple(entries[i] for i in members if i != lead))
            for _, lead, members in chosen
        ]
        return Cut(stories, self._new(gone))

    def _new(self, gone: set[int]) -> int:
        """How many stories (story keys, and articles without one) the entries left hold."""
        if not gone:
            return self._stories
        emptied = Counter(self.keys[i] for i in gone)
        alone = emptied.pop(None, 0)
        by_key = self._by_key
        return self._stories - alone - sum(1 for k, n in emptied.items() if n == len(by_key[k]))

    def absent(self, entries: Sequence[E]) -> set[int]:
        """The indexes of the pool's entries that are not among ``entries`` (a part of
        the pool, by number)."""
        if len(entries) == len(self.entries):
            return set()
        index = self.index
        return {index[n] for n in index.keys() - set(map(attrgetter("number"), entries))}


def story_keys(entries: Iterable[PoolEntry], story_of: Mapping[int, Hashable]) -> list[Hashable]:
    """Each entry's story key from ``story_of`` (None for one without)."""
    return [story_of.get(int(e.number)) for e in entries]
