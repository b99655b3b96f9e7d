"""Suggest new themes from the comments that the taxonomy does not cover.

TF-IDF over content lemmas without strongly evaluative words (and pairs of adjacent ones), factorised
with NMF: each component is a candidate theme with its strongest terms and the comments that load
most on it. NNDSVD initialisation makes the result deterministic for the same input.
"""

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .pipeline import analyse
from .sentiment import lexicon
from .themes import DEFAULT_TAXONOMY, CompiledTaxonomy, compile_taxonomy

EVALUATIVE = 0.4  # words at least this positive or negative are left out of the topics


@dataclass(frozen=True)
class ThemeSuggestion:
    """A candidate theme: its top terms, how many uncovered comments it gathers, and examples."""

    label: str
    terms: tuple[str, ...]
    size: int
    examples: tuple[str, ...]


def _identity(document: list[str]) -> list[str]:
    return document


def suggest_themes(
    comments: Iterable[str],
    taxonomy: Mapping | CompiledTaxonomy = DEFAULT_TAXONOMY,
    k: int = 10,
    *,
    top_terms: int = 8,
    examples: int = 3,
    max_comments: int = 50_000,
    min_comments: int = 5,
) -> list[ThemeSuggestion]:
    """Return up to `k` candidate themes, largest first, found among comments that match no theme.

    At most `max_comments` uncovered comments are used (evenly spaced, so the choice is deterministic).
    """
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer

    compiled = compile_taxonomy(taxonomy)
    texts: list[str] = []
    documents: list[list[str]] = []
    comments = list(comments)
    for text, result in zip(comments, analyse(comments, compiled), strict=True):
        if result.themes:
            continue
        # Themes are what customers talk about, not how they feel: evaluative words
        # ("goed", "top", "lekker") would otherwise head every topic.
        evaluative = lexicon(result.language).words
        lemmas = [lemma for lemma in result.lemmas if abs(evaluative.get(lemma, 0.0)) < EVALUATIVE]
        if len(lemmas) < 2:
            continue
        documents.append(lemmas + [f"{a} {b}" for a, b in zip(lemmas, lemmas[1:], strict=False)])
        texts.append(text)
    if len(documents) > max_comments:
        step = len(documents) / max_comments
        keep = [int(i * step) for i in range(max_comments)]
        documents = [documents[i] for i in keep]
        texts = [texts[i] for i in keep]
    if len(documents) < max(min_comments, 2) or k < 1:
        return []

    vectorizer = TfidfVectorizer(
        analyzer=_identity, min_df=2, max_df=0.5, sublinear_tf=True, max_features=20_000
    )
    try:
        matrix = vectorizer.fit_transform(documents)
    except ValueError:  # no term occurs in two comments
        return []
    n_components = min(k, matrix.shape[0] - 1, matrix.shape[1])
    if n_components < 1:
        return []
    model = NMF(n_components=n_components, init="nndsvd", random_state=0, max_iter=400)
    with warnings.catch_warnings():
        # Not converging to the last decimal within max_iter still leaves usable, stable topics.
        warnings.simplefilter("ignore", ConvergenceWarning)
        weights = model.fit_transform(matrix)
    vocabulary = vectorizer.get_feature_names_out()
    owner = weights.argmax(axis=1)
    has_weight = weights.max(axis=1) > 0

    suggestions = []
    for component in range(n_components):
        members = [i for i in range(len(texts)) if has_weight[i] and owner[i] == component]
        if not members:
            continue
        loadings = model.components_[component]
        order = sorted(range(len(vocabulary)), key=lambda j: (-loadings[j], vocabulary[j]))
        terms = tuple(str(vocabulary[j]) for j in order[:top_terms] if loadings[j] > 0)
        if not terms:
            continue
        chosen: list[str] = []
        for i in sorted(members, key=lambda i: (-weights[i, component], i)):
            if texts[i] not in chosen:
                chosen.append(texts[i])
            if len(chosen) == examples:
                break
        suggestions.append(
            ThemeSuggestion(
                label=", ".join(terms[:3]), terms=terms, size=len(members), examples=tuple(chosen)
            )
        )
    suggestions.sort(key=lambda suggestion: (-suggestion.size, suggestion.label))
    return suggestions
