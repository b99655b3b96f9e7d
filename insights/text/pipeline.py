"""Analyse many comments: language, sentiment, themes and content lemmas for each."""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from .language import detect_language
from .lemmas import content_lemmas, lemmatize, scan
from .sentiment import scorer, sentiment_label
from .themes import DEFAULT_TAXONOMY, CompiledTaxonomy, compile_taxonomy


@dataclass(frozen=True, slots=True)
class TextResult:
    """What one comment says: its language, sentiment (-1..1), theme keys and content lemmas."""

    language: str
    sentiment: float
    themes: tuple[str, ...]
    lemmas: tuple[str, ...]

    @property
    def label(self) -> str:
        """Return "positive", "negative" or "neutral"."""
        return sentiment_label(self.sentiment)


EMPTY = TextResult(language="other", sentiment=0.0, themes=(), lemmas=())
REPEAT_CHARS = 40
REPEAT_ENTRIES = 100_000


def analyse(
    texts: Iterable[str | None], taxonomy: Mapping | CompiledTaxonomy = DEFAULT_TAXONOMY
) -> Iterator[TextResult]:
    """Yield a TextResult for each text, in order; empty or missing texts yield an empty result."""
    compiled = compile_taxonomy(taxonomy)
    scorers = {language: scorer(language) for language in ("nl", "en", "other")}
    # Short answers repeat ("Prima", "Goed geholpen", "Nee"): analyse each distinct one once.
    repeated: dict[str, TextResult] = {}
    for text in texts:
        if text and len(text) <= REPEAT_CHARS:
            result = repeated.get(text)
            if result is None:
                result = _analyse_one(text, compiled, scorers)
                if len(repeated) < REPEAT_ENTRIES:
                    repeated[text] = result
            yield result
        else:
            yield _analyse_one(text, compiled, scorers)


def analyse_text(text: str | None, taxonomy: Mapping | CompiledTaxonomy = DEFAULT_TAXONOMY) -> TextResult:
    """Return the TextResult of one text."""
    return next(analyse([text], taxonomy))


def _analyse_one(text, compiled, scorers) -> TextResult:
    if not text:
        return EMPTY
    tokens = scan(text)
    if not tokens:
        return EMPTY
    language = detect_language(text, tokens)
    lemmas = lemmatize(tokens, language)
    present = {*tokens, *lemmas}
    return TextResult(
        language=language,
        sentiment=scorers[language].score(tokens, lemmas, present),
        themes=tuple(compiled.match(lemmas, tokens, present)),
        lemmas=tuple(content_lemmas(tokens, lemmas, language)),
    )
