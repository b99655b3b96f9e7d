"""Find the themes of a comment in an organisation-editable taxonomy.

A taxonomy is plain JSON-ready data (see `taxonomy_default.json`)::

    {"themes": [{"key": "wachttijd", "name": "Wachttijd", "terms": ["wachttijd", "wacht*"],
                 "phrases": ["lang wachten"]}, ...]}

A term matches a word or its lemma; "wacht*" matches words that start with "wacht" and "*service"
words that end with "service" (Dutch writes compounds as one word: "klantenservice"). A phrase matches
its words in order with at most two words in between. `compile_taxonomy` turns the data into sets
and phrase tuples once; each distinct word is then looked up once per compiled taxonomy.
"""

import copy
import json
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from functools import lru_cache

from .lemmas import CACHE_LIMIT, DATA_DIR, scan, word_forms
from .phrases import PhraseIndex

_NOTHING: frozenset[int] = frozenset()


def default_taxonomy() -> dict:
    """Return a fresh, editable copy of the default Dutch customer-experience taxonomy."""
    return copy.deepcopy(DEFAULT_TAXONOMY)


def _load_default() -> dict:
    return json.loads((DATA_DIR / "taxonomy_default.json").read_text(encoding="utf-8"))


DEFAULT_TAXONOMY: dict = _load_default()


def validate_taxonomy(taxonomy: Mapping) -> list[str]:
    """Return what is wrong with a taxonomy (an empty list when it can be used)."""
    problems = []
    themes = taxonomy.get("themes") if isinstance(taxonomy, Mapping) else None
    if not isinstance(themes, list):
        return ["a taxonomy needs a list of themes"]
    seen = set()
    for number, theme in enumerate(themes, start=1):
        if not isinstance(theme, Mapping):
            problems.append(f"theme {number} is not an object")
            continue
        key = theme.get("key")
        if not isinstance(key, str) or not key.strip():
            problems.append(f"theme {number} has no key")
        elif key in seen:
            problems.append(f"theme key {key!r} occurs twice")
        seen.add(key)
        for field in ("terms", "phrases"):
            values = theme.get(field, [])
            if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
                problems.append(f"theme {key or number}: {field} must be a list of strings")
        if not theme.get("terms") and not theme.get("phrases"):
            problems.append(f"theme {key or number} has no terms and no phrases")
    return problems


class CompiledTaxonomy:
    """A taxonomy turned into word sets, prefix/suffix lists and a phrase index."""

    def __init__(self, taxonomy: Mapping) -> None:
        problems = validate_taxonomy(taxonomy)
        if problems:
            raise ValueError("; ".join(problems))
        themes = taxonomy["themes"]
        self.keys: tuple[str, ...] = tuple(theme["key"] for theme in themes)
        self.names: dict[str, str] = {theme["key"]: theme.get("name", theme["key"]) for theme in themes}
        exact: dict[str, set[int]] = {}
        prefixes: list[tuple[str, int]] = []
        suffixes: list[tuple[str, int]] = []
        phrases: list[tuple[str, int]] = []
        for index, theme in enumerate(themes):
            for term in theme.get("terms", []):
                term = term.strip().lower()
                if not term or term == "*":
                    continue
                if len(scan(term.strip("*"))) > 1:
                    phrases.append((term.strip("*"), index))  # a multi-word term is a phrase
                elif term.endswith("*"):
                    prefixes.append((term[:-1], index))
                elif term.startswith("*"):
                    suffixes.append((term[1:], index))
                else:
                    for form in word_forms(term):
                        exact.setdefault(form, set()).add(index)
            phrases.extend((phrase, index) for phrase in theme.get("phrases", []) if phrase.strip())
        self._exact = {form: frozenset(indexes) for form, indexes in exact.items()}
        self._prefixes = tuple(prefixes)
        self._suffixes = tuple(suffixes)
        self._phrases: PhraseIndex[int] = PhraseIndex(phrases)
        self._memo: dict[str, frozenset[int]] = {}

    def _word_themes(self, word: str) -> frozenset[int]:
        found = self._memo.get(word)
        if found is None:
            indexes = set(self._exact.get(word, _NOTHING))
            indexes.update(index for prefix, index in self._prefixes if word.startswith(prefix))
            indexes.update(index for suffix, index in self._suffixes if word.endswith(suffix))
            if len(self._memo) >= CACHE_LIMIT:
                self._memo.clear()
            found = self._memo[word] = frozenset(indexes) if indexes else _NOTHING
        return found

    def match(
        self,
        lemmas: Sequence[str],
        tokens: Sequence[str] | None = None,
        present: AbstractSet[str] | None = None,
    ) -> list[str]:
        """Return the keys of the themes found, in taxonomy order (`present`: see PhraseIndex.find)."""
        tokens = lemmas if tokens is None else tokens
        found: set[int] = set()
        word_themes = self._word_themes
        for token, lemma in zip(tokens, lemmas, strict=True):
            hit = word_themes(lemma)
            if hit:
                found |= hit
            if token != lemma:
                hit = word_themes(token)
                if hit:
                    found |= hit
        if self._phrases:
            for _, index in self._phrases.find(tokens, lemmas, present):
                found.add(index)
        return [self.keys[index] for index in sorted(found)]


@lru_cache(maxsize=32)
def _compile_json(serialised: str) -> CompiledTaxonomy:
    return CompiledTaxonomy(json.loads(serialised))


def compile_taxonomy(taxonomy: Mapping | CompiledTaxonomy | None = None) -> CompiledTaxonomy:
    """Return the compiled form of a taxonomy (the default when None); compiled forms are cached."""
    if isinstance(taxonomy, CompiledTaxonomy):
        return taxonomy
    if taxonomy is None:
        taxonomy = DEFAULT_TAXONOMY
    return _compile_json(json.dumps(taxonomy, sort_keys=True, ensure_ascii=False))


def match_themes(
    lemmas: Sequence[str],
    taxonomy: Mapping | CompiledTaxonomy | None = None,
    tokens: Sequence[str] | None = None,
) -> list[str]:
    """Return the keys of the themes that `lemmas` (and, if given, the word forms) mention."""
    return compile_taxonomy(taxonomy).match(lemmas, tokens)
