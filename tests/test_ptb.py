"""Contract tests for bot.telegram.ptb: what the bot relies on in python-telegram-bot beyond its
documented API. A PTB upgrade that changes any of it should fail here, by name, instead
of changing the bot's behaviour quietly.

Requests are recorded by a subclass of the bot's own AiohttpRequest (it records what PTB
hands it, then sends it for real to the fake Bot API)."""

from __future__ import annotations

import datetime as dt
import inspect
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot, LinkPreviewOptions, Update
from telegram.error import RetryAfter
from telegram.ext import ExtBot
from telegram.request import BaseRequest, RequestData

from bot.telegram import ptb
from bot.telegram.request import AiohttpRequest
from bot.telegram.updates import DigestBot
from tests.fakebotapi import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent


class RecordingRequest(AiohttpRequest):
    """An AiohttpRequest that records each request PTB makes: (endpoint, parameters,
    timeouts), then sends it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.requests: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        timeouts = {
            "read": read_timeout,
            "write": write_timeout,
            "connect": connect_timeout,
            "pool": pool_timeout,
        }
        parameters = request_data.json_parameters if request_data is not None else {}
        self.requests.append((url.rsplit("/", 1)[1], parameters, timeouts))
        return await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )


def make_bot(cls: type[Bot], fake: FakeBotAPI) -> tuple[Bot, RecordingRequest]:
    updates = RecordingRequest(pool_size=1, read_timeout=7.0)
    bot = cls(
        fake.token,
        base_url=fake.base_url,
        request=AiohttpRequest(pool_size=4),
        get_updates_request=updates,
    )
    return bot, updates


GET_UPDATES_CALLS: list[dict[str, Any]] = [
    {},
    {"timeout": 0},
    {"offset": 1, "limit": 7, "timeout": 0.0, "allowed_updates": ["message"]},
    {"timeout": dt.timedelta(0), "read_timeout": 2.5},
    {"timeout": 0, "read_timeout": None, "connect_timeout": 1.5, "pool_timeout": 0.5},
    {"timeout": 0, "write_timeout": 3, "api_kwargs": {"extra": "x"}},
]


async def test_the_fast_lane_sends_getupdates_as_ptbs_own_get_updates(fake: FakeBotAPI):
    fake.send_text(42, "hello")  # pending: no call waits for a long poll
    ours, our_requests = make_bot(DigestBot, fake)
    theirs, their_requests = make_bot(ExtBot, fake)
    async with ours, theirs:
        for call in GET_UPDATES_CALLS:
            our_updates = await ours.get_updates(**call)
            their_updates = await theirs.get_updates(**call)
            assert [u.to_dict() for u in our_updates] == [u.to_dict() for u in their_updates]
    assert len(our_requests.requests) == len(GET_UPDATES_CALLS)
    # Same endpoint, same parameters, same timeouts (the poll's added to the read timeout).
    assert our_requests.requests == their_requests.requests
    endpoint, parameters, timeouts = our_requests.requests[3]
    assert endpoint == "getUpdates"
    assert parameters == {"timeout": "0"}
    assert timeouts["read"] == 2.5
    assert our_requests.requests[0][2]["read"] == 7.0  # the getUpdates request's default
    (update,) = our_updates
    assert isinstance(update, Update) and update.message.text == "hello"


def test_the_private_names_the_fast_lane_uses_are_there(fake: FakeBotAPI):
    bot, updates = make_bot(DigestBot, fake)
    # Bot._request: (getUpdates request, every other call's request).
    assert isinstance(bot._request, tuple) and len(bot._request) == 2
    assert bot._request[0] is updates is ptb.updates_request(bot)
    assert bot._request[1] is bot.request
    # Bot._post(endpoint, data, *, timeouts..., api_kwargs), a coroutine function.
    post = inspect.signature(Bot._post)
    assert inspect.iscoroutinefunction(Bot._post)
    assert list(post.parameters)[:3] == ["self", "endpoint", "data"]
    for name in ("read_timeout", "write_timeout", "connect_timeout", "pool_timeout"):
        assert post.parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert ptb.is_default_value(post.parameters[name].default)
    assert post.parameters["api_kwargs"].kind is inspect.Parameter.KEYWORD_ONLY
    # get_updates's own signature: what DigestBot.get_updates overrides, argument for argument.
    theirs = inspect.signature(Bot.get_updates)
    ours = inspect.signature(DigestBot.get_updates)
    assert list(ours.parameters) == list(theirs.parameters)
    # PTB's "not passed" marker, as the requests test it.
    assert ptb.is_default_value(BaseRequest.DEFAULT_NONE)
    assert not ptb.is_default_value(None) and not ptb.is_default_value(5.0)


async def test_send_message_json_sends_what_send_message_sends_without_a_warning(
    fake: FakeBotAPI,
):
    request = RecordingRequest(pool_size=2)
    bot = ExtBot(fake.token, base_url=fake.base_url, request=request)
    params = {
        "chat_id": 5,
        "text": "<b>news</b> &amp; more",
        "parse_mode": "HTML",
        "link_preview_options": LinkPreviewOptions(is_disabled=True),
        "message_thread_id": 3,
    }
    async with bot:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            message = await bot.send_message(**params)
            answer = await ptb.send_message_json(bot, dict(params))
    assert caught == []
    (_, theirs_params, theirs_timeouts), (endpoint, ours_params, ours_timeouts) = request.requests[
        -2:
    ]
    assert endpoint == ptb.SEND_MESSAGE_ENDPOINT == "sendmessage"
    assert ours_params == theirs_params
    assert ours_timeouts == theirs_timeouts
    # Telegram (and the fake) take the method name in any case: both were sent.
    assert [m.text for m in fake.messages(5)] == ["news & more", "news & more"]
    assert isinstance(answer, dict) and answer["text"] == message.text == "news & more"


def test_a_429s_wait_is_read_in_seconds_without_a_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert ptb.retry_after_seconds(RetryAfter(3)) == 3.0
        assert ptb.retry_after_seconds(RetryAfter(dt.timedelta(seconds=1.5))) == 1.5
    assert caught == []
    assert isinstance(RetryAfter(3)._retry_after, dt.timedelta)


def test_importing_the_bot_sets_no_environment_variable():
    env = {k: v for k, v in os.environ.items() if k != "PTB_TIMEDELTA"}
    script = (
        "import os, bot.telegram.app, bot.telegram.ptb, bot.telegram.updates,"
        " bot.telegram.request, bot.telegram.delivery;"
        "print(os.environ.get('PTB_TIMEDELTA'));"
        "bot.telegram.ptb.opt_into_timedelta();"
        "print(os.environ.get('PTB_TIMEDELTA'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.split() == ["None", "1"]


@pytest.mark.parametrize("name", ["sendMessage", "send_message"])
async def test_do_api_request_warns_for_the_names_the_bot_has(fake: FakeBotAPI, name: str):
    # Why the lower-case spelling: the documented spellings warn (an error under -W error).
    async with ExtBot(fake.token, base_url=fake.base_url, request=AiohttpRequest()) as bot:
        with pytest.warns(Warning, match="instead of"):
            await bot.do_api_request(name, api_kwargs={"chat_id": 5, "text": "x"})
