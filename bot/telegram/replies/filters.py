"""What /filter says: a chat's muted and kept terms, and why a filter was refused.

Pure functions of plain data (see :mod:`bot.telegram.replies`).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot.articles.text import clean_text
from bot.filters import KEEP, MAX_TERM_CHARS, MAX_TERMS, MUTE, Term
from bot.locales import ENGLISH, Translator
from bot.telegram.replies.basics import (
    FILTER_USAGE,
    echo,
)

# -- /filter --------------------------------------------------------------------------


def _shown_term(term: Term) -> str:
    return html.escape(" ".join(clean_text(term.quoted()).split()))


def filters_text(terms: Sequence[Term], note: str = "", *, t: Translator = ENGLISH) -> str:
    """The chat's filters (muted terms, then kept ones) and how to use /filter, after
    an optional ``note`` (HTML) saying what just changed."""
    lines = [note] if note else []
    mutes = [term for term in terms if term.mode == MUTE]
    keeps = [term for term in terms if term.mode == KEEP]
    if not terms:
        lines.append(t("<b>No filters</b>: your digests hold every new article."))
    else:
        lines.append(
            t(
                "<b>Your filters</b> ({count} of {limit})",
                count=t.number(len(terms)),
                limit=t.number(MAX_TERMS),
            )
        )
        if mutes:
            lines.append(t("Muted: {terms}", terms=", ".join(_shown_term(x) for x in mutes)))
        if keeps:
            lines.append(
                t("Only articles with: {terms}", terms=", ".join(_shown_term(x) for x in keeps))
            )
    return "\n".join(lines) + "\n\n" + html.escape(t(FILTER_USAGE))


def removed_filters_text(
    asked: Sequence[Term], removed: Sequence[str], *, t: Translator = ENGLISH
) -> str:
    """What ``/filter remove …`` did: the terms ``removed`` (as they were written), and
    the ``asked`` ones the chat did not have."""
    gone = {Term("", text).key for text in removed}
    missing = [term for term in asked if term.key not in gone]
    parts = []
    if removed:
        parts.append(t("Removed: {terms}.", terms=", ".join(echo(text) for text in removed)))
    if missing:
        names = ", ".join(f"“{echo(term.shown())}”" for term in missing)
        parts.append(t("You had no filter {terms}.", terms=names))
    return " ".join(parts)


def filter_error_text(reason: str, *, t: Translator = ENGLISH) -> str:
    """A /filter argument that cannot be read: why (``reason``, plain text), and how."""
    reason = " ".join(clean_text(reason).split())
    return f"{html.escape(reason)}\n\n{html.escape(t(FILTER_USAGE))}"


def filter_limit_text(would_have: int, *, t: Translator = ENGLISH) -> str:
    """/filter would give the chat ``would_have`` terms, more than MAX_TERMS."""
    return t(
        "Too many filters: a chat has at most {limit} terms (of at most {chars} characters "
        "each), and this would make {count}. Nothing was changed: remove some first with "
        "/filter remove WORD, or start over with /filter clear.",
        limit=t.number(MAX_TERMS),
        chars=t.number(MAX_TERM_CHARS),
        count=t.number(would_have),
    )
