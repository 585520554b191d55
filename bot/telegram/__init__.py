"""The Telegram edge: the python-telegram-bot application, its jobs, sender, rate limits,
Bot API requests, updates, webhook and the command handlers (:mod:`bot.telegram.handlers`).

Everything here is thin: it parses what Telegram sends, calls the core or the store, and
formats the reply. Start reading at :mod:`bot.telegram.app`.
"""

from __future__ import annotations
