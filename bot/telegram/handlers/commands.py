"""The command handlers: parse the update, call the core or the store, send the reply.

Thin by design (python-telegram-bot's examples are the model). Texts and keyboards
come from :mod:`bot.telegram.replies`; store calls run in worker threads (SQLite may wait for
its lock), except the tiny indexed reads of ``/article N``
(:mod:`bot.telegram.handlers.articles`, which also holds the article list's buttons).
Replies go out through :func:`bot.telegram.ptb.send_html` (the bot's rate limiter, no link
preview, in the forum topic the command came from).

Groups, topics and channels: :func:`~bot.telegram.handlers.common.require_admin` lets only a
group's administrators change its settings (:mod:`bot.telegram.admins`); a forum topic is a
subscriber of its own (:func:`common.subscriber`): ``/subscribe`` there gets that topic its
own digest, and the
subscription commands, ``/digest``, ``/filter`` and ``/sources`` act on the topic they
are sent in (the group itself, topic 0, outside topics); commands posted in a channel
are acted on or answered with one line (:mod:`bot.telegram.handlers.channels`, which
also lets a private chat manage a channel), and digests are posted there.

Timezones: ``/timezone`` reads a city, an IANA name or an offset
(:func:`bot.timezones.resolve_timezone`); a name meaning several places, or a misspelt
one, is answered with ``tz:NAME`` buttons (:func:`timezone_button`); a location shared
in a private chat is looked up offline in a worker thread (:func:`location`); ``/start``
offers the zones likely for the user's language.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Bot, Update
from telegram.error import InvalidToken, TelegramError

from bot.compose import compose_digest
from bot.filters import MAX_TERMS, FilterError, Term, parse_command
from bot.locales import N_, translator
from bot.rhythm import EVERY_DAY, RhythmError, parse_rhythm
from bot.schedule import chat_timezone, zone
from bot.settings import DigestSettings
from bot.store import Chat, Store
from bot.store.stories import StoryStore
from bot.telegram import replies
from bot.telegram.handlers import common
from bot.telegram.jobs import digest_job, rescan_seeds
from bot.telegram.ptb import send_html
from bot.telegram.ratelimit import ReplyDropped
from bot.telegram.runtime import BotContext
from bot.telegram.slots import schedule_chat
from bot.telegram.updates import ArticleRequest
from bot.times import looks_like_time, valid_timezone
from bot.timezones import Choice, likely_timezones, resolve_timezone, timezone_at
from bot.web.links import MIN_WORDS, word_count

__all__ = [
    "CHANNEL_COMMANDS",
    "digest",
    "filter_command",
    "help_command",
    "location",
    "on_error",
    "plain_text",
    "rescan",
    "start",
    "stats",
    "status",
    "subscribe",
    "timezone",
    "timezone_button",
    "unknown_command",
    "unsubscribe",
]

log = logging.getLogger(__name__)


# -- small helpers ----------------------------------------------------------------------


# -- who may change a chat's settings ---------------------------------------------------


# -- /start, /help --------------------------------------------------------------------


async def start(update: Update, context: BotContext) -> None:
    rt = context.runtime
    chat_id, topic = common.subscriber(update)
    before = await common.db(rt.store.get_chat, chat_id, topic=topic)
    await common.db(rt.store.reactivate, chat_id, topic=topic)
    welcome_back = before is not None and not before.active and bool(before.digest_time)
    current = before.timezone if before is not None else None
    offers: list[Choice] = []
    if not current:
        user = update.effective_user
        offers = replies.likely_choices(likely_timezones(user.language_code if user else None))
    t = context.t
    line = replies.start_timezone_text(current, rt.config.digest.timezone, bool(offers), t=t)
    markup = replies.timezone_keyboard(offers) if offers else None
    await common.reply(update, replies.start_text(rt.config, welcome_back, line, t=t), markup)


async def help_command(update: Update, context: BotContext) -> None:
    await common.reply(update, replies.help_text(context.runtime.config, t=context.t))


# -- /subscribe, /unsubscribe, /timezone, /status --------------------------------------


def _schedule_chat(context: BotContext, chat: Chat) -> None:
    rt = context.runtime
    config = rt.config
    if context.job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
        return
    if not rt.leader.is_leader:
        # Another process runs the schedule; it finds the chat's slots in the database
        # (bot.telegram.leaderjobs.refresh_slots_job).
        return
    schedule_chat(
        context.job_queue,
        chat,
        digest_job,
        default_timezone=config.digest.timezone,
        grace_seconds=config.digest.missed_grace_seconds,
    )


async def subscribe(update: Update, context: BotContext) -> None:
    """``/subscribe [DAYS] [HH:MM …]``: what is left out stays as it was (a new chat:
    every day at the configured time). In a forum topic, the topic subscribes on its
    own and its digests go there."""
    rt = context.runtime
    if common.too_long(context):
        await common.refuse_long(update, context, replies.SUBSCRIBE_USAGE)
        return
    try:
        rhythm = parse_rhythm(context.args or [])
    except RhythmError as exc:
        await common.reply(update, replies.bad_rhythm_text(exc, t=context.t))
        return
    if not await common.require_admin(update, context):
        return
    chat_id, topic = common.subscriber(update)
    current = await common.db(rt.store.get_chat, chat_id, topic=topic)
    had = current is not None and current.digest_time is not None
    times = rhythm.times or (current.digest_times if had else ()) or (rt.config.digest.time,)
    if rhythm.days is not None:
        days = rhythm.days
    else:
        days = current.days if had and current is not None else EVERY_DAY
    chat = await common.db(rt.store.subscribe, chat_id, times, days=days, topic=topic)
    _schedule_chat(context, chat)
    await common.reply(update, replies.subscribed_text(chat, rt.config, rt.clock(), t=context.t))


async def unsubscribe(update: Update, context: BotContext) -> None:
    """``/unsubscribe``, and ``/stop`` (Telegram's convention for "leave me alone")."""
    rt = context.runtime
    if not await common.require_admin(update, context):
        return
    chat_id, topic = common.subscriber(update)
    was = await common.db(rt.store.unsubscribe, chat_id, topic=topic)
    if was:
        await common.reply(update, context.t(replies.UNSUBSCRIBED))
    else:
        await common.reply(update, context.t(replies.NOT_SUBSCRIBED))


async def timezone(update: Update, context: BotContext) -> None:
    """``/timezone [CITY | IANA name | offset]``: show or set the chat's timezone; a
    name meaning several places, or none, is answered with buttons
    (:func:`bot.timezones.resolve_timezone`)."""
    rt = context.runtime
    if common.too_long(context):
        await common.refuse_long(update, context, replies.TIMEZONE_USAGE)
        return
    chat_id, topic = common.subscriber(update)
    asked = common.argument(context)
    if not asked.strip():
        chat = await common.db(rt.store.get_chat, chat_id, topic=topic)
        text = replies.timezone_current_text(
            chat.timezone if chat else None, rt.config.digest.timezone, t=context.t
        )
        private = update.effective_chat is not None and update.effective_chat.type == "private"
        keyboard = replies.location_keyboard(t=context.t).to_json() if private else None
        await common.reply(update, text, keyboard)
        return
    found = resolve_timezone(asked)
    if found.zone is None:
        choices = found.choices or found.suggestions
        if found.choices:
            if not await common.require_admin(update, context):
                return  # buttons only for those who may press them
            text = replies.timezone_choices_text(asked, t=context.t)
        else:
            text = replies.timezone_unknown_text(asked, found.suggestions, t=context.t)
        buttons = replies.timezone_keyboard(choices) if choices else None
        await common.reply(update, text, buttons)
        return
    if not await common.require_admin(update, context):
        return
    await _set_timezone(update, context, found.zone)


async def _set_timezone(
    update: Update, context: BotContext, name: str, *, from_location: bool = False
) -> None:
    rt = context.runtime
    chat_id, topic = common.subscriber(update)
    chat = await common.db(rt.store.set_timezone, chat_id, name, topic=topic)
    _schedule_chat(context, chat)
    text = replies.timezone_set_text(
        chat, name, rt.config, rt.clock(), from_location=from_location, t=context.t
    )
    private = update.effective_chat is not None and update.effective_chat.type == "private"
    await common.reply(update, text, replies.remove_keyboard().to_json() if private else None)


async def timezone_button(update: Update, context: BotContext) -> None:
    """A ``tz:NAME`` button (from /timezone or /start): set that timezone (group and
    channel administrators only), and turn the choice into the confirmation."""
    rt = context.runtime
    query = update.callback_query
    assert query is not None
    name = (query.data or "").removeprefix(replies.TIMEZONE_BUTTON)
    chat = update.effective_chat
    if chat is None or query.message is None or not valid_timezone(name):
        await query.answer(context.t(replies.TIMEZONE_STALE), show_alert=True)
        return
    if not await common.require_admin(update, context):
        return
    chat_id, topic = common.subscriber(update)  # the topic (or managed channel) it is for
    stored = await common.db(rt.store.set_timezone, chat_id, name, topic=topic)
    _schedule_chat(context, stored)
    await query.answer(replies.timezone_toast(name, t=context.t))
    text = common.named(
        update, replies.timezone_set_text(stored, name, rt.config, rt.clock(), t=context.t)
    )
    await common.edit(query, text)


async def location(update: Update, context: BotContext) -> None:
    """A location shared in a private chat: its timezone (looked up offline, in a worker
    thread) becomes the chat's. The coordinates are neither stored nor logged."""
    message = update.effective_message
    assert message is not None and message.location is not None
    point = message.location
    name = await asyncio.to_thread(timezone_at, point.latitude, point.longitude)
    if name is None:
        await common.reply(update, context.t(replies.NO_TIMEZONE_THERE))
        return
    await _set_timezone(update, context, name, from_location=True)


def _status_reads(store: Store, chat_id: int, topic: int) -> tuple[Chat | None, int, int, int]:
    """What /status shows of a subscriber: its row, its unseen articles (counted up to
    one past what the reply names), its filter terms and the articles they held back.
    Blocking: one hop to a worker thread for all four (each hop waits for the
    interpreter while a digest run composes in another thread)."""
    chat = store.get_chat(chat_id, topic=topic)
    waiting = store.count_unseen(chat_id, topic=topic, at_most=replies.WAITING_COUNTED + 1)
    terms = store.filter_terms(chat_id, topic=topic)
    return chat, waiting, len(terms), store.count_held_back(chat_id, topic=topic)


async def status(update: Update, context: BotContext) -> None:
    rt = context.runtime
    chat_id, topic = common.subscriber(update)
    chat, waiting, terms, held_back = await common.db(_status_reads, rt.store, chat_id, topic)
    text = replies.status_text(
        chat,
        waiting,
        rt.config,
        rt.clock(),
        filters=terms,
        held_back=held_back,
        t=context.t,
    )
    await common.reply(update, text)


# -- /digest --------------------------------------------------------------------------


async def digest(update: Update, context: BotContext) -> None:
    """``/digest``: what is new, now. In a group only administrators ask for it (a
    member gets one line pointing to a private chat with the bot), so a group is never
    flooded by its members.

    A subscriber with scheduled digests gets a *preview*: what its next digest would
    show, taking nothing from it (nothing is recorded; the digest's last line says
    so). A chat without scheduled digests gets its digest: what it shows counts as
    delivered, and the next /digest starts after it.
    """
    rt = context.runtime
    if common.in_group(update) and not await common.may_change_settings(update, context):
        message = update.effective_message
        if message is not None and not message.is_automatic_forward:
            await common.reply(
                update, replies.digest_in_private_text(context.bot.username, t=context.t)
            )
        return
    chat_id, topic = common.subscriber(update)
    key = (chat_id, topic)
    chat = await common.db(rt.store.get_chat, chat_id, topic=topic)
    preview = chat is not None and chat.subscribed
    settings = chat.settings if chat is not None else DigestSettings()
    tz = zone(chat_timezone(chat, rt.config.digest.timezone) if chat else rt.config.digest.timezone)
    today = rt.clock().astimezone(tz).date()
    horizon = rt.store.now_text()  # the articles added before this are all it chose from
    # Unseen, filters, sources, stories ranked, messages: as the scheduled digest.
    composed = await common.db(
        compose_digest,
        rt.store,
        key,
        settings.stories(rt.config.digest.max_articles),
        today=today,
        headlines=settings.headlines,
        footer=context.t(replies.PREVIEW_NOTE if preview else replies.ON_DEMAND_NOTE),
        t=context.t,
    )
    if composed.held and not preview:
        await common.db(rt.store.record_held_back, [(key, composed.held)])
    if composed.late and not preview:
        await common.db(StoryStore(rt.store).record_shown_elsewhere, [(key, composed.late)])
    if not composed.messages:
        t = context.t
        total = await common.db(rt.store.count_articles)
        hint = " " + t("/article lists all articles.") if total else ""
        if composed.held:
            hint = " " + t.plural(
                "Your filters held back {count} article (/filter shows them).",
                "Your filters held back {count} articles (/filter shows them).",
                len(composed.held),
            )
        await common.reply(update, t("Nothing new since your last digest.") + hint)
        return
    for text, numbers in composed.messages:
        await common.reply(update, text, silent=settings.silent, previews=settings.previews)
        if not preview:
            # Recorded message by message: a failure part-way leaves the rest unseen.
            await common.db(rt.store.record_deliveries, chat_id, numbers, topic=topic)
    if not preview:
        # Sent whole: the next /digest starts from what arrives after this one.
        await common.db(rt.store.pass_over, [key], horizon)


# -- /filter ------------------------------------------------------------------------


async def filter_command(update: Update, context: BotContext) -> None:
    """``/filter``: list the chat's keyword filters; ``-word``/``+word``/``-"a phrase"``
    add, ``remove word`` and ``clear`` take away (see :mod:`bot.filters`)."""
    rt = context.runtime
    argument = common.argument(context)
    if len(argument) > replies.MAX_FILTER_ARGUMENT_CHARS:
        text = replies.too_long_text(
            len(argument), replies.FILTER_USAGE, replies.MAX_FILTER_ARGUMENT_CHARS, t=context.t
        )
        await common.reply(update, text)
        return
    chat_id, topic = common.subscriber(update)
    try:
        command = parse_command(argument)
    except FilterError as exc:
        await common.reply(update, replies.filter_error_text(exc.said(context.t), t=context.t))
        return
    if command.action != "show" and not await common.require_admin(update, context):
        return
    note = ""
    if command.action == "clear":
        count = await common.db(rt.store.clear_filter_terms, chat_id, topic=topic)
        t = context.t
        if count:
            note = t.plural("Removed {count} filter.", "Removed {count} filters.", count)
        else:
            note = t("You had no filters.")
    elif command.action == "remove":
        pairs = [(term.key, term.mode) for term in command.terms]
        removed = await common.db(rt.store.remove_filter_terms, chat_id, pairs, topic=topic)
        note = replies.removed_filters_text(command.terms, removed, t=context.t)
    elif command.action == "add":
        triples = [(term.key, term.mode, term.text) for term in command.terms]
        added, total = await common.db(
            rt.store.add_filter_terms, chat_id, triples, MAX_TERMS, topic=topic
        )
        if not added:
            await common.reply(update, replies.filter_limit_text(total, t=context.t))
            return
        note = context.t("Filters saved; they apply from your next digest.")
    kept = await common.db(rt.store.filter_terms, chat_id, topic=topic)
    terms = [Term(mode, text) for mode, text in kept]
    await common.reply(update, replies.filters_text(terms, note, t=context.t))


# -- admin only ----------------------------------------------------------------------
# /stats and /rescan answer only the user ids in [telegram] admin_ids; to anyone else
# they are unknown commands, so the bot does not advertise what it will refuse.


def _stats(store: Store) -> tuple[int, int, int]:
    return store.count_subscribers(), store.count_articles(), store.count_outbox()


async def stats(update: Update, context: BotContext) -> None:
    """Admin: subscribers, articles and messages waiting in the outbox."""
    rt = context.runtime
    if not common.is_operator(update, rt):
        await common.refuse_unknown(update, t=context.t)
        return
    t = context.t
    subscribers, articles, queued = await common.db(_stats, rt.store)
    failing = ""
    if rt.feeds is not None and rt.poller is not None:  # feeds failing for a day
        down = rt.poller.failing_for_a_day(await common.db(rt.feeds.feeds))
        if down:
            names = ", ".join(html.escape(f"{f.id}. {f.label}") for f in down[:10])
            failing = "\n" + t(
                "Feeds failing for a day: {count} ({names})",
                count=t.number(len(down)),
                names=names,
            )
    lines = [
        "<b>digestbot</b>",
        t("Subscribers: {count}", count=t.number(subscribers)),
        t("Articles: {count}", count=t.number(articles)),
        t("Messages waiting to be sent: {count}", count=t.number(queued)),
    ]
    await common.reply(update, "\n".join(lines) + failing)


async def rescan(update: Update, context: BotContext) -> None:
    """Admin: read the seeds folder now instead of at the next rescan period."""
    rt = context.runtime
    if not common.is_operator(update, rt):
        await common.refuse_unknown(update, t=context.t)
        return
    before = await common.db(rt.store.count_articles)
    await rescan_seeds(context.application)
    after = await common.db(rt.store.count_articles)
    log.info(
        "%s: /rescan read the seeds folder: %d articles (before: %d)",
        common.who(update),
        after,
        before,
    )
    t = context.t
    await common.reply(
        update,
        t(
            "Seeds folder read: {after} articles (before: {before}).",
            after=t.number(after),
            before=t.number(before),
        ),
    )


# -- everything else --------------------------------------------------------------------


def _addressed_to_us(update: Update, context: BotContext) -> bool:
    """In a group, a command we do not know is ours only as ``/cmd@ourbot``: a plain
    ``/roll`` or ``/start@otherbot`` is for another bot there. In a private chat every
    command is ours."""
    message = update.effective_message
    if message is None or update.effective_chat is None:
        return False
    if update.effective_chat.type == "private":
        return True
    command = (message.text or "").split(maxsplit=1)[0] if message.text else ""
    _, at, name = command.partition("@")
    return bool(at) and name.lower() == (context.bot.username or "").lower()


async def unknown_command(update: Update, context: BotContext) -> None:
    if _addressed_to_us(update, context):
        await common.refuse_unknown(update, t=context.t)


async def plain_text(update: Update, context: BotContext) -> None:
    """A private message that is neither a link nor a text long enough to summarize
    (:mod:`bot.telegram.handlers.ondemand` serves those): say what the bot can do with
    it. A photo, sticker or voice message without a link gets the same in one line.
    Groups' chatter is not for us."""
    message = update.effective_message
    text = message.text if message is not None else None
    if text is None:
        await common.reply(update, context.t(replies.MEDIA_HINT))
        return
    words = word_count(text)
    short = " ".join(text.split())
    zone_name = None
    if words <= 3 and len(short) <= 40:
        zone_name = resolve_timezone(short).zone
    time_of_day = short if looks_like_time(short) else None
    await common.reply(
        update,
        replies.plain_text_reply(
            words, MIN_WORDS, timezone=zone_name and short, time=time_of_day, t=context.t
        ),
    )


SLOW_DOWN = N_(
    "You are sending commands faster than I can answer, so I skipped some. "
    "Please wait for my replies, then try again."
)


async def slow_down(bot: Bot, store: Store, chat_id: int) -> None:
    """Tell a flooding chat that the rest of its commands were dropped (once a flood),
    in its language (read here: the dropped updates reach no handler)."""
    try:
        language = await common.db(store.chat_language, chat_id)
        await send_html(bot, chat_id, translator(language)(SLOW_DOWN))
    except TelegramError as exc:
        log.info("could not tell chat %s to slow down: %s", chat_id, exc)


async def on_error(update: object, context: BotContext) -> None:
    """Log a handler's or job's exception; tell the user something went wrong.

    A rejected token (401) is no one chat's problem: the whole bot stops with one line."""
    if isinstance(context.error, ReplyDropped):
        return  # stopping: counted and logged once by the application
    if isinstance(context.error, InvalidToken):
        context.runtime.token_rejected()
        return
    where = f"update {update.update_id}" if isinstance(update, Update | ArticleRequest) else "a job"
    log.error(
        "error while handling %s: the chat was told; a bug, report it with this traceback",
        where,
        exc_info=context.error,
    )
    if isinstance(update, ArticleRequest):
        chat_id = update.chat_id
    elif isinstance(update, Update) and update.effective_chat is not None:
        chat_id = update.effective_chat.id
    else:
        return
    try:
        text = context.t("Sorry, something went wrong. Please try again.")
        await context.bot.send_message(chat_id, text)
    except Exception:  # the error may be that Telegram is unreachable
        log.debug("could not tell chat %s about the error", chat_id)


# Commands acted on when posted in a channel (``bot.telegram.handlers.channels`` decides
# how they are answered there): a channel's administrators subscribe it, and digests are
# posted there.
CHANNEL_COMMANDS: dict[str, Callable[[Update, BotContext], Coroutine[Any, Any, None]]] = {
    "subscribe": subscribe,
    "unsubscribe": unsubscribe,
    "stop": unsubscribe,
    "timezone": timezone,
    "filter": filter_command,
    "digest": digest,
}
