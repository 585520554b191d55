"""Updates from Telegram: how they are fetched, the light ``/article N`` request, and the
order in which one chat's updates are handled.

``/article N`` is what a crowd sends at once (a link to the day's article shared in a
big group): answering 500 chats within 100 ms leaves about 0.2 ms of CPU per update, and
python-telegram-bot spends ~0.1 ms of that just building an ``Update`` out of the JSON (a
``Message`` sets some 240 attributes). So :class:`DigestBot` -- the bot's ``ExtBot`` --
turns each update that is exactly ``/article <digits>`` into a small
:class:`ArticleRequest` and gives every other update to PTB as usual. Both kinds go
through PTB's update queue, update processor and handlers (a ``TypeHandler`` answers
ArticleRequest), so stopping, error handling and offsets stay PTB's, and the reply is the
very one the ``/article`` command handler gives.

:class:`PerChatUpdateProcessor` handles updates of different chats concurrently and one
chat's updates -- ArticleRequests included -- in the order they came.

Long polling only: in webhook mode PTB's web server parses each update itself.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor, ExtBot
from telegram.request import BaseRequest

from bot.ptb import post_get_updates

log = logging.getLogger(__name__)

__all__ = ["ArticleRequest", "DigestBot", "PerChatUpdateProcessor", "article_request"]

# Longer numbers are never articles; the /article handler explains that better.
_MAX_DIGITS = 18


@dataclass(frozen=True, slots=True)
class ArticleRequest:
    """``/article N`` from a chat (``argument`` is N as typed: "3", "007")."""

    update_id: int
    chat_id: int
    thread_id: int | None  # the forum topic to answer in, if any
    argument: str


def article_request(raw: dict[str, Any], username: str) -> ArticleRequest | None:
    """The ArticleRequest an update (Bot API JSON) is, or None for anything else.

    Matches exactly what the ``/article`` CommandHandler and its numeric branch would:
    a message whose first entity is a ``bot_command`` at offset 0 naming ``article``
    (``/article@<username>`` too, in any case), with one argument of ASCII digits.
    """
    message = raw.get("message")
    if not isinstance(message, dict):
        return None
    text = message.get("text")
    entities = message.get("entities")
    if not isinstance(text, str) or not entities or not isinstance(entities, list):
        return None
    first = entities[0]
    if (
        not isinstance(first, dict)
        or first.get("type") != "bot_command"
        or first.get("offset") != 0
        or not isinstance(first.get("length"), int)
    ):
        return None
    # As PTB's CommandHandler: the command is text[1:length], "name" or "name@bot"
    # ("/article@" names no bot, so it is not ours either).
    parts = [*text[1 : first["length"]].split("@"), username]
    if parts[0].lower() != "article" or parts[1].lower() != username.lower():
        return None
    arguments = text.split()[1:]
    if len(arguments) != 1:
        return None
    argument = arguments[0]
    if not (argument.isascii() and argument.isdigit() and len(argument) <= _MAX_DIGITS):
        return None
    chat = message.get("chat")
    if not isinstance(chat, dict) or not isinstance(chat.get("id"), int):
        return None
    thread_id = message.get("message_thread_id") if message.get("is_topic_message") else None
    return ArticleRequest(raw["update_id"], chat["id"], thread_id, argument)


class DigestBot(ExtBot):
    """PTB's ``ExtBot``, whose ``get_updates`` returns an :class:`ArticleRequest` instead
    of an ``Update`` for each ``/article N`` (see the module docstring)."""

    async def initialize(self) -> None:
        """``ExtBot.initialize``; when it fails (its getMe: a rejected token, no network)
        the request objects it opened are closed again, since PTB's Application then
        skips the bot's shutdown and an aiohttp session would be left open."""
        try:
            await super().initialize()
        except BaseException:
            await self.shutdown()
            raise

    async def get_updates(  # type: ignore[override]  # ArticleRequests besides Updates
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: float | dt.timedelta | None = None,
        allowed_updates: Sequence[str] | None = None,
        *,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
        api_kwargs: dict[str, Any] | None = None,
    ) -> tuple[Update | ArticleRequest, ...]:
        """``Bot.get_updates``, with ``/article N`` updates as ArticleRequests."""
        # PTB's own request and parameters (bot.ptb), our parsing of the answer.
        result = await post_get_updates(
            self,
            offset,
            limit,
            timeout,
            allowed_updates,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
            api_kwargs=api_kwargs,
        )
        username = self.username
        updates: list[Update | ArticleRequest] = []
        for raw in result:
            request = article_request(raw, username)
            if request is not None:
                updates.append(request)
                continue
            try:
                update = Update.de_json(raw, self)
            except Exception:
                # As PTB: the updater only logs that something failed, so say what here.
                log.critical("cannot parse an update from Telegram: %r", raw, exc_info=True)
                raise
            self.insert_callback_data(update)
            updates.append(update)
        return tuple(updates)


def _chat_of(update: object) -> int | None:
    if isinstance(update, ArticleRequest):
        return update.chat_id
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats are handled concurrently, one chat's in order.

    python-telegram-bot's default handles one update at a time (a slow reply holds up
    every chat) and ``concurrent_updates(True)`` may answer a chat's /status before its
    /subscribe. This keeps the order within each chat."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._chats: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Coroutine[Any, Any, Any]) -> None:
        chat_id = _chat_of(update)
        if chat_id is None:
            await coroutine
            return
        lock, users = self._chats.get(chat_id, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._chats[chat_id] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._chats[chat_id]
            if users <= 1:
                del self._chats[chat_id]
            else:
                self._chats[chat_id] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
