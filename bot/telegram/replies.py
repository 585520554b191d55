"""What the bot says: reply texts and inline keyboards, as pure functions of plain data.

No Telegram calls and no store here: the handlers (:mod:`bot.telegram.handlers`) read what
they need, call these and send the result, so every wording is testable without the fake
Bot API. Replies are Telegram HTML; every piece of user or article text inserted is
escaped here (:func:`echo`, ``html.escape``). Every text is said in the chat's language:
the functions take its :class:`bot.locales.Translator` as ``t`` (English when left out), and
the constants are English texts marked with ``N_`` that the handlers send as ``t(TEXT)``.
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
from bot.locales import ENGLISH, LANGUAGES, N_, Translator
from bot.rhythm import EVERY_DAY, MAX_TIMES, WEEKDAYS, WEEKENDS, RhythmError, includes
from bot.schedule import Subscription, chat_timezone, next_run, zone
from bot.settings import DigestSettings
from bot.settings import describe as describe_settings
from bot.store import ArticleRecord, Chat
from bot.times import format_time, is_fixed_offset, looks_like_time
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
    "command_list",
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


# -- /start, /help --------------------------------------------------------------------


def start_text(
    config: Config, welcome_back: bool, timezone_line: str = "", *, t: Translator = ENGLISH
) -> str:
    """/start: what the bot does; ``welcome_back`` when it turned a paused digest on;
    ``timezone_line`` (:func:`start_timezone_text`) says which timezone digests use."""
    back = "\n\n" + t("Welcome back: your daily digest is on again.") if welcome_back else ""
    if timezone_line:
        back += f"\n\n{timezone_line}"
    return (
        t(
            "<b>Hello! I am digestbot.</b>\n"
            "I turn news articles into short summaries and send you a daily digest of the "
            "new ones.\n\n"
            "/subscribe — a digest every day at {time} (or /subscribe 07:30)\n"
            "/article — browse and read the articles\n"
            "/digest — what is new, right now\n"
            "/language — the language I speak to you in\n"
            "/help — all commands",
            time=html.escape(config.digest.time),
        )
        + back
    )


def help_text(config: Config, *, t: Translator = ENGLISH) -> str:
    """/help: every command, with examples where one helps."""
    lines = [t("<b>Commands</b>")]
    examples = {
        "stop": N_("/stop — stop the digests (/unsubscribe does the same)"),
        "subscribe": N_(
            "/subscribe [DAYS] HH:MM … — digests at up to four times a day, daily or on "
            "chosen days (e.g. /subscribe 07:30, /subscribe weekdays 07:30 18:00, "
            "/subscribe mon,wed,fri 12:00, /subscribe weekends 09:00)"
        ),
        "timezone": N_(
            "/timezone CITY — your timezone: a city (e.g. /timezone Berlin, /timezone new "
            "york), an IANA name (/timezone America/Sao_Paulo) or an offset (/timezone "
            "UTC+5:30); or share your location in a private chat"
        ),
        "summarize": N_(
            "/summarize LINK — a web page's summary (e.g. /summarize "
            "https://example.com/news/story); also /summarize TEXT, or /summarize as a "
            "reply to a message. In a private chat, just send the link or paste the text"
        ),
        "filter": N_(
            "/filter -WORD, /filter +WORD — mute articles that mention a word, or keep only "
            'those that do (e.g. /filter -football, /filter -"transfer window", '
            "/filter +election); /filter lists them"
        ),
        "add": N_(
            "/add URL — follow a feed of your own: its address, or any page that links to "
            "its feed (e.g. /add https://www.example.org); /remove stops, /export gives "
            "them as an OPML file, and an OPML file sent here imports them"
        ),
        "article": N_(
            "/article — the articles, newest first\n"
            "/article N — one article's summary (e.g. /article 3)\n"
            "/article WORDS — search the titles (e.g. /article climate)"
        ),
    }
    for name, description in command_list(t):
        example = examples.get(name)
        lines.append(t(example) if example else f"/{name} — {description}")
    lines.append(
        "\n"
        + t(
            "Without a time, /subscribe uses {time}; the default timezone is {timezone}.",
            time=html.escape(config.digest.time),
            timezone=html.escape(config.digest.timezone),
        )
    )
    return "\n".join(lines)


# -- subscriptions --------------------------------------------------------------------


def next_digest_text(
    chat: Subscription, config: Config, now: datetime, *, t: Translator = ENGLISH
) -> str:
    """When the chat's next digest comes, in its timezone ("Mon 1 Dec 2026, 08:30 CET")."""
    tz = zone(chat_timezone(chat, config.digest.timezone))
    times = chat.digest_times or (config.digest.time,)
    due = next_run(times, chat.days, tz, now).astimezone(tz)
    return f"{t.date(due.date())}, {format_time(due.time())} {due.tzname() or ''}".rstrip()


def days_text(days: int, t: Translator = ENGLISH) -> str:
    """The days in words: "every day", "weekdays", "weekends", "Mon, Wed and Fri"."""
    if days == EVERY_DAY:
        return t("every day")
    if days == WEEKDAYS:
        return t("weekdays")
    if days == WEEKENDS:
        return t("weekends")
    return t.join([t.weekday(day) for day in range(7) if includes(days, day)])


def rhythm_text(chat: Subscription, config: Config, *, t: Translator = ENGLISH) -> str:
    """When the chat's digests come, in words: "weekdays at 07:30 and 18:00"."""
    times = list(chat.digest_times or (config.digest.time,))
    return t("{days} at {times}", days=days_text(chat.days, t), times=t.join(times))


UNSUBSCRIBED = N_("Unsubscribed: no more digests. /subscribe brings them back.")
NOT_SUBSCRIBED = N_("You are not subscribed. /subscribe starts your digests.")

# Said in a forum topic with a digest of its own (Chat.topic != 0).
TOPIC_NOTE = N_(
    "This digest goes to this forum topic; the group and its other topics have their own."
)


def subscribed_text(chat: Chat, config: Config, now: datetime, *, t: Translator = ENGLISH) -> str:
    """The confirmation of /subscribe: "Subscribed: your digest comes weekdays at 07:30
    and 18:00 (Europe/Berlin); next: Mon 01 Dec, 07:30 CET."."""
    timezone = chat_timezone(chat, config.digest.timezone)
    topic = f"\n{t(TOPIC_NOTE)}" if chat.topic else ""
    said = t(
        "Subscribed: your digest comes <b>{rhythm}</b> ({timezone}); next: {next}.",
        rhythm=html.escape(rhythm_text(chat, config, t=t)),
        timezone=html.escape(timezone_label(timezone)),
        next=next_digest_text(chat, config, now, t=t),
    )
    return said + topic + "\n" + t("Change the timezone with /timezone CITY, stop with /stop.")


def bad_rhythm_text(error: RhythmError, *, t: Translator = ENGLISH) -> str:
    """/subscribe with arguments that say no rhythm (see ``bot.rhythm.parse_rhythm``)."""
    if error.kind == "time":
        return bad_time_text(error.argument, t=t)
    if error.kind == "order":
        said = t("Days come first, then the times, e.g. /subscribe weekdays 07:30.")
    else:
        said = t("At most {count} times a day, please.", count=t.number(MAX_TIMES))
    return f"{said}\n{t(SUBSCRIBE_USAGE)}"


def bad_time_text(argument: str, *, t: Translator = ENGLISH) -> str:
    """/subscribe with something that is not a time of day: malformed ("7:5",
    "07:30:00", "eight") or out of range ("25:99")."""
    if looks_like_time(argument):
        said = t(
            "“{argument}” is not a time of day: hours go 00–23 and minutes 00–59.",
            argument=echo(argument),
        )
    else:
        said = t(
            "“{argument}” is not a time of day: use HH:MM, e.g. 08:30.", argument=echo(argument)
        )
    return f"{said}\n{t(SUBSCRIBE_USAGE)}"


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
    t: Translator = ENGLISH,
) -> str:
    """/status: subscription, next digest, articles waiting, the digest's settings, the
    chat's filters (how many terms, how many articles they held back), paused
    deliveries."""
    timezone_name = timezone_label((chat.timezone if chat else None) or config.digest.timezone)
    lines = []
    if chat is not None and chat.digest_time is not None:
        lines.append(
            t(
                "Subscribed: yes, <b>{rhythm}</b> ({timezone})",
                rhythm=html.escape(rhythm_text(chat, config, t=t)),
                timezone=html.escape(timezone_name),
            )
        )
        if chat.active:
            lines.append(t("Next digest: {next}", next=next_digest_text(chat, config, now, t=t)))
        if chat.topic:
            lines.append(t(TOPIC_NOTE))
    else:
        lines.append(t("Subscribed: no (/subscribe starts a daily digest)"))
        lines.append(t("Timezone: {timezone}", timezone=html.escape(timezone_name)))
    if waiting > WAITING_COUNTED:
        lines.append(
            t(
                "Articles waiting: more than {count} new articles (/digest shows them)",
                count=t.number(WAITING_COUNTED),
            )
        )
    else:
        lines.append(
            t.plural(
                "Articles waiting: {count} new article (/digest shows them)",
                "Articles waiting: {count} new articles (/digest shows them)",
                waiting,
            )
        )
    settings = chat.settings if chat is not None else DigestSettings()
    shown = describe_settings(settings, config.digest.max_articles, t)
    lines.append(t("Digest: {settings} (/settings)", settings=html.escape(shown)))
    if filters or held_back:
        terms = t.plural("{count} term", "{count} terms", filters) if filters else t("none now")
        lines.append(
            t.plural(
                "Filters: {terms} (/filter); they held back {count} article",
                "Filters: {terms} (/filter); they held back {count} articles",
                held_back,
                terms=terms,
            )
        )
    if chat is not None and not chat.active:
        reason = chat.deactivated_reason or t("Telegram refused a message")
        lines.append(
            t(
                "Deliveries are paused: {reason}. /start or /subscribe turns them back on.",
                reason=html.escape(reason),
            )
        )
    return "\n".join(lines)


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


# -- /filter --------------------------------------------------------------------------


def _shown_term(term: Term) -> str:
    return html.escape(" ".join(clean_text(term.quoted()).split()))


def filters_text(terms: Sequence[Term], note: str = "", *, t: Translator = ENGLISH) -> str:
    """The chat's filters (muted terms, then kept ones) and how to use /filter, after
    an optional ``note`` (HTML) saying what just changed."""
    lines = [note] if note else []
    mutes = [term for term in terms if term.mode == MUTE]
    keeps = [term for term in terms if term.mode == KEEP]
    if not terms:
        lines.append(t("<b>No filters</b>: your digests hold every new article."))
    else:
        lines.append(
            t(
                "<b>Your filters</b> ({count} of {limit})",
                count=t.number(len(terms)),
                limit=t.number(MAX_TERMS),
            )
        )
        if mutes:
            lines.append(t("Muted: {terms}", terms=", ".join(_shown_term(x) for x in mutes)))
        if keeps:
            lines.append(
                t("Only articles with: {terms}", terms=", ".join(_shown_term(x) for x in keeps))
            )
    return "\n".join(lines) + "\n\n" + html.escape(t(FILTER_USAGE))


def removed_filters_text(
    asked: Sequence[Term], removed: Sequence[str], *, t: Translator = ENGLISH
) -> str:
    """What ``/filter remove …`` did: the terms ``removed`` (as they were written), and
    the ``asked`` ones the chat did not have."""
    gone = {Term("", text).key for text in removed}
    missing = [term for term in asked if term.key not in gone]
    parts = []
    if removed:
        parts.append(t("Removed: {terms}.", terms=", ".join(echo(text) for text in removed)))
    if missing:
        names = ", ".join(f"“{echo(term.shown())}”" for term in missing)
        parts.append(t("You had no filter {terms}.", terms=names))
    return " ".join(parts)


def filter_error_text(reason: str, *, t: Translator = ENGLISH) -> str:
    """A /filter argument that cannot be read: why (``reason``, plain text), and how."""
    reason = " ".join(clean_text(reason).split())
    return f"{html.escape(reason)}\n\n{html.escape(t(FILTER_USAGE))}"


def filter_limit_text(would_have: int, *, t: Translator = ENGLISH) -> str:
    """/filter would give the chat ``would_have`` terms, more than MAX_TERMS."""
    return t(
        "Too many filters: a chat has at most {limit} terms (of at most {chars} characters "
        "each), and this would make {count}. Nothing was changed: remove some first with "
        "/filter remove WORD, or start over with /filter clear.",
        limit=t.number(MAX_TERMS),
        chars=t.number(MAX_TERM_CHARS),
        count=t.number(would_have),
    )


# -- /article -------------------------------------------------------------------------


def list_page(
    entries: Sequence[ArticleRecord], page: int, total: int, *, t: Translator = ENGLISH
) -> tuple[str, InlineKeyboardMarkup]:
    """The text and keyboard of one page of the article list (pages count from 1)."""
    pages = max(1, -(-total // PAGE_SIZE))
    first = (page - 1) * PAGE_SIZE + 1
    header = t(
        "Articles {first}–{last} of {total}, newest first",
        first=t.number(first),
        last=t.number(first + len(entries) - 1),
        total=t.number(total),
    )
    if pages > 1:
        header += " " + t("(page {page} of {pages})", page=t.number(page), pages=t.number(pages))
    text = digests.article_list_html(entries, header)
    text += "\n\n" + t("Tap a number, or send /article N.")
    return text, list_keyboard(entries, page, pages, t=t)


def list_keyboard(
    entries: Sequence[ArticleRecord], page: int, pages: int, *, t: Translator = ENGLISH
) -> InlineKeyboardMarkup:
    """A button per article number, and ◀ Prev / Next ▶ when there are more pages."""
    numbers = [
        InlineKeyboardButton(str(entry.number), callback_data=f"art:{entry.number}")
        for entry in entries
    ]
    rows = [numbers[i : i + 5] for i in range(0, len(numbers), 5)]
    navigation = []
    if page > 1:
        navigation.append(InlineKeyboardButton(t("◀ Prev"), callback_data=f"list:{page - 1}"))
    if page < pages:
        navigation.append(InlineKeyboardButton(t("Next ▶"), callback_data=f"list:{page + 1}"))
    if navigation:
        rows.append(navigation)
    return InlineKeyboardMarkup(rows)


def search_results(
    words: Sequence[str], matches: Sequence[ArticleRecord], *, t: Translator = ENGLISH
) -> tuple[str, InlineKeyboardMarkup]:
    """The titles matching a search (``matches`` may hold one more than a page)."""
    shown = matches[:PAGE_SIZE]
    header = t("Titles with “{words}”", words=" ".join(words)[:ECHO_CHARS])
    text = digests.article_list_html(shown, header)
    if len(matches) > PAGE_SIZE:
        text += "\n\n" + t(
            "More than {count} match: add a word to narrow it down.", count=t.number(PAGE_SIZE)
        )
    return text, list_keyboard(shown, 1, 1, t=t)


def article_messages(
    entry: ArticleRecord,
    following: ArticleRecord | None,
    also: Sequence[digests.Also] = (),
    *,
    t: Translator = ENGLISH,
) -> list[tuple[str, str | None]]:
    """The messages of ``/article N`` as (HTML text, reply_markup JSON or None); the last
    one has a button for the next article in the list, if there is one. ``also``: the
    other articles of its story, named in an "Also:" line."""
    messages: list[tuple[str, str | None]] = [
        (text, None) for text in digests.article_detail_messages(entry, also=also, t=t)
    ]
    if following is not None:
        button = {
            "text": t("Next: {number} ▶", number=following.number),
            "callback_data": f"art:{following.number}",
        }
        markup = json.dumps({"inline_keyboard": [[button]]}, ensure_ascii=False)
        messages[-1] = (messages[-1][0], markup)
    return messages


# -- summaries on demand (/summarize, links and texts) --------------------------------

SUMMARY_HINT = N_(
    "Send me a link and I will summarize the page, or paste a text of at least 50 words. "
    "To search the titles, send /article and a few words (e.g. /article climate); "
    "/help lists everything."
)
NO_ARTICLE_TEXT = N_(
    "I found no article text on that page (a pay wall, a video or a page of links?)."
)
SUMMARY_FAILED = N_("Sorry, I could not summarize that. Please try again later.")
ADD_STALE = N_("This button is out of date: send the link again.")


MEDIA_HINT = N_(
    "I cannot read photos, stickers, voice or video messages. Send me a link and I will "
    "summarize the page, or paste a text of at least 50 words; /help lists everything."
)


# A plain message says how many words it has from this many on.
PLAIN_WORDS_COUNTED = 5


def plain_text_reply(
    words: int,
    min_words: int,
    *,
    timezone: str | None = None,
    time: str | None = None,
    t: Translator = ENGLISH,
) -> str:
    """A private message that is neither a link nor a text long enough to summarize:
    what the bot can do with it. ``timezone``: the zone the words name, ``time``: the
    time of day they are, offered as the command that would use them."""
    # The count helps with a text that is nearly long enough, not with "hello".
    if words >= PLAIN_WORDS_COUNTED:
        first = t.plural(
            "I summarize web pages and texts of at least {min} words; this message has "
            "{count} word. Send me a link, or paste the whole text, and I will answer with "
            "its summary.",
            "I summarize web pages and texts of at least {min} words; this message has "
            "{count} words. Send me a link, or paste the whole text, and I will answer with "
            "its summary.",
            words,
            min=t.number(min_words),
        )
    else:
        first = t(
            "I summarize web pages and texts of at least {min} words. Send me a link, or "
            "paste the whole text, and I will answer with its summary.",
            min=t.number(min_words),
        )
    lines = [first]
    if timezone is not None:
        lines.append(
            t("Is it your timezone? /timezone {zone} sets it.", zone=html.escape(timezone))
        )
    if time is not None:
        lines.append(
            t("A time for your digest? /subscribe {time} sets it.", time=html.escape(time))
        )
    lines.append(
        t(
            "To search the titles, send /article and a few words (e.g. /article climate); "
            "/help lists everything."
        )
    )
    return "\n".join(lines)


def in_words(seconds: float, *, t: Translator = ENGLISH) -> str:
    """ "in 45 seconds", "in 12 minutes", "in 2 hours" (rounded up, at least a second)."""
    whole = max(1, int(-(-seconds // 1)))
    if whole < 90:
        return t.plural("in {count} second", "in {count} seconds", whole)
    minutes = -(-whole // 60)
    if minutes < 90:
        return t.plural("in {count} minute", "in {count} minutes", minutes)
    return t.plural("in {count} hour", "in {count} hours", -(-minutes // 60))


def busy_text(busy: bool, retry_in: float, per_hour: int, *, t: Translator = ENGLISH) -> str:
    """This chat asked for too many summaries: one at a time, ``per_hour`` an hour."""
    if busy:
        return t("I am still working on your previous link or text; send this one when it is done.")
    return t(
        "Too many requests from this chat: at most {count} summaries an hour. "
        "Please try again {when}.",
        count=t.number(per_hour),
        when=in_words(retry_in, t=t),
    )


def short_text(words: int, *, t: Translator = ENGLISH) -> str:
    """/summarize with a text under 50 words."""
    said = t.plural(
        "That text is too short to summarize ({count} word; I need at least 50), and it "
        "has no link.",
        "That text is too short to summarize ({count} words; I need at least 50), and it "
        "has no link.",
        words,
    )
    return f"{said}\n{t(SUMMARIZE_USAGE)}"


# Names quoted in a toast (a callback answer: plain text, at most 200 characters).
TOAST_NAME_CHARS = 80


def toast_name(name: str, *, t: Translator = ENGLISH) -> str:
    """An article's title or a source's name for a toast: one line, cut short, not
    escaped (toasts are plain text)."""
    text = " ".join(clean_text(name).split()) or t("untitled")
    return text if len(text) <= TOAST_NAME_CHARS else text[: TOAST_NAME_CHARS - 1] + "…"


def added_text(number: int, added: bool, title: str = "", *, t: Translator = ENGLISH) -> str:
    """The answer to "Add to my digest", naming the article (a callback answer: plain
    text, ≤ 200 chars)."""
    name = toast_name(title, t=t)
    if added:
        return t(
            "Added “{title}” to your next digest as article {number} (/article {number}).",
            title=name,
            number=number,
        )
    return t(
        "“{title}” is already in your next digest: article {number}.", title=name, number=number
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
# Button labels are cut to this many characters (Telegram shows little more).
SOURCE_LABEL_CHARS = 48


# What /sources calls the seeds folder unless the operator names it ([seeds] name).
SEEDS_NAME = N_("This bot's articles")
OWN_FEEDS_HEADER = N_("<b>This chat's own feeds</b> · ✖ stops following one")


def _short(label: str) -> str:
    return label if len(label) <= SOURCE_LABEL_CHARS else label[: SOURCE_LABEL_CHARS - 1] + "…"


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
        short = _short(label)
        mark = "⬜" if source_id in off else "✅"
        number = "" if source_id == seeds_id else f"{source_id}. "
        lines.append(f"{mark} {number}{html.escape(short)}")
        buttons.append(
            [InlineKeyboardButton(f"{mark} {number}{short}", callback_data=f"src:{source_id}")]
        )
    if own:
        lines += ["", t(OWN_FEEDS_HEADER)]
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
        latest = t("newest: “{title}”", title=html.escape(_short(newest)))
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
        short = _short(label)
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


def unknown_command_text(command: str, *, t: Translator = ENGLISH) -> str:
    """A command the bot does not have."""
    return t("I do not know {command}. /help lists the commands.", command=echo(command))


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
        [InlineKeyboardButton(f"📢 {_short(title)}", callback_data=f"{CHANNEL_BUTTON}{chat_id}")]
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
