"""Secrets out of the logs: the bot token (and any other registered secret) never reaches
a log record, at any level, for any handler."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["install_token_redaction", "redact"]

_TOKENS: set[str] = set()
_PREVIOUS_FACTORY: Callable[..., logging.LogRecord] | None = None


def redact(text: str, tokens: Sequence[str] | set[str] | None = None) -> str:
    """``text`` with every known bot token (or the given ones) replaced by ``<token>``."""
    for token in _TOKENS if tokens is None else tokens:
        if token and token in text:
            text = text.replace(token, "<token>")
    return text


def _redacted_record_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    assert _PREVIOUS_FACTORY is not None
    record = _PREVIOUS_FACTORY(*args, **kwargs)
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it to the handler to report
        return record
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[1] is not None:
        # Exceptions from HTTP libraries quote the request URL, token included: format
        # the traceback now, redacted; formatters use exc_text when it is set.
        text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = redact(text)
    return record


def install_token_redaction(token: str) -> None:
    """Keep ``token`` out of every log record, at every level and for every handler.

    httpx logs each request URL (which holds the token) at INFO: its loggers go to
    WARNING. Whatever else would still carry the token -- a message, its arguments,
    an exception's text -- is rewritten when the record is created, so handlers added
    later (and any formatter) only ever see ``<token>``. Idempotent; several tokens
    may be registered.
    """
    global _PREVIOUS_FACTORY
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if token:
        _TOKENS.add(token)
    if _PREVIOUS_FACTORY is None:
        _PREVIOUS_FACTORY = logging.getLogRecordFactory()
        logging.setLogRecordFactory(_redacted_record_factory)
