"""Text analytics for open survey comments, Dutch and English: pure Python, no Django.

    from insights.text import analyse
    for result in analyse(comments):          # TextResult(language, sentiment, themes, lemmas)
        ...

Language detection (py3langid), lemmas (simplemma), lexicon-and-rules sentiment, themes from an
editable taxonomy, and suggested new themes (scikit-learn). Every model and lexicon ships inside an
installed package or in this folder; nothing is downloaded at run time.
"""

from .discover import ThemeSuggestion, suggest_themes
from .language import detect_language
from .lemmas import lemmatize, lemmatize_text, tokenize
from .pipeline import TextResult, analyse, analyse_text
from .sentiment import sentiment, sentiment_label
from .themes import (
    DEFAULT_TAXONOMY,
    CompiledTaxonomy,
    compile_taxonomy,
    default_taxonomy,
    match_themes,
    validate_taxonomy,
)

DEFAULT = DEFAULT_TAXONOMY

__all__ = [
    "DEFAULT",
    "DEFAULT_TAXONOMY",
    "CompiledTaxonomy",
    "TextResult",
    "ThemeSuggestion",
    "analyse",
    "analyse_text",
    "compile_taxonomy",
    "default_taxonomy",
    "detect_language",
    "lemmatize",
    "lemmatize_text",
    "match_themes",
    "sentiment",
    "sentiment_label",
    "suggest_themes",
    "tokenize",
    "validate_taxonomy",
]
