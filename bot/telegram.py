"""The Telegram bot: command handlers, the application that wires them, and ``run``.

Thin by design (python-telegram-bot's examples are the model): a handler parses the
update, calls the core (``store``, ``digest``, ``schedule``, ``catalog``) and formats an
HTML reply in which every inserted text is escaped. :func:`build_application` builds the
whole bot; :func:`run` runs it with long polling or a webhook until SIGINT/SIGTERM.

What runs besides the handlers:

* **rescan** -- a repeating job reads the seeds folder every ``[seeds] rescan_seconds``
  (off the event loop) and summarizes new and changed articles one by one, each once.
* **digests** -- one daily job per (time, timezone) slot in use (``bot.schedule``); its
  callback :func:`digest_job` composes the digest of every chat due there, queues it in
  the store's outbox and wakes the outbox :class:`~bot.delivery.Sender`, which sends at
  Telegram's limits. Jobs are rebuilt from the store at start-up, where a digest missed
  within ``[digest] missed_grace_seconds`` is queued once.
* **shutdown** -- on SIGINT/SIGTERM python-telegram-bot stops polling and the jobs; the
  sender gets a few seconds to finish what is in flight (the rest stays in the outbox
  for the next start) and the store is closed last.

The token never reaches a log: :func:`install_token_redaction` silences httpx's request
log and rewrites any record that still contains the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import html
import json
import logging
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, InvalidToken, NetworkError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot import digest as digests
from bot import schedule
from bot.catalog import SeedsFolderError, summarize_article, sync
from bot.config import Config
from bot.errors import ConfigError, DigestbotError
from bot.ptb import opt_into_timedelta, send_message_json
from bot.store import ArticleRecord, Chat, Store
from bot.updates import ArticleRequest, DigestBot, PerChatUpdateProcessor

log = logging.getLogger(__name__)

__all__ = [
    "COMMANDS",
    "NO_TOKEN",
    "PAGE_SIZE",
    "build_application",
    "digest_job",
    "freeze_startup_objects",
    "install_token_redaction",
    "redact",
    "rescan_job",
    "rescan_seeds",
    "run",
    "running",
    "runtime",
    "start_updater",
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

# The command menu (setMyCommands) and /help, in one place.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "What this bot does"),
    ("subscribe", "Daily digest, e.g. /subscribe 08:00"),
    ("unsubscribe", "Stop the daily digest"),
    ("timezone", "Your timezone, e.g. /timezone Europe/Berlin"),
    ("status", "Subscription, time, articles waiting"),
    ("digest", "The digest now"),
    ("article", "Browse, read or search articles"),
    ("help", "All commands"),
)

PAGE_SIZE = 10
# Arguments longer than this are refused before any parsing: no command needs more.
MAX_ARGUMENT_CHARS = 200
# User input echoed back in a reply is cut to this many characters (then escaped).
ECHO_CHARS = 40
# The updates the bot handles; anything else is not even fetched.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# The same, as sent: PTB sends object parameters as JSON strings; this one is constant.
_NO_PREVIEW_JSON = json.dumps({"is_disabled": True})
# /article N replies kept (see _article_reply); more than this and the cache starts over.
ARTICLE_REPLIES_KEPT = 4096


# -- the bot's state ----------------------------------------------------------------


@dataclass
class Runtime:
    """What the handlers and jobs share, kept in ``application.bot_data["digestbot"]``."""

    config: Config
    store: Store
    owns_store: bool  # opened by build_application: closed at shutdown
    clock: Callable[[], datetime]
    sender: Any = None  # bot.delivery.Sender, created in post_init
    stopping: bool = False
    # The slots given a catch-up run at start-up (a digest missed while the bot was down).
    catch_up: tuple[schedule.Slot, ...] = ()
    # Summaries computed by rescans, counted for tests and logs.
    summarized: int = 0
    rescan_task: asyncio.Task[None] | None = None
    # (source, reason) of the files the last rescan skipped: warned about once, not every scan.
    reported_skips: set[tuple[str, str]] = field(default_factory=set)
    # /article N replies by number, valid while the store's articles_version is this.
    article_replies: dict[int, list[tuple[str, str | None]]] = field(default_factory=dict)
    article_replies_version: int | None = None
    _rescan_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def runtime(application: Application) -> Runtime:
    """The bot's shared state."""
    return application.bot_data["digestbot"]


def _rt(context: ContextTypes.DEFAULT_TYPE) -> Runtime:
    return context.application.bot_data["digestbot"]


def _default_clock() -> datetime:
    return datetime.now(UTC)


# -- logging: the token never appears -----------------------------------------------------

_TOKENS: set[str] = set()
_PREVIOUS_FACTORY: Callable[..., logging.LogRecord] | None = None


def redact(text: str, tokens: Sequence[str] | set[str] | None = None) -> str:
    """``text`` with every known bot token (or the given ones) replaced by ``<token>``."""
    for token in _TOKENS if tokens is None else tokens:
        if token and token in text:
            text = text.replace(token, "<token>")
    return text


def _redacted_record_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    assert _PREVIOUS_FACTORY is not None
    record = _PREVIOUS_FACTORY(*args, **kwargs)
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it to the handler to report
        return record
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[1] is not None:
        # Exceptions from HTTP libraries quote the request URL, token included: format
        # the traceback now, redacted; formatters use exc_text when it is set.
        text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = redact(text)
    return record


def install_token_redaction(token: str) -> None:
    """Keep ``token`` out of every log record, at every level and for every handler.

    httpx logs each request URL (which holds the token) at INFO: its loggers go to
    WARNING. Whatever else would still carry the token -- a message, its arguments,
    an exception's text -- is rewritten when the record is created, so handlers added
    later (and any formatter) only ever see ``<token>``. Idempotent; several tokens
    may be registered.
    """
    global _PREVIOUS_FACTORY
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if token:
        _TOKENS.add(token)
    if _PREVIOUS_FACTORY is None:
        _PREVIOUS_FACTORY = logging.getLogRecordFactory()
        logging.setLogRecordFactory(_redacted_record_factory)


# -- small helpers ----------------------------------------------------------------------


def _echo(text: str) -> str:
    """User input to quote back: cut short, escaped."""
    text = " ".join(text.split())
    if len(text) > ECHO_CHARS:
        text = text[: ECHO_CHARS - 1] + "…"
    return html.escape(text)


def _argument(context: ContextTypes.DEFAULT_TYPE) -> str:
    return " ".join(context.args or ())


def _canonical_timezone(text: str) -> str | None:
    """The IANA name for ``text`` ("europe/berlin" → "Europe/Berlin"), or None."""
    try:
        return schedule.canonical_timezone(text)
    except ValueError:
        return None


async def _db(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a store call off the event loop (SQLite may wait for its lock)."""
    return await asyncio.to_thread(function, *args, **kwargs)


def _lookup(function: Callable[..., Any], *args: Any) -> Any:
    """Run a tiny indexed read (one article by number) right on the event loop: it takes
    ~20 µs, a hop to a worker thread and back costs more CPU and latency than that."""
    return function(*args)


async def _send(
    bot: Bot,
    chat_id: int,
    text: str,
    reply_markup: InlineKeyboardMarkup | str | None = None,
    message_thread_id: int | None = None,
) -> None:
    """Send an HTML message without link preview, through the bot's rate limiter.

    ``send_message_json``, as the outbox sender does: the answer stays a dict instead of
    being parsed into a ``Message`` (with building the request, that is most of a reply's
    CPU); no reply needs the Message.
    """
    api_kwargs: dict[str, Any] = {
        "chat_id": chat_id,
        "text": text,
        "parse_mode": ParseMode.HTML.value,
        "link_preview_options": _NO_PREVIEW_JSON,
    }
    if reply_markup is not None:
        api_kwargs["reply_markup"] = reply_markup
    if message_thread_id is not None:
        api_kwargs["message_thread_id"] = message_thread_id
    await send_message_json(bot, api_kwargs)


def _topic(message: object) -> int | None:
    """The forum topic a message is in (replies go there too), or None."""
    if getattr(message, "is_topic_message", False):
        return message.message_thread_id  # type: ignore[attr-defined]
    return None


async def _reply(
    update: Update, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """Answer in the update's chat (and forum topic), not quoting the user's message."""
    message = update.effective_message
    assert message is not None
    await _send(update.get_bot(), message.chat_id, text, reply_markup, _topic(message))


def _too_long(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    return len(_argument(context)) > MAX_ARGUMENT_CHARS


async def _refuse_long(update: Update, context: ContextTypes.DEFAULT_TYPE, usage: str) -> None:
    await _reply(
        update,
        f"That argument is too long ({len(_argument(context))} characters; at most "
        f"{MAX_ARGUMENT_CHARS}).\n{usage}",
    )


# -- /start, /help --------------------------------------------------------------------


def _help_text(config: Config) -> str:
    lines = ["<b>Commands</b>"]
    examples = {
        "subscribe": "/subscribe [HH:MM] — a daily digest at that time (e.g. /subscribe 07:30)",
        "timezone": "/timezone Area/City — your timezone (e.g. /timezone Europe/Berlin)",
        "article": (
            "/article — the articles, newest first\n"
            "/article N — one article's summary (e.g. /article 3)\n"
            "/article WORDS — search the titles (e.g. /article climate)"
        ),
    }
    for name, description in COMMANDS:
        lines.append(examples.get(name, f"/{name} — {description[0].lower()}{description[1:]}"))
    lines.append(
        f"\nWithout a time, /subscribe uses {html.escape(config.digest.time)}; "
        f"the default timezone is {html.escape(config.digest.timezone)}."
    )
    return "\n".join(lines)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = _rt(context)
    chat_id = update.effective_chat.id
    before = await _db(rt.store.get_chat, chat_id)
    await _db(rt.store.reactivate, chat_id)
    back = (
        "\n\nWelcome back: your daily digest is on again."
        if before is not None and not before.active and before.digest_time
        else ""
    )
    await _reply(
        update,
        "<b>Hello! I am digestbot.</b>\n"
        "I turn news articles into short summaries and send you a daily digest of the "
        "new ones.\n\n"
        f"/subscribe — a digest every day at {html.escape(rt.config.digest.time)} "
        "(or /subscribe 07:30)\n"
        "/article — browse and read the articles\n"
        "/digest — what is new, right now\n"
        f"/help — all commands{back}",
    )


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update, _help_text(_rt(context).config))


# -- /subscribe, /unsubscribe, /timezone, /status --------------------------------------

SUBSCRIBE_USAGE = "Usage: /subscribe [HH:MM], 24-hour, e.g. /subscribe 08:30"
TIMEZONE_USAGE = (
    "Usage: /timezone Area/City, an IANA timezone name, e.g. /timezone Europe/Berlin "
    "or /timezone America/New_York"
)


def _schedule_chat(context: ContextTypes.DEFAULT_TYPE, chat: Chat) -> None:
    config = _rt(context).config
    if context.job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
        return
    schedule.schedule_chat(
        context.job_queue,
        chat,
        digest_job,
        default_timezone=config.digest.timezone,
        grace_seconds=config.digest.missed_grace_seconds,
    )


def _next_digest_text(chat: Chat, config: Config, now: datetime) -> str:
    tz = schedule.zone(schedule.chat_timezone(chat, config.digest.timezone))
    due = schedule.next_due(chat.digest_time or config.digest.time, tz, now).astimezone(tz)
    return due.strftime("%a %d %b, %H:%M %Z")


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = _rt(context)
    if _too_long(update, context):
        await _refuse_long(update, context, SUBSCRIBE_USAGE)
        return
    chat_id = update.effective_chat.id
    args = context.args or []
    if len(args) > 1:
        await _reply(update, f"One time only, please.\n{SUBSCRIBE_USAGE}")
        return
    if args:
        try:
            digest_time = schedule.format_time(schedule.parse_time(args[0]))
        except ValueError:
            await _reply(
                update,
                f"“{_echo(args[0])}” is not a time of day: hours go 00–23 and minutes "
                f"00–59.\n{SUBSCRIBE_USAGE}",
            )
            return
    else:
        current = await _db(rt.store.get_chat, chat_id)
        digest_time = (current.digest_time if current else None) or rt.config.digest.time
    chat = await _db(rt.store.subscribe, chat_id, digest_time)
    _schedule_chat(context, chat)
    timezone = schedule.chat_timezone(chat, rt.config.digest.timezone)
    await _reply(
        update,
        f"Subscribed: your digest comes every day at <b>{html.escape(digest_time)}</b> "
        f"({html.escape(timezone)}); next: {_next_digest_text(chat, rt.config, rt.clock())}."
        "\nChange the timezone with /timezone Area/City, stop with /unsubscribe.",
    )


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = _rt(context)
    was = await _db(rt.store.unsubscribe, update.effective_chat.id)
    if was:
        await _reply(update, "Unsubscribed: no more daily digests. /subscribe brings them back.")
    else:
        await _reply(update, "You are not subscribed. /subscribe starts a daily digest.")


async def timezone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = _rt(context)
    if _too_long(update, context):
        await _refuse_long(update, context, TIMEZONE_USAGE)
        return
    chat_id = update.effective_chat.id
    args = context.args or []
    if not args:
        chat = await _db(rt.store.get_chat, chat_id)
        current = chat.timezone if chat and chat.timezone else rt.config.digest.timezone
        await _reply(update, f"Your timezone: <b>{html.escape(current)}</b>.\n{TIMEZONE_USAGE}")
        return
    name = _canonical_timezone(args[0]) if len(args) == 1 else None
    if name is None:
        await _reply(
            update, f"“{_echo(' '.join(args))}” is not a timezone I know.\n{TIMEZONE_USAGE}"
        )
        return
    chat = await _db(rt.store.set_timezone, chat_id, name)
    _schedule_chat(context, chat)
    text = f"Timezone set to <b>{html.escape(name)}</b>."
    if chat.subscribed:
        text += (
            f" Your digest comes at {html.escape(chat.digest_time or '')} there; next: "
            f"{_next_digest_text(chat, rt.config, rt.clock())}."
        )
    await _reply(update, text)


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = _rt(context)
    chat_id = update.effective_chat.id
    chat = await _db(rt.store.get_chat, chat_id)
    waiting = await _db(rt.store.count_unseen, chat_id)
    timezone_name = (chat.timezone if chat else None) or rt.config.digest.timezone
    lines = []
    if chat is not None and chat.digest_time is not None:
        lines.append(
            f"Subscribed: yes, every day at <b>{html.escape(chat.digest_time)}</b> "
            f"({html.escape(timezone_name)})"
        )
        if chat.active:
            lines.append(f"Next digest: {_next_digest_text(chat, rt.config, rt.clock())}")
    else:
        lines.append("Subscribed: no (/subscribe starts a daily digest)")
        lines.append(f"Timezone: {html.escape(timezone_name)}")
    noun = "article" if waiting == 1 else "articles"
    lines.append(f"Articles waiting: {waiting} new {noun} (/digest shows them)")
    if chat is not None and not chat.active:
        reason = chat.deactivated_reason or "Telegram refused a message"
        lines.append(
            f"Deliveries are paused: {html.escape(reason)}. /start or /subscribe turns "
            "them back on."
        )
    await _reply(update, "\n".join(lines))


# -- /digest --------------------------------------------------------------------------


async def digest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = _rt(context)
    chat_id = update.effective_chat.id
    entries = await _db(rt.store.unseen_articles, chat_id, rt.config.digest.max_articles)
    if not entries:
        total = await _db(rt.store.count_articles)
        hint = " /article lists all articles." if total else ""
        await _reply(update, f"Nothing new since your last digest.{hint}")
        return
    for text, numbers in digests.digest_messages(entries):
        await _reply(update, text)
        # Recorded message by message: a failure part-way leaves the rest unseen.
        await _db(rt.store.record_deliveries, chat_id, numbers)


# -- /article ------------------------------------------------------------------------

ARTICLE_USAGE = (
    "Usage: /article — the list; /article N — one article, e.g. /article 3; "
    "/article WORDS — search the titles, e.g. /article climate"
)


def _list_page(
    entries: Sequence[ArticleRecord], page: int, total: int
) -> tuple[str, InlineKeyboardMarkup]:
    """The text and keyboard of one page of the article list (pages count from 1)."""
    pages = max(1, -(-total // PAGE_SIZE))
    first = (page - 1) * PAGE_SIZE + 1
    header = f"Articles {first}–{first + len(entries) - 1} of {total}, newest first"
    if pages > 1:
        header += f" (page {page} of {pages})"
    text = digests.article_list_html(entries, header)
    text += "\n\nTap a number, or send /article N."
    return text, _list_keyboard(entries, page, pages)


def _list_keyboard(entries: Sequence[ArticleRecord], page: int, pages: int) -> InlineKeyboardMarkup:
    numbers = [
        InlineKeyboardButton(str(entry.number), callback_data=f"art:{entry.number}")
        for entry in entries
    ]
    rows = [numbers[i : i + 5] for i in range(0, len(numbers), 5)]
    navigation = []
    if page > 1:
        navigation.append(InlineKeyboardButton("◀ Prev", callback_data=f"list:{page - 1}"))
    if page < pages:
        navigation.append(InlineKeyboardButton("Next ▶", callback_data=f"list:{page + 1}"))
    if navigation:
        rows.append(navigation)
    return InlineKeyboardMarkup(rows)


def _compose_article(
    entry: ArticleRecord, following: ArticleRecord | None
) -> list[tuple[str, str | None]]:
    """The messages of ``/article N`` as (HTML text, reply_markup JSON or None); the last
    one has a button for the next article in the list, if there is one."""
    messages: list[tuple[str, str | None]] = [
        (text, None) for text in digests.article_detail_messages(entry)
    ]
    if following is not None:
        button = {"text": f"Next: {following.number} ▶", "callback_data": f"art:{following.number}"}
        markup = json.dumps({"inline_keyboard": [[button]]}, ensure_ascii=False)
        messages[-1] = (messages[-1][0], markup)
    return messages


def _article_reply(rt: Runtime, number: int) -> list[tuple[str, str | None]] | None:
    """The messages of ``/article N``, or None when there is no such article.

    Kept until an article changes (``Store.articles_version``): a crowd asking for the
    day's article costs one composition and one version check each, not two queries
    and a composition each. Tiny reads, so right on the event loop (see _lookup)."""
    version = _lookup(rt.store.articles_version)
    replies = rt.article_replies
    if version != rt.article_replies_version:
        replies.clear()
        rt.article_replies_version = version
    reply = replies.get(number)
    if reply is None:
        entry = _lookup(rt.store.get_article, number)
        if entry is None:
            return None
        reply = _compose_article(entry, _lookup(rt.store.next_article, number))
        if len(replies) >= ARTICLE_REPLIES_KEPT:
            replies.clear()
        replies[number] = reply
    return reply


async def _send_article(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, topic: int | None, number: int
) -> bool:
    """Send article ``number``'s messages; False if there is no such article (any more)."""
    reply = _article_reply(_rt(context), number)
    if reply is None:
        return False
    for text, markup in reply:
        await _send(context.bot, chat_id, text, markup, topic)
    return True


async def _send_list(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = _rt(context)
    total = await _db(rt.store.count_articles)
    if total == 0:
        await _reply(update, "No articles yet: they appear here as soon as they are read in.")
        return
    entries = await _db(rt.store.list_articles, 0, PAGE_SIZE)
    text, markup = _list_page(entries, 1, total)
    await _reply(update, text, reply_markup=markup)


async def article(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = _rt(context)
    if _too_long(update, context):
        await _refuse_long(update, context, ARTICLE_USAGE)
        return
    args = context.args or []
    if not args:
        await _send_list(update, context)
        return
    message = update.effective_message
    assert message is not None
    if len(args) == 1 and re.fullmatch(r"[+-]?\d+", args[0]):
        await _article_by_number(context, message.chat_id, _topic(message), args[0])
        return
    # Words: search the titles.
    words = args[:10]
    matches = await _db(rt.store.search_articles, words, PAGE_SIZE + 1)
    if not matches:
        await _reply(
            update,
            f"No article title contains “{_echo(' '.join(words))}”. /article lists them all.",
        )
        return
    if len(matches) == 1:
        await _send_article(context, message.chat_id, _topic(message), matches[0].number)
        return
    shown = matches[:PAGE_SIZE]
    header = f"Titles with “{' '.join(words)[:ECHO_CHARS]}”"
    text = digests.article_list_html(shown, header)
    if len(matches) > PAGE_SIZE:
        text += f"\n\nMore than {PAGE_SIZE} match: add a word to narrow it down."
    keyboard = _list_keyboard(shown, 1, 1)
    await _reply(update, text, reply_markup=keyboard)


async def _article_by_number(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, topic: int | None, argument: str
) -> None:
    """``/article N`` (``argument`` is N as typed), from the handler or the fast lane."""
    rt = _rt(context)
    number = int(argument)
    if number < 1:
        await _send(
            context.bot,
            chat_id,
            f"“{_echo(argument)}” is not an article number: they start at 1.\n{ARTICLE_USAGE}",
            message_thread_id=topic,
        )
        return
    if number >= 2**63 or not await _send_article(context, chat_id, topic, number):
        total = await _db(rt.store.count_articles)
        await _send(
            context.bot,
            chat_id,
            f"There is no article {_echo(argument)} ({total} articles now). "
            f"/article lists them.\n{ARTICLE_USAGE}",
            message_thread_id=topic,
        )


async def article_request(request: ArticleRequest, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/article N`` as the fast lane hands it over (``bot.updates``): as ``article``."""
    await _article_by_number(context, request.chat_id, request.thread_id, request.argument)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Inline buttons: ``list:PAGE`` turns the list's page, ``art:N`` shows an article."""
    rt = _rt(context)
    query = update.callback_query
    assert query is not None
    data = query.data or ""
    kind, _, value = data.partition(":")
    if kind == "list" and value.isdigit():
        total = await _db(rt.store.count_articles)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(int(value), 1), pages)
        entries = await _db(rt.store.list_articles, (page - 1) * PAGE_SIZE, PAGE_SIZE)
        await query.answer()
        if not entries:
            await query.edit_message_text("No articles yet.")
            return
        text, markup = _list_page(entries, page, total)
        try:
            await query.edit_message_text(
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=_NO_PREVIEW,
            )
        except BadRequest as exc:
            # A double tap asks for the page already shown: nothing to change.
            if "not modified" not in exc.message.lower():
                raise
        return
    if kind == "art" and value.isdigit():
        number = int(value)
        if _article_reply(rt, number) is None:
            await query.answer("That article is no longer available.", show_alert=True)
            return
        await query.answer()
        await _send_article(context, update.effective_chat.id, _topic(query.message), number)
        return
    await query.answer("This button is out of date: send /article again.", show_alert=True)


# -- admin only ----------------------------------------------------------------------
# /stats and /rescan answer only the user ids in [telegram] admin_ids; to anyone else
# they are unknown commands, so the bot does not advertise what it will refuse.


def _is_admin(update: Update, config: Config) -> bool:
    user = update.effective_user
    return user is not None and user.id in config.telegram.admin_ids


def _stats(store: Store) -> tuple[int, int, int]:
    return store.count_subscribers(), store.count_articles(), store.count_outbox()


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admin: subscribers, articles and messages waiting in the outbox."""
    rt = _rt(context)
    if not _is_admin(update, rt.config):
        await unknown_command(update, context)
        return
    subscribers, articles, queued = await _db(_stats, rt.store)
    await _reply(
        update,
        f"<b>digestbot</b>\nSubscribers: {subscribers}\nArticles: {articles}\n"
        f"Messages waiting to be sent: {queued}",
    )


async def rescan(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admin: read the seeds folder now instead of at the next rescan period."""
    rt = _rt(context)
    if not _is_admin(update, rt.config):
        await unknown_command(update, context)
        return
    before = await _db(rt.store.count_articles)
    await rescan_seeds(context.application)
    after = await _db(rt.store.count_articles)
    await _reply(update, f"Seeds folder read: {after} articles (before: {before}).")


# -- everything else --------------------------------------------------------------------


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = update.effective_message.text or ""
    command = text.split()[0] if text.split() else text
    await _reply(update, f"I do not know {_echo(command)}. /help lists the commands.")


async def plain_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(
        update,
        "I answer commands only. To search the titles, send /article and a few words "
        "(e.g. /article climate); /help lists everything.",
    )


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log a handler's or job's exception; tell the user something went wrong."""
    handled = isinstance(update, Update | ArticleRequest)
    where = f"update {update.update_id}" if handled else "a job"  # type: ignore[attr-defined]
    log.error("error while handling %s", where, exc_info=context.error)
    if isinstance(update, ArticleRequest):
        chat_id: int | None = update.chat_id
    elif isinstance(update, Update) and update.effective_chat is not None:
        chat_id = update.effective_chat.id
    else:
        return
    try:
        await context.bot.send_message(chat_id, "Sorry, something went wrong. Please try again.")
    except Exception:  # the error may be that Telegram is unreachable
        log.debug("could not tell chat %s about the error", chat_id)


# -- jobs ------------------------------------------------------------------------------


async def rescan_seeds(application: Application) -> None:
    """Read the seeds folder into the store, then summarize what is new or changed.

    All blocking work runs in worker threads; summaries are computed one article per
    call, so a shutdown waits for one summary at most (the rest are done next time).
    Concurrent calls run one after the other.
    """
    rt = runtime(application)
    async with rt._rescan_lock:
        config = rt.config
        try:
            report = await asyncio.to_thread(
                sync, rt.store, config.seeds.dir, summaries=False, reported=rt.reported_skips
            )
        except SeedsFolderError as exc:
            log.warning("%s", exc)
            return
        pending = await _db(rt.store.articles_without_summary)
        done = 0
        for stored in pending:
            if rt.stopping:
                break
            await asyncio.to_thread(
                summarize_article,
                rt.store,
                stored,
                sentences=config.summary.sentences,
                language=config.summary.language,
            )
            done += 1
            rt.summarized += 1
        if report.added or report.changed or report.retired or done:
            log.info(
                "seeds: %d new, %d changed, %d removed, %d summarized",
                report.added,
                report.changed,
                report.retired,
                done,
            )


async def rescan_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The repeating job: start rescan_seeds, unless the previous one still runs.

    The rescan runs as a task of its own, not inside the job: python-telegram-bot's
    stop waits for running jobs, and a first scan of a big folder may summarize for
    minutes. ``_post_stop`` tells it to stop after the summary at hand instead."""
    rt = _rt(context)
    if rt._rescan_lock.locked() or rt.stopping:
        return
    rt.rescan_task = asyncio.create_task(_rescan_logged(context.application), name="rescan")


async def _rescan_logged(application: Application) -> None:
    try:
        await rescan_seeds(application)
    except Exception:
        # An unreadable file is skipped inside; this is a bug or a broken database.
        log.exception("rescanning the seeds folder failed; next try in the next period")


async def digest_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """A slot's digest time: queue every due chat's digest, then wake the sender."""
    rt = _rt(context)
    slot = context.job.data
    config = rt.config
    await asyncio.to_thread(
        schedule.queue_due_digests,
        rt.store,
        slot,
        rt.clock(),
        default_timezone=config.digest.timezone,
        max_articles=config.digest.max_articles,
    )
    if rt.sender is not None:
        rt.sender.notify()


# -- the application ---------------------------------------------------------------------


async def _post_init(application: Application) -> None:
    """After the bot is initialized, before updates flow: menu, jobs, sender."""
    from bot.delivery import Sender

    rt = runtime(application)
    await application.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
    config = rt.config
    job_queue = application.job_queue
    assert job_queue is not None
    # The first scan is a one-off job: an interval job added before the scheduler starts
    # with first=0 is already "late" when it starts, and APScheduler moves it a period on.
    job_queue.run_once(rescan_job, when=0, name="first scan of the seeds")
    job_queue.run_repeating(
        rescan_job,
        interval=config.seeds.rescan_seconds,
        first=config.seeds.rescan_seconds,
        name="rescan seeds",
    )
    # On the event loop (APScheduler is not thread-safe); subscribers are read in batches.
    summary = schedule.schedule_all(
        job_queue,
        rt.store.iter_subscribers(),
        digest_job,
        now=rt.clock(),
        default_timezone=config.digest.timezone,
        grace_seconds=config.digest.missed_grace_seconds,
    )
    rt.catch_up = summary.catch_up
    log.info(
        "scheduled %d subscribers in %d slots; %d slots catch up a missed digest",
        summary.chats,
        summary.slots,
        len(summary.catch_up),
    )
    rt.sender = Sender(application.bot, rt.store)
    rt.sender.start()
    # Digests queued before a crash or a stop are still in the outbox.
    rt.sender.notify()


async def _post_stop(application: Application) -> None:
    """Polling and jobs have stopped: let the sender finish (the bot still works)."""
    rt = runtime(application)
    rt.stopping = True
    if rt.sender is not None:
        await rt.sender.stop()
    if rt.rescan_task is not None:
        # Returns after the summary in progress; the rest are made after the next start.
        await rt.rescan_task


async def _post_shutdown(application: Application) -> None:
    rt = runtime(application)
    if rt.owns_store:
        rt.store.close()


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
    from bot.request import AiohttpRequest, proxy_from_environment

    proxy = proxy_from_environment(base_url)
    return (
        AiohttpRequest(pool_size=API_CONNECTIONS, proxy=proxy),
        AiohttpRequest(pool_size=1, proxy=proxy),
    )


def build_application(
    config: Config,
    store: Store | None = None,
    *,
    clock: Callable[[], datetime] = _default_clock,
    request: BaseRequest | None = None,
) -> Application:
    """The whole bot as a python-telegram-bot Application (not started).

    ``store``: an open Store the caller keeps and closes; None opens
    ``[storage] path`` and closes it at shutdown. ``clock`` (aware datetimes) decides
    which digest is due when a job runs, so tests can inject the time. ``request``: a
    ``telegram.request.BaseRequest`` for the bot's calls other than getUpdates (default:
    by ``[telegram] transport``, see :func:`_requests`). Raises ConfigError without a token.
    """
    from bot.ratelimit import TelegramRateLimiter

    tg = config.telegram
    if not tg.token:
        raise ConfigError(NO_TOKEN)
    opt_into_timedelta()
    install_token_redaction(tg.token)
    owns_store = store is None
    if store is None:
        store = Store(config.storage.path)
    api_request, updates_request = _requests(tg.transport, tg.base_url)
    bot_kwargs: dict[str, Any] = {}
    if tg.base_url.endswith("/bot"):
        # A self-hosted Bot API server serves files beside its methods, as Telegram does.
        bot_kwargs["base_file_url"] = tg.base_url[: -len("bot")] + "file/bot"
    bot = DigestBot(
        tg.token,
        base_url=tg.base_url,
        request=request if request is not None else api_request,
        get_updates_request=updates_request,
        rate_limiter=TelegramRateLimiter.from_config(tg.max_messages_per_second),
        **bot_kwargs,
    )
    application = (
        ApplicationBuilder()
        .bot(bot)
        .concurrent_updates(PerChatUpdateProcessor())
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data["digestbot"] = Runtime(config, store, owns_store, clock)

    # First: what the fast lane hands over is matched by one isinstance check.
    application.add_handler(TypeHandler(ArticleRequest, article_request))
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CommandHandler("subscribe", subscribe))
    application.add_handler(CommandHandler("unsubscribe", unsubscribe))
    application.add_handler(CommandHandler("timezone", timezone))
    application.add_handler(CommandHandler("status", status))
    application.add_handler(CommandHandler("digest", digest))
    application.add_handler(CommandHandler("article", article))
    application.add_handler(CommandHandler("stats", stats))
    application.add_handler(CommandHandler("rescan", rescan))
    application.add_handler(CallbackQueryHandler(button))
    application.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, plain_text))
    application.add_error_handler(on_error)
    return application


def _webhook_path(url: str) -> str:
    """The path part of the public webhook URL, which the local server listens on."""
    return urlsplit(url).path.lstrip("/")


def updater_kwargs(config: Config) -> dict[str, Any]:
    """Arguments for run_polling/start_polling or run_webhook/start_webhook, by mode."""
    tg = config.telegram
    common: dict[str, Any] = {
        "allowed_updates": ALLOWED_UPDATES,
        # Commands sent while the bot was down are answered, not dropped.
        "drop_pending_updates": False,
    }
    if tg.mode == "webhook":
        assert tg.webhook_url and tg.secret_token  # checked by load_config
        return {
            **common,
            "listen": tg.listen,
            "port": tg.port,
            "url_path": _webhook_path(tg.webhook_url),
            "webhook_url": tg.webhook_url,
            "secret_token": tg.secret_token,
        }
    # Long polls of 10 s: a stop never waits longer than that for Telegram.
    return {**common, "timeout": 10}


async def start_updater(application: Application, config: Config) -> None:
    """Start fetching updates as ``run`` would (polling or webhook), in a running loop."""
    assert application.updater is not None
    kwargs = updater_kwargs(config)
    if config.telegram.mode == "webhook":
        await application.updater.start_webhook(**kwargs)
    else:
        await application.updater.start_polling(**kwargs)


@contextlib.asynccontextmanager
async def running(application: Application, config: Config) -> AsyncIterator[Application]:
    """Run the bot inside an already running event loop (tests, benchmarks), with the
    same steps in the same order as ``run_polling``/``run_webhook``: initialize,
    post_init, start, fetch updates ... stop fetching, stop, post_stop, shutdown,
    post_shutdown."""
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        await start_updater(application, config)
        yield application
    finally:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        if application.post_stop is not None:
            await application.post_stop(application)
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


def run(config: Config) -> int:
    """Run the bot until SIGINT or SIGTERM (blocking); returns the exit status.

    Raises ConfigError when there is no token (the CLI prints it as one line).
    """
    if not config.telegram.token:
        raise ConfigError(NO_TOKEN)
    application = build_application(config)
    freeze_startup_objects()
    kwargs = updater_kwargs(config)
    log.info(
        "digestbot starting (%s, %s)",
        config.telegram.mode,
        config.telegram.webhook_url if config.telegram.mode == "webhook" else "long polling",
    )
    try:
        if config.telegram.mode == "webhook":
            application.run_webhook(bootstrap_retries=BOOTSTRAP_RETRIES, **kwargs)
        else:
            application.run_polling(bootstrap_retries=BOOTSTRAP_RETRIES, **kwargs)
    except InvalidToken:
        # PTB's message quotes the token; ours must not (it ends up in the journal).
        raise ConfigError(BAD_TOKEN) from None
    except NetworkError as exc:  # includes TimedOut; BadRequest cannot happen this early
        raise DigestbotError(
            f"cannot reach the Telegram Bot API at {_redacted_base_url(config)} "
            f"after {BOOTSTRAP_RETRIES} retries: {redact(str(exc), {config.telegram.token or ''})}"
        ) from None
    log.info("digestbot stopped")
    return 0


def _redacted_base_url(config: Config) -> str:
    return f"{config.telegram.base_url}<token>/"
