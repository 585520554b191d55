"""A subscriber's digest settings: its size and form, chosen with ``/settings``.

Pure: the values, their defaults, the buttons' data and what a button press changes.
The operator's config (:mod:`bot.config`) sets the defaults every chat starts from; a
chat (or forum topic with a digest of its own) then chooses, per subscriber:

* **stories** per digest: one of :data:`SIZES` (None: the config's
  ``[digest] max_articles``);
* **headlines** only, or summaries (the default): a headline item keeps its linked
  title, source, date and ``/article N``, without the summary quote;
* **silent** digests: sent with ``disable_notification`` (no sound);
* link **previews** on or off (off by default: a digest is many links, and a preview
  would show the first one only).

The store keeps them in ``chats`` (:meth:`bot.store.Store.set_digest_settings`); the
compose path reads ``stories`` and ``headlines``, the outbox sender and ``/digest``
``silent`` and ``previews``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.locales import ENGLISH, Translator

__all__ = [
    "BUTTON_PREFIX",
    "SIZES",
    "DigestSettings",
    "describe",
    "press",
]

SIZES = (5, 10, 20, 30)
# Callback data of the /settings buttons: "set:size:10", "set:form:headlines",
# "set:silent:on", "set:previews:off".
BUTTON_PREFIX = "set:"
_BUTTON = re.compile(r"set:(size|form|silent|previews):(\d{1,2}|headlines|summaries|on|off)")


@dataclass(frozen=True, slots=True)
class DigestSettings:
    """One subscriber's choices (the defaults: the config's size, summaries, with sound,
    no link previews)."""

    size: int | None = None
    headlines: bool = False
    silent: bool = False
    previews: bool = False

    def stories(self, default: int) -> int:
        """Stories per digest: the chosen size, else ``default`` (the config's)."""
        return self.size if self.size is not None else default


def press(settings: DigestSettings, data: str) -> DigestSettings | None:
    """What a /settings button (its callback ``data``) makes of ``settings``; None when
    the data is no button of ours (forged, or from an older version)."""
    match = _BUTTON.fullmatch(data)
    if match is None:
        return None
    name, value = match[1], match[2]
    if name == "size":
        if not value.isdigit() or int(value) not in SIZES:
            return None
        return replace(settings, size=int(value))
    if name == "form" and value in ("headlines", "summaries"):
        return replace(settings, headlines=value == "headlines")
    if name in ("silent", "previews") and value in ("on", "off"):
        return replace(settings, **{name: value == "on"})
    return None


def describe(settings: DigestSettings, default_size: int, t: Translator = ENGLISH) -> str:
    """The settings in one line (plain text): ``10 stories · summaries · with sound ·
    no link previews``, in ``t``'s language."""
    size = settings.stories(default_size)
    return " · ".join(
        (
            t.plural("{count} story", "{count} stories", size),
            t("headlines only") if settings.headlines else t("summaries"),
            t("silent") if settings.silent else t("with sound"),
            t("link previews") if settings.previews else t("no link previews"),
        )
    )
