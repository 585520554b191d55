"""What /channel says: managing a channel's digest from a private chat.

Pure functions of plain data (see :mod:`bot.telegram.replies`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from bot.locales import ENGLISH, N_, Translator
from bot.telegram.replies.basics import (
    echo,
    short_label,
)

# -- channels managed from a private chat ------------------------------------------------

CHANNEL_BUTTON = "ch:"
CHANNEL_OFF = "off"
CHANNEL_USAGE = N_(
    "Usage: /channel lists the channels you administer; /channel @name or /channel -100… "
    "picks one; /channel off manages this chat again."
)
CHANNEL_PRIVATE_ONLY = N_("Send /channel in a private chat with me to manage a channel from there.")
CHANNEL_STALE = N_("This button is out of date: send /channel again.")
# Bounds of the one line a command posted in a channel gets (deleted a little later).
CHANNEL_NOTE_CHARS = 200


def _quoted(title: str) -> str:
    return f"«{html.escape(title)}»"


def acting_on(title: str, text: str, *, t: Translator = ENGLISH) -> str:
    """A reply about the channel a private chat manages: it says which chat it is."""
    return t("<b>Channel {title}</b>: {text}", title=_quoted(title), text=text)


def channel_list_text(current: str | None, found: int, *, t: Translator = ENGLISH) -> str:
    """``/channel``: which chat the commands act on now, and the choice."""
    this_chat = t("this chat")
    now = t("channel {title}", title=_quoted(current)) if current else this_chat
    if not found:
        return t(
            "Your commands here act on {now}. I know no channel you administer: add me to "
            "your channel as an administrator, then send /channel again (or /channel @name).",
            now=now,
        )
    return t("Your commands here act on {now}. Choose the chat to manage:", now=now)


def channel_keyboard(
    channels: Sequence[tuple[int, str]], *, t: Translator = ENGLISH
) -> InlineKeyboardMarkup:
    """One button per channel (``ch:ID``), then "This chat" (``ch:off``)."""
    rows = [
        [
            InlineKeyboardButton(
                f"📢 {short_label(title)}", callback_data=f"{CHANNEL_BUTTON}{chat_id}"
            )
        ]
        for chat_id, title in channels
    ]
    this_chat = t("💬 This chat")
    rows.append([InlineKeyboardButton(this_chat, callback_data=f"{CHANNEL_BUTTON}{CHANNEL_OFF}")])
    return InlineKeyboardMarkup(rows)


def channel_joined_text(title: str, *, t: Translator = ENGLISH) -> str:
    """To whoever made the bot an administrator of a channel."""
    return t(
        "I am now an administrator of channel {title}. Send /channel here to manage its "
        "digest: /subscribe, /filter, /sources and /timezone then act on it.",
        title=_quoted(title),
    )


def channel_chosen_text(title: str, *, t: Translator = ENGLISH) -> str:
    return t(
        "Now managing channel {title}: /subscribe, /stop, /status, /settings, /filter, "
        "/sources, /timezone, /add, /remove and /export act on it, and its digests are "
        "posted there. /channel off manages this chat again.",
        title=_quoted(title),
    )


CHANNEL_BACK = N_("Back to this chat: your commands here act on your own digest.")
CHANNEL_BACK_TOAST = N_("Managing this chat")


def channel_unknown_text(asked: str, *, t: Translator = ENGLISH) -> str:
    return t(
        "I am not an administrator of {asked}: add me to the channel as an administrator "
        "first, then send /channel again.",
        asked=echo(asked),
    )


def channel_not_admin_text(title: str, *, t: Translator = ENGLISH) -> str:
    return t(
        "Only the administrators of channel {title} can manage its digest.", title=_quoted(title)
    )


def channel_lost_text(title: str, bot_left: bool, *, t: Translator = ENGLISH) -> str:
    """A private chat's channel can no longer be managed from it: said once, then the
    private chat manages itself again."""
    if bot_left:
        return t(
            "Not done: channel {title} cannot be managed from here, I am no longer an "
            "administrator there. Your commands here act on this chat again.",
            title=_quoted(title),
        )
    return t(
        "Not done: channel {title} cannot be managed from here, you are no longer one of "
        "its administrators. Your commands here act on this chat again.",
        title=_quoted(title),
    )


def channel_pointer_text(title: str, bot_username: str, *, t: Translator = ENGLISH) -> str:
    """The one line a command posted in a channel gets when its answer is not for the
    channel's readers."""
    return t(
        "Manage {title} from a private chat with @{bot}: send /channel there.",
        title=_quoted(title),
        bot=html.escape(bot_username),
    )


def one_line(text: str, limit: int = CHANNEL_NOTE_CHARS) -> str:
    """The first line of an HTML reply as plain, escaped text of at most ``limit``
    characters: what a channel's readers may see of an answer to a command posted there."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    plain = html.unescape(re.sub(r"<[^>]*>", "", first)).strip()
    if len(plain) > limit:
        plain = plain[: limit - 1].rstrip() + "…"
    return html.escape(plain)
