"""Sentences and words: our own splitter, and the sumy tokenizer built on it.

sumy's default ``Tokenizer`` needs NLTK's punkt data, which is not installed and must
never be downloaded at run time, so digestbot brings its own rule-based splitter:

* Paragraph breaks (a blank line) always end a sentence; a sentence never spans one.
* Tokenized text, as in CNN/DailyMail (``... the deal . '' another ...``), ends a
  sentence at a stand-alone ``.``, ``!`` or ``?`` token, plus any closing quote
  tokens that follow it.
* Ordinary prose ends a sentence at a word ending in ``.``, ``!`` or ``?`` (closing
  quotes and brackets may follow) when the next word does not start in lower case and
  the word is not an abbreviation (``Mr.``, ``Dr.``, ``Gen.``, ``e.g.``), an initial
  (``S. Korea``, ``R. Sinmun``) or a dotted acronym (``U.S.``) inside a sentence.

* Full-width sentence ends (``。！？｡``, as in Chinese and Japanese, which put no space
  after them) always end a sentence, with any closing brackets after them (``」』）``);
  ``؟`` (Arabic) and ``।`` (Devanagari danda) end one like ``?``.
* A line break inside a paragraph ends a sentence when the line is a list item or the
  next one is (``- ``, ``• ``, ``1. ``…), or when the line ends without punctuation (a
  heading, a list entry) and the next line does not start in lower case -- unless the
  paragraph is hard-wrapped prose (some line runs on into a lower-case word), where
  line ends say nothing.
* A short word in capitals with a dot that starts a model name (``the ID. SPACE
  VIZZION``, ``the ID. Space Vizzion Concept.``) and a dateline's state (``DeKalb,
  Ill. — Mike``: a dash follows) do not end a sentence.

Every sentence is returned verbatim: a stripped slice of the input text. The work is
linear in the length of the text.

:class:`Tokenizer` exposes the same splitter with sumy's tokenizer interface
(``language``, ``to_sentences``, ``to_words``), and :func:`build_document` builds sumy's
document model from text with it, so sumy's summarizers work offline.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sumy.models.dom import ObjectDocumentModel

__all__ = [
    "MAX_SENTENCE_CHARS",
    "MAX_SUMMARY_CHARS",
    "Tokenizer",
    "build_document",
    "clip_summary",
    "paragraph_sentences",
    "split_sentences",
    "split_words",
]

# A blank line (possibly holding spaces) separates paragraphs.
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
# Full-width sentence ends: a sentence ends right after them (and after closing
# brackets or quotes that follow), with or without a space.
_CJK_TERMINALS = "。！？｡"
_CJK_CLOSERS = "」』）】〕〉》〗〙〛”’\"')]"
# A token is a run of non-space characters, cut after a full-width end and its closers.
_TOKEN = re.compile(
    rf"[^\s{_CJK_TERMINALS}]*[{_CJK_TERMINALS}]+[{re.escape(_CJK_CLOSERS)}]*|[^\s{_CJK_TERMINALS}]+"
)
_TERMINALS = ".!?…؟।" + _CJK_TERMINALS
# Stand-alone end-of-sentence tokens in tokenized text: ".", "!", "?", "?!", "!!!", ...
# (A stand-alone "..." is left to the prose rule: it often trails off mid-sentence.)
_STANDALONE_END = re.compile(r"\.|[.!?]*[!?][.!?]*")
_TOKENIZED = re.compile(r"(?<!\S)[.!?]+(?!\S)")
_CLOSERS = "\"'”’»)]」』）】〕〉》"
_OPENERS = "\"'“‘«([`¿¡「『（【〔〈《"
# List item markers opening a line: "- ", "* ", "• ", "1. ", "2)", "a)".
_LIST_MARKER = re.compile(r"[-*•·▪►‣◦–—]|\d{1,3}[.)]|[a-z][)]")
# A line ending in one of these runs on into the next line.
_RUNS_ON = ",;-–—/&(+=«“‘"
# Words looked at after "ID." for a model name running to the end of the sentence.
_NAME_WORDS = 6
_DASHES = frozenset({"-", "--", "–", "—", "―"})
# Quote tokens that only ever close a quotation (tokenized text writes `` and '').
_ALWAYS_CLOSING = frozenset({"''", "”", "’", "»", ")", "]"})
# Quote tokens that may open or close; which one is decided by counting.
_AMBIGUOUS_QUOTES = frozenset({"'", '"'})

# Abbreviations (lower case, without the final dot) after which a sentence does not
# end, because a name, number or more of the sentence must follow. Several languages
# share one list: the entries do not clash.
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms messrs mme mlle dr prof rev hon st ste mt ft sr gen col lt maj sgt cpl
    capt cmdr adm gov sen rep pres supt det insp amb fr br sra sres srta dra
    vs v approx cf al eds dept univ tel jan feb apr jun jul aug sep sept oct nov dec
    tue tues thu thur thurs e.g i.e z.b bzw vgl usw d.h u.a s.o dt evtl ggf inkl
    mio mrd env av bd
    """.split()  # noqa: SIM905 -- a word list reads better than a long literal
)
# Abbreviations that are also words ("he said no."): no sentence end only before a
# number ("No. 10", "Mar. 5", "p. 12").
_NUMBER_ABBREVIATIONS = frozenset(
    {"no", "nos", "nr", "fig", "figs", "p", "pp", "vol", "vols", "ca", "art", "mar", "ref"}
)
# Abbreviations that often end a sentence too: they end one only before a word that
# typically starts a sentence ("... at 10 p.m. The police said").
_ENDING_ABBREVIATIONS = frozenset({"etc", "inc", "ltd", "co", "corp", "plc", "llc", "jr"})
# German (and Scandinavian) ordinal dates: "am 3. Oktober" is one sentence.
_MONTHS = frozenset(
    """
    januar jänner februar märz april mai juni juli august september oktober november
    dezember januari februari mars maj augusti
    """.split()  # noqa: SIM905
)
_DOTTED_ACRONYM = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]?\.?$")
_SENTENCE_STARTERS = frozenset(
    """
    the a an he she it they we i you his her its their our this that these those there
    but and so yet in on at for after before when while if as however meanwhile then
    still now also officials police authorities
    der die das er sie es wir ich aber und le la les il elle ils nous je mais et el los
    las ella ellos pero y
    """.split()  # noqa: SIM905
)

# Words for sumy: runs of letters, optionally joined by an apostrophe or hyphen.
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")


def split_words(sentence: str) -> list[str]:
    """The words of a sentence: letter runs (``don't``, ``well-known`` stay whole)."""
    return _WORD.findall(sentence)


def _paragraph_spans(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        yield start, match.start()
        start = match.end()
    yield start, len(text)


def _first_letter(token: str) -> str:
    for char in token:
        if char.isalnum():
            return char
    return ""


def _ends_sentence_in_prose(
    token: str, next_token: str | None, caseless: bool, name_follows: bool = False
) -> bool:
    """Whether a word ending in terminal punctuation (e.g. ``said.``) ends a sentence.

    ``caseless``: the paragraph has no capital letters at all (lower-cased text), so a
    lower-case next word says nothing about where sentences start. ``name_follows``:
    the word is in capitals and so are the next two words (a model name).
    """
    if next_token is None:
        return True
    first = _first_letter(next_token)
    if first.islower() and not caseless:
        return False
    core = token.rstrip(_CLOSERS)
    if not core.endswith("."):
        return True  # "!" or "?" (or "…") before a capitalised word
    word = core.rstrip(".").lstrip(_OPENERS).lower()
    if not word:
        return not caseless  # "...": trails off; only a capital says a sentence starts
    if word in _ABBREVIATIONS:
        return False
    if name_follows:
        return False  # "VOLKSWAGEN ID. SPACE VIZZION": a dot inside a name in capitals
    if word in _NUMBER_ABBREVIATIONS and first.isdigit():
        return False
    if word.isdigit() and next_token.rstrip(".,;:").lower() in _MONTHS:
        return False  # an ordinal date: "am 3. Oktober"
    if len(word.rsplit("/", 1)[-1]) == 1 and word[-1].isalpha():
        return False  # an initial: "S. Korea", "dpa/R. Sinmun"
    starts_sentence = next_token.lstrip(_OPENERS).lower() in _SENTENCE_STARTERS
    if word in _ENDING_ABBREVIATIONS or _DOTTED_ACRONYM.match(word + "."):
        return starts_sentence and not caseless
    return True


def _is_capitals(token: str) -> bool:
    """A word in capitals of two letters or more ("SPACE", "VIZZION,")."""
    letters = [char for char in token if char.isalpha()]
    return len(letters) >= 2 and all(char.isupper() for char in letters)


def _name_follows(text: str, tokens: list[tuple[int, int]], i: int) -> bool:
    """Token ``i`` is a short word in capitals with a dot ("ID.") that starts a model
    name: the next two words are in capitals ("ID. SPACE VIZZION"), or capitalised
    words run from it to the end of the sentence ("the ID. Space Vizzion Concept.").
    A sentence that goes on in lower case ("the FBI. New York police said") is not one.
    """
    count = len(tokens)
    word = text[tokens[i][0] : tokens[i][1]].rstrip(_CLOSERS).rstrip(".")
    if len(word) > 3 or not _is_capitals(word) or i + 2 >= count:
        return False
    following = [text[a:b] for a, b in tokens[i + 1 : i + 1 + _NAME_WORDS]]
    if _is_capitals(following[0]) and _is_capitals(following[1]):
        return True
    for position, token in enumerate(following):
        if not _first_letter(token).isupper():
            return False
        if token.rstrip(_CLOSERS)[-1:] in _TERMINALS or i + 1 + position == count - 1:
            return position >= 1
    return False


def _is_dateline(text: str, tokens: list[tuple[int, int]], i: int) -> bool:
    """Token ``i`` is the abbreviated state of a dateline: "DEKALB, Ill. — Mike Glass…"
    (a short capitalised word with a dot, after a comma, before a dash)."""
    if i == 0 or i + 1 >= len(tokens):
        return False
    word = text[tokens[i][0] : tokens[i][1]]
    return (
        text[tokens[i + 1][0] : tokens[i + 1][1]] in _DASHES
        and text[tokens[i - 1][1] - 1] == ","
        and len(word) <= 6
        and word[0].isupper()
        and word[-1] == "."
        and word[:-1].replace(".", "").isalpha()
    )


def _line_breaks(text: str, tokens: list[tuple[int, int]]) -> tuple[set[int], set[int]]:
    """Where line breaks inside one paragraph end a sentence, and the list markers.

    Returns the indices of tokens after which a sentence ends because the line does,
    and the indices of list-marker tokens ("-", "1.") that open a line.
    """
    count = len(tokens)
    # Token i ends a line when a newline lies between it and token i + 1.
    line_ends = [
        i for i in range(count - 1) if text.find("\n", tokens[i][1], tokens[i + 1][0]) >= 0
    ]
    if not line_ends:
        return set(), set()
    starts = {0, *(i + 1 for i in line_ends)}
    markers = {
        j
        for j in starts
        if j + 1 < count
        and (j + 1) not in starts
        and _LIST_MARKER.fullmatch(text[tokens[j][0] : tokens[j][1]])
    }
    # Hard-wrapped prose: some line runs on into a word in lower case.
    wrapped = any(
        _first_letter(text[tokens[i + 1][0] : tokens[i + 1][1]]).islower()
        and text[tokens[i][1] - 1] not in _TERMINALS
        for i in line_ends
    )
    breaks = set()
    line_start = 0
    for i in line_ends:
        if line_start in markers or (i + 1) in markers:
            breaks.add(i)  # a list item ends at its line's end, and before the next one
        elif not wrapped:
            last = text[tokens[i][1] - 1]
            next_first = _first_letter(text[tokens[i + 1][0] : tokens[i + 1][1]])
            if last not in _TERMINALS and last not in _RUNS_ON and not next_first.islower():
                breaks.add(i)  # a heading or entry without a full stop
        line_start = i + 1
    return breaks, markers


def _sentence_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Spans of the sentences in ``text[start:end]`` (one paragraph)."""
    tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text, start, end)]
    if not tokens:
        return
    # Lower-cased prose ("hello world. this is it."), but not tokenized text, whose
    # stand-alone "." tokens mark every sentence end already.
    caseless = not any(char.isupper() for char in text[start:end]) and not (
        _TOKENIZED.search(text, start, end)
    )
    breaks, markers = _line_breaks(text, tokens)
    # Start of the sentence being read; ``end`` once the paragraph is used up.
    sentence_start = tokens[0][0]
    open_quotes = 0  # stand-alone ' or " quotes seen so far in this paragraph
    i = 0
    count = len(tokens)
    while i < count:
        token = text[tokens[i][0] : tokens[i][1]]
        if token in _AMBIGUOUS_QUOTES:
            open_quotes += 1
        last = token[-1]
        ends = i in breaks
        if not ends and (last in _TERMINALS or last in _CLOSERS) and i not in markers:
            next_token = text[tokens[i + 1][0] : tokens[i + 1][1]] if i + 1 < count else None
            if _STANDALONE_END.fullmatch(token):
                # Tokenized text: the sentence takes the closing quotes that follow it.
                j = i + 1
                while j < count:
                    quote = text[tokens[j][0] : tokens[j][1]]
                    if quote in _ALWAYS_CLOSING:
                        j += 1
                    elif quote in _AMBIGUOUS_QUOTES and open_quotes % 2 == 1:
                        open_quotes += 1
                        j += 1
                    else:
                        break
                yield sentence_start, tokens[j - 1][1]
                sentence_start = tokens[j][0] if j < count else end
                i = j
                continue
            core = token.rstrip(_CLOSERS)
            if core and core[-1] in _CJK_TERMINALS:
                # "。" ends a sentence whatever follows, except a quotation's own end
                # inside a sentence that goes on at once: 「…です。」と述べました。
                quoted = token[len(core) : len(core) + 1] in ("」", "』")
                goes_on = i + 1 < count and tokens[i + 1][0] == tokens[i][1]
                ends = not (quoted and goes_on)
            elif core and core[-1] in _TERMINALS and not _is_dateline(text, tokens, i):
                name = core[-1] == "." and _name_follows(text, tokens, i)
                ends = _ends_sentence_in_prose(token, next_token, caseless, name)
        if ends:
            yield sentence_start, tokens[i][1]
            sentence_start = tokens[i + 1][0] if i + 1 < count else end
        i += 1
    if sentence_start < tokens[-1][1]:
        # Text after the last boundary (no final punctuation) is a sentence too.
        yield sentence_start, tokens[-1][1]


def paragraph_sentences(text: str) -> list[list[str]]:
    """The sentences of each non-empty paragraph of ``text``, verbatim, in order."""
    paragraphs = []
    for start, end in _paragraph_spans(text):
        sentences = [text[a:b] for a, b in _sentence_spans(text, start, end)]
        if sentences:
            paragraphs.append(sentences)
    return paragraphs


def split_sentences(text: str, language: str = "english") -> list[str]:
    """Split ``text`` into sentences, each a stripped verbatim slice of it, in order.

    ``language`` is accepted for symmetry with the summarizer; the rules work for the
    Latin-script languages digestbot supports (abbreviation lists cover several).
    """
    return [s for paragraph in paragraph_sentences(text) for s in paragraph]


class Tokenizer:
    """sumy-compatible tokenizer (``language``, ``to_sentences``, ``to_words``).

    A drop-in for ``sumy.nlp.tokenizers.Tokenizer`` that needs no NLTK data, e.g.
    ``PlaintextParser.from_string(text, Tokenizer("english"))``.
    """

    def __init__(self, language: str = "english") -> None:
        self._language = language.lower()

    @property
    def language(self) -> str:
        return self._language

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph, self._language))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(split_words(sentence))


def build_document(text: str, tokenizer: Tokenizer) -> ObjectDocumentModel:
    """sumy's document model of ``text``, one sumy ``Paragraph`` per blank-line paragraph.
    (sumy is imported here, not at the top: the digest only needs :func:`clip_summary`.)

    Unlike sumy's ``PlaintextParser`` this keeps every sentence verbatim (the parser
    re-joins lines with spaces and takes upper-case lines for headings).
    """
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

    return ObjectDocumentModel(
        [
            Paragraph([Sentence(s, tokenizer) for s in sentences])
            for sentences in paragraph_sentences(text)
        ]
    )


# -- how long a summary may be --------------------------------------------------------

# A "sentence" past this is a paragraph without punctuation (a list, a caption run, a
# transcript): it would fill a digest on its own. 400 characters hold the longest
# ordinary news sentences; a summary of three of them fits 1,200.
MAX_SENTENCE_CHARS = 400
MAX_SUMMARY_CHARS = 1200


def _clip(sentence: str, limit: int) -> str:
    """``sentence`` cut to at most ``limit`` characters at a word boundary, with "…"."""
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:  # no space in sight (e.g. Chinese): cut anywhere
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"


def clip_summary(
    sentences: Sequence[str],
    max_sentence: int = MAX_SENTENCE_CHARS,
    max_total: int = MAX_SUMMARY_CHARS,
) -> list[str]:
    """Summary sentences with each at most ``max_sentence`` characters and all together
    at most about ``max_total`` (later sentences dropped, the last one that starts in
    the budget clipped to it)."""
    kept: list[str] = []
    used = 0
    for sentence in sentences:
        room = max_total - used
        if room < 40:  # not even a short clause fits: stop here
            break
        kept.append(_clip(sentence, min(max_sentence, room)))
        used += len(kept[-1]) + 1
    return kept
