"""What the bot says to what it is sent (summaries on demand): /summarize, a link, a plain
text or media, how busy it is, an article added to a digest.

Pure functions of plain data (see :mod:`bot.telegram.replies`).
"""

from __future__ import annotations

import html

from bot.locales import ENGLISH, N_, Translator
from bot.telegram.replies.basics import (
    SUMMARIZE_USAGE,
    toast_name,
)

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
