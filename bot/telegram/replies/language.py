"""What /language says: a button per language and the texts of a switch.

Pure functions of plain data (see :mod:`bot.telegram.replies`).
"""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from bot.locales import LANGUAGES, N_, Translator

# -- /language ------------------------------------------------------------------------

# Button data of a language choice: "lang:" and its code.
LANGUAGE_BUTTON = "lang:"


def language_message(t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """``/language``: the chat's language and a button per language (✅ on the chat's),
    data ``lang:CODE``, two a row."""
    buttons = [
        InlineKeyboardButton(
            f"✅ {name}" if code == t.language else name, callback_data=LANGUAGE_BUTTON + code
        )
        for code, name in LANGUAGES.items()
    ]
    text = t("I speak to this chat in <b>{language}</b>. Choose another:", language=t.name)
    return text, InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


LANGUAGE_SET = N_("From now on I speak English here.")
LANGUAGE_STALE = N_("This button is out of date: send /language again.")
