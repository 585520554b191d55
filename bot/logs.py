"""How log lines are written: the level and the libraries' chatter (``-v``), and the
format, readable text or one JSON object per line for log collectors."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

__all__ = ["TEXT_FORMAT", "JsonFormatter", "setup_logging", "use_format"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: ``time`` (ISO 8601, UTC), ``level``,
    ``logger``, ``message`` and, when the record carries one, ``exception`` (the
    traceback). Secrets are already out of the record (:mod:`bot.telegram.redaction`
    rewrites message and traceback when the record is made)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # ensure_ascii keeps the line one line whatever the message holds.
        return json.dumps(entry, ensure_ascii=True)


def setup_logging(verbosity: int, default: int) -> None:
    """Log to stderr at ``default`` (INFO with ``-v``, DEBUG with ``-vv``), libraries'
    routine lines only with ``-v``."""
    level = default
    if verbosity == 1:
        level = min(default, logging.INFO)
    elif verbosity >= 2:
        level = logging.DEBUG
    logging.basicConfig(level=level, format=TEXT_FORMAT, stream=sys.stderr)
    if verbosity < 2:
        # trafilatura and htmldate warn about every page without text; we say it once,
        # in our own words (the skipped file's log line).
        for name in ("trafilatura", "htmldate", "courlan"):
            logging.getLogger(name).setLevel(logging.ERROR)
    # The libraries' routine lines (APScheduler: two per job run, every 30 s even with
    # nothing to do; python-telegram-bot: "Application started") need -v; their warnings
    # and errors always show.
    for name in ("apscheduler", "telegram"):
        logging.getLogger(name).setLevel(logging.WARNING if verbosity < 1 else logging.NOTSET)


def use_format(name: str) -> None:
    """Write every root handler's lines as ``name``: "text" or "json" (``[log] format``)."""
    formatter = JsonFormatter() if name == "json" else logging.Formatter(TEXT_FORMAT)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
