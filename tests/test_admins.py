"""The cache of getChatMember answers: kept for minutes, refusals for one, bounded."""

from __future__ import annotations

from bot.telegram.admins import ADMIN_SECONDS, REFUSAL_SECONDS, AdminCache


class Tick:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_admin_is_remembered_for_minutes_and_a_refusal_for_one() -> None:
    tick = Tick()
    cache = AdminCache(clock=tick)
    cache.put(-1, 10, True)
    cache.put(-1, 11, False)
    assert (cache.get(-1, 10), cache.get(-1, 11), cache.get(-1, 12)) == (True, False, None)
    tick.now += REFUSAL_SECONDS
    assert (cache.get(-1, 10), cache.get(-1, 11)) == (True, None)
    tick.now += ADMIN_SECONDS - REFUSAL_SECONDS
    assert cache.get(-1, 10) is None
    assert len(cache) == 0


def test_the_cache_never_grows_past_its_bound() -> None:
    tick = Tick()
    cache = AdminCache(clock=tick, max_entries=3)
    for user in range(10):
        cache.put(-1, user, True)
        tick.now += 1
    assert len(cache) == 3
    assert [cache.get(-1, user) for user in (6, 7, 8, 9)] == [None, True, True, True]
