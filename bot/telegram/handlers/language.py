"""The chat's language: chosen before every update is handled, and ``/language``.

:func:`choose_language` runs first for every update (a handler of its own group): it
reads the chat's language from the store (:mod:`bot.store.languages`) and sets
``context.t`` to its translator; a chat the store has no language for yet gets its
sender's Telegram ``language_code`` (first two letters, when the bot speaks it) on
first contact, stored from then on. ``/language`` shows a button per language; a tap
changes the chat's language (its administrators' in groups) and the message is edited
in place to speak the new one.
"""

from __future__ import annotations

from telegram import Update

from bot.locales import DEFAULT, LANGUAGES, language_for, translator
from bot.telegram import replies
from bot.telegram.handlers import common
from bot.telegram.runtime import BotContext


async def choose_language(update: Update, context: BotContext) -> None:
    """Sets ``context.t`` for the update's chat (see the module's docstring)."""
    chat = update.effective_chat
    if chat is None:
        return
    store = context.runtime.store
    language = await common.db(store.chat_language, chat.id)
    if language is None:
        user = update.effective_user
        code = user.language_code if user is not None else None
        if code:
            language = await common.db(
                store.set_chat_language, chat.id, language_for(code), only_new=True
            )
    context.t = translator(language or DEFAULT)


async def language_command(update: Update, context: BotContext) -> None:
    """/language: the chat's language and a button per language."""
    text, keyboard = replies.language_message(context.t)
    await common.reply(update, text, keyboard)


async def language_button(update: Update, context: BotContext) -> None:
    """A language button: store the chat's new language, answer in it, and edit the
    message to show it chosen."""
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None and chat is not None
    code = (query.data or "").removeprefix(replies.LANGUAGE_BUTTON)
    if code not in LANGUAGES:
        await query.answer(context.t(replies.LANGUAGE_STALE), show_alert=True)
        return
    if not await common.require_admin(update, context):
        return
    await common.db(context.runtime.store.set_chat_language, chat.id, code)
    context.t = translator(code)
    await query.answer(context.t(replies.LANGUAGE_SET))
    text, keyboard = replies.language_message(context.t)
    await common.edit(query, text, keyboard)
