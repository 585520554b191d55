"""bot.web.quota: one request in flight per key and at most N per sliding hour, clock injected."""

from __future__ import annotations

import pytest

from bot.errors import TooManyRequests
from bot.web.quota import Quota


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_request_in_flight_per_key() -> None:
    quota = Quota(per_window=10, clock=Clock())
    quota.admit(1)
    with pytest.raises(TooManyRequests) as caught:
        quota.admit(1)
    assert caught.value.busy and caught.value.retry_in == 0
    assert "still reading your previous link" in caught.value.user_message
    quota.admit(2)  # other chats are not affected
    quota.done(1)
    quota.admit(1)


def test_at_most_n_per_hour_then_says_when() -> None:
    clock = Clock()
    quota = Quota(per_window=3, clock=clock)
    for minute in range(3):
        clock.now = 1000.0 + 60 * minute
        with quota.hold("chat"):
            pass
    clock.now = 1000.0 + 600
    with pytest.raises(TooManyRequests) as caught:
        quota.admit("chat")
    assert caught.value.retry_in == pytest.approx(3000.0)  # the first start leaves the hour
    assert not caught.value.busy
    assert caught.value.user_message.endswith("try again in 50 minutes.")
    assert quota.retry_in("chat") == pytest.approx(3000.0)
    clock.now = 1000.0 + 3600
    assert quota.retry_in("chat") == 0
    quota.admit("chat")


def test_a_refused_request_does_not_count() -> None:
    clock = Clock()
    quota = Quota(per_window=1, window=100, clock=clock)
    quota.admit("k")
    quota.done("k")
    for _ in range(5):
        with pytest.raises(TooManyRequests):
            quota.admit("k")
    clock.now += 100
    quota.admit("k")


def test_hold_releases_the_key_when_the_block_fails() -> None:
    quota = Quota(per_window=5, clock=Clock())
    with pytest.raises(RuntimeError), quota.hold(7):
        raise RuntimeError("fetch failed")
    assert not quota.busy(7)


def test_idle_keys_are_forgotten() -> None:
    clock = Clock()
    quota = Quota(per_window=5, window=60, clock=clock)
    for key in range(3):
        with quota.hold(key):
            pass
    assert len(quota) == 3
    clock.now += 61
    for key in range(3):
        assert quota.retry_in(key) == 0
    assert len(quota) == 0


def test_bad_limits_are_errors() -> None:
    with pytest.raises(ValueError):
        Quota(per_window=0)
