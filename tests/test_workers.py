"""bot.workers: summaries run in other processes, errors come back intact, and a pool
whose worker died is replaced."""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool

import pytest

from bot.errors import NotAnArticle
from bot.workers import WORKER_NICENESS, Workers


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


async def test_an_error_raised_in_a_worker_arrives_as_itself() -> None:
    workers = Workers(1)
    try:
        with pytest.raises(NotAnArticle) as raised:
            await workers.run(not_an_article, "https://example.com/")
    finally:
        await workers.close()
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
