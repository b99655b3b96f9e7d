"""Measure the text analytics on labelled Dutch reviews (and, with --speed, their throughput).

    .venv/bin/python bench/text_quality.py                 # quality on the SemEval file
    .venv/bin/python bench/text_quality.py --speed 100000  # plus analyse() on 100,000 comments

Quality data: ../shared/benchmarks/semeval2016_absa_nl_restaurants_train_sb1.xml (SemEval-2016 Task 5,
Dutch restaurant reviews; see its README). It is used to measure only: no rule or lexicon entry is
fitted to its sentences, and nothing of it is shipped.

Sentiment: one gold label per sentence, the majority polarity of its opinions; a tie between
polarities counts as neutral (mixed). Sentences without opinions are skipped in the
headline figures (printed separately with those sentences as neutral). Predicted label: positive
above 0.05, negative below -0.05, neutral in between. Baseline: always the majority class of the
evaluated sentences. Macro-F1 averages the F1 of positive, negative and neutral.

Themes: for each SemEval category with a counterpart in our default taxonomy (CATEGORY_THEMES),
recall is the share of the sentences carrying that category in which any of its themes is found.
The "elsewhere" rate is how often those themes fire on opinion sentences that do not carry any
category mapped to them: a rough view of over-matching.

Speed: deterministic synthetic customer comments (Dutch 80%, English 15%, other 5%), built from
fragments written for this benchmark and varied with random numbers, names and typos, so the
lemma caches see a realistic, growing vocabulary. The reported time runs from the first call in a
fresh process, so loading the language model, the lemma dictionaries and the lexicons counts; a
second pass over the same comments shows the cached speed.

The last line reads
RESULT text_quality sentiment_accuracy=X sentiment_macro_f1=X baseline_accuracy=X baseline_macro_f1=X
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from insights.text import analyse  # noqa: E402

DATA = ROOT.parent / "shared" / "benchmarks" / "semeval2016_absa_nl_restaurants_train_sb1.xml"
LABELS = ("positive", "negative", "neutral")

# SemEval category → our themes; None: the taxonomy (built for service organisations) has no counterpart.
CATEGORY_THEMES: dict[str, tuple[str, ...] | None] = {
    "SERVICE#GENERAL": ("service", "vriendelijkheid", "wachttijd", "deskundigheid", "afhandeling"),
    "RESTAURANT#PRICES": ("prijs",),
    "FOOD#PRICES": ("prijs",),
    "DRINKS#PRICES": ("prijs",),
    "LOCATION#GENERAL": ("bereikbaarheid",),  # partial: a restaurant's location, not reachability by phone
    "FOOD#QUALITY": None,
    "FOOD#STYLE_OPTIONS": None,
    "DRINKS#QUALITY": None,
    "DRINKS#STYLE_OPTIONS": None,
    "AMBIENCE#GENERAL": None,
    "RESTAURANT#GENERAL": None,
    "RESTAURANT#MISCELLANEOUS": None,
}


def load_sentences(path: Path = DATA) -> list[tuple[str, list[tuple[str, str]]]]:
    """Return (text, [(category, polarity), ...]) for every sentence of the file."""
    from defusedxml import ElementTree

    sentences = []
    for sentence in ElementTree.parse(path).getroot().iter("sentence"):
        text = (sentence.findtext("text") or "").strip()
        opinions = [
            (opinion.get("category", ""), opinion.get("polarity", ""))
            for opinion in sentence.iter("Opinion")
        ]
        sentences.append((text, opinions))
    return sentences


def gold_label(opinions: list[tuple[str, str]]) -> str | None:
    """Return the majority polarity; a tie is neutral (mixed); None without opinions."""
    if not opinions:
        return None
    counts = Counter(polarity for _, polarity in opinions)
    ranked = counts.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return "neutral"
    return ranked[0][0]


def _tied(opinions: list[tuple[str, str]]) -> bool:
    ranked = Counter(polarity for _, polarity in opinions).most_common()
    return len(ranked) > 1 and ranked[0][1] == ranked[1][1]


def scores(gold: list[str], predicted: list[str]) -> dict:
    """Return accuracy, macro-F1 and per-class precision, recall and F1."""
    per_class = {}
    for label in LABELS:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = (precision, recall, f1)
    accuracy = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / len(gold)
    return {"accuracy": accuracy, "macro_f1": sum(f for _, _, f in per_class.values()) / 3,
            "per_class": per_class}


def print_scores(title: str, gold: list[str], predicted: list[str]) -> tuple[dict, dict]:
    majority = Counter(gold).most_common(1)[0][0]
    ours, baseline = scores(gold, predicted), scores(gold, [majority] * len(gold))
    print(f"\n{title}: {len(gold)} sentences, gold {dict(Counter(gold))}")
    print(f"  ours      accuracy {ours['accuracy']:.3f}  macro-F1 {ours['macro_f1']:.3f}")
    print(f"  baseline  accuracy {baseline['accuracy']:.3f}  macro-F1 {baseline['macro_f1']:.3f}"
          f"  (always {majority!r})")
    for label, (precision, recall, f1) in ours["per_class"].items():
        print(f"  {label:<9} precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}")
    print("  confusion (rows gold, columns predicted):  " + "  ".join(f"{label[:3]:>5}" for label in LABELS))
    for g in LABELS:
        row = [sum(1 for x, y in zip(gold, predicted, strict=True) if x == g and y == p) for p in LABELS]
        print(f"    {g:<9}" + " " * 33 + "  ".join(f"{count:>5}" for count in row))
    return ours, baseline


def quality() -> tuple[dict, dict]:
    sentences = load_sentences()
    texts = [text for text, _ in sentences]
    results = list(analyse(texts))
    languages = Counter(result.language for result in results)
    print(f"SemEval-2016 Dutch restaurants (train): {len(sentences)} sentences; "
          f"detected languages {dict(languages)}")

    gold, predicted, gold_all, predicted_all = [], [], [], []
    for (_, opinions), result in zip(sentences, results, strict=True):
        label = gold_label(opinions)
        gold_all.append(label or "neutral")
        predicted_all.append(result.label)
        if label is not None:
            gold.append(label)
            predicted.append(result.label)
    ties = sum(1 for _, opinions in sentences if _tied(opinions))
    print(f"sentences without opinions: {len(sentences) - len(gold)} (skipped in the headline figures); "
          f"ties between polarities (counted as neutral): {ties}")
    ours, baseline = print_scores("Sentiment, sentences with opinions (headline)", gold, predicted)
    print_scores("Sentiment, all sentences (no opinion = neutral)", gold_all, predicted_all)

    print("\nThemes: recall per SemEval category (sentences carrying the category)")
    mapped_by_theme: dict[str, set[str]] = {}
    for category, themes in CATEGORY_THEMES.items():
        for theme in themes or ():
            mapped_by_theme.setdefault(theme, set()).add(category)
    categories = Counter(category for _, opinions in sentences for category in {c for c, _ in opinions})
    for category, total in categories.most_common():
        themes = CATEGORY_THEMES.get(category)
        if not themes:
            print(f"  {category:<26} n={total:>4}  no counterpart in the taxonomy")
            continue
        hits = sum(
            1 for (_, opinions), result in zip(sentences, results, strict=True)
            if category in {c for c, _ in opinions} and set(result.themes) & set(themes)
        )
        print(f"  {category:<26} n={total:>4}  recall {hits / total:.3f}  via {', '.join(themes)}")
    print("Themes found on opinion sentences without a category mapped to them ('elsewhere' rate):")
    for theme, mapped in sorted(mapped_by_theme.items()):
        others = [result for (_, opinions), result in zip(sentences, results, strict=True)
                  if opinions and not ({c for c, _ in opinions} & mapped)]
        fired = sum(1 for result in others if theme in result.themes)
        print(f"  {theme:<16} {fired:>4} of {len(others)} ({fired / len(others):.3f})")
    theme_counts = Counter(theme for result in results for theme in result.themes)
    print(f"All themes found on the file: {dict(theme_counts.most_common())}")
    return ours, baseline


FRAGMENTS_NL = [
    "De medewerker was erg vriendelijk", "ik werd snel geholpen", "ik moest heel lang wachten",
    "de wachttijd aan de telefoon was {n} minuten", "ik ben niet teruggebeld", "de premie is te duur",
    "de app werkt niet", "op de website kon ik niets vinden", "mijn schade is netjes afgehandeld",
    "de uitbetaling duurde {n} weken", "van het kastje naar de muur gestuurd", "prima service",
    "duidelijke uitleg over mijn polis", "de voorwaarden zijn onduidelijk", "deskundig advies gekregen",
    "ze kwamen de afspraak niet na", "geen reactie op mijn mail", "ik heb {n} keer moeten bellen",
    "altijd goed bereikbaar", "helaas slecht bereikbaar", "de adviseur dacht goed met me mee",
    "niet klantvriendelijk", "mijn claim werd afgewezen zonder uitleg", "snel en correct",
    "ik ben al {n} jaar klant", "meneer {name} was zeer behulpzaam", "inloggen lukt vaak niet",
    "de prijs-kwaliteitverhouding is goed", "er wordt niet geluisterd", "super geregeld",
    "ik voel me een nummer", "keurig op tijd betaald", "de brief was verwarrend", "fijn contact",
    "onvriendelijke dame aan de lijn", "het duurde erg lang voordat ik antwoord kreeg",
    "goede verzekering voor een redelijke prijs", "de chat gaf geen antwoord op mijn vraag",
]
FRAGMENTS_EN = [
    "The staff were very friendly", "I waited too long on hold", "quick and helpful answer",
    "nobody called me back", "the app keeps crashing", "the premium is too expensive",
    "claim handled in {n} days", "clear explanation of my policy", "not helpful at all",
    "great service from {name}", "the website is confusing", "reasonable price",
]
OTHER = ["ok", "-", "top", "n.v.t.", "Sehr gut", "Très bien", "ja", "geen opmerkingen", "👍", "???"]
NAMES = ["Jansen", "de Vries", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "de Boer", "Bos", "Peters"]
CONNECTORS_NL = [", ", ". ", " en ", " maar ", ", want "]
CONNECTORS_EN = [", ", ". ", " and ", " but "]


def synthetic_comments(n: int, seed: int = 20161) -> list[str]:
    """Return `n` deterministic synthetic comments in the mix described above."""
    rng = random.Random(seed)
    comments = []
    for _ in range(n):
        draw = rng.random()
        if draw < 0.05:
            comments.append(rng.choice(OTHER))
            continue
        dutch = draw < 0.85
        fragments, connectors = (FRAGMENTS_NL, CONNECTORS_NL) if dutch else (FRAGMENTS_EN, CONNECTORS_EN)
        parts = []
        for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 3, 4))):
            fragment = rng.choice(fragments).format(n=rng.randint(2, 60), name=rng.choice(NAMES))
            if rng.random() < 0.1:  # a typo or an unusual word: new vocabulary for the caches
                word = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9)))
                fragment += " " + word
            parts.append(fragment)
        text = parts[0]
        for part in parts[1:]:
            text += rng.choice(connectors) + part
        comments.append(text[0].upper() + text[1:] + rng.choice((".", "!", "", ".")))
    return comments


def speed(n: int) -> float:
    """Print and return the seconds analyse() takes for `n` synthetic comments, models loaded in the time."""
    comments = synthetic_comments(n)
    start = time.perf_counter()
    count = sum(1 for _ in analyse(comments))
    cold = time.perf_counter() - start
    start = time.perf_counter()
    sum(1 for _ in analyse(comments))
    warm = time.perf_counter() - start
    print(
        f"Speed: analyse() of {count:,} synthetic comments {cold:.2f} s ({count / cold:,.0f}/s), loading "
        f"the language model, lemma dictionaries and lexicons included; again, all cached, {warm:.2f} s"
    )
    print(f"text_{n // 1000}k_s={cold:.2f}\n")
    return cold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=int, metavar="N", help="also time analyse() on N synthetic comments")
    args = parser.parse_args()
    if args.speed:
        speed(args.speed)  # first, so that its first call pays for loading the models
    ours, baseline = quality()
    print(
        f"RESULT text_quality sentiment_accuracy={ours['accuracy']:.3f} "
        f"sentiment_macro_f1={ours['macro_f1']:.3f} baseline_accuracy={baseline['accuracy']:.3f} "
        f"baseline_macro_f1={baseline['macro_f1']:.3f}"
    )


if __name__ == "__main__":
    main()
