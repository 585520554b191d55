"""The summary languages: one list shared by the summarizer, language detection and config.

Names are sumy's (and NLTK's Snowball stemmers'): each has a stemmer and a stop-word
list that ship with pip-installed packages, and our sentence splitter handles them.
"""

from __future__ import annotations

__all__ = ["ISO_CODES", "SUPPORTED_LANGUAGES"]

SUPPORTED_LANGUAGES: tuple[str, ...] = (
    "english",
    "german",
    "french",
    "spanish",
    "italian",
    "portuguese",
    "swedish",
)

# Two-letter ISO 639-1 codes of the supported languages.
ISO_CODES: dict[str, str] = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "sv": "swedish",
}
