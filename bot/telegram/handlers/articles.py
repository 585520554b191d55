"""``/article``: one article's summary, the list of articles, title search, and the
list's buttons; also ``/article N`` from the fast lane of :mod:`bot.telegram.updates`.

Thin like the other handlers (sharing :mod:`bot.telegram.handlers.common`). ``/article N``
answers from a cache of composed replies kept until any article changes
(``Store.articles_version``), read in a worker thread through its read-only connection
(never on the event loop, never waiting for the writer): a crowd asking for the day's
article costs one version check each.
"""

from __future__ import annotations

import re

from telegram import LinkPreviewOptions, Update

from bot import digest as digests
from bot.locales import ENGLISH, N_, Translator, translator
from bot.store.stories import StoryStore
from bot.telegram import replies
from bot.telegram.handlers import common
from bot.telegram.ptb import send_html
from bot.telegram.replies import ARTICLE_USAGE, PAGE_SIZE, echo
from bot.telegram.runtime import BotContext, Runtime
from bot.telegram.updates import ArticleRequest

__all__ = ["article", "article_request", "button"]

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def _article_reply(
    rt: Runtime, chat_id: int, number: int, t: Translator = ENGLISH
) -> list[tuple[str, str | None]] | None:
    """The messages of ``/article N`` in chat ``chat_id`` in ``t``'s language, or None
    when there is no such article for it (none, retired, or another chat's private one:
    the same answer). Kept per article and language.

    Kept until an article changes (``Store.articles_version``): a crowd asking for the
    day's article costs one composition and one version check each, not two queries
    and a composition each. Blocking reads (each through the thread's own read-only
    connection, never waiting for the writer): run it in a worker thread. A reply
    composed from older rows while another thread saw a change is not kept. Only
    replies that are the same in every chat are kept (the article and its whole story
    shared); one that involves a private article is composed for the asking chat each
    time, so no chat is ever handed another's."""
    version = rt.store.articles_version()
    with rt.article_replies_lock:
        if version != rt.article_replies_version:
            rt.article_replies.clear()
            rt.article_replies_version = version
        reply = rt.article_replies.get((number, t.language))
    if reply is not None:
        return reply
    entry = rt.store.get_article(number, chat_id)
    if entry is None:
        return None
    stories = StoryStore(rt.store)
    members = stories.members(number, chat_id)
    also = [digests.Also(m.number, m.source_name, m.url) for m in members if m.number != number]
    reply = replies.article_messages(entry, rt.store.next_article(number, chat_id), also, t=t)
    if stories.same_for_everyone(number):
        with rt.article_replies_lock:
            # Composed from the rows of `version`: kept only while that is still current.
            if rt.article_replies_version == version:
                rt.article_replies.put((number, t.language), reply)  # bounded in entries and bytes
    return reply


async def _send_article(context: BotContext, chat_id: int, topic: int | None, number: int) -> bool:
    """Send article ``number``'s messages; False if there is no such article (any more)."""
    reply = await common.db(_article_reply, context.runtime, chat_id, number, context.t)
    if reply is None:
        return False
    for text, markup in reply:
        await send_html(context.bot, chat_id, text, markup, topic)
    return True


async def _send_list(update: Update, context: BotContext) -> None:
    rt = context.runtime
    total = await common.db(rt.store.count_articles)
    if total == 0:
        text = context.t("No articles yet: they appear here as soon as they are read in.")
        await common.reply(update, text)
        return
    entries = await common.db(rt.store.list_articles, 0, PAGE_SIZE)
    text, markup = replies.list_page(entries, 1, total, t=context.t)
    await common.reply(update, text, reply_markup=markup)


async def article(update: Update, context: BotContext) -> None:
    rt = context.runtime
    if common.too_long(context):
        await common.refuse_long(update, context, ARTICLE_USAGE)
        return
    args = context.args or []
    if not args:
        await _send_list(update, context)
        return
    message = update.effective_message
    assert message is not None
    if len(args) == 1 and re.fullmatch(r"[+-]?\d+", args[0]):
        await _article_by_number(context, message.chat_id, common.topic(message), args[0])
        return
    # Words: search the titles.
    words = args[:10]
    matches = await common.db(rt.store.search_articles, words, PAGE_SIZE + 1)
    if not matches:
        await common.reply(
            update,
            context.t(
                "No article title contains “{words}”. /article lists them all.",
                words=echo(" ".join(words)),
            ),
        )
        return
    if len(matches) == 1:
        await _send_article(context, message.chat_id, common.topic(message), matches[0].number)
        return
    text, keyboard = replies.search_results(words, matches, t=context.t)
    await common.reply(update, text, reply_markup=keyboard)


async def _article_by_number(
    context: BotContext, chat_id: int, topic: int | None, argument: str
) -> None:
    """``/article N`` (``argument`` is N as typed), from the handler or the fast lane."""
    rt = context.runtime
    number = int(argument)
    if number < 1:
        await send_html(
            context.bot,
            chat_id,
            context.t(
                "“{argument}” is not an article number: they start at 1.", argument=echo(argument)
            )
            + "\n"
            + context.t(ARTICLE_USAGE),
            message_thread_id=topic,
        )
        return
    if number >= 2**63 or not await _send_article(context, chat_id, topic, number):
        total = await common.db(rt.store.count_articles)
        await send_html(
            context.bot,
            chat_id,
            context.t.plural(
                "There is no article {number} ({count} article now). /article lists them.",
                "There is no article {number} ({count} articles now). /article lists them.",
                total,
                number=echo(argument),
            )
            + "\n"
            + context.t(ARTICLE_USAGE),
            message_thread_id=topic,
        )


async def article_request(request: ArticleRequest, context: BotContext) -> None:
    """``/article N`` as the fast lane hands it over (``bot.telegram.updates``): as ``article``
    (no Update, so the chat's language is read here)."""
    language = await common.db(context.runtime.store.chat_language, request.chat_id)
    context.t = translator(language)
    await _article_by_number(context, request.chat_id, request.thread_id, request.argument)


_BUTTON = re.compile(r"(list|art):([0-9]{1,9})")
STALE_BUTTON = N_("This button is out of date: send /article again.")


async def button(update: Update, context: BotContext) -> None:
    """Inline buttons: ``list:PAGE`` turns the list's page, ``art:N`` shows an article.

    Every query is answered (Telegram shows a spinner until then); forged or stale data
    gets "out of date". A query without its message (too old for Telegram to attach)
    is answered silently: there is nothing to edit and no chat to send to."""
    rt = context.runtime
    query = update.callback_query
    assert query is not None
    message = query.message
    if message is None or update.effective_chat is None:
        await query.answer()
        return
    match = _BUTTON.fullmatch(query.data or "")
    if match is None:
        await query.answer(context.t(STALE_BUTTON), show_alert=True)
        return
    kind, value = match[1], int(match[2])
    if kind == "list":
        total = await common.db(rt.store.count_articles)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(value, 1), pages)
        entries = await common.db(rt.store.list_articles, (page - 1) * PAGE_SIZE, PAGE_SIZE)
        await query.answer()
        if not entries:
            await query.edit_message_text(context.t("No articles yet."))
            return
        text, markup = replies.list_page(entries, page, total, t=context.t)
        await common.edit(query, text, markup, link_preview_options=_NO_PREVIEW)
        return
    if await common.db(_article_reply, rt, update.effective_chat.id, value, context.t) is None:
        await query.answer(context.t("That article is no longer available."), show_alert=True)
        return
    await query.answer()
    await _send_article(context, update.effective_chat.id, common.topic(message), value)
