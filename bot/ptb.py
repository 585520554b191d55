"""Everything that relies on python-telegram-bot beyond its documented API, in one place.

Each name here leans on something PTB does not promise to keep; a PTB upgrade that
changes it should fail ``tests/test_ptb.py`` rather than misbehave quietly.

* :func:`opt_into_timedelta` -- PTB 22 warns (``PTBDeprecationWarning``) whenever a
  ``RetryAfter`` is built unless ``PTB_TIMEDELTA`` is set; under ``-W error`` that
  warning would replace the 429 itself. Called where the application is built (and by
  the test configuration), never at import time.
* :func:`retry_after_seconds` -- the exact wait of a 429. ``RetryAfter.retry_after``
  warns (its int form is deprecated), so we read the private ``_retry_after`` timedelta.
"""

from __future__ import annotations

import os

from telegram.error import RetryAfter

__all__ = ["opt_into_timedelta", "retry_after_seconds"]


def opt_into_timedelta() -> None:
    """Opt into PTB's timedelta durations (``PTB_TIMEDELTA=1``) for this process."""
    os.environ.setdefault("PTB_TIMEDELTA", "1")


def retry_after_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked us to wait, in seconds, from a 429's ``RetryAfter``."""
    wait = exc._retry_after
    return wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
