"""A chat's digest from the store, and one story once: which stored articles tell the
same story, and what a chat's digest shows of each story.

* :func:`compose_digest` -- the one path from the store to a chat's digest, used by the
  scheduled slot run (:mod:`bot.telegram.jobs`), ``/digest``
  (:mod:`bot.telegram.handlers.commands`) and ``digestbot digest`` (:mod:`bot.commands.database`):
  what is new for the chat (its unseen articles, newest first, at most :data:`POOL`;
  only from the sources it has on and added after its last digest, see
  :mod:`bot.store.deliveries`), then its ``/filter`` terms, then the stories ranked
  (:func:`collapse` with :func:`bot.stories.rank`: most distinct sources first, then
  the newest; each story once as its clearest article), then the Telegram messages
  (:func:`bot.digest.digest_messages`: "10 of 187 new stories"). Blocking (store
  reads, stemming, ranking): call it in a worker thread. What it reads can be kept
  across the chats of a run (:class:`DigestReads`). The callers record what it says:
  the messages as sent, the articles the filters ``held`` back, the ``late`` ones of
  stories the chat already had, and the chat's new horizon (``Store.pass_over``): the
  stories it did not show stay in ``/article`` and the next digest starts from what
  arrives after this one.

* :func:`regroup_recent` -- blocking, run in a worker thread after each feed poll round
  and seeds rescan that changed something (:mod:`bot.telegram.jobs`): groups the articles
  published (else added) in the last :data:`REGROUP_HOURS` with
  :func:`bot.stories.group_stories` (or joins the new ones to the stories kept from the
  last grouping, :class:`bot.stories.StoryWindow`) and stores each one's story id
  (:class:`bot.store.stories.StoryStore`): the smallest number among the story's members,
  None for an article alone. Done once for everybody, never per chat.
* :func:`collapse` -- pure: a chat's digest entries (its unseen articles that its
  sources and filters let through, newest first) as stories: the clearest member of
  each (:func:`bot.stories.clearest`) is shown, the others become its "Also:" links
  (:class:`bot.digest.Also`), and the story counts once. Articles of a story the chat
  already received (or has waiting in the outbox) are *late*: recorded as delivered,
  not shown again.
* :func:`story_digest` -- the glue: reads the entries' story ids and the stories the
  chat already had, then :func:`collapse`.

A chat whose sources or filters leave out some members of a story still gets the story
through the members it allows (they are the only entries it has); the "Also:" line
only names those.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Generic, TypeVar

from bot.caches import text_size
from bot.digest import Also, Entry, PartsKept, digest_messages
from bot.filters import ArticleCache, Term, TermMatches, compile_filter, split_entries
from bot.locales import ENGLISH, Translator
from bot.messages import MESSAGE_LIMIT
from bot.store import ArticleRecord, Store
from bot.store.deliveries import SharedUnseen
from bot.store.records import ChatKey, chat_key
from bot.store.stories import RecentArticle, StoryStore
from bot.stories import StoryInput, StoryWindow, group_stories
from bot.storypool import StoryPool, story_keys

__all__ = [
    "POOL",
    "POOLS_KEPT",
    "REGROUP_HOURS",
    "ChatDigest",
    "DigestReads",
    "Regrouped",
    "StoryDigest",
    "collapse",
    "compose_digest",
    "group_members",
    "regroup_recent",
    "story_digest",
]

log = logging.getLogger(__name__)

# Articles published (else added) this many hours back are grouped again: the 48 h of a
# story's window plus a day, so a story that started yesterday still gains members.
REGROUP_HOURS = 72.0

# The article texts a scheduled run keeps (DigestReads) start over past this many bytes,
# as past their number of entries.
RECORDS_BYTES = 32 << 20


# The article parts (HTML of one story in a digest) a run keeps, then starts over.
PARTS_KEPT = 5000

# The pools of new articles (ranked into stories) a scheduled run keeps: a slot's chats
# mostly share one; those with other sources or an older last digest have their own.
POOLS_KEPT = 8

# A digest chooses among the chat's newest this many unseen articles (what arrived since
# its last digest, usually far fewer): ranking needs them all, and a chat away for
# weeks does not make a run read thousands.
POOL = 1000

E = TypeVar("E", bound=Entry)

_regrouping = threading.Lock()  # one regroup at a time (they would write the same rows)


# -- grouping the recent articles -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Regrouped:
    """What :func:`regroup_recent` did: articles grouped (or joined), stories of two or
    more among them, articles whose story id changed, CPU seconds of the thread."""

    articles: int
    stories: int
    changed: int
    seconds: float


def _published(value: str | None) -> datetime | None:
    """An article's time for grouping: an ISO time or date (no zone: UTC), else None."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _story_input(article: RecentArticle) -> StoryInput:
    return StoryInput(
        id=article.number,
        language=article.language,
        title=article.title,
        text=article.text,
        published=_published(article.published),
        source=article.source_name or "",
    )


def group_members(articles: Sequence[RecentArticle]) -> dict[int, int | None]:
    """Each article's story id (pure): the smallest number of its story when the story
    has two or more articles, else None."""
    story_of = group_stories([_story_input(a) for a in articles])
    members: dict[int, list[int]] = {}
    for article, first in zip(articles, story_of, strict=True):
        members.setdefault(first, []).append(article.number)
    ids: dict[int, int | None] = {}
    for numbers in members.values():
        story = min(numbers) if len(numbers) > 1 else None
        ids.update((n, story) for n in numbers)
    return ids


# Grouping the whole window again costs about 0.35 ms of CPU per article (7 s for
# 20,000): it is done when the window holds at most this many articles, or when the kept
# window was grouped more than REFRESH_HOURS ago (or the process has none yet); between
# those, a tick's new articles join the kept window's stories (about 1 ms each).
FULL_REGROUP_ARTICLES = 2000
REFRESH_HOURS = 6.0


@dataclass
class _Kept:
    """A store's window of stories, kept between ticks (rebuilt from the store when
    missing: the store stays the source of truth)."""

    store: Store
    window: StoryWindow
    grouped_at: datetime
    last_number: int


_KEPT: list[_Kept] = []  # the last few stores' windows (a process normally has one)
_KEPT_STORES = 4


def _kept(store: Store) -> _Kept | None:
    return next((k for k in _KEPT if k.store is store), None)


def _ids_of(window: StoryWindow, numbers: Iterable[int]) -> dict[int, int | None]:
    """The story id of each article of the stories of ``numbers`` (members included)."""
    ids: dict[int, int | None] = {}
    for number in numbers:
        if number in ids:
            continue
        members = [int(m) for m in window.members(number)]  # type: ignore[call-overload]
        story = min(members) if len(members) > 1 else None
        ids.update((m, story) for m in members)
    return ids


def regroup_recent(store: Store, now: datetime, hours: float = REGROUP_HOURS) -> Regrouped:
    """Group the articles of the last ``hours`` and store their story ids (blocking:
    CPU work; call it with asyncio.to_thread).

    The whole window is grouped again when that is cheap (at most
    :data:`FULL_REGROUP_ARTICLES`), when this process has not grouped it yet, and every
    :data:`REFRESH_HOURS`; otherwise only the articles numbered above the last one seen
    are read and join the kept stories (:class:`bot.stories.StoryWindow`), and only the
    story ids of the stories they join are written."""
    started = time.thread_time()
    stories = StoryStore(store)
    since = (now - timedelta(hours=hours)).astimezone(UTC).isoformat()
    with _regrouping:
        kept = _kept(store)
        fresh = (
            kept is None
            or len(kept.window) <= FULL_REGROUP_ARTICLES
            or not timedelta(0) <= now - kept.grouped_at <= timedelta(hours=REFRESH_HOURS)
        )
        if fresh:
            articles = stories.recent(since)
            window = StoryWindow.grouped([_story_input(a) for a in articles])
            ids = _ids_of(window, (a.number for a in articles))
            if kept is not None:
                _KEPT.remove(kept)
            last = max((a.number for a in articles), default=0)
            _KEPT.insert(0, _Kept(store, window, now, last))
            del _KEPT[_KEPT_STORES:]
        else:
            assert kept is not None
            articles = stories.recent(since, after=kept.last_number)
            kept.window.add([_story_input(a) for a in articles])
            ids = _ids_of(kept.window, (a.number for a in articles))
            kept.last_number = max((a.number for a in articles), default=kept.last_number)
        changed = stories.set_story_ids(ids)
    seconds = time.thread_time() - started
    found = len({s for s in ids.values() if s is not None})
    if changed:
        log.info(
            "stories: %d articles %s, %d stories of several, %d changed, %.2f CPU s",
            len(articles),
            "grouped" if fresh else "joined",
            found,
            changed,
            seconds,
        )
    return Regrouped(len(articles), found, changed, seconds)


# -- a chat's digest as stories ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoryDigest(Generic[E]):
    """A chat's digest as stories: ``entries`` shown (one per story, in digest order),
    the ``also`` members of each by the shown entry's number, the ``late`` article
    numbers (of stories the chat already had) to record as delivered unseen, and how
    many ``new`` stories there were to choose from."""

    entries: list[E]
    also: dict[int, tuple[Also, ...]] = field(default_factory=dict)
    late: list[int] = field(default_factory=list)
    new: int = 0


def collapse(
    entries: Sequence[E],
    story_of: Mapping[int, int],
    reached: set[int] | frozenset[int] = frozenset(),
    limit: int | None = None,
    pool: StoryPool[E] | None = None,
) -> StoryDigest[E]:
    """``entries`` (anything with ``number``, ``title``, ``url``, ``summary``, maybe
    ``source_name``, ``language``, ``date`` and ``added_at``: what is new for the chat,
    newest first) as at most ``limit`` stories, ranked by :func:`bot.stories.rank`:
    most distinct sources first (an article of unknown source counts as one), then the
    newest; each story once, as its clearest article with the others as its "Also:"
    members (in the order given).

    ``story_of``: the story id of entries in a story of several (others are alone);
    ``reached``: the stories the chat already had -- their entries become ``late``
    (recorded as delivered, never shown); ``pool``: the chat's whole pool of new
    articles ranked once (:class:`bot.storypool.StoryPool`, its story keys from
    ``story_of``), of which ``entries`` are what its filters let through, in the pool's
    order: the stories are then the pool's, cut down to ``entries`` (which articles are
    one story is decided on the whole pool; importance, order and the clearest article
    on what is left). Without one, ``entries`` are the pool. Pure.
    """
    if pool is None:
        pool = StoryPool(entries, story_keys(entries, story_of))
    gone = pool.absent(entries)
    late: list[int] = []
    if reached:
        ahead = [i for i in pool.members_of(reached) if i not in gone]
        late = [int(pool.entries[i].number) for i in ahead]
        gone.update(ahead)
    cut = pool.cut(gone, limit)
    shown: list[E] = []
    also: dict[int, tuple[Also, ...]] = {}
    for lead, others in cut.stories:
        shown.append(lead)
        if others:
            also[int(lead.number)] = tuple(
                Also(int(m.number), getattr(m, "source_name", None), getattr(m, "url", None))
                for m in others
            )
    return StoryDigest(shown, also, late, cut.new)


def story_digest(
    store: Store,
    chat_id: int,
    entries: Sequence[E],
    limit: int | None = None,
    story_of: Mapping[int, int] | None = None,
    *,
    topic: int = 0,
    pool: StoryPool[E] | None = None,
) -> StoryDigest[E]:
    """:func:`collapse` the chat's entries with their stored story ids (read unless
    given: a scheduled run reads them once for all its chats) and the stories the chat
    (or its forum topic ``topic``) already had (blocking: small indexed queries).
    ``pool``: the chat's pool ranked once, of which ``entries`` are a part (see
    :func:`collapse`; its story keys are the story ids)."""
    stories = StoryStore(store)
    if pool is not None:
        ids: Iterable[Hashable] = pool.story_keys()
        story_of = {}
    elif story_of is None:
        story_of = stories.story_ids(int(e.number) for e in entries)
        ids = story_of.values()
    else:
        story_of = {int(e.number): story_of[e.number] for e in entries if e.number in story_of}
        ids = story_of.values()
    reached = set()
    if ids:
        reached = stories.stories_reached(chat_id, ids, topic=topic)  # type: ignore[arg-type]
    return collapse(entries, story_of, reached, limit, pool)


# -- a chat's digest from the store ----------------------------------------------------


Messages = list[tuple[str, list[int]]]


class DigestReads:
    """What composing digests reads from the store, kept across the chats of one
    scheduled run: each article and its story id are read once however many chats have
    it unseen, its words once however many filters look at them, each pool of new
    articles (the same for most chats of a slot) is ranked into stories once
    (:class:`bot.storypool.StoryPool`) and each filter term is matched against it once
    (:class:`bot.filters.TermMatches`), and the messages of one set of stories are made
    once. Bounded: the articles (and the pools) start over past ``records_kept``, the
    pools past ``pools_kept``, the messages past ``messages_kept`` sets. A fresh one per
    digest (``/digest``) keeps nothing."""

    def __init__(
        self,
        store: Store,
        records_kept: int = 3000,
        messages_kept: int = 500,
        records_bytes: int = RECORDS_BYTES,
        pools_kept: int = POOLS_KEPT,
    ) -> None:
        self.store = store
        self.records_kept = records_kept
        self.records_bytes = records_bytes
        self.messages_kept = messages_kept
        self.pools_kept = pools_kept
        self.records: dict[int, ArticleRecord] = {}
        self._records_size = 0  # bytes of the kept articles' texts (bot.caches.text_size)
        self.story_of: dict[int, int] = {}
        self.words = ArticleCache()
        self.messages: dict[tuple[object, ...], Messages] = {}
        self.parts: PartsKept = {}  # each article's part of a digest, made once
        self._pools: dict[tuple[int, ...], StoryPool[ArticleRecord]] = {}
        self._matches: dict[int, TermMatches] = {}  # by id() of a kept pool
        self._shared = SharedUnseen()
        self._version: int | None = None  # the articles' version (read on first use)
        self._unseen: dict[tuple[int, int], list[int]] = {}

    def read_unseen(self, keys: Iterable[ChatKey]) -> None:
        """Read the unseen article numbers of these subscribers in one batch
        (:meth:`bot.store.Store.unseen_numbers_of`; the shared articles walked once per
        horizon for the run): each one's digest then takes its list."""
        self._unseen = self.store.unseen_numbers_of(keys, POOL, self._shared)

    def unseen_numbers(self, chat_id: int, topic: int = 0) -> list[int]:
        """The subscriber's newest :data:`POOL` unseen article numbers: read in the
        last batch (once), else now."""
        found = self._unseen.pop((chat_id, topic), None)
        if found is None:
            found = self.store.unseen_numbers(chat_id, POOL, topic=topic)
        return found

    def pool(self, numbers: Sequence[int]) -> StoryPool[ArticleRecord]:
        """The visible articles among ``numbers`` (in that order) ranked into stories
        with their story ids: once per run for the same ``numbers``, and once for the
        last few runs of the process while no article changed (:func:`recent_pool`)."""
        key = tuple(numbers)
        found = self._pools.get(key)
        if found is None:
            if self._version is None:
                self._version = self.store.articles_version()
            found = recent_pool(self.store, self._version, key, self._new_pool)
            if len(self._pools) >= self.pools_kept:
                self._clear_pools()
            self._pools[key] = found
        return found

    def _new_pool(self, numbers: Sequence[int]) -> StoryPool[ArticleRecord]:
        records = self.articles(numbers)
        story_of = self.story_of
        return StoryPool(records, [story_of.get(r.number) for r in records])

    def matches(self, pool: StoryPool[ArticleRecord]) -> TermMatches:
        """The filter terms' matches over ``pool``'s entries, kept with the pool."""
        found = self._matches.get(id(pool))
        if found is None or found.entries is not pool.entries:
            found = recent_matches(pool)
            if any(p is pool for p in self._pools.values()):
                self._matches[id(pool)] = found
        return found

    def _clear_pools(self) -> None:
        self._pools.clear()
        self._matches.clear()

    def articles(self, numbers: Sequence[int]) -> list[ArticleRecord]:
        """The visible articles among ``numbers``, in that order (read when not kept)."""
        missing = [n for n in numbers if n not in self.records]
        if missing:
            if self._full(len(missing)):
                self._start_over()
                missing = list(numbers)
            self._add(self.store.articles_by_number(missing).values())
            self.story_of.update(StoryStore(self.store).story_ids(missing))
        return [self.records[n] for n in numbers if n in self.records]

    def _full(self, more: int) -> bool:
        """True when ``more`` articles would take the kept ones past a bound (entries,
        or bytes: one page added to a digest may be megabytes of text)."""
        return len(self.records) + more > self.records_kept or (
            self._records_size > self.records_bytes
        )

    def _start_over(self) -> None:
        self.records.clear()
        self.story_of.clear()
        self._clear_pools()
        self._records_size = 0

    def _add(self, records: Iterable[ArticleRecord]) -> None:
        for record in records:
            if record.number not in self.records:
                self._records_size += text_size(record.text) + text_size(record.title)
            self.records[record.number] = record

    def keep(self, records: Iterable[ArticleRecord]) -> list[ArticleRecord]:
        """Keep articles read elsewhere (with their story ids); returns them."""
        records = list(records)
        fresh = [r.number for r in records if r.number not in self.records]
        if self._full(len(fresh)):
            self._start_over()
            fresh = [r.number for r in records]
        self._add(records)
        self.story_of.update(StoryStore(self.store).story_ids(fresh))
        return records

    def digest_messages(
        self,
        shown: StoryDigest[ArticleRecord],
        today: date | None,
        limit: int,
        *,
        headlines: bool = False,
        footer: str | None = None,
        more: bool = False,
        t: Translator = ENGLISH,
    ) -> Messages:
        """:func:`bot.digest.digest_messages` of ``shown``, made once per set of stories,
        form and language."""
        key = (
            t.language,
            today,
            limit,
            headlines,
            footer,
            shown.new,
            more,
            *((e.number, *(m.number for m in shown.also.get(e.number, ()))) for e in shown.entries),
        )
        found = self.messages.get(key)
        if found is None:
            if len(self.messages) >= self.messages_kept:
                self.messages.clear()
            if len(self.parts) >= PARTS_KEPT:
                self.parts.clear()
            found = self.messages[key] = digest_messages(
                shown.entries,
                limit=limit,
                today=today,
                also=shown.also,
                headlines=headlines,
                footer=footer,
                new=shown.new,
                more=more,
                t=t,
                kept=self.parts,
            )
        return found


# The pools of the last few runs, kept by the process: the slots due at one moment
# (the same quarter hour in several timezones, or a tick's slots) are runs of their
# own whose chats mostly have the same new articles. Keyed by the store, the articles'
# version and the numbers: a pool is reused only while no article changed.
RECENT_POOLS = 4


@dataclass
class _Recent:
    store: Store
    pool: StoryPool[ArticleRecord]
    matches: TermMatches | None = None


_RECENT: dict[tuple[object, ...], _Recent] = {}
_recent_lock = threading.Lock()


def recent_pool(
    store: Store,
    version: int,
    numbers: tuple[int, ...],
    make: Callable[[Sequence[int]], StoryPool[ArticleRecord]],
) -> StoryPool[ArticleRecord]:
    """The pool of ``numbers`` a recent run of ``store`` made at the same articles'
    ``version`` (:meth:`bot.store.Store.articles_version`: any article added, changed,
    retired or regrouped moves it), else ``make(numbers)``."""
    key = (id(store), version, numbers)
    with _recent_lock:
        kept = _RECENT.pop(key, None)
        if kept is not None and kept.store is store:
            _RECENT[key] = kept  # the most recent last
            return kept.pool
    pool = make(numbers)
    with _recent_lock:
        _RECENT[key] = _Recent(store, pool)
        while len(_RECENT) > RECENT_POOLS:
            del _RECENT[next(iter(_RECENT))]
    return pool


def recent_matches(pool: StoryPool[ArticleRecord]) -> TermMatches:
    """The filter terms' matches over ``pool``'s entries, kept with it when it is one
    of the recent pools."""
    with _recent_lock:
        kept = next((k for k in _RECENT.values() if k.pool is pool), None)
        if kept is not None and kept.matches is not None:
            return kept.matches
    matches = TermMatches(pool.entries)
    if kept is not None:
        kept.matches = matches
    return matches


@dataclass(frozen=True, slots=True)
class ChatDigest:
    """A chat's digest: the ``entries`` shown (one per story, in digest order) with the
    ``also`` members of each story, the Telegram ``messages`` (HTML, each with the
    article numbers it carries; none when there is nothing new), the article numbers
    the chat's filters ``held`` back and the ``late`` ones of stories it already had
    (to record as delivered unseen), and how many ``new`` stories it chose from
    (``more``: the chat had more than :data:`POOL` new articles; the oldest were not
    looked at)."""

    entries: list[ArticleRecord]
    also: dict[int, tuple[Also, ...]]
    messages: Messages
    held: list[int] = field(default_factory=list)
    late: list[int] = field(default_factory=list)
    new: int = 0
    more: bool = False


def compose_digest(
    store: Store,
    chat: ChatKey | None,
    max_articles: int,
    *,
    today: date | None = None,
    terms: Iterable[Term | tuple[str, str]] | None = None,
    limit: int = MESSAGE_LIMIT,
    reads: DigestReads | None = None,
    headlines: bool = False,
    footer: str | None = None,
    t: Translator = ENGLISH,
) -> ChatDigest:
    """The digest of ``chat`` (a chat id, or a (chat id, forum topic) pair): at most
    ``max_articles`` stories, in messages of at most ``limit`` UTF-16 units of visible
    text under a header naming ``today`` (the chat's local day), in ``t``'s language.

    What is new for the chat -- its unseen articles (:meth:`bot.store.Store.
    unseen_numbers`: not received, not waiting in the outbox, from the sources it has
    on, added after its last digest), the newest :data:`POOL` of them -- then its filter
    ``terms`` (read from the store when None); then the pages the chat added itself,
    always shown first; then the stories ranked (:func:`collapse`: most sources first,
    then the newest, each once); then the messages (``headlines``:
    without summaries; ``footer``: a last line, HTML), whose header says how many
    stories it shows of how many new and whose end says where the rest are. ``chat``
    None: the digest of the newest summarized shared articles for someone who has seen
    none (``digestbot digest``). Blocking; records nothing (see :class:`ChatDigest`;
    the callers move the chat's horizon, :meth:`bot.store.Store.pass_over`, so the next
    digest starts from what arrives after this one).
    """
    reads = reads or DigestReads(store)
    if chat is None:
        articles = store.list_articles(0, POOL)
        more = len(articles) >= POOL
        entries = reads.keep(a for a in articles if a.summary)
        story_of = {n: s for n in (e.number for e in entries) if (s := reads.story_of.get(n))}
        shown = collapse(entries, story_of, limit=max_articles)
        messages = reads.digest_messages(
            shown, today, limit, headlines=headlines, footer=footer, more=more, t=t
        )
        return ChatDigest(shown.entries, shown.also, messages, new=shown.new, more=more)
    chat_id, topic = chat_key(chat)
    numbers = reads.unseen_numbers(chat_id, topic)
    more = len(numbers) >= POOL
    pool = reads.pool(numbers)
    entries = pool.entries
    if terms is None:
        terms = store.filter_terms(chat_id, topic=topic)
    held: list[ArticleRecord] = []
    chat_filter = compile_filter(terms)
    if chat_filter:
        matches = reads.matches(pool)
        entries, held = split_entries(entries, chat_filter, reads.words, matches=matches)
    # What the chat added itself ("Add to my digest") is always shown, first: it asked.
    added = store.added_numbers(chat_id, topic=topic)
    pinned = [e for e in entries if e.number in added] if added else []
    if pinned:
        entries = [e for e in entries if e.number not in added]
    shown = story_digest(
        store,
        chat_id,
        entries,
        max(max_articles - len(pinned), 0),
        topic=topic,
        pool=pool,
    )
    if pinned:
        shown = StoryDigest(
            [*pinned, *shown.entries], shown.also, shown.late, shown.new + len(pinned)
        )
    messages = reads.digest_messages(
        shown, today, limit, headlines=headlines, footer=footer, more=more, t=t
    )
    return ChatDigest(
        shown.entries,
        shown.also,
        messages,
        [e.number for e in held],
        list(shown.late),
        shown.new,
        more,
    )
