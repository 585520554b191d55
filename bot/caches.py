"""Caches with a ceiling in bytes as well as in entries.

A cache bounded only by its number of entries is bounded in memory only while every
entry is small: the bodies of 256 summarized pages of 5 MB each are 1.3 GB.
:class:`SizedCache` keeps a mapping whose values' sizes (as a ``size`` function says, in
bytes, about) add up to at most ``max_bytes`` and whose entries number at most
``max_items``; the least recently used go first, and a value larger than the whole
budget is not kept at all. Pure: no asyncio, no I/O, one thread (the event loop).
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["SizedCache", "text_size"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# What a dict entry, its key and a small value object cost besides their payload.
ENTRY_OVERHEAD = 200


def text_size(text: str | bytes) -> int:
    """How many bytes ``text`` takes in memory (a str: 1, 2 or 4 a character as CPython
    stores it, plus its header); O(1)."""
    return sys.getsizeof(text)


class SizedCache(Generic[K, V]):
    """At most ``max_items`` entries and ``max_bytes`` of values, least recently used
    dropped first (reading an entry makes it recent)."""

    def __init__(self, max_items: int, max_bytes: int, size: Callable[[V], int]) -> None:
        if max_items < 1 or max_bytes < 1:
            raise ValueError("a cache needs room for something")
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._size = size
        self._items: OrderedDict[K, tuple[int, V]] = OrderedDict()
        self.bytes = 0

    def get(self, key: K) -> V | None:
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[1]

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` under ``key`` (replacing what was there), dropping the least
        recently used entries beyond the bounds; too big a value is not kept."""
        self.pop(key)
        size = self._size(value) + ENTRY_OVERHEAD
        if size > self.max_bytes:
            return
        self._items[key] = (size, value)
        self.bytes += size
        while len(self._items) > self.max_items or self.bytes > self.max_bytes:
            _, (dropped, _) = self._items.popitem(last=False)
            self.bytes -= dropped

    def pop(self, key: K) -> V | None:
        item = self._items.pop(key, None)
        if item is None:
            return None
        self.bytes -= item[0]
        return item[1]

    def values(self) -> list[V]:
        """The values, least recently used first."""
        return [value for _, value in self._items.values()]

    def clear(self) -> None:
        self._items.clear()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items
