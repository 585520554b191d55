"""Everything that relies on python-telegram-bot beyond its documented API, in one place.

Each name here leans on something PTB does not promise to keep; a PTB upgrade that
changes it should fail ``tests/test_ptb.py`` rather than misbehave quietly.

* :func:`opt_into_timedelta` -- PTB 22 warns (``PTBDeprecationWarning``) whenever a
  ``RetryAfter`` is built unless ``PTB_TIMEDELTA`` is set; under ``-W error`` that
  warning would replace the 429 itself. Called where the application is built (and by
  the test configuration), never at import time.
* :func:`retry_after_seconds` -- the exact wait of a 429. ``RetryAfter.retry_after``
  warns (its int form is deprecated), so we read the private ``_retry_after`` timedelta.
* :func:`send_html` -- ``sendMessage`` through ``do_api_request`` with the lower-case
  method name, which skips both PTB's warning and its parsing of the answer.
"""

from __future__ import annotations

import json
import os
from typing import Any

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import RetryAfter

__all__ = ["opt_into_timedelta", "retry_after_seconds", "send_html"]


def opt_into_timedelta() -> None:
    """Opt into PTB's timedelta durations (``PTB_TIMEDELTA=1``) for this process."""
    os.environ.setdefault("PTB_TIMEDELTA", "1")


def retry_after_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked us to wait, in seconds, from a 429's ``RetryAfter``."""
    wait = exc._retry_after
    return wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)


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
) -> Any:
    """Send an HTML message without link preview, through the bot's rate limiter (with
    ``rate_limit_args``); returns Telegram's answer as a dict.

    ``do_api_request`` with the lower-case method name: PTB warns when a known method is
    called by its camel-case name this way, and then returns the answer as a dict
    instead of parsing it into a ``Message`` (with building the request, that parsing
    is most of a reply's CPU); no reply needs the Message.
    """
    api_kwargs: dict[str, Any] = {
        "chat_id": chat_id,
        "text": text,
        "parse_mode": ParseMode.HTML.value,
        "link_preview_options": _NO_PREVIEW_JSON,
    }
    if reply_markup is not None:
        api_kwargs["reply_markup"] = reply_markup
    if message_thread_id is not None:
        api_kwargs["message_thread_id"] = message_thread_id
    return await bot.do_api_request(
        "sendmessage", api_kwargs=api_kwargs, rate_limit_args=rate_limit_args
    )
