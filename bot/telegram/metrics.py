"""Prometheus metrics and the health endpoint of the running bot (``[metrics] listen``).

:class:`Metrics` owns one ``prometheus_client`` registry per bot (so two bots in one
process, as in tests, keep their own counts) and the counters the edges bump through
plain callbacks: the outbox sender (messages sent, failed by reason, digest runs), the
rate limiter (429s), the update processor (update-to-reply latency), the fetcher
(fetches by outcome) and the feed poller (polls by outcome). :class:`MetricsServer`
serves them with aiohttp on the bot's own event loop:

* ``GET /metrics`` -- the Prometheus text format. The figures that live in the database
  (outbox depth and its oldest item's age, articles, subscribers) are read in a worker
  thread at scrape time, each one an indexed lookup or a kept counter, so a scrape never
  blocks the loop.
* ``GET /healthz`` -- 200 ``ok`` while the bot is alive and getting updates (long polling
  running, or the webhook registered and its server up); 503 with the reason otherwise.

Nothing here is imported unless ``[metrics] listen`` is set.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from datetime import datetime

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from bot import __version__
from bot.errors import DigestbotError
from bot.store import Store

__all__ = ["Metrics", "MetricsServer", "outcome_label"]

log = logging.getLogger(__name__)

# Seconds from an update's arrival to the end of its handler (the reply sent).
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# A digest run lasts from seconds (a few chats) to an hour (100,000 chats at 30/s).
RUN_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0)

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def outcome_label(name: str) -> str:
    """A class name or outcome as a label value: ``FetchTimeout`` -> ``fetch_timeout``,
    ``HTTPStatus`` -> ``http_status``."""
    return _CAMEL.sub("_", name).lower()


class Metrics:
    """The bot's metrics (see module docstring); the ``on_*`` methods are the callbacks."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        info = Gauge("digestbot_info", "The running version", ["version"], registry=registry)
        info.labels(version=__version__).set(1)
        self.messages_sent = Counter(
            "digestbot_messages_sent", "Digest messages Telegram accepted", registry=registry
        )
        self.messages_failed = Counter(
            "digestbot_messages_failed",
            "Digest messages not delivered, by reason (refused: a 400; blocked: 403; "
            "chat_not_found; topic_gone; gave_up: network errors past the attempts; "
            "moved_again)",
            ["reason"],
            registry=registry,
        )
        self.messages_retried = Counter(
            "digestbot_messages_retried",
            "Digest messages put back in the outbox for a later try",
            registry=registry,
        )
        self.retry_after = Counter(
            "digestbot_telegram_429",
            "429 Too Many Requests answers from the Bot API",
            registry=registry,
        )
        self.outbox_depth = Gauge(
            "digestbot_outbox_depth", "Messages waiting in the outbox", registry=registry
        )
        self.outbox_oldest = Gauge(
            "digestbot_outbox_oldest_age_seconds",
            "Age of the oldest message waiting in the outbox (0 when empty)",
            registry=registry,
        )
        self.run_duration = Histogram(
            "digestbot_digest_run_duration_seconds",
            "Duration of each digest run (from the first due message to an empty outbox)",
            buckets=RUN_BUCKETS,
            registry=registry,
        )
        self.run_chats = Gauge(
            "digestbot_digest_last_run_chats",
            "Chats sent to in the last digest run",
            registry=registry,
        )
        self.run_chats_total = Counter(
            "digestbot_digest_run_chats", "Chats sent to in digest runs", registry=registry
        )
        self.feed_polls = Counter(
            "digestbot_feed_polls",
            "Feed polls by outcome (new, updated, unchanged, failed)",
            ["outcome"],
            registry=registry,
        )
        self.fetches = Counter(
            "digestbot_fetches",
            "Page and feed fetches by outcome (ok, not_modified, or the error: "
            "refused_address, fetch_timeout, http_status, ...)",
            ["outcome"],
            registry=registry,
        )
        self.articles = Gauge(
            "digestbot_articles", "Articles listed in the catalogue", registry=registry
        )
        self.subscribers = Gauge(
            "digestbot_subscribers", "Active subscriptions (chats and topics)", registry=registry
        )
        self.leader = Gauge(
            "digestbot_leader",
            "1 while this process runs the schedule and the feed polls (the leader), else 0",
            registry=registry,
        )
        self.reply_latency = Histogram(
            "digestbot_update_reply_seconds",
            "Seconds from an update's arrival to the end of its handling (the reply sent)",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    # -- callbacks -------------------------------------------------------------------
    def on_leadership(self, leading: bool) -> None:
        """This process became the leader (True) or stopped being it (False)."""
        self.leader.set(1 if leading else 0)

    def on_message(self, result: str, reason: str | None) -> None:
        """The sender settled a message: ``result`` sent, failed, deactivated, retried."""
        if result == "sent":
            self.messages_sent.inc()
        elif result in ("failed", "deactivated"):
            self.messages_failed.labels(reason=reason or result).inc()
        elif result == "retried":
            self.messages_retried.inc()

    def on_run(self, duration: float, chats: int) -> None:
        """A digest run ended."""
        self.run_duration.observe(duration)
        self.run_chats.set(chats)
        self.run_chats_total.inc(chats)

    def on_retry_after(self) -> None:
        self.retry_after.inc()

    def on_update(self, seconds: float) -> None:
        self.reply_latency.observe(seconds)

    def on_fetch(self, outcome: str) -> None:
        self.fetches.labels(outcome=outcome_label(outcome)).inc()

    def on_feed_poll(self, outcome: str) -> None:
        self.feed_polls.labels(outcome=outcome).inc()

    # -- scraping --------------------------------------------------------------------
    def read_store(self, store: Store, now: float | None = None) -> None:
        """Set the gauges that live in the database (blocking: call it in a thread)."""
        now = time.time() if now is None else now
        self.outbox_depth.set(store.count_outbox())
        oldest = store.oldest_outbox_created()
        age = 0.0 if oldest is None else max(0.0, now - datetime.fromisoformat(oldest).timestamp())
        self.outbox_oldest.set(age)
        self.articles.set(store.count_articles())
        self.subscribers.set(store.count_subscribers())

    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format."""
        return generate_latest(self.registry)


class MetricsServer:
    """``/metrics`` and ``/healthz`` over HTTP on the running event loop."""

    def __init__(
        self,
        metrics: Metrics,
        store: Store,
        health: Callable[[], str | None],
        *,
        host: str,
        port: int,
    ) -> None:
        """``health()``: None when all is well, else why not (one line)."""
        self.metrics = metrics
        self.store = store
        self.health = health
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Listen; a taken address is one line naming ``[metrics] listen``."""
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            raise DigestbotError(
                f"[metrics] listen: cannot listen on {self.host}:{self.port} "
                f"({exc.strerror or exc}): choose a free address and port"
            ) from None
        if self.port == 0 and self._runner.addresses:  # "any free port": the one bound
            self.port = self._runner.addresses[0][1]
        log.debug("metrics on http://%s:%d/metrics, health on /healthz", self.host, self.port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _metrics(self, request: web.Request) -> web.Response:
        # One scrape reads the database at a time: scrapes piling up wait, not the loop.
        async with self._lock:
            body = await asyncio.to_thread(self._scrape)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    def _scrape(self) -> bytes:
        """The database's gauges read, then the text of every metric built (it grows with
        the label values seen): blocking, so in a worker thread."""
        self.metrics.read_store(self.store)
        return self.metrics.exposition()

    async def _healthz(self, request: web.Request) -> web.Response:
        problem = self.health()
        if problem is None:
            return web.Response(text="ok\n")
        return web.Response(status=503, text=problem + "\n")
