"""Per-key request quotas (per chat: one link in flight, at most N an hour); pure.

:class:`Quota` is bookkeeping only, with an injectable clock and no asyncio, so the
rules are tested without waiting. A key (a chat id) may hold one request at a time and
start at most ``per_window`` requests in any sliding ``window`` seconds (an hour by
default, ``[fetch] per_chat_per_hour``). :meth:`Quota.admit` either records the start
or raises :class:`~bot.errors.TooManyRequests` saying when to try again;
:meth:`Quota.done` ends the request. :meth:`Quota.hold` wraps both::

    with quota.hold(chat_id):        # raises TooManyRequests
        result = await fetcher.fetch(url)

Keys with nothing in flight and nothing left in their window are forgotten, so memory
follows the chats active in the last window, not every chat ever seen.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager

from bot.errors import TooManyRequests

HOUR = 3600.0


class Quota:
    """One in flight and at most ``per_window`` starts per ``window`` seconds, per key."""

    def __init__(
        self,
        per_window: int,
        window: float = HOUR,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_window < 1 or window <= 0:
            raise ValueError("per_window must be at least 1 and window positive")
        self.per_window = per_window
        self.window = window
        self._clock = clock
        self._starts: dict[Hashable, deque[float]] = {}
        self._busy: set[Hashable] = set()
        self._admitted = 0

    def retry_in(self, key: Hashable) -> float:
        """Seconds until ``key`` may start another request (0: now, if not busy)."""
        now = self._clock()
        starts = self._window(key, now)
        if len(starts) < self.per_window:
            return 0.0
        return max(0.0, starts[0] + self.window - now)

    def admit(self, key: Hashable) -> None:
        """Record a start for ``key``, or raise TooManyRequests (busy, or over the quota)."""
        now = self._clock()
        if key in self._busy:
            raise TooManyRequests(key, 0.0, busy=True)
        starts = self._window(key, now)
        if len(starts) >= self.per_window:
            raise TooManyRequests(key, max(0.0, starts[0] + self.window - now))
        starts.append(now)
        self._starts[key] = starts
        self._busy.add(key)
        self._admitted += 1
        if self._admitted % 1024 == 0:
            self._sweep(now)

    def done(self, key: Hashable) -> None:
        """The request of ``key`` finished (successfully or not)."""
        self._busy.discard(key)

    def busy(self, key: Hashable) -> bool:
        return key in self._busy

    @contextmanager
    def hold(self, key: Hashable) -> Iterator[None]:
        """``admit(key)``, run the block, then ``done(key)`` whatever happens."""
        self.admit(key)
        try:
            yield
        finally:
            self.done(key)

    def __len__(self) -> int:
        """Keys remembered (for tests and stats)."""
        return len(self._starts.keys() | self._busy)

    def _window(self, key: Hashable, now: float) -> deque[float]:
        starts = self._starts.get(key)
        if starts is None:
            return deque()
        while starts and starts[0] <= now - self.window:
            starts.popleft()
        if not starts:
            del self._starts[key]
        return starts

    def _sweep(self, now: float) -> None:
        for key in list(self._starts):
            self._window(key, now)
