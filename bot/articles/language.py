"""Language: which summary language an article is written in.

This module owns :func:`detect_language` (a guess from function words, for
articles that do not say) and :func:`language_name` (reading a language as a
front matter writes it: "de", "de-DE", "German", "Deutsch"). Both speak the
sumy names of :data:`bot.languages.SUPPORTED_LANGUAGES`, the one list shared
with the summarizer and config: the stop-word table below has exactly those
keys (checked at import), and the aliases start from
:data:`bot.languages.ISO_CODES`. Pure over strings.
"""

from __future__ import annotations

import re
from collections import Counter

from bot.articles.text import fold
from bot.languages import ISO_CODES, SUPPORTED_LANGUAGES, script_language

__all__ = ["STOP_WORDS", "detect_language", "language_name"]

_WORD = re.compile(r"\w+", re.UNICODE)

# The most frequent function words per language. A word in k lists ("la" is
# French, Spanish and Italian) is 1/k of a vote for each of them.
STOP_WORDS: dict[str, str] = {
    "english": "the and of to is that it was for on are with as his they be at have this from "
    "by had not but were has which would their been said will its who an or after",
    "german": "der die das und ist nicht ein eine zu den von mit sich des auf für im dem auch "
    "es an als nach wie aus bei sind wird hat oder wurde werden einer über noch sie",
    "french": "le la les et des est une du que qui dans pour pas sur au avec par ce il sont "
    "plus elle ont aux mais été cette nous ses leur entre selon de un en",
    "spanish": "el la los las y que en del se por un una con para es su al lo como más pero "
    "sus ha fue este esta cuando muy sin sobre también según de",
    "italian": "il di che è la per un una non sono con del della gli le nel nella nelle alla "
    "dei anche più ha come ma questo delle stato dalla sul sarà essere",
    "portuguese": "o a os as de que do da em um uma para com não por mais dos das no na foi "
    "ao se como mas ele ela são também pelo pela",
    "swedish": "och att det som en på är av för med till den har de inte om ett han var "
    "men sig från vid kan efter också eller",
}
if tuple(STOP_WORDS) != SUPPORTED_LANGUAGES:  # a new summary language needs its stop words here
    raise RuntimeError(
        f"stop words for {tuple(STOP_WORDS)}, but the summary languages are {SUPPORTED_LANGUAGES}"
    )
_VOTES: dict[str, dict[str, float]] = {}
for _language, _text in STOP_WORDS.items():
    for _word in set(_text.split()):
        _VOTES.setdefault(_word, {})[_language] = 1.0
for _shares in _VOTES.values():
    for _language in _shares:
        _shares[_language] = 1.0 / len(_shares)


def detect_language(text: str, default: str = "english") -> str:
    """Guess the sumy language name of ``text`` from its function words.

    Text mostly in a non-Latin script is named by its script first
    (:func:`bot.languages.script_language`: japanese, chinese, russian, arabic, …).
    Otherwise it knows the summary languages (:data:`bot.languages.SUPPORTED_LANGUAGES`);
    returns ``default`` when the evidence is thin (under 3 votes) or unclear
    (the runner-up has at least two thirds of the winner's votes).
    """
    by_script = script_language(text)
    if by_script is not None:
        return by_script
    scores = dict.fromkeys(SUPPORTED_LANGUAGES, 0.0)
    for word, count in Counter(_WORD.findall(text[:5000].casefold())).items():
        for language, share in _VOTES.get(word, {}).items():
            scores[language] += share * count
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, best_score), (_, second_score) = ranked[0], ranked[1]
    if best_score < 3 or best_score < 1.5 * second_score:
        return default
    return best


# How a front matter may name a language besides its sumy name: the ISO 639-1
# codes of the supported languages and their names in their own language.
_LANGUAGE_ALIASES: dict[str, str] = {
    **ISO_CODES,
    "deutsch": "german",
    "francais": "french",
    "espanol": "spanish",
    "italiano": "italian",
    "portugues": "portuguese",
    "svenska": "swedish",
}


def language_name(value: str) -> str | None:
    """A sumy language name from "de", "de-DE", "German", "Deutsch"…; None if unreadable.

    A well-formed name outside the supported languages ("russian") is returned
    as it is: the summarizer falls back to the configured language for it.
    """
    folded = fold(value.strip())
    if re.fullmatch(r"[a-z]{2}(?:[-_][a-z0-9]{2,4})?", folded):
        folded = folded[:2]
    folded = _LANGUAGE_ALIASES.get(folded, folded)
    return folded if re.fullmatch(r"[a-z]{3,20}", folded) else None
