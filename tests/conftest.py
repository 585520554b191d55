"""Shared fixtures: the fake Telegram Bot API server every Telegram test talks to over HTTP."""

from __future__ import annotations

import os

# python-telegram-bot 22 warns (an error under filterwarnings=error) whenever a RetryAfter
# is built, unless time periods are opted in to datetime.timedelta. Opt in for all tests,
# before telegram is imported: RetryAfter.retry_after is then a timedelta.
os.environ.setdefault("PTB_TIMEDELTA", "1")

import pytest

from tests.fakebotapi import FakeBotAPI


@pytest.fixture
async def fake():
    """A fake Bot API on a free port of 127.0.0.1, stopped after the test."""
    async with FakeBotAPI() as server:
        yield server
