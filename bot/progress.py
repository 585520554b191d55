"""A one-line text progress bar for long jobs (scanning seeds, benchmarks).

:class:`ProgressBar` is a ``progress(done, total)`` callback, the shape
:func:`bot.articles.scan` takes: it redraws one line on a stream (stderr by
default) with a carriage return, at most every ``min_interval`` seconds, and
ends the line when the job is done. :func:`render_bar` is the pure formatting.
Whether to draw at all (only on a terminal, say) is the caller's choice.
:class:`StagedProgress` is a ``progress(stage, done, total)`` callback for a job of
several stages (reading the files, then summarizing): one bar per stage, one after
the other, so the whole job shows, not just its first part.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["ProgressBar", "StagedProgress", "render_bar"]


def render_bar(
    done: int, total: int, *, width: int = 30, label: str = "", elapsed: float | None = None
) -> str:
    """One line such as ``scan [###############---------------]  500/1000  50%  0.4s``."""
    fraction = 1.0 if total <= 0 else min(max(done / total, 0.0), 1.0)
    filled = int(fraction * width)
    bar = "#" * filled + "-" * (width - filled)
    count = f"{done:>{len(str(total))}}/{total}"
    line = f"[{bar}] {count} {fraction:4.0%}"
    if elapsed is not None:
        line += f"  {elapsed:.1f}s"
    return f"{label} {line}" if label else line


class ProgressBar:
    """A ``progress(done, total)`` callback drawing :func:`render_bar` on ``stream``."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        label: str = "",
        width: int = 30,
        min_interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.label = label
        self.width = width
        self.min_interval = min_interval
        self._clock = clock
        self._started: float | None = None
        self._last_draw: float | None = None
        self._finished = False

    def __call__(self, done: int, total: int) -> None:
        now = self._clock()
        if self._started is None:
            self._started = now
        final = done >= total
        if self._finished:
            return
        # Redrawing thousands of times a second costs more than the work it
        # reports on; the first and the last state are always drawn.
        recent = self._last_draw is not None and now - self._last_draw < self.min_interval
        if recent and not final:
            return
        self._last_draw = now
        line = render_bar(
            done, total, width=self.width, label=self.label, elapsed=now - self._started
        )
        self.stream.write("\r" + line + ("\n" if final else ""))
        self.stream.flush()
        self._finished = final


class StagedProgress:
    """A ``progress(stage, done, total)`` callback: a :class:`ProgressBar` per stage,
    labelled ``"{job}: {stage}"``, drawn on ``stream`` as the stage starts."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        job: str,
        width: int = 30,
        min_interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.job = job
        self.width = width
        self.min_interval = min_interval
        self._clock = clock
        self._bars: dict[str, ProgressBar] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        bar = self._bars.get(stage)
        if bar is None:
            bar = self._bars[stage] = ProgressBar(
                self.stream,
                label=f"{self.job}: {stage}",
                width=self.width,
                min_interval=self.min_interval,
                clock=self._clock,
            )
        bar(done, total)
