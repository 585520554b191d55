"""What /article says: the article list's pages and buttons, search results, an article's
messages.

Pure functions of plain data (see :mod:`bot.telegram.replies`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from bot import digest as digests
from bot.locales import ENGLISH, Translator
from bot.store import ArticleRecord
from bot.telegram.replies.basics import (
    ECHO_CHARS,
    PAGE_SIZE,
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
