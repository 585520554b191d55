"""Tests for bot.telegram.ratelimit: the pure limiter with a fake clock, and the PTB wrapper."""

import bisect
import heapq
import itertools
import random
from pathlib import Path

import pytest
from telegram.error import BadRequest, RetryAfter

from bot.telegram.ratelimit import Limiter, Priority, TelegramRateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


def max_in_any_window(times: list[float], window: float = 1.0) -> int:
    """Largest number of events inside any closed interval [t, t + window]."""
    times = sorted(times)
    return max(bisect.bisect_right(times, t + window) - i for i, t in enumerate(times))


def drain(limiter: Limiter, clock: FakeClock, chats: list[int]) -> dict[int, list[float]]:
    """Send one message per entry of `chats`, in order, as a single-threaded sender would:
    ask, and when the chat must wait, come back to it later."""
    sent: dict[int, list[float]] = {}
    pending = list(chats)
    retry: list[tuple[float, int]] = []
    while pending or retry:
        retry.sort()
        if retry and (not pending or retry[0][0] <= clock.now):
            at, chat = retry.pop(0)
            clock.now = max(clock.now, at)
        else:
            chat = pending.pop(0)
        grant = limiter.reserve(chat)
        if grant.granted:
            clock.now = max(clock.now, grant.at)
            sent.setdefault(chat, []).append(grant.at)
        else:
            retry.append((grant.at, chat))
    return sent


def test_never_more_than_the_cap_in_any_sliding_second():
    clock = FakeClock()
    limiter = Limiter(30, clock=clock)
    sent = drain(limiter, clock, list(range(3000)))
    times = [t for ts in sent.values() for t in ts]
    assert len(times) == 3000
    assert max_in_any_window(times) <= 30
    rate = (len(times) - 1) / (max(times) - min(times))
    assert rate >= 0.95 * 30


def test_cap_holds_with_bursts_and_idle_gaps():
    clock = FakeClock()
    limiter = Limiter(30, burst=30, margin=0.0, clock=clock)
    times = []
    rng = random.Random(5)
    for _ in range(2000):
        clock.now += rng.choice([0.0, 0.0, 0.001, 0.2, 1.5])
        grant = limiter.reserve(None)
        clock.now = max(clock.now, grant.at)
        times.append(grant.at)
    # AIORateLimiter would allow 60 here (30 at once, then 30 more within the second).
    assert max_in_any_window(times) <= 30


def test_the_first_sends_go_out_at_once_up_to_the_burst():
    clock = FakeClock()
    limiter = Limiter(1000, burst=500, clock=clock)
    grants = [limiter.reserve(chat) for chat in range(500)]
    assert all(g.granted and g.at == clock.now for g in grants)
    assert limiter.reserve(500).at > clock.now


def test_one_chat_gets_a_short_burst_then_one_a_second():
    clock = FakeClock()
    # Without the per-chat margin (its own test below), the period is exactly one second.
    limiter = Limiter(30, chat_burst=3, chat_margin=0.0, clock=clock)
    sent = drain(limiter, clock, [7] * 10)[7]
    assert len(sent) == 10
    assert sent[2] - sent[0] < 0.5  # the burst of three goes out promptly
    # Then one a second: after the burst, seven more take seven seconds from the first.
    assert sent[9] - sent[0] >= 7 - 1e-9
    gaps = [b - a for a, b in itertools.pairwise(sent[3:])]
    assert gaps == pytest.approx([1.0] * 6)
    assert max_in_any_window(sent, 0.999) <= 3


def test_the_configured_chat_rate_paces_one_chat_after_its_burst():
    from bot.config import config_from_dict

    for rate, gap in ((None, 1.05), (4, 0.3)):
        section = {} if rate is None else {"chat_messages_per_second": rate}
        config = config_from_dict({"telegram": section}, base=Path("."))
        wrapper = TelegramRateLimiter.from_config(
            config.telegram.max_messages_per_second, config.telegram.chat_messages_per_second
        )
        clock = FakeClock()
        wrapper.limiter.clock = clock
        sent = drain(wrapper.limiter, clock, [7] * 6)[7]
        gaps = [b - a for a, b in itertools.pairwise(sent[3:])]
        assert gaps == pytest.approx([gap] * 2)  # the chat's margin included


def test_a_busy_chat_does_not_slow_the_others():
    clock = FakeClock()
    limiter = Limiter(30, clock=clock)
    chats = [1] * 20 + list(range(100, 160))
    sent = drain(limiter, clock, chats)
    others_done = max(max(ts) for chat, ts in sent.items() if chat != 1)
    start = min(sent[1])
    # 60 other chats at 30/s take about two seconds, not the twenty chat 1 needs.
    assert others_done - start < 2.5
    assert max(sent[1]) - start >= 17


def test_groups_get_twenty_a_minute():
    clock = FakeClock()
    limiter = Limiter(30, chat_per_second=100, chat_burst=100, clock=clock)
    sent = drain(limiter, clock, [-100123] * 25)[-100123]
    assert max_in_any_window(sent, 59.99) <= 20
    assert sent[20] - sent[0] >= 60 - 1e-6


def test_a_429_blocks_its_chat_for_retry_after_and_others_briefly():
    clock = FakeClock()
    limiter = Limiter(30, clock=clock)
    t0 = clock.now
    limiter.penalize(5, retry_after=10, now=t0)
    blocked = limiter.reserve(5)
    assert not blocked.granted and blocked.at == pytest.approx(t0 + 10)
    other = limiter.reserve(6)
    assert other.granted and other.at == pytest.approx(t0 + 1.0)  # global pause is capped


@pytest.mark.parametrize("paced", [True, False])
def test_idle_chats_are_forgotten(paced):
    clock = FakeClock()
    limiter = Limiter(1000, burst=1000, clock=clock)
    for chat in range(5000):
        clock.now = max(clock.now, limiter.reserve(chat, paced=paced).at)
    clock.now += 10
    for chat in range(5000, 9000):
        clock.now = max(clock.now, limiter.reserve(chat, paced=paced).at)
    assert len(limiter._chats) < 5000


@pytest.mark.parametrize("bad", [0, -5])
def test_a_non_positive_cap_is_refused(bad):
    with pytest.raises(ValueError):
        Limiter(bad)


async def test_wrapper_retries_after_a_429_and_returns_the_result():
    clock = FakeClock()
    limiter = TelegramRateLimiter(Limiter(30, clock=clock), max_retries=2, sleep=clock.sleep)
    calls: list[float] = []

    async def callback(text: str) -> dict:
        calls.append(clock.now)
        if len(calls) == 1:
            raise RetryAfter(3)
        return {"text": text}

    result = await limiter.process_request(
        callback, ("hi",), {}, "sendMessage", {"chat_id": 42, "text": "hi"}, None
    )
    assert result == {"text": "hi"}
    assert len(calls) == 2
    assert calls[1] - calls[0] >= 3
    assert limiter.retry_after_count == 1


async def test_wrapper_gives_up_after_max_retries():
    clock = FakeClock()
    limiter = TelegramRateLimiter(Limiter(30, clock=clock), max_retries=1, sleep=clock.sleep)
    calls = 0

    async def callback() -> dict:
        nonlocal calls
        calls += 1
        raise RetryAfter(2)

    with pytest.raises(RetryAfter):
        await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert calls == 2


async def test_wrapper_does_not_handle_other_errors():
    clock = FakeClock()
    limiter = TelegramRateLimiter(Limiter(30, clock=clock), sleep=clock.sleep)

    async def callback() -> dict:
        raise BadRequest("Chat not found")

    with pytest.raises(BadRequest):
        await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 1}, None)


async def test_wrapper_paces_one_chat_at_one_a_second():
    clock = FakeClock()
    limiter = TelegramRateLimiter(
        Limiter(30, chat_burst=1, chat_margin=0.0, clock=clock), sleep=clock.sleep
    )
    stamps: list[float] = []

    async def callback() -> bool:
        stamps.append(clock.now)
        return True

    for _ in range(4):
        await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": "9"}, None)
    assert [b - a for a, b in itertools.pairwise(stamps)] == pytest.approx([1, 1, 1])


async def test_requests_without_a_chat_are_not_throttled():
    clock = FakeClock()
    limiter = TelegramRateLimiter(Limiter(1, clock=clock), sleep=clock.sleep)

    async def callback() -> bool:
        return True

    start = clock.now
    for _ in range(10):
        await limiter.process_request(callback, (), {}, "getMe", {}, None)
    assert clock.now == start


def test_sends_that_start_late_are_still_held_to_the_cap():
    clock = FakeClock()
    limiter = Limiter(10, margin=0.0, clock=clock)
    grants = [limiter.reserve(chat) for chat in range(11)]
    assert grants[10].at >= grants[0].at + 1.0
    # The event loop was busy: the first ten start 0.95 s late, together with the 11th.
    clock.now = grants[10].at
    late = [limiter.admit() for _ in range(10)]
    assert late == [0.0] * 10
    assert limiter.admit() == pytest.approx(1.0)


def test_replies_go_at_once_within_the_cap_while_broadcasts_are_paced():
    clock = FakeClock()
    limiter = Limiter(1000, margin=0.02, clock=clock)
    replies = [limiter.reserve(chat, paced=False) for chat in range(500)]
    assert all(g.granted and g.at == clock.now for g in replies)
    assert [limiter.admit() for _ in range(500)] == [0.0] * 500
    broadcasts = [limiter.reserve(chat).at for chat in range(1000, 1050)]
    gaps = [b - a for a, b in itertools.pairwise(broadcasts[10:])]
    assert gaps == pytest.approx([1.02 / 1000] * len(gaps))


def test_replies_beyond_the_cap_wait_for_the_window():
    clock = FakeClock()
    limiter = Limiter(30, margin=0.0, clock=clock)
    for chat in range(40):
        assert limiter.reserve(chat, paced=False).granted
    waits = [limiter.admit() for _ in range(40)]
    assert waits[:30] == [0.0] * 30
    # The first waits exactly one window; the others are spread evenly behind it (not
    # all at 1.0 s: a clump of replies one window after the first clump draws 429s).
    assert waits[30:] == pytest.approx([1.0 + k / 30 for k in range(10)])


async def test_the_wrapper_paces_broadcasts_and_lets_replies_through():
    clock = FakeClock()
    limiter = TelegramRateLimiter(Limiter(10, margin=0.0, clock=clock), sleep=clock.sleep)
    stamps: list[float] = []

    async def callback() -> bool:
        stamps.append(clock.now)
        return True

    for chat in range(5):
        await limiter.process_request(
            callback, (), {}, "sendMessage", {"chat_id": chat}, Priority.BROADCAST
        )
    assert [b - a for a, b in itertools.pairwise(stamps)] == pytest.approx([0.1] * 4)
    stamps.clear()
    for chat in range(5, 10):
        await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": chat}, None)
    assert len(set(stamps)) == 1  # all at once


def test_each_429_widens_the_window_a_little_up_to_a_bound():
    clock = FakeClock()
    limiter = Limiter(100, margin=0.02, margin_step=0.01, max_margin=0.05, clock=clock)
    assert limiter.window == pytest.approx(1.02)
    limiter.penalize(None, 1)
    assert limiter.window == pytest.approx(1.03)
    for _ in range(10):
        limiter.penalize(None, 1)
    assert limiter.window == pytest.approx(1.05)
    clock.now += 2
    times = [limiter.reserve(chat).at for chat in range(300)]
    assert max_in_any_window(times, 1.049) <= 100


def test_replies_over_the_cap_leave_evenly_spaced_and_in_order():
    clock = FakeClock()
    limiter = Limiter(30, clock=clock)
    starts = [clock.now + limiter.admit() for _ in range(300)]
    assert starts == sorted(starts)
    assert starts[:30] == [clock.now] * 30  # under the cap: at once
    gaps = [b - a for a, b in itertools.pairwise(starts[30:])]
    assert min(gaps) == pytest.approx(limiter.window / 30)
    assert max_in_any_window(starts, limiter.window - 1e-6) <= 30
    # Booked once: each send waits once, no crowd waking up to ask again.
    rate = (len(starts) - 31) / (starts[-1] - starts[30])
    assert rate == pytest.approx(30 / limiter.window)


def test_the_margin_steps_back_after_each_quiet_spell_down_to_the_base():
    clock = FakeClock()
    limiter = Limiter(30, margin=0.02, margin_step=0.01, max_margin=0.1, clock=clock)
    for _ in range(12):
        limiter.penalize(None, 1)
    assert limiter.window == pytest.approx(1.1)
    start = clock.now
    windows = []
    for second in range(0, 61):
        clock.now = start + second
        limiter.reserve(None)
        windows.append(limiter.window)
    assert windows[4] == pytest.approx(1.1)  # less than one quiet spell (5 s)
    assert windows[5] == pytest.approx(1.09)
    assert windows[20] == pytest.approx(1.06)
    assert windows[40] == pytest.approx(1.02)
    assert windows[60] == pytest.approx(1.02)  # never below the base margin
    assert min(windows) == pytest.approx(1.02)


def test_the_current_margin_catches_up_without_a_send():
    clock = FakeClock()
    limiter = Limiter(30, clock=clock)
    for _ in range(8):
        limiter.penalize(None, 1)
    clock.now += 30
    assert limiter.margin == pytest.approx(0.1)  # last applied, before the quiet spells
    assert limiter.current_margin() == pytest.approx(0.04)
    assert limiter.window == pytest.approx(1.04)


def test_after_a_quiet_spell_broadcasts_go_at_98_percent_of_the_cap_again():
    clock = FakeClock()
    limiter = Limiter(30, clock=clock)
    for _ in range(12):
        limiter.penalize(None, 1)
    clock.now += 60
    sent = drain(limiter, clock, list(range(900)))
    times = [t for ts in sent.values() for t in ts]
    rate = (len(times) - 1) / (max(times) - min(times))
    assert rate >= 0.95 * 30
    assert max_in_any_window(times, 1.02 - 1e-6) <= 30


def test_the_pace_follows_the_margin_as_it_recovers():
    clock = FakeClock()
    limiter = Limiter(30, clock=clock)
    for _ in range(12):
        limiter.penalize(None, 1)
    clock.now += 1
    # 900 broadcasts started right after the 429s: the first ones are paced at the wide
    # window, the later ones ever closer to the base one; the cap holds throughout.
    sent = drain(limiter, clock, list(range(900)))
    times = sorted(t for ts in sent.values() for t in ts)
    assert max_in_any_window(times, 1.02 - 1e-6) <= 30
    early = [b - a for a, b in itertools.pairwise(times[30:60])]
    late = [b - a for a, b in itertools.pairwise(times[-30:])]
    assert min(early) == pytest.approx(1.1 / 30)
    # The run took about 31 s: six steps back (one per 5 s) from 1.10 s.
    assert max(late) == pytest.approx(1.04 / 30)


def test_a_429_soon_after_a_step_back_doubles_the_quiet_spell():
    clock = FakeClock()
    limiter = Limiter(30, margin=0.02, recover_after=5, max_recover_after=40, clock=clock)
    limiter.penalize(None, 1)  # 1.03
    clock.now += 5
    limiter.reserve(None)
    assert limiter.window == pytest.approx(1.02)  # stepped back after 5 s
    clock.now += 1
    limiter.penalize(None, 1)  # 1 s after the step: it was premature
    assert limiter.quiet_spell == 10
    clock.now += 9
    limiter.reserve(None)
    assert limiter.window == pytest.approx(1.03)  # not yet: the spell is now 10 s
    clock.now += 1
    limiter.reserve(None)
    assert limiter.window == pytest.approx(1.02)
    spells = []
    for _ in range(5):  # a lasting cause: a 429 right after every step back
        clock.now += 0.5
        limiter.penalize(None, 1)
        spells.append(limiter.quiet_spell)
        clock.now += limiter.quiet_spell
        limiter.reserve(None)
    assert spells == [20, 40, 40, 40, 40]  # up to max_recover_after


def test_several_429s_at_once_double_the_spell_only_once():
    clock = FakeClock()
    limiter = Limiter(30, clock=clock)
    limiter.penalize(None, 1)
    clock.now += 5
    limiter.reserve(None)
    clock.now += 1
    for _ in range(4):  # the sends in flight all answered 429 together
        limiter.penalize(None, 1)
    assert limiter.quiet_spell == 10


def test_a_quiet_spell_at_the_base_margin_forgets_the_longer_spells():
    clock = FakeClock()
    limiter = Limiter(30, margin=0.02, clock=clock)
    limiter.penalize(None, 1)
    clock.now += 5
    limiter.reserve(None)
    clock.now += 1
    limiter.penalize(None, 1)
    assert limiter.quiet_spell == 10
    clock.now += 10
    limiter.reserve(None)
    assert limiter.window == pytest.approx(1.02)
    clock.now += 10  # a whole spell at the base margin without a 429
    limiter.reserve(None)
    assert limiter.quiet_spell == 5
    limiter.penalize(None, 1)
    clock.now += 5
    limiter.reserve(None)
    assert limiter.window == pytest.approx(1.02)


def test_one_chat_is_paced_a_little_slower_than_one_a_second():
    clock = FakeClock()
    limiter = Limiter(30, chat_burst=3, clock=clock)  # default chat_margin 0.05 s
    sent = drain(limiter, clock, [7] * 10)[7]
    gaps = [b - a for a, b in itertools.pairwise(sent[3:])]
    assert gaps == pytest.approx([1.05] * 6)
    assert max_in_any_window(sent, 1.04) <= 3


def test_replies_to_one_chat_reach_a_strict_server_without_a_429_despite_jitter():
    # Replies paced at exactly 1/s; the server counts arrivals, which
    # the network and a busy loop move by a few tens of ms. One a second, per chat, as the
    # fake's chat_cap=(1, 1.0) counts: at most one in any half-open second.
    rng = random.Random(18)
    clock = FakeClock()
    limiter = Limiter(30, chat_burst=1, clock=clock)
    sent = drain(limiter, clock, [7] * 30)[7]
    arrivals = [t + rng.uniform(0.0, 0.04) for t in sent]
    assert max_in_any_window(arrivals, 1.0 - 1e-9) <= 1
    # Without the margin the same jitter draws 429s: the margin is what holds.
    clock = FakeClock()
    bare = Limiter(30, chat_burst=1, chat_margin=0.0, clock=clock)
    sent = drain(bare, clock, [7] * 30)[7]
    arrivals = [t + rng.uniform(0.0, 0.04) for t in sent]
    assert max_in_any_window(arrivals, 1.0 - 1e-9) > 1


def test_groups_keep_a_margin_on_their_minute_too():
    clock = FakeClock()
    limiter = Limiter(30, chat_per_second=100, chat_burst=100, clock=clock)
    sent = drain(limiter, clock, [-100123] * 25)[-100123]
    assert sent[20] - sent[0] >= 60.05 - 1e-6


async def test_a_send_held_for_the_window_books_again_when_a_429_came_meanwhile():
    clock = FakeClock()
    limiter = Limiter(2, margin=0.0, clock=clock)
    penalized_at: list[float] = []

    async def sleep(seconds: float) -> None:
        clock.now += max(0.0, seconds)
        if not penalized_at:  # another send's 429 arrives while this one waits
            penalized_at.append(clock.now - 0.5)
            limiter.penalize(None, 3, now=clock.now - 0.5)

    wrapper = TelegramRateLimiter(limiter, sleep=sleep)
    assert [limiter.admit(), limiter.admit()] == [0.0, 0.0]  # the window is full
    stamps: list[float] = []

    async def callback() -> bool:
        stamps.append(clock.now)
        return True

    await wrapper.process_request(callback, (), {}, "sendMessage", {"chat_id": 5}, None)
    # Not at the end of its first wait (1 s), which fell inside the global pause.
    assert stamps[0] >= penalized_at[0] + limiter.global_pause


def test_broadcasts_held_by_the_window_are_not_spread_again():
    # Paced sends are spread by reserve(); spacing them again in admit() would add each
    # late start's delay to every later broadcast (bench/fanout.py lost 30 % of the cap).
    clock = FakeClock()
    limiter = Limiter(10, margin=0.0, clock=clock)
    assert [limiter.admit(paced=True) for _ in range(10)] == [0.0] * 10
    waits = [limiter.admit(paced=True) for _ in range(3)]
    assert waits == pytest.approx([1.0, 1.0, 1.0])


def test_a_high_cap_gets_a_wider_margin_because_jitter_counts_in_messages() -> None:
    assert TelegramRateLimiter.from_config(30).limiter.base_margin == 0.03
    assert TelegramRateLimiter.from_config(1000).limiter.base_margin == 0.05


# -- requests held up on their way: counted by the server when they arrive ------------------


def steady_sends_with_one_held_up(limiter: Limiter, clock: FakeClock, gate: bool) -> list[float]:
    """Sends at the cap, a window apart as the start times allow, each answered 2 ms
    after it starts; one of them is held up on its way and counted by the server 0.3 s
    late. ``gate``: each send also asks ``begin`` (and is answered with ``end``). The
    moments the server counted them."""
    gap = limiter.window / limiter.limit
    first = clock.now
    answers: list[tuple[float, float]] = []  # (answer time, start time), pending
    counted = []
    for k in range(120):
        clock.now = max(clock.now, first + k * gap)
        while True:
            for answer in sorted(a for a in answers if a[0] <= clock.now):
                answers.remove(answer)
                if gate:
                    limiter.end(answer[1], now=answer[0])
            hold = limiter.begin() if gate else 0.0
            if hold <= 0:
                break
            clock.now += min(hold, 0.001)
        late = 0.3 if k == 45 else 0.0
        counted.append(clock.now + 0.001 + late)
        answers.append((clock.now + 0.002 + late, clock.now))
    return counted


def test_a_send_held_up_on_its_way_does_not_make_the_next_window_overflow():
    clock = FakeClock()
    counted = steady_sends_with_one_held_up(Limiter(30, margin=0.03, clock=clock), clock, False)
    assert max_in_any_window(counted, 1.0 - 1e-9) == 31  # start times alone: a 429
    clock = FakeClock()
    limiter = Limiter(30, margin=0.03, clock=clock)
    counted = steady_sends_with_one_held_up(limiter, clock, True)
    assert max_in_any_window(counted, 1.0 - 1e-9) <= 30
    # Only the sends of the next window wait, and only a little: 120 sends take about
    # as long as 120 at the cap.
    assert counted[-1] - counted[0] < 119 * limiter.window / 30 + 0.35


def test_an_unanswered_send_counts_until_it_is_answered():
    clock = FakeClock()
    limiter = Limiter(2, margin=0.0, clock=clock)
    start = clock.now
    assert limiter.begin() == 0.0 and limiter.begin() == 0.0
    clock.now += 5.0  # both still under way
    assert limiter.begin() > 0
    limiter.end(start)
    assert limiter.begin() > 0  # answered just now: may have been counted just now
    clock.now += 1.0
    assert limiter.begin() == 0.0


async def test_the_wrapper_waits_for_a_late_answer_before_the_next_window():
    clock = FakeClock()
    wrapper = TelegramRateLimiter(Limiter(3, margin=0.0, clock=clock), sleep=clock.sleep)
    arrivals: list[float] = []

    async def slow_first() -> bool:
        if not arrivals:
            clock.now += 0.5  # held up before the server counted it
        arrivals.append(clock.now)
        return True

    for chat in range(9):
        await wrapper.process_request(slow_first, (), {}, "sendMessage", {"chat_id": chat}, None)
    assert max_in_any_window(arrivals, 1.0 - 1e-9) <= 3


def test_the_way_back_is_not_trusted_from_a_few_slow_round_trips():
    # Start-up on a busy machine: the first answers are slow because requests waited
    # on their way in; half their round trip is no lower bound of the way back.
    clock = FakeClock()
    limiter = Limiter(2, margin=0.0, clock=clock)
    for _ in range(20):
        assert limiter.begin() == 0.0
        clock.now += 0.2
        limiter.end(clock.now - 0.2)
        clock.now += 1.0
    started = clock.now
    assert limiter.begin() == 0.0 and limiter.begin() == 0.0
    clock.now += 0.2
    limiter.end(started)
    limiter.end(started)  # may have been counted as late as now
    clock.now += 0.95
    assert limiter.begin() > 0  # not 0.1 s early on the strength of 20 slow trips
    clock.now += 0.05
    assert limiter.begin() == 0.0


def simulate_fanout_with_replies(
    limiter: Limiter,
    clock: FakeClock,
    broadcasts: list[int],
    replies: list[tuple[float, int]],
    workers: int = 8,
) -> tuple[list[tuple[int, float]], list[tuple[int, float, float]]]:
    """Run the wrapper's steps (reserve, sleep, admit; a broadcast asks admit again after
    each wait, a reply is booked by it) as events on the fake clock: ``workers`` senders
    drain ``broadcasts`` (chat ids, paced), and each ``(time, chat)`` of ``replies``
    arrives then. Returns the broadcasts' (chat, start) and replies' (chat, arrival,
    start)."""
    events: list[tuple[float, int, str, int, float]] = []
    seq = itertools.count()
    queue = list(reversed(broadcasts))
    for _ in range(min(workers, len(queue))):
        heapq.heappush(events, (clock.now, next(seq), "reserve", queue.pop(), 0.0))
    for at, chat in replies:
        heapq.heappush(events, (at, next(seq), "ask", chat, at))
    sent: list[tuple[int, float]] = []
    answered: list[tuple[int, float, float]] = []
    while events:
        now, _, step, chat, arrived = heapq.heappop(events)
        clock.now = max(clock.now, now)
        if step == "reserve":
            grant = limiter.reserve(chat)
            heapq.heappush(
                events, (grant.at, next(seq), "admit" if grant.granted else "reserve", chat, 0)
            )
        elif step == "admit":
            wait = limiter.admit(paced=True)
            if wait > 0:
                heapq.heappush(events, (clock.now + wait, next(seq), "admit", chat, 0.0))
                continue
            sent.append((chat, clock.now))
            if queue:
                heapq.heappush(events, (clock.now, next(seq), "reserve", queue.pop(), 0.0))
        elif step == "ask":
            grant = limiter.reserve(chat, paced=False)
            step = "reply" if grant.granted else "ask"
            heapq.heappush(events, (grant.at, next(seq), step, chat, arrived))
        else:  # a reply's last check: booked, it starts after its wait
            answered.append((chat, arrived, clock.now + limiter.admit()))
    return sent, answered


def test_a_reply_overtakes_a_fanout_saturating_the_cap_within_one_pace_interval():
    clock = FakeClock()
    limiter = Limiter(30, reply_reserve=1, clock=clock)
    start = clock.now
    rng = random.Random(11)
    # A reply now and then (one every 0.2--0.6 s), from chats not in the fan-out.
    replies, at = [], start + 0.5
    while at < start + 30:
        replies.append((at, 10_000 + len(replies)))
        at += rng.uniform(0.2, 0.6)
    sent, answered = simulate_fanout_with_replies(limiter, clock, list(range(900)), replies)
    pace = limiter.window / limiter.limit
    waits = [begun - arrived for _, arrived, begun in answered]
    assert len(waits) == len(replies)
    assert max(waits) <= pace + 1e-9
    starts = [t for _, t in sent] + [t for _, _, t in answered]
    assert max_in_any_window(starts, limiter.window - 1e-6) <= 30
    # The fan-out kept the rest of the cap: what the replies left, at 95 % or more.
    busy = [t for _, t in sent if start + 1 <= t <= start + 30]
    used = len(busy) + sum(1 for _, _, t in answered if start + 1 <= t <= start + 30)
    assert used >= 0.95 * 30 / limiter.window * 29


def test_the_cap_holds_in_every_window_with_replies_and_broadcasts_mixed():
    clock = FakeClock()
    limiter = Limiter(30, clock=clock)
    rng = random.Random(3)
    replies, at = [], clock.now
    while at < clock.now + 20:
        # Poisson at 20 a second, with a few bursts over the cap.
        burst = 45 if rng.random() < 0.01 else 1
        replies += [(at, 20_000 + len(replies) + k) for k in range(burst)]
        at += rng.expovariate(20)
    sent, answered = simulate_fanout_with_replies(limiter, clock, list(range(600)), replies)
    assert len(sent) == 600 and len(answered) == len(replies)
    starts = [t for _, t in sent] + [t for _, _, t in answered]
    assert max_in_any_window(starts, limiter.window - 1e-6) <= 30
    # Replies left in the order they came, and went first: none waited a whole window
    # behind broadcasts (those over the cap wait for the window, evenly spaced).
    begun = [t for _, _, t in sorted(answered, key=lambda a: a[1])]
    assert begun == sorted(begun)


def test_chat_and_group_limits_hold_with_replies_overtaking_a_fanout():
    clock = FakeClock()
    limiter = Limiter(30, chat_per_second=1.0, chat_burst=3, reply_reserve=1, clock=clock)
    group, chat = -100_777, 42
    # The fan-out has many messages for one group and one chat among others; both also
    # get replies throughout.
    broadcasts = [c for n in range(300) for c in (n + 1000, group if n % 3 else chat)]
    rng = random.Random(8)
    replies = [(clock.now + rng.uniform(0, 40), rng.choice((group, chat))) for _ in range(80)]
    replies.sort()
    sent, answered = simulate_fanout_with_replies(limiter, clock, broadcasts, replies)
    starts = [t for _, t in sent] + [t for _, _, t in answered]
    assert max_in_any_window(starts, limiter.window - 1e-6) <= 30
    per_chat: dict[int, list[float]] = {}
    for c, t in sent:
        per_chat.setdefault(c, []).append(t)
    for c, _, t in answered:
        per_chat.setdefault(c, []).append(t)
    assert max_in_any_window(per_chat[group], 60.0) <= 20
    assert max_in_any_window(per_chat[chat], 0.999) <= 3
    assert max_in_any_window(per_chat[chat], 10.0) <= 3 + 10


def test_the_configured_reply_reserve_is_a_share_of_the_cap_at_least_one_place():
    from bot.config import config_from_dict

    config = config_from_dict({"telegram": {}}, base=Path("."))
    wrapper = TelegramRateLimiter.from_config(30, reply_reserve=config.telegram.reply_reserve)
    assert wrapper.limiter.reply_reserve == 3  # 10 % by default
    assert TelegramRateLimiter.from_config(1000, reply_reserve=0.1).limiter.reply_reserve == 100
    assert TelegramRateLimiter.from_config(30, reply_reserve=0.01).limiter.reply_reserve == 1
    assert TelegramRateLimiter.from_config(30, reply_reserve=0).limiter.reply_reserve == 0
    assert TelegramRateLimiter.from_config(30).limiter.reply_reserve == 0
