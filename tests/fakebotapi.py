"""A fake Telegram Bot API server over real HTTP on 127.0.0.1, for tests and benchmarks.

python-telegram-bot (and anything else speaking the Bot API) is pointed at it with
``base_url = fake.base_url`` ("http://127.0.0.1:PORT/bot"); it then POSTs form-encoded,
JSON or multipart bodies to ``/bot<token>/<method>`` exactly as it would to Telegram, and
gets Telegram's JSON shapes back: ``{"ok": true, "result": ...}`` or ``{"ok": false,
"error_code": 400, "description": "Bad Request: ...", "parameters": {"retry_after": N}}``.

What it does, in the order a test meets it:

* **Updates in.** ``send_text`` / ``send_command`` / ``click`` (or ``press``) queue updates
  as a user would cause them; ``getUpdates`` long-polls them out honouring ``offset``,
  ``limit`` and ``timeout`` and wakes the moment one is queued. With a webhook set
  (``setWebhook``) the queued updates are POSTed to it instead, with the
  ``X-Telegram-Bot-Api-Secret-Token`` header, and ``getUpdates`` answers 409 as Telegram does.
* **Messages out.** ``sendMessage`` / ``editMessageText`` / ``editMessageReplyMarkup`` are
  validated like Telegram does it: HTML is parsed with Telegram's tag set (invalid HTML is
  ``400 Bad Request: can't parse entities: ...``), the text after parsing must be 1..4096
  UTF-16 code units, ``callback_data`` at most 64 bytes. Each accepted message is kept as a
  :class:`Message` whose ``text`` is what the user would see (entities decoded), so a test
  can prove escaping by comparing visible text.
* **Records and waiting.** Every call is recorded as a :class:`Call` (method, params, time,
  HTTP status). ``await wait_for_message(chat_id, n)`` and ``await wait_until(predicate)``
  wake on each recorded call (no sleep-and-hope) and time out with a clear message. A
  long poll is recorded when it ends; ``polls_started`` counts them as they arrive.
* **Groups, forum topics, channels.** ``add_group(chat_id, admins=..., members=...,
  forum=True, topics=...)`` and ``add_channel(chat_id, admins=..., members=...)`` describe
  chats (``getChatAdministrators`` lists their admins; ``bot_status_changed`` is the
  ``my_chat_member`` update of the bot made an admin or removed); updates from
  them carry the right ``chat`` (type, ``is_forum``). ``send_text(..., thread_id=N)``
  writes in forum topic N, ``send_text(..., as_group=True)`` as an anonymous
  administrator, ``post_in_channel`` makes a ``channel_post``. ``getChatMember`` answers
  "creator"/"administrator"/"member"/"left" from those lists (in a group not described,
  everyone is an administrator, so tests about other things need no setup), and a
  message to a topic that a described forum does not have (or no longer has:
  ``delete_topic``) is ``400 Bad Request: message thread not found``. The bot's messages
  sent to a topic carry ``message_thread_id`` and ``is_topic_message``, as Telegram's do
  (so a button pressed under one says which topic it is in).
* **Files.** ``sendDocument`` keeps the uploaded bytes (``Message.document``, a
  :class:`Document`; the caption is the message's ``text``), ``send_document`` is a user
  sending a file (with a caption, whose leading "/word" is a bot_command entity),
  ``getFile`` answers a ``file_path`` for any file the fake holds and
  ``GET /file/bot<token>/<file_path>`` downloads it (python-telegram-bot's ``base_file_url``
  is ``http://127.0.0.1:PORT/file/bot``); files over 20 MB are refused by ``getFile`` as
  Telegram does. ``downloads`` lists the paths downloaded.
* **Faults.** ``fail(chat_id, Fault...)`` scripts failures per chat (or for every chat):
  403 blocked, 400 chat not found, 429 with ``retry_after``, 500, a delay (a client timeout
  while the message is still delivered, as with the real thing), 400 with
  ``migrate_to_chat_id`` (the group became a supergroup: ``Fault.migrated(new_chat_id)``).
  ``cap`` is a global sliding-window limit of messages per second answered with 429 when
  exceeded; ``stats`` counts what was sent and refused and the peak seen in any sliding second.
  ``stop()`` / ``start()`` restart on the same port (connection refused in between);
  at ``stop()`` long polls and scripted delays in progress answer at once. Setting
  ``token`` revokes the old one: 401 from then on, a long poll in progress included.

In-process::

    async with FakeBotAPI() as fake:
        app = Application.builder().token(fake.token).base_url(fake.base_url).build()
        ...
        fake.send_command(42, "/start")
        message = await fake.wait_for_message(42)

As a separate process (benchmarks)::

    python -m tests.fakebotapi --port 8081 --cap 30

prints one line ``fakebotapi listening on http://127.0.0.1:8081/bot`` and serves until
SIGTERM/SIGINT. Control endpoints for other processes: ``GET /_fake/stats``,
``POST /_fake/reset``, ``POST /_fake/config`` (``{"cap": 1000, "record": false}``),
``POST /_fake/fault`` (``{"chat_id": 5, "kind": "blocked", "times": null}``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import re
import signal
import ssl
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

DEFAULT_TOKEN = "123456789:TEST-fake-token_abcdefghijklmnopqrstu"
MAX_TEXT_UTF16 = 4096
MAX_CALLBACK_DATA_BYTES = 64
MAX_CAPTION_UTF16 = 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile's limit for bots
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

# Parameters python-telegram-bot sends as JSON strings in form-encoded bodies.
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "allowed_updates",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "media",
        "menu_button",
        "results",
    }
)
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "user_id",
        "reply_to_message_id",
        "cache_time",
        "message_thread_id",
        "max_connections",
        "from_chat_id",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "disable_web_page_preview",
        "protect_content",
        "drop_pending_updates",
        "show_alert",
        "allow_sending_without_reply",
    }
)
# Methods that count as a message towards flood limits.
_SENDING = re.compile(r"^(send|forward|copy)", re.IGNORECASE)


# -- Telegram's HTML ----------------------------------------------------------


class EntityParseError(ValueError):
    """Text that Telegram would refuse with "can't parse entities"."""


_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_NAME_CHARS = re.compile(r"[a-zA-Z0-9_-]*")
_MARKUP = re.compile(r"[<&]")
_ENTITY = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[a-zA-Z]{2,4});")


# The rights of the bot as an administrator (ChatMemberAdministrator's required flags).
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


def _statuses(creator: int | None, admins: Iterable[int], members: Iterable[int]) -> dict[int, str]:
    """Member statuses of a described chat, by user id."""
    statuses = dict.fromkeys(members, "member")
    statuses.update(dict.fromkeys(admins, "administrator"))
    if creator is not None:
        statuses[creator] = "creator"
    return statuses


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts text and offsets in."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _decode_entity(text: str, i: int) -> tuple[str, int] | None:
    match = _ENTITY.match(text, i)
    if match is None:
        return None
    body = match.group(1)
    if body[0] == "#":
        code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), match.end()
    char = _NAMED_ENTITIES.get(body)
    return (char, match.end()) if char is not None else None


def _decode_attribute(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "&" and (decoded := _decode_entity(value, i)) is not None:
            out.append(decoded[0])
            i = decoded[1]
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_html(text: str, strict_ampersand: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML into (visible text, entities) or raise EntityParseError.

    Follows Telegram's rules and error messages (byte offsets are UTF-8 byte offsets).
    One deliberate difference: Telegram keeps a bare ``&`` that starts no entity as a
    literal; with ``strict_ampersand`` the fake refuses it, because it means the sender
    forgot to escape some text (html.escape always turns ``&`` into ``&amp;``).
    """

    def offset(i: int) -> int:
        return len(text[:i].encode("utf-8"))

    out: list[str] = []
    position = 0  # UTF-16 units emitted so far
    stack: list[tuple[str, int, dict[str, str]]] = []  # (tag, start, attributes)
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "&":
            decoded = _decode_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                position += utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict_ampersand:
                raise EntityParseError(
                    f'Unescaped "&" at byte offset {offset(i)} (the fake is strict: '
                    "Telegram would show it literally, but it means unescaped text)"
                )
        if char != "<":
            # Copy a run of plain characters at once.
            special = _MARKUP.search(text, i + 1)
            j = special.start() if special is not None else n
            chunk = text[i:j]
            out.append(chunk)
            position += utf16_len(chunk)
            i = j
            continue

        begin = i
        if i + 1 < n and text[i + 1] == "/":
            name_match = _NAME_CHARS.match(text, i + 2)
            name = name_match.group(0).lower()
            j = name_match.end()
            while j < n and text[j].isspace():
                j += 1
            if j >= n or text[j] != ">":
                raise EntityParseError(f"Unclosed end tag at byte offset {offset(begin)}")
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {offset(begin)}")
            open_tag, start, attributes = stack.pop()
            if name != open_tag:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {offset(begin)}, "
                    f'expected "</{open_tag}>", found "</{name}>"'
                )
            length = position - start
            if length > 0:
                entity: dict[str, Any] = {
                    "type": _TAG_ENTITY[open_tag],
                    "offset": start,
                    "length": length,
                }
                if open_tag == "a":
                    href = attributes.get("href")
                    if href is None:
                        entity = {}
                    else:
                        entity["url"] = href
                elif open_tag == "blockquote" and "expandable" in attributes:
                    entity["type"] = "expandable_blockquote"
                elif open_tag == "pre" and "language" in attributes:
                    entity["language"] = attributes["language"]
                elif open_tag == "tg-emoji":
                    entity["custom_emoji_id"] = attributes.get("emoji-id", "")
                if entity:
                    entities.append(entity)
            i = j + 1
            continue

        name_match = _NAME_CHARS.match(text, i + 1)
        name = name_match.group(0).lower()
        if name not in _TAG_ENTITY:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {offset(begin)}')
        attributes: dict[str, str] = {}
        j = name_match.end()
        while True:
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {offset(begin)}")
            if text[j] == ">":
                break
            attr_match = _NAME_CHARS.match(text, j)
            attr = attr_match.group(0).lower()
            if not attr:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{name}" at byte offset {offset(begin)}'
                )
            j = attr_match.end()
            while j < n and text[j].isspace():
                j += 1
            if j < n and text[j] == "=":
                j += 1
                while j < n and text[j].isspace():
                    j += 1
                if j >= n:
                    raise EntityParseError(f"Unclosed start tag at byte offset {offset(begin)}")
                if text[j] in "\"'":
                    quote = text[j]
                    end = text.find(quote, j + 1)
                    if end < 0:
                        raise EntityParseError(f"Unclosed start tag at byte offset {offset(begin)}")
                    value = text[j + 1 : end]
                    j = end + 1
                else:
                    value_match = re.compile(r"[^\s>]*").match(text, j)
                    value = value_match.group(0)
                    j = value_match.end()
                attributes[attr] = _decode_attribute(value)
            else:
                attributes[attr] = ""
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {offset(begin)}'
            )
        if name == "code" and stack and stack[-1][0] == "pre":
            # <pre><code class="language-x"> gives the pre block a language.
            language = attributes.get("class", "")
            if language.startswith("language-"):
                stack[-1][2]["language"] = language[len("language-") :]
        stack.append((name, position, attributes))
        i = j + 1

    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


# -- records ------------------------------------------------------------------


@dataclass(slots=True)
class Call:
    """One request the fake received."""

    method: str  # as Telegram spells it, e.g. "sendMessage"
    params: dict[str, Any]
    time: float  # time.monotonic() at arrival
    token: str
    status: int = 200  # HTTP status answered
    description: str | None = None  # the error description, if any


@dataclass(slots=True)
class Document:
    """A file the fake holds: sent by the bot (``sendDocument``) or by a user."""

    file_id: str
    file_unique_id: str
    file_name: str
    mime_type: str
    content: bytes
    file_path: str

    def as_json(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": len(self.content),
        }


@dataclass(slots=True)
class Message:
    """A message in a chat: sent by the bot (``from_bot``) or injected as the user's."""

    chat_id: int
    message_id: int
    text: str  # what the user sees (HTML decoded)
    from_bot: bool
    html: str | None = None  # the raw text parameter when parse_mode was HTML
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    edits: int = 0
    date: int = 0
    thread_id: int | None = None  # the forum topic it was sent to
    document: Document | None = None  # a file message's file (``text`` is its caption)

    def buttons(self) -> list[dict[str, Any]]:
        """The inline keyboard buttons, row by row flattened."""
        if not self.reply_markup:
            return []
        return [b for row in self.reply_markup.get("inline_keyboard", []) for b in row]

    def button_texts(self) -> list[str]:
        return [b["text"] for b in self.buttons()]

    def links(self) -> list[str]:
        """The URLs of the message's text links."""
        return [e["url"] for e in self.entities if e["type"] == "text_link"]

    def bold(self) -> list[str]:
        """The visible text of each bold entity (counts UTF-16 offsets right)."""
        encoded = self.text.encode("utf-16-le")
        return [
            encoded[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
            for e in self.entities
            if e["type"] == "bold"
        ]


class ApiError(Exception):
    """An error answer: HTTP status, Telegram's description, optional retry_after."""

    def __init__(
        self,
        status: int,
        description: str,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id


@dataclass(slots=True)
class Fault:
    """A scripted failure: an error answer, optionally after a delay, or only a delay.

    Use the constructors: ``Fault.blocked()``, ``Fault.chat_not_found()``,
    ``Fault.flood(retry_after)``, ``Fault.server_error()``, ``Fault.delay(seconds)``,
    ``Fault.migrated(new_chat_id)``. A delay without an error (``status is None``) then
    handles the call normally, so a client with a shorter timeout gives up while the
    message is still delivered.
    """

    status: int | None
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0
    migrate_to_chat_id: int | None = None

    @classmethod
    def blocked(cls) -> Fault:
        return cls(403, "Forbidden: bot was blocked by the user")

    @classmethod
    def deactivated(cls) -> Fault:
        return cls(403, "Forbidden: user is deactivated")

    @classmethod
    def kicked(cls) -> Fault:
        return cls(403, "Forbidden: bot was kicked from the group chat")

    @classmethod
    def chat_not_found(cls) -> Fault:
        return cls(400, "Bad Request: chat not found")

    @classmethod
    def flood(cls, retry_after: int = 1) -> Fault:
        return cls(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    @classmethod
    def server_error(cls) -> Fault:
        return cls(500, "Internal Server Error")

    @classmethod
    def bad_gateway(cls) -> Fault:
        return cls(502, "Bad Gateway")

    @classmethod
    def delay_only(cls, seconds: float) -> Fault:
        return cls(None, delay=seconds)

    @classmethod
    def migrated(cls, new_chat_id: int) -> Fault:
        """The group was upgraded to a supergroup: Telegram answers every call for the
        old chat id so (use ``times=None``, as the old id never comes back)."""
        return cls(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            migrate_to_chat_id=new_chat_id,
        )

    @classmethod
    def from_kind(cls, kind: str, retry_after: int = 1, delay: float = 0.0) -> Fault:
        """By name, for the control endpoint and the command line."""
        kinds: dict[str, Callable[[], Fault]] = {
            "blocked": cls.blocked,
            "deactivated": cls.deactivated,
            "kicked": cls.kicked,
            "chat_not_found": cls.chat_not_found,
            "flood": lambda: cls.flood(retry_after),
            "server_error": cls.server_error,
            "bad_gateway": cls.bad_gateway,
            "delay": lambda: cls.delay_only(delay),
        }
        if kind not in kinds:
            raise ValueError(f"unknown fault kind {kind!r} (known: {', '.join(kinds)})")
        return kinds[kind]()


@dataclass(slots=True)
class _Script:
    fault: Fault
    remaining: int | None  # None: for ever
    methods: frozenset[str] | None  # lower-case method names; None: sending methods


@dataclass
class Stats:
    """Counters; ``peak_per_second`` is the most messages accepted in any sliding second."""

    calls: int = 0
    sent: int = 0  # messages accepted (sendMessage and other send*/copy*/forward*)
    edited: int = 0
    rejected_cap: int = 0  # 429s because the global cap was exceeded
    rejected_chat_cap: int = 0  # 429s because a per-chat cap was exceeded
    faults: int = 0  # scripted failures answered
    bad_requests: int = 0  # 400s from validation (HTML, length, ...)
    peak_per_second: int = 0
    peak_per_chat_second: int = 0
    first_sent_at: float | None = None
    last_sent_at: float | None = None

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        span = (
            (self.last_sent_at - self.first_sent_at)
            if self.first_sent_at is not None and self.last_sent_at is not None
            else 0.0
        )
        data["send_span_seconds"] = span
        data["messages_per_second"] = (self.sent - 1) / span if span > 0 else None
        return data


# -- the server ---------------------------------------------------------------


class FakeBotAPI:
    """The fake server. ``await start()`` / ``await stop()``, or ``async with``."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        cap: float | None = None,
        chat_cap: tuple[int, float] | None = None,
        record: bool = True,
        strict_ampersand: bool = True,
        bot_username: str = "digest_test_bot",
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``cap``: messages per sliding second for all chats together (None: no cap).
        ``chat_cap``: (n, seconds) -- at most n messages to one chat in any window of
        that many seconds (None: no per-chat cap). ``record=False`` keeps no Call list
        and no Message bodies (benchmarks); counters are always kept. ``ssl_context``:
        a server context to serve HTTPS instead of HTTP (TLS tests)."""
        self._token = token
        self.ssl_context = ssl_context
        self.host = host
        self.port = port
        self.cap = cap
        self.chat_cap = chat_cap
        self.record = record
        self.strict_ampersand = strict_ampersand
        self.bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.bot_user = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Digest Test Bot",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.stats = Stats()
        self.commands: list[dict[str, Any]] = []
        self.commands_by_language: dict[str, list[dict[str, Any]]] = {}
        self.webhook_url: str = ""
        self.webhook_secret: str | None = None
        self.webhook_error: str | None = None
        self._updates: deque[dict[str, Any]] = deque()
        self._update_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._messages: dict[int, dict[int, Message]] = {}
        self._message_ids: dict[int, itertools.count] = {}
        self._callback_queries: dict[str, dict[str, Any]] = {}
        self.answered_callbacks: dict[str, dict[str, Any]] = {}
        self._callback_ids = itertools.count(1)
        self._scripts: dict[int | None, list[_Script]] = {}
        self._window: deque[float] = deque()
        self._chat_windows: dict[int, deque[float]] = {}
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self._runner: web.ServerRunner | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_wakeup = asyncio.Event()
        self._polls_waiting = 0
        self._stopping = asyncio.Event()  # set by stop(): scripted delays end at once
        self.polls_started = 0  # getUpdates calls received (counted on arrival)
        # Described chats (add_group, add_channel): chat JSON and member statuses.
        self._chats: dict[int, dict[str, Any]] = {}
        self._members: dict[int, dict[int, str]] = {}
        self._topics: dict[int, set[int]] = {}
        # Files by file_id (sendDocument uploads and users' documents), and by file_path.
        self.files: dict[str, Document] = {}
        self._file_paths: dict[str, Document] = {}
        self._file_ids = itertools.count(1)
        self.downloads: list[str] = []

    # -- lifecycle --

    @property
    def base_url(self) -> str:
        """What to give python-telegram-bot as ``base_url``."""
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}/bot"

    @property
    def token(self) -> str:
        """The bot's valid token. Setting another one revokes the old one (as @BotFather's
        /revoke does): calls with it are refused with 401 from then on, a long poll in
        progress included (it answers at once)."""
        return self._token

    @token.setter
    def token(self, value: str) -> None:
        self._token = value
        self._new_update.set()  # wake the long polls: they answer 401 now

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> FakeBotAPI:
        """Listen (again) on ``port``; the first start with port 0 picks a free port."""
        if self._runner is not None:
            return self
        self._stopping.clear()
        server = web.Server(self._handle, handler_cancellation=False, access_log=None)
        runner = web.ServerRunner(server)
        await runner.setup()
        site = web.TCPSite(
            runner, self.host, self.port, reuse_address=True, ssl_context=self.ssl_context
        )
        await site.start()
        self.port = runner.addresses[0][1]
        self._runner = runner
        return self

    async def stop(self) -> None:
        """Close the socket and every connection: clients get "connection refused"."""
        runner, self._runner = self._runner, None
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        # Long polls and scripted delays in progress answer now instead of holding the
        # shutdown up.
        self._new_update.set()
        self._stopping.set()
        if runner is not None:
            await runner.cleanup()

    async def outage(self, seconds: float) -> None:
        """Refuse connections for ``seconds``, then listen again on the same port."""
        await self.stop()
        await asyncio.sleep(seconds)
        await self.start()

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        for _, future in self._waiters:
            future.cancel()
        self._waiters.clear()
        await self.stop()

    def reset_stats(self) -> None:
        """Forget recorded calls and counters (not messages, updates or faults)."""
        self.calls.clear()
        self.stats = Stats()
        self._window.clear()
        self._chat_windows.clear()

    # -- faults --

    def fail(
        self,
        chat_id: int | None,
        fault: Fault,
        times: int | None = 1,
        methods: Iterable[str] | None = None,
    ) -> None:
        """Answer the next ``times`` calls for ``chat_id`` (None: any chat) with ``fault``.

        ``times=None`` repeats for ever (until ``clear_faults``). ``methods`` limits it to
        those Bot API methods; by default it hits the sending methods (sendMessage, ...).
        Scripts for one chat apply in the order they were added."""
        wanted = frozenset(m.lower() for m in methods) if methods is not None else None
        self._scripts.setdefault(chat_id, []).append(_Script(fault, times, wanted))

    def clear_faults(self, chat_id: int | None = None, every_chat: bool = False) -> None:
        if every_chat:
            self._scripts.clear()
        else:
            self._scripts.pop(chat_id, None)

    def _take_fault(self, method: str, chat_id: Any) -> Fault | None:
        lower = method.lower()
        keys = (chat_id, None) if chat_id is not None else (None,)
        for key in keys:
            scripts = self._scripts.get(key)
            if not scripts:
                continue
            for script in scripts:
                if script.methods is None:
                    if not _SENDING.match(method):
                        continue
                elif lower not in script.methods:
                    continue
                if script.remaining is not None:
                    script.remaining -= 1
                    if script.remaining <= 0:
                        scripts.remove(script)
                return script.fault
        return None

    # -- updates in --

    def _user(self, user_id: int) -> dict[str, Any]:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User{user_id}",
            "username": f"user{user_id}",
            "language_code": "en",
        }

    def add_group(
        self,
        chat_id: int,
        *,
        creator: int | None = None,
        admins: Iterable[int] = (),
        members: Iterable[int] = (),
        forum: bool = False,
        topics: Iterable[int] = (),
        title: str | None = None,
        basic: bool = False,
    ) -> None:
        """Describe a group (``basic``) or supergroup, a forum one with ``topics``."""
        chat: dict[str, Any] = {
            "id": chat_id,
            "type": "group" if basic else "supergroup",
            "title": title or f"Group {chat_id}",
        }
        if forum:
            chat["is_forum"] = True
            self._topics[chat_id] = set(topics)
        self._chats[chat_id] = chat
        self._members[chat_id] = _statuses(creator, admins, members)

    def add_channel(
        self,
        chat_id: int,
        *,
        title: str | None = None,
        username: str | None = None,
        creator: int | None = None,
        admins: Iterable[int] = (),
        members: Iterable[int] = (),
    ) -> None:
        """Describe a channel (the bot is one of its administrators), with its creator,
        administrators and subscribers (``members``)."""
        chat: dict[str, Any] = {"id": chat_id, "type": "channel", "title": title or "Channel"}
        if username:
            chat["username"] = username
        self._chats[chat_id] = chat
        self._members[chat_id] = _statuses(creator, admins, members)

    def bot_status_changed(self, chat_id: int, status: str, by: int) -> dict[str, Any]:
        """User ``by`` changes the bot's status in a described chat ("administrator": made
        an admin, "left"/"kicked"/"member": removed or demoted): a ``my_chat_member`` update."""
        chat = self._chat(chat_id)

        def bot_as(status: str) -> dict[str, Any]:
            member: dict[str, Any] = {"user": dict(self.bot_user), "status": status}
            if status == "administrator":
                member.update(dict.fromkeys(_ADMIN_RIGHTS, True))
                member.update(dict.fromkeys(("can_be_edited", "is_anonymous"), False))
            elif status == "kicked":
                member["until_date"] = 0
            return member

        old = "left" if status == "administrator" else "administrator"
        return self.inject(
            {
                "my_chat_member": {
                    "chat": chat,
                    "from": self._user(by),
                    "date": int(time.time()),
                    "old_chat_member": bot_as(old),
                    "new_chat_member": bot_as(status),
                }
            }
        )

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """Change a user's status in a described chat ("administrator", "member", "left")."""
        self._members.setdefault(chat_id, {})[user_id] = status

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """The forum topic is deleted: messages sent to it are refused from now on."""
        self._topics.get(chat_id, set()).discard(thread_id)

    def post_in_channel(self, chat_id: int, text: str) -> dict[str, Any]:
        """An administrator posts ``text`` in the channel (a ``channel_post`` update,
        without ``from``, signed by the channel as ``sender_chat``)."""
        chat = self._chat(chat_id)
        message_id = self._next_message_id(chat_id)
        post: dict[str, Any] = {
            "message_id": message_id,
            "sender_chat": chat,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        command = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
        if command:
            post["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))}
            ]
        if self.record:
            self._messages.setdefault(chat_id, {})[message_id] = Message(
                chat_id, message_id, text, from_bot=False, date=post["date"]
            )
        return self.inject({"channel_post": post})

    def _chat(self, chat_id: int) -> dict[str, Any]:
        described = self._chats.get(chat_id)
        if described is not None:
            return dict(described)
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
        return {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.get(chat_id)
        if counter is None:
            counter = self._message_ids[chat_id] = itertools.count(1)
        return next(counter)

    def inject(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (its ``update_id`` is assigned here) and wake long polls."""
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._new_update.set()
        self._webhook_wakeup.set()
        return update

    def send_text(
        self,
        chat_id: int,
        text: str,
        user_id: int | None = None,
        *,
        thread_id: int | None = None,
        as_group: bool = False,
    ) -> dict[str, Any]:
        """The user types ``text`` in the chat. A leading "/word" becomes a bot_command entity.
        ``thread_id``: in that forum topic. ``as_group``: an administrator writing
        anonymously, as the group (Telegram's GroupAnonymousBot, ``sender_chat``)."""
        user_id = chat_id if user_id is None and chat_id > 0 else (user_id or 1000)
        message_id = self._next_message_id(chat_id)
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": self._user(user_id),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            "text": text,
        }
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        if as_group:
            message["from"] = {
                "id": 1087968824,
                "is_bot": True,
                "first_name": "Group",
                "username": "GroupAnonymousBot",
            }
            message["sender_chat"] = self._chat(chat_id)
        command = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
        if command:
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))}
            ]
        if self.record:
            self._messages.setdefault(chat_id, {})[message_id] = Message(
                chat_id, message_id, text, from_bot=False, date=message["date"]
            )
        return self.inject({"message": message})

    def add_file(self, content: bytes, file_name: str, mime_type: str) -> Document:
        """Hold a file as Telegram's servers would (a new file_id and file_path)."""
        number = next(self._file_ids)
        suffix = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        document = Document(
            file_id=f"BQACAgfile{number:06d}",
            file_unique_id=f"AgAD{number:06d}",
            file_name=file_name,
            mime_type=mime_type,
            content=bytes(content),
            file_path=f"documents/file_{number}.{suffix}",
        )
        self.files[document.file_id] = document
        self._file_paths[document.file_path] = document
        return document

    def send_document(
        self,
        chat_id: int,
        content: bytes,
        file_name: str = "file.bin",
        *,
        caption: str | None = None,
        mime_type: str = "application/octet-stream",
        user_id: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """The user sends a file (a ``document`` message), optionally with a caption; a
        caption starting with "/word" carries a bot_command caption entity."""
        user_id = chat_id if user_id is None and chat_id > 0 else (user_id or 1000)
        document = self.add_file(content, file_name, mime_type)
        message_id = self._next_message_id(chat_id)
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": self._user(user_id),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            "document": document.as_json(),
        }
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        if caption:
            message["caption"] = caption
            command = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", caption)
            if command:
                message["caption_entities"] = [
                    {"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))}
                ]
        if self.record:
            self._messages.setdefault(chat_id, {})[message_id] = Message(
                chat_id,
                message_id,
                caption or "",
                from_bot=False,
                date=message["date"],
                document=document,
            )
        return self.inject({"message": message})

    def send_command(self, chat_id: int, command: str, user_id: int | None = None) -> dict:
        """Like send_text, insisting that the text is a command ("/start", "/article 3")."""
        if not command.startswith("/"):
            raise ValueError(f"a command starts with '/': {command!r}")
        return self.send_text(chat_id, command, user_id)

    def press(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        user_id: int | None = None,
        *,
        forged: bool = False,
    ) -> str:
        """The user presses the inline button with ``callback_data == data`` under a bot
        message; returns the callback query id. Refuses a button that is not there, unless
        ``forged`` (a client may send any data with a query on the message)."""
        message = self.message(chat_id, message_id)
        if not forged and data not in [b.get("callback_data") for b in message.buttons()]:
            raise AssertionError(
                f"no button with data {data!r} under message {message_id} in chat {chat_id}; "
                f"buttons: {message.buttons()}"
            )
        user_id = chat_id if user_id is None and chat_id > 0 else (user_id or 1000)
        query_id = str(next(self._callback_ids))
        query = {
            "id": query_id,
            "from": self._user(user_id),
            "message": self._message_json(message),
            "chat_instance": f"instance{chat_id}",
            "data": data,
        }
        self._callback_queries[query_id] = query
        self.inject({"callback_query": query})
        return query_id

    def press_stale(self, user_id: int, data: str) -> str:
        """A callback query without its message, as Telegram sends for a button under a
        message too old to attach; returns the query id."""
        query_id = str(next(self._callback_ids))
        query = {
            "id": query_id,
            "from": self._user(user_id),
            "chat_instance": f"instance{user_id}",
            "data": data,
        }
        self._callback_queries[query_id] = query
        self.inject({"callback_query": query})
        return query_id

    def click(self, chat_id: int, message_id: int, text: str, user_id: int | None = None) -> str:
        """Press the button whose label is ``text`` (or starts with it)."""
        message = self.message(chat_id, message_id)
        for button in message.buttons():
            if button["text"] == text or button["text"].startswith(text):
                return self.press(chat_id, message_id, button["callback_data"], user_id)
        raise AssertionError(
            f"no button labelled {text!r} under message {message_id}: {message.button_texts()}"
        )

    @property
    def polling(self) -> bool:
        """Whether a getUpdates long poll is waiting inside the server right now."""
        return self._polls_waiting > 0

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    # -- messages out --

    def messages(self, chat_id: int, from_bot: bool = True) -> list[Message]:
        """The chat's messages in order (the bot's only, by default)."""
        chat = self._messages.get(chat_id, {})
        return [m for m in chat.values() if m.from_bot == from_bot]

    def message(self, chat_id: int, message_id: int) -> Message:
        try:
            return self._messages[chat_id][message_id]
        except KeyError:
            raise AssertionError(f"no message {message_id} in chat {chat_id}") from None

    def last_message(self, chat_id: int) -> Message:
        sent = self.messages(chat_id)
        if not sent:
            raise AssertionError(f"the bot sent nothing to chat {chat_id}")
        return sent[-1]

    def calls_to(self, method: str) -> list[Call]:
        lower = method.lower()
        return [c for c in self.calls if c.method.lower() == lower]

    # -- waiting --

    async def wait_until(
        self, predicate: Callable[[], bool], timeout: float = 5.0, what: str = "condition"
    ) -> None:
        """Wait until ``predicate()`` holds; it is re-checked after every call the fake answers."""
        if predicate():
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiters.append(entry)
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}") from None
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(entry)

    async def wait_for_message(self, chat_id: int, n: int = 1, timeout: float = 5.0) -> Message:
        """The n-th message (1-based) the bot sent to ``chat_id``, waiting for it if need be."""
        await self.wait_until(
            lambda: len(self.messages(chat_id)) >= n,
            timeout,
            f"message #{n} to chat {chat_id} (have {len(self.messages(chat_id))})",
        )
        return self.messages(chat_id)[n - 1]

    async def wait_for_reply(self, chat_id: int, timeout: float = 5.0) -> Message:
        """Send nothing; wait for the next bot message to ``chat_id`` after the current ones."""
        return await self.wait_for_message(chat_id, len(self.messages(chat_id)) + 1, timeout)

    async def wait_for_edit(
        self, chat_id: int, message_id: int, edits: int = 1, timeout: float = 5.0
    ) -> Message:
        await self.wait_until(
            lambda: self.message(chat_id, message_id).edits >= edits,
            timeout,
            f"edit #{edits} of message {message_id} in chat {chat_id}",
        )
        return self.message(chat_id, message_id)

    async def wait_for_call(
        self,
        method: str,
        n: int = 1,
        timeout: float = 5.0,
        where: Callable[[Call], bool] | None = None,
    ) -> Call:
        """The n-th recorded call of ``method`` (matching ``where``), waiting if need be."""

        def matching() -> list[Call]:
            return [c for c in self.calls_to(method) if where is None or where(c)]

        await self.wait_until(lambda: len(matching()) >= n, timeout, f"call #{n} of {method}")
        return matching()[n - 1]

    def _notify(self) -> None:
        if not self._waiters:
            return
        for predicate, future in list(self._waiters):
            if future.done():
                continue
            try:
                if predicate():
                    future.set_result(None)
            except Exception as exc:  # a predicate raising fails the waiting test
                future.set_exception(exc)

    # -- HTTP --

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        path = request.path
        if path.startswith("/_fake/"):
            return await self._control(request, path[len("/_fake/") :])
        if path.startswith("/file/bot"):
            return self._download(path[len("/file/bot") :])
        match = re.fullmatch(r"/bot([^/]+)/([A-Za-z]+)", path)
        if match is None:
            return _answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        token, method = match.groups()
        params = await _read_params(request, uploads := {})
        if uploads:
            params["_uploads"] = uploads
        call = Call(method, params, time.monotonic(), token)
        self.stats.calls += 1
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            result = await self._dispatch(method, params)
            if token != self.token:  # revoked while the call was in progress
                raise ApiError(401, "Unauthorized")
        except ApiError as error:
            call.status, call.description = error.status, error.description
            body: dict[str, Any] = {
                "ok": False,
                "error_code": error.status,
                "description": error.description,
            }
            if error.retry_after is not None:
                body["parameters"] = {"retry_after": error.retry_after}
            if error.migrate_to_chat_id is not None:
                body["parameters"] = {"migrate_to_chat_id": error.migrate_to_chat_id}
            self._record(call)
            return _answer(error.status, body)
        self._record(call)
        return _answer(200, {"ok": True, "result": result})

    def _download(self, rest: str) -> web.Response:
        """``GET /file/bot<token>/<file_path>``: the file's bytes, as Telegram serves them."""
        token, _, file_path = rest.partition("/")
        document = self._file_paths.get(file_path)
        if token != self.token:
            return _answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        if document is None:
            return _answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        self.downloads.append(file_path)
        self._notify()
        return web.Response(body=document.content, content_type="application/octet-stream")

    def _record(self, call: Call) -> None:
        if self.record:
            self.calls.append(call)
        self._notify()

    async def _dispatch(self, method: str, params: dict[str, Any]) -> Any:
        lower = method.lower()
        chat_id = params.get("chat_id")
        if self._scripts:
            fault = self._take_fault(method, chat_id)
            if fault is not None:
                if fault.delay:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), fault.delay)
                if fault.status is not None:
                    self.stats.faults += 1
                    raise ApiError(
                        fault.status,
                        fault.description,
                        fault.retry_after,
                        fault.migrate_to_chat_id,
                    )
        handler = _HANDLERS.get(lower)
        if handler is None:
            if _SENDING.match(method):
                self._admit(chat_id)
                return self._store_message(chat_id, str(params.get("caption", "")), params)
            return True
        return await handler(self, params)

    def _admit(self, chat_id: Any) -> None:
        """Apply the flood limits to one message to ``chat_id``; count it if admitted."""
        now = time.monotonic()
        window = self._window
        while window and window[0] <= now - 1.0:
            window.popleft()
        if self.cap is not None and len(window) >= self.cap:
            self.stats.rejected_cap += 1
            retry = max(1, math.ceil(window[0] + 1.0 - now))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry)
        chat_window = self._chat_windows.get(chat_id)
        if chat_window is None:
            chat_window = self._chat_windows[chat_id] = deque()
        span = self.chat_cap[1] if self.chat_cap else 1.0
        while chat_window and chat_window[0] <= now - span:
            chat_window.popleft()
        if self.chat_cap is not None and len(chat_window) >= self.chat_cap[0]:
            self.stats.rejected_chat_cap += 1
            retry = max(1, math.ceil(chat_window[0] + span - now))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry)
        window.append(now)
        chat_window.append(now)
        stats = self.stats
        stats.sent += 1
        if stats.first_sent_at is None:
            stats.first_sent_at = now
        stats.last_sent_at = now
        stats.peak_per_second = max(stats.peak_per_second, len(window))
        if span == 1.0:
            stats.peak_per_chat_second = max(stats.peak_per_chat_second, len(chat_window))

    # -- methods --

    async def _get_me(self, params: dict[str, Any]) -> Any:
        return self.bot_user

    async def _get_updates(self, params: dict[str, Any]) -> Any:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _int(params.get("offset"), 0)
        limit = min(max(_int(params.get("limit"), 100), 1), 100)
        timeout = max(_int(params.get("timeout"), 0), 0)
        deadline = time.monotonic() + timeout
        token = self.token
        self.polls_started += 1
        self._notify()
        while True:
            # Updates below the offset are confirmed: forget them, as Telegram does.
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
            if self._updates or not self.running:
                return list(itertools.islice(self._updates, limit))
            if token != self.token:
                return []  # the token was revoked: the caller answers 401
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            self._new_update.clear()
            self._polls_waiting += 1
            self._notify()
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_update.wait(), remaining)
            finally:
                self._polls_waiting -= 1

    async def _set_webhook(self, params: dict[str, Any]) -> Any:
        url = str(params.get("url") or "")
        if url and not re.match(r"https?://", url):
            raise ApiError(400, "Bad Request: bad webhook: Failed to resolve host")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook_url = url
        self.webhook_secret = params.get("secret_token") or None
        self.webhook_error = None
        if url and self._webhook_task is None:
            self._webhook_task = asyncio.create_task(self._deliver_to_webhook())
        self._webhook_wakeup.set()
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> Any:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook_url = ""
        self.webhook_secret = None
        self._webhook_wakeup.set()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> Any:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_error:
            info["last_error_date"] = int(time.time())
            info["last_error_message"] = self.webhook_error
        return info

    async def _deliver_to_webhook(self) -> None:
        """POST queued updates to the webhook one at a time, in order, as Telegram does."""
        async with ClientSession(timeout=ClientTimeout(total=10)) as session:
            while True:
                if not self.webhook_url or not self._updates:
                    self._webhook_wakeup.clear()
                    await self._webhook_wakeup.wait()
                    continue
                update = self._updates[0]
                headers = {}
                if self.webhook_secret:
                    headers[SECRET_HEADER] = self.webhook_secret
                try:
                    async with session.post(self.webhook_url, json=update, headers=headers) as r:
                        ok = 200 <= r.status < 300
                        self.webhook_error = (
                            None if ok else f"Wrong response from the webhook: {r.status}"
                        )
                except (OSError, TimeoutError) as exc:
                    ok = False
                    self.webhook_error = f"Connection failed: {exc}"
                if ok:
                    if self._updates and self._updates[0] is update:
                        self._updates.popleft()
                    self._notify()
                else:
                    await asyncio.sleep(0.05)

    async def _set_my_commands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100 commands")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            description = command.get("description", "")
            if not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", str(language)):
            raise ApiError(400, "Bad Request: LANGUAGE_CODE_INVALID")
        # As Telegram: one list per language code; the one without a code is everyone's
        # whose language has no list of its own (and the one ``commands`` holds).
        self.commands_by_language[str(language)] = commands
        if not language:
            self.commands = commands
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> Any:
        return self.commands_by_language.get(str(params.get("language_code") or ""), [])

    async def _send_message(self, params: dict[str, Any]) -> Any:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        text, entities = self._render(params)
        markup = self._check_markup(params.get("reply_markup"))
        thread_id = params.get("message_thread_id")
        topics = self._topics.get(chat_id)
        if thread_id is not None and topics is not None and thread_id not in topics:
            raise ApiError(400, "Bad Request: message thread not found")
        self._admit(chat_id)
        return self._store_message(chat_id, text, params, entities, markup)

    async def _send_document(self, params: dict[str, Any]) -> Any:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        upload = params.get("_uploads", {}).get("document")
        given = params.get("document")
        if upload is not None:
            file_name, content, mime_type = upload
            if not content:
                raise ApiError(400, "Bad Request: file must be non-empty")
            document = self.add_file(content, file_name or "document", mime_type)
        elif isinstance(given, str) and given in self.files:
            document = self.files[given]
        else:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        caption, entities = "", []
        if params.get("caption"):
            caption, entities = self._render({**params, "text": params["caption"]})
            if utf16_len(caption) > MAX_CAPTION_UTF16:
                raise ApiError(400, "Bad Request: message caption is too long")
        thread_id = params.get("message_thread_id")
        topics = self._topics.get(chat_id)
        if thread_id is not None and topics is not None and thread_id not in topics:
            raise ApiError(400, "Bad Request: message thread not found")
        self._admit(chat_id)
        markup = self._check_markup(params.get("reply_markup"))
        data = self._store_message(chat_id, caption, params, entities, markup)
        if self.record:
            self._messages[chat_id][data["message_id"]].document = document
        data.pop("text", None)
        data.pop("entities", None)
        data["document"] = document.as_json()
        if caption:
            data["caption"] = caption
            if entities:
                data["caption_entities"] = entities
        return data

    async def _get_file(self, params: dict[str, Any]) -> Any:
        document = self.files.get(str(params.get("file_id", "")))
        if document is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(document.content) > MAX_DOWNLOAD_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": document.file_id,
            "file_unique_id": document.file_unique_id,
            "file_size": len(document.content),
            "file_path": document.file_path,
        }

    async def _get_chat_member(self, params: dict[str, Any]) -> Any:
        chat_id, user_id = params.get("chat_id"), params.get("user_id")
        if not isinstance(chat_id, int) or not isinstance(user_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id > 0 and chat_id not in self._chats:
            status = "member" if user_id == chat_id else "left"
        elif chat_id not in self._members:
            status = "administrator"  # a group no test described: anyone may
        else:
            status = self._members[chat_id].get(user_id, "left")
        member: dict[str, Any] = {"user": self._user(user_id), "status": status}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                dict.fromkeys(
                    (
                        "can_be_edited",
                        "is_anonymous",
                        "can_post_stories",
                        "can_edit_stories",
                        "can_delete_stories",
                        "can_promote_members",
                    ),
                    False,
                )
            )
            member.update(
                dict.fromkeys(
                    (
                        "can_manage_chat",
                        "can_delete_messages",
                        "can_manage_video_chats",
                        "can_restrict_members",
                        "can_change_info",
                        "can_invite_users",
                    ),
                    True,
                )
            )
        return member

    async def _get_chat_administrators(self, params: dict[str, Any]) -> Any:
        """The creator and administrators of a described chat (the bot among them)."""
        chat_id = params.get("chat_id")
        if chat_id not in self._members:
            raise ApiError(400, "Bad Request: chat not found")
        admins = [
            user_id
            for user_id, status in self._members[chat_id].items()
            if status in ("creator", "administrator")
        ]
        members = [
            await self._get_chat_member({"chat_id": chat_id, "user_id": user_id})
            for user_id in admins
        ]
        bot: dict[str, Any] = {"user": dict(self.bot_user), "status": "administrator"}
        bot.update(dict.fromkeys(_ADMIN_RIGHTS, True))
        bot.update(dict.fromkeys(("can_be_edited", "is_anonymous"), False))
        return [*members, bot]

    async def _edit_message_text(self, params: dict[str, Any]) -> Any:
        message = self._find_for_edit(params)
        text, entities = self._render(params)
        markup = self._check_markup(params.get("reply_markup"))
        if text == message.text and entities == message.entities and markup == message.reply_markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message.text, message.entities, message.reply_markup = text, entities, markup
        message.html = params.get("text") if params.get("parse_mode") else None
        message.parse_mode = params.get("parse_mode")
        return self._edited(message)

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> Any:
        message = self._find_for_edit(params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup == message.reply_markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message.reply_markup = markup
        return self._edited(message)

    async def _delete_message(self, params: dict[str, Any]) -> Any:
        chat = self._messages.get(params.get("chat_id"), {})
        if chat.pop(params.get("message_id"), None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    async def _send_chat_action(self, params: dict[str, Any]) -> Any:
        """ "typing…" and the like: Telegram answers True and no message appears (the call
        is recorded, see ``calls_to("sendChatAction")``)."""
        if "chat_id" not in params or not params.get("action"):
            raise ApiError(400, "Bad Request: chat_id and action are required")
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> Any:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._callback_queries or query_id in self.answered_callbacks:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self.answered_callbacks[query_id] = params
        return True

    # -- message helpers --

    def _render(self, params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        raw = params.get("text")
        if raw is None or raw == "":
            self.stats.bad_requests += 1
            raise ApiError(400, "Bad Request: message text is empty")
        raw = str(raw)
        parse_mode = str(params.get("parse_mode") or "")
        entities: list[dict[str, Any]] = []
        if parse_mode.lower() == "html":
            try:
                text, entities = parse_html(raw, self.strict_ampersand)
            except EntityParseError as exc:
                self.stats.bad_requests += 1
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        elif parse_mode:
            raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r} in the fake")
        else:
            text = raw
            given = params.get("entities")
            if isinstance(given, list):
                entities = given
        if not text.strip():
            self.stats.bad_requests += 1
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT_UTF16:
            self.stats.bad_requests += 1
            raise ApiError(400, "Bad Request: message is too long")
        return text, entities

    def _check_markup(self, markup: Any) -> dict[str, Any] | None:
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return markup  # reply keyboards and the like: accepted as they are
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise ApiError(400, "Bad Request: can't parse inline keyboard button: wrong rows")
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
                data = button.get("callback_data")
                if data is not None:
                    if not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
                        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                elif "url" in button:
                    if not re.match(r"(https?|tg)://", str(button["url"])):
                        raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
                else:
                    raise ApiError(
                        400, "Bad Request: can't parse inline keyboard button: unknown type"
                    )
        return markup

    def _store_message(
        self,
        chat_id: int,
        text: str,
        params: dict[str, Any],
        entities: list[dict[str, Any]] | None = None,
        markup: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        message = Message(
            chat_id=chat_id,
            message_id=self._next_message_id(chat_id),
            text=text,
            from_bot=True,
            html=params.get("text") if params.get("parse_mode") else None,
            parse_mode=params.get("parse_mode"),
            entities=entities or [],
            reply_markup=markup,
            date=int(time.time()),
            thread_id=params.get("message_thread_id"),
        )
        if self.record:
            self._messages.setdefault(chat_id, {})[message.message_id] = message
        return self._message_json(message)

    def _find_for_edit(self, params: dict[str, Any]) -> Message:
        chat = self._messages.get(params.get("chat_id"))
        message = chat.get(params.get("message_id")) if chat else None
        if message is None or not message.from_bot:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _edited(self, message: Message) -> dict[str, Any]:
        message.edits += 1
        self.stats.edited += 1
        data = self._message_json(message)
        data["edit_date"] = int(time.time())
        return data

    def _message_json(self, message: Message) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self.bot_user if message.from_bot else self._user(message.chat_id),
            "chat": self._chat(message.chat_id),
            "date": message.date,
            "text": message.text,
        }
        if message.entities:
            data["entities"] = message.entities
        if message.document is not None:
            data["document"] = message.document.as_json()
            del data["text"]
            data.pop("entities", None)
            if message.text:
                data["caption"] = message.text
                if message.entities:
                    data["caption_entities"] = message.entities
        if message.reply_markup:
            data["reply_markup"] = message.reply_markup
        if message.thread_id is not None:  # sent to a forum topic: it says so (buttons)
            data["message_thread_id"] = message.thread_id
            data["is_topic_message"] = True
        return data

    # -- control endpoints (for a fake in another process) --

    async def _control(self, request: web.BaseRequest, action: str) -> web.StreamResponse:
        body: dict[str, Any] = {}
        if request.method == "POST" and request.can_read_body:
            body = await request.json()
        if action == "stats":
            return _answer(200, self.stats.as_dict())
        if action == "reset":
            self.reset_stats()
            return _answer(200, {"ok": True})
        if action == "config":
            if "cap" in body:
                self.cap = body["cap"]
            if "chat_cap" in body:
                self.chat_cap = tuple(body["chat_cap"]) if body["chat_cap"] else None
            if "record" in body:
                self.record = bool(body["record"])
            return _answer(200, {"ok": True})
        if action == "fault":
            fault = Fault.from_kind(
                body["kind"], int(body.get("retry_after", 1)), float(body.get("delay", 0.0))
            )
            self.fail(body.get("chat_id"), fault, body.get("times", 1), body.get("methods"))
            return _answer(200, {"ok": True})
        if action == "clear_faults":
            self.clear_faults(every_chat=True)
            return _answer(200, {"ok": True})
        return _answer(404, {"ok": False, "description": f"unknown control action {action!r}"})


_HANDLERS: dict[str, Callable[[FakeBotAPI, dict[str, Any]], Any]] = {
    "getme": FakeBotAPI._get_me,
    "getupdates": FakeBotAPI._get_updates,
    "setwebhook": FakeBotAPI._set_webhook,
    "deletewebhook": FakeBotAPI._delete_webhook,
    "getwebhookinfo": FakeBotAPI._get_webhook_info,
    "setmycommands": FakeBotAPI._set_my_commands,
    "getmycommands": FakeBotAPI._get_my_commands,
    "getchatmember": FakeBotAPI._get_chat_member,
    "getchatadministrators": FakeBotAPI._get_chat_administrators,
    "senddocument": FakeBotAPI._send_document,
    "getfile": FakeBotAPI._get_file,
    "sendmessage": FakeBotAPI._send_message,
    "sendchataction": FakeBotAPI._send_chat_action,
    "editmessagetext": FakeBotAPI._edit_message_text,
    "editmessagereplymarkup": FakeBotAPI._edit_message_reply_markup,
    "deletemessage": FakeBotAPI._delete_message,
    "answercallbackquery": FakeBotAPI._answer_callback_query,
}


def _answer(status: int, body: Any) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        content_type="application/json",
    )


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


async def _read_params(
    request: web.BaseRequest, uploads: dict[str, tuple[str, bytes, str]] | None = None
) -> dict[str, Any]:
    """The call's parameters from the query string and a form, multipart or JSON body.
    Uploaded files stay their file name among the parameters; with ``uploads`` given,
    each one's (file name, bytes, content type) is put there by field name."""
    params: dict[str, Any] = dict(request.query) if request.query_string else {}
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                # Uploaded files are kept as their file name.
                params[key] = value if isinstance(value, str) else getattr(value, "filename", "")
                if uploads is not None and not isinstance(value, str):
                    uploads[key] = (value.filename, value.file.read(), value.content_type)
    for key, value in params.items():
        if not isinstance(value, str):
            continue
        if key in _JSON_FIELDS:
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
        elif key in _INT_FIELDS and re.fullmatch(r"-?\d+", value):
            params[key] = int(value)
        elif key in _BOOL_FIELDS:
            params[key] = value.lower() == "true"
    return params


# -- command line -------------------------------------------------------------


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeBotAPI(
        token=args.token,
        host=args.host,
        port=args.port,
        cap=args.cap,
        chat_cap=(args.chat_cap, 1.0) if args.chat_cap else None,
        record=args.record,
    )
    await fake.start()
    print(f"fakebotapi listening on {fake.base_url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await fake.stop()
    print(json.dumps(fake.stats.as_dict()), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakebotapi", description="A fake Telegram Bot API server."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the one token accepted")
    parser.add_argument("--cap", type=float, default=None, help="messages per sliding second")
    parser.add_argument("--chat-cap", type=int, default=None, help="messages per chat per second")
    parser.add_argument(
        "--record",
        action="store_true",
        help="keep every call and message in memory (off by default here: benchmarks)",
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
