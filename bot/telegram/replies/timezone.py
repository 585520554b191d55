"""What the bot says about a chat's timezone: /timezone's texts, its choice buttons and the
share-my-location keyboard.

Pure functions of plain data (see :mod:`bot.telegram.replies`).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.config import Config
from bot.locales import ENGLISH, N_, Translator
from bot.store import Chat
from bot.telegram.replies.basics import (
    TIMEZONE_USAGE,
    echo,
)
from bot.telegram.replies.subscription import (
    next_digest_text,
    rhythm_text,
)
from bot.times import is_fixed_offset
from bot.timezones import Choice, city_of, timezone_label

# -- timezones ------------------------------------------------------------------------

# Button data of a timezone choice: "tz:" and the zone's name (at most 35 bytes of 64).
TIMEZONE_BUTTON = "tz:"
FIXED_OFFSET_NOTE = N_(
    "A fixed offset does not follow daylight saving: if your clocks change in summer, "
    "set it again then, or give your city instead (e.g. /timezone Berlin)."
)
SHARE_LOCATION = N_("📍 Share my location")
LOCATION_NOTE = N_("I used your location only to find the timezone; I did not keep it.")
NO_TIMEZONE_THERE = N_("I could not find a timezone for that location. Try /timezone CITY.")
TIMEZONE_STALE = N_("This button is out of date: send /timezone again.")


def timezone_set_text(
    chat: Chat,
    name: str,
    config: Config,
    now: datetime,
    *,
    from_location: bool = False,
    t: Translator = ENGLISH,
) -> str:
    """The confirmation of /timezone NAME, a timezone button or a shared location; a
    fixed offset gets the note that it follows no daylight saving."""
    shown = html.escape(timezone_label(name))
    if from_location:
        text = t("Timezone set to <b>{timezone}</b>, from your location.", timezone=shown)
        text += " " + t(LOCATION_NOTE)
    else:
        text = t("Timezone set to <b>{timezone}</b>.", timezone=shown)
    if chat.subscribed:
        text += " " + t(
            "Your digest comes {rhythm} there; next: {next}.",
            rhythm=html.escape(rhythm_text(chat, config, t=t)),
            next=next_digest_text(chat, config, now, t=t),
        )
    if is_fixed_offset(name):
        text += f"\n{t(FIXED_OFFSET_NOTE)}"
    return text


def timezone_toast(name: str, *, t: Translator = ENGLISH) -> str:
    """The toast of a timezone button (plain text)."""
    return t("Timezone: {timezone}", timezone=timezone_label(name))


def timezone_current_text(current: str | None, default: str, *, t: Translator = ENGLISH) -> str:
    """/timezone alone: the chat's timezone (or the default it uses) and how to change it."""
    if current:
        line = t("Your timezone: <b>{timezone}</b>.", timezone=html.escape(timezone_label(current)))
    else:
        line = t(
            "Your digests use <b>{timezone}</b>, this bot's default, until you set your timezone.",
            timezone=html.escape(timezone_label(default)),
        )
    return f"{line}\n{html.escape(t(TIMEZONE_USAGE))}"


def timezone_keyboard(choices: Sequence[Choice]) -> InlineKeyboardMarkup:
    """One button per timezone choice (data ``tz:NAME``), one per row."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(c.label, callback_data=TIMEZONE_BUTTON + c.zone)] for c in choices]
    )


def timezone_choices_text(asked: str, *, t: Translator = ENGLISH) -> str:
    """/timezone with a name that means several places: which one?"""
    return t("“{asked}” is in more than one timezone. Which one do you mean?", asked=echo(asked))


def timezone_unknown_text(
    asked: str, suggestions: Sequence[Choice], *, t: Translator = ENGLISH
) -> str:
    """/timezone with words that name no timezone (with close matches as buttons)."""
    text = t("“{asked}” is not a timezone or a city I know.", asked=echo(asked))
    if suggestions:
        text += " " + t("Did you mean one of these?")
    return f"{text}\n{html.escape(t(TIMEZONE_USAGE))}"


def likely_choices(zones: Sequence[str]) -> list[Choice]:
    """Timezone buttons for likely zones: "Berlin · Europe/Berlin"."""
    return [Choice(name, f"{city_of(name)} · {name}") for name in zones]


def location_keyboard(*, t: Translator = ENGLISH) -> ReplyKeyboardMarkup:
    """A one-time keyboard with a button that shares the user's location (private chats
    only: Telegram offers it nowhere else)."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(t(SHARE_LOCATION), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def remove_keyboard() -> ReplyKeyboardRemove:
    """Takes the location keyboard away once a timezone is set."""
    return ReplyKeyboardRemove()


def start_timezone_text(
    current: str | None, default: str, offered: bool, *, t: Translator = ENGLISH
) -> str:
    """The line of /start about timezones: the chat's, or the default it uses until it
    sets one (and, when ``offered``, that the buttons below set one)."""
    if current:
        return t(
            "Your timezone: <b>{timezone}</b> (/timezone changes it).",
            timezone=html.escape(timezone_label(current)),
        )
    shown = html.escape(timezone_label(default))
    if offered:
        return t(
            "Your digests use <b>{timezone}</b>, this bot's default timezone, until you set "
            "yours: tap yours below, or send /timezone and your city (e.g. /timezone Berlin).",
            timezone=shown,
        )
    return t(
        "Your digests use <b>{timezone}</b>, this bot's default timezone, until you set "
        "yours: send /timezone and your city (e.g. /timezone Berlin).",
        timezone=shown,
    )
