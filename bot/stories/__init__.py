"""Stories: which articles tell the same story, and the clearest way to show each story.

Pure: plain data in (``StoryInput``), plain groups out; no Telegram, scheduler or store.
Offline and model-free. Site names ("... - SAPO Desporto", "Visão | ...") go first: a
leading or trailing title segment that recurs in the batch before different headlines is
a site name, not news. Each title (plus the lede of the text, if asked) then becomes a
tf-idf vector, idf from the batch itself, of: stemmed, accent-folded words (Snowball
stemmers where the language has one, a Unicode word split otherwise; names and numbers
weigh double), pairs of neighbouring stems, and character 4-grams of the words (which
also match a name across languages). Two articles are as similar as the cosine of their
vectors, scaled down linearly to half at ``Settings.window_hours`` apart, and not at
all beyond. Groups grow by agglomeration: the two closest groups merge while the cosine
of their summed vectors ("centroid" link) reaches ``Settings.threshold`` and the merged
group spans at most the window. ``bench/stories.py`` measures it and every variant.

:func:`rank` (``bot.stories.ranking``) orders the stories for a digest: pieces of one
story folded into one item, most distinct sources first (with the support of pieces too
unlike to fold), then the newest; each story once (a retelling in other languages goes
last), as its clearest article. Names in any script can also be features: their
consonant skeletons (``name_key``: "Biles", "Байлз" -> "bls"), off by default.
"""

from __future__ import annotations

from bot.stories.grouping import StoryWindow, clearest, group_pairs, group_stories
from bot.stories.inputs import (
    DEFAULT_SETTINGS,
    Settings,
    StoryInput,
    story_input,
    with_settings,
)
from bot.stories.ranking import RankedStory, importance, rank
from bot.stories.similarity import article_features, similarity_pairs
from bot.stories.text import name_key, scores, strip_site_names

__all__ = [
    "DEFAULT_SETTINGS",
    "RankedStory",
    "Settings",
    "StoryInput",
    "StoryWindow",
    "article_features",
    "clearest",
    "group_pairs",
    "group_stories",
    "importance",
    "name_key",
    "rank",
    "scores",
    "similarity_pairs",
    "story_input",
    "strip_site_names",
    "with_settings",
]
