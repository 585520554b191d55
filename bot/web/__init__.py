"""Web fetching: the HTTP client (:mod:`bot.web.fetch`), the address fence
(:mod:`bot.web.fence`), URLs, content types, per-chat quotas, summaries of links and
texts on demand (:mod:`bot.web.links`) and the process pool they run in.
"""

from __future__ import annotations
