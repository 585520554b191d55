"""``/settings``: a subscriber's digest size and form, as one message with buttons.

The message lists the current choices (:class:`bot.settings.DigestSettings`) and has a
row of buttons per setting -- stories per digest (5, 10, 20, 30), summaries or
headlines only, with sound or silent, link previews off or on -- the current choice
ticked. A press saves the new choice for the subscriber the message was sent in (a
chat, or a forum topic with a digest of its own) and edits the same message in place.
In groups only administrators change them: anyone may look, a member's press is
answered with a short alert and changes nothing.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType

from bot.locales import ENGLISH, N_, Translator
from bot.settings import BUTTON_PREFIX, SIZES, DigestSettings, press
from bot.telegram.handlers import common
from bot.telegram.runtime import BotContext

__all__ = ["settings_button", "settings_command", "settings_message"]

log = logging.getLogger(__name__)

STALE_BUTTON = N_("This button is out of date: send /settings again.")
SAVED = N_("Saved: it applies from your next digest.")


def _choice(label: str, chosen: bool, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(f"✓ {label}" if chosen else label, callback_data=data)


def settings_message(
    settings: DigestSettings,
    default_size: int,
    in_group: bool = False,
    t: Translator = ENGLISH,
) -> tuple[str, InlineKeyboardMarkup]:
    """The /settings message (HTML) and its buttons for ``settings``, in ``t``'s
    language."""
    size = settings.stories(default_size)
    # Each text on its own: extraction does not see a t("…") inside another's arguments.
    form = t("headlines only") if settings.headlines else t("summaries")
    sound = t("silent") if settings.silent else t("with sound")
    previews = t("on") if settings.previews else t("off")
    if in_group:
        title = t("<b>Digest settings</b> · administrators can change them")
    else:
        title = t("<b>Digest settings</b> · tap to change")
    size_shown, form, sound, previews = (
        f"<b>{x}</b>" for x in (t.number(size), form, sound, previews)
    )
    lines = [
        title,
        t("Stories per digest: {size}", size=size_shown),
        t("Form: {form}", form=form),
        t("Notifications: {sound}", sound=sound),
        t("Link previews: {state}", state=previews),
    ]
    p = BUTTON_PREFIX
    keyboard = [
        [_choice(str(n), n == size, f"{p}size:{n}") for n in SIZES],
        [
            _choice(t("Summaries"), not settings.headlines, f"{p}form:summaries"),
            _choice(t("Headlines only"), settings.headlines, f"{p}form:headlines"),
        ],
        [
            _choice(t("With sound"), not settings.silent, f"{p}silent:off"),
            _choice(t("Silent"), settings.silent, f"{p}silent:on"),
        ],
        [
            _choice(t("No previews"), not settings.previews, f"{p}previews:off"),
            _choice(t("Link previews"), settings.previews, f"{p}previews:on"),
        ],
    ]
    return "\n".join(lines), InlineKeyboardMarkup(keyboard)


async def settings_command(update: Update, context: BotContext) -> None:
    """``/settings``: the subscriber's digest settings with their buttons."""
    rt = context.runtime
    chat_id, topic = common.subscriber(update)
    chat = await common.db(rt.store.get_chat, chat_id, topic=topic)
    current = chat.settings if chat is not None else DigestSettings()
    kind = update.effective_chat.type if update.effective_chat else ChatType.PRIVATE
    text, markup = settings_message(
        current,
        rt.config.digest.max_articles,
        kind in (ChatType.GROUP, ChatType.SUPERGROUP),
        context.t,
    )
    await common.reply(update, text, markup)


async def settings_button(update: Update, context: BotContext) -> None:
    """A ``set:…`` button: save the choice (administrators only in groups) and redraw
    the message in place."""
    rt = context.runtime
    query = update.callback_query
    assert query is not None
    chat = update.effective_chat
    if query.message is None or chat is None:
        await query.answer()
        return
    if not await common.require_admin(update, context):
        return
    chat_id, topic = common.subscriber(update)  # the topic (or managed channel) of the message
    row = await common.db(rt.store.get_chat, chat_id, topic=topic)
    current = row.settings if row is not None else DigestSettings()
    chosen = press(current, query.data or "")
    if chosen is None:
        await query.answer(context.t(STALE_BUTTON), show_alert=True)
        return
    if chosen != current:
        await common.db(rt.store.set_digest_settings, chat_id, chosen, topic=topic)
    await query.answer(context.t(SAVED))
    text, markup = settings_message(
        chosen,
        rt.config.digest.max_articles,
        chat.type in (ChatType.GROUP, ChatType.SUPERGROUP),
        context.t,
    )
    await common.edit(query, common.named(update, text), markup)
