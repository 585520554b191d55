"""bot.web.workers: summaries run in other processes, errors come back intact, and a pool
whose worker died is replaced."""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures.process import BrokenProcessPool

import pytest

from bot.errors import NotAnArticle
from bot.web.workers import WORKER_NICENESS, Workers


def not_an_article(source: str) -> None:
    raise NotAnArticle(source, "no article text found")


def die() -> None:
    os._exit(3)


async def test_work_runs_in_another_process_at_a_lower_priority() -> None:
    workers = Workers(1)
    try:
        pid = await workers.run(os.getpid)
        niceness = await workers.run(os.nice, 0)
    finally:
        await workers.close()
    assert pid != os.getpid()
    assert niceness >= os.nice(0) + WORKER_NICENESS or niceness == 19
    assert workers.runs == 2


async def test_without_processes_work_runs_in_a_thread_of_this_process() -> None:
    workers = Workers(0)
    assert await workers.run(os.getpid) == os.getpid()
    await workers.close()


async def test_an_error_raised_in_a_worker_arrives_as_itself(warm_workers: Workers) -> None:
    with pytest.raises(NotAnArticle) as raised:
        await warm_workers.run(not_an_article, "https://example.com/")
    assert raised.value.source == "https://example.com/"
    assert raised.value.reason == "no article text found"


async def test_a_pool_whose_worker_died_is_replaced_for_the_next_call() -> None:
    workers = Workers(1)
    try:
        with pytest.raises(BrokenProcessPool):
            await workers.run(die)
        assert await workers.run(os.getpid) != os.getpid()
    finally:
        await workers.close()


class RecordingWorkers(Workers):
    """Workers that note which thread started their pool and how many were started."""

    def __init__(self, processes: int) -> None:
        super().__init__(processes)
        self.started_in: list[int] = []

    def _start_pool(self):  # type: ignore[no-untyped-def]
        self.started_in.append(threading.get_ident())
        return super()._start_pool()


async def test_the_pool_starts_once_off_the_event_loop_with_every_worker_running() -> None:
    # Starting workers waits for the fork server's imports (about half a second): on
    # the event loop, every reply would wait as long.
    workers = RecordingWorkers(2)
    try:
        pids = await asyncio.gather(*(workers.run(os.getpid) for _ in range(6)))
        running = list(workers._pool._processes)  # type: ignore[union-attr]
    finally:
        await workers.close()
    assert len(workers.started_in) == 1
    assert workers.started_in[0] != threading.get_ident()
    assert len(running) == 2  # both started up front, not one per busy moment
    assert set(pids) <= set(running)


async def test_start_starts_the_pool_before_the_first_call_and_only_once() -> None:
    workers = RecordingWorkers(1)
    try:
        await workers.start()
        assert len(workers.started_in) == 1 and workers.runs == 0
        await workers.start()
        pid = await workers.run(os.getpid)
    finally:
        await workers.close()
    assert len(workers.started_in) == 1 and pid != os.getpid()
