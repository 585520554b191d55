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
chat's updates -- ArticleRequests included -- in the order they came; with ``turns``
set (several processes behind one webhook, :class:`bot.cluster.turns.ChatTurns`) one
chat's updates are also handled one at a time across the processes.

Long polling only: in webhook mode PTB's web server parses each update itself.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol

from telegram import Update
from telegram.error import InvalidToken
from telegram.ext import BaseUpdateProcessor, ExtBot
from telegram.request import BaseRequest

from bot.telegram.ptb import post_get_updates

log = logging.getLogger(__name__)

__all__ = ["ArticleRequest", "DigestBot", "PerChatUpdateProcessor", "article_request"]


class Turns(Protocol):
    """A chat's turn across processes (:class:`bot.cluster.turns.ChatTurns`)."""

    def turn(self, chat_id: int) -> AbstractAsyncContextManager[None]: ...


# No other process: the chat's turn in this one is all there is (costs nothing).
_OWN_TURN: AbstractAsyncContextManager[None] = nullcontext()

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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Called when Telegram rejects the token while polling (set by the application):
        # PTB's polling loop would just stop, leaving a live process that hears nothing.
        self._on_invalid_token: Callable[[], object] | None = None
        # Asked for each fetched update's chat id: True drops it unparsed (see
        # PerChatUpdateProcessor.drop_if_flooding).
        self._flood_gate: Callable[[int | None], bool] | None = None

    async def initialize(self) -> None:
        """``ExtBot.initialize``; when it fails (its getMe: a rejected token, no network)
        the request objects it opened are closed again, since PTB's Application then
        skips the bot's shutdown and an aiohttp session would be left open."""
        try:
            await super().initialize()
        except BaseException:
            await self.shutdown()
            raise

    def drop_updates_if(self, gate: Callable[[int | None], bool]) -> None:
        """Drop each fetched update whose chat ``gate(chat_id)`` says floods, before PTB
        parses it (building an Update costs ~0.1 ms; a flood is thousands)."""
        self._flood_gate = gate

    def when_token_rejected(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` when Telegram rejects the token (401) on a long poll."""
        self._on_invalid_token = callback

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
    ) -> tuple[Update | ArticleRequest | SkippedUpdate, ...]:
        """``Bot.get_updates``, with ``/article N`` updates as ArticleRequests (and a
        flooding chat's last update as a SkippedUpdate)."""
        # PTB's own request and parameters (bot.telegram.ptb), our parsing of the answer.
        try:
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
        except InvalidToken:
            if self._on_invalid_token is not None:
                self._on_invalid_token()
            raise
        username = self.username
        updates: list[Update | ArticleRequest | SkippedUpdate] = []
        gate = self._flood_gate
        for index, raw in enumerate(result):
            if gate is not None and gate(raw_chat(raw)):
                # Its chat already has a full backlog: not even parsed. PTB takes the
                # next offset from the last update it gets, so the last one of the batch
                # stays, as an id only.
                if index == len(result) - 1:
                    updates.append(SkippedUpdate(raw["update_id"]))
                continue
            request = article_request(raw, username)
            if request is not None:
                updates.append(request)
                continue
            try:
                update = Update.de_json(raw, self)
            except Exception:
                # As PTB: the updater only logs that something failed, so say what here.
                log.critical(
                    "cannot parse an update from Telegram: %r"
                    ": upgrade digestbot and python-telegram-bot (pip install -U)",
                    raw,
                    exc_info=True,
                )
                raise
            self.insert_callback_data(update)
            updates.append(update)
        return tuple(updates)


@dataclass(frozen=True, slots=True)
class SkippedUpdate:
    """An update dropped unparsed (a flooding chat's), kept for its id: no handler
    matches it."""

    update_id: int


def raw_chat(raw: dict[str, Any]) -> int | None:
    """The chat id of an update as JSON (messages, channel posts, button presses)."""
    message = raw.get("message") or raw.get("channel_post") or raw.get("edited_message")
    if message is None and isinstance(raw.get("callback_query"), dict):
        message = raw["callback_query"].get("message")
    chat = message.get("chat") if isinstance(message, dict) else None
    chat_id = chat.get("id") if isinstance(chat, dict) else None
    return chat_id if isinstance(chat_id, int) else None


def _chat_of(update: object) -> int | None:
    if isinstance(update, ArticleRequest):
        return update.chat_id
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None


# PTB's own bound on the updates in process_update (running or waiting for their chat's
# turn): never reached (PerChatUpdateProcessor limits the running ones itself).
UNBOUNDED_UPDATES = 2**31

# Updates of one chat waiting for their turn, at most; the excess is dropped (with one
# "slow down" reply per flood). Ten is more than a person types before the first answer.
MAX_CHAT_BACKLOG = 10


@dataclass
class _ChatQueue:
    lock: asyncio.Lock
    waiting: int = 0  # updates of this chat in process_update (running or waiting)
    told: bool = False  # told to slow down during this flood


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats are handled concurrently, one chat's in order, and
    one chat cannot crowd out the others.

    python-telegram-bot's default handles one update at a time (a slow reply holds up
    every chat) and ``concurrent_updates(True)`` may answer a chat's /status before its
    /subscribe. This keeps the order within each chat. An update waits for its chat's
    turn *before* it takes one of the ``max_concurrent_updates`` slots, so a chat that
    floods (its replies leave at Telegram's 1 message/s per chat) holds one slot, not
    all; and past :data:`MAX_CHAT_BACKLOG` waiting updates the rest of its flood is
    dropped, with one ``on_overflow(chat_id)`` call (the bot says "slow down")."""

    def close(self) -> None:
        """The bot is stopping: drop what still waits (see ``closing``)."""
        self.closing = True

    def __init__(
        self,
        max_concurrent_updates: int = 256,
        *,
        max_backlog: int = MAX_CHAT_BACKLOG,
        on_overflow: Callable[[int], Coroutine[Any, Any, object]] | None = None,
    ) -> None:
        # PTB takes its own semaphore before do_process_update, that is before an update
        # waits for its chat's turn: bounded by the limit, it would let one flooding chat
        # hold a slot per waiting update. So PTB's is never the one that waits, and the
        # limit is ``_slots``, taken once it is the update's turn.
        super().__init__(UNBOUNDED_UPDATES)
        self.limit = max_concurrent_updates
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._chats: dict[int, _ChatQueue] = {}
        self.max_backlog = max_backlog
        self.on_overflow = on_overflow
        self.dropped = 0
        self._tasks: set[asyncio.Task[object]] = set()  # "slow down" replies in flight
        # Set when the bot stops: updates still waiting for their chat's turn are dropped
        # (counted in dropped_at_stop) instead of answered at 1 message/s per chat.
        self.closing = False
        self.dropped_at_stop = 0
        # Called with the seconds from an update's arrival here to the end of its
        # handling, reply included (metrics).
        self.on_handled: Callable[[float], object] | None = None
        # Several processes behind one webhook: the chat's turn across them, taken once
        # its turn here has come and before a slot (None: this process only).
        self.turns: Turns | None = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's turn, then for one of the ``limit`` slots, then run it."""
        arrived = time.monotonic()
        if await self._process(update, coroutine) and self.on_handled is not None:
            self.on_handled(time.monotonic() - arrived)

    async def _process(self, update: object, coroutine: Awaitable[Any]) -> bool:
        """Run the update in its turn; False if it was dropped instead."""
        chat_id = _chat_of(update)
        if chat_id is None:
            async with self._slots:
                await coroutine
            return True
        queue = self._chats.get(chat_id)
        if queue is None:
            queue = self._chats[chat_id] = _ChatQueue(asyncio.Lock())
        if queue.waiting >= self.max_backlog:
            self.dropped += 1
            if isinstance(coroutine, Coroutine):
                coroutine.close()  # never started: nothing to clean up, no warning
            if not queue.told:
                queue.told = True
                log.info("chat %s floods: dropping its updates past %d", chat_id, queue.waiting)
                if self.on_overflow is not None:
                    await self.on_overflow(chat_id)
            return False
        queue.waiting += 1
        try:
            turns = self.turns
            async with (
                queue.lock,
                _OWN_TURN if turns is None else turns.turn(chat_id),
                self._slots,
            ):
                if self.closing:
                    self.dropped_at_stop += 1
                    if isinstance(coroutine, Coroutine):
                        coroutine.close()
                    return False
                await coroutine
                return True
        finally:
            queue.waiting -= 1
            if queue.waiting == 0:
                del self._chats[chat_id]

    def drop_if_flooding(self, chat_id: int | None) -> bool:
        """For :meth:`DigestBot.drop_updates_if`: True (and counted as dropped) when
        ``chat_id`` already has a full backlog; the chat is told to slow down once."""
        if chat_id is None:
            return False
        queue = self._chats.get(chat_id)
        if queue is None or queue.waiting < self.max_backlog:
            return False
        self.dropped += 1
        if not queue.told:
            queue.told = True
            if self.on_overflow is not None:
                task = asyncio.get_running_loop().create_task(self.on_overflow(chat_id))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return True

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
