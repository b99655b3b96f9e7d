"""Language detection and lemmatisation of comments (insights.text.language, insights.text.lemmas)."""

import pytest

from insights.text import detect_language, lemmatize, lemmatize_text, tokenize


@pytest.mark.parametrize(
    "text",
    [
        "De medewerker van de klantenservice was erg vriendelijk en heeft mijn vraag meteen opgelost.",
        "Ik heb drie weken moeten wachten op een reactie over mijn schademelding.",
        "Prima",
        "Snel geholpen!",
        "Goed bereikbaar, duidelijke uitleg",
        "Helaas werd ik niet teruggebeld zoals was beloofd",
        "Waarom is de premie dit jaar zo flink gestegen zonder enige uitleg?",
    ],
)
def test_dutch_comments_are_detected_as_dutch(text):
    assert detect_language(text) == "nl"


@pytest.mark.parametrize(
    "text",
    [
        "The staff were very friendly and solved my problem straight away.",
        "I had to wait three weeks for an answer about my claim.",
        "Great service",
        "Not helpful at all",
        "Why did my premium go up this year without any explanation?",
    ],
)
def test_english_comments_are_detected_as_english(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "12345",
        "!!!",
        "ok",
        "Der Mitarbeiter war sehr freundlich und hat mir schnell geholfen.",
        "Le service client est très bien, merci pour votre aide.",
        "Обслуживание было отличным",
    ],
)
def test_empty_ambiguous_and_foreign_comments_are_other(text):
    assert detect_language(text) == "other"


def test_tokenize_lowercases_and_strips_punctuation():
    assert tokenize("Snel geholpen, TOP!! Zo'n e-mail: 2 keer.") == [
        "snel", "geholpen", "top", "zo'n", "e-mail", "2", "keer"
    ]


def test_lemmatize_reduces_dutch_inflections():
    assert lemmatize(["wachttijden", "vriendelijke", "geholpen", "premies"], "nl") == [
        "wachttijd", "vriendelijk", "helpen", "premie"
    ]


def test_lemmatize_joins_separable_dutch_verbs():
    assert lemmatize(["teruggebeld"], "nl") == ["terugbellen"]


def test_lemmatize_reduces_english_inflections():
    assert lemmatize(["waited", "claims", "helped"], "en") == ["wait", "claim", "help"]


def test_lemmatize_text_drops_stopwords_and_numbers():
    assert lemmatize_text("Ik heb 3 keer gebeld en de medewerkers waren niet vriendelijk", "nl") == [
        "bellen", "medewerker", "vriendelijk"
    ]
