"""Everything that relies on python-telegram-bot beyond its documented API, in one place.

Each name here leans on something PTB does not promise to keep; a PTB upgrade that
changes it should fail ``tests/test_ptb.py`` rather than misbehave quietly. No other
module of the bot imports ``telegram._…`` or touches a PTB object's private attributes:
``tests/test_layout.py`` fails on any module that reaches into another's private names
and lets this one alone do so.

* :func:`opt_into_timedelta` -- PTB 22 warns (``PTBDeprecationWarning``) whenever a
  ``RetryAfter`` is built unless ``PTB_TIMEDELTA`` is set; under ``-W error`` that
  warning would replace the 429 itself. Called where the application is built (and by
  the test configuration), never at import time.
* :func:`retry_after_seconds` -- the exact wait of a 429. ``RetryAfter.retry_after``
  warns (its int form is deprecated), so we read the private ``_retry_after`` timedelta.
* :func:`is_default_value` -- whether a timeout argument is PTB's "not passed" marker.
  The documented test is ``value is BaseRequest.DEFAULT_NONE``; PTB's own requests test
  ``isinstance(value, DefaultValue)`` (class in the private ``telegram._utils``), which
  also covers any other default PTB might pass. We do as PTB does.
* :func:`send_html` / :func:`send_message_json` -- ``sendMessage`` whose answer stays a
  dict. Bot API method names are case-insensitive; ``Bot.do_api_request("sendmessage")`` posts to
  ``.../sendmessage`` without the warning it gives for ``"sendMessage"`` (it warns when
  the bot has an attribute of that name) and without parsing the answer into a
  ``Message`` -- half the CPU of a send. Relies on that warning test and on
  ``to_camel_case`` leaving a lower-case name alone.
* :func:`post_get_updates` -- the body of PTB's ``Bot.get_updates`` up to the answer as
  JSON (the fast lane in ``bot.telegram.updates`` turns it into Updates itself): the same
  parameters, the long poll's ``timeout`` added to the read timeout of the getUpdates
  request (``bot._request[0]``), posted through the private ``Bot._post`` so defaults,
  ``api_kwargs`` and the rate limiter's bypass for getUpdates stay PTB's.
* :func:`updates_request` -- the request object getUpdates uses (``bot._request[0]``;
  ``Bot.request`` is the other one, and PTB has no public name for this one).
* :func:`request_data` -- a ``RequestData`` from plain values, as ``Bot._do_post`` makes
  it; ``RequestParameter`` lives in a private module.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from typing import Any

from telegram import Bot, InlineKeyboardMarkup
from telegram._utils.defaultvalue import DefaultValue
from telegram.constants import ParseMode
from telegram.error import RetryAfter
from telegram.ext import ExtBot
from telegram.request import BaseRequest, RequestData
from telegram.request._requestparameter import RequestParameter

__all__ = [
    "is_default_value",
    "opt_into_timedelta",
    "post_get_updates",
    "request_data",
    "retry_after_seconds",
    "send_html",
    "send_message_json",
    "updates_request",
]

# The lower-case spelling of sendMessage (see send_message_json).
SEND_MESSAGE_ENDPOINT = "sendmessage"


def opt_into_timedelta() -> None:
    """Opt into PTB's timedelta durations (``PTB_TIMEDELTA=1``) for this process."""
    os.environ.setdefault("PTB_TIMEDELTA", "1")


def retry_after_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked us to wait, in seconds, from a 429's ``RetryAfter``."""
    return exc._retry_after.total_seconds()


def is_default_value(value: object) -> bool:
    """Whether ``value`` is PTB's marker for an argument that was not passed."""
    return isinstance(value, DefaultValue)


async def send_message_json(
    bot: Bot, api_kwargs: dict[str, Any], *, rate_limit_args: Any = None
) -> Any:
    """``sendMessage`` with ``api_kwargs`` as its parameters; returns Telegram's answer
    as JSON (a dict), not a ``Message``. ``rate_limit_args``: for the ExtBot's rate
    limiter (an ExtBot only)."""
    if rate_limit_args is None:
        return await bot.do_api_request(SEND_MESSAGE_ENDPOINT, api_kwargs=api_kwargs)
    assert isinstance(bot, ExtBot)
    return await bot.do_api_request(
        SEND_MESSAGE_ENDPOINT, api_kwargs=api_kwargs, rate_limit_args=rate_limit_args
    )


def updates_request(bot: Bot) -> BaseRequest:
    """The request object the bot's getUpdates calls go through."""
    return bot._request[0]


async def post_get_updates(
    bot: Bot,
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
) -> list[dict[str, Any]]:
    """``Bot.get_updates`` up to Telegram's answer: the updates as JSON dicts."""
    data = {
        "timeout": timeout,
        "offset": offset,
        "limit": limit,
        "allowed_updates": allowed_updates,
    }
    # As PTB: a long poll may take `timeout` seconds on top of the read timeout.
    if is_default_value(read_timeout):
        read_timeout = bot._request[0].read_timeout
    if isinstance(timeout, dt.timedelta):
        timeout = timeout.total_seconds()
    read_timeout = (read_timeout or 0) + (timeout or 0)
    return await bot._post(
        "getUpdates",
        data,
        read_timeout=read_timeout,
        write_timeout=write_timeout,
        connect_timeout=connect_timeout,
        pool_timeout=pool_timeout,
        api_kwargs=api_kwargs,
    )


def request_data(parameters: dict[str, Any]) -> RequestData:
    """A ``RequestData`` of plain parameters, as ``Bot._do_post`` builds one (from the
    private ``telegram.request._requestparameter.RequestParameter``); for calling a
    ``BaseRequest`` directly, as the tests of ``bot.telegram.request`` do."""
    return RequestData([RequestParameter.from_input(k, v) for k, v in parameters.items()])


# PTB sends object parameters as JSON strings; this one is constant.
_NO_PREVIEW_JSON = json.dumps({"is_disabled": True})


async def send_html(
    bot: Bot,
    chat_id: int,
    text: str,
    reply_markup: InlineKeyboardMarkup | str | None = None,
    message_thread_id: int | None = None,
    *,
    rate_limit_args: Any = None,
    silent: bool = False,
    previews: bool = False,
) -> Any:
    """Send an HTML message through the bot's rate limiter (see
    :func:`send_message_json`); returns Telegram's answer as a dict. Without link
    preview unless ``previews``; ``silent``: with ``disable_notification`` (no sound)."""
    api_kwargs: dict[str, Any] = {
        "chat_id": chat_id,
        "text": text,
        "parse_mode": ParseMode.HTML.value,
    }
    if not previews:
        api_kwargs["link_preview_options"] = _NO_PREVIEW_JSON
    if silent:
        api_kwargs["disable_notification"] = True
    if reply_markup is not None:
        api_kwargs["reply_markup"] = reply_markup
    if message_thread_id is not None:
        api_kwargs["message_thread_id"] = message_thread_id
    return await send_message_json(bot, api_kwargs, rate_limit_args=rate_limit_args)
