"""The chat side of OPML (admins only): ``/opml`` sends the feeds as an OPML file; an
OPML file sent with the caption ``/opml`` is imported, each feed added as ``/addfeed``
adds one, and answered with one summary. Thin handlers over :mod:`bot.feeds.exchange` and
:mod:`bot.feeds.opml`; for anyone else ``/opml`` is an unknown command.

The file is checked before it is downloaded (Telegram says its size) and read with the
safe parser of :func:`bot.feeds.opml.parse_opml`; every refusal is one line.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re

from telegram import InputFile, Update
from telegram.error import TelegramError

from bot.feeds.exchange import ImportLine, ImportReport, export_opml, import_feeds
from bot.feeds.opml import MAX_OPML_BYTES, OpmlDocument, OpmlError, parse_opml, too_big
from bot.locales import ENGLISH, N_, Translator, say
from bot.telegram import replies
from bot.telegram.handlers import common
from bot.telegram.replies import echo
from bot.telegram.runtime import BotContext

__all__ = [
    "EXPORT_FILE_NAME",
    "OPML_CAPTION",
    "import_report_text",
    "opml_export",
    "opml_import",
    "read_opml",
]

log = logging.getLogger("bot.telegram.handlers.opml")

EXPORT_FILE_NAME = "digestbot-feeds.opml"
# A document whose caption is the command: "/opml", "/opml@ourbot" (checked in the handler).
OPML_CAPTION = re.compile(r"^/opml(?:@(\w+))?(?:\s|$)", re.IGNORECASE)
NO_FEEDS = N_("There are no feeds to export yet: /addfeed URL adds one.")
LISTED = 10  # feeds named per outcome in the import's reply; the rest are counted
URL_CHARS = 100


async def opml_export(update: Update, context: BotContext) -> None:
    """Admin: ``/opml`` sends every feed as an OPML 2.0 file."""
    rt = context.runtime
    if not common.is_operator(update, rt):
        await common.refuse_unknown(update, t=context.t)
        return
    message = update.effective_message
    if rt.feeds is None or message is None:
        return
    data, count = await common.db(export_opml, rt.feeds)
    if not count:
        await common.reply(update, context.t(NO_FEEDS))
        return
    await update.get_bot().send_document(
        message.chat_id,
        InputFile(data, filename=EXPORT_FILE_NAME),
        caption=context.t.plural(
            "{count} feed as OPML: import the file into Feedly, Inoreader or Miniflux, "
            "or send it back with the caption /opml.",
            "{count} feeds as OPML: import the file into Feedly, Inoreader or Miniflux, "
            "or send it back with the caption /opml.",
            count,
        ),
        message_thread_id=common.topic(message),
    )


async def opml_import(update: Update, context: BotContext) -> None:
    """Admin: a document with the caption ``/opml`` -- import its feeds."""
    rt = context.runtime
    message = update.effective_message
    if message is None or message.document is None:
        return
    match = OPML_CAPTION.match(message.caption or "")
    if match is None:
        return
    addressee = match[1]
    chat = update.effective_chat
    if addressee and addressee.lower() != (context.bot.username or "").lower():
        return  # "/opml@otherbot": for another bot in this group
    if not common.is_operator(update, rt):
        if addressee or (chat is not None and chat.type == "private"):
            await common.refuse_unknown(update, t=context.t)
        return
    if rt.feeds is None or rt.poller is None:
        return
    name = message.document.file_name or "the file"
    parsed = await read_opml(update, context.t)
    if parsed is None:
        return
    user = update.effective_user
    async with common.typing(update):
        report = await import_feeds(rt.feeds, rt.poller, parsed, added_by=user.id if user else None)
    log.info("%s: /opml import: %s", common.who(update), report.summary())
    # The new feeds' first polls start beside the reply (in rt.feed_polls from now on).
    for line in report.added:
        assert line.feed is not None
        rt.feed_polls.add(task := asyncio.create_task(rt.poller.poll_feed(line.feed)))
        task.add_done_callback(rt.feed_polls.discard)
    await common.reply(update, import_report_text(name, report, context.t))


async def read_opml(update: Update, t: Translator = ENGLISH) -> OpmlDocument | None:
    """The OPML file the update's message carries, checked before it is downloaded
    (Telegram says its size) and read with the safe parser; None (after a one-line
    reply saying why, in ``t``'s language) when it cannot be."""
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    name = document.file_name or "the file"
    if document.file_size is not None and document.file_size > MAX_OPML_BYTES:
        await common.reply(update, _refused(name, too_big(document.file_size).said(t), t))
        return None
    try:
        file = await document.get_file()
        if file.file_size is not None and file.file_size > MAX_OPML_BYTES:
            await common.reply(update, _refused(name, too_big(file.file_size).said(t), t))
            return None
        data = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        reason = t("Telegram did not hand the file over ({error})", error=exc)
        await common.reply(update, _refused(name, reason, t))
        return None
    try:
        return await asyncio.to_thread(parse_opml, data)
    except OpmlError as exc:
        await common.reply(update, _refused(name, exc.said(t), t))
        return None


def import_report_text(name: str, report: ImportReport, t: Translator = ENGLISH) -> str:
    """The one reply to an import, in ``t``'s language: the counts, then the feeds by
    outcome (at most :data:`LISTED` named each, so the reply stays one message)."""
    summary = t.plural(
        "Imported {name}: {count} feed in the file: {added} added, {skipped} skipped, "
        "{failed} failed.",
        "Imported {name}: {count} feeds in the file: {added} added, {skipped} skipped, "
        "{failed} failed.",
        len(report.lines),
        name=echo(name),
        added=t.number(report.count("added")),
        skipped=t.number(report.count("skipped")),
        failed=t.number(report.count("failed")),
    )
    lines = [summary]
    headings = (("added", t("Added:")), ("skipped", t("Skipped:")), ("failed", t("Failed:")))
    for outcome, heading in headings:
        chosen = [line for line in report.lines if line.outcome == outcome]
        if not chosen:
            continue
        lines.append(f"\n{heading}")
        lines += [_line(line, t) for line in chosen[:LISTED]]
        if len(chosen) > LISTED:
            lines.append(t("… and {count} more", count=t.number(len(chosen) - LISTED)))
    if report.added:
        lines.append("\n" + t("New feeds are read from now on; /sources lists them."))
    return "\n".join(lines)


def _line(line: ImportLine, t: Translator) -> str:
    if line.outcome == "added":
        assert line.feed is not None
        return f"{line.feed.id}. {html.escape(_cut(line.feed.label))}"
    return f"{html.escape(_cut(line.url))} — {html.escape(_cut(say(line.reason, t)))}"


def _cut(text: str) -> str:
    return text if len(text) <= URL_CHARS else text[: URL_CHARS - 1] + "…"


def _refused(name: str, reason: str, t: Translator = ENGLISH) -> str:
    return replies.import_refused_text(name, reason, t=t)
