"""Telegram shows "typing…" while /addfeed reads a slow site and while an OPML import
fetches its feeds: sendChatAction at once and again every few seconds, never after the
reply. The slow site is the loopback server's /hang (no answer until the timeout)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.telegram.app import build_application, running
from bot.telegram.handlers import common
from tests.fakebotapi import FakeBotAPI, Message
from tests.newssite import NewsSite
from tests.test_opml_bot import send_file

ADMIN = 7201


@pytest.fixture
async def site() -> AsyncIterator[NewsSite]:
    async with NewsSite() as news:
        yield news


@pytest.fixture
def config(bot_config: Any, site: NewsSite) -> Any:
    return bot_config(
        telegram={"admin_ids": [ADMIN]},
        fetch=site.fetch_keys(total_timeout=1, connect_timeout=1),
    )


def typing_calls(fake: FakeBotAPI) -> list[dict[str, Any]]:
    return [call.params for call in fake.calls_to("sendChatAction")]


async def ask(fake: FakeBotAPI, text: str) -> Message:
    before = len(fake.messages(ADMIN))
    fake.send_text(ADMIN, text, user_id=ADMIN)
    return await fake.wait_for_message(ADMIN, before + 1)


@pytest.fixture
def quick_typing(monkeypatch: pytest.MonkeyPatch) -> float:
    """Typing repeated every 0.2 s instead of 4.5 s: a 1 s timeout shows several."""
    monkeypatch.setattr(common, "TYPING_EVERY", 0.2)
    return 0.2


async def test_addfeed_of_a_slow_site_shows_typing_until_the_reply(
    fake: FakeBotAPI, config: Any, site: NewsSite, quick_typing: float
) -> None:
    application = build_application(config)
    async with running(application, config):
        reply = await ask(fake, f"/addfeed {site.raw_url('/hang')}")
        assert "/hang" in reply.text
        shown = typing_calls(fake)
        # 1 s of waiting, an action every 0.2 s: at once, then a few more.
        assert len(shown) >= 3
        assert all(p["action"] == "typing" and int(p["chat_id"]) == ADMIN for p in shown)
        await ask(fake, "/help")  # a later round trip: the typing stopped with the reply
        assert len(typing_calls(fake)) == len(shown)


async def test_an_opml_import_shows_typing_while_its_feeds_are_fetched(
    fake: FakeBotAPI, config: Any, site: NewsSite, quick_typing: float
) -> None:
    opml = (
        '<?xml version="1.0"?><opml version="2.0"><head/><body>'
        f'<outline type="rss" text="Slow" xmlUrl="{site.raw_url("/hang")}"/>'
        "</body></opml>"
    ).encode()
    application = build_application(config)
    async with running(application, config):
        reply = await send_file(fake, ADMIN, opml, "slow.opml", user=ADMIN)
        assert reply.text.startswith("Imported slow.opml: 1 feed in the file: 0 added")
        assert len(typing_calls(fake)) >= 3
