"""The store: chats, articles with their summaries, deliveries and the outbox.

The database is digestbot's source of truth; everything the bot knows survives a
restart here. One :class:`Store` wraps one database: a SQLite file (the default; or
``":memory:"`` in tests), or a PostgreSQL database (``Store("postgresql://...")``,
``[storage] url``): the same methods, schema history and behaviour on both
(:mod:`~bot.store.engine` says how; docs/postgresql.md what differs):

* **chats** -- every chat the bot has talked to, and every forum topic of a chat that
  subscribed on its own: a subscriber is a (``chat_id``, ``topic``) pair, ``topic`` the
  forum topic's ``message_thread_id`` (digests go there) or 0 for the chat itself, and
  every table below keeps its rows per subscriber. Each has its timezone
  (``None`` means the config default), its first digest time ``"HH:MM"`` (``None`` means
  not subscribed), the weekdays it gets digests on (``days``, a :mod:`bot.rhythm` mask),
  whether it is active (Telegram said it blocked the bot → inactive, with the reason;
  chat-wide for every topic, or one topic when it was deleted) and ``last_digest_key``,
  the local date of the last scheduled digest queued for it.
* **subscriptions** -- one row per (subscriber, time of day), up to four each, each with
  ``last_run_key``: the local date of the last digest queued for that time, so the digest
  of one time on one day is never queued twice.
* **articles** -- one row per seed file (``source`` is unique). ``number`` is the
  user-facing N of ``/article N``: assigned once, kept when the file is edited, never
  reused. A changed ``content_hash`` clears the summary so it is computed again.
  A seed file that vanished is *retired* (hidden, number kept) rather than deleted,
  so a file that comes back -- a rename-and-save, a restored backup -- keeps its number.
* **digest_additions** -- pages and texts a user summarized and added to its chat's
  digest. Such articles are *private*: in those chats' digests only, not in
  the shared list, search or counts, and never retired by a seeds scan.
* **deliveries** -- which article reached which chat; a digest holds only articles
  the chat has not received yet and that are not already waiting for it in the outbox.
  Deliveries older than the retention window are pruned (:meth:`Store.prune`); the
  chat's **pruned_deliveries** row then says that every article the store had before
  the cutoff counts as received, so none of them is sent to it again.
* **chat_filters** -- each chat's ``/filter`` terms (mode ``-``/``+`` and the term as
  written, keyed by its folded words). An article a chat's filters hold back is
  recorded in **deliveries** with ``held_back = 1``: done for that chat like a delivery,
  and counted by ``count_held_back``.
* **outbox** -- scheduled digests waiting to be sent. Queuing a digest and
  setting ``last_digest_key`` is one transaction; sending a message, deleting it from
  the outbox and recording its deliveries is another. A crash between "Telegram
  accepted the message" and :meth:`Store.mark_sent` therefore repeats at most that
  one message, and nothing is ever lost.

Threading: writes go through one connection opened with ``check_same_thread=False``
and guarded by a lock, one short transaction each. Reads on a file database go through
a read-only connection per thread (WAL lets them run beside the writer), so a search in
a worker thread never holds up a lookup on the event loop, and no read waits for the
lock; a ``":memory:"`` database has only the one connection (see ``base``).

Schema changes are versioned: ``bot.store.migrations.MIGRATIONS`` is an append-only list
of named SQL steps and ``PRAGMA user_version`` records how many have run. Opening an
older database applies the missing steps, each in its own transaction. The schema
they produce is written down in ``bot/store/schema.sql``.

Retention: :meth:`Store.prune` (daily, via :func:`prune_expired`) deletes deliveries
older than ``[storage] retention_days`` so the file does not grow without bound;
see its docstring for why that never lets an article reach a chat twice.

The package has one module per noun, each a mixin over :class:`bot.store.base.StoreBase`
(connection, lock, transactions, reads, migrations, clock): :mod:`~bot.store.chats`,
:mod:`~bot.store.articles`, :mod:`~bot.store.deliveries` (with what filters held back),
:mod:`~bot.store.filters`, :mod:`~bot.store.channels` (channels the bot administers and
which one a private chat manages), :mod:`~bot.store.languages`, :mod:`~bot.store.outbox`
and :mod:`~bot.store.retention`. A
mixin that needs another's methods says so by subclassing it, so the type checker sees
it: the deliveries build on the chats and the articles, the outbox on the deliveries;
the dataclasses and row converters are in :mod:`~bot.store.records`. :class:`Store`
combines them.
"""

from __future__ import annotations

from bot.store.articles import ArticlesMixin
from bot.store.base import StoreBase, StoreError
from bot.store.channels import ChannelsMixin
from bot.store.chats import ChatsMixin
from bot.store.deliveries import DeliveriesMixin
from bot.store.engine import DatabaseError
from bot.store.filters import FiltersMixin
from bot.store.languages import LanguagesMixin
from bot.store.outbox import OutboxMixin
from bot.store.records import ArticleRecord, Chat, OutboxItem, Pruned
from bot.store.retention import DAY_SECONDS, RetentionMixin, prune_expired

__all__ = [
    "DAY_SECONDS",
    "ArticleRecord",
    "Chat",
    "DatabaseError",
    "OutboxItem",
    "Pruned",
    "Store",
    "StoreError",
    "prune_expired",
]


class Store(
    OutboxMixin,
    DeliveriesMixin,
    ChatsMixin,
    ArticlesMixin,
    FiltersMixin,
    ChannelsMixin,
    LanguagesMixin,
    RetentionMixin,
    StoreBase,
):
    """The database. ``Store(path)``; ``":memory:"`` for a throw-away one;
    ``Store("postgresql://...")`` for PostgreSQL.

    Use as a context manager or call :meth:`close`. ``clock`` (seconds since the
    epoch) is injectable so tests can control ``created_at``/``added_at``.
    """
