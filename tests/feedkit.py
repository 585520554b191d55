"""Feed documents and article pages for the feed tests (RSS, RDF, Atom, JSON Feed)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape

WORDS = (
    "The city council met on Tuesday to discuss the new budget for public transport."
    " Officials said the plan would add twelve bus lines and extend tram service at night."
    " Critics argued that the money should go to road repairs instead of new routes."
    " The mayor promised a public hearing before the final vote next month."
    " Residents in the northern districts welcomed the proposal after years of complaints."
    " Transport experts noted that ridership had grown steadily since the last expansion."
)


@dataclass
class Item:
    guid: str | None = None
    link: str | None = None
    title: str | None = None
    text: str | None = None  # HTML
    date: str = "Mon, 30 Nov 2026 10:00:00 GMT"
    iso: str = "2026-11-30T10:00:00Z"


def long_text(n: int, topic: str = "") -> str:
    return "".join(f"<p>{escape(topic)} {WORDS} Paragraph {i}.</p>" for i in range(n))


def story(i: int, topic: str, day: int = 30) -> Item:
    """Story ``i`` of a topic's feed ("World story 1"), four paragraphs long, published
    on ``day`` November 2026."""
    return Item(
        guid=f"{topic}{i}",
        link=f"http://127.0.0.1/{topic}/{i}",
        title=f"{topic.title()} story {i}",
        text=long_text(4, f"{topic} {i}"),
        date=f"Mon, {day} Nov 2026 10:00:00 GMT",
        iso=f"2026-11-{day}T10:00:00Z",
    )


def rss(items: list[Item], title: str = "Test News", encoding: str = "utf-8") -> bytes:
    parts = [
        f'<?xml version="1.0" encoding="{encoding}"?>',
        '<rss version="2.0"><channel>',
        f"<title>{escape(title)}</title><link>http://127.0.0.1/</link>",
    ]
    for item in items:
        parts.append("<item>")
        if item.title is not None:
            parts.append(f"<title>{escape(item.title)}</title>")
        if item.link is not None:
            parts.append(f"<link>{escape(item.link)}</link>")
        if item.guid is not None:
            parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        if item.text is not None:
            parts.append(f"<description>{escape(item.text)}</description>")
        parts.append(f"<pubDate>{item.date}</pubDate></item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode(encoding, "xmlcharrefreplace")


def rdf(items: list[Item], title: str = "RDF News") -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">',
        f'<channel rdf:about="http://127.0.0.1/"><title>{escape(title)}</title>'
        "<link>http://127.0.0.1/</link><description>d</description></channel>",
    ]
    for item in items:
        parts.append(
            f'<item rdf:about="{escape(item.link or "")}"><title>{escape(item.title or "")}</title>'
            f"<link>{escape(item.link or '')}</link>"
            f"<description>{escape(item.text or '')}</description>"
            f"<dc:date>{item.iso}</dc:date></item>"
        )
    parts.append("</rdf:RDF>")
    return "\n".join(parts).encode()


def atom(items: list[Item], title: str = "Atom News", version: str = "1.0") -> bytes:
    if version == "0.3":
        head = '<feed version="0.3" xmlns="http://purl.org/atom/ns#">'
        date_tag = "issued"
    else:
        head = '<feed xmlns="http://www.w3.org/2005/Atom">'
        date_tag = "published"
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        head,
        f"<title>{escape(title)}</title><id>urn:test:feed</id>",
        "<updated>2026-11-30T10:00:00Z</updated>",
    ]
    for item in items:
        parts.append("<entry>")
        if item.guid is not None:
            parts.append(f"<id>{escape(item.guid)}</id>")
        if item.title is not None:
            parts.append(f"<title>{escape(item.title)}</title>")
        if item.link is not None:
            parts.append(f'<link rel="alternate" href="{escape(item.link)}"/>')
        if item.text is not None:
            parts.append(f'<content type="html">{escape(item.text)}</content>')
        parts.append(f"<{date_tag}>{item.iso}</{date_tag}><updated>{item.iso}</updated></entry>")
    parts.append("</feed>")
    return "\n".join(parts).encode()


def jsonfeed(items: list[Item], title: str = "JSON News", version: str = "1.1") -> bytes:
    data = {
        "version": f"https://jsonfeed.org/version/{version}",
        "title": title,
        "items": [
            {
                k: v
                for k, v in {
                    "id": item.guid,
                    "url": item.link,
                    "title": item.title,
                    "content_html": item.text,
                    "date_published": item.iso,
                }.items()
                if v is not None
            }
            for item in items
        ],
    }
    return json.dumps(data).encode()


def page(title: str, paragraphs: int = 6, canonical: str | None = None, topic: str = "") -> str:
    link = f'<link rel="canonical" href="{escape(canonical)}">' if canonical else ""
    return (
        f"<!doctype html><html lang=en><head><title>{escape(title)} | Test Site</title>{link}"
        f'<meta property="og:title" content="{escape(title)}">'
        '<meta property="article:published_time" content="2026-11-29T08:00:00+00:00">'
        "</head><body><nav><a href=/>Home</a> <a href=/world>World</a> <a href=/sport>Sport"
        f"</a></nav><article><h1>{escape(title)}</h1>{long_text(paragraphs, topic)}</article>"
        "<footer>Copyright Test Site. All rights reserved. Contact us.</footer></body></html>"
    )
