"""The exceptions digestbot raises, and when to catch which.

Everything digestbot raises on purpose is a :class:`DigestbotError`, so the CLI
can turn any of them into one clear line on stderr without a traceback:

* :class:`ConfigError` -- the config file is missing, not TOML, has an unknown
  key or a value of the wrong type. Fatal at start-up; the message names the key.
* :class:`NotAnArticle` -- a seed file is empty, binary, unreadable or holds no
  article text. Ingestion catches it per file, logs the reason and moves on.
* :class:`UnsupportedLanguage` -- a summary was asked for in a language we have
  no stemmer or stop words for.
"""

from __future__ import annotations


class DigestbotError(Exception):
    """Base class of every error digestbot raises on purpose."""


class ConfigError(DigestbotError):
    """The configuration cannot be used; the message says which key and why."""


class NotAnArticle(DigestbotError):
    """A seed file that is not an article; ``reason`` says why, for the log line."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class UnsupportedLanguage(DigestbotError, ValueError):
    """No stemmer or stop words for this language."""
