"""Themes from an editable taxonomy, the analyse() pipeline, and theme discovery."""

import json

import pytest

from insights.text import (
    DEFAULT_TAXONOMY,
    TextResult,
    analyse,
    analyse_text,
    compile_taxonomy,
    default_taxonomy,
    lemmatize,
    match_themes,
    suggest_themes,
    validate_taxonomy,
)
from insights.text.lemmas import scan


def themes_of(text, taxonomy=None, language="nl"):
    tokens = scan(text)
    return match_themes(lemmatize(tokens, language), taxonomy, tokens)


def test_default_taxonomy_is_valid_json_data_with_the_core_themes():
    assert validate_taxonomy(DEFAULT_TAXONOMY) == []
    assert json.loads(json.dumps(DEFAULT_TAXONOMY)) == DEFAULT_TAXONOMY
    keys = {theme["key"] for theme in DEFAULT_TAXONOMY["themes"]}
    assert {"bereikbaarheid", "wachttijd", "vriendelijkheid", "deskundigheid", "afhandeling", "communicatie",
            "prijs", "digitale_kanalen", "betrouwbaarheid", "duidelijkheid", "schadeafhandeling"} <= keys


def test_default_taxonomy_copy_can_be_edited_without_changing_the_default():
    copy = default_taxonomy()
    copy["themes"].clear()
    assert DEFAULT_TAXONOMY["themes"]


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("De medewerkster was heel vriendelijk", "vriendelijkheid"),
        ("De wachttijden zijn belachelijk", "wachttijd"),
        ("Mijn premies stijgen elk jaar", "prijs"),
        ("De app crasht steeds", "digitale_kanalen"),
        ("Mijn schadeclaim is snel uitbetaald", "schadeafhandeling"),
        ("The staff were rude", "vriendelijkheid"),
        ("My claim was rejected", "schadeafhandeling"),
    ],
)
def test_terms_match_inflected_words(text, theme):
    assert theme in themes_of(text, language="en" if text.startswith(("The", "My")) else "nl")


def test_prefix_and_suffix_terms_match_dutch_compounds():
    assert "bereikbaarheid" in themes_of("Het telefoonnummer staat nergens")
    assert "service" in themes_of("De klantenservice reageert nooit")
    assert "schadeafhandeling" in themes_of("De autoschade werd vergoed")


def test_phrases_match_with_words_in_between():
    assert "bereikbaarheid" in themes_of("Ik hing een half uur in de wacht")
    assert "wachttijd" in themes_of("Ik moest erg lang wachten")
    assert "wachttijd" in themes_of("Het heeft lang moeten duren")
    assert "afhandeling" in themes_of("Ik werd van het kastje naar de muur gestuurd")


def test_phrases_do_not_match_across_sentences_or_long_gaps():
    taxonomy = {"themes": [{"key": "wachten", "phrases": ["lang wachten"]}]}
    assert themes_of("Lang moeten wachten", taxonomy) == ["wachten"]
    assert themes_of("Ik ben al lang klant en hoefde bij de balie nooit te wachten", taxonomy) == []
    assert themes_of("Het duurde lang. Wachten is niet erg", taxonomy) == []


def test_no_theme_for_a_comment_outside_the_taxonomy():
    assert themes_of("Het weer was mooi vandaag") == []


def test_an_edited_taxonomy_is_used():
    taxonomy = {"themes": [{"key": "parkeren", "name": "Parkeren", "terms": ["parkeerplaats", "parkeren"],
                            "phrases": ["geen plek"]}]}
    assert themes_of("Er was geen plek voor de auto", taxonomy) == ["parkeren"]
    assert themes_of("Parkeerplaatsen te weinig", taxonomy) == ["parkeren"]
    assert themes_of("De medewerker was vriendelijk", taxonomy) == []


def test_themes_come_back_in_taxonomy_order():
    keys = [theme["key"] for theme in DEFAULT_TAXONOMY["themes"]]
    found = themes_of("De premie is duur, de app werkt niet en ik werd niet teruggebeld")
    assert found == sorted(found, key=keys.index)
    assert {"prijs", "digitale_kanalen", "communicatie"} <= set(found)


@pytest.mark.parametrize(
    "taxonomy",
    [
        {},
        {"themes": "wachttijd"},
        {"themes": [{"name": "zonder sleutel", "terms": ["x"]}]},
        {"themes": [{"key": "a", "terms": ["x"]}, {"key": "a", "terms": ["y"]}]},
        {"themes": [{"key": "leeg"}]},
        {"themes": [{"key": "a", "terms": "x"}]},
    ],
)
def test_invalid_taxonomy_is_refused(taxonomy):
    assert validate_taxonomy(taxonomy)
    with pytest.raises(ValueError):
        compile_taxonomy(taxonomy)


def test_analyse_returns_language_sentiment_themes_and_lemmas_per_text():
    results = list(analyse([
        "De medewerker was erg vriendelijk en ik werd snel geholpen.",
        "The app does not work and nobody called me back.",
        "",
        None,
    ]))
    assert [result.language for result in results] == ["nl", "en", "other", "other"]
    dutch, english, empty, missing = results
    assert dutch.sentiment > 0.05 and dutch.label == "positive"
    assert {"vriendelijkheid", "wachttijd"} <= set(dutch.themes)
    assert "medewerker" in dutch.lemmas and "de" not in dutch.lemmas
    assert english.sentiment < -0.05 and "digitale_kanalen" in english.themes
    assert empty == missing == TextResult(language="other", sentiment=0.0, themes=(), lemmas=())


def test_analyse_gives_the_same_result_for_a_repeated_text():
    first, second = analyse(["Prima geholpen", "Prima geholpen"])
    assert first == second == analyse_text("Prima geholpen")


def test_analyse_handles_two_thousand_comments():
    base = [
        "Ik moest {n} minuten in de wacht staan, erg vervelend.",
        "Vriendelijke medewerker, maar de premie is te duur.",
        "De app werkt niet na update {n}.",
        "Snel en goed geholpen door mevrouw {n}.",
        "Great service, claim {n} paid within a week.",
        "Geen opmerkingen",
    ]
    comments = [base[i % len(base)].format(n=i) for i in range(2000)]
    results = list(analyse(comments))
    assert len(results) == 2000
    assert all(-1.0 <= result.sentiment <= 1.0 for result in results)
    priced = [i for i, result in enumerate(results) if "prijs" in result.themes]
    assert priced == [i for i in range(2000) if i % len(base) == 1]


UNCOVERED = [
    "De parkeerplaats bij het kantoor is altijd vol",
    "Geen parkeerplaats te vinden bij het kantoor",
    "Parkeerplaats bij kantoor te klein",
    "Het kantoor heeft te weinig parkeerplaats",
    "Parkeerplaats vol, kantoor slecht te bereiken met de auto",
    "De koffie in de wachtkamer was koud",
    "Koude koffie in de wachtkamer",
    "Lekkere koffie in de wachtkamer",
    "De wachtkamer had geen koffie meer",
    "Koffie in de wachtkamer mag beter",
    "De medewerker was vriendelijk",  # covered by the taxonomy: left out
]


def test_suggest_themes_finds_clusters_among_uncovered_comments():
    suggestions = suggest_themes(UNCOVERED * 3, k=2)
    assert len(suggestions) == 2
    terms = [set(suggestion.terms) for suggestion in suggestions]
    assert any({"parkeerplaats", "kantoor"} <= found for found in terms)
    assert any({"koffie", "wachtkamer"} <= found for found in terms)
    assert all(suggestion.size > 0 and suggestion.examples for suggestion in suggestions)
    assert all("De medewerker was vriendelijk" not in suggestion.examples for suggestion in suggestions)


def test_suggest_themes_is_deterministic():
    assert suggest_themes(UNCOVERED * 3, k=3) == suggest_themes(UNCOVERED * 3, k=3)


def test_suggest_themes_returns_nothing_for_too_few_comments():
    assert suggest_themes(["Koffie was koud"], k=5) == []
