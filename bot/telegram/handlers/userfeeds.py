"""A chat's own feeds: ``/add URL``, ``/remove`` (and its ✖ buttons), ``/export``, and an
OPML file sent to the bot, as thin handlers over :class:`bot.store.feeds.FeedStore`,
:func:`bot.feeds.discover.find_feed`, :mod:`bot.feeds.exchange` and the texts in
:mod:`bot.telegram.replies`.

Anyone may follow feeds in a private chat; in groups the administrators (channels:
their posts). ``/add`` takes a feed's address or any page that declares its feed
(``<link rel="alternate">``), shows "typing" while it fetches, and answers one line
naming the feed and its newest article, or why not. A URL that is already a feed that
works is followed without fetching anything. A feed's row is shared by all its
followers (polled once per interval); its articles reach the digests of the chats
that follow it (and every chat's when the operator shares it too). Limits:
``[sources] max_per_chat`` feeds per chat, ``max_feeds`` feeds polled in all;
``user_feeds = false`` turns all of it off.
"""

from __future__ import annotations

import asyncio
import logging
import re
from functools import partial

from telegram import InputFile, Update
from telegram.ext import filters

from bot.feeds.discover import find_feed
from bot.feeds.exchange import export_opml, import_follows
from bot.feeds.parse import ParsedFeed
from bot.locales import ENGLISH, Translator
from bot.store.feeds import FeedRow, Follow
from bot.telegram import replies
from bot.telegram.handlers import common
from bot.telegram.handlers.opml import import_report_text, read_opml
from bot.telegram.handlers.sources import read_feed, render
from bot.telegram.runtime import BotContext, Runtime

__all__ = [
    "EXPORT_FILE_NAME",
    "IMPORT_CAPTION",
    "IMPORT_FILTER",
    "UNFOLLOW_BUTTON",
    "add",
    "export",
    "import_file",
    "remove",
    "unfollow_button",
]

log = logging.getLogger("bot.telegram.handlers.userfeeds")

EXPORT_FILE_NAME = "my-feeds.opml"
MAX_URL_CHARS = 2000
# "unf:ID" from /remove's list, "unf:ID:s" from /sources (redrawn as /sources).
UNFOLLOW_BUTTON = re.compile(r"unf:(\d{1,9})(:s)?")
IMPORT_CAPTION = re.compile(r"^/import(?:@(\w+))?(?:\s|$)", re.IGNORECASE)
# An OPML file: captioned /import anywhere, or any .opml file in a private chat.
IMPORT_FILTER = (
    filters.UpdateType.MESSAGE
    & filters.Document.ALL
    & (
        filters.CaptionRegex(IMPORT_CAPTION)
        | (
            filters.ChatType.PRIVATE
            & ~filters.CAPTION
            & (filters.Document.FileExtension("opml") | filters.Document.MimeType("text/x-opml"))
        )
    )
)


async def _allowed(update: Update, context: BotContext) -> bool:
    """The sender may change this chat's feeds (private chats: anyone; groups: admins),
    and the operator lets users follow feeds; otherwise a one-line refusal."""
    if not await common.require_admin(update, context):
        return False
    if not context.runtime.config.sources.user_feeds:
        await common.reply(update, context.t(replies.USER_FEEDS_OFF))
        return False
    return True


def _newest(parsed: ParsedFeed) -> str | None:
    """The title of the feed's newest entry (by publication date, else the first)."""
    titled = [entry for entry in parsed.entries if entry.title]
    if not titled:
        return None
    dated = [(entry.published, entry.title) for entry in titled if entry.published is not None]
    return max(dated)[1] if dated else titled[0].title


def _first_poll(rt: Runtime, feed: FeedRow | None) -> None:
    """A feed never polled is polled now (beside the reply), not at its spread time."""
    if feed is None or rt.poller is None or feed.next_poll_at is not None:
        return
    rt.feed_polls.add(task := asyncio.create_task(rt.poller.poll_feed(feed)))
    task.add_done_callback(rt.feed_polls.discard)


def _follow(rt: Runtime, chat_id: int, topic: int, url: str, **kwargs: object) -> Follow:
    assert rt.feeds is not None
    sources = rt.config.sources
    return rt.feeds.follow(
        chat_id,
        url,
        topic=topic,
        max_per_chat=sources.max_per_chat,
        max_feeds=sources.max_feeds,
        **kwargs,  # type: ignore[arg-type]
    )


async def add(update: Update, context: BotContext) -> None:
    """``/add URL``: follow the feed at URL, or the one the page at URL declares."""
    rt = context.runtime
    if rt.feeds is None or rt.poller is None or not await _allowed(update, context):
        return
    url = common.argument(context).strip()
    if not url or len(url) > MAX_URL_CHARS or any(c.isspace() for c in url):
        await common.reply(update, context.t(replies.ADD_USAGE))
        return
    if "://" not in url:
        url = "https://" + url  # "example.org" as people type it
    chat_id, topic = common.subscriber(update)
    user = update.effective_user
    added_by = user.id if user else None
    known = await common.db(rt.feeds.feed_by_url, url)
    if known is not None and known.removed_at is None and known.last_success_at is not None:
        # Polled already for other chats: followed without fetching it again.
        done = await common.db(_follow, rt, chat_id, topic, url, added_by=added_by)
        newest = await common.db(rt.feeds.newest_title, known.id)
        await _answer(update, rt, url, done, newest, context.t)
        return
    poller = rt.poller
    found = await read_feed(
        update,
        url,
        lambda: find_feed(poller, url),
        partial(replies.follow_refused_text, t=context.t),
        "/add",
        context.t,
    )
    if found is None:
        return
    final, parsed = found
    done = await common.db(
        _follow, rt, chat_id, topic, final, title=parsed.title, added_by=added_by
    )
    await _answer(update, rt, url, done, _newest(parsed), context.t)


async def _answer(
    update: Update,
    rt: Runtime,
    url: str,
    done: Follow,
    newest: str | None,
    t: Translator = ENGLISH,
) -> None:
    assert rt.poller is not None
    feed = done.feed
    match done.outcome:
        case "followed":
            assert feed is not None
            _first_poll(rt, feed)  # started before the reply: its articles come sooner
            minutes = rt.poller.interval(feed) / 60
            log.info("%s: /add followed feed %s (%s)", common.who(update), feed.id, feed.url)
            await common.reply(update, replies.followed_text(feed.label, newest, minutes, t=t))
        case "already":
            assert feed is not None
            await common.reply(update, replies.already_followed_text(feed.label, t=t))
        case "shared":
            assert feed is not None
            await common.reply(update, replies.shared_feed_text(feed.label, t=t))
        case "chat_full":
            await common.reply(update, replies.chat_full_text(done.limit, t=t))
        case _:
            await common.reply(update, replies.all_full_text(done.limit, t=t))


async def remove(update: Update, context: BotContext) -> None:
    """``/remove``: the chat's own feeds as buttons; ``/remove N`` stops following N."""
    rt = context.runtime
    if rt.feeds is None or not await common.require_admin(update, context):
        return
    chat_id, topic = common.subscriber(update)
    argument = common.argument(context).strip()
    if argument:
        own = await common.db(rt.feeds.followed, chat_id, topic=topic)
        feed_id = next((f.id for f in own if argument in (str(f.id), f.url)), None)
        row = None
        if feed_id is not None:
            row = await common.db(rt.feeds.unfollow, chat_id, feed_id, topic=topic)
        if row is None:
            await common.reply(update, context.t(replies.NOT_FOLLOWED))
            return
        log.info("%s: /remove unfollowed feed %s (%s)", common.who(update), row.id, row.url)
        await common.reply(update, replies.unfollowed_text(row.label, t=context.t))
        return
    own = await common.db(rt.feeds.followed, chat_id, topic=topic)
    if not own:
        await common.reply(update, context.t(replies.NO_OWN_FEEDS))
        return
    text, markup = replies.remove_message([(f.id, f.label) for f in own], t=context.t)
    await common.reply(update, text, markup)


async def unfollow_button(update: Update, context: BotContext) -> None:
    """A ✖ button (``unf:ID``): stop following that feed, redraw the list it was in."""
    rt = context.runtime
    query = update.callback_query
    assert query is not None
    chat = update.effective_chat
    match = UNFOLLOW_BUTTON.fullmatch(query.data or "")
    if query.message is None or chat is None or rt.feeds is None or match is None:
        await query.answer()
        return
    if not await common.require_admin(update, context):
        return
    chat_id, topic = common.subscriber(update)
    row = await common.db(rt.feeds.unfollow, chat_id, int(match[1]), topic=topic)
    if row is None:
        await query.answer(context.t(replies.NOT_FOLLOWED), show_alert=True)
    else:
        log.info("%s: /remove unfollowed feed %s (%s)", common.who(update), row.id, row.url)
        await query.answer(replies.unfollowed_text(row.label, t=context.t)[:200])
    if match[2]:
        text, markup = await render(rt, chat_id, topic, t=context.t)
    else:
        own = await common.db(rt.feeds.followed, chat_id, topic=topic)
        if own:
            text, markup = replies.remove_message([(f.id, f.label) for f in own], t=context.t)
        else:
            text, markup = context.t(replies.NO_OWN_FEEDS), None
    await common.edit(query, common.named(update, text), markup)


async def export(update: Update, context: BotContext) -> None:
    """``/export``: the feeds the chat follows of its own, as an OPML file."""
    rt = context.runtime
    message = update.effective_message
    if rt.feeds is None or message is None:
        return
    chat_id, topic = common.subscriber(update)
    data, count = await common.db(export_opml, rt.feeds, chat=(chat_id, topic))
    if not count:
        await common.reply(update, context.t(replies.NO_OWN_FEEDS))
        return
    await update.get_bot().send_document(
        message.chat_id,
        InputFile(data, filename=EXPORT_FILE_NAME),
        caption=replies.export_caption(count, t=context.t),
        message_thread_id=common.topic(message),
    )


async def import_file(update: Update, context: BotContext) -> None:
    """An OPML file (a ``.opml`` file in a private chat, or any file captioned
    ``/import``): the chat follows its feeds, with ``/add``'s limits."""
    rt = context.runtime
    message = update.effective_message
    if message is None or message.document is None or rt.feeds is None or rt.poller is None:
        return
    match = IMPORT_CAPTION.match(message.caption or "")
    if match and match[1] and match[1].lower() != (context.bot.username or "").lower():
        return  # "/import@otherbot": for another bot in this group
    if not await _allowed(update, context):
        return
    name = message.document.file_name or "the file"
    parsed = await read_opml(update, context.t)
    if parsed is None:
        return
    chat_id, topic = common.subscriber(update)
    user = update.effective_user
    sources = rt.config.sources
    async with common.typing(update):
        report = await import_follows(
            rt.feeds,
            rt.poller,
            parsed,
            chat_id=chat_id,
            topic=topic,
            added_by=user.id if user else None,
            max_per_chat=sources.max_per_chat,
            max_feeds=sources.max_feeds,
        )
    log.info("%s: OPML import: %s", common.who(update), report.summary())
    for line in report.added:  # the new feeds' first polls start beside the reply
        _first_poll(rt, line.feed)
    await common.reply(update, import_report_text(name, report, context.t))
