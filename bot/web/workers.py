"""Where the CPU-heavy work of summaries on demand runs: :class:`Workers`, a process pool.

Extraction and the summary (about 25 ms of CPU for a real page of 100 kB, trafilatura
the most of it) are pure-Python CPU work. In
threads they hold the GIL, and a burst of pages starves the event loop (bench/links.py
measures both ways); in worker processes the loop keeps its process to itself. The pool
is started from a fork server that has imported the summarizing modules once, so a
worker starts warm and never inherits the bot's threads or sockets; workers run at a
lower priority, all start on first use (in a thread: the fork server's imports take
half a second), and a pool broken by a killed worker is replaced for the next request.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

__all__ = ["WORKER_NICENESS", "Workers"]

T = TypeVar("T")

# Worker processes run at this niceness: when the CPU is short, the event loop wins.
# bench/links.py (100 links at once beside 500 /article N): /article p99 about 105 ms at
# nice 10, 84 ms at 19, with the links as fast. The cost: on a machine kept busy by other
# programs, summaries on demand wait for their idle time.
WORKER_NICENESS = 19


def _worker_start(niceness: int) -> None:
    with contextlib.suppress(OSError):
        os.nice(niceness)


class Workers:
    """``processes`` worker processes (default: one per CPU), or threads with
    ``processes=0``; functions and their results must pickle."""

    def __init__(self, processes: int | None = None, niceness: int = WORKER_NICENESS) -> None:
        self.processes = (os.cpu_count() or 2) if processes is None else processes
        self.niceness = niceness
        self._pool: Executor | None = None
        self._starting = asyncio.Lock()
        self.runs = 0  # calls handed to a worker (for tests and stats)

    def _start_pool(self) -> ProcessPoolExecutor:
        """A new pool with every worker started (blocking: run it in a thread).

        Starting a worker waits for the fork server, which imports the summarizing
        modules first: about 0.45 s that must not be spent on the event loop (measured
        in bench/links.py before this ran in a thread). Later calls find the workers
        idle and start none."""
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["bot.web.links", "bot.extract"])
        pool = ProcessPoolExecutor(
            self.processes,
            mp_context=context,
            initializer=_worker_start,
            initargs=(self.niceness,),
        )
        # The pool starts a worker per call while none is idle: one call per worker,
        # all submitted before any finishes, starts them all.
        for future in [pool.submit(os.getpid) for _ in range(self.processes)]:
            future.result()
        return pool

    async def _executor(self) -> Executor | None:
        if self.processes <= 0:
            return None
        async with self._starting:  # one pool, however many calls arrive meanwhile
            if self._pool is None:
                self._pool = await asyncio.to_thread(self._start_pool)
        return self._pool

    async def start(self) -> None:
        """Start the worker processes now instead of on first use (nothing to do with
        threads, or when they are running): the first call then waits for none."""
        await self._executor()

    async def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` in a worker (a top-level, picklable function)."""
        call = functools.partial(function, *args, **kwargs)
        self.runs += 1
        pool = self._pool if self._pool is not None else await self._executor()
        if pool is None:
            return await asyncio.to_thread(call)
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, call)
        except BrokenProcessPool:
            if self._pool is pool:
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
            raise

    async def close(self) -> None:
        """Stop the workers (waits for them in a thread, not on the loop)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)
