"""Tests for bot.progress: the bar's text, and when the callback redraws."""

from __future__ import annotations

import io

from bot.progress import ProgressBar, render_bar


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_render_bar_shows_fill_count_and_percent() -> None:
    assert render_bar(500, 1000, width=10) == "[#####-----]  500/1000  50%"
    assert render_bar(0, 3, width=4) == "[----] 0/3   0%"
    assert render_bar(3, 3, width=4, label="scan", elapsed=1.25) == "scan [####] 3/3 100%  1.2s"


def test_render_bar_of_nothing_to_do_is_full() -> None:
    assert render_bar(0, 0, width=4) == "[####] 0/0 100%"


def test_progress_bar_redraws_at_most_once_per_interval_and_always_at_the_end() -> None:
    stream, clock = io.StringIO(), FakeClock()
    bar = ProgressBar(stream, width=4, min_interval=0.1, clock=clock)
    bar(1, 4)  # first call: drawn
    clock.now += 0.01
    bar(2, 4)  # too soon: skipped
    clock.now += 0.2
    bar(3, 4)  # drawn
    clock.now += 0.01
    bar(4, 4)  # the end: drawn even though it is soon, and the line is closed
    bar(4, 4)  # after the end: nothing more
    assert stream.getvalue() == (
        "\r[#---] 1/4  25%  0.0s\r[###-] 3/4  75%  0.2s\r[####] 4/4 100%  0.2s\n"
    )
