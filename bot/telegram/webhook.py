"""The webhook endpoint: Telegram POSTs updates here (``[telegram] mode = "webhook"``).

Our own small aiohttp server instead of python-telegram-bot's tornado one, because
that one reads a whole body before it looks at the secret: eight 90 MB POSTs without
the secret took 914 MB. Here a request is judged on its headers first:

* not ``POST`` to the configured path → 404/405;
* without the right ``X-Telegram-Bot-Api-Secret-Token`` → 403, body never read;
* a declared ``Content-Length`` over :data:`MAX_BODY` → 413, body never read; a chunked
  body is read up to that size and refused past it (aiohttp's ``client_max_size``).

Accepted updates go into the application's update queue, as PTB's own server does.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.telegram.updates import raw_chat

__all__ = ["MAX_BODY", "SECRET_HEADER", "WebhookServer"]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are a few KB; a message with the longest text and entities is far
# below this.
MAX_BODY = 1024 * 1024


class WebhookServer:
    """Listen on ``listen:port`` at ``/path`` for updates of ``application``."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        *,
        listen: str,
        port: int,
        path: str,
        secret: str,
        max_body: int = MAX_BODY,
        drop_if: Callable[[int | None], bool] | None = None,
    ) -> None:
        self.application = application
        self.listen = listen
        self.port = port
        self.path = "/" + path.lstrip("/")
        self._secret = secret.encode()
        self.max_body = max_body
        # Asked with each update's chat id: True drops it unparsed (a flooding chat).
        self.drop_if = drop_if
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=self.max_body)
        app.router.add_route("*", self.path, self._handle)
        # No access log: it would be one line per update, and nothing in it is ours. No
        # lingering: aiohttp would otherwise keep reading a refused body for 10 s.
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, lingering_time=0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        await site.start()
        log.info("webhook listening on %s:%d%s", self.listen, self.port, self.path)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.method != "POST":
            return web.Response(status=405, headers={"Allow": "POST"})
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.debug("webhook: refused a request without the right secret header")
            return _refuse(403, "Forbidden")
        if request.content_length is not None and request.content_length > self.max_body:
            return _refuse(413, "Payload Too Large")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _refuse(413, "Payload Too Large")
        try:
            data = json.loads(body)
            if self.drop_if is not None and isinstance(data, dict) and self.drop_if(raw_chat(data)):
                return web.Response(status=200)
            update = Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning(
                "webhook: refused a body that is not an update: %s"
                ": nothing to do unless it repeats; then check what else posts to the webhook",
                exc,
            )
            return _refuse(400, "Bad Request")
        if update is None:
            return _refuse(400, "Bad Request")
        await self.application.update_queue.put(update)
        return web.Response(status=200)


def _refuse(status: int, reason: str) -> web.Response:
    # Closing the connection means an unread body is never read.
    response = web.Response(status=status, text=reason)
    response.force_close()
    return response
