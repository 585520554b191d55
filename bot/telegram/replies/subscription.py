"""What the bot says about a chat's subscription: /start, /help, /subscribe and /stop, its
rhythm and next digest, /status.

Pure functions of plain data (see :mod:`bot.telegram.replies`).
"""

from __future__ import annotations

import html
from datetime import datetime

from bot.config import Config
from bot.locales import ENGLISH, N_, Translator
from bot.rhythm import EVERY_DAY, MAX_TIMES, WEEKDAYS, WEEKENDS, RhythmError, includes
from bot.schedule import Subscription, chat_timezone, next_run, zone
from bot.settings import DigestSettings
from bot.settings import describe as describe_settings
from bot.store import Chat
from bot.telegram.replies.basics import (
    SUBSCRIBE_USAGE,
    command_list,
    echo,
)
from bot.times import format_time, looks_like_time
from bot.timezones import timezone_label

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
