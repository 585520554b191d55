"""The summary languages: one list shared by the summarizer, language detection and config.

Names are sumy's (and NLTK's Snowball stemmers'): each language in
:data:`SUPPORTED_LANGUAGES` has a stemmer and a stop-word list that ship with
pip-installed packages, and our sentence splitter handles them.

Every other language in :data:`LANGUAGE_NAMES` (Japanese, Chinese, Russian, Arabic,
...) is summarized too, with language-independent scoring (no stemming, no stop
words; character bigrams for scripts written without spaces). :func:`language_name`
reads a name or ISO code ("ja", "ja-JP", "Japanese"), and :func:`script_language`
names the language of a text written in a non-Latin script from its letters alone.

Detection is one rule for every path (feeds, fetched and saved pages, pasted text,
seed files): :func:`text_language` takes what the source declares (a feed's
``<language>``, a page's ``<html lang>``) when the text agrees or is too short to
tell, and otherwise what :func:`detect_code` (py3langid, whose model ships inside the
package: nothing is downloaded) reads in the text.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections import Counter
from typing import Any

__all__ = [
    "ISO_CODES",
    "LANGUAGE_NAMES",
    "SUPPORTED_LANGUAGES",
    "detect_code",
    "language_name",
    "script_language",
    "text_language",
]

SUPPORTED_LANGUAGES: tuple[str, ...] = (
    "english",
    "german",
    "french",
    "spanish",
    "italian",
    "portuguese",
    "swedish",
)

# Two-letter ISO 639-1 codes of the supported languages.
ISO_CODES: dict[str, str] = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "sv": "swedish",
}

# Every language the summarizer accepts, by ISO 639-1 code: the supported ones and
# the ones summarized with language-independent scoring.
LANGUAGE_NAMES: dict[str, str] = {
    **ISO_CODES,
    "ar": "arabic",
    "bg": "bulgarian",
    "bn": "bengali",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "el": "greek",
    "et": "estonian",
    "fa": "persian",
    "fi": "finnish",
    "ga": "irish",
    "he": "hebrew",
    "hi": "hindi",
    "hr": "croatian",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "is": "icelandic",
    "ja": "japanese",
    "ka": "georgian",
    "kk": "kazakh",
    "km": "khmer",
    "ko": "korean",
    "lo": "lao",
    "lt": "lithuanian",
    "lv": "latvian",
    "mk": "macedonian",
    "mr": "marathi",
    "ms": "malay",
    "my": "burmese",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "pa": "punjabi",
    "pl": "polish",
    "ro": "romanian",
    "ru": "russian",
    "sk": "slovak",
    "sl": "slovenian",
    "sr": "serbian",
    "sw": "swahili",
    "ta": "tamil",
    "te": "telugu",
    "th": "thai",
    "tl": "tagalog",
    "tr": "turkish",
    "uk": "ukrainian",
    "ur": "urdu",
    "vi": "vietnamese",
    "zh": "chinese",
}

_NAMES = frozenset(LANGUAGE_NAMES.values())
# Other spellings people and page metadata use.
_ALIASES = {
    "deutsch": "german",
    "français": "french",
    "francais": "french",
    "español": "spanish",
    "espanol": "spanish",
    "castellano": "spanish",
    "italiano": "italian",
    "português": "portuguese",
    "portugues": "portuguese",
    "svenska": "swedish",
    "farsi": "persian",
    "mandarin": "chinese",
    "cantonese": "chinese",
    "nederlands": "dutch",
    "norsk": "norwegian",
    "bokmål": "norwegian",
    "filipino": "tagalog",
}
# Three-letter ISO 639-2/3 codes for the most common languages without a stemmer.
_THREE_LETTER = {
    "jpn": "japanese",
    "zho": "chinese",
    "chi": "chinese",
    "cmn": "chinese",
    "kor": "korean",
    "rus": "russian",
    "ara": "arabic",
    "ell": "greek",
    "gre": "greek",
    "hin": "hindi",
    "heb": "hebrew",
    "tha": "thai",
    "ukr": "ukrainian",
}


def language_name(value: str) -> str | None:
    """The language name for a name or code: "ja", "ja-JP", "zh_Hant", "Japanese".

    Returns ``None`` for anything not in :data:`LANGUAGE_NAMES` (e.g. "klingon").
    """
    folded = value.strip().casefold()
    if folded in _NAMES:
        return folded
    if folded in _ALIASES:
        return _ALIASES[folded]
    code = folded.replace("_", "-").split("-", 1)[0]
    return LANGUAGE_NAMES.get(code) or _THREE_LETTER.get(code)


# Unicode script -> language, for scripts one language dominates in the news.
# Checked on the first word of the character's Unicode name.
_SCRIPT_LANGUAGES = {
    "HANGUL": "korean",
    "CYRILLIC": "russian",
    "ARABIC": "arabic",
    "GREEK": "greek",
    "DEVANAGARI": "hindi",
    "HEBREW": "hebrew",
    "THAI": "thai",
}
_KANA = ("HIRAGANA", "KATAKANA")
_HAN = "CJK"  # "CJK UNIFIED IDEOGRAPH-..."
_SAMPLE = 2000  # characters looked at


# Latin letters (Basic Latin, Latin-1, Extended-A and -B), and characters outside
# Latin and general punctuation: a cheap first look before naming scripts.
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")
_BEYOND_LATIN = re.compile(r"[^\x00-\u024f\u2000-\u206f]")


def _script(char: str) -> str:
    """The script of a letter: the first word of its Unicode name ("CYRILLIC", "CJK")."""
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else ""


def script_language(text: str) -> str | None:
    """The language of ``text`` told by its script, or ``None`` for Latin-script text.

    Looks at the letters of the first 2,000 characters; the script of most of them
    decides: Han or Kana -> "japanese" when any kana is present, else "chinese";
    Hangul -> "korean"; Cyrillic -> "russian"; Arabic -> "arabic"; Greek -> "greek";
    Devanagari -> "hindi"; Hebrew -> "hebrew"; Thai -> "thai". Latin script, other
    scripts and text without letters give ``None`` (the caller's word-based
    detection decides there).
    """
    sample = text[:_SAMPLE]
    beyond = _BEYOND_LATIN.findall(sample)
    if len(beyond) * 10 < len(sample):
        return None  # a text in another script has far more of its characters there
    latin = len(_LATIN_LETTER.findall(sample))
    if len(beyond) < latin:
        return None  # most letters are Latin (news in English, French, ...)
    scripts: Counter[str] = Counter(_script(char) for char in beyond if char.isalpha())
    if latin:
        scripts["LATIN"] += latin
    if not scripts:
        return None
    kana = sum(scripts[k] for k in _KANA)
    cjk = scripts[_HAN] + kana
    letters = sum(scripts.values())
    script, count = scripts.most_common(1)[0]
    if cjk and cjk >= count:
        # Japanese mixes kanji and kana; either may outnumber the other.
        return "japanese" if kana else "chinese"
    if count * 2 < letters:
        return None  # no script has a majority
    return _SCRIPT_LANGUAGES.get(script)


# -- detection ------------------------------------------------------------------------

_IDENTIFIER: Any = None
_LOAD_FAILED = False
log = logging.getLogger(__name__)
_IDENTIFIER_LOCK = threading.Lock()
# Below this probability the detector's best guess is not trusted.
MIN_CONFIDENCE = 0.5
# Characters of text the detector reads (more costs time and changes no answer here).
_SAMPLE_CHARS = 2000
# Detection overrules a declared language from this much text and this certainty: sites
# declare their edition's language in a template (an English article on a German
# edition), while a few words ("Comments", a name) are no evidence against it.
SURE_TEXT_CHARS = 200
SURE_CONFIDENCE = 0.95


def detect_code(text: str, min_confidence: float = MIN_CONFIDENCE) -> str | None:
    """ISO 639-1 code of ``text`` by py3langid (97 languages), or None when it is under
    ``min_confidence`` or the text has fewer than 20 characters."""
    sample = text[:_SAMPLE_CHARS]
    if len(sample.strip()) < 20:
        return None
    global _IDENTIFIER, _LOAD_FAILED
    with _IDENTIFIER_LOCK:  # load the model (about 0.5 s) once, even from several threads
        if _IDENTIFIER is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            try:  # py3langid unpacks its model through a temporary file
                _IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            except OSError as exc:  # a full disk: unknown language, not unreadable text
                if not _LOAD_FAILED:
                    _LOAD_FAILED = True
                    log.info("language detection unavailable: %s", exc)
                return None
        code, confidence = _IDENTIFIER.classify(sample)
    return code if confidence >= min_confidence and len(code) == 2 else None


def text_language(text: str, declared: str | None = None) -> str | None:
    """The language name of ``text`` (see the module docstring), or None when unknown.

    ``declared`` is what the source says (a name or code, "pt-BR", "Dutch"): it is the
    answer unless at least :data:`SURE_TEXT_CHARS` characters of text are detected as
    another language with :data:`SURE_CONFIDENCE`. Without a declared language, the
    detector's guess (:data:`MIN_CONFIDENCE`), then the script of the letters.
    """
    stated = language_name(declared) if declared else None
    if len(text) >= SURE_TEXT_CHARS:
        sure = detect_code(text, SURE_CONFIDENCE)
        if sure is not None and sure in LANGUAGE_NAMES:
            return LANGUAGE_NAMES[sure]
    if stated is not None:
        return stated
    guess = detect_code(text)
    if guess is not None and guess in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[guess]
    return script_language(text)
