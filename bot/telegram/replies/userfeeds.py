"""What the bot says about a chat's own feeds: /add, /remove, /export and OPML imports.

Pure functions of plain data (see :mod:`bot.telegram.replies`).
"""

from __future__ import annotations

import html
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

# -- a chat's own feeds ---------------------------------------------------------------

ADD_USAGE = N_(
    "Usage: /add URL — a feed's address, or any page that links to its feed "
    "(e.g. /add https://www.example.org)"
)
USER_FEEDS_OFF = N_(
    "Following feeds of your own is turned off on this bot; /sources lists its shared ones."
)
NO_OWN_FEEDS = N_("This chat follows no feeds of its own: /add URL follows one.")
NOT_FOLLOWED = N_("This chat does not follow that feed (any more): /remove lists the ones it does.")
REMOVE_HEADER = N_("<b>This chat's own feeds</b> · tap one to stop following it")
SHARED_NOT_REMOVABLE = N_("Shared sources are not removed but turned off: /sources.")


def followed_text(
    label: str, newest: str | None, minutes: float, *, t: Translator = ENGLISH
) -> str:
    """``/add`` worked: one line naming the feed and its newest article."""
    if newest:
        latest = t("newest: “{title}”", title=html.escape(short_label(newest)))
    else:
        latest = t("no articles yet")
    return t(
        "Following {label} ({latest}); new articles join this chat's digest, read every "
        "{minutes} minutes.",
        label=html.escape(label),
        latest=latest,
        minutes=t.number(minutes),
    )


def already_followed_text(label: str, *, t: Translator = ENGLISH) -> str:
    return t(
        "This chat already follows {label}; /sources lists its feeds.", label=html.escape(label)
    )


def shared_feed_text(label: str, *, t: Translator = ENGLISH) -> str:
    return t(
        "{label} is one of this bot's shared sources: it is in this chat's digest already "
        "(/sources turns it on or off).",
        label=html.escape(label),
    )


def follow_refused_text(url: str, reason: str, *, t: Translator = ENGLISH) -> str:
    """``/add`` could not follow the URL: one sentence with the reason."""
    reason = reason.rstrip(".")
    return t(
        "Cannot follow {url}. {reason}.",
        url=echo(url),
        reason=html.escape(reason[:1].upper() + reason[1:]),
    )


def chat_full_text(limit: int, *, t: Translator = ENGLISH) -> str:
    return t(
        "This chat follows {count} feeds, the most one chat may: /remove one to follow another.",
        count=t.number(limit),
    )


def all_full_text(limit: int, *, t: Translator = ENGLISH) -> str:
    return t(
        "This bot reads {count} feeds in all, the most its operator allows: a feed nobody "
        "follows yet cannot be added now.",
        count=t.number(limit),
    )


def unfollowed_text(label: str, *, t: Translator = ENGLISH) -> str:
    return t(
        "No longer following {label}. Its articles already sent stay.", label=html.escape(label)
    )


def remove_message(
    own: Sequence[tuple[int, str]], *, t: Translator = ENGLISH
) -> tuple[str, InlineKeyboardMarkup]:
    """``/remove``: the chat's own feeds, a button each (``unf:ID``)."""
    lines = [t(REMOVE_HEADER)]
    buttons = []
    for feed_id, label in own:
        short = short_label(label)
        lines.append(f"{feed_id}. {html.escape(short)}")
        buttons.append(
            [InlineKeyboardButton(f"✖ {feed_id}. {short}", callback_data=f"unf:{feed_id}")]
        )
    lines += ["", t(SHARED_NOT_REMOVABLE)]
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def export_caption(count: int, *, t: Translator = ENGLISH) -> str:
    return t.plural(
        "This chat's {count} feed as OPML: import the file into another reader, or send "
        "it to a chat with this bot to follow them there.",
        "This chat's {count} feeds as OPML: import the file into another reader, or send "
        "it to a chat with this bot to follow them there.",
        count,
    )


def import_refused_text(name: str, reason: str, *, t: Translator = ENGLISH) -> str:
    return t("Cannot import {name}: {reason}.", name=echo(name), reason=html.escape(reason))
