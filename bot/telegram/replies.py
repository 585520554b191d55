"""What the bot says: reply texts and inline keyboards, as pure functions of plain data.

No Telegram calls and no store here: the handlers (:mod:`bot.telegram.handlers`) read what
they need, call these and send the result, so every wording is testable without the fake
Bot API. Replies are Telegram HTML; every piece of user or article text inserted is
escaped here (:func:`echo`, ``html.escape``).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from datetime import datetime

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot import digest as digests
from bot.articles.text import clean_text
from bot.config import Config
from bot.filters import KEEP, MAX_TERM_CHARS, MAX_TERMS, MUTE, Term
from bot.rhythm import MAX_TIMES, RhythmError, describe
from bot.schedule import Subscription, chat_timezone, next_run, zone
from bot.settings import DigestSettings
from bot.settings import describe as describe_settings
from bot.store import ArticleRecord, Chat
from bot.times import format_moment, is_fixed_offset, looks_like_time
from bot.timezones import Choice, city_of, timezone_label

__all__ = [
    "ADMINS_ONLY",
    "ARTICLE_USAGE",
    "COMMANDS",
    "ECHO_CHARS",
    "FILTER_USAGE",
    "MAX_ARGUMENT_CHARS",
    "MAX_FILTER_ARGUMENT_CHARS",
    "PAGE_SIZE",
    "SUBSCRIBE_USAGE",
    "SUMMARIZE_USAGE",
    "TIMEZONE_USAGE",
    "article_messages",
    "bad_rhythm_text",
    "echo",
    "filter_error_text",
    "filter_limit_text",
    "filters_text",
    "help_text",
    "list_keyboard",
    "list_page",
    "next_digest_text",
    "removed_filters_text",
    "start_text",
    "status_text",
]

# The command menu (setMyCommands) and /help, in one place.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "What this bot does"),
    ("subscribe", "Digests on your rhythm, e.g. /subscribe weekdays 07:30 18:00"),
    ("stop", "Stop the digests"),
    ("unsubscribe", "Stop the digests (same as /stop)"),
    ("timezone", "Your timezone, e.g. /timezone Berlin or /timezone UTC+2"),
    ("status", "Subscription, time, articles waiting"),
    ("digest", "The digest now"),
    ("settings", "Stories per digest, headlines or summaries, sound, previews"),
    ("filter", "Mute or keep articles by keyword"),
    ("article", "Browse, read or search articles"),
    ("summarize", "Summary of a link or text, e.g. /summarize https://…"),
    ("sources", "Choose the news sources of your digest"),
    ("add", "Follow a feed: /add URL of a feed or a site"),
    ("remove", "Stop following a feed of yours"),
    ("export", "Your feeds as an OPML file"),
    ("channel", "Manage a channel's digest from this private chat"),
    ("help", "All commands"),
)

PAGE_SIZE = 10
# Arguments longer than this are refused before any parsing: no command needs more,
# except /filter, which takes many terms at once (50 of 50 characters need ~2,600).
MAX_ARGUMENT_CHARS = 200
MAX_FILTER_ARGUMENT_CHARS = 3000
# User input echoed back in a reply is cut to this many characters (then escaped).
ECHO_CHARS = 40

SUBSCRIBE_USAGE = (
    f"Usage: /subscribe [daily|weekdays|weekends|mon,wed,fri] HH:MM [HH:MM …], up to "
    f"{MAX_TIMES} times a day, 24-hour, e.g. /subscribe 08:30, /subscribe weekdays 07:30 18:00 "
    "or /subscribe mon,wed,fri 12:00"
)
ADMINS_ONLY = "Only this group's administrators can change its digest."
# The last line of /digest: whether it took anything from the scheduled digests.
PREVIEW_NOTE = (
    "<i>A preview: your next scheduled digest still brings these. /article lists them all.</i>"
)
ON_DEMAND_NOTE = "<i>The next /digest starts after these. /article lists them all.</i>"


def digest_in_private_text(bot_username: str | None) -> str:
    """What a group member gets for /digest (it is for the group's administrators):
    one line pointing to a private chat with the bot."""
    where = f"t.me/{html.escape(bot_username)}" if bot_username else "a private chat with me"
    return f"In this group /digest is for administrators. Your own digest: {where}"


TIMEZONE_USAGE = (
    "Usage: /timezone CITY, an IANA name or an offset from UTC, e.g. /timezone Berlin, "
    "/timezone new york, /timezone America/Sao_Paulo or /timezone UTC+5:30. In a private "
    "chat you can also share your location (📎 → Location)."
)
SUMMARIZE_USAGE = (
    "Usage: /summarize LINK — the summary of a web page, e.g. "
    "/summarize https://example.com/news/story; /summarize TEXT — of a text of at least "
    "50 words; or reply /summarize to a message with a link or a long text"
)
FILTER_USAGE = (
    "/filter -word — mute articles that mention it (e.g. /filter -football)\n"
    '/filter -"a phrase" — mute a phrase (e.g. /filter -"transfer window")\n'
    "/filter +word — keep only articles that mention a + word (e.g. /filter +election)\n"
    "/filter remove word — forget one (e.g. /filter remove football); "
    "/filter clear — forget them all\n"
    "Case, accents and word endings do not matter: +election also finds “Elections”."
)
ARTICLE_USAGE = (
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


def too_long_text(length: int, usage: str, limit: int = MAX_ARGUMENT_CHARS) -> str:
    """The refusal of an argument over ``limit`` (:data:`MAX_ARGUMENT_CHARS`) characters."""
    return f"That argument is too long ({length} characters; at most {limit}).\n{usage}"


# -- /start, /help --------------------------------------------------------------------


def start_text(config: Config, welcome_back: bool, timezone_line: str = "") -> str:
    """/start: what the bot does; ``welcome_back`` when it turned a paused digest on;
    ``timezone_line`` (:func:`start_timezone_text`) says which timezone digests use."""
    back = "\n\nWelcome back: your daily digest is on again." if welcome_back else ""
    if timezone_line:
        back += f"\n\n{timezone_line}"
    return (
        "<b>Hello! I am digestbot.</b>\n"
        "I turn news articles into short summaries and send you a daily digest of the "
        "new ones.\n\n"
        f"/subscribe — a digest every day at {html.escape(config.digest.time)} "
        "(or /subscribe 07:30)\n"
        "/article — browse and read the articles\n"
        "/digest — what is new, right now\n"
        f"/help — all commands{back}"
    )


def help_text(config: Config) -> str:
    """/help: every command, with examples where one helps."""
    lines = ["<b>Commands</b>"]
    examples = {
        "subscribe": (
            "/subscribe [DAYS] HH:MM … — digests at up to four times a day, daily or on "
            "chosen days (e.g. /subscribe 07:30, /subscribe weekdays 07:30 18:00, "
            "/subscribe mon,wed,fri 12:00, /subscribe weekends 09:00)"
        ),
        "stop": "/stop — stop the digests (/unsubscribe does the same)",
        "timezone": (
            "/timezone CITY — your timezone: a city (e.g. /timezone Berlin, /timezone new "
            "york), an IANA name (/timezone America/Sao_Paulo) or an offset (/timezone "
            "UTC+5:30); or share your location in a private chat"
        ),
        "summarize": (
            "/summarize LINK — a web page's summary (e.g. /summarize "
            "https://example.com/news/story); also /summarize TEXT, or /summarize as a "
            "reply to a message. In a private chat, just send the link or paste the text"
        ),
        "filter": (
            "/filter -WORD, /filter +WORD — mute articles that mention a word, or keep only "
            'those that do (e.g. /filter -football, /filter -"transfer window", '
            "/filter +election); /filter lists them"
        ),
        "add": (
            "/add URL — follow a feed of your own: its address, or any page that links to "
            "its feed (e.g. /add https://www.example.org); /remove stops, /export gives "
            "them as an OPML file, and an OPML file sent here imports them"
        ),
        "article": (
            "/article — the articles, newest first\n"
            "/article N — one article's summary (e.g. /article 3)\n"
            "/article WORDS — search the titles (e.g. /article climate)"
        ),
    }
    for name, description in COMMANDS:
        lines.append(examples.get(name, f"/{name} — {description[0].lower()}{description[1:]}"))
    lines.append(
        f"\nWithout a time, /subscribe uses {html.escape(config.digest.time)}; "
        f"the default timezone is {html.escape(config.digest.timezone)}."
    )
    return "\n".join(lines)


# -- subscriptions --------------------------------------------------------------------


def next_digest_text(chat: Subscription, config: Config, now: datetime) -> str:
    """When the chat's next digest comes, in its timezone ("Mon 1 Dec 2026, 08:30 CET")."""
    tz = zone(chat_timezone(chat, config.digest.timezone))
    times = chat.digest_times or (config.digest.time,)
    due = next_run(times, chat.days, tz, now).astimezone(tz)
    return format_moment(due)


def rhythm_text(chat: Subscription, config: Config) -> str:
    """When the chat's digests come, in words: "weekdays at 07:30 and 18:00"."""
    return describe(chat.days, chat.digest_times or (config.digest.time,))


# Said in a forum topic with a digest of its own (Chat.topic != 0).
TOPIC_NOTE = "This digest goes to this forum topic; the group and its other topics have their own."


def subscribed_text(chat: Chat, config: Config, now: datetime) -> str:
    """The confirmation of /subscribe: "Subscribed: your digest comes weekdays at 07:30
    and 18:00 (Europe/Berlin); next: Mon 01 Dec, 07:30 CET."."""
    timezone = chat_timezone(chat, config.digest.timezone)
    topic = f"\n{TOPIC_NOTE}" if chat.topic else ""
    return (
        f"Subscribed: your digest comes <b>{html.escape(rhythm_text(chat, config))}</b> "
        f"({html.escape(timezone_label(timezone))}); next: "
        f"{next_digest_text(chat, config, now)}.{topic}"
        "\nChange the timezone with /timezone CITY, stop with /stop."
    )


def bad_rhythm_text(error: RhythmError) -> str:
    """/subscribe with arguments that say no rhythm (see ``bot.rhythm.parse_rhythm``)."""
    if error.kind == "time":
        return bad_time_text(error.argument)
    if error.kind == "order":
        return (
            f"Days come first, then the times, e.g. /subscribe weekdays 07:30.\n{SUBSCRIBE_USAGE}"
        )
    return f"At most {MAX_TIMES} times a day, please.\n{SUBSCRIBE_USAGE}"


def bad_time_text(argument: str) -> str:
    """/subscribe with something that is not a time of day: malformed ("7:5",
    "07:30:00", "eight") or out of range ("25:99")."""
    if looks_like_time(argument):
        why = "hours go 00–23 and minutes 00–59"
    else:
        why = "use HH:MM, e.g. 08:30"
    return f"“{echo(argument)}” is not a time of day: {why}.\n{SUBSCRIBE_USAGE}"


UNSUBSCRIBED = "Unsubscribed: no more digests. /subscribe brings them back."
NOT_SUBSCRIBED = "You are not subscribed. /subscribe starts your digests."


# -- timezones ------------------------------------------------------------------------

# Button data of a timezone choice: "tz:" and the zone's name (at most 35 bytes of 64).
TIMEZONE_BUTTON = "tz:"
FIXED_OFFSET_NOTE = (
    "A fixed offset does not follow daylight saving: if your clocks change in summer, "
    "set it again then, or give your city instead (e.g. /timezone Berlin)."
)
SHARE_LOCATION = "📍 Share my location"
LOCATION_NOTE = "I used your location only to find the timezone; I did not keep it."
NO_TIMEZONE_THERE = "I could not find a timezone for that location. Try /timezone CITY."
TIMEZONE_STALE = "This button is out of date: send /timezone again."


def timezone_set_text(
    chat: Chat, name: str, config: Config, now: datetime, *, from_location: bool = False
) -> str:
    """The confirmation of /timezone NAME, a timezone button or a shared location; a
    fixed offset gets the note that it follows no daylight saving."""
    shown = html.escape(timezone_label(name))
    text = f"Timezone set to <b>{shown}</b>."
    if from_location:
        text = f"Timezone set to <b>{shown}</b>, from your location. {LOCATION_NOTE}"
    if chat.subscribed:
        text += (
            f" Your digest comes {html.escape(rhythm_text(chat, config))} there; next: "
            f"{next_digest_text(chat, config, now)}."
        )
    if is_fixed_offset(name):
        text += f"\n{FIXED_OFFSET_NOTE}"
    return text


def timezone_toast(name: str) -> str:
    """The toast of a timezone button (plain text)."""
    return f"Timezone: {timezone_label(name)}"


def timezone_current_text(current: str | None, default: str) -> str:
    """/timezone alone: the chat's timezone (or the default it uses) and how to change it."""
    if current:
        line = f"Your timezone: <b>{html.escape(timezone_label(current))}</b>."
    else:
        line = (
            f"Your digests use <b>{html.escape(timezone_label(default))}</b>, this bot's "
            "default, until you set your timezone."
        )
    return f"{line}\n{html.escape(TIMEZONE_USAGE)}"


def timezone_keyboard(choices: Sequence[Choice]) -> InlineKeyboardMarkup:
    """One button per timezone choice (data ``tz:NAME``), one per row."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(c.label, callback_data=TIMEZONE_BUTTON + c.zone)] for c in choices]
    )


def timezone_choices_text(asked: str) -> str:
    """/timezone with a name that means several places: which one?"""
    return f"“{echo(asked)}” is in more than one timezone. Which one do you mean?"


def timezone_unknown_text(asked: str, suggestions: Sequence[Choice]) -> str:
    """/timezone with words that name no timezone (with close matches as buttons)."""
    text = f"“{echo(asked)}” is not a timezone or a city I know."
    if suggestions:
        text += " Did you mean one of these?"
    return f"{text}\n{html.escape(TIMEZONE_USAGE)}"


def likely_choices(zones: Sequence[str]) -> list[Choice]:
    """Timezone buttons for likely zones: "Berlin · Europe/Berlin"."""
    return [Choice(name, f"{city_of(name)} · {name}") for name in zones]


def location_keyboard() -> ReplyKeyboardMarkup:
    """A one-time keyboard with a button that shares the user's location (private chats
    only: Telegram offers it nowhere else)."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(SHARE_LOCATION, request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def remove_keyboard() -> ReplyKeyboardRemove:
    """Takes the location keyboard away once a timezone is set."""
    return ReplyKeyboardRemove()


def start_timezone_text(current: str | None, default: str, offered: bool) -> str:
    """The line of /start about timezones: the chat's, or the default it uses until it
    sets one (and, when ``offered``, that the buttons below set one)."""
    if current:
        return (
            f"Your timezone: <b>{html.escape(timezone_label(current))}</b> (/timezone changes it)."
        )
    tap = "tap yours below, or " if offered else ""
    return (
        f"Your digests use <b>{html.escape(timezone_label(default))}</b>, this bot's default "
        f"timezone, until you set yours: {tap}send /timezone and your city "
        "(e.g. /timezone Berlin)."
    )


# /status counts the articles waiting up to this many (more: "more than 1,000").
WAITING_COUNTED = 1000


def status_text(
    chat: Chat | None,
    waiting: int,
    config: Config,
    now: datetime,
    *,
    filters: int = 0,
    held_back: int = 0,
) -> str:
    """/status: subscription, next digest, articles waiting, the digest's settings, the
    chat's filters (how many terms, how many articles they held back), paused
    deliveries."""
    timezone_name = timezone_label((chat.timezone if chat else None) or config.digest.timezone)
    lines = []
    if chat is not None and chat.digest_time is not None:
        lines.append(
            f"Subscribed: yes, <b>{html.escape(rhythm_text(chat, config))}</b> "
            f"({html.escape(timezone_name)})"
        )
        if chat.active:
            lines.append(f"Next digest: {next_digest_text(chat, config, now)}")
        if chat.topic:
            lines.append(TOPIC_NOTE)
    else:
        lines.append("Subscribed: no (/subscribe starts a daily digest)")
        lines.append(f"Timezone: {html.escape(timezone_name)}")
    noun = "article" if waiting == 1 else "articles"
    count = f"more than {WAITING_COUNTED:,}" if waiting > WAITING_COUNTED else str(waiting)
    lines.append(f"Articles waiting: {count} new {noun} (/digest shows them)")
    settings = chat.settings if chat is not None else DigestSettings()
    shown = describe_settings(settings, config.digest.max_articles)
    lines.append(f"Digest: {html.escape(shown)} (/settings)")
    if filters or held_back:
        held = "article" if held_back == 1 else "articles"
        terms = f"{filters} term{'' if filters == 1 else 's'}" if filters else "none now"
        lines.append(f"Filters: {terms} (/filter); they held back {held_back} {held}")
    if chat is not None and not chat.active:
        reason = chat.deactivated_reason or "Telegram refused a message"
        lines.append(
            f"Deliveries are paused: {html.escape(reason)}. /start or /subscribe turns "
            "them back on."
        )
    return "\n".join(lines)


# -- /filter --------------------------------------------------------------------------


def _shown_term(term: Term) -> str:
    return html.escape(" ".join(clean_text(term.quoted()).split()))


def filters_text(terms: Sequence[Term], note: str = "") -> str:
    """The chat's filters (muted terms, then kept ones) and how to use /filter, after
    an optional ``note`` (HTML) saying what just changed."""
    lines = [note] if note else []
    mutes = [t for t in terms if t.mode == MUTE]
    keeps = [t for t in terms if t.mode == KEEP]
    if not terms:
        lines.append("<b>No filters</b>: your digests hold every new article.")
    else:
        lines.append(f"<b>Your filters</b> ({len(terms)} of {MAX_TERMS})")
        if mutes:
            lines.append("Muted: " + ", ".join(_shown_term(t) for t in mutes))
        if keeps:
            lines.append("Only articles with: " + ", ".join(_shown_term(t) for t in keeps))
    return "\n".join(lines) + "\n\n" + html.escape(FILTER_USAGE)


def removed_filters_text(asked: Sequence[Term], removed: Sequence[str]) -> str:
    """What ``/filter remove …`` did: the terms ``removed`` (as they were written), and
    the ``asked`` ones the chat did not have."""
    gone = {Term("", text).key for text in removed}
    missing = [term for term in asked if term.key not in gone]
    parts = []
    if removed:
        parts.append("Removed: " + ", ".join(echo(text) for text in removed) + ".")
    if missing:
        names = ", ".join(f"“{echo(term.shown())}”" for term in missing)
        parts.append(f"You had no filter {names}.")
    return " ".join(parts)


def filter_error_text(reason: str) -> str:
    """A /filter argument that cannot be read: why (``reason``, plain text), and how."""
    reason = " ".join(clean_text(reason).split())
    return f"{html.escape(reason)}\n\n{html.escape(FILTER_USAGE)}"


def filter_limit_text(would_have: int) -> str:
    """/filter would give the chat ``would_have`` terms, more than MAX_TERMS."""
    return (
        f"Too many filters: a chat has at most {MAX_TERMS} terms (of at most "
        f"{MAX_TERM_CHARS} characters each), and this would make {would_have}. Nothing was "
        "changed: remove some first with /filter remove WORD, or start over with /filter clear."
    )


# -- /article -------------------------------------------------------------------------


def list_page(
    entries: Sequence[ArticleRecord], page: int, total: int
) -> tuple[str, InlineKeyboardMarkup]:
    """The text and keyboard of one page of the article list (pages count from 1)."""
    pages = max(1, -(-total // PAGE_SIZE))
    first = (page - 1) * PAGE_SIZE + 1
    header = f"Articles {first}–{first + len(entries) - 1} of {total}, newest first"
    if pages > 1:
        header += f" (page {page} of {pages})"
    text = digests.article_list_html(entries, header)
    text += "\n\nTap a number, or send /article N."
    return text, list_keyboard(entries, page, pages)


def list_keyboard(entries: Sequence[ArticleRecord], page: int, pages: int) -> InlineKeyboardMarkup:
    """A button per article number, and ◀ Prev / Next ▶ when there are more pages."""
    numbers = [
        InlineKeyboardButton(str(entry.number), callback_data=f"art:{entry.number}")
        for entry in entries
    ]
    rows = [numbers[i : i + 5] for i in range(0, len(numbers), 5)]
    navigation = []
    if page > 1:
        navigation.append(InlineKeyboardButton("◀ Prev", callback_data=f"list:{page - 1}"))
    if page < pages:
        navigation.append(InlineKeyboardButton("Next ▶", callback_data=f"list:{page + 1}"))
    if navigation:
        rows.append(navigation)
    return InlineKeyboardMarkup(rows)


def search_results(
    words: Sequence[str], matches: Sequence[ArticleRecord]
) -> tuple[str, InlineKeyboardMarkup]:
    """The titles matching a search (``matches`` may hold one more than a page)."""
    shown = matches[:PAGE_SIZE]
    header = f"Titles with “{' '.join(words)[:ECHO_CHARS]}”"
    text = digests.article_list_html(shown, header)
    if len(matches) > PAGE_SIZE:
        text += f"\n\nMore than {PAGE_SIZE} match: add a word to narrow it down."
    return text, list_keyboard(shown, 1, 1)


def article_messages(
    entry: ArticleRecord,
    following: ArticleRecord | None,
    also: Sequence[digests.Also] = (),
) -> list[tuple[str, str | None]]:
    """The messages of ``/article N`` as (HTML text, reply_markup JSON or None); the last
    one has a button for the next article in the list, if there is one. ``also``: the
    other articles of its story, named in an "Also:" line."""
    messages: list[tuple[str, str | None]] = [
        (text, None) for text in digests.article_detail_messages(entry, also=also)
    ]
    if following is not None:
        button = {"text": f"Next: {following.number} ▶", "callback_data": f"art:{following.number}"}
        markup = json.dumps({"inline_keyboard": [[button]]}, ensure_ascii=False)
        messages[-1] = (messages[-1][0], markup)
    return messages


# -- summaries on demand (/summarize, links and texts) --------------------------------

SUMMARY_HINT = (
    "Send me a link and I will summarize the page, or paste a text of at least 50 words. "
    "To search the titles, send /article and a few words (e.g. /article climate); "
    "/help lists everything."
)
MEDIA_HINT = (
    "I cannot read photos, stickers, voice or video messages. Send me a link and I will "
    "summarize the page, or paste a text of at least 50 words; /help lists everything."
)


# A plain message says how many words it has from this many on.
PLAIN_WORDS_COUNTED = 5


def plain_text_reply(
    words: int, min_words: int, *, timezone: str | None = None, time: str | None = None
) -> str:
    """A private message that is neither a link nor a text long enough to summarize:
    what the bot can do with it. ``timezone``: the zone the words name, ``time``: the
    time of day they are, offered as the command that would use them."""
    # The count helps with a text that is nearly long enough, not with "hello".
    count = f"; this message has {words} words" if words >= PLAIN_WORDS_COUNTED else ""
    lines = [
        f"I summarize web pages and texts of at least {min_words} words{count}. Send me a "
        "link, or paste the whole text, and I will answer with its summary."
    ]
    if timezone is not None:
        lines.append(f"Is it your timezone? /timezone {html.escape(timezone)} sets it.")
    if time is not None:
        lines.append(f"A time for your digest? /subscribe {html.escape(time)} sets it.")
    lines.append(
        "To search the titles, send /article and a few words (e.g. /article climate); "
        "/help lists everything."
    )
    return "\n".join(lines)


NO_ARTICLE_TEXT = "I found no article text on that page (a pay wall, a video or a page of links?)."
SUMMARY_FAILED = "Sorry, I could not summarize that. Please try again later."
ADD_STALE = "This button is out of date: send the link again."


def in_words(seconds: float) -> str:
    """ "in 45 seconds", "in 12 minutes", "in 2 hours" (rounded up, at least a second)."""
    whole = max(1, int(-(-seconds // 1)))
    if whole < 90:
        return f"in {whole} second{'s' if whole != 1 else ''}"
    minutes = -(-whole // 60)
    if minutes < 90:
        return f"in {minutes} minutes"
    return f"in {-(-minutes // 60)} hours"


def busy_text(busy: bool, retry_in: float, per_hour: int) -> str:
    """This chat asked for too many summaries: one at a time, ``per_hour`` an hour."""
    if busy:
        return "I am still working on your previous link or text; send this one when it is done."
    return (
        f"Too many requests from this chat: at most {per_hour} summaries an hour. "
        f"Please try again {in_words(retry_in)}."
    )


def short_text(words: int) -> str:
    """/summarize with a text under 50 words."""
    return (
        f"That text is too short to summarize ({words} words; I need at least 50), and "
        f"it has no link.\n{SUMMARIZE_USAGE}"
    )


# Names quoted in a toast (a callback answer: plain text, at most 200 characters).
TOAST_NAME_CHARS = 80


def toast_name(name: str) -> str:
    """An article's title or a source's name for a toast: one line, cut short, not
    escaped (toasts are plain text)."""
    text = " ".join(clean_text(name).split()) or "untitled"
    return text if len(text) <= TOAST_NAME_CHARS else text[: TOAST_NAME_CHARS - 1] + "…"


def added_text(number: int, added: bool, title: str = "") -> str:
    """The answer to "Add to my digest", naming the article (a callback answer: plain
    text, ≤ 200 chars)."""
    name = f"“{toast_name(title)}”"
    if added:
        return f"Added {name} to your next digest as article {number} (/article {number})."
    return f"{name} is already in your next digest: article {number}."


def source_toggled_text(name: str, on: bool) -> str:
    """The toast of a source's button in /sources, naming the source."""
    if on:
        return f"“{toast_name(name)}” is on: its new articles come in this chat's digests."
    return f"“{toast_name(name)}” is off: its articles stay out of this chat's digests."


# -- sources ------------------------------------------------------------------

SOURCES_HEADER = "<b>Sources</b> · tap one to turn it on or off for this chat's digests"
# A feed's name as an admin gives it (/addfeed URL NAME), at most this long.
FEED_NAME_CHARS = 100
ADDFEED_USAGE = (
    "Usage: /addfeed URL [NAME], e.g. /addfeed https://www.example.org/rss.xml or "
    f"/addfeed https://www.example.org/rss.xml Example News (a name of at most "
    f"{FEED_NAME_CHARS} characters; without one, the feed's own title)"
)
REMOVEFEED_USAGE = "Usage: /removefeed N, the feed's number in /sources"
STALE_SOURCE_BUTTON = "This button is out of date: send /sources again."
# Button labels are cut to this many characters (Telegram shows little more).
SOURCE_LABEL_CHARS = 48


OWN_FEEDS_HEADER = "<b>This chat's own feeds</b> · ✖ stops following one"


def _short(label: str) -> str:
    return label if len(label) <= SOURCE_LABEL_CHARS else label[: SOURCE_LABEL_CHARS - 1] + "…"


def sources_message(
    feeds: Sequence[tuple[int, str]],
    off: set[int],
    seeds_id: int = 0,
    own: Sequence[tuple[int, str]] = (),
    *,
    seeds_name: str = "This bot's articles",
) -> tuple[str, InlineKeyboardMarkup]:
    """``/sources``: every shared source (the seeds folder under the name the operator
    gave it, ``[seeds] name``, then each feed as (id, label)) as a toggle button, ✅ when
    the chat's digests include it; data ``src:ID``. Then the feeds the chat follows of its
    own (``own``), each a toggle and a ✖ (``unf:ID:s``)."""
    rows = [(seeds_id, seeds_name), *feeds]
    lines = [SOURCES_HEADER]
    buttons = []
    for source_id, label in rows:
        short = _short(label)
        mark = "⬜" if source_id in off else "✅"
        number = "" if source_id == seeds_id else f"{source_id}. "
        lines.append(f"{mark} {number}{html.escape(short)}")
        buttons.append(
            [InlineKeyboardButton(f"{mark} {number}{short}", callback_data=f"src:{source_id}")]
        )
    if own:
        lines += ["", OWN_FEEDS_HEADER]
    for feed_id, label in own:
        short = _short(label)
        mark = "⬜" if feed_id in off else "✅"
        lines.append(f"{mark} {feed_id}. {html.escape(short)}")
        buttons.append(
            [
                InlineKeyboardButton(f"{mark} {feed_id}. {short}", callback_data=f"src:{feed_id}"),
                InlineKeyboardButton("✖", callback_data=f"unf:{feed_id}:s"),
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def feed_added_text(feed_id: int, label: str, entries: int, minutes: float, new: bool) -> str:
    """The answer to a successful ``/addfeed``."""
    if not new:
        return f"{html.escape(label)} is already feed {feed_id}."
    return (
        f"Added feed {feed_id}: {html.escape(label)} ({entries} "
        f"{'entry' if entries == 1 else 'entries'} now). "
        f"It is read every {minutes:g} minutes; new articles join the digests."
    )


def feed_renamed_text(feed_id: int, label: str) -> str:
    """``/addfeed URL NAME`` for a feed already added: it has the new name."""
    return f"Feed {feed_id} is now called {html.escape(label)}."


def config_feed_name_text(feed_id: int, label: str) -> str:
    """``/addfeed URL NAME`` for a feed of the config file: named there."""
    return (
        f"{html.escape(label)} is feed {feed_id}, from the config file: its name is set "
        "there, with [[feeds]] name."
    )


def feed_refused_text(url: str, reason: str) -> str:
    """``/addfeed`` could not use the URL: one sentence with the reason."""
    return f"Cannot add {echo(url)}: {html.escape(reason)}"


def feed_removed_text(feed_id: int, label: str | None) -> str:
    if label is None:
        return (
            f"There is no feed {feed_id} an admin added. Feeds from the config file stay;"
            " /sources lists the numbers."
        )
    return f"Removed feed {feed_id}: {html.escape(label)}. Its articles stay until they expire."


# -- a chat's own feeds ---------------------------------------------------------------

ADD_USAGE = (
    "Usage: /add URL — a feed's address, or any page that links to its feed "
    "(e.g. /add https://www.example.org)"
)
USER_FEEDS_OFF = (
    "Following feeds of your own is turned off on this bot; /sources lists its shared ones."
)
NO_OWN_FEEDS = "This chat follows no feeds of its own: /add URL follows one."
NOT_FOLLOWED = "This chat does not follow that feed (any more): /remove lists the ones it does."
REMOVE_HEADER = "<b>This chat's own feeds</b> · tap one to stop following it"
SHARED_NOT_REMOVABLE = "Shared sources are not removed but turned off: /sources."


def followed_text(label: str, newest: str | None, minutes: float) -> str:
    """``/add`` worked: one line naming the feed and its newest article."""
    latest = f"newest: “{html.escape(_short(newest))}”" if newest else "no articles yet"
    return (
        f"Following {html.escape(label)} ({latest}); new articles join this chat's digest,"
        f" read every {minutes:g} minutes."
    )


def already_followed_text(label: str) -> str:
    return f"This chat already follows {html.escape(label)}; /sources lists its feeds."


def shared_feed_text(label: str) -> str:
    return (
        f"{html.escape(label)} is one of this bot's shared sources: it is in this chat's "
        "digest already (/sources turns it on or off)."
    )


def follow_refused_text(url: str, reason: str) -> str:
    """``/add`` could not follow the URL: one sentence with the reason."""
    reason = reason.rstrip(".")
    return f"Cannot follow {echo(url)}. {html.escape(reason[:1].upper() + reason[1:])}."


def chat_full_text(limit: int) -> str:
    return f"This chat follows {limit} feeds, the most one chat may: /remove one to follow another."


def all_full_text(limit: int) -> str:
    return (
        f"This bot reads {limit} feeds in all, the most its operator allows: a feed "
        "nobody follows yet cannot be added now."
    )


def unfollowed_text(label: str) -> str:
    return f"No longer following {html.escape(label)}. Its articles already sent stay."


def remove_message(own: Sequence[tuple[int, str]]) -> tuple[str, InlineKeyboardMarkup]:
    """``/remove``: the chat's own feeds, a button each (``unf:ID``)."""
    lines = [REMOVE_HEADER]
    buttons = []
    for feed_id, label in own:
        short = _short(label)
        lines.append(f"{feed_id}. {html.escape(short)}")
        buttons.append(
            [InlineKeyboardButton(f"✖ {feed_id}. {short}", callback_data=f"unf:{feed_id}")]
        )
    lines += ["", SHARED_NOT_REMOVABLE]
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def export_caption(count: int) -> str:
    return (
        f"This chat's {count} {'feed' if count == 1 else 'feeds'} as OPML: import the file "
        "into another reader, or send it to a chat with this bot to follow them there."
    )


def import_refused_text(name: str, reason: str) -> str:
    return f"Cannot import {echo(name)}: {html.escape(reason)}."


# -- channels managed from a private chat ------------------------------------------------

CHANNEL_BUTTON = "ch:"
CHANNEL_OFF = "off"
CHANNEL_USAGE = (
    "Usage: /channel lists the channels you administer; /channel @name or /channel -100… "
    "picks one; /channel off manages this chat again."
)
CHANNEL_PRIVATE_ONLY = "Send /channel in a private chat with me to manage a channel from there."
CHANNEL_STALE = "This button is out of date: send /channel again."
# Bounds of the one line a command posted in a channel gets (deleted a little later).
CHANNEL_NOTE_CHARS = 200


def _quoted(title: str) -> str:
    return f"«{html.escape(title)}»"


def acting_on(title: str, text: str) -> str:
    """A reply about the channel a private chat manages: it says which chat it is."""
    return f"<b>Channel {_quoted(title)}</b>: {text}"


def channel_list_text(current: str | None, found: int) -> str:
    """``/channel``: which chat the commands act on now, and the choice."""
    now = f"channel {_quoted(current)}" if current else "this chat"
    if not found:
        return (
            f"Your commands here act on {now}. I know no channel you administer: add me to "
            "your channel as an administrator, then send /channel again (or /channel @name)."
        )
    return f"Your commands here act on {now}. Choose the chat to manage:"


def channel_keyboard(channels: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """One button per channel (``ch:ID``), then "This chat" (``ch:off``)."""
    rows = [
        [InlineKeyboardButton(f"📢 {_short(title)}", callback_data=f"{CHANNEL_BUTTON}{chat_id}")]
        for chat_id, title in channels
    ]
    rows.append(
        [InlineKeyboardButton("💬 This chat", callback_data=f"{CHANNEL_BUTTON}{CHANNEL_OFF}")]
    )
    return InlineKeyboardMarkup(rows)


def channel_joined_text(title: str) -> str:
    """To whoever made the bot an administrator of a channel."""
    return (
        f"I am now an administrator of channel {_quoted(title)}. Send /channel here to "
        "manage its digest: /subscribe, /filter, /sources and /timezone then act on it."
    )


def channel_chosen_text(title: str) -> str:
    return (
        f"Now managing channel {_quoted(title)}: /subscribe, /stop, /status, /settings, "
        "/filter, /sources, /timezone, /add, /remove and /export act on it, and its digests "
        "are posted there. /channel off manages this chat again."
    )


CHANNEL_BACK = "Back to this chat: your commands here act on your own digest."
CHANNEL_BACK_TOAST = "Managing this chat"


def channel_unknown_text(asked: str) -> str:
    return (
        f"I am not an administrator of {echo(asked)}: add me to the channel as an "
        "administrator first, then send /channel again."
    )


def channel_not_admin_text(title: str) -> str:
    return f"Only the administrators of channel {_quoted(title)} can manage its digest."


def channel_lost_text(title: str, bot_left: bool) -> str:
    """A private chat's channel can no longer be managed from it: said once, then the
    private chat manages itself again."""
    why = (
        "I am no longer an administrator there"
        if bot_left
        else "you are no longer one of its administrators"
    )
    return (
        f"Not done: channel {_quoted(title)} cannot be managed from here, {why}. "
        "Your commands here act on this chat again."
    )


def channel_pointer_text(title: str, bot_username: str) -> str:
    """The one line a command posted in a channel gets when its answer is not for the
    channel's readers."""
    return (
        f"Manage {_quoted(title)} from a private chat with @{html.escape(bot_username)}: "
        "send /channel there."
    )


def one_line(text: str, limit: int = CHANNEL_NOTE_CHARS) -> str:
    """The first line of an HTML reply as plain, escaped text of at most ``limit``
    characters: what a channel's readers may see of an answer to a command posted there."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    plain = html.unescape(re.sub(r"<[^>]*>", "", first)).strip()
    if len(plain) > limit:
        plain = plain[: limit - 1].rstrip() + "…"
    return html.escape(plain)
