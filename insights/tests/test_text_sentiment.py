"""Sentiment of comments: lexicons, negation, intensifiers, phrases and range (insights.text.sentiment)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insights.text import sentiment, sentiment_label


def test_friendly_is_positive_and_not_friendly_is_negative():
    assert sentiment("vriendelijk", "nl") > 0
    assert sentiment("niet vriendelijk", "nl") < 0


@pytest.mark.parametrize(
    ("positive", "negated"),
    [
        ("De medewerker was behulpzaam", "De medewerker was niet behulpzaam"),
        ("Goede service", "Geen goede service"),
        ("Ik ben tevreden", "Ik ben nooit tevreden"),
        ("The staff were helpful", "The staff were not helpful"),
        ("Helpful answer", "Never a helpful answer"),
    ],
)
def test_negation_flips_the_following_sentiment(positive, negated):
    assert sentiment(positive) > 0.05
    assert sentiment(negated) < -0.05


def test_negation_of_a_negative_word_turns_positive():
    assert sentiment("Geen probleem", "nl") > 0
    assert sentiment("Niet slecht", "nl") > 0


def test_dutch_negator_at_the_end_of_the_clause_flips_the_word_before_it():
    assert sentiment("Die afhandeling beviel me niet", "nl") < 0


def test_negation_stops_at_the_end_of_the_clause():
    assert sentiment("Niet gebeld. Wel vriendelijk", "nl") > 0


@pytest.mark.parametrize(
    ("plain", "intensified"),
    [
        ("vriendelijk", "erg vriendelijk"),
        ("vriendelijk", "heel vriendelijk"),
        ("vriendelijk", "zeer vriendelijk"),
        ("vriendelijk", "super vriendelijk"),
        ("slecht", "erg slecht"),
        ("friendly", "very friendly"),
    ],
)
def test_intensifiers_strengthen_the_next_word(plain, intensified):
    assert abs(sentiment(intensified, "nl" if plain != "friendly" else "en")) > abs(
        sentiment(plain, "nl" if plain != "friendly" else "en")
    )
    assert (sentiment(intensified) > 0) == (sentiment(plain) > 0)


def test_diminisher_weakens_the_next_word():
    assert 0 > sentiment("een beetje traag", "nl") > sentiment("traag", "nl")


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("Ik moest heel lang wachten", -1),
        ("Lang moeten wachten aan de telefoon", -1),
        ("Ik ben niet teruggebeld", -1),
        ("Van het kastje naar de muur gestuurd", -1),
        ("De premie is te duur", -1),
        ("Snel geholpen", 1),
        ("Alles netjes afgehandeld", 1),
        ("I was never called back", -1),
        ("Long wait on hold", -1),
    ],
)
def test_customer_experience_phrases_carry_their_sentiment(text, sign):
    assert sentiment(text) * sign > 0.05


def test_lang_alone_is_neutral():
    assert sentiment("Ik ben al lang klant", "nl") == pytest.approx(0.0)


def test_text_after_but_weighs_more():
    assert sentiment("Vriendelijke medewerker, maar mijn probleem is niet opgelost", "nl") < 0
    assert sentiment("The app is slow but the staff are great", "en") > 0


def test_comment_without_sentiment_words_is_neutral():
    assert sentiment("Ik heb mijn polis gisteren aangepast", "nl") == 0.0
    assert sentiment("", "nl") == 0.0


def test_sentiment_label_uses_the_thresholds():
    assert sentiment_label(0.06) == "positive"
    assert sentiment_label(0.05) == "neutral"
    assert sentiment_label(-0.05) == "neutral"
    assert sentiment_label(-0.06) == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "super super super geweldig fantastisch uitstekend perfect top!!!",
        "slecht slecht waardeloos schandalig belachelijk onacceptabel!!!",
        "niet niet niet geen nooit",
        "erg heel zeer super",
    ],
)
def test_extreme_comments_stay_within_range(text):
    assert -1.0 <= sentiment(text, "nl") <= 1.0


WORDS = ["goed", "slecht", "niet", "geen", "erg", "heel", "maar", "lang", "wachten", "snel", "geholpen", "te",
         "duur", "very", "not", "good", "bad", ",", ".", "!"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=30).map(" ".join))
def test_sentiment_is_always_between_minus_one_and_one(text):
    for language in ("nl", "en", "other", None):
        assert -1.0 <= sentiment(text, language) <= 1.0


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_sentiment_accepts_any_text(text):
    assert -1.0 <= sentiment(text) <= 1.0
