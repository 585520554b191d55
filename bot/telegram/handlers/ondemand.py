"""Summaries on demand in Telegram: ``/summarize``, links and long texts in private chats,
and the "Add to my digest" button.

The handlers are thin like the others (sharing :mod:`bot.telegram.handlers.common`): what
a message asks is decided by :func:`bot.web.links.what_is_asked`, the page comes from the
runtime's :class:`~bot.web.fetch.Fetcher` (the SSRF fence, size and time limits, the cache
by canonical URL), extraction and summarizing run in :class:`Workers` (a process pool:
never on the event loop, and not in its process either, so the GIL stays with the
loop) and the reply is :func:`bot.web.links.summary_messages`. Per chat one request is in
flight and at most ``[fetch] per_chat_per_hour`` start in an hour (``Runtime.quotas``: the
fetcher's quota, or the same rules in Redis for several processes, bot.cluster.state);
while a page is fetched and read the chat shows "typing". Every failure gets one plain
sentence, never silence and never a traceback.

They are registered with ``block=False``: a slow page does not hold up the chat's other
commands (the per-chat update order of :mod:`bot.telegram.updates` would), and the quota's "one
in flight" is what keeps a chat to one page at a time.
"""

from __future__ import annotations

import asyncio
import html
import logging

from telegram import Message, Update
from telegram.ext import filters

from bot.errors import FetchError, NotAnArticle, TooManyRequests
from bot.telegram import replies
from bot.telegram.handlers import common
from bot.telegram.handlers.commands import plain_text
from bot.telegram.ptb import send_html
from bot.telegram.runtime import BotContext, Runtime
from bot.web import links
from bot.web.links import Ask, PageSummary
from bot.web.urls import canonical_url

__all__ = ["MEDIA", "add_button", "private_text", "summarize_command"]

log = logging.getLogger(__name__)

# Messages that are not text but may carry a caption: answered in private chats.
MEDIA = (
    filters.PHOTO
    | filters.VIDEO
    | filters.ANIMATION
    | filters.Sticker.ALL
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO_NOTE
    | filters.CONTACT
    | filters.POLL
)


# -- reading a message ----------------------------------------------------------------


def _text_of(message: Message | None) -> str | None:
    if message is None:
        return None
    return message.text or message.caption


def _hidden_links(message: Message | None) -> list[str]:
    """Links behind words (``text_link`` entities), as forwarded posts carry them."""
    if message is None:
        return []
    entities = message.entities or message.caption_entities or ()
    return [e.url for e in entities if e.type == "text_link" and e.url]


def _argument(message: Message) -> str:
    """What follows ``/summarize`` in the message, line breaks kept."""
    parts = (message.text or "").split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


# -- handlers -------------------------------------------------------------------------


async def summarize_command(update: Update, context: BotContext) -> None:
    """``/summarize LINK``, ``/summarize TEXT`` or ``/summarize`` replying to a message
    (its link, else its text); in any chat."""
    message = update.effective_message
    assert message is not None
    argument = _argument(message)
    if argument.strip():
        ask = links.what_is_asked(argument)
    else:
        replied = message.reply_to_message
        ask = links.what_is_asked(_text_of(replied), _hidden_links(replied))
    if ask.kind == "nothing":
        await common.reply(update, context.t(replies.SUMMARIZE_USAGE))
        return
    if ask.kind == "short":
        await common.reply(update, replies.short_text(ask.words, t=context.t))
        return
    await _serve(update, context, ask)


async def private_text(update: Update, context: BotContext) -> None:
    """Text in a private chat: a link or a long text is summarized; anything shorter
    gets the usual hint (:func:`bot.telegram.handlers.commands.plain_text`)."""
    message = update.effective_message
    assert message is not None
    ask = links.what_is_asked(_text_of(message), _hidden_links(message))
    if ask.kind in ("link", "text"):
        await _serve(update, context, ask)
    else:
        await plain_text(update, context)


async def add_button(update: Update, context: BotContext) -> None:
    """ "Add to my digest": the summarized page becomes an article in the chat's next
    digest. What goes into a group's digest is its administrators' to decide: anyone
    else's press is refused and adds nothing. A forged, foreign or forgotten token is
    answered "out of date"."""
    rt = context.runtime
    query = update.callback_query
    assert query is not None
    chat = update.effective_chat
    token = (query.data or "").removeprefix(links.ADD_PREFIX)
    summary = None
    if chat is not None and rt.pending is not None:
        summary = await rt.pending.get(chat.id, token)
    if summary is None or chat is None:
        await query.answer(context.t(replies.ADD_STALE), show_alert=True)
        return
    if not await common.require_admin(update, context):
        return
    article = links.as_article(summary)
    topic = common.topic(query.message) or 0  # a forum topic's own digest
    number, added = await common.db(
        rt.store.add_to_digest, chat.id, article, summary.sentences, topic=topic
    )
    await query.answer(replies.added_text(number, added, summary.title, t=context.t))


# -- the work -------------------------------------------------------------------------


async def _serve(update: Update, context: BotContext, ask: Ask) -> None:
    rt = context.runtime
    message = update.effective_message
    assert message is not None and rt.fetcher is not None and rt.pending is not None
    assert rt.quotas is not None
    chat_id, topic = message.chat_id, common.topic(message)
    if ask.kind == "link":
        try:
            rt.fetcher.check(ask.value)  # a refused link costs nothing, not even quota
        except FetchError as exc:
            await common.reply(update, html.escape(exc.said(context.t)))
            return
    quota = rt.quotas
    try:
        await quota.admit(chat_id)
    except TooManyRequests as exc:
        per_hour = rt.config.fetch.per_chat_per_hour
        await common.reply(
            update, html.escape(replies.busy_text(exc.busy, exc.retry_in, per_hour, t=context.t))
        )
        return
    try:
        try:
            async with common.typing_in(context.bot, chat_id, topic):
                summary = await _summary(rt, ask)
        except FetchError as exc:
            await common.reply(update, html.escape(exc.said(context.t)))
            return
        except NotAnArticle:
            await common.reply(update, html.escape(context.t(replies.NO_ARTICLE_TEXT)))
            return
        except Exception:
            log.exception(
                "summary of %s failed: the chat was told; a bug, report it with this traceback",
                ask.value[:200] if ask.kind == "link" else "a text",
            )
            await common.reply(update, html.escape(context.t(replies.SUMMARY_FAILED)))
            return
        token = await rt.pending.add(chat_id, summary)
        for text, markup in links.summary_messages(summary, token, t=context.t):
            await send_html(context.bot, chat_id, text, markup, topic)
    finally:
        await quota.done(chat_id)


async def _summary(rt: Runtime, ask: Ask) -> PageSummary:
    """Fetch (a link) and summarize, off the event loop."""
    assert rt.fetcher is not None and rt.workers is not None
    sentences, language = rt.config.summary.sentences, rt.config.summary.language
    if ask.kind == "text":
        return await rt.workers.run(
            links.summarize_text, ask.value, sentences=sentences, language=language
        )
    page = await rt.fetcher.fetch(ask.value)
    # The same page (a link shared in many chats: the same URL and the same body) is
    # extracted and summarized once, also when asked at once. Kept: the summaries, by
    # the body's digest, never the bodies themselves (bounded in bytes: bot.caches).
    key = (canonical_url(page.final_url), page.digest)
    done = rt.page_summaries.get(key)
    if done is not None:
        return done
    work = rt.summaries_in_flight.get(key)
    if work is None:
        work = asyncio.ensure_future(
            rt.workers.run(
                links.summarize_page,
                page.text,
                page.final_url,
                sentences=sentences,
                language=language,
                plain=page.content_type == "text/plain",
            )
        )
        rt.summaries_in_flight[key] = work
        work.add_done_callback(lambda finished: _finished(rt, key, finished))
    del page  # not held while the workers read it: the fetcher's cache decides
    return await asyncio.shield(work)


def _finished(rt: Runtime, key: tuple[str, str], work: asyncio.Future[PageSummary]) -> None:
    """A summary is done: kept for the next ask (a failed one is tried again then)."""
    if rt.summaries_in_flight.get(key) is work:
        del rt.summaries_in_flight[key]
    if not work.cancelled() and work.exception() is None:
        rt.page_summaries.put(key, work.result())
