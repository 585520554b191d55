"""Shared fixtures: the fake Telegram Bot API every Telegram test talks to over HTTP,
a bot configured against it, and seed articles written on the fly."""

from __future__ import annotations

import os

# python-telegram-bot 22 warns (an error under filterwarnings=error) whenever a RetryAfter
# is built, unless time periods are opted in to datetime.timedelta. Opt in for all tests,
# before telegram is imported: RetryAfter.retry_after is then a timedelta.
os.environ.setdefault("PTB_TIMEDELTA", "1")

import asyncio
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.web.workers import Workers
from tests import databases
from tests.fakebotapi import FakeBotAPI, Message


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: about SQLite itself (files, WAL, PRAGMAs): not run on PostgreSQL"
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    """The PostgreSQL run needs its server: unreachable, the run is skipped with one line
    (in CI, where it must run, it fails)."""
    if os.environ.get("PYTEST_XDIST_WORKER") or databases.server_url() is None:
        return
    problem = databases.unreachable()
    if problem is None:
        return
    line = f"PostgreSQL at ${databases.ENV} is not reachable ({problem})"
    if os.environ.get("CI"):
        pytest.exit(f"{line}: CI needs it", returncode=1)
    pytest.exit(f"{line}: the PostgreSQL run is skipped", returncode=0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if databases.engine() != "postgresql":
        return
    skip = pytest.mark.skip(reason="SQLite only")
    for item in items:
        if "sqlite_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def postgresql_databases() -> Iterator[databases.Databases | None]:
    """This test process's source of fresh PostgreSQL databases (None on SQLite)."""
    url = databases.server_url()
    if url is None:
        yield None
        return
    made = databases.Databases(url)
    yield made
    made.close()


@pytest.fixture
def store_target(postgresql_databases: databases.Databases | None) -> Iterator[str]:
    """What a test's Store opens: ":memory:" on SQLite, a fresh database on PostgreSQL."""
    if postgresql_databases is None:
        yield ":memory:"
        return
    url = postgresql_databases.fresh()
    yield url
    postgresql_databases.drop(url)


@pytest.fixture
def shared_store_target(
    tmp_path: Path, postgresql_databases: databases.Databases | None
) -> Iterator[str]:
    """A database several Stores of one test open (as separate processes would): a file
    on SQLite, a fresh database on PostgreSQL."""
    if postgresql_databases is None:
        yield str(tmp_path / "store.sqlite3")
        return
    url = postgresql_databases.fresh()
    yield url
    postgresql_databases.drop(url)


class Clock:
    """What the bot thinks "now" is (when a job runs, when it says "next:"), set by the
    test: ``build_application(config, clock=clock)``, then ``clock.now = ...``."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def fake():
    """A fake Bot API on a free port of 127.0.0.1, stopped after the test."""
    async with FakeBotAPI() as server:
        yield server


def write_article(
    folder: Path,
    name: str,
    title: str,
    *,
    date: str | None = None,
    url: str | None = None,
    paragraphs: list[str] | None = None,
) -> Path:
    """A Markdown seed file with TOML front matter; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    front = [f"title = {_toml(title)}"]
    if date:
        front.append(f"date = {_toml(date)}")
    if url:
        front.append(f"url = {_toml(url)}")
    body = paragraphs or [
        f"The first sentence of {title} says what happened today. "
        "A second sentence adds the detail that readers want to know. "
        "A third sentence explains why this matters for everyone involved.",
        "Officials said the work would continue next week in the capital. "
        "Critics argued that the plan was too expensive and far too slow. "
        "Supporters replied that the cost was small compared with the benefits.",
    ]
    path = folder / name
    path.write_text("+++\n" + "\n".join(front) + "\n+++\n\n" + "\n\n".join(body) + "\n")
    return path


def _toml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class SessionWorkers(Workers):
    """One pool of worker processes for every bot of a test session (of one xdist
    worker): a bot's shutdown leaves it running, the session's end stops it."""

    async def close(self) -> None:
        """Kept for the next bot: see :meth:`stop`."""

    async def stop(self) -> None:
        await super().close()


@pytest.fixture(scope="session")
def warm_workers() -> Iterator[Workers]:
    """A started pool of one worker process that has already summarized a page.

    Starting a pool waits for the fork server's imports and the first summary pays for
    trafilatura's first use: seconds on a busy machine, once per session here instead of
    inside a test's wait for a reply."""
    from bot.web.links import summarize_page

    page = (
        "<html><head><title>Warm-up</title></head><body><article><h1>Warm-up</h1>"
        + "<p>The first sentence says what happened today in the town. A second sentence "
        "adds the detail that readers want. A third one explains why it matters.</p>"
        * 3
        + "</article></body></html>"
    )
    # At the scheduler's normal priority: at the bot's niceness (tests/test_workers.py
    # checks it) a machine busy with other work could starve the worker past a wait.
    workers = SessionWorkers(1, niceness=0)

    async def start() -> None:
        await workers.start()
        await workers.run(summarize_page, page, "https://warm.test/", sentences=3)

    asyncio.run(start())
    yield workers
    asyncio.run(workers.stop())


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    return folder


@pytest.fixture
def bot_config(
    tmp_path: Path,
    seeds: Path,
    fake: FakeBotAPI,
    postgresql_databases: databases.Databases | None,
) -> Callable[..., Any]:
    """A factory of Configs for a bot talking to ``fake``; keyword sections override.
    On PostgreSQL its database is the test process's, emptied ([storage] url)."""
    from bot.config import config_from_dict

    storage: dict[str, Any] = {"path": str(tmp_path / "bot.sqlite3")}
    if postgresql_databases is not None:
        storage["url"] = postgresql_databases.fresh()

    def make(**sections: dict[str, Any]):
        raw: dict[str, dict[str, Any]] = {
            # The fake has no per-chat limit (unless a test gives it one): replies to one
            # chat need not wait a second each, as they must for Telegram.
            "telegram": {
                "token": fake.token,
                "base_url": fake.base_url,
                "chat_messages_per_second": 1000,
            },
            # The tests run rescans and digests themselves: no timer fires during a test.
            "seeds": {"dir": str(seeds), "rescan_seconds": 3600},
            "storage": dict(storage),
        }
        for name, values in sections.items():
            raw.setdefault(name, {}).update(values)
        return config_from_dict(raw, base=tmp_path, env={})

    return make


async def say(
    fake: FakeBotAPI,
    chat: int,
    text: str,
    user: int | None = None,
    *,
    thread_id: int | None = None,
    as_group: bool = False,
) -> Message:
    """``user`` (default: the chat's own user) sends ``text`` in ``chat`` (in forum topic
    ``thread_id``; ``as_group``: an administrator writing as the group); the bot's reply
    there."""
    before = len(fake.messages(chat))
    fake.send_text(chat, text, user, thread_id=thread_id, as_group=as_group)
    return await fake.wait_for_message(chat, before + 1)


async def ask(fake: FakeBotAPI, text: str, chat: int, replies: int = 1) -> Message:
    """Send ``text`` as the user; return the bot's last reply once ``replies`` arrived."""
    before = len(fake.messages(chat))
    fake.send_text(chat, text)
    return await fake.wait_for_message(chat, before + replies)


def number_of(application: Any, title: str) -> int:
    """The number the running bot gave the article titled ``title``."""
    from bot.telegram.app import runtime

    store = runtime(application).store
    (match,) = [a for a in store.list_articles(0, 100) if a.title == title]
    return match.number


@pytest.fixture
def postgres_dsn() -> str:
    """The test PostgreSQL database (skipped when unreachable, failed under CI)."""
    from tests.services import POSTGRES_DSN, need

    need("PostgreSQL", "127.0.0.1", 5432)
    return POSTGRES_DSN


@pytest.fixture
def redis_url() -> str:
    """The test Redis (skipped when unreachable, failed under CI)."""
    from tests.services import REDIS_URL, need

    need("Redis", "127.0.0.1", 6379)
    return REDIS_URL
