"""The bot as a python-telegram-bot Application: assembly, start-up, shutdown and ``run``.

:func:`build_application` wires the handlers (:mod:`bot.telegram.handlers.commands`), the jobs
(:mod:`bot.telegram.jobs`), the outbox sender (:mod:`bot.telegram.delivery`), flood control
(:mod:`bot.telegram.ratelimit`) and the Bot API transport; :func:`run` runs it with long polling
or a webhook (:mod:`bot.telegram.updater`) until SIGINT/SIGTERM. What happens besides the handlers:

* **start-up** -- the command menu is set, the rescan and digest jobs are scheduled
  (rebuilt from the store; a digest missed within ``[digest] missed_grace_seconds`` is
  queued once) and the sender starts on whatever the outbox still holds.
* **shutdown** -- on SIGINT/SIGTERM python-telegram-bot stops polling and the jobs; the
  sender gets a few seconds to finish what is in flight (the rest stays in the outbox
  for the next start) and the store is closed last.

The token never reaches a log (:mod:`bot.telegram.redaction`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import signal
import sys
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from telegram import BotCommand, Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot import __version__
from bot.cluster.leader import Leadership, leadership_for, postgres_url
from bot.config import Config
from bot.errors import ConfigError, DigestbotError
from bot.locales import DEFAULT, LANGUAGES, translator
from bot.store import Store
from bot.telegram import leaderjobs, slots
from bot.telegram.handlers import articles as articlehandlers
from bot.telegram.handlers import channels, language, ondemand, userfeeds
from bot.telegram.handlers import commands as handlers
from bot.telegram.handlers import opml as opmlhandlers
from bot.telegram.handlers import settings as settingshandlers
from bot.telegram.handlers import sources as sourcehandlers
from bot.telegram.lock import InstanceLock, database_file
from bot.telegram.ptb import opt_into_timedelta
from bot.telegram.ratelimit import TelegramRateLimiter
from bot.telegram.redaction import install_token_redaction, redact
from bot.telegram.replies import LANGUAGE_BUTTON, command_list
from bot.telegram.runtime import RUNTIME_KEY, BotContext, Runtime, default_clock, runtime
from bot.telegram.updater import health, polls_when_leading, start_updater, stop_updater
from bot.telegram.updates import ArticleRequest, DigestBot, PerChatUpdateProcessor

log = logging.getLogger(__name__)

__all__ = [
    "BAD_TOKEN",
    "NO_TOKEN",
    "build_application",
    "freeze_startup_objects",
    "prepare_process",
    "run",
    "running",
    "runtime",
]

NO_TOKEN = (
    "no Telegram bot token: talk to @BotFather in Telegram (/newbot) to create a bot and get "
    'its token, then set TELEGRAM_BOT_TOKEN or put token = "..." under [telegram] in the '
    "config file"
)

BAD_TOKEN = (
    "Telegram rejected the bot token: check TELEGRAM_BOT_TOKEN or [telegram] token "
    "(@BotFather's /token shows the token of each of your bots)"
)


# Start-up tries to reach Telegram this many more times (waits grow from 1 s to
# about 5 s, ~13 s in all) before giving up with one clear line; under systemd,
# Restart=on-failure then tries again later.
BOOTSTRAP_RETRIES = 5


# The handler group of the chat's language: before every other, the channel routing
# (channels.ROUTE_GROUP) included (one handler runs per group, so it has its own).
LANGUAGE_GROUP = -10_000

# -- the application ---------------------------------------------------------------------


async def _post_init(application: Application) -> None:
    """After the bot is initialized, before updates flow: menu, jobs, sender."""
    from bot.telegram.delivery import Sender

    rt = runtime(application)
    for code in LANGUAGES:
        # The English list is every other language's fallback too (no language_code).
        commands = [BotCommand(name, text) for name, text in command_list(translator(code))]
        await application.bot.set_my_commands(
            commands, language_code=None if code == DEFAULT else code
        )
    config = rt.config
    await _start_feeds(rt)
    if rt.metrics is not None:
        assert rt.fetcher is not None and rt.poller is not None
        rt.fetcher.on_outcome = rt.metrics.on_fetch
        rt.poller.on_outcome = rt.metrics.on_feed_poll
    # The leader's jobs (the schedule, feed polls, housekeeping): added now by a sole
    # process; with several, when this one becomes the leader (bot.cluster.leader).
    await rt.leader.start(
        functools.partial(leaderjobs.gain, application),
        functools.partial(leaderjobs.lose, application),
    )
    summary = rt.schedule
    if summary is None:  # another process leads: it has the schedule
        count = await asyncio.to_thread(rt.store.count_subscribers)
        summary = slots.ScheduleSummary(count, 0, ())
    assert rt.feeds is not None
    feeds = len(await asyncio.to_thread(rt.feeds.feeds))
    articles = await asyncio.to_thread(rt.store.count_articles)
    line = start_line(application.bot.username, config, feeds, articles, summary)
    if rt.leader.shared:
        line += f"; {rt.leader.describe()}"
    log.info("%s", line)
    _start_on_demand(rt)
    metrics = rt.metrics
    rt.sender = Sender(
        application.bot,
        rt.store,
        # Several processes send from one outbox: each claims what it sends for a while.
        lease_seconds=OUTBOX_LEASE_SECONDS if rt.leader.shared else None,
        on_token_rejected=rt.token_rejected,
        on_message=None if metrics is None else metrics.on_message,
        on_run=None if metrics is None else metrics.on_run,
    )
    rt.sender.start()
    # Digests queued before a crash or a stop are still in the outbox.
    rt.sender.notify()


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def start_line(
    username: str, config: Config, feeds: int, articles: int, scheduled: slots.ScheduleSummary
) -> str:
    """The one line a start logs, once connected: what runs, as whom, over what."""
    mode = (
        f"webhook at {config.telegram.webhook_url}"
        if config.telegram.mode == "webhook"
        else "long polling"
    )
    line = (
        f"digestbot {__version__} starting as @{username} ({mode}): {_plural(feeds, 'feed')}, "
        f"{_plural(articles, 'article')}, {_plural(scheduled.chats, 'subscriber')}"
    )
    if scheduled.catch_up:
        line += f"; {_plural(len(scheduled.catch_up), 'missed digest slot')} to catch up"
    return line


def _start_on_demand(rt: Runtime) -> None:
    """The workers and pending buttons of summaries on demand; the fetcher
    is the feeds' one (_start_feeds), made here only if there is none."""
    from bot.cluster.state import LocalQuotas, LocalTokens, RedisQuotas, RedisTokens
    from bot.web.fetch import Fetcher
    from bot.web.workers import Workers

    if rt.fetcher is None:
        rt.fetcher = Fetcher(rt.config.fetch)
    if rt.workers is None:
        rt.workers = Workers()
    if rt.pending is None:
        rt.pending = LocalTokens() if rt.redis is None else RedisTokens(rt.redis, rt.redis_prefix)
    if rt.quotas is None:
        rt.quotas = (
            LocalQuotas(rt.fetcher.quota)
            if rt.redis is None
            else RedisQuotas(rt.redis, rt.redis_prefix, rt.config.fetch.per_chat_per_hour)
        )


async def _post_stop(application: Application) -> None:
    """Polling and jobs have stopped: let the sender finish (the bot still works)."""
    rt = runtime(application)
    rt.stopping = True
    if rt.sender is not None:
        await rt.sender.stop()
    if rt.rescan_task is not None:
        # Returns after the summary in progress; the rest are made after the next start.
        await rt.rescan_task
    await _stop_feeds(rt)


async def _start_feeds(rt: Runtime) -> None:
    """The feed poller: the config's feeds synced into the store."""
    from bot.feeds.poll import Poller
    from bot.store.feeds import FeedStore
    from bot.web.fetch import Fetcher

    rt.feeds = FeedStore(rt.store)
    await asyncio.to_thread(rt.feeds.sync_config, rt.config.feeds)
    if rt.fetcher is None:  # tests and benchmarks may give one (a stub resolver)
        rt.fetcher = Fetcher(rt.config.fetch)
    rt.poller = Poller(rt.feeds, rt.fetcher, rt.config)


async def _stop_feeds(rt: Runtime) -> None:
    """Cancel feed polls in flight (they resume at the next start) and close the client."""
    tasks = [t for t in (rt.feed_task, *rt.feed_polls) if t is not None and not t.done()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if rt.poller is not None:
        rt.poller.close()
    if rt.fetcher is not None:
        await rt.fetcher.close()


async def _post_shutdown(application: Application) -> None:
    rt = runtime(application)
    # The fetcher, shared with the feeds, was closed by _stop_feeds.
    if rt.workers is not None:
        await rt.workers.close()
    if rt.redis is not None:
        await rt.redis.aclose()
    if rt.turns is not None:
        await rt.turns.close()
    if rt.owns_store:
        rt.store.close()


# With several processes, an outbox item a process took is theirs for this long: if
# the process dies, another sends it after the lease (within 30 s of the death).
OUTBOX_LEASE_SECONDS = 25.0

# Connections for Bot API calls at once: PTB's own default (and the update processor's
# concurrency), so every reply in progress can be on the wire; they open on demand.
API_CONNECTIONS = 256


def _requests(transport: str, base_url: str) -> tuple[BaseRequest, BaseRequest]:
    """The requests for Bot API calls and for getUpdates, by ``[telegram] transport``.

    "aiohttp" (default; "lean" is an alias): AiohttpRequest, which delivering at
    1,000 msg/s and answering 500 chats at once need (HTTPX costs ~3 ms of CPU a call).
    getUpdates gets one of its own (one connection): a long poll then never waits for a
    free API connection. Both use the proxy ``HTTPS_PROXY``/``HTTP_PROXY`` name for
    ``base_url``, as HTTPX would. PTB adds the poll's ``timeout`` (10 s) to the request's
    ``read_timeout`` (5 s) for getUpdates, so a long poll is never cut short.
    """
    if transport == "httpx":
        return HTTPXRequest(connection_pool_size=API_CONNECTIONS), HTTPXRequest()
    from bot.telegram.request import AiohttpRequest, proxy_from_environment

    proxy = proxy_from_environment(base_url)
    return (
        AiohttpRequest(pool_size=API_CONNECTIONS, proxy=proxy),
        AiohttpRequest(pool_size=1, proxy=proxy),
    )


def _share_through_redis(rt: Runtime, limiter: TelegramRateLimiter, url: str) -> None:
    """Several processes: send rates, admins' answers (and, in post_init, button tokens
    and quotas) kept in the Redis of ``[cluster] redis_url`` (bot.cluster)."""
    from bot.cluster.limiter import SharedLimiter
    from bot.cluster.redis import connect, key_prefix
    from bot.cluster.state import RedisAdmins

    tg = rt.config.telegram
    rt.redis = connect(url)
    rt.redis_prefix = key_prefix(tg.token)
    limiter.shared = SharedLimiter(
        rt.redis,
        rt.redis_prefix,
        tg.max_messages_per_second,
        margin=limiter.limiter.base_margin,
        chat_per_second=tg.chat_messages_per_second,
        reply_reserve=limiter.limiter.reply_reserve,
    )
    rt.admins = RedisAdmins(rt.redis, rt.redis_prefix)


def build_application(
    config: Config,
    store: Store | None = None,
    *,
    clock: Callable[[], datetime] = default_clock,
    request: BaseRequest | None = None,
    leader: Leadership | None = None,
) -> Application:
    """The whole bot as a python-telegram-bot Application (not started).

    ``store``: an open Store the caller keeps and closes; None opens
    ``[storage] path`` and closes it at shutdown. ``clock`` (aware datetimes) decides
    which digest is due when a job runs, so tests can inject the time. ``request``: a
    ``telegram.request.BaseRequest`` for the bot's calls other than getUpdates (default:
    by ``[telegram] transport``, see :func:`_requests`). ``leader``: who runs the schedule
    (default: :func:`bot.cluster.leader.leadership_for` the config). Raises ConfigError
    without a token.
    """
    tg = config.telegram
    if not tg.token:
        raise ConfigError(NO_TOKEN)
    opt_into_timedelta()
    install_token_redaction(tg.token)
    if tg.secret_token:
        install_token_redaction(tg.secret_token)
    owns_store = store is None
    if store is None:
        store = Store(config.storage.database)
    api_request, updates_request = _requests(tg.transport, tg.base_url)
    bot_kwargs: dict[str, Any] = {}
    if tg.base_url.endswith("/bot"):
        # A self-hosted Bot API server serves files beside its methods, as Telegram does.
        bot_kwargs["base_file_url"] = tg.base_url[: -len("bot")] + "file/bot"
    limiter = TelegramRateLimiter.from_config(
        tg.max_messages_per_second,
        tg.chat_messages_per_second,
        reply_reserve=tg.reply_reserve,
    )
    bot = DigestBot(
        tg.token,
        base_url=tg.base_url,
        request=request if request is not None else api_request,
        get_updates_request=updates_request,
        rate_limiter=limiter,
        **bot_kwargs,
    )
    processor = PerChatUpdateProcessor()
    application = (
        ApplicationBuilder()
        .bot(bot)
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(processor)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    rt = Runtime(config, store, owns_store, clock)
    rt.leader = leader if leader is not None else leadership_for(config)
    shared = postgres_url(config)
    if shared is not None and tg.mode == "webhook":
        # Behind one load balancer a chat's updates may reach several processes.
        from bot.cluster.turns import ChatTurns

        rt.turns = processor.turns = ChatTurns(shared)
    if config.cluster.redis_url is not None:
        _share_through_redis(rt, limiter, config.cluster.redis_url)
    application.bot_data[RUNTIME_KEY] = rt
    if config.metrics.listen is not None:
        from bot.telegram.metrics import Metrics

        rt.metrics = Metrics()
        limiter.on_retry_after = rt.metrics.on_retry_after
        processor.on_handled = rt.metrics.on_update
    bot.when_token_rejected(rt.token_rejected)
    processor.on_overflow = functools.partial(handlers.slow_down, bot, rt.store)
    bot.drop_updates_if(processor.drop_if_flooding)

    # Before every other group: which chat a private chat's update acts on (/channel).
    application.add_handler(TypeHandler(Update, channels.route), group=channels.ROUTE_GROUP)
    # First: what the fast lane hands over is matched by one isinstance check.
    application.add_handler(TypeHandler(ArticleRequest, articlehandlers.article_request))
    # Before any other handler: the chat's language (context.t), from the store, or on
    # first contact from the sender's Telegram language_code.
    application.add_handler(TypeHandler(Update, language.choose_language), group=LANGUAGE_GROUP)
    application.add_handler(CommandHandler("language", language.language_command))
    application.add_handler(
        CallbackQueryHandler(language.language_button, pattern=f"^{LANGUAGE_BUTTON}")
    )
    application.add_handler(
        ChatMemberHandler(channels.membership, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_handler(
        MessageHandler(
            filters.UpdateType.CHANNEL_POST & filters.StatusUpdate.NEW_CHAT_TITLE,
            channels.retitled,
        )
    )
    application.add_handler(CommandHandler("channel", channels.channel_command))
    application.add_handler(CallbackQueryHandler(channels.choose_button, pattern=r"^ch:"))
    application.add_handler(CommandHandler("start", handlers.start))
    application.add_handler(CommandHandler("help", handlers.help_command))
    application.add_handler(CommandHandler("subscribe", handlers.subscribe))
    application.add_handler(CommandHandler("unsubscribe", handlers.unsubscribe))
    application.add_handler(CommandHandler("stop", handlers.unsubscribe))
    application.add_handler(CommandHandler("timezone", handlers.timezone))
    application.add_handler(CallbackQueryHandler(handlers.timezone_button, pattern=r"^tz:"))
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.LOCATION & filters.ChatType.PRIVATE,
            handlers.location,
        )
    )
    application.add_handler(CommandHandler("status", handlers.status))
    application.add_handler(CommandHandler("digest", handlers.digest))
    application.add_handler(CommandHandler("filter", handlers.filter_command))
    application.add_handler(CommandHandler("article", articlehandlers.article))
    # Not blocking: a slow page must not hold up the chat's other commands (ondemand).
    application.add_handler(CommandHandler("summarize", ondemand.summarize_command, block=False))
    application.add_handler(CommandHandler("stats", handlers.stats))
    application.add_handler(CommandHandler("rescan", handlers.rescan))
    application.add_handler(CommandHandler("sources", sourcehandlers.sources))
    application.add_handler(CommandHandler("addfeed", sourcehandlers.addfeed))
    application.add_handler(CommandHandler("removefeed", sourcehandlers.removefeed))
    application.add_handler(CallbackQueryHandler(sourcehandlers.toggle_source, pattern=r"^src:"))
    application.add_handler(CommandHandler("settings", settingshandlers.settings_command))
    application.add_handler(
        CallbackQueryHandler(settingshandlers.settings_button, pattern=r"^set:")
    )
    # A chat's own feeds; /add fetches, so it does not hold up the chat's other commands.
    application.add_handler(CommandHandler("add", userfeeds.add, block=False))
    application.add_handler(CommandHandler("remove", userfeeds.remove))
    application.add_handler(CommandHandler("export", userfeeds.export))
    application.add_handler(CallbackQueryHandler(userfeeds.unfollow_button, pattern=r"^unf:"))
    application.add_handler(CommandHandler("opml", opmlhandlers.opml_export))
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE
            & filters.Document.ALL
            & filters.CaptionRegex(opmlhandlers.OPML_CAPTION),
            opmlhandlers.opml_import,
        )
    )
    application.add_handler(
        MessageHandler(userfeeds.IMPORT_FILTER, userfeeds.import_file, block=False)
    )
    channel_commands = {
        **handlers.CHANNEL_COMMANDS,
        "add": userfeeds.add,
        "remove": userfeeds.remove,
    }
    for handler in channels.channel_post_handlers(channel_commands):
        application.add_handler(handler)
    application.add_handler(CallbackQueryHandler(ondemand.add_button, pattern=r"^add:"))
    application.add_handler(CallbackQueryHandler(articlehandlers.button))
    application.add_handler(MessageHandler(filters.COMMAND, handlers.unknown_command))
    application.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE,
            ondemand.private_text,
            block=False,
        )
    )
    # Photos, videos, stickers, voice...: a caption's link is summarized, the rest told
    # what the bot can do (files are left to the document handlers above).
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & ondemand.MEDIA,
            ondemand.private_text,
            block=False,
        )
    )
    application.add_error_handler(handlers.on_error)
    return application


async def _start_metrics(application: Application) -> None:
    """The /metrics and /healthz server of ``[metrics] listen``, when it is set."""
    rt = runtime(application)
    address = rt.config.metrics.address
    if rt.metrics is None or address is None:
        return
    from bot.telegram.metrics import MetricsServer

    host, port = address
    rt.metrics_server = MetricsServer(
        rt.metrics, rt.store, functools.partial(health, application), host=host, port=port
    )
    await rt.metrics_server.start()


async def _initialize(application: Application, retries: int) -> None:
    """``application.initialize()`` (getMe), tried ``retries`` more times while Telegram
    cannot be reached (waits grow from 1 s to 5 s). A rejected token is not retried."""
    for attempt in range(retries + 1):
        try:
            await application.initialize()
            return
        except InvalidToken:
            raise
        except NetworkError:
            if attempt == retries:
                raise
            await asyncio.sleep(min(5.0, 1.0 + attempt))


@contextlib.asynccontextmanager
async def running(
    application: Application, config: Config, *, bootstrap_retries: int = 0
) -> AsyncIterator[Application]:
    """Run the bot inside an already running event loop (``run``, tests, benchmarks), in
    python-telegram-bot's order: initialize, post_init, start, fetch updates ... stop
    fetching, stop, post_stop, shutdown, post_shutdown."""
    await _initialize(application, bootstrap_retries)
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await _start_metrics(application)
        await application.start()
        if not polls_when_leading(application):
            await start_updater(application, config)
        log.info("ready")
        yield application
    finally:
        runtime(application).stopping = True
        await stop_updater(application)
        # Another process may take over the schedule while this one finishes sending.
        await runtime(application).leader.stop()
        processor = application.update_processor
        if isinstance(processor, PerChatUpdateProcessor):
            processor.close()
        limiter = application.bot.rate_limiter
        if isinstance(limiter, TelegramRateLimiter):
            limiter.close()
        if application.running:
            await application.stop()
        commands = processor.dropped_at_stop if isinstance(processor, PerChatUpdateProcessor) else 0
        replies = limiter.dropped if isinstance(limiter, TelegramRateLimiter) else 0
        if commands or replies:
            log.info(
                "stopping: dropped %d commands waiting for their turn and %d replies "
                "waiting to be sent",
                commands,
                replies,
            )
        if application.post_stop is not None:
            await application.post_stop(application)
        metrics_server, runtime(application).metrics_server = (
            runtime(application).metrics_server,
            None,
        )
        if metrics_server is not None:
            await metrics_server.stop()
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


def freeze_startup_objects() -> None:
    """Keep what exists at start-up out of the garbage collector's sight.

    The modules, python-telegram-bot's classes and the built application live as long as
    the process, yet every full collection walks them: ~45 ms stalls of the event loop
    during a burst of updates (bench/latency.py), ~15 ms once they are frozen. Garbage
    is collected first, so none of it is kept for good."""
    gc.collect()
    gc.freeze()


# How often a thread running Python hands the interpreter to another that waits for it
# (sys.setswitchinterval; CPython's default is 5 ms). A digest run composes in a worker
# thread for a minute or more, and every step of a reply (the event loop, a store call in
# a worker thread, the loop again) waits for the interpreter up to one interval while it
# runs: in bench/busy.py (a slot of 1,000 chats composed beside readers' questions) the
# replies' p99 went from 229 ms at 5 ms to 166 ms at 1 ms, the digest run ~20 % slower.
SWITCH_INTERVAL_SECONDS = 0.001


def prepare_process() -> None:
    """What ``digestbot run`` does to its process once the bot is built: the start-up
    objects frozen (:func:`freeze_startup_objects`) and the interpreter handed between
    threads every :data:`SWITCH_INTERVAL_SECONDS`."""
    freeze_startup_objects()
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)


def run(config: Config) -> int:
    """Run the bot until SIGINT or SIGTERM (blocking); returns the exit status.

    Raises ConfigError when there is no token or Telegram rejects it (also while
    running: a revoked token ends the process, so systemd restarts it and the journal
    says why) and AlreadyRunning when another bot uses the same SQLite database; the CLI
    prints each as one line.
    """
    if not config.telegram.token:
        raise ConfigError(NO_TOKEN)
    if postgres_url(config) is not None:
        # Several processes may share a PostgreSQL database: leadership decides which
        # one runs the schedule (bot.cluster.leader).
        return asyncio.run(_serve(config))
    database = database_file(config.storage.database)
    if database is None:  # ":memory:": nothing another process could share
        return asyncio.run(_serve(config))
    with InstanceLock(database):
        return asyncio.run(_serve(config))


async def _serve(config: Config) -> int:
    application = build_application(config)
    rt = runtime(application)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, rt.stop_event.set)
    prepare_process()
    try:
        async with running(application, config, bootstrap_retries=BOOTSTRAP_RETRIES):
            await rt.stop_event.wait()
            log.info("digestbot stopping")
    except InvalidToken:
        # PTB's message quotes the token; ours must not (it ends up in the journal).
        raise ConfigError(BAD_TOKEN) from None
    except NetworkError as exc:  # includes TimedOut; BadRequest cannot happen this early
        raise DigestbotError(
            f"cannot reach the Telegram Bot API at {_redacted_base_url(config)} "
            f"after {BOOTSTRAP_RETRIES} retries: {redact(str(exc), {config.telegram.token or ''})}"
        ) from None
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    if rt.fatal is not None:
        raise ConfigError(rt.fatal)
    log.info("digestbot stopped")
    return 0


def _redacted_base_url(config: Config) -> str:
    return f"{config.telegram.base_url}<token>/"
