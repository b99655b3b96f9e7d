"""Match multi-word phrases ("lang wachten", "niet teruggebeld") in a lemmatised comment.

A phrase matches when its words occur in order, each as the word itself or its lemma, with at most
`MAX_GAP` other words between two of its words and no clause-ending punctuation inside. The gap lets
"lang wachten" match "lang moeten wachten" without a phrase for every auxiliary verb.
"""

from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Generic, TypeVar

from .lemmas import PUNCTUATION, scan, word_forms

MAX_GAP = 2
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Phrase(Generic[V]):
    """One compiled phrase: the accepted forms of each word, and what a match yields."""

    words: tuple[frozenset[str], ...]
    value: V


class PhraseIndex(Generic[V]):
    """Phrases indexed by the forms of their first word."""

    def __init__(self, phrases: Iterable[tuple[str, V]], languages: Iterable[str] = ("nl", "en")) -> None:
        languages = tuple(languages)
        self._by_first: dict[str, list[Phrase[V]]] = {}
        for text, value in phrases:
            words = tuple(word_forms(word, languages) for word in scan(text) if word not in PUNCTUATION)
            if not words:
                continue
            phrase = Phrase(words, value)
            for form in words[0]:
                self._by_first.setdefault(form, []).append(phrase)
        for bucket in self._by_first.values():
            bucket.sort(key=lambda phrase: -len(phrase.words))  # longest first

    def __bool__(self) -> bool:
        return bool(self._by_first)

    def find(
        self, tokens: Sequence[str], lemmas: Sequence[str], present: AbstractSet[str] | None = None
    ) -> list[tuple[tuple[int, ...], V]]:
        """Return the non-overlapping matches, left to right, longest first: (positions, value).

        `present` (every token and lemma of the text, as a set) lets phrases whose other words do not
        occur at all be skipped cheaply; it is computed when not given.
        """
        by_first = self._by_first
        matches: list[tuple[tuple[int, ...], V]] = []
        taken: set[int] = set()
        n = len(tokens)
        if present is None:
            present = {*tokens, *lemmas}
        for start in range(n):
            if start in taken:
                continue
            candidates = by_first.get(tokens[start])
            if lemmas[start] != tokens[start]:
                by_lemma = by_first.get(lemmas[start])
                if by_lemma is not None:
                    candidates = by_lemma if candidates is None else _longest_first(candidates + by_lemma)
            if candidates is None:
                continue
            for phrase in candidates:
                if any(forms.isdisjoint(present) for forms in phrase.words[1:]):
                    continue
                positions = _match(phrase.words, tokens, lemmas, start, n, taken)
                if positions is not None:
                    matches.append((positions, phrase.value))
                    taken.update(positions)
                    break
        return matches


def _longest_first(phrases: list[Phrase[V]]) -> list[Phrase[V]]:
    return sorted(phrases, key=lambda phrase: -len(phrase.words))


def _match(words, tokens, lemmas, start, n, taken) -> tuple[int, ...] | None:
    positions = [start]
    at = start
    for forms in words[1:]:
        found = None
        limit = min(n, at + MAX_GAP + 2)
        for j in range(at + 1, limit):
            token = tokens[j]
            if token in PUNCTUATION:
                break
            if j not in taken and (token in forms or lemmas[j] in forms):
                found = j
                break
        if found is None:
            return None
        positions.append(found)
        at = found
    return tuple(positions)
