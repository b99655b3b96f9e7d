"""The journey map as a PDF (ReportLab, in the house style of ``reports.pdf``) and as a
PNG (drawn with Pillow), each with the emotion curve of ``journeys.figures``.

Both show the figures only (no quotes), so a file passed on never carries a comment
beyond what its reader could see; the map in the page shows the quotes.
"""

from __future__ import annotations

import io
from pathlib import Path

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from journeys.figures import CurveLayout
from journeys.selectors import JourneyMap

GOOD, BAD, INK, MUTED, LINE, BAND = "#17602e", "#b42318", "#1f2937", "#6b7280", "#d5dbe3", "#eef2f7"
BRAND_HEX = "#1f5fa8"
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation"))


def _percent(value: int | None) -> str:
    return "–" if value is None else f"{value}%"


def _net(value: int | None) -> str:
    return "–" if value is None else f"{value:+d}"


def _subtitle(journey_map: JourneyMap) -> str:
    parts = [date_format(timezone.localdate(), "j F Y")]
    if journey_map.wave is not None:
        parts.append(_("survey comments of %(wave)s") % {"wave": journey_map.wave.name})
    return " · ".join(parts)


# --- PDF -------------------------------------------------------------------------------------

def _curve_drawing(curve: CurveLayout, width_pt: float):
    """Return the emotion curve as a ReportLab drawing ``width_pt`` wide.

    Coordinates are scaled, text is not: labels keep a readable size however many
    touchpoints the curve holds.
    """
    from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, Rect, String
    from reportlab.lib import colors

    scale = width_pt / curve.width
    height = curve.height * scale + 12
    drawing = Drawing(width_pt, height)

    def sx(x: float) -> float:
        return x * scale

    def sy(y: float) -> float:  # the layout's y grows downwards, ReportLab's upwards
        return height - y * scale

    for band in curve.bands:
        if band.shaded:
            drawing.add(Rect(sx(band.x), sy(curve.bottom), sx(band.width),
                             sy(curve.top) - sy(curve.bottom) + 16, fillColor=colors.HexColor(BAND),
                             strokeColor=None))
        chars = max(6, int(sx(band.width) / 4.6))
        label = band.name if len(band.name) <= chars else band.name[:chars - 1] + "…"
        drawing.add(String(sx(band.middle), sy(curve.top) + 5, label, fontName="Helvetica-Bold",
                           fontSize=8, textAnchor="middle", fillColor=colors.HexColor(INK)))
    # "-": Helvetica's encoding has no U+2212 minus sign.
    for level, label in ((curve.top, "+100"), (curve.middle, "0"), (curve.bottom, "-100")):
        drawing.add(Line(sx(curve.left), sy(level), sx(curve.right), sy(level),
                         strokeColor=colors.HexColor(LINE),
                         strokeWidth=1.0 if level == curve.middle else 0.5))
        drawing.add(String(sx(curve.left) - 3, sy(level) - 2.5, label, fontName="Helvetica", fontSize=7,
                           textAnchor="end", fillColor=colors.HexColor(MUTED)))
    for run in curve.segments:
        drawing.add(PolyLine([c for x, y in run for c in (sx(x), sy(y))],
                             strokeColor=colors.HexColor(BRAND_HEX), strokeWidth=1.8))
    for point in curve.points:
        drawing.add(String(sx(point.x), sy(curve.bottom) - 11, str(point.number), fontName="Helvetica",
                           fontSize=8, textAnchor="middle", fillColor=colors.HexColor(INK)))
        if point.y is None:
            drawing.add(Circle(sx(point.x), sy(curve.middle), 2.2, fillColor=colors.white,
                               strokeColor=colors.HexColor(MUTED), strokeWidth=0.8))
            continue
        colour = colors.HexColor(GOOD if point.net_percent >= 0 else BAD)
        x, y = sx(point.x), sy(point.y)
        if point.moment_of_truth:
            r = 4.5
            drawing.add(Polygon([x, y + r, x + r, y, x, y - r, x - r, y], fillColor=colour,
                                strokeColor=colors.white, strokeWidth=0.8))
        else:
            drawing.add(Circle(x, y, 3, fillColor=colour, strokeColor=colors.white, strokeWidth=0.8))
    return drawing


def journey_pdf(journey_map: JourneyMap) -> bytes:
    """Return the journey map as an A4 PDF: the curve, then each stage's touchpoints."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm

    from reports.pdf import document, para, styles, table

    journey = journey_map.journey
    style = styles()
    story = [para(journey.name, style["title"]), para(_subtitle(journey_map), style["small"])]
    if journey.description:
        story.append(para(journey.description, style["body"]))
    story.append(para(_("Emotion curve"), style["h2"]))
    story.append(para(_("Net sentiment per touchpoint (share positive minus share negative of "
                        "all evidence); a diamond marks a moment of truth."), style["small"]))
    story.append(_curve_drawing(journey_map.curve, A4[0] - 36 * mm))
    header = ["#", _("Touchpoint"), _("Channel"), _("Owning unit"), _("Survey · arena · safari"),
              _("Positive"), _("Negative"), _("Net")]
    for column in journey_map.columns:
        story.append(para(column.stage.name, style["h2"]))
        if not column.touchpoints:
            story.append(para(_("No touchpoints yet."), style["small"]))
            continue
        rows = [header]
        for ev in column.touchpoints:
            tp, t = ev.touchpoint, ev.tally
            name = tp.name + (f" ({_('moment of truth')})" if tp.moment_of_truth else "")
            if ev.points:
                name += "\n" + ", ".join(p.reference for p in ev.points)
            rows.append([ev.number, name, tp.get_channel_display(), tp.unit.name if tp.unit else "–",
                         f"{t.survey} · {t.arena} · {t.safari}", _percent(t.percent_positive),
                         _percent(t.percent_negative), _net(t.net_percent)])
        story.append(table(rows, [7, 46, 17, 30, 28, 15, 16, 12], style))
    footer = f"{journey.organisation.name} · {journey.name} · Outside-In"
    return document(story, title=journey.name, subject=_("Customer journey"), footer=footer)


# --- PNG -------------------------------------------------------------------------------------

def _font(size: int, bold: bool = False):
    from PIL import ImageFont

    names = ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf") if bold else \
        ("DejaVuSans.ttf", "LiberationSans-Regular.ttf")
    for folder in FONT_DIRS:
        for name in names:
            if (folder / name).exists():
                return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size=size)


def _fit(draw, text: str, font, width: float) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def _wrap(draw, text: str, font, width: float, lines: int) -> list[str]:
    words, result, line = text.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) <= width:
            line = candidate
        else:
            if line:
                result.append(line)
            line = word
    if line:
        result.append(line)
    if len(result) > lines:
        result = result[:lines]
        result[-1] = _fit(draw, result[-1] + " …", font, width)
    return [_fit(draw, r, font, width) for r in result]


def journey_png(journey_map: JourneyMap) -> bytes:
    """Return the journey map as a PNG: title, emotion curve, and the stages as columns."""
    from PIL import Image, ImageDraw

    curve = journey_map.curve
    scale = 2.0
    column_w, gap, pad = 260, 16, 40
    columns = journey_map.columns
    box_h = 118
    width = int(max(curve.width * scale + 2 * pad, len(columns) * (column_w + gap) - gap + 2 * pad, 900))
    if columns:  # the stages share the width of the curve above them
        column_w = max(column_w, int((width - 2 * pad - (len(columns) - 1) * gap) / len(columns)))
    rows = max([len(c.touchpoints) for c in columns] + [1])
    curve_top = 120
    map_top = curve_top + int(curve.height * scale) + 40
    height = map_top + 44 + rows * (box_h + 12) + pad
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    title, small, bold = _font(30, True), _font(16), _font(18, True)

    draw.text((pad, 30), _fit(draw, journey_map.journey.name, title, width - 2 * pad), fill=INK, font=title)
    draw.text((pad, 74), _subtitle(journey_map), fill=MUTED, font=small)

    ox = (width - curve.width * scale) / 2

    def at(x: float, y: float) -> tuple[float, float]:
        return ox + x * scale, curve_top + y * scale

    for band in curve.bands:
        x0, y0 = at(band.x, curve.top - 26)
        x1, y1 = at(band.x + band.width, curve.bottom)
        if band.shaded:
            draw.rectangle((x0, y0, x1, y1), fill=BAND)
        label = _fit(draw, band.name, bold, x1 - x0 - 8)
        draw.text(((x0 + x1) / 2, y0 + 4), label, fill=INK, font=bold, anchor="ma")
    for level, label in ((curve.top, "+100"), (curve.middle, "0"), (curve.bottom, "−100")):
        x0, y0 = at(curve.left, level)
        x1, _y = at(curve.right, level)
        draw.line((x0, y0, x1, y0), fill=LINE, width=2 if level == curve.middle else 1)
        draw.text((x0 - 8, y0), label, fill=MUTED, font=small, anchor="rm")
    for run in curve.segments:
        if len(run) > 1:
            draw.line([at(x, y) for x, y in run], fill=BRAND_HEX, width=5, joint="curve")
    for point in curve.points:
        x, y_base = at(point.x, curve.bottom)
        draw.text((x, y_base + 10), str(point.number), fill=INK, font=small, anchor="ma")
        if point.y is None:
            continue
        cx, cy = at(point.x, point.y)
        colour = GOOD if point.net_percent >= 0 else BAD
        if point.moment_of_truth:
            r = 14
            draw.polygon([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)], fill=colour,
                         outline="white")
        else:
            draw.ellipse((cx - 9, cy - 9, cx + 9, cy + 9), fill=colour, outline="white", width=2)

    for i, column in enumerate(columns):
        x0 = pad + i * (column_w + gap)
        draw.rectangle((x0, map_top, x0 + column_w, map_top + 34), fill=BRAND_HEX)
        draw.text((x0 + 10, map_top + 17), _fit(draw, column.stage.name, bold, column_w - 20),
                  fill="white", font=bold, anchor="lm")
        for j, ev in enumerate(column.touchpoints):
            tp, t = ev.touchpoint, ev.tally
            top = map_top + 44 + j * (box_h + 12)
            outline = BAD if (t.net is not None and t.net < 0) else LINE
            draw.rounded_rectangle((x0, top, x0 + column_w, top + box_h), radius=8, fill="white",
                                   outline=outline, width=3 if tp.moment_of_truth else 1)
            name = f"{ev.number}. {tp.name}" + (" ◆" if tp.moment_of_truth else "")
            for k, line in enumerate(_wrap(draw, name, bold, column_w - 20, 2)):
                draw.text((x0 + 10, top + 8 + k * 22), line, fill=INK, font=bold)
            meta = tp.get_channel_display() + (f" · {tp.unit.name}" if tp.unit else "")
            draw.text((x0 + 10, top + 56), _fit(draw, meta, small, column_w - 20), fill=MUTED, font=small)
            counts = _("%(survey)d survey · %(arena)d arena · %(safari)d safari") % {
                "survey": t.survey, "arena": t.arena, "safari": t.safari}
            draw.text((x0 + 10, top + 76), _fit(draw, counts, small, column_w - 20), fill=INK, font=small)
            if t.volume:
                share = _("%(pos)s positive · %(neg)s negative") % {
                    "pos": _percent(t.percent_positive), "neg": _percent(t.percent_negative)}
                draw.text((x0 + 10, top + 95), _fit(draw, share, small, column_w - 20),
                          fill=BAD if t.net < 0 else GOOD, font=small)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
