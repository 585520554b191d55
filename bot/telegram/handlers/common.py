"""What the handler modules share: store calls off the event loop, replies in the right chat
and forum topic, the subscriber an update is about, and who may change a chat's settings
(its administrators in groups) or use the operator's commands (``[telegram] admin_ids``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError

from bot.locales import ENGLISH, Translator
from bot.telegram import replies
from bot.telegram.admins import is_chat_admin
from bot.telegram.ptb import send_html
from bot.telegram.replies import MAX_ARGUMENT_CHARS
from bot.telegram.runtime import BotContext, Runtime


def argument(context: BotContext) -> str:
    return " ".join(context.args or ())


async def db(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a store call off the event loop (SQLite may wait for its lock)."""
    return await asyncio.to_thread(function, *args, **kwargs)


def topic(message: object) -> int | None:
    """The forum topic a message is in (replies go there too), or None (also for no
    message, or one the bot can no longer read)."""
    if isinstance(message, Message) and message.is_topic_message:
        return message.message_thread_id
    return None


def subscriber(update: Update) -> tuple[int, int]:
    """(chat id, topic) of the subscriber an update is about: the forum topic it was
    sent in, or 0 for the chat itself (a forum's General topic, any other chat)."""
    chat = update.effective_chat
    assert chat is not None
    return chat.id, topic(update.effective_message) or 0


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
    ``previews`` as :func:`bot.telegram.ptb.send_html`."""
    message = update.effective_message
    assert message is not None
    await send_html(
        update.get_bot(),
        message.chat_id,
        text,
        reply_markup,
        topic(message),
        silent=silent,
        previews=previews,
    )


# Telegram shows "typing" for 5 seconds after each sendChatAction.
TYPING_EVERY = 4.5


@contextlib.asynccontextmanager
async def typing(update: Update) -> AsyncIterator[None]:
    """Telegram shows "typing" in the update's chat while the body runs (slow work:
    fetching a feed, importing a file); a failed sendChatAction is ignored."""
    message = update.effective_message
    assert message is not None
    bot = update.get_bot()

    async def keep() -> None:
        while True:
            try:
                await bot.send_chat_action(
                    message.chat_id, ChatAction.TYPING, message_thread_id=topic(message)
                )
            except TelegramError:
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
