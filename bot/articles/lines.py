"""What one line of a scraped page is: navigation, furniture, a date, a byline, or text.

This module owns the line rules for text copied from a browser:
:func:`classify` names the kind of one line and :func:`classify_lines` does it
for a whole page, numbering the blank-line separated chunks (and making the
line above a bare photo credit its caption); :func:`strip_credits` takes
agency datelines and credits off a paragraph. The kinds:

* "nav": skip links, menus on one line ("Home | World"), breadcrumbs
  ("Home > News"), short list items;
* "furniture": stock phrases ("Advertisement", "Share", "Reply") and notices
  (:func:`_is_notice`: cookie banners and their buttons, sign-up and comment
  forms, paywall and "continue reading" prompts, browser warnings, legal,
  contact and affiliate lines);
* "section": a heading over other stories, comments or tags
  (:func:`_is_section_break`: "Most Popular", "More from …", "Leave a Reply");
* "date" (payload: ISO date): a date line, or a date with who posted it
  (:func:`_meta_date`);
* "byline": "By …", a name and outlet (:func:`_is_name_and_outlet`), a
  relative time stamp (:func:`_is_stamp`); "credit": agency credits;
* "image" and "caption": photo lines, credits, and captions ending in a
  credit (:func:`_is_photo_caption`);
* "url", "heading" (Markdown "## x") and "text".

Each rule is a named regex, phrase table or small function, general and not
per site. Pure over strings; :mod:`bot.articles.pages` builds on it.
"""

from __future__ import annotations

import re

from bot.articles.dates import date_line, parse_date
from bot.articles.text import ends_sentence, fold, phrase_set, split_lines, word_set, words

__all__ = ["classify", "classify_lines", "strip_credits"]

# "## Heading" (Markdown ATX) in pages scraped to Markdown.
_ATX = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")


_MENU_SEPARATOR = re.compile(r"\s+[|•·»/>›]\s+")
_LIST_ITEM = re.compile(r"^(?:\d{1,3}[.)]|[-*•·▪►‣◦])\s+(?P<rest>.+)$")
_NAVIGATION = re.compile(
    r"^(?:skip|jump|go|back)\s+to\b|^(?:zum|zur)\s+\w+\s+springen$|^aller au\b|^ir al\b"
)
_URL_LINE = re.compile(r"^(?:(?P<label>[^:/]{1,30}?)\s*[:–—-]?\s+)?<?(?P<url>https?://[^\s<>]+)>?$")
# Labels under which a page shows its own address (the article's source link).
_URL_LABELS = frozenset(
    {"permalink", "link", "url", "source", "canonical", "original", "short link", "shortlink"}
    | {"source link", "article link", "original article", "quelle", "lien", "fuente", "enlace"}
)
_IMAGE_LINE = re.compile(
    r"^[\[(]?\s*(?:image|images|photo|photos|photograph|picture|pictures|pic|"
    r"photo credit|image credit|image source|image caption|caption|credit|credits|"
    r"video|graphic|illustration|bild|bildquelle|bildunterschrift|foto|fotos|"
    r"legende|credit photo|credits photo|imagen|fotografia|ilustracion)\s*:"
)
_IMAGE_CREDIT = re.compile(
    r"getty images|shutterstock|istockphoto|picture[- ]alliance|imago images|"
    r"\bap photo\b|\bafp photo\b|\bepa-efe\b|\bvia reuters\b"
)
_BYLINE_PREFIX = re.compile(
    r"^(?:by|von|par|por|di|door|written by|words by|reporting by|additional reporting by|"
    r"editing by|edited by|text|author|authors|autor|autorin|auteur|autora|reporter|editor)"
    r"\s*:?\s+(?P<names>.+)$",
    re.IGNORECASE,
)
_NAME_JOINERS = word_set(
    "and und et y e & with in for de van von der den la le du da di del bin al"
)
_AGENCIES = word_set(
    """ap afp reuters dpa kna epd efe ansa kyodo yonhap xinhua tass interfax upi pa aa sid
    apa sda ats ips ians pti bloomberg cnn bbc kcna ria lusa anp belga ctk mti pap ntb tt
    ritzau stt ana mena irna sana jiji ddp nhk dw"""
)
_AGENCY_ALT = "|".join(sorted(_AGENCIES, key=len, reverse=True))
_CREDIT_LINE = re.compile(
    r"^(?P<initials>[\w/ ,.&-]{0,30}?)\s*\((?P<list>[^()]{1,60})\)\s*\.?$", re.UNICODE
)
_INITIALS = re.compile(r"^[a-z]{1,5}(?:\s*/\s*[a-z]{1,5})+$")
# "WASHINGTON (Reuters) - " opening a paragraph, "... on Friday. (AP)" closing one.
_DATELINE = re.compile(
    rf"^(?:[A-Z][\w .,'/-]{{0,40}}?\s*)?\((?:{_AGENCY_ALT})\)\s*(?:--|[-–—])\s*(?=\S)",
    re.IGNORECASE,
)
_TRAILING_CREDIT = re.compile(
    rf"(?<=[.!?\"”’])\s+(?:[a-z]{{1,5}}(?:/[a-z]{{1,5}})+\s*)?"
    rf"\((?:{_AGENCY_ALT})(?:\s*[,/;]\s*(?:{_AGENCY_ALT}))*\)$",
    re.IGNORECASE,
)
# Whole lines that are site furniture (matched folded: lower-case, no accents).
_FURNITURE = phrase_set(
    """advertisement|anzeige|werbung|publicite|publicidad|pubblicita|sponsored|
    advertising|share|share this|share this article|share this story|share this page|print|
    email|e-mail|tweet|whatsapp|facebook|twitter|linkedin|pinterest|reddit|copy link|menu|
    search|close|home|log in|login|sign in|sign up|subscribe|newsletter|related|
    related topics|related content|related articles|related stories|more on this topic|
    read more|also read|see also|recommended|recommended stories|top stories|most read|
    comments|back to top|next article|previous article|send us your feedback|show more|
    load more|skip advertisement|continue reading|audio|listen|watch|play video|teilen|
    reply|report|like|follow|more|print this article|email this|share on facebook|
    share on twitter|copy link|view gallery|back to gallery|previous|next|accept|
    accept all|accept cookies|i accept|agree|i agree|got it|allow all|reject all|decline|
    manage preferences|cookie settings|
    drucken|mehr zum thema|lesen sie auch|partager|imprimer|lire aussi|a lire aussi|compartir|
    imprimir|ver tambien|lea tambien"""
)
_FURNITURE_PREFIX = re.compile(
    r"^(?:read more|also read|see also|related|keywords|tags|topics|more|watch|listen|"
    r"follow us|follow|share|source|sources|mehr zum thema|lesen sie auch|schlagworte|"
    r"lire aussi|a lire aussi|mots-cles|lea tambien|ver tambien|etiquetas|feedback)\s*:"
    r"|^(?:follow us on|click here|sign up for|subscribe to|download our app)\b"
    r"|^(?:keywords|related subjects|related topics|schlagworte|print this page|mobile version)\b"
    r"|^(?:©|\(c\)\s|copyright\b)|all rights reserved"
)


# Headings that open a part of the page that is not the article: lists of other
# stories, comments, tags, newsletters. Matched folded, alone or opening a short line
# ("More from Sportsnet", "Popular on IndieWire").
_SECTION = frozenset(
    fold(phrase)
    for phrase in phrase_set(
        """most popular|most read|most viewed|most shared|popular|popular now|popular posts|
    popular stories|popular articles|recent posts|recent comments|recent articles|archives|
    categories|trending|
    trending now|trending stories|related|related articles|related stories|related posts|
    related content|related coverage|related links|related tags|related topics|related news|
    you may also like|you might also like|you may like|recommended|recommended for you|
    recommended stories|more from|more stories|more news|more coverage|more in|more on|
    latest|latest news|latest stories|latest headlines|latest articles|up next|read next|
    next up|what to read next|comments|comment|leave a comment|leave a reply|post a comment|
    join the conversation|add a comment|show comments|view comments|tags|topics|filed under|
    about the author|sponsored|sponsored content|sponsored stories|promoted stories|
    around the web|from the web|more from the web|editor's picks|editors' picks|top stories|
    don't miss|in case you missed it|also on|popular on|other articles|see also|
    previous post|next post|previous article|next article|post navigation|share this|
    mehr zum thema|lesen sie auch|das konnte sie auch interessieren|kommentare|
    meistgelesen|a lire aussi|sur le meme sujet|commentaires|les plus lus|a voir aussi|
    relacionados|leia tambem|noticias relacionadas|comentarios|mais lidas|
    lo mas leido|articoli correlati|commenti|piu letti|
    читайте также|комментарии|материалы по теме|похожие статьи|популярное|
    関連記事|人気記事|こちらの記事も合わせてどうぞ|関連ニュース"""
    )
)
_SECTION_OPENING = re.compile(
    r"^(?:more from|more on|more in|popular on|also on|latest from|more stories from|"
    r"more news from|next up in|related to|trending in|top stories in|most read in)\b"
)


def _is_section_break(folded: str, line: str, size: int) -> bool:
    """A short line announcing other stories, comments or tags after (or beside) the article."""
    if size > 8 or (ends_sentence(line) and not line.endswith(":")):
        return False
    key = folded.rstrip(" :.!»›>")
    return key in _SECTION or bool(_SECTION_OPENING.match(key))


# Notices every page carries and no article is about: cookie and consent banners,
# newsletter and sign-up forms, comment forms, paywall and "continue reading"
# prompts, browser warnings, legal, contact and affiliate lines. Each pattern needs
# two or more telling words together, so prose that merely mentions cookies or
# email stays. Each is tried only when one of its key words is in the line: a
# search for a few literal words is far cheaper than these patterns over a paragraph.
_NOTICES: tuple[tuple[frozenset[str], re.Pattern[str]], ...] = tuple(
    (frozenset(keys), re.compile(pattern))
    for keys, pattern in [
        (
            ("cookie",),
            r"\b(?:we|this (?:web)?site|our (?:web)?site|this page)\b.{0,40}\buses? cookies\b"
            r"|\bcookies? (?:policy|settings|preferences|notice|consent)\b"
            r"|\baccept (?:all )?cookies\b|\buse of cookies\b"
            r"|\bcookies (?:that|which) (?:may|are)\b",
        ),
        (
            ("by ",),
            r"\bby (?:continuing|using|clicking|choosing)\b.{0,60}\b(?:agree|consent|accept)"
            r"|\bby signing up\b",
        ),
        (
            ("sign up", "subscribe", "register", "newsletter"),
            r"\b(?:sign up|subscribe|register) (?:for|to) (?:our|the|a)\b.{0,40}"
            r"\b(?:newsletter|emails?|alerts?|updates)\b"
            r"|\bnewsletters?\b.{0,40}\b(?:sign up|subscribe|inbox)\b"
            r"|\bsubscribe (?:now|today)\b.{0,40}\b(?:access|read)\b",
        ),
        (
            ("mail", "inbox", "thank", "agree"),
            r"\bdelivered (?:straight )?to your inbox\b|\benter your e-?mail\b"
            r"|\byour e-?mail address\b|\bthanks? (?:you )?for (?:signing up|subscribing)\b"
            r"|\bi agree (?:to|that)\b|\bsave my name, e-?mail\b",
        ),
        (
            ("privacy", "terms"),
            r"\bprivacy (?:policy|notice)\b.{0,60}\bterms\b"
            r"|\bterms of (?:use|service)\b.{0,60}\bprivacy\b",
        ),
        (
            ("comment", "logged", "required", "guideline", "notify", "repl", "respons", "thought"),
            r"\b(?:you must be )?logged in to (?:post|comment)\b|\brequired fields are marked\b"
            r"|\bcomments? (?:are|is) (?:closed|moderated)\b|\bsubmission guidelines\b"
            r"|\bnotify me\b.{0,30}\b(?:comments?|posts?|e-?mail)\b"
            r"|^\d+\s+(?:comments?|responses?|replies|thoughts? on)\b"
            r"|^(?:comments?|replies) \(\d+\)$",
        ),
        (
            ("account",),
            r"\b(?:do you have|don't have|create|sign in to|log in to|login to) (?:an? |your )?"
            r"(?:[\w.]+ ){0,2}account\b|\baccount\?$",
        ),
        (
            ("click", "clique", "clic", "tap "),
            r"^(?:click|tap|clique|clica|haz clic|haga clic|cliquez)\b",
        ),
        (
            ("modera",),
            r"\b(?:comments?|comentarios?|commentaires?|kommentare?|commenti)\b.{0,120}\bmodera",
        ),
        (
            ("read",),
            r"\bcontinue reading\b|\bread (?:the )?full (?:story|article)\b|\bto read the full\b",
        ),
        (
            ("browser", "javascript", "detected"),
            r"\b(?:update|upgrade) (?:to )?(?:a modern|your|the latest) (?:web )?browser\b"
            r"|\b(?:enable|requires?|turn on) javascript\b"
            r"|\bjavascript (?:is )?(?:disabled|required)\b"
            r"|\bdetected (?:that )?you (?:are|'re) (?:using|on)\b",
        ),
        (
            ("rights", "may not", "commercial", "reprint", "delayed"),
            r"\ball rights reserved\b|\bmay not be (?:published|reproduced|redistributed|copied)\b"
            r"|\bfor your personal,? non-?commercial use\b|\border (?:\w+ )?(?:reprints|copies)\b"
            r"|\b(?:quotes?|prices?|data) (?:is |are )?delayed (?:by )?(?:at least )?\d+ min",
        ),
        (
            ("affiliate", "associates", "commission", "compensation"),
            r"\b(?:affiliate|associates) (?:program|links?)\b.{0,80}\b(?:earn|commission|fees?)\b"
            r"|\bmay (?:earn|receive) (?:a )?(?:small )?(?:commission|compensation)\b",
        ),
        (
            ("customer service", "contacted", "tel", "phone", "fax"),
            r"\bcustomer service\b.{0,80}\b(?:contact|telephone|phone|e-?mail)"
            r"|\bcan be contacted\b|\b(?:tel|telephone|phone|fax)\s*[:.]?\s*\+?\d[\d ()-]{5,}",
        ),
    ]
)


# Every key word of _NOTICES, longest first: one search finds which patterns to try.
_NOTICE_KEYS = re.compile(
    "|".join(
        re.escape(key)
        for key in sorted({key for keys, _ in _NOTICES for key in keys}, key=len, reverse=True)
    )
)


# "Meg James is a corporate media reporter for …": the author's box under an article.
_AUTHOR_BIO = re.compile(
    r"^(?:[A-Z][\w.'’-]+\s){1,3}(?:is|was) (?:a|an|the)\b[^.]{0,80}?\b(?:writer|reporter|"
    r"editor|journalist|correspondent|contributor|columnist|author|blogger|producer|"
    r"photographer|critic)s?\b"
)


def _is_author_bio(line: str, size: int) -> bool:
    """A line that introduces the author: a name, "is a", and a writing job."""
    return size <= 60 and bool(_AUTHOR_BIO.match(line))


def _is_notice(folded: str, size: int) -> bool:
    """A cookie banner, sign-up or comment form, paywall prompt, browser warning or legal line."""
    if size > 80:
        return False
    found = set(_NOTICE_KEYS.findall(folded))
    if not found:
        return False
    return any(
        not keys.isdisjoint(found) and pattern.search(folded) is not None
        for keys, pattern in _NOTICES
    )


# Words that, beside a date, make a line the article's meta line
# ("05/10/2018 - Publicado por: Ana - Categoria: Saúde", "Posted on March 30, 2015 by Admin").
_META_WORDS = re.compile(
    r"\b(?:by|posted|published|updated|written|filed|publicado|publicada|por|von|"
    r"veroffentlicht|aktualisiert|publie|par|mis a jour|pubblicato|di|door|geplaatst)\b"
)


def _meta_date(folded: str, line: str, size: int) -> str | None:
    """The date of a short line that is a date plus who posted it or when it was updated."""
    if size > 25 or (ends_sentence(line) and not line.endswith(("a.m.", "p.m."))):
        return None
    if not _META_WORDS.search(folded):
        return None
    return parse_date(line)


# A caption that ends in its photo credit: "… easy.Kathrin Ziegler/Getty",
# "… Photograph: AFP via Getty", "(Reed Saxon / Associated Press)", "Al Goldis, Associated Press".
_CREDIT_END = re.compile(
    r"(?:\b(?:photograph|photo|image|picture|foto|bild|credit)s?\s*:\s*[^.:]{2,60}"
    r"|(?:[/|,]|\bvia|\bby)\s*(?:getty(?: images)?|afp|ap|reuters|associated press|epa|"
    r"shutterstock|istock(?:photo)?|bloomberg|ap photo|afp photo|dpa|picture[- ]alliance)"
    r"|\[file:[^\]]{1,40}\]|\(image:[^)]{1,40}\))\s*\)?\.?$"
)
# "5 hours ago", "Published 22 hours ago", "2 days ago at 07:52 am", "Updated an hour ago":
# when a post or comment was written, without a calendar date.
_STAMP = re.compile(
    r"^(?:(?:published|updated|posted|last updated)\s*:?\s*)?(?:\d+|an?|one)\s+"
    r"(?:sec(?:ond)?s?|min(?:ute)?s?|h(?:ou)?rs?|hours?|days?|weeks?|months?|years?)\s+ago\b"
)


# "Tanza Loudenback, Business Insider": a name (two or three capitalised words,
# initials allowed) and, after one comma, the publication.
_NAME_AND_OUTLET = re.compile(
    r"^(?:[A-Z][\w'’-]+|[A-Z]\.)(?:\s+(?:[A-Z][\w'’-]+|[A-Z]\.)){1,3},"
    r"(?:\s+[A-Z][\w'’&.-]*){1,4}$"
)


def _is_name_and_outlet(line: str) -> bool:
    """A byline without "By": a person's name, a comma and where they write."""
    return bool(_NAME_AND_OUTLET.match(line))


# "In this Dec. 12, 2006, file photo, …", "In this photo taken on …": a wire caption.
_PHOTO_OPENING = re.compile(r"^in this (?:[\w.,' -]{0,40} )?(?:file )?(?:photo|image|picture)\b")
# Gallery captions cut to one line with a toggle: "… at Automobility LA ... more", "… 2019. less".
_CAPTION_TOGGLE = re.compile(r"(?:\.\.\.|…)\s*more$|[.!?]\s+less$")


def _is_photo_caption(folded: str, size: int) -> bool:
    """A line of at most 60 words that ends in a photo credit, opens like a wire photo
    caption or ends in a gallery's "more"/"less" toggle."""
    if size > 60:
        return False
    if _PHOTO_OPENING.match(folded) or _CAPTION_TOGGLE.search(folded[-12:]):
        return True
    # The credit is at the end: search the tail only, an end-anchored search costs the line.
    return bool(_CREDIT_END.search(folded[-120:]))


def _is_stamp(folded: str, size: int) -> bool:
    """A relative time stamp ("5 hours ago"), alone or opening a short line."""
    return size <= 10 and bool(_STAMP.match(folded))


def classify(line: str) -> tuple[str, str]:
    """What one non-empty page line is: (kind, payload).

    Kinds: "nav", "url" (payload: the URL, or "" for a link that is not the
    page's own), "date" (payload: ISO date), "image", "byline", "credit",
    "furniture", "section" (a heading over other stories, comments or tags),
    "heading" (Markdown-style "## x", payload: its text) and
    "text" (payload: the line without a list marker).
    """
    folded = fold(line)
    if _NAVIGATION.search(folded):
        return "nav", ""
    # Before list items: "26. Dezember 2014" is a date, not item 26 of a menu.
    iso = date_line(line)
    if iso is not None:
        return "date", iso
    segments = _MENU_SEPARATOR.split(line)
    if (
        len(segments) >= 3
        and all(words(segment) <= 3 for segment in segments)
        and not any(parse_date(segment) for segment in segments)
    ):
        return "nav", ""  # "Home | World | Business | Tech", but not "Title | Site | 26.12.2014"
    item = _LIST_ITEM.match(line)
    if item:
        rest = item.group("rest")
        # Menus are lists of short labels; a list item that reads like prose is content.
        if words(rest) <= 6 and not ends_sentence(rest):
            return "nav", ""
        line, folded = rest, fold(rest)
    size = words(line)
    atx = _ATX.match(line)
    if atx and atx.group(2):
        return "heading", atx.group(2)
    url = _URL_LINE.match(line)
    if url:
        label = fold(url.group("label") or "").strip(" :-–—")
        is_own = label == "" or label in _URL_LABELS
        return "url", url.group("url").rstrip(".,;") if is_own else ""
    if _IMAGE_LINE.match(folded) or (size <= 8 and _IMAGE_CREDIT.search(folded)):
        return "image", ""
    if _is_photo_caption(folded, size):
        # A bare credit ("Al Goldis, Associated Press") makes the line above its caption.
        return ("image" if size <= 6 else "caption"), ""
    if _is_stamp(folded, size):
        return "byline", ""
    if _is_byline(line) or _is_name_and_outlet(line):
        return "byline", ""
    meta = _meta_date(folded, line, size)
    if meta is not None:
        return "date", meta
    if _is_credit(line):
        return "credit", ""
    if _is_section_break(folded, line, size):
        return "section", ""
    if _is_notice(folded, size) or _is_author_bio(line, size):
        return "furniture", ""
    if folded.rstrip(" :.!") in _FURNITURE or (size <= 25 and _FURNITURE_PREFIX.search(folded)):
        return "furniture", ""
    return "text", line


def _is_byline(line: str) -> bool:
    if len(line) > 100 or ends_sentence(line.rstrip(".")):
        return False
    # "Reporting by Jane Doe; Editing by John Roe" is two bylines on one line.
    for part in line.split(";"):
        match = _BYLINE_PREFIX.match(part.strip())
        if not match:
            return False
        names = match.group("names").replace(",", " ").split()
        if not names or len(names) > 10:
            return False
        for name in names:
            if name.lower() in _NAME_JOINERS:
                continue
            if not name[:1].isupper():
                return False
    return True


def _is_credit(line: str) -> bool:
    """An agency credit such as "ksb/tj (AP, AFP)", "(Reuters)", "dh/rc (dpa)"."""
    if len(line) > 80:
        return False
    match = _CREDIT_LINE.match(line)
    if not match:
        return False
    names = [n.strip() for n in re.split(r"[,/;]", match.group("list"))]
    if not all(n and " " not in n and len(n) <= 15 for n in names):
        return False
    initials = match.group("initials").strip(" -–—")
    known = any(fold(n).rstrip(".") in _AGENCIES for n in names)
    return known or bool(_INITIALS.match(initials))


def _wraps_on(previous: tuple[int, str, str], chunk: int, line: str) -> bool:
    """Whether a line that reads like a button ("report!", "more") ends a hard-wrapped
    sentence: lower case, a word or two, right under unfinished text of the same chunk."""
    prev_chunk, prev_kind, prev_payload = previous
    return (
        prev_chunk == chunk
        and prev_kind == "text"
        and line[:1].islower()
        and words(line) <= 3
        and not ends_sentence(prev_payload)
    )


def classify_lines(text: str) -> list[tuple[int, str, str]]:
    """(chunk number, kind, payload) for every non-empty line; blank lines separate chunks."""
    classified: list[tuple[int, str, str]] = []
    chunk = 0
    for line in split_lines(text):
        if not line:
            chunk += 1
            continue
        kind, payload = classify(line)
        if kind == "furniture" and classified and _wraps_on(classified[-1], chunk, line):
            kind, payload = "text", line
        if kind == "image" and classified:
            # The photo caption is the line right above its credit, same chunk.
            prev_chunk, prev_kind, prev_payload = classified[-1]
            if prev_chunk == chunk and prev_kind == "text" and words(prev_payload) <= 40:
                classified[-1] = (prev_chunk, "caption", "")
        classified.append((chunk, kind, payload))
    return classified


def strip_credits(text: str) -> str:
    """A paragraph without an agency dateline ("WASHINGTON (Reuters) - ") or trailing credit."""
    text = _DATELINE.sub("", text, count=1)
    return _TRAILING_CREDIT.sub("", text).strip()
