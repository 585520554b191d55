"""Language: which summary language an article is written in.

This module owns :func:`detect_language` (the project's one detector,
:func:`bot.languages.text_language`, with a default for articles it cannot tell)
and :func:`language_name` (reading a language as a front matter writes it: "de",
"de-DE", "German", "Deutsch"). Both speak the names of :mod:`bot.languages`; the
aliases start from :data:`bot.languages.ISO_CODES`. Pure over strings.
"""

from __future__ import annotations

import re

from bot.articles.text import fold
from bot.languages import ISO_CODES, text_language

__all__ = ["detect_language", "language_name"]


def detect_language(text: str, default: str = "english") -> str:
    """The language name of ``text`` by the project's one detector
    (:func:`bot.languages.text_language`: py3langid, then the script), or ``default``
    when it cannot tell."""
    return text_language(text) or default


# How a front matter may name a language besides its sumy name: the ISO 639-1
# codes of the supported languages and their names in their own language.
_LANGUAGE_ALIASES: dict[str, str] = {
    **ISO_CODES,
    "deutsch": "german",
    "francais": "french",
    "espanol": "spanish",
    "italiano": "italian",
    "portugues": "portuguese",
    "svenska": "swedish",
}


def language_name(value: str) -> str | None:
    """A sumy language name from "de", "de-DE", "German", "Deutsch"…; None if unreadable.

    A well-formed name outside the supported languages ("russian") is returned
    as it is: the summarizer falls back to the configured language for it.
    """
    folded = fold(value.strip())
    if re.fullmatch(r"[a-z]{2}(?:[-_][a-z0-9]{2,4})?", folded):
        folded = folded[:2]
    folded = _LANGUAGE_ALIASES.get(folded, folded)
    return folded if re.fullmatch(r"[a-z]{3,20}", folded) else None
