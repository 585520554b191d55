"""The shared Redis of ``[cluster] redis_url``: one asyncio client per process, every
key of one bot under one prefix.

Keys are named ``digestbot:<bot id>:<what>:...`` (the bot id is the number before the
token's colon, not a secret), so two bots can share one Redis. Every key carries an
expiry: nothing in Redis needs cleaning up, and a lost Redis loses only short-lived
state (rates, tokens of buttons, quotas, cached answers), never a digest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["CONNECTIONS", "TIMEOUT_SECONDS", "connect", "key_prefix"]

# A Redis call that takes longer has failed (seconds).
TIMEOUT_SECONDS = 2.0
# Connections to Redis at once; a call beyond them waits for a free one (up to the
# timeout) rather than failing. Each is one booking or lookup of a few hundred µs.
CONNECTIONS = 32


def connect(url: str) -> Redis:
    """A ``redis.asyncio.Redis`` client for ``url`` (connects on first use)."""
    from redis.asyncio import BlockingConnectionPool, Redis

    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=CONNECTIONS,
        timeout=TIMEOUT_SECONDS,
        socket_timeout=TIMEOUT_SECONDS,
        socket_connect_timeout=TIMEOUT_SECONDS,
        health_check_interval=30,
    )
    return Redis.from_pool(pool)  # the client owns the pool: aclose() closes it


def key_prefix(token: str | None) -> str:
    """``digestbot:<bot id>:`` for the bot ``token`` (``digestbot:0:`` without one)."""
    bot_id = (token or "").partition(":")[0]
    return f"digestbot:{bot_id if bot_id.isdigit() else 0}:"
