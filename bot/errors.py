"""The exceptions digestbot raises, and when to catch which.

Everything digestbot raises on purpose is a :class:`DigestbotError`, so the CLI
can turn any of them into one clear line on stderr without a traceback:

* :class:`ConfigError` -- the config file is missing, not TOML, has an unknown
  key or a value of the wrong type. Fatal at start-up; the message names the key.
* :class:`NotAnArticle` -- a seed file is empty, binary, unreadable or holds no
  article text. Ingestion catches it per file, logs the reason and moves on.
* :class:`UnsupportedLanguage` -- a summary was asked for in something that is no
  language name or code ("klingon"); any real language is summarized, with
  language-independent scoring when we have no stemmer for it.
* :class:`bot.store.StoreError`, :class:`bot.telegram.lock.AlreadyRunning` -- the database
  cannot be opened or used, or another bot runs on it. Fatal; one line.
* :class:`FetchError` -- a web page or feed could not be fetched (``bot.web.fetch``).
  Catch the base class where a user or a log line gets the answer: every subclass
  carries ``user_message``, one plain-text sentence fit to send to a Telegram user
  (HTML-escape it for HTML messages). Catch a subclass only to act on it:

  - :class:`InvalidURL` -- the text is not a usable absolute URL. No connection made.
  - :class:`RefusedAddress` -- the link is not allowed: not http(s), a port not in
    ``[fetch] allow_ports``, a user name in it, or the host is (or resolves to) a
    loopback, private, link-local, CGNAT, multicast, reserved or unspecified address
    outside ``[fetch] allow_networks``. Raised before any connection to that address.
  - :class:`NoSuchHost` -- DNS knows no address for the host.
  - :class:`FetchTimeout` -- connecting or the whole fetch took too long.
  - :class:`ConnectionFailed` -- refused, reset, closed early, not valid HTTP.
  - :class:`HTTPStatus` -- the server answered an error status (``code``); on 429 and
    503 ``retry_in`` holds the server's ``Retry-After`` in seconds (feeds back off).
  - :class:`TooManyRedirects` -- more than five redirects.
  - :class:`TooBig` -- the body (after decompression) is over ``[fetch] max_bytes``.
  - :class:`NotAWebPage` -- a content type the caller cannot read (``content_type``).
  - :class:`TooManyRequests` -- *this chat* asked too often (``bot.web.quota``);
    ``retry_in`` says when it may ask again (0 with ``busy``: when its link is done).
"""

from __future__ import annotations

from bot.locales import ENGLISH, N_, Phrase, Translator, say


class DigestbotError(Exception):
    """Base class of every error digestbot raises on purpose."""


class ConfigError(DigestbotError):
    """The configuration cannot be used; the message says which key and why."""


class NotAnArticle(DigestbotError):
    """A seed file that is not an article; ``reason`` says why, for the log line."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason

    def __reduce__(self) -> tuple[type[NotAnArticle], tuple[str, str]]:
        # Picklable as it was made: extraction raises it in a worker process.
        return (type(self), (self.source, self.reason))


class UnsupportedLanguage(DigestbotError, ValueError):
    """No stemmer or stop words for this language."""


class ReasonedError(DigestbotError):
    """An error whose reason is a :class:`~bot.locales.Phrase` (or plain text):
    ``str()`` says it in English (logs, the command line), :meth:`said` in a chat's."""

    def __init__(self, reason: str | Phrase) -> None:
        super().__init__(str(reason))
        self.phrase = reason

    def said(self, t: Translator) -> str:
        """The reason in ``t``'s language."""
        return say(self.phrase, t)


def _in_words(seconds: float, t: Translator = ENGLISH) -> str:
    """ "in 45 seconds", "in 12 minutes", "in 2 hours" (rounded up, at least a second)."""
    seconds = max(1, int(-(-seconds // 1)))
    if seconds < 90:
        return t.plural("in {count} second", "in {count} seconds", seconds)
    minutes = -(-seconds // 60)
    if minutes < 90:
        return t.plural("in {count} minute", "in {count} minutes", minutes)
    hours = -(-minutes // 60)
    return t.plural("in {count} hour", "in {count} hours", hours)


class FetchError(DigestbotError):
    """A page or feed could not be fetched; ``user_message`` says why, for a person
    (:meth:`said` in a chat's language; the technical ``detail`` stays as it is)."""

    def __init__(self, url: str, detail: str | Phrase) -> None:
        super().__init__(f"{url}: {detail}" if url else str(detail))
        self.url = url
        self.detail = str(detail)  # English: logs and the command line
        self.phrase = detail  # the same, to say in a chat's language (:meth:`said`)

    @property
    def user_message(self) -> str:
        return self.said(ENGLISH)

    def said(self, t: Translator) -> str:
        """``user_message`` in ``t``'s language."""
        return t("I could not read that link: {detail}.", detail=say(self.phrase, t))


class InvalidURL(FetchError):
    """Not an absolute http(s) URL we can parse."""

    def said(self, t: Translator) -> str:
        return t("That does not look like a link I can open: {detail}.", detail=say(self.phrase, t))


class RefusedAddress(FetchError):
    """The link is not allowed (scheme, port, user info or address); nothing was contacted.

    ``reason`` says what is refused ("port 8080 is not allowed"); ``allow``, when a config
    key could allow it, says which ("add it to [fetch] allow_ports"), and ``detail`` (the
    message, what logs and the command line print) carries both."""

    def __init__(self, url: str, reason: str | Phrase, allow: str | Phrase | None = None) -> None:
        detail = (
            Phrase.of(N_("{reason} ({allow})"), reason=reason, allow=allow) if allow else reason
        )
        super().__init__(url, detail)
        self.reason = str(reason)  # English, as the detail
        self.allow = None if allow is None else str(allow)
        self.reason_phrase = reason  # the same, to say in a chat's language
        self.allow_phrase = allow

    def said(self, t: Translator) -> str:
        return t("I will not open that link: {detail}.", detail=say(self.phrase, t))


class NoSuchHost(FetchError):
    """The host name does not resolve."""

    def __init__(self, url: str, host: str) -> None:
        super().__init__(url, f"no such host: {host}")
        self.host = host

    def said(self, t: Translator) -> str:
        return t("I could not find the site {host} (no such host).", host=self.host)


class FetchTimeout(FetchError):
    """Connecting (``phase="connect"``) or the whole fetch (``"total"``) took too long."""

    def __init__(self, url: str, phase: str, seconds: float) -> None:
        super().__init__(url, f"{phase} timeout after {seconds:g} s")
        self.phase = phase
        self.seconds = seconds

    def said(self, t: Translator) -> str:
        seconds = t.number(self.seconds)
        if self.phase == "connect":
            return t(
                "The site did not accept a connection within {seconds} seconds.", seconds=seconds
            )
        return t("The site took too long to answer (more than {seconds} seconds).", seconds=seconds)


class ConnectionFailed(FetchError):
    """Connection refused or reset, the answer cut short, or not valid HTTP."""


class HTTPStatus(FetchError):
    """The server answered ``code``; ``retry_in`` (seconds) from Retry-After on 429/503."""

    def __init__(
        self, url: str, code: int, reason: str = "", retry_in: float | None = None
    ) -> None:
        text = f"HTTP {code} {reason}".rstrip()
        super().__init__(url, text)
        name = _STATUS_NAMES.get(code)
        if name is not None:  # said with the status's name in the chat's language
            self.phrase = Phrase.of(N_("HTTP {code} {name}"), code=code, name=Phrase.of(name))
        self.code = code
        self.reason = reason
        self.retry_in = retry_in

    def said(self, t: Translator) -> str:
        text = t("The site answered with an error: {detail}.", detail=say(self.phrase, t))
        if self.retry_in is not None:
            text += " " + t("It asks to try again {when}.", when=_in_words(self.retry_in, t))
        return text


# The statuses a reader meets most, named in the chat's language.
_STATUS_NAMES = {
    400: N_("Bad Request"),
    401: N_("Unauthorized"),
    403: N_("Forbidden"),
    404: N_("Not Found"),
    410: N_("Gone"),
    429: N_("Too Many Requests"),
    500: N_("Internal Server Error"),
    502: N_("Bad Gateway"),
    503: N_("Service Unavailable"),
    504: N_("Gateway Timeout"),
}


class TooManyRedirects(FetchError):
    """The redirect chain is longer than ``limit`` hops."""

    def __init__(self, url: str, limit: int) -> None:
        super().__init__(url, f"more than {limit} redirects")
        self.limit = limit

    def said(self, t: Translator) -> str:
        return t(
            "That link redirects too many times (more than {limit}).", limit=t.number(self.limit)
        )


class TooBig(FetchError):
    """The body is larger than ``limit`` bytes (declared, or counted after decompression)."""

    def __init__(self, url: str, limit: int) -> None:
        super().__init__(url, f"larger than {limit} bytes")
        self.limit = limit

    def said(self, t: Translator) -> str:
        return t("That page is too big for me (over {size}).", size=_size(self.limit))


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:g} MB"
    if n >= 1_000:
        return f"{n / 1_000:g} kB"
    return f"{n} bytes"


class NotAWebPage(FetchError):
    """The content type is not one the caller reads (a PDF, an image, ...)."""

    def __init__(self, url: str, content_type: str) -> None:
        super().__init__(url, f"not a web page: {content_type}")
        self.content_type = content_type

    def said(self, t: Translator) -> str:
        return t("Not a web page I can read: {type}.", type=self.content_type)


class TooManyRequests(FetchError):
    """This chat asked too often: ``retry_in`` seconds to wait, or ``busy`` with a link."""

    def __init__(self, key: object, retry_in: float, busy: bool = False) -> None:
        what = "a link is still being read" if busy else f"limit reached, retry in {retry_in:g} s"
        super().__init__("", f"{key}: {what}")
        self.key = key
        self.retry_in = retry_in
        self.busy = busy

    def said(self, t: Translator) -> str:
        if self.busy:
            return t("I am still reading your previous link; send this one when that is done.")
        return t(
            "You have sent a lot of links lately; please try again {when}.",
            when=_in_words(self.retry_in, t),
        )
