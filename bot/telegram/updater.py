"""How updates reach the bot: long polling or the webhook (``[telegram] mode``).

What is fetched (:data:`ALLOWED_UPDATES`), the updater's arguments by mode, starting and
stopping it (the webhook server and ``setWebhook``, or PTB's long polling), and whether
the bot is getting updates (:func:`health`, for ``/healthz``). With several processes in
long-polling mode, only the leader polls (:func:`polls_when_leading`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import Application

from bot.config import Config
from bot.telegram.runtime import runtime
from bot.telegram.webhook import WebhookServer

__all__ = [
    "ALLOWED_UPDATES",
    "health",
    "polls_when_leading",
    "start_updater",
    "stop_updater",
    "updater_kwargs",
]

# The updates the bot handles; anything else is not even fetched. Channel posts: commands
# sent in a channel the bot administers (handlers.channels); my_chat_member: the bot made
# an administrator of a channel, or removed.
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.CALLBACK_QUERY,
    Update.CHANNEL_POST,
    Update.MY_CHAT_MEMBER,
]


def _webhook_path(url: str) -> str:
    """The path part of the public webhook URL, which the local server listens on."""
    return urlsplit(url).path.lstrip("/")


def updater_kwargs(config: Config) -> dict[str, Any]:
    """Arguments for run_polling/start_polling or run_webhook/start_webhook, by mode."""
    tg = config.telegram
    common: dict[str, Any] = {
        "allowed_updates": ALLOWED_UPDATES,
        # Commands sent while the bot was down are answered, not dropped.
        "drop_pending_updates": False,
    }
    if tg.mode == "webhook":
        assert tg.webhook_url and tg.secret_token  # checked by load_config
        return {
            **common,
            "listen": tg.listen,
            "port": tg.port,
            "url_path": _webhook_path(tg.webhook_url),
            "webhook_url": tg.webhook_url,
            "secret_token": tg.secret_token,
        }
    # Long polls of 10 s: a stop never waits longer than that for Telegram.
    return {**common, "timeout": 10}


async def start_updater(application: Application, config: Config) -> None:
    """Start fetching updates (long polling, or our webhook server and setWebhook)."""
    kwargs = updater_kwargs(config)
    if config.telegram.mode == "webhook":
        tg = config.telegram
        server = WebhookServer(
            application,
            listen=tg.listen,
            port=tg.port,
            path=kwargs["url_path"],
            secret=kwargs["secret_token"],
            drop_if=getattr(application.update_processor, "drop_if_flooding", None),
        )
        await server.start()
        runtime(application).webhook = server
        await application.bot.set_webhook(
            url=kwargs["webhook_url"],
            secret_token=kwargs["secret_token"],
            allowed_updates=kwargs["allowed_updates"],
            drop_pending_updates=kwargs["drop_pending_updates"],
        )
        runtime(application).webhook_registered = True
    else:
        assert application.updater is not None
        await application.updater.start_polling(**kwargs)


async def stop_updater(application: Application) -> None:
    """Stop fetching updates (the webhook stays registered: Telegram keeps what comes in
    while the bot is down and delivers it after the next start)."""
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    rt = runtime(application)
    rt.webhook_registered = False
    if rt.webhook is not None:
        await rt.webhook.stop()
        rt.webhook = None


def polls_when_leading(application: Application) -> bool:
    """Long polling with several processes: Telegram answers one ``getUpdates`` at a
    time (409 to the others), so only the leader polls (bot.telegram.leaderjobs); the
    others send from the outbox. In webhook mode every process serves updates."""
    rt = runtime(application)
    return rt.leader.shared and rt.config.telegram.mode == "polling"


def health(application: Application) -> str | None:
    """None while the bot is alive and getting updates (long polling running, or the
    webhook registered and its server up); else why not, in a few words (/healthz)."""
    rt = runtime(application)
    if rt.stopping or not application.running:
        return "not running: starting or stopping"
    if rt.config.telegram.mode == "webhook":
        if rt.webhook is None or not rt.webhook_registered:
            return "the webhook is not registered"
        return None
    if polls_when_leading(application) and not rt.leader.is_leader:
        return None  # a standby: another process polls
    if application.updater is None or not application.updater.running:
        return "long polling is not running"
    return None
