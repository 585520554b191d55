"""Feeds: parsing RSS, Atom and JSON Feed (:mod:`bot.feeds.parse`, pure), polling them
(:mod:`bot.feeds.poll`), OPML (:mod:`bot.feeds.opml`, pure) and the feed list in and out
(:mod:`bot.feeds.exchange`).
"""

from __future__ import annotations
