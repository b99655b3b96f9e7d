"""Server-side SVG charts: one chart path for pages, PDF and PPTX. No Django import.

Every function returns an ``Svg`` string: a standalone ``<svg>`` with a ``viewBox``
(it scales to its container's width), ``role="img"`` with a ``<title>`` and ``<desc>``
for screen readers, text as ``<text>`` in the system font, and colour given by SVG
presentation attributes (``fill``, ``stroke``) — no ``style`` attributes, no scripts,
so it renders under a strict Content-Security-Policy. Every label is XML-escaped here;
callers pass plain strings, already translated (this module knows no language).

The layout is phone-first: a 360-unit-wide canvas with labels *above* their bar or
whisker, so the plot keeps the full width on a 360 px screen. ``Svg`` has
``__html__`` so Django templates print it as is without this module importing Django.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

WIDTH = 360
PAD = 12
FONT = "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif"

# Colours with at least 4.5:1 contrast on white (and white text on them).
INK = "#1d2433"
MUTED = "#566074"
GRID = "#b8c0cc"
ZERO = "#1d2433"
PROMOTER = "#1c7c3a"
PASSIVE = "#5f6b7a"
DETRACTOR = "#b3261e"
BRAND = "#0b5cad"
BAND = "#cfe0f3"
POSITIVE, NEUTRAL, NEGATIVE = PROMOTER, PASSIVE, DETRACTOR
QUADRANT_COLOURS = {"strength": PROMOTER, "improvement": DETRACTOR,
                    "maintain": BRAND, "monitor": PASSIVE}
MINUS = "\u2212"


class Svg(str):
    """An SVG document as a string; templates print it unescaped (it escapes its labels)."""

    def __html__(self) -> str:
        return str(self)


# --- Inputs -------------------------------------------------------------------------------

@dataclass(frozen=True)
class NpsRow:
    """One unit in an NPS chart; ``nps`` None (or ``hidden``) shows the hidden message."""

    label: str
    nps: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    hidden: bool = False
    href: str | None = None


@dataclass(frozen=True)
class TrendPoint:
    """The NPS of one wave, for the trend chart; ``nps`` None leaves a gap."""

    label: str
    nps: float | None
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class DriverPoint:
    """A driver in the importance × performance matrix; ``quadrant`` as in insights.drivers."""

    label: str
    importance: float
    performance: float
    quadrant: str = ""


@dataclass(frozen=True)
class ThemeBar:
    """A theme's volume and mean sentiment (−1…1) for the theme bar chart."""

    label: str
    count: int
    sentiment: float | None = None
    href: str | None = None


# --- Helpers ------------------------------------------------------------------------------

def _text(value: object) -> str:
    return escape(str(value))


def _attr(value: object) -> str:
    return quoteattr(str(value))


def number(value: float | None, decimals: int = 0, *, decimal_mark: str = ".",
           signed: bool = False) -> str:
    """Format a number for a chart label: real minus sign, chosen decimal mark."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    rounded = round(float(value), decimals)
    if rounded == 0:
        rounded = 0.0  # no "−0"
    text = f"{abs(rounded):.{decimals}f}".replace(".", decimal_mark)
    if rounded < 0:
        return MINUS + text
    return ("+" + text) if signed and rounded > 0 else text


def _clip(label: str, limit: int) -> str:
    label = str(label)
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _text_width(text: str, size: float) -> float:
    """Estimate the rendered width of ``text`` (system sans-serif averages ~0.6 em; err wide)."""
    return len(str(text)) * size * 0.62


def _fit(label: str, available: float, size: float) -> str:
    """Shorten ``label`` with an ellipsis so it fits ``available`` units at ``size``."""
    return _clip(label, max(4, int(available / (size * 0.64))))


def _short_labels(labels: Sequence[str]) -> list[str]:
    """Drop the words every label starts with ("Klantonderzoek voorjaar 2026", "Klantonderzoek
    najaar 2026" → "voorjaar 2026", "najaar 2026"), when every label keeps a real name."""
    words = [str(label).split() for label in labels]
    if len(words) < 2:
        return [str(label) for label in labels]
    common = 0
    while all(len(w) > common + 1 for w in words) and len({w[common] for w in words}) == 1:
        common += 1
    short = [" ".join(w[common:]) for w in words]
    if any(len(label) < 4 or label.isdigit() for label in short):
        return [str(label) for label in labels]  # "Noord 1" → "1" would say too little
    return short


def _fmt(value: float) -> str:
    """Format a coordinate compactly."""
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _chart_id(kind: str, *parts: object) -> str:
    digest = hashlib.sha1(repr((kind, parts)).encode("utf-8")).hexdigest()[:10]
    return f"chart-{kind}-{digest}"


class _Canvas:
    """Collects SVG elements; ``render`` wraps them with the accessible header."""

    def __init__(self, kind: str, title: str, desc: str, height: float, key: object):
        self.kind = kind
        self.title = title
        self.desc = desc
        self.height = height
        self.id = _chart_id(kind, title, desc, key)
        self.parts: list[str] = []

    def add(self, element: str) -> None:
        self.parts.append(element)

    def text(self, x: float, y: float, content: str, *, size: int = 14, anchor: str = "start",
             fill: str = INK, weight: str | None = None, extra: str = "") -> None:
        attrs = f'x="{_fmt(x)}" y="{_fmt(y)}" font-size="{size}" fill="{fill}"'
        if anchor != "start":
            attrs += f' text-anchor="{anchor}"'
        if weight:
            attrs += f' font-weight="{weight}"'
        self.add(f"<text {attrs}{extra}>{_text(content)}</text>")

    def line(self, x1, y1, x2, y2, *, stroke=GRID, width=1.0, dash: str | None = None,
             extra: str = "") -> None:
        attrs = (f'x1="{_fmt(x1)}" y1="{_fmt(y1)}" x2="{_fmt(x2)}" y2="{_fmt(y2)}" '
                 f'stroke="{stroke}" stroke-width="{_fmt(width)}"')
        if dash:
            attrs += f' stroke-dasharray="{dash}"'
        self.add(f"<line {attrs}{extra}/>")

    def rect(self, x, y, w, h, *, fill: str, extra: str = "", tooltip: str | None = None) -> None:
        head = (f'<rect x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(max(w, 0))}" '
                f'height="{_fmt(h)}" fill="{fill}"{extra}')
        self.add(f"{head}><title>{_text(tooltip)}</title></rect>" if tooltip else f"{head}/>")

    def circle(self, cx, cy, r, *, fill: str, stroke: str = "#fff", extra: str = "") -> None:
        self.add(f'<circle cx="{_fmt(cx)}" cy="{_fmt(cy)}" r="{_fmt(r)}" fill="{fill}" '
                 f'stroke="{stroke}" stroke-width="1.5"{extra}/>')

    def open_link(self, href: str | None) -> None:
        if href:
            self.add(f"<a href={_attr(href)}>")

    def close_link(self, href: str | None) -> None:
        if href:
            self.add("</a>")

    def render(self) -> Svg:
        height = _fmt(math.ceil(self.height))
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
            f'width="{WIDTH}" height="{height}" role="img" '
            f'aria-labelledby="{self.id}-title {self.id}-desc" class="chart chart-{self.kind}" '
            f'font-family={_attr(FONT)}>'
            f'<title id="{self.id}-title">{_text(self.title)}</title>'
            f'<desc id="{self.id}-desc">{_text(self.desc)}</desc>'
        )
        return Svg(head + "".join(self.parts) + "</svg>")


def _empty(kind: str, title: str, message: str) -> Svg:
    canvas = _Canvas(kind, title, message, 48, ())
    canvas.text(PAD, 30, message, fill=MUTED)
    return canvas.render()


def _legend(canvas: _Canvas, y: float, items: Sequence[tuple[str, str]]) -> float:
    """Draw colour swatches with labels from left to right, wrapping; return the next y."""
    x = PAD
    for colour, label in items:
        width = 18 + 7.2 * len(label) + 14
        if x + width > WIDTH - PAD and x > PAD:
            x = PAD
            y += 20
        canvas.rect(x, y - 11, 12, 12, fill=colour)
        canvas.text(x + 17, y, label, size=13)
        x += width
    return y + 14


# --- NPS with its 95% interval, per unit --------------------------------------------------

def _nps_x(value: float, left: float, right: float) -> float:
    value = max(-100.0, min(100.0, float(value)))
    return left + (value + 100.0) / 200.0 * (right - left)


def nps_interval_chart(rows: Sequence[NpsRow], *, title: str, desc: str | None = None,
                       hidden_text: str = "Too few responses to show",
                       value_text: str = "NPS {nps} (n = {n})", decimal_mark: str = ".") -> Svg:
    """Draw each unit's NPS as a dot with its 95% interval on a −100…100 scale with a zero line.

    ``value_text`` is a format string with ``{nps}``, ``{low}``, ``{high}`` and ``{n}``.
    Hidden units show ``hidden_text`` where the interval would be.
    """
    if not rows:
        return _empty("nps", title, hidden_text)
    left, right = PAD + 4, WIDTH - PAD - 4
    top, row_h = 34, 46
    height = top + row_h * len(rows) + 6
    summary = []
    for row in rows:
        if row.hidden or row.nps is None:
            summary.append(f"{row.label}: {hidden_text}")
        else:
            summary.append(f"{row.label}: {number(row.nps, decimal_mark=decimal_mark)} "
                           f"({number(row.ci_low, decimal_mark=decimal_mark)} – "
                           f"{number(row.ci_high, decimal_mark=decimal_mark)})")
    canvas = _Canvas("nps", title, desc or "; ".join(summary), height, rows)
    # Scale along the top, grid lines through every row.
    for tick in (-100, -50, 0, 50, 100):
        x = _nps_x(tick, left, right)
        anchor = "start" if tick == -100 else "end" if tick == 100 else "middle"
        canvas.text(x, 16, number(tick), size=13, anchor=anchor, fill=MUTED)
        if tick:
            canvas.line(x, 22, x, height - 4, stroke=GRID, dash="2 3")
    zero = _nps_x(0, left, right)
    canvas.line(zero, 22, zero, height - 4, stroke=ZERO, width=1.5)
    # Siblings often share their parent's name ("Particulier Klantbehoud", ...): drop it.
    names = _short_labels([row.label for row in rows])
    for index, row in enumerate(rows):
        y = top + index * row_h
        canvas.open_link(row.href)
        canvas.add(f'<g class="row" data-label={_attr(row.label)}>')
        if row.hidden or row.nps is None:
            value = hidden_text
        else:
            low = row.nps if row.ci_low is None else row.ci_low
            high = row.nps if row.ci_high is None else row.ci_high
            value = value_text.format(nps=number(row.nps, decimal_mark=decimal_mark),
                                      low=number(low, decimal_mark=decimal_mark),
                                      high=number(high, decimal_mark=decimal_mark), n=row.n)
        canvas.text(left, y + 14, _fit(names[index], right - left - _text_width(value, 13) - 12, 15),
                    size=15, weight="600", fill=BRAND if row.href else INK)
        canvas.text(right, y + 14, value, size=13, anchor="end", fill=MUTED)
        if not (row.hidden or row.nps is None):
            cy = y + 30
            x_low, x_high = _nps_x(low, left, right), _nps_x(high, left, right)
            canvas.line(x_low, cy, x_high, cy, stroke=BRAND, width=3,
                        extra=' class="interval"')
            canvas.line(x_low, cy - 6, x_low, cy + 6, stroke=BRAND, width=2)
            canvas.line(x_high, cy - 6, x_high, cy + 6, stroke=BRAND, width=2)
            colour = PROMOTER if row.nps > 0 else DETRACTOR if row.nps < 0 else PASSIVE
            canvas.circle(_nps_x(row.nps, left, right), cy, 6, fill=colour,
                          extra=f' class="estimate" data-value="{_fmt(round(row.nps, 1))}"')
        canvas.add("</g>")
        canvas.close_link(row.href)
    return canvas.render()


# --- Promoters, passives and detractors as stacked bars -----------------------------------

def nps_mix_chart(rows: Sequence[NpsRow], *, title: str, desc: str | None = None,
                  labels: tuple[str, str, str] = ("Promoters", "Passives", "Detractors"),
                  hidden_text: str = "Too few responses to show") -> Svg:
    """Draw each unit's shares of promoters, passives and detractors as a 100% bar."""
    if not rows:
        return _empty("mix", title, hidden_text)
    left, right = PAD, WIDTH - PAD
    canvas_rows = []
    summary = []
    for row in rows:
        total = row.promoters + row.passives + row.detractors
        shown = not row.hidden and total > 0
        canvas_rows.append((row, total, shown))
        if shown:
            parts = [f"{label} {round(100 * count / total)}%" for label, count in
                     zip(labels, (row.promoters, row.passives, row.detractors), strict=True)]
            summary.append(f"{row.label}: " + ", ".join(parts))
        else:
            summary.append(f"{row.label}: {hidden_text}")
    top, row_h = 40, 44
    height = top + row_h * len(rows) + 4
    canvas = _Canvas("mix", title, desc or "; ".join(summary), height, rows)
    # Order on screen: detractors left, then passives, then promoters (reads like the scale).
    colours = (DETRACTOR, PASSIVE, PROMOTER)
    _legend(canvas, 18, [(colour, label) for colour, label in
                         zip(colours, (labels[2], labels[1], labels[0]), strict=True)])
    names = _short_labels([row.label for row in rows])
    for index, (row, total, shown) in enumerate(canvas_rows):
        y = top + index * row_h
        canvas.open_link(row.href)
        canvas.add(f'<g class="row" data-label={_attr(row.label)}>')
        value = "" if shown else hidden_text
        canvas.text(left, y + 14, _fit(names[index], right - left - _text_width(value, 13) - 12, 15),
                    size=15, weight="600", fill=BRAND if row.href else INK)
        if not shown:
            canvas.text(right, y + 14, hidden_text, size=13, anchor="end", fill=MUTED)
            canvas.rect(left, y + 20, right - left, 18, fill="#eef0f4")
        else:
            x = left
            for count, colour, label in zip((row.detractors, row.passives, row.promoters),
                                            colours, (labels[2], labels[1], labels[0]),
                                            strict=True):
                width = (right - left) * count / total
                if width <= 0:
                    continue
                share = round(100 * count / total)
                canvas.rect(x, y + 20, width, 18, fill=colour, extra=' class="segment"',
                            tooltip=f"{label}: {share}%")
                if width >= 34:
                    canvas.text(x + width / 2, y + 34, f"{share}%", size=12, anchor="middle",
                                fill="#fff", weight="600")
                x += width
        canvas.add("</g>")
        canvas.close_link(row.href)
    return canvas.render()


# --- NPS over waves -----------------------------------------------------------------------

def nps_trend_chart(points: Sequence[TrendPoint], *, title: str, desc: str | None = None,
                    empty_text: str = "No earlier waves", decimal_mark: str = ".") -> Svg:
    """Draw NPS per wave, oldest first, as a line with its 95% interval as a band."""
    known = [p for p in points if p.nps is not None]
    if not known:
        return _empty("trend", title, empty_text)
    lows = [p.ci_low if p.ci_low is not None else p.nps for p in known]
    highs = [p.ci_high if p.ci_high is not None else p.nps for p in known]
    lo = max(-100.0, math.floor((min(lows) - 5) / 10) * 10)
    hi = min(100.0, math.ceil((max(highs) + 5) / 10) * 10)
    if lo <= 0 <= hi or abs(lo) < 20 or abs(hi) < 20:
        lo, hi = min(lo, 0.0), max(hi, 0.0)  # keep the zero line in view when it is near
    if hi - lo < 20:
        hi = min(100.0, lo + 20)
        lo = hi - 20
    left, right, top, bottom = PAD + 34, WIDTH - PAD - 8, 14, 200
    height = bottom + 40

    def y_of(value: float) -> float:
        return bottom - (float(value) - lo) / (hi - lo) * (bottom - top)

    count = len(points)

    def x_of(index: int) -> float:
        if count == 1:
            return (left + right) / 2
        return left + index * (right - left) / (count - 1)

    summary = "; ".join(f"{p.label}: {number(p.nps, decimal_mark=decimal_mark)}" for p in points)
    canvas = _Canvas("trend", title, desc or summary, height, points)
    step = 10 if hi - lo <= 60 else 25 if hi - lo <= 120 else 50
    tick = math.ceil(lo / step) * step
    while tick <= hi:
        y = y_of(tick)
        canvas.line(left, y, right, y, stroke=ZERO if tick == 0 else GRID,
                    width=1.5 if tick == 0 else 1, dash=None if tick == 0 else "2 3")
        canvas.text(left - 6, y + 4, number(tick), size=13, anchor="end", fill=MUTED)
        tick += step
    # The interval band, drawn per run of consecutive known waves.
    runs: list[list[int]] = [[]]
    for index, point in enumerate(points):
        if point.nps is None:
            runs.append([])
        else:
            runs[-1].append(index)
    for run in runs:
        if len(run) < 2:
            continue
        upper = [(x_of(i), y_of(points[i].ci_high if points[i].ci_high is not None
                                 else points[i].nps)) for i in run]
        lower = [(x_of(i), y_of(points[i].ci_low if points[i].ci_low is not None
                                 else points[i].nps)) for i in reversed(run)]
        coords = " ".join(f"{_fmt(round(x, 1))},{_fmt(round(y, 1))}" for x, y in upper + lower)
        canvas.add(f'<polygon points="{coords}" fill="{BAND}" class="band"/>')
        line = " ".join(f"{_fmt(round(x_of(i), 1))},{_fmt(round(y_of(points[i].nps), 1))}"
                        for i in run)
        canvas.add(f'<polyline points="{line}" fill="none" stroke="{BRAND}" '
                   f'stroke-width="2.5" class="line"/>')
    labels = _short_labels([p.label for p in points])
    label_limit = max(5, int((right - left + 40) / max(count, 1) / (13 * 0.6)))
    for index, point in enumerate(points):
        x = x_of(index)
        anchor = "middle"
        if count > 1 and index == 0:
            anchor = "start" if x - left < 30 else "middle"
        if count > 1 and index == count - 1:
            anchor = "end"
        canvas.text(x, bottom + 20, _clip(labels[index], label_limit), size=13, anchor=anchor,
                    fill=MUTED)
        if point.nps is None:
            continue
        if point.ci_low is not None and point.ci_high is not None:
            canvas.line(x, y_of(point.ci_low), x, y_of(point.ci_high), stroke=BRAND, width=1.5)
        y = y_of(point.nps)
        canvas.circle(x, y, 5.5, fill=BRAND,
                      extra=f' class="estimate" data-value="{_fmt(round(point.nps, 1))}"')
        canvas.text(x, y - 10, number(point.nps, decimal_mark=decimal_mark), size=14,
                    anchor="end" if count > 1 and index == count - 1 else "middle",
                    weight="700")
    return canvas.render()


# --- Drivers: importance × performance ----------------------------------------------------

DEFAULT_QUADRANT_NAMES = {"strength": "Strengths", "improvement": "Improvement points",
                          "maintain": "Maintain", "monitor": "Monitor"}


def driver_quadrant_chart(drivers: Sequence[DriverPoint], *, title: str, desc: str | None = None,
                          quadrant_names: Mapping[str, str] | None = None,
                          importance_label: str = "Importance",
                          performance_label: str = "Performance",
                          importance_cut: float | None = None,
                          performance_cut: float | None = None,
                          empty_text: str = "Too few responses to show",
                          performance_decimals: int = 1, decimal_mark: str = ".") -> Svg:
    """Place drivers by performance (x) and importance (y), split at the cut points.

    Top right are the strengths (important and good), top left the improvement
    points (important, not good). The cuts default to the drivers' means, as in
    ``insights.drivers.classify_drivers``; pass them to match another cut.
    """
    if not drivers:
        return _empty("drivers", title, empty_text)
    names = {**DEFAULT_QUADRANT_NAMES, **(quadrant_names or {})}
    imps = [float(d.importance) for d in drivers]
    perfs = [float(d.performance) for d in drivers]
    imp_cut = sum(imps) / len(imps) if importance_cut is None else float(importance_cut)
    perf_cut = sum(perfs) / len(perfs) if performance_cut is None else float(performance_cut)
    p_lo, p_hi = min(perfs + [perf_cut]), max(perfs + [perf_cut])
    spread = max(p_hi - p_lo, 0.2)
    p_lo, p_hi = p_lo - 0.12 * spread, p_hi + 0.12 * spread
    i_min, i_max = min(imps + [imp_cut]), max(imps + [imp_cut])
    i_spread = max(i_max - i_min, 0.05 * max(abs(i_max), 1e-9))
    i_lo = max(0.0, i_min - 0.2 * i_spread)
    i_hi = i_max + 0.3 * i_spread
    left, right, top, bottom = PAD + 6, WIDTH - PAD, 34, 318
    height = bottom + 44

    def x_of(value: float) -> float:
        return left + (value - p_lo) / (p_hi - p_lo) * (right - left)

    def y_of(value: float) -> float:
        return bottom - (value - i_lo) / (i_hi - i_lo) * (bottom - top)

    summary = "; ".join(
        f"{d.label}: {names.get(d.quadrant, d.quadrant)}" if d.quadrant else d.label
        for d in drivers)
    canvas = _Canvas("drivers", title, desc or summary, height, drivers)
    cx, cy = x_of(perf_cut), y_of(imp_cut)
    # Quadrant tints: the two important quadrants carry the message.
    canvas.rect(cx, top, right - cx, cy - top, fill="#eaf5ee")
    canvas.rect(left, top, cx - left, cy - top, fill="#fbeceb")
    canvas.add(f'<rect x="{_fmt(left)}" y="{_fmt(top)}" width="{_fmt(right - left)}" '
               f'height="{_fmt(bottom - top)}" fill="none" stroke="{GRID}"/>')
    canvas.line(cx, top, cx, bottom, stroke=MUTED, dash="4 3")
    canvas.line(left, cy, right, cy, stroke=MUTED, dash="4 3")
    canvas.text(right - 4, top + 16, names["strength"], size=14, anchor="end", fill=PROMOTER,
                weight="700", extra=' class="quadrant-name"')
    canvas.text(left + 4, top + 16, names["improvement"], size=14, fill=DETRACTOR,
                weight="700", extra=' class="quadrant-name"')
    canvas.text(right - 4, bottom - 6, names["maintain"], size=13, anchor="end", fill=MUTED,
                extra=' class="quadrant-name"')
    canvas.text(left + 4, bottom - 6, names["monitor"], size=13, fill=MUTED,
                extra=' class="quadrant-name"')
    # Axes titles and the performance range.
    canvas.text((left + right) / 2, bottom + 36, f"{performance_label} →", size=13,
                anchor="middle", fill=MUTED)
    canvas.text(left, bottom + 18, number(p_lo, performance_decimals, decimal_mark=decimal_mark),
                size=12, fill=MUTED)
    canvas.text(right, bottom + 18, number(p_hi, performance_decimals, decimal_mark=decimal_mark),
                size=12, anchor="end", fill=MUTED)
    canvas.text(left, top - 10, f"↑ {importance_label}", size=13, fill=MUTED)
    # Points first, then labels: each label takes the first place around its point
    # (right, left, above, below, then diagonals) that overlaps no other label or point.
    points = [(x_of(perfs[i]), y_of(imps[i])) for i in range(len(drivers))]
    order = sorted(range(len(drivers)), key=lambda i: -imps[i])
    for index in order:
        driver = drivers[index]
        x, y = points[index]
        colour = QUADRANT_COLOURS.get(driver.quadrant, BRAND)
        canvas.circle(x, y, 6, fill=colour,
                      extra=f' class="driver" data-performance="{perfs[index]:.4g}" '
                            f'data-importance="{imps[index]:.4g}"')
    placed: list[tuple[float, float, float, float]] = [(px - 7, py - 7, 14, 14) for px, py in points]
    for index in order:
        x, y = points[index]
        label = _clip(drivers[index].label, 22)
        width, height_ = _text_width(label, 13) + 2, 15
        box, anchor, lx, ly = _place_label(x, y, width, height_, placed,
                                           (left + 2, top + 20, right - 2, bottom - 2))
        placed.append(box)
        canvas.text(lx, ly, label, size=13, anchor=anchor, extra=' class="driver-label"')
    return canvas.render()


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return width * height if width > 0 and height > 0 else 0.0


def _place_label(x: float, y: float, width: float, height: float,
                 placed: list[tuple[float, float, float, float]],
                 bounds: tuple[float, float, float, float]):
    """Return (box, text-anchor, text x, baseline y) of the least crowded spot near (x, y)."""
    gap = 9
    candidates = [  # (box left, box top, anchor, text x)
        (x + gap, y - height / 2, "start", x + gap),
        (x - gap - width, y - height / 2, "end", x - gap),
        (x - width / 2, y - gap - height, "middle", x),
        (x - width / 2, y + gap, "middle", x),
        (x + gap, y - height - 4, "start", x + gap),
        (x + gap, y + 4, "start", x + gap),
        (x - gap - width, y - height - 4, "end", x - gap),
        (x - gap - width, y + 4, "end", x - gap),
    ]
    best = None
    for rank, (bx, by, anchor, tx) in enumerate(candidates):
        box = (bx, by, width, height)
        outside = (max(0.0, bounds[0] - bx) + max(0.0, bx + width - bounds[2])
                   + max(0.0, bounds[1] - by) + max(0.0, by + height - bounds[3]))
        cost = sum(_overlap(box, other) for other in placed) + 50 * outside + rank * 0.01
        if best is None or cost < best[0]:
            best = (cost, box, anchor, tx, by + height - 3)
        if cost < 1:
            break
    _, box, anchor, tx, baseline = best
    return box, anchor, tx, baseline


# --- Themes -------------------------------------------------------------------------------

def sentiment_colour(value: float | None) -> str:
    if value is None:
        return NEUTRAL
    if value > 0.05:
        return POSITIVE
    if value < -0.05:
        return NEGATIVE
    return NEUTRAL


def theme_bar_chart(themes: Sequence[ThemeBar], *, title: str, desc: str | None = None,
                    legend: tuple[str, str, str] = ("Positive", "Neutral", "Negative"),
                    value_text: str = "{count} · {sentiment}",
                    empty_text: str = "No comments on themes", decimal_mark: str = ".",
                    caption: str | None = None) -> Svg:
    """Draw each theme's number of comments as a bar coloured by its mean sentiment.

    ``value_text`` formats ``{count}`` and ``{sentiment}`` (signed, two decimals);
    ``caption`` (e.g. "comments · mean sentiment") explains it under the legend.
    """
    if not themes:
        return _empty("themes", title, empty_text)
    left, right = PAD, WIDTH - PAD
    top, row_h = (58 if caption else 40), 42
    height = top + row_h * len(themes)
    most = max((t.count for t in themes), default=0) or 1

    def sentiment_text(value: float | None) -> str:
        return number(value, 2, decimal_mark=decimal_mark, signed=True)

    summary = "; ".join(
        f"{t.label}: " + value_text.format(count=t.count, sentiment=sentiment_text(t.sentiment))
        for t in themes)
    canvas = _Canvas("themes", title, desc or summary, height, themes)
    _legend(canvas, 18, list(zip((POSITIVE, NEUTRAL, NEGATIVE), legend, strict=True)))
    if caption:
        canvas.text(left, 40, caption, size=13, fill=MUTED)
    for index, theme in enumerate(themes):
        y = top + index * row_h
        canvas.open_link(theme.href)
        canvas.add(f'<g class="row" data-label={_attr(theme.label)}>')
        value = value_text.format(count=theme.count, sentiment=sentiment_text(theme.sentiment))
        canvas.text(left, y + 13, _fit(theme.label, right - left - _text_width(value, 13) - 12, 15),
                    size=15, weight="600", fill=BRAND if theme.href else INK)
        canvas.text(right, y + 13, value, size=13, anchor="end", fill=MUTED)
        canvas.rect(left, y + 19, (right - left) * theme.count / most, 14,
                    fill=sentiment_colour(theme.sentiment),
                    extra=f' class="bar" data-count="{int(theme.count)}"')
        canvas.add("</g>")
        canvas.close_link(theme.href)
    return canvas.render()


__all__ = [
    "DriverPoint",
    "NpsRow",
    "Svg",
    "ThemeBar",
    "TrendPoint",
    "driver_quadrant_chart",
    "nps_interval_chart",
    "nps_mix_chart",
    "nps_trend_chart",
    "number",
    "sentiment_colour",
    "theme_bar_chart",
]
