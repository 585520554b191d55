"""Links as text: the canonical form of a URL and the first link in a message.

Pure string work, no network and no address policy (that is :mod:`bot.web.fence`):

* :func:`canonical_url` gives one spelling per page, used as the key of the fetch cache
  and, for feeds, to recognise the same article under two URLs: scheme and host
  lower-cased, the default port and the fragment dropped, tracking parameters
  (``utm_*``, ``fbclid``, ``gclid``) dropped, every other query parameter kept as
  written and in its order.
* :func:`first_link` finds the first ``http://`` or ``https://`` link in a message,
  without the punctuation a sentence puts after it.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_PARAMETERS = frozenset({"fbclid", "gclid"})
TRACKING_PREFIXES = ("utm_",)

# A link runs until whitespace, a quote or an angle bracket (the ends of "<https://...>").
_LINK = re.compile(r"""https?://[^\s<>"'`]+""", re.IGNORECASE)
# Characters a sentence puts after a link that are almost never its last character.
_TRAILING = ".,;:!?…»“”‘’'\""
_BRACKETS = {")": "(", "]": "[", "}": "{"}


def canonical_url(url: str) -> str:
    """One spelling of ``url`` for comparing and caching; raises ValueError if unparsable.

    >>> canonical_url("HTTPS://Example.COM:443/a/b?utm_source=x&id=7&fbclid=y#top")
    'https://example.com/a/b?id=7'
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = parts.hostname  # lower-cased by urlsplit, without brackets or user info
    if not scheme or host is None:
        raise ValueError(f"not an absolute URL: {url!r}")
    port = parts.port  # raises ValueError for a port out of range
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    path = parts.path or ("/" if scheme in DEFAULT_PORTS else "")
    query = "&".join(p for p in parts.query.split("&") if p and not _is_tracking(p))
    return urlunsplit((scheme, netloc, path, query, ""))


def _is_tracking(parameter: str) -> bool:
    name = unquote(parameter.partition("=")[0]).lower()
    return name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES)


def first_link(text: str) -> str | None:
    """The first http(s) link in ``text``, without trailing sentence punctuation; or None.

    >>> first_link("Read this (https://example.org/a_(b)). Thanks!")
    'https://example.org/a_(b)'
    """
    for match in _LINK.finditer(text):
        link = _trim(match.group(0))
        try:
            if urlsplit(link).hostname:
                return link
        except ValueError:  # e.g. "http://[::1" -- not a link after all
            continue
    return None


def _trim(link: str) -> str:
    """Drop trailing punctuation and closing brackets that have no opening one in the link."""
    while link and (link[-1] in _TRAILING or _unbalanced(link)):
        link = link[:-1]
    return link


def _unbalanced(link: str) -> bool:
    last = link[-1]
    return last in _BRACKETS and link.count(last) > link.count(_BRACKETS[last])
