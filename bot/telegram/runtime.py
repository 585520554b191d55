"""What the handlers and jobs share: the bot's :class:`Runtime` state and the typed
callback context (:class:`BotContext`) through which they reach it.

python-telegram-bot builds ``bot_data`` with a no-argument constructor, but the runtime
needs the config and the store, so it stays in ``bot_data`` under one key and
:class:`BotContext` (registered with ``ContextTypes(context=BotContext)``) hands it out
typed: handlers write ``context.runtime.store``, never ``bot_data["…"]``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.caches import SizedCache, text_size
from bot.cluster.leader import Leadership, SoleLeader
from bot.cluster.state import ButtonTokens, ChatQuotas, LocalAdmins
from bot.config import Config
from bot.locales import ENGLISH, Translator
from bot.schedule import Slot
from bot.store import Store
from bot.telegram.admins import AdminAnswers

if TYPE_CHECKING:
    from telegram.ext import Job

    from bot.feeds.poll import Poller
    from bot.store.feeds import FeedStore
    from bot.telegram.delivery import Sender
    from bot.telegram.metrics import Metrics, MetricsServer
    from bot.telegram.slots import ScheduleSummary
    from bot.telegram.webhook import WebhookServer
    from bot.web.fetch import Fetcher
    from bot.web.links import PageSummary
    from bot.web.workers import Workers

__all__ = [
    "ARTICLE_REPLIES_BYTES",
    "ARTICLE_REPLIES_KEPT",
    "PAGE_SUMMARIES_BYTES",
    "PAGE_SUMMARIES_KEPT",
    "RUNTIME_KEY",
    "BotContext",
    "Runtime",
    "default_clock",
    "runtime",
]

# The bot's in-memory caches, each bounded in entries and in bytes (bot.caches): the
# /article N replies composed lately, and the summaries of pages fetched lately. With
# the fetcher's page cache (bot.web.fetch) and the pending "Add to my digest" summaries
# (bot.web.links.Pending) they are what a stream of large pages can fill: together at
# most 8 + 16 + 32 + 16 MB (bench/memory.py).
ARTICLE_REPLIES_KEPT = 4096
ARTICLE_REPLIES_BYTES = 8 << 20
PAGE_SUMMARIES_KEPT = 256
PAGE_SUMMARIES_BYTES = 16 << 20

Reply = list[tuple[str, str | None]]


def _reply_size(reply: Reply) -> int:
    return sum(text_size(text) + (text_size(markup) if markup else 0) for text, markup in reply)


def _summary_size(summary: PageSummary) -> int:
    return summary.size


def _article_replies() -> SizedCache[tuple[int, str], Reply]:
    return SizedCache(ARTICLE_REPLIES_KEPT, ARTICLE_REPLIES_BYTES, _reply_size)


def _page_summaries() -> SizedCache[tuple[str, str], PageSummary]:
    return SizedCache(PAGE_SUMMARIES_KEPT, PAGE_SUMMARIES_BYTES, _summary_size)


RUNTIME_KEY = "digestbot"

REVOKED_TOKEN = (
    "Telegram stopped accepting the bot token while the bot was running (revoked in "
    "@BotFather?): set the new one in TELEGRAM_BOT_TOKEN or [telegram] token and start again"
)


def default_clock() -> datetime:
    """The real time, aware, in UTC (tests inject another clock)."""
    return datetime.now(UTC)


@dataclass
class Runtime:
    """The bot's state, shared by handlers and jobs."""

    config: Config
    store: Store
    owns_store: bool  # opened by build_application: closed at shutdown
    clock: Callable[[], datetime] = default_clock
    sender: Sender | None = None  # created in post_init
    stopping: bool = False
    # The Redis of [cluster] redis_url (a redis.asyncio client) and this bot's key
    # prefix there; None: one process, everything in memory.
    redis: Any = None
    redis_prefix: str = ""
    # Whether this process runs the schedule, feed polls and housekeeping
    # (bot.cluster.leader); the jobs it added for that (bot.telegram.leaderjobs).
    leader: Leadership = field(default_factory=SoleLeader)
    leader_jobs: list[Job[Any]] = field(default_factory=list)
    # The schedule built when this process became the leader (None while it does not lead).
    schedule: ScheduleSummary | None = None
    # The slots given a catch-up run at start-up (a digest missed while the bot was down).
    catch_up: tuple[Slot, ...] = ()
    # Summaries computed by rescans, counted for tests and logs.
    summarized: int = 0
    rescan_task: asyncio.Task[None] | None = None
    # (source, reason) of the files the last rescan skipped: warned about once, not every scan.
    reported_skips: set[tuple[str, str]] = field(default_factory=set)
    # /article N replies by (number, language), valid while the store's articles_version is this;
    # worker threads read and fill it under article_replies_lock.
    article_replies: SizedCache[tuple[int, str], Reply] = field(default_factory=_article_replies)
    article_replies_version: int | None = None
    article_replies_lock: threading.Lock = field(default_factory=threading.Lock)
    rescan_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Group administrators, as getChatMember said a few minutes ago (bot.telegram.admins).
    # In memory, or in Redis for several processes (bot.cluster.state).
    admins: AdminAnswers = field(default_factory=LocalAdmins)
    # The webhook server while one runs ([telegram] mode = "webhook"), and whether
    # Telegram accepted the webhook (setWebhook answered).
    webhook: WebhookServer | None = None
    webhook_registered: bool = False
    # Prometheus metrics and their HTTP server, when [metrics] listen is set.
    metrics: Metrics | None = None
    metrics_server: MetricsServer | None = None
    # Set to end ``run``: by SIGINT/SIGTERM, or by a fatal error (see shut_down).
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    # Why the bot must stop, when it is an error (the CLI prints it, exit status 1).
    fatal: str | None = None
    # Feeds, created in post_init: the HTTP client, the feed rows, the poller,
    # the running scheduled poll, polls started by /addfeed, the last feed-article prune.
    fetcher: Fetcher | None = None
    feeds: FeedStore | None = None
    poller: Poller | None = None
    feed_task: asyncio.Task[None] | None = None
    feed_polls: set[asyncio.Task[Any]] = field(default_factory=set)
    feeds_pruned_at: float = 0.0
    # Summaries on demand, besides the fetcher above (SSRF fence, limits,
    # cache, per-chat quota): the worker processes that extract and summarize, and the
    # summaries whose "Add to my digest" button still works, and each chat's quota (in
    # memory, or in Redis for several processes: bot.cluster.state). Created in
    # post_init unless set before (tests and benchmarks: threads, or one process).
    workers: Workers | None = None
    pending: ButtonTokens | None = None
    quotas: ChatQuotas | None = None
    # Summaries of fetched pages by (canonical URL, SHA-256 of the body they were made
    # from): those done, and those being computed; see bot.telegram.handlers.ondemand.
    page_summaries: SizedCache[tuple[str, str], PageSummary] = field(
        default_factory=_page_summaries
    )
    summaries_in_flight: dict[tuple[str, str], asyncio.Future[PageSummary]] = field(
        default_factory=dict
    )
    # Stories: articles_version when the recent articles were last grouped
    # with nothing left to change (bot.telegram.jobs.regroup_stories skips while it holds).
    stories_version: int | None = None

    def shut_down(self, reason: str) -> None:
        """Stop the whole bot because of ``reason`` (e.g. the token was revoked):
        ``run`` ends with that one line and exit status 1, never a deaf process."""
        if self.fatal is None:
            self.fatal = reason
        self.stop_event.set()

    def token_rejected(self) -> None:
        """Telegram answered 401 to a call while running: stop (see shut_down)."""
        self.shut_down(REVOKED_TOKEN)


def runtime(application: Application[Any, Any, Any, Any, Any, Any]) -> Runtime:
    """The bot's shared state."""
    return application.bot_data[RUNTIME_KEY]


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The callback context of every handler and job: ``context.runtime`` is typed;
    ``context.t`` speaks the update's chat's language (set before any handler runs by
    :func:`bot.telegram.handlers.language.choose_language`; English until then)."""

    t: Translator = ENGLISH

    @property
    def runtime(self) -> Runtime:
        return self.application.bot_data[RUNTIME_KEY]
