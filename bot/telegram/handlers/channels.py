"""Channels as full citizens: a channel's digest managed from a private chat, the bot's
channels learned from Telegram, and commands posted in a channel kept off its readers'
screens.

* **The bot's channels.** Telegram sends a ``my_chat_member`` update when the bot is made
  an administrator of a channel (or loses that): :func:`membership` stores the channel
  with its title and @username, and as candidates for ``/channel`` the user who added
  the bot and the administrators ``getChatAdministrators`` lists then; the user who
  added it is told (privately, when they have talked to the bot) how to manage it.
* **Managing a channel from a private chat.** ``/channel`` lists the channels the user
  administers (candidates from the store, each checked with ``getChatMember``, cached by
  :mod:`bot.telegram.admins`) as buttons; ``/channel @name`` or ``/channel -100…`` picks
  one, ``/channel off`` goes back to the private chat. The choice is stored per private
  chat. :func:`route` runs before every handler: for the commands and buttons of
  :data:`TARGETED_COMMANDS` and :data:`TARGETED_BUTTONS` in a private chat that manages a
  channel, it checks again that the bot is still there and the user still an
  administrator (cached), then :func:`bot.telegram.handlers.common.act_on` makes every
  handler act on the channel and name it in its reply. When the check fails the update
  gets a one-line refusal and the private chat manages itself again.
* **Commands posted in the channel.** A channel post carries no sender (only the channel
  as ``sender_chat``), so the bot cannot answer its poster privately. Whoever posted it is
  an administrator, so the commands that change the digest (:data:`ACTED_IN_CHANNEL`)
  are acted on, and their answer shrinks to one line (an answer that asks back with
  buttons becomes the pointer below); every other command gets one line pointing to
  ``/channel`` in a private chat; ``/digest`` still posts the digest (it is
  for the readers). The line and the command post itself are deleted after
  :data:`CHANNEL_NOTE_SECONDS` (best effort: the bot needs the right to delete posts).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, BaseHandler, CommandHandler, JobQueue, filters

from bot.locales import language_for, translator
from bot.store.channels import Channel
from bot.telegram import replies
from bot.telegram.admins import is_chat_admin
from bot.telegram.handlers import common
from bot.telegram.handlers.userfeeds import IMPORT_FILTER
from bot.telegram.ptb import send_html
from bot.telegram.runtime import BotContext, Runtime

__all__ = [
    "ACTED_IN_CHANNEL",
    "CHANNEL_NOTE_SECONDS",
    "POINTED_IN_CHANNEL",
    "ROUTE_GROUP",
    "TARGETED_BUTTONS",
    "TARGETED_COMMANDS",
    "channel_command",
    "channel_post_handlers",
    "choose_button",
    "membership",
    "retitled",
    "route",
]

log = logging.getLogger(__name__)

Callback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]

# In a private chat that manages a channel, these commands act on the channel...
TARGETED_COMMANDS = frozenset(
    {
        "subscribe",
        "unsubscribe",
        "stop",
        "status",
        "filter",
        "sources",
        "settings",
        "timezone",
        "add",
        "remove",
        "export",
    }
)
# ...and so do these buttons (timezone choices, source toggles, unfollowing a feed, digest
# settings), a shared location (it sets the timezone) and an OPML file to import.
# Everything else (/digest, /article, links to summarize) stays the private chat's own.
TARGETED_BUTTONS = ("tz:", "src:", "unf:", "set:")

# Posted in a channel: acted on, the answer cut to one line...
ACTED_IN_CHANNEL = frozenset(
    {"subscribe", "unsubscribe", "stop", "timezone", "filter", "add", "remove"}
)
# ...except these without an argument, which only show something (a pointer instead).
SHOWING_WITHOUT_ARGUMENT = frozenset({"timezone", "filter"})
# Answered with the one-line pointer to /channel: what shows settings or lists.
POINTED_IN_CHANNEL = frozenset(
    {
        "start",
        "help",
        "status",
        "sources",
        "settings",
        "article",
        "export",
        "channel",
        "summarize",
    }
)
# The handler group of :func:`route`: before every other (one handler runs per group).
ROUTE_GROUP = -1000
# How long the one line answering a command posted in a channel stays there.
CHANNEL_NOTE_SECONDS = 30.0


# -- the bot's channels ----------------------------------------------------------------


async def membership(update: Update, context: BotContext) -> None:
    """``my_chat_member``: the bot was made an administrator of a channel (remember it,
    with who may manage it) or was removed or demoted (no longer offered)."""
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.CHANNEL:
        return
    rt = context.runtime
    chat = change.chat
    status = change.new_chat_member.status
    if status not in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER):
        if await common.db(rt.store.leave_channel, chat.id):
            log.info("left channel %s", chat.id)
        return
    admins = [change.from_user.id] if not change.from_user.is_bot else []
    try:
        listed = await context.bot.get_chat_administrators(chat.id)
    except TelegramError as exc:  # the list is only candidates: the adder is enough
        log.info("getChatAdministrators in channel %s: %s", chat.id, exc)
    else:
        admins += [member.user.id for member in listed if not member.user.is_bot]
    title = chat.title or str(chat.id)
    await common.db(rt.store.remember_channel, chat.id, title, chat.username, tuple(admins))
    log.info("administrator of channel %s (%d candidate managers)", chat.id, len(set(admins)))
    if change.from_user.is_bot:
        return
    # Said in their private chat's language (this update's chat is the channel).
    spoken = await common.db(rt.store.chat_language, change.from_user.id)
    t = translator(spoken or language_for(change.from_user.language_code))
    try:  # tell who added the bot where to manage the channel, if they ever talked to it
        await send_html(context.bot, change.from_user.id, replies.channel_joined_text(title, t=t))
    except TelegramError as exc:
        log.info("could not tell user %s about channel %s: %s", change.from_user.id, chat.id, exc)


async def retitled(update: Update, context: BotContext) -> None:
    """A channel's new title (a ``new_chat_title`` service post): the private chats
    that manage it name it so from now on."""
    await _known_from_post(context.runtime, update)


async def _known_from_post(rt: Runtime, update: Update) -> Channel | None:
    """The channel a post is in, stored (or its title refreshed) if the bot did not know
    it: a channel that added the bot before it listened to ``my_chat_member``."""
    chat = update.effective_chat
    if chat is None:
        return None
    known = await common.db(rt.store.channel, chat.id)
    title = chat.title or str(chat.id)
    if (
        known is not None
        and known.present
        and (known.title, known.username)
        == (
            title,
            chat.username,
        )
    ):
        return known
    stored: Channel = await common.db(rt.store.remember_channel, chat.id, title, chat.username)
    return stored


# -- which chat a private chat manages ---------------------------------------------------


def _command_name(update: Update) -> str | None:
    message = update.message
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    return message.text.split(maxsplit=1)[0][1:].partition("@")[0].lower()


def _is_targeted(update: Update) -> bool:
    query = update.callback_query
    if query is not None:
        return (query.data or "").startswith(TARGETED_BUTTONS)
    message = update.message
    if message is not None and message.location is not None:
        return True
    if message is not None and message.document is not None:
        return bool(IMPORT_FILTER.check_update(update))  # an OPML file of feeds to follow
    return _command_name(update) in TARGETED_COMMANDS


async def _refuse(update: Update, text: str) -> None:
    query = update.callback_query
    if query is not None:
        await query.answer(replies.one_line(text), show_alert=True)
    else:
        await common.reply(update, text)


async def route(update: Update, context: BotContext) -> None:
    """Before every handler: in a private chat that manages a channel, the updates that
    are about a digest act on the channel, once its rights are checked again."""
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE or not _is_targeted(update):
        return
    rt = context.runtime
    channel: Channel | None = await common.db(rt.store.target_of, chat.id)
    if channel is None:
        return
    if not channel.present:
        lost = replies.channel_lost_text(channel.title, bot_left=True, t=context.t)
    elif not await is_chat_admin(context.bot, rt.admins, channel.chat_id, user.id):
        await common.db(rt.store.forget_channel_admin, channel.chat_id, user.id)
        lost = replies.channel_lost_text(channel.title, bot_left=False, t=context.t)
    else:
        common.act_on(update, channel.chat_id, channel.title, context.t)
        return
    await common.db(rt.store.set_target, chat.id, None)
    await _refuse(update, lost)
    raise ApplicationHandlerStop


async def _checked(context: BotContext, user_id: int, channel: Channel) -> bool:
    """The user administers the channel, as Telegram says (cached); the store's
    candidates follow the answer."""
    rt = context.runtime
    if await is_chat_admin(context.bot, rt.admins, channel.chat_id, user_id):
        await common.db(rt.store.note_channel_admin, channel.chat_id, user_id)
        return True
    await common.db(rt.store.forget_channel_admin, channel.chat_id, user_id)
    return False


async def _find(rt: Runtime, asked: str) -> Channel | None:
    if asked.startswith("@"):
        return await common.db(rt.store.channel_named, asked)
    try:
        chat_id = int(asked)
    except ValueError:
        return None
    found: Channel | None = await common.db(rt.store.channel, chat_id)
    return found


async def channel_command(update: Update, context: BotContext) -> None:
    """``/channel`` (private chats): list the channels the user administers as buttons;
    ``/channel @name`` or ``/channel -100…`` manage one; ``/channel off`` this chat."""
    rt = context.runtime
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None:
        return
    if chat.type != ChatType.PRIVATE:
        await common.reply(update, context.t(replies.CHANNEL_PRIVATE_ONLY))
        return
    if common.too_long(context):
        await common.refuse_long(update, context, replies.CHANNEL_USAGE)
        return
    asked = common.argument(context).strip()
    if not asked:
        candidates: list[Channel] = await common.db(rt.store.channels_of, user.id)
        checks = await asyncio.gather(*(_checked(context, user.id, c) for c in candidates))
        mine = [(c.chat_id, c.title) for c, ok in zip(candidates, checks, strict=True) if ok]
        current: Channel | None = await common.db(rt.store.target_of, chat.id)
        text = replies.channel_list_text(current.title if current else None, len(mine), t=context.t)
        await common.reply(update, text, replies.channel_keyboard(mine, t=context.t))
        return
    if asked.lower() == replies.CHANNEL_OFF:
        await common.db(rt.store.set_target, chat.id, None)
        await common.reply(update, context.t(replies.CHANNEL_BACK))
        return
    if not asked.startswith("@") and not asked.lstrip("-").isdigit():
        await common.reply(update, context.t(replies.CHANNEL_USAGE))
        return
    channel = await _find(rt, asked)
    if channel is None or not channel.present:
        await common.reply(update, replies.channel_unknown_text(asked, t=context.t))
        return
    if not await _checked(context, user.id, channel):
        await common.reply(update, replies.channel_not_admin_text(channel.title, t=context.t))
        return
    await common.db(rt.store.set_target, chat.id, channel.chat_id)
    await common.reply(update, replies.channel_chosen_text(channel.title, t=context.t))


async def choose_button(update: Update, context: BotContext) -> None:
    """A ``ch:ID`` button under ``/channel``'s list (``ch:off``: this chat)."""
    rt = context.runtime
    query = update.callback_query
    assert query is not None
    chat = update.effective_chat
    value = (query.data or "").removeprefix(replies.CHANNEL_BUTTON)
    if chat is None or chat.type != ChatType.PRIVATE or query.message is None:
        await query.answer(context.t(replies.CHANNEL_STALE), show_alert=True)
        return
    if value == replies.CHANNEL_OFF:
        await common.db(rt.store.set_target, chat.id, None)
        await query.answer(context.t(replies.CHANNEL_BACK_TOAST))
        await common.edit(query, context.t(replies.CHANNEL_BACK))
        return
    channel = await _find(rt, value) if value.lstrip("-").isdigit() else None
    if channel is None or not channel.present:
        await query.answer(context.t(replies.CHANNEL_STALE), show_alert=True)
        return
    if not await _checked(context, query.from_user.id, channel):
        await query.answer(
            replies.channel_not_admin_text(channel.title, t=context.t), show_alert=True
        )
        return
    await common.db(rt.store.set_target, chat.id, channel.chat_id)
    await query.answer(replies.one_line(channel.title, 190))
    await common.edit(query, replies.channel_chosen_text(channel.title, t=context.t))


# -- commands posted in a channel ----------------------------------------------------------


async def _delete_later(context: BotContext) -> None:
    """The job that takes a command post and its one-line answer off the channel."""
    data = context.job.data if context.job is not None else None
    if not isinstance(data, tuple):
        return
    chat_id: int = data[0]
    message_ids: tuple[int, ...] = data[1]
    for message_id in message_ids:
        try:
            await context.bot.delete_message(chat_id, message_id)
        except TelegramError as exc:  # no right to delete, or already gone
            log.info("could not delete message %s in channel %s: %s", message_id, chat_id, exc)


async def _post_note(update: Update, context: BotContext, text: str) -> None:
    """Post the one line in the channel; it and the command post go after a while."""
    message = update.effective_message
    assert message is not None
    sent = await send_html(context.bot, message.chat_id, text)
    ids = [message.message_id]
    if isinstance(sent, dict) and isinstance(sent.get("message_id"), int):
        ids.append(sent["message_id"])
    queue: JobQueue[Any] | None = context.job_queue
    if queue is not None:
        queue.run_once(
            _delete_later,
            when=CHANNEL_NOTE_SECONDS,
            data=(message.chat_id, tuple(ids)),
            name=f"channel note {message.chat_id}",
        )


def _in_channel(name: str, callback: Callback) -> Callback:
    """A command posted in a channel: acted on with its answer cut to one line, or
    answered with the pointer to ``/channel``."""

    async def handle(update: Update, context: BotContext) -> None:
        rt = context.runtime
        channel = await _known_from_post(rt, update)
        if channel is None:
            return
        username = context.bot.username or "this bot"
        pointer = replies.channel_pointer_text(channel.title, username, t=context.t)
        showing = name in SHOWING_WITHOUT_ARGUMENT and not common.argument(context).strip()
        if name not in ACTED_IN_CHANNEL or showing:
            await _post_note(update, context, pointer)
            return
        collected = common.collect_replies(update)
        await callback(update, context)
        if collected.buttons:  # a question with buttons ("which Springfield?")
            await _post_note(update, context, pointer)
        elif collected.texts:
            await _post_note(update, context, replies.one_line(collected.texts[0]))

    return handle


async def _pointer(update: Update, context: BotContext) -> None:
    """Placeholder callback of the commands that get only the pointer in a channel."""


def channel_post_handlers(callbacks: Mapping[str, Callback]) -> list[BaseHandler[Any, Any, Any]]:
    """The handlers of commands posted in channels: ``callbacks`` by command name (those
    of :data:`ACTED_IN_CHANNEL` are acted on, ``digest`` posts the digest as it would
    anywhere); every command of :data:`POINTED_IN_CHANNEL` gets the pointer."""
    handlers: list[BaseHandler[Any, Any, Any]] = []
    names = sorted(set(callbacks) | POINTED_IN_CHANNEL)
    for name in names:
        callback = callbacks.get(name, _pointer)
        wrapped = callback if name == "digest" else _in_channel(name, callback)
        handlers.append(CommandHandler(name, wrapped, filters=filters.UpdateType.CHANNEL_POST))
    return handlers
