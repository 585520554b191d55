"""Finding the feed behind a URL a user gives: the URL itself when it is a feed, else the
feeds a web page names in its ``<link rel="alternate">`` elements (RSS, Atom, JSON Feed).

* :func:`feed_links` -- pure: the feed addresses an HTML page declares, in document
  order, resolved against the page's address (and its ``<base href>``), http(s) only.
* :func:`find_feed` -- the URL probed as a feed (:meth:`bot.feeds.poll.Poller.probe`);
  when it is a web page instead, the page is fetched (through the same fence and
  limits) and its declared feeds probed in order, the first that parses winning.
  Raises :class:`bot.errors.FetchError` (not reachable, refused by the fence, too big)
  or :class:`bot.feeds.parse.NotAFeed` (:class:`NoFeedFound` when a page names none).
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from bot.errors import FetchError, NotAWebPage
from bot.feeds.parse import NotAFeed, ParsedFeed
from bot.feeds.poll import Poller
from bot.locales import N_, Phrase
from bot.web.content import PAGE_TYPES

__all__ = ["FEED_LINK_TYPES", "MAX_CANDIDATES", "NoFeedFound", "feed_links", "find_feed"]

# The link types that name a feed. Plain "application/json" is left out: on most sites
# it names an API document (WordPress's /wp-json/...), not a JSON Feed.
FEED_LINK_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/x.atom+xml",
        "application/x-atom+xml",
        "application/x-rss+xml",
    }
)
MAX_CANDIDATES = 3  # a page's declared feeds tried at most (each is one fetch)


class NoFeedFound(NotAFeed):
    """The URL is a web page that names no feed that could be read."""


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"].strip()
        if tag != "link":
            return
        rel = values.get("rel", "").lower().split()
        kind = values.get("type", "").split(";")[0].strip().lower()
        href = values.get("href", "").strip()
        if "alternate" in rel and kind in FEED_LINK_TYPES and href:
            self.links.append(href)

    handle_startendtag = handle_starttag


def feed_links(html: str, page_url: str) -> list[str]:
    """The feeds ``html`` declares with ``<link rel="alternate" type="...+xml|+json">``,
    absolute, http(s) only, each once, in document order."""
    parser = _LinkParser()
    parser.feed(html)
    parser.close()
    base = urljoin(page_url, parser.base) if parser.base else page_url
    found: list[str] = []
    for href in parser.links:
        url = urljoin(base, href)
        if urlsplit(url).scheme in ("http", "https") and url not in found:
            found.append(url)
    return found


async def find_feed(poller: Poller, url: str) -> tuple[str, ParsedFeed]:
    """The feed at ``url`` or the first readable one its page declares: (feed URL to
    store, parsed feed). See the module docstring for what it raises."""
    try:
        return await poller.probe(url)
    except NotAWebPage as exc:
        if exc.content_type not in PAGE_TYPES:
            sent = Phrase.of(N_("not a feed (the server sent {type})"), type=exc.content_type)
            raise NotAFeed(sent) from None
    except NotAFeed:
        pass  # perhaps a page served with a feed's type, or XHTML: read it as a page
    page = await poller.fetcher.fetch(url, kind="page")
    candidates = feed_links(page.text, page.final_url)
    if not candidates:
        raise NoFeedFound(
            Phrase.of(
                N_(
                    'no feed found: the page names none in <link rel="alternate">'
                    " (send the feed's own address)"
                )
            )
        )
    reasons: list[Phrase] = []
    for candidate in candidates[:MAX_CANDIDATES]:
        try:
            return await poller.probe(candidate)
        except FetchError as exc:
            reasons.append(Phrase.of(N_("{url}: {reason}"), url=candidate, reason=exc.phrase))
        except NotAFeed as exc:
            reasons.append(Phrase.of(N_("{url}: {reason}"), url=candidate, reason=exc.phrase))
    unread = Phrase.of(
        N_("the feeds the page names cannot be read ({reasons})"), reasons=tuple(reasons)
    )
    raise NoFeedFound(unread)
