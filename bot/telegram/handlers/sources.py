"""The chat side of feeds: ``/sources`` with its toggle buttons, ``/addfeed`` and
``/removefeed`` (admins), as thin handlers over :class:`bot.store.feeds.FeedStore`,
:class:`bot.feeds.poll.Poller` and the texts in :mod:`bot.telegram.replies`.

Every chat reads every source until it turns one off (a forum topic with a digest of
its own has its own sources: ``/sources`` and its buttons act on the topic they are
in); a digest then holds only articles from the sources still on (the store's unseen
query reads ``chat_sources_off``). The list shows the operator's shared feeds that have
worked at least once, then the feeds the chat follows of its own
(:mod:`bot.telegram.handlers.userfeeds`). A feed an admin adds is fetched and parsed once
before it is stored, then polled like the config's feeds; config feeds cannot be
removed here.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from functools import partial

from telegram import InlineKeyboardMarkup, Update

from bot.articles.text import clean_text
from bot.errors import FetchError
from bot.feeds.parse import NotAFeed, ParsedFeed
from bot.locales import ENGLISH, Translator
from bot.store.feeds import SEEDS
from bot.telegram import replies
from bot.telegram.handlers import common
from bot.telegram.runtime import BotContext, Runtime

__all__ = ["addfeed", "read_feed", "removefeed", "render", "sources", "toggle_source"]

log = logging.getLogger("bot.telegram.handlers.sources")

SOURCE_BUTTON = re.compile(r"src:(\d{1,9})")


Listing = tuple[list[tuple[int, str]], set[int], list[tuple[int, str]]]


def _listing(rt: Runtime, chat_id: int, topic: int = 0) -> Listing:
    """(shared feeds that have worked at least once, sources off, the chat's own feeds):
    a feed that never worked is not offered to users until its first success."""
    assert rt.feeds is not None
    feeds = [(feed.id, feed.label) for feed in rt.feeds.shared_feeds(working=True)]
    own = [(feed.id, feed.label) for feed in rt.feeds.followed(chat_id, topic=topic)]
    return feeds, rt.feeds.sources_off(chat_id, topic=topic), own


async def render(
    rt: Runtime, chat_id: int, topic: int = 0, *, t: Translator = ENGLISH
) -> tuple[str, InlineKeyboardMarkup]:
    """The ``/sources`` message of a chat (or forum topic): text and buttons."""
    feeds, off, own = await common.db(_listing, rt, chat_id, topic)
    return replies.sources_message(feeds, off, SEEDS, own, seeds_name=rt.config.seeds.name, t=t)


def _source_name(rt: Runtime, source_id: int, feeds: list[tuple[int, str]]) -> str:
    """What the list calls a source: the operator's name for the seeds folder, or the
    feed's label."""
    return rt.config.seeds.name if source_id == SEEDS else dict(feeds).get(source_id, "")


async def sources(update: Update, context: BotContext) -> None:
    """``/sources``: the shared sources with a toggle button each, then the chat's own
    feeds (toggle and ✖)."""
    rt = context.runtime
    chat = update.effective_chat
    if rt.feeds is None or chat is None:
        return
    text, markup = await render(rt, *common.subscriber(update), t=context.t)
    await common.reply(update, text, markup)


async def toggle_source(update: Update, context: BotContext) -> None:
    """A ``src:ID`` button: turn that source on or off for this chat, redraw the list."""
    rt = context.runtime
    query = update.callback_query
    assert query is not None
    chat = update.effective_chat
    match = SOURCE_BUTTON.fullmatch(query.data or "")
    if query.message is None or chat is None or rt.feeds is None:
        await query.answer()
        return
    if not await common.require_admin(update, context):
        return
    chat_id, topic = common.subscriber(update)  # the topic (or channel) of the list
    feeds, _, own = await common.db(_listing, rt, chat_id, topic)
    source_id = int(match[1]) if match else -1
    if source_id != SEEDS and source_id not in {feed_id for feed_id, _ in feeds + own}:
        await query.answer(context.t(replies.STALE_SOURCE_BUTTON), show_alert=True)
        return
    on = await common.db(rt.feeds.toggle_source, chat_id, source_id, topic=topic)
    await query.answer(
        replies.source_toggled_text(_source_name(rt, source_id, feeds + own), on, t=context.t)
    )
    text, markup = await render(rt, chat_id, topic, t=context.t)
    await common.edit(query, common.named(update, text), markup)


async def addfeed(update: Update, context: BotContext) -> None:
    """Admin: ``/addfeed URL [NAME]``, validated by fetching and parsing it once; NAME
    (else the feed's title) is what chats see, and renames a feed already added."""
    rt = context.runtime
    if not common.is_operator(update, rt):
        await common.refuse_unknown(update, t=context.t)
        return
    parts = common.argument(context).split(maxsplit=1)
    url = parts[0] if parts else ""
    name = " ".join(clean_text(parts[1]).split()) if len(parts) > 1 else ""
    if not url or len(url) > 2000 or len(name) > replies.FEED_NAME_CHARS:
        await common.reply(update, context.t(replies.ADDFEED_USAGE))
        return
    if rt.poller is None or rt.feeds is None:
        return
    poller = rt.poller
    found = await read_feed(
        update,
        url,
        lambda: poller.probe(url),
        partial(replies.feed_refused_text, t=context.t),
        "/addfeed",
        context.t,
    )
    if found is None:
        return
    final, parsed = found
    user = update.effective_user
    feed, new = await common.db(
        rt.feeds.add_feed, final, title=parsed.title, added_by=user.id if user else None
    )
    if name:
        renamed = await common.db(rt.feeds.rename_feed, feed.id, name)
        if renamed is None:
            await common.reply(
                update, replies.config_feed_name_text(feed.id, feed.label, t=context.t)
            )
            return
        if not new and renamed.label != feed.label:
            log.info(
                "%s: /addfeed renamed feed %s (%s) to %s",
                common.who(update),
                feed.id,
                feed.url,
                renamed.label,
            )
            await common.reply(
                update, replies.feed_renamed_text(feed.id, renamed.label, t=context.t)
            )
            return
        feed = renamed
    if new:
        log.info(
            "%s: /addfeed added feed %s %s (%s)", common.who(update), feed.id, feed.label, feed.url
        )
    minutes = rt.poller.interval(feed) / 60
    await common.reply(
        update,
        replies.feed_added_text(
            feed.id, feed.label, len(parsed.entries), minutes, new, t=context.t
        ),
    )
    if new:
        rt.feed_polls.add(task := asyncio.create_task(rt.poller.poll_feed(feed)))
        task.add_done_callback(rt.feed_polls.discard)


async def read_feed(
    update: Update,
    url: str,
    find: Callable[[], Awaitable[tuple[str, ParsedFeed]]],
    refused: Callable[[str, str], str],
    command: str,
    t: Translator = ENGLISH,
) -> tuple[str, ParsedFeed] | None:
    """``find()`` the feed (``/addfeed``, ``/add``) while Telegram shows "typing…";
    (final URL, parsed feed), or None after a one-line ``refused(url, reason)`` reply."""
    try:
        async with common.typing(update):
            return await find()
    except FetchError as exc:
        await common.reply(update, refused(url, exc.said(t)))
    except NotAFeed as exc:
        await common.reply(update, refused(url, exc.said(t)))
    except Exception as exc:  # a document nobody foresaw still gets its one-line answer
        log.exception(
            "%s %s: reading it failed: the chat was told; a bug, report it with this traceback",
            command,
            url,
        )
        reason = t("cannot read it as a feed ({error})", error=type(exc).__name__)
        await common.reply(update, refused(url, reason))
    return None


async def removefeed(update: Update, context: BotContext) -> None:
    """Admin: ``/removefeed N`` stops polling a feed an admin added."""
    rt = context.runtime
    if not common.is_operator(update, rt):
        await common.refuse_unknown(update, t=context.t)
        return
    argument = common.argument(context).strip()
    if not argument.isdigit() or len(argument) > 9 or rt.feeds is None:
        await common.reply(update, context.t(replies.REMOVEFEED_USAGE))
        return
    feed_id = int(argument)
    removed = await common.db(rt.feeds.remove_feed, feed_id)
    if removed is not None:
        log.info(
            "%s: /removefeed removed feed %s %s (%s)",
            common.who(update),
            feed_id,
            removed.label,
            removed.url,
        )
    await common.reply(
        update, replies.feed_removed_text(feed_id, removed.label if removed else None, t=context.t)
    )
