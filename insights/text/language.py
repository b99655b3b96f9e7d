"""Detect whether a comment is Dutch, English or something else.

Short comments ("Prima!", "Snel geholpen", "Great service") defeat character-n-gram models, and most
comments carry enough function words to settle the question, so a count of words that only Dutch or
only English uses decides first: a clear lead, with no German or French word in sight, is the answer.
Mixed, foreign and unclear comments go to py3langid (its model ships in the wheel), restricted to
Dutch, English, German and French so that Dutch is not mistaken for Afrikaans or Frisian; German and
French come back as "other"."""

from collections.abc import Sequence
from functools import cache

from .lemmas import scan

NL_MARKERS = frozenset(
    "de het een en niet geen ik je jij jullie u uw wij ze zij hij mijn met van voor op aan bij naar ook nog "
    "wel heel erg zeer zijn ben bent wordt werd heb hebt heeft hebben kan kon kunnen moet moest moeten dat "
    "die dit deze er maar omdat als dan wat hoe goed goede slecht slechte snel snelle prima bedankt dank "
    "tevreden ontevreden vriendelijk vriendelijke geholpen duidelijk helaas niets niks nooit altijd zo "
    "klantvriendelijk medewerker medewerkers lang lange keer alles erg uitstekend fijn prettig netjes "
    "vlot geen zeer zelf waren hadden veel weinig duur klantenservice bereikbaar afgehandeld ja nee "
    "behulpzaam vriendelijkheid geweldig heerlijk lekker leuk".split()
)
EN_MARKERS = frozenset(
    "the a an and not no never very it i you my they to of for with on at this that be been have has "
    "were are would could should good great bad poor quick quickly fast slow friendly helpful thanks thank "
    "excellent nice expensive cheap staff really what how will did didn't don't doesn't wasn't awesome "
    "terrible amazing waiting wait always easy helped answer customer happy pleased satisfied".split()
)
# Common German and French words that neither Dutch nor English writes: when one occurs, the model decides.
OTHER_MARKERS = frozenset(
    "der und ist nicht sehr ich das sie auch war gut wir für kein keine aber auf wurde sind mir mich "
    "le la les et est très pas pour avec une des du mais bien nous vous il elle été c'est n'est qui".split()
)
LANGUAGE_CHOICES = ("nl", "en", "de", "fr")
SHORT = 3  # words; at or below this a marker lead decides alone


@cache
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
    identifier.set_languages(list(LANGUAGE_CHOICES))
    return identifier


def detect_language(text: str, tokens: Sequence[str] | None = None) -> str:
    """Return "nl", "en" or "other" for one comment (`tokens`: its `scan`, when already made)."""
    words = [word for word in (scan(text) if tokens is None else tokens) if word[0].isalpha()]
    if not words:
        return "other"
    letters = sum(len(word) for word in words)
    if sum(1 for word in words for char in word if char > "\u024f") * 2 > letters:
        return "other"  # mostly non-Latin script: Arabic, Cyrillic, Chinese, ...
    nl = en = other = 0
    for word in words:
        if word in NL_MARKERS:
            nl += 1
        if word in EN_MARKERS:
            en += 1
        if word in OTHER_MARKERS:
            other += 1
    if len(words) <= SHORT:
        if nl != en and not other:
            return "nl" if nl > en else "en"
        if len(words) < SHORT:
            return "other"
    elif not other:
        # Function words settle most comments; the model is for the mixed and the foreign.
        if nl >= 2 and nl >= 4 * en:
            return "nl"
        if en >= 2 and en >= 4 * nl:
            return "en"
    found, _ = _identifier().classify(text)
    return found if found in ("nl", "en") else "other"
