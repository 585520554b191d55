"""What the handler modules share: store calls off the event loop, replies in the right chat
and forum topic, the subscriber an update is about, and who may change a chat's settings
(its administrators in groups) or use the operator's commands (``[telegram] admin_ids``).

The subscriber an update is about is usually its own chat (and forum topic). Two cases
are decided before the handlers run, by :mod:`bot.telegram.handlers.channels`, and
followed here so that every handler gets them without knowing:

* a private chat that manages a channel (``/channel``): :func:`act_on` names the channel
  for this update; :func:`subscriber` then answers the channel, and :func:`reply`
  prefixes every answer with the channel's name;
* a command posted in a channel: :func:`collect_replies` makes :func:`reply` keep the
  answers instead of posting them, so the channel's readers see at most one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, TelegramError

from bot.locales import ENGLISH, Translator
from bot.telegram import replies
from bot.telegram.admins import is_chat_admin
from bot.telegram.ptb import send_html
from bot.telegram.replies import MAX_ARGUMENT_CHARS
from bot.telegram.runtime import BotContext, Runtime

log = logging.getLogger(__name__)


def argument(context: BotContext) -> str:
    return " ".join(context.args or ())


# The handlers' own worker threads. Background work (a feed poll round, a digest run,
# the sender) runs its store calls on asyncio's default executor: a poll round of 500
# feeds queues hundreds of writes there, each waiting for the writer's lock, and a
# reader's question queued behind them waited up to 10 s (bench/busy.py, 500,000
# articles). Here a question waits only for other questions. As many threads as
# asyncio's default executor has at most: the few writes among the handlers' calls
# (a first contact's language, /subscribe) may wait for the writer's lock, and reads
# must still find a free thread meanwhile.
HANDLER_THREADS = 32
_handler_pool: list[ThreadPoolExecutor] = []


def _pool() -> ThreadPoolExecutor:
    if not _handler_pool:
        _handler_pool.append(
            ThreadPoolExecutor(HANDLER_THREADS, thread_name_prefix="digestbot-handler")
        )
    return _handler_pool[0]


async def db(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a store call off the event loop (SQLite may wait for its lock), in the
    handlers' own threads, never queued behind background work; like
    ``asyncio.to_thread``, in a copy of the caller's context."""
    call = functools.partial(contextvars.copy_context().run, function, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_pool(), call)


def topic(message: object) -> int | None:
    """The forum topic a message is in (replies go there too), or None (also for no
    message, or one the bot can no longer read)."""
    if isinstance(message, Message) and message.is_topic_message:
        return message.message_thread_id
    return None


@dataclass(frozen=True, slots=True)
class Target:
    """The channel an update from a private chat acts on (see :func:`act_on`)."""

    update_id: int
    chat_id: int
    title: str
    t: Translator = ENGLISH  # the language the answers name it in


@dataclass(slots=True)
class Collected:
    """The answers to a command posted in a channel (see :func:`collect_replies`)."""

    update_id: int
    texts: list[str] = field(default_factory=list)
    buttons: bool = False  # an answer came with buttons: a choice one line cannot hold


# Set while one update is handled (the handlers of one update run in one task, and a
# task started for a non-blocking handler copies them); each names its update, so a
# value left from an earlier update in the same task is ignored.
_TARGET: ContextVar[Target | None] = ContextVar("digestbot_target", default=None)
_COLLECTED: ContextVar[Collected | None] = ContextVar("digestbot_collected", default=None)


def act_on(update: Update, chat_id: int, title: str, t: Translator = ENGLISH) -> None:
    """This update (from a private chat) acts on the channel ``chat_id``, which its sender
    administers: :func:`subscriber` answers it and :func:`reply` names it (in ``t``'s
    language)."""
    _TARGET.set(Target(update.update_id, chat_id, title, t))


def target(update: Update) -> Target | None:
    """The channel this update acts on instead of its own chat, if any."""
    found = _TARGET.get()
    return found if found is not None and found.update_id == update.update_id else None


def collect_replies(update: Update) -> Collected:
    """From now on :func:`reply` keeps this update's answers (texts, no buttons) in the
    returned :class:`Collected` instead of sending them."""
    collected = Collected(update.update_id)
    _COLLECTED.set(collected)
    return collected


def subscriber(update: Update) -> tuple[int, int]:
    """(chat id, topic) of the subscriber an update is about: the channel a private chat
    manages (:func:`act_on`), else the forum topic it was sent in, or 0 for the chat
    itself (a forum's General topic, any other chat)."""
    managed = target(update)
    if managed is not None:
        return managed.chat_id, 0
    chat = update.effective_chat
    assert chat is not None
    return chat.id, topic(update.effective_message) or 0


def who(update: Update) -> str:
    """Who did what, where, for an action's log line: ``"user 42 in chat -100123"``
    (with ``" topic 7"`` in a forum topic, ``"for channel -100456"`` when a private chat
    manages one). Ids only: names change and are the users' own."""
    user = update.effective_user
    chat_id, topic_id = subscriber(update)
    managed = target(update)
    where = f"for channel {chat_id}" if managed is not None else f"in chat {chat_id}"
    if topic_id:
        where += f" topic {topic_id}"
    return f"user {user.id if user else '?'} {where}"


def named(update: Update, text: str) -> str:
    """``text`` as :func:`reply` sends it: about a managed channel, with its name (for the
    messages a button press redraws)."""
    managed = target(update)
    return replies.acting_on(managed.title, text, t=managed.t) if managed is not None else text


async def reply(
    update: Update,
    text: str,
    reply_markup: InlineKeyboardMarkup | str | None = None,
    *,
    silent: bool = False,
    previews: bool = False,
) -> None:
    """Answer in the update's chat (and forum topic), not quoting the user's message.
    ``reply_markup``: inline buttons, or any keyboard as JSON; ``silent`` and
    ``previews`` as :func:`bot.telegram.ptb.send_html`. About a managed channel, the
    answer starts with its name; a command posted in a channel is answered by
    :mod:`bot.telegram.handlers.channels` from what is kept here."""
    message = update.effective_message
    assert message is not None
    collected = _COLLECTED.get()
    if collected is not None and collected.update_id == update.update_id:
        collected.texts.append(text)
        collected.buttons = collected.buttons or reply_markup is not None
        return
    await send_html(
        update.get_bot(),
        message.chat_id,
        named(update, text),
        reply_markup,
        topic(message),
        silent=silent,
        previews=previews,
    )


async def edit(
    query: CallbackQuery,
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
    *,
    link_preview_options: LinkPreviewOptions | None = None,
) -> None:
    """Redraw the message a button is on as ``text`` (HTML) and ``reply_markup``. Telegram
    refuses an edit that changes nothing ("message is not modified": the same button tapped
    twice, or a page already shown); that is no error. Every other refusal is raised. Only
    ``BadRequest`` is caught: it subclasses ``NetworkError``, which a caller handles apart."""
    options: dict[str, Any] = {}
    if link_preview_options is not None:
        options["link_preview_options"] = link_preview_options
    try:
        await query.edit_message_text(
            text, parse_mode=ParseMode.HTML, reply_markup=reply_markup, **options
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


# "typing" lasts five seconds in Telegram clients (or until a message arrives).
TYPING_EVERY = 4.5


@contextlib.asynccontextmanager
async def typing(update: Update) -> AsyncIterator[None]:
    """Telegram shows "typing" in the update's chat while the body runs (slow work:
    fetching a feed, importing a file); see :func:`typing_in`."""
    message = update.effective_message
    assert message is not None
    async with typing_in(update.get_bot(), message.chat_id, topic(message)):
        yield


@contextlib.asynccontextmanager
async def typing_in(bot: Bot, chat_id: int, thread: int | None) -> AsyncIterator[None]:
    """Show "typing" in the chat (its forum topic ``thread``) while the block runs:
    renewed every few seconds in a private chat, sent once in a group (the rate limiter
    counts it against the group's 20 messages a minute). A failed sendChatAction is
    logged at debug level and ignored."""
    action: dict[str, object] = {"chat_id": chat_id, "action": ChatAction.TYPING.value}
    if thread is not None:
        action["message_thread_id"] = thread

    async def keep() -> None:
        while True:
            try:
                # As bot.telegram.ptb.send_html: the lower-case method name skips PTB's
                # parsing of the answer (a burst of links sends a burst of these).
                await bot.do_api_request("sendchataction", api_kwargs=action)
            except TelegramError as exc:
                log.debug("typing in chat %s: %s", chat_id, exc)
            if chat_id < 0:
                return
            await asyncio.sleep(TYPING_EVERY)

    task = asyncio.create_task(keep())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def too_long(context: BotContext) -> bool:
    return len(argument(context)) > MAX_ARGUMENT_CHARS


async def refuse_long(update: Update, context: BotContext, usage: str) -> None:
    await reply(update, replies.too_long_text(len(argument(context)), usage, t=context.t))


def in_group(update: Update) -> bool:
    """Whether the update comes from a group or supergroup."""
    chat = update.effective_chat
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


async def may_change_settings(update: Update, context: BotContext) -> bool:
    """True if the sender may change this chat's settings (subscription, timezone,
    filters, sources, what goes into its digest); no reply either way.

    Private chats: always. A channel's post: always (only administrators can post
    there). Groups: the chat's administrators (``getChatMember``, cached for minutes by
    ``bot.telegram.admins``), including one writing anonymously as the group itself. A
    button press is its presser's, in a channel too (every subscriber may press the
    buttons under a post): an administrator's or refused."""
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return False
    if chat.type == ChatType.PRIVATE:
        return True
    if update.callback_query is None:
        if chat.type == ChatType.CHANNEL:
            return True
        if message.is_automatic_forward:
            return False  # a channel's post copied into its discussion group: not for us
        sender_chat = message.sender_chat
        if sender_chat is not None:
            return sender_chat.id == chat.id  # an anonymous administrator
    user = update.effective_user
    return user is not None and await is_chat_admin(
        context.bot, context.runtime.admins, chat.id, user.id
    )


async def require_admin(update: Update, context: BotContext) -> bool:
    """:func:`may_change_settings`; when it says no, replies with a short refusal (a
    button press: in the press's answer) and returns False."""
    message = update.effective_message
    if update.effective_chat is None or message is None:
        return False
    if update.callback_query is None and message.is_automatic_forward:
        return False  # a channel's post copied into its discussion group: no answer
    allowed = await may_change_settings(update, context)
    if not allowed:
        query = update.callback_query
        if query is not None:
            await query.answer(context.t(replies.ADMINS_ONLY), show_alert=True)
        else:
            await reply(update, context.t(replies.ADMINS_ONLY))
    return allowed


def is_operator(update: Update, rt: Runtime) -> bool:
    user = update.effective_user
    return user is not None and user.id in rt.config.telegram.admin_ids


async def refuse_unknown(update: Update, *, t: Translator = ENGLISH) -> None:
    message = update.effective_message
    if message is None:  # e.g. an edited message's update: nothing to answer
        return
    text = message.text or message.caption or ""  # a file's caption: "/opml"
    command = text.split()[0] if text.split() else text
    await reply(update, replies.unknown_command_text(command, t=t))
