"""Sentiment and volume of a touchpoint's evidence, and the emotion curve's geometry.

Plain Python, no Django: ``journeys.selectors`` gathers the evidence, these functions
count it and lay the curve out, and the page, the PDF and the PNG draw what they return.

Each piece of evidence counts once, with one sentiment:

* a survey comment: positive above ``POSITIVE_ABOVE``, negative below ``NEGATIVE_BELOW``
  (the thresholds of ``insights.text.sentiment``), neutral between;
* an arena statement: the sentiment it was tagged with ("positive", "negative"), neutral
  when untagged;
* a safari visit: positive when only "what went well" was noted, negative when only
  "what went wrong" was, neutral when both or neither (its advice and quotes are shown,
  not counted).

The *net sentiment* of a touchpoint is (positive − negative) / volume, from −1 to 1;
it is ``None`` without evidence, and such a touchpoint leaves a gap in the curve.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

SOURCES = ("survey", "arena", "safari")
POSITIVE, NEGATIVE, NEUTRAL = "positive", "negative", "neutral"


@dataclass(frozen=True)
class Tally:
    """How much evidence a touchpoint has per source, and how positive it is."""

    survey: int = 0
    arena: int = 0
    safari: int = 0
    positive: int = 0
    negative: int = 0

    @property
    def volume(self) -> int:
        return self.survey + self.arena + self.safari

    @property
    def neutral(self) -> int:
        return self.volume - self.positive - self.negative

    @property
    def share_positive(self) -> float | None:
        return self.positive / self.volume if self.volume else None

    @property
    def share_negative(self) -> float | None:
        return self.negative / self.volume if self.volume else None

    @property
    def net(self) -> float | None:
        return (self.positive - self.negative) / self.volume if self.volume else None

    @property
    def percent_positive(self) -> int | None:
        return None if self.share_positive is None else round(100 * self.share_positive)

    @property
    def percent_negative(self) -> int | None:
        return None if self.share_negative is None else round(100 * self.share_negative)

    @property
    def negative_bar_start(self) -> int:
        """Where the negative share starts on a 0–100 bar that ends with it."""
        return 100 - (self.percent_negative or 0)

    @property
    def net_percent(self) -> int | None:
        """The net sentiment as a whole number from −100 to 100 (for people)."""
        return None if self.net is None else round(100 * self.net)

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.survey + other.survey, self.arena + other.arena,
                     self.safari + other.safari, self.positive + other.positive,
                     self.negative + other.negative)


def tally(pieces: Iterable[tuple[str, str, int]]) -> Tally:
    """Count ``(source, sentiment, count)`` triples into a ``Tally``."""
    counts = dict.fromkeys(SOURCES, 0)
    positive = negative = 0
    for source, sentiment, count in pieces:
        if source not in counts:
            raise ValueError(f"Unknown evidence source {source!r}.")
        counts[source] += count
        if sentiment == POSITIVE:
            positive += count
        elif sentiment == NEGATIVE:
            negative += count
    return Tally(counts["survey"], counts["arena"], counts["safari"], positive, negative)


def visit_sentiment(went_well: str, went_wrong: str) -> str:
    """Return the sentiment one safari visit counts with (see the module docstring)."""
    well, wrong = bool(went_well.strip()), bool(went_wrong.strip())
    if well and not wrong:
        return POSITIVE
    if wrong and not well:
        return NEGATIVE
    return NEUTRAL


# --- The emotion curve -----------------------------------------------------------------------

@dataclass(frozen=True)
class CurveInput:
    """One touchpoint as the curve needs it."""

    label: str
    net: float | None
    moment_of_truth: bool
    stage: int  # index of its stage


@dataclass(frozen=True)
class CurvePoint:
    number: int  # 1-based, as the map numbers its touchpoints
    label: str
    x: float
    y: float | None  # None: no evidence, no dot
    net_percent: int | None
    moment_of_truth: bool


@dataclass(frozen=True)
class StageBand:
    name: str
    x: float
    width: float
    middle: float
    shaded: bool

    @property
    def chars(self) -> int:
        """How many characters of the stage's name fit over the band (at 12 px)."""
        return max(6, int(self.width / 7.2))


@dataclass(frozen=True)
class CurveLayout:
    """Everything drawn, in the drawing's own units (y grows downwards)."""

    width: float
    height: float
    top: float  # y of net +1
    middle: float  # y of net 0
    bottom: float  # y of net −1
    left: float
    right: float
    points: list[CurvePoint]
    bands: list[StageBand]
    segments: list[list[tuple[float, float]]] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return any(p.y is not None for p in self.points)

    @property
    def paths(self) -> list[str]:
        """SVG path data of each unbroken run of the line ("M x y L x y ...")."""
        return ["M " + " L ".join(f"{x:.1f} {y:.1f}" for x, y in run) for run in self.segments]


def curve_layout(items: Sequence[CurveInput], stage_names: Sequence[str], *, step: float = 112,
                 height: float = 260, margin: float = 56, min_width: float = 640) -> CurveLayout:
    """Lay the touchpoints out left to right, one ``step`` apart, net sentiment upwards.

    The line runs through consecutive touchpoints with evidence; a touchpoint without
    evidence breaks it, so the curve never suggests a feeling nobody reported.
    """
    top, bottom = 34.0, height - 44.0
    middle = (top + bottom) / 2
    inner = max(step * max(len(items), 1), min_width - 2 * margin)
    width = inner + 2 * margin
    left, right = margin, margin + inner
    offset = (inner - step * len(items)) / 2
    points: list[CurvePoint] = []
    for i, item in enumerate(items):
        x = left + offset + step * (i + 0.5)
        y = None if item.net is None else middle - max(-1.0, min(1.0, item.net)) * (middle - top)
        points.append(CurvePoint(i + 1, item.label, x, y,
                                 None if item.net is None else round(100 * item.net),
                                 item.moment_of_truth))
    bands: list[StageBand] = []
    for s, name in enumerate(stage_names):
        members = [p for p, item in zip(points, items, strict=True) if item.stage == s]
        if not members:
            continue
        x0, x1 = members[0].x - step / 2, members[-1].x + step / 2
        bands.append(StageBand(name, x0, x1 - x0, (x0 + x1) / 2, len(bands) % 2 == 0))
    segments: list[list[tuple[float, float]]] = []
    run: list[tuple[float, float]] = []
    for point in points:
        if point.y is None:
            if run:
                segments.append(run)
            run = []
        else:
            run.append((point.x, point.y))
    if run:
        segments.append(run)
    return CurveLayout(width, height, top, middle, bottom, left, right, points, bands, segments)
