"""Tokenise and lemmatise Dutch and English comments.

Lemmas come from simplemma, whose dictionaries ship inside the wheel (nothing is downloaded).
Each distinct word is lemmatised once per process and then served from a plain dict, which is what
makes 100,000 comments affordable: survey comments reuse a small vocabulary.
"""

import json
import re
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

import simplemma

DATA_DIR = Path(__file__).resolve().parent

# Words (letters, with inner apostrophes or hyphens: "zo'n", "e-mail"), numbers, and the punctuation
# marks that end a clause; the marks are kept by `scan` because sentiment rules stop at them.
_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['\-][^\W\d_]+)*|\d+(?:[.,]\d+)*|[.!?;:,]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})

PUNCTUATION = frozenset(".!?;:,")
CACHE_LIMIT = 500_000  # distinct words per cache; past it the cache starts afresh (typos never end)
LANGUAGES = ("nl", "en", "other")

# simplemma gets a few everyday service words wrong ("app" → "appen", "website" → "web_site").
_LEMMA_FIXES = {
    "nl": {"app": "app", "apps": "app", "website": "website", "websites": "website", "site": "site",
           "online": "online", "mail": "mail", "mails": "mail", "e-mail": "e-mail", "e-mails": "e-mail",
           "chat": "chat", "ok": "ok", "oke": "oké", "top": "top", "service": "service"},
    "en": {"ok": "ok", "app": "app", "apps": "app"},
}
_SIMPLEMMA_LANG = {"nl": "nl", "en": "en", "other": ("nl", "en")}


def scan(text: str) -> list[str]:
    """Return the lowercase words, numbers and clause-ending punctuation marks of `text`."""
    return _TOKEN_RE.findall(text.translate(_APOSTROPHES).lower())


def tokenize(text: str) -> list[str]:
    """Return the lowercase words and numbers of `text`, without punctuation."""
    return [token for token in scan(text) if token not in PUNCTUATION]


class _LemmaCache:
    """Lemmatise one word at a time, remembering every answer (per language)."""

    def __init__(self) -> None:
        self._cache: dict[str, dict[str, str]] = {language: {} for language in LANGUAGES}

    def lemma(self, token: str, language: str) -> str:
        cache = self._cache.get(language)
        if cache is None:
            language, cache = "other", self._cache["other"]
        found = cache.get(token)
        if found is None:
            if len(cache) >= CACHE_LIMIT:
                cache.clear()
            found = cache[token] = self._compute(token, language)
        return found

    def lemmas(self, tokens: Sequence[str], language: str) -> list[str]:
        cache = self._cache.get(language)
        if cache is None:
            language, cache = "other", self._cache["other"]
        get = cache.get
        out = []
        for token in tokens:
            found = get(token)
            if found is None:
                if len(cache) >= CACHE_LIMIT:
                    cache.clear()
                found = cache[token] = self._compute(token, language)
            out.append(found)
        return out

    @staticmethod
    def _compute(token: str, language: str) -> str:
        if token in PUNCTUATION or not token[0].isalpha():
            return token
        fixes = _LEMMA_FIXES.get(language) or _LEMMA_FIXES["nl"]
        if token in fixes:
            return fixes[token]
        lemma = simplemma.lemmatize(token, lang=_SIMPLEMMA_LANG[language]).lower()
        # simplemma marks separable verbs with "_" ("terug_bellen"); Dutch writes them as one word.
        return lemma.replace("_", "") if "_" in lemma else lemma


_LEMMAS = _LemmaCache()


def lemma(token: str, language: str) -> str:
    """Return the lemma of one lowercase token ("other" tries Dutch, then English)."""
    return _LEMMAS.lemma(token, language)


def lemmatize(tokens: Sequence[str], language: str) -> list[str]:
    """Return the lemma of each token; punctuation and numbers stay as they are."""
    return _LEMMAS.lemmas(tokens, language)


@cache
def stopwords(language: str) -> frozenset[str]:
    """Return the function words of `language` ("other" gets both the Dutch and the English list)."""
    data = json.loads((DATA_DIR / "stopwords.json").read_text(encoding="utf-8"))
    if language in ("nl", "en"):
        return frozenset(data[language])
    return frozenset(data["nl"]) | frozenset(data["en"])


def content_lemmas(tokens: Sequence[str], lemmas: Sequence[str], language: str) -> list[str]:
    """Return the lemmas that carry content: no punctuation, numbers, stopwords or one-letter words."""
    stop = stopwords(language)
    return [
        lemma_
        for token, lemma_ in zip(tokens, lemmas, strict=True)
        if len(lemma_) > 1 and lemma_[0].isalpha() and token not in stop and lemma_ not in stop
    ]


def lemmatize_text(text: str, language: str) -> list[str]:
    """Return the content lemmas of `text` (lowercased, punctuation and stopwords removed)."""
    tokens = tokenize(text)
    return content_lemmas(tokens, lemmatize(tokens, language), language)


def word_forms(word: str, languages: Iterable[str] = ("nl", "en")) -> frozenset[str]:
    """Return `word` with its lemma in each language: the forms a taxonomy or lexicon entry matches."""
    word = word.translate(_APOSTROPHES).strip().lower()
    return frozenset({word, *(lemma(word, language) for language in languages)})
