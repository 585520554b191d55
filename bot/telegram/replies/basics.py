"""The shared basics of every reply: the command menu, the limits on what users send, their
text echoed back escaped, usages and texts several commands say, names cut for buttons
and toasts.

Pure functions of plain data (see :mod:`bot.telegram.replies`).
"""

from __future__ import annotations

import html

from bot.articles.text import clean_text
from bot.locales import ENGLISH, N_, Translator
from bot.rhythm import MAX_TIMES

# The command menu (setMyCommands) and /help, in one place.
# The descriptions are English texts, said in a chat's language by :func:`command_list`.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("What this bot does")),
    ("subscribe", N_("Digests on your rhythm, e.g. /subscribe weekdays 07:30 18:00")),
    ("stop", N_("Stop the digests")),
    ("unsubscribe", N_("Stop the digests (same as /stop)")),
    ("timezone", N_("Your timezone, e.g. /timezone Berlin or /timezone UTC+2")),
    ("status", N_("Subscription, time, articles waiting")),
    ("settings", N_("Stories per digest, headlines or summaries, sound, previews")),
    ("digest", N_("The digest now")),
    ("filter", N_("Mute or keep articles by keyword")),
    ("article", N_("Browse, read or search articles")),
    ("summarize", N_("Summary of a link or text, e.g. /summarize https://…")),
    ("sources", N_("Choose the news sources of your digest")),
    ("add", N_("Follow a feed: /add URL of a feed or a site")),
    ("remove", N_("Stop following a feed of yours")),
    ("export", N_("Your feeds as an OPML file")),
    ("language", N_("The language I speak to you in")),
    ("channel", N_("Manage a channel's digest from this private chat")),
    ("help", N_("All commands")),
)


def command_list(t: Translator = ENGLISH) -> list[tuple[str, str]]:
    """:data:`COMMANDS` with their descriptions in ``t``'s language (setMyCommands)."""
    return [(name, t(description)) for name, description in COMMANDS]


PAGE_SIZE = 10
# Arguments longer than this are refused before any parsing: no command needs more,
# except /filter, which takes many terms at once (50 of 50 characters need ~2,600).
MAX_ARGUMENT_CHARS = 200
MAX_FILTER_ARGUMENT_CHARS = 3000
# The last line of /digest: whether it took anything from the scheduled digests.
PREVIEW_NOTE = N_(
    "<i>A preview: your next scheduled digest still brings these. /article lists them all.</i>"
)
ON_DEMAND_NOTE = N_("<i>The next /digest starts after these. /article lists them all.</i>")


def digest_in_private_text(bot_username: str | None, *, t: Translator = ENGLISH) -> str:
    """What a group member gets for /digest (it is for the group's administrators):
    one line pointing to a private chat with the bot."""
    private = t("a private chat with me")
    where = f"t.me/{html.escape(bot_username)}" if bot_username else private
    return t("In this group /digest is for administrators. Your own digest: {where}", where=where)


# User input echoed back in a reply is cut to this many characters (then escaped).
ECHO_CHARS = 40

SUBSCRIBE_USAGE = N_(
    "Usage: /subscribe [daily|weekdays|weekends|mon,wed,fri] HH:MM [HH:MM …], up to "
    "four times a day, 24-hour, e.g. /subscribe 08:30, /subscribe weekdays 07:30 18:00 "
    "or /subscribe mon,wed,fri 12:00"
)
assert MAX_TIMES == 4, "SUBSCRIBE_USAGE says four times a day"
ADMINS_ONLY = N_("Only this group's administrators can change its digest.")
TIMEZONE_USAGE = N_(
    "Usage: /timezone CITY, an IANA name or an offset from UTC, e.g. /timezone Berlin, "
    "/timezone new york, /timezone America/Sao_Paulo or /timezone UTC+5:30. In a private "
    "chat you can also share your location (📎 → Location)."
)
SUMMARIZE_USAGE = N_(
    "Usage: /summarize LINK — the summary of a web page, e.g. "
    "/summarize https://example.com/news/story; /summarize TEXT — of a text of at least "
    "50 words; or reply /summarize to a message with a link or a long text"
)
FILTER_USAGE = N_(
    "/filter -word — mute articles that mention it (e.g. /filter -football)\n"
    '/filter -"a phrase" — mute a phrase (e.g. /filter -"transfer window")\n'
    "/filter +word — keep only articles that mention a + word (e.g. /filter +election)\n"
    "/filter remove word — forget one (e.g. /filter remove football); "
    "/filter clear — forget them all\n"
    "Case, accents and word endings do not matter: +election also finds “Elections”."
)
ARTICLE_USAGE = N_(
    "Usage: /article — the list; /article N — one article, e.g. /article 3; "
    "/article WORDS — search the titles, e.g. /article climate"
)


def echo(text: str) -> str:
    """User input to quote back: cleaned like all outside text (bidirectional controls
    removed: echoed unclosed, one would display the rest of our line reversed), cut
    short, escaped."""
    text = " ".join(clean_text(text).split())
    if len(text) > ECHO_CHARS:
        text = text[: ECHO_CHARS - 1] + "…"
    return html.escape(text)


def too_long_text(
    length: int, usage: str, limit: int = MAX_ARGUMENT_CHARS, *, t: Translator = ENGLISH
) -> str:
    """The refusal of an argument over ``limit`` (:data:`MAX_ARGUMENT_CHARS`) characters;
    ``usage``: an English usage constant."""
    said = t(
        "That argument is too long ({length} characters; at most {limit}).",
        length=t.number(length),
        limit=t.number(limit),
    )
    return f"{said}\n{t(usage)}"


# Names quoted in a toast (a callback answer: plain text, at most 200 characters).
TOAST_NAME_CHARS = 80


def toast_name(name: str, *, t: Translator = ENGLISH) -> str:
    """An article's title or a source's name for a toast: one line, cut short, not
    escaped (toasts are plain text)."""
    text = " ".join(clean_text(name).split()) or t("untitled")
    return text if len(text) <= TOAST_NAME_CHARS else text[: TOAST_NAME_CHARS - 1] + "…"


def unknown_command_text(command: str, *, t: Translator = ENGLISH) -> str:
    """A command the bot does not have."""
    return t("I do not know {command}. /help lists the commands.", command=echo(command))


# Button labels are cut to this many characters (Telegram shows little more).
SOURCE_LABEL_CHARS = 48


def short_label(label: str) -> str:
    """A feed's or a channel's name cut to fit on a button."""
    return label if len(label) <= SOURCE_LABEL_CHARS else label[: SOURCE_LABEL_CHARS - 1] + "…"
