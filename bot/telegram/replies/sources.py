"""What /sources says, and the admins' /addfeed and /removefeed: the shared sources a chat
turns on or off.

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
    toast_name,
)


def source_toggled_text(name: str, on: bool, *, t: Translator = ENGLISH) -> str:
    """The toast of a source's button in /sources, naming the source."""
    name = t(name) if name == SEEDS_NAME else name  # the seeds folder's default name
    if on:
        return t(
            "“{name}” is on: its new articles come in this chat's digests.",
            name=toast_name(name, t=t),
        )
    return t(
        "“{name}” is off: its articles stay out of this chat's digests.",
        name=toast_name(name, t=t),
    )


# -- sources ------------------------------------------------------------------

SOURCES_HEADER = N_("<b>Sources</b> · tap one to turn it on or off for this chat's digests")
# A feed's name as an admin gives it (/addfeed URL NAME), at most this long.
FEED_NAME_CHARS = 100
ADDFEED_USAGE = N_(
    "Usage: /addfeed URL [NAME], e.g. /addfeed https://www.example.org/rss.xml or "
    "/addfeed https://www.example.org/rss.xml Example News (a name of at most "
    "100 characters; without one, the feed's own title)"
)
assert FEED_NAME_CHARS == 100, "ADDFEED_USAGE says 100 characters"
REMOVEFEED_USAGE = N_("Usage: /removefeed N, the feed's number in /sources")
STALE_SOURCE_BUTTON = N_("This button is out of date: send /sources again.")


# What /sources calls the seeds folder unless the operator names it ([seeds] name).
SEEDS_NAME = N_("This bot's articles")
OWN_FEEDS_HEADER = N_("<b>This chat's own feeds</b> · ✖ stops following one")


def sources_message(
    feeds: Sequence[tuple[int, str]],
    off: set[int],
    seeds_id: int = 0,
    own: Sequence[tuple[int, str]] = (),
    *,
    seeds_name: str = SEEDS_NAME,
    t: Translator = ENGLISH,
) -> tuple[str, InlineKeyboardMarkup]:
    """``/sources``: every shared source (the seeds folder under the name the operator
    gave it, ``[seeds] name``, said in the chat's language when it is the default one;
    then each feed as (id, label)) as a toggle button, ✅ when the chat's digests include
    it; data ``src:ID``. Then the feeds the chat follows of its own (``own``), each a
    toggle and a ✖ (``unf:ID:s``)."""
    rows = [(seeds_id, t(seeds_name) if seeds_name == SEEDS_NAME else seeds_name), *feeds]
    lines = [t(SOURCES_HEADER)]
    buttons = []
    for source_id, label in rows:
        short = short_label(label)
        mark = "⬜" if source_id in off else "✅"
        number = "" if source_id == seeds_id else f"{source_id}. "
        lines.append(f"{mark} {number}{html.escape(short)}")
        buttons.append(
            [InlineKeyboardButton(f"{mark} {number}{short}", callback_data=f"src:{source_id}")]
        )
    if own:
        lines += ["", t(OWN_FEEDS_HEADER)]
    for feed_id, label in own:
        short = short_label(label)
        mark = "⬜" if feed_id in off else "✅"
        lines.append(f"{mark} {feed_id}. {html.escape(short)}")
        buttons.append(
            [
                InlineKeyboardButton(f"{mark} {feed_id}. {short}", callback_data=f"src:{feed_id}"),
                InlineKeyboardButton("✖", callback_data=f"unf:{feed_id}:s"),
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def feed_added_text(
    feed_id: int, label: str, entries: int, minutes: float, new: bool, *, t: Translator = ENGLISH
) -> str:
    """The answer to a successful ``/addfeed``."""
    if not new:
        return t("{label} is already feed {id}.", label=html.escape(label), id=feed_id)
    return t.plural(
        "Added feed {id}: {label} ({count} entry now). It is read every {minutes} minutes; "
        "new articles join the digests.",
        "Added feed {id}: {label} ({count} entries now). It is read every {minutes} minutes; "
        "new articles join the digests.",
        entries,
        id=feed_id,
        label=html.escape(label),
        minutes=t.number(minutes),
    )


def feed_renamed_text(feed_id: int, label: str, *, t: Translator = ENGLISH) -> str:
    """``/addfeed URL NAME`` for a feed already added: it has the new name."""
    return t("Feed {id} is now called {label}.", id=feed_id, label=html.escape(label))


def config_feed_name_text(feed_id: int, label: str, *, t: Translator = ENGLISH) -> str:
    """``/addfeed URL NAME`` for a feed of the config file: named there."""
    return t(
        "{label} is feed {id}, from the config file: its name is set there, with [[feeds]] name.",
        label=html.escape(label),
        id=feed_id,
    )


def feed_refused_text(url: str, reason: str, *, t: Translator = ENGLISH) -> str:
    """``/addfeed`` could not use the URL: one sentence with the reason."""
    return t("Cannot add {url}: {reason}", url=echo(url), reason=html.escape(reason))


def feed_removed_text(feed_id: int, label: str | None, *, t: Translator = ENGLISH) -> str:
    if label is None:
        return t(
            "There is no feed {id} an admin added. Feeds from the config file stay; "
            "/sources lists the numbers.",
            id=feed_id,
        )
    return t(
        "Removed feed {id}: {label}. Its articles stay until they expire.",
        id=feed_id,
        label=html.escape(label),
    )
