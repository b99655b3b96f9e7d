"""The SVG charts: well-formed, accessible, CSP-safe, escaped, and drawn to scale."""

import xml.etree.ElementTree as ET

import pytest

from insights.charts import (
    WIDTH,
    DriverPoint,
    NpsRow,
    Svg,
    ThemeBar,
    TrendPoint,
    driver_quadrant_chart,
    nps_interval_chart,
    nps_mix_chart,
    nps_trend_chart,
    number,
    theme_bar_chart,
)

NS = "{http://www.w3.org/2000/svg}"
NASTY = 'Team <script>alert("x")</script> & "Zakelijk"'


def parse(svg: str) -> ET.Element:
    try:
        from defusedxml.ElementTree import fromstring
    except ImportError:  # defusedxml is optional; the standard parser is fine for our own output
        fromstring = ET.fromstring
    return fromstring(svg)


def all_charts():
    rows = [
        NpsRow(NASTY, nps=20, ci_low=10, ci_high=30, n=120, promoters=50, passives=44,
               detractors=26, href="/o/acme/insights/units/1/?wave=2&x=<y>"),
        NpsRow("Regio Noord", nps=-15, ci_low=-30, ci_high=0, n=60, promoters=10, passives=31,
               detractors=19),
        NpsRow("Team Klein", hidden=True),
    ]
    return [
        nps_interval_chart(rows, title=NASTY),
        nps_mix_chart(rows, title="Mix"),
        nps_trend_chart([TrendPoint("2023", 5, 0, 10), TrendPoint(NASTY, 12, 7, 17)],
                        title="Trend"),
        driver_quadrant_chart([DriverPoint(NASTY, 0.2, 7.5, "strength"),
                               DriverPoint("Prijs", 0.05, 6.0, "monitor")], title="Drivers"),
        theme_bar_chart([ThemeBar(NASTY, 10, -0.5), ThemeBar("Prijs", 5, 0.3)], title="Themes"),
    ]


@pytest.mark.parametrize("index", range(5))
def test_every_chart_is_valid_accessible_svg_without_scripts_or_styles(index):
    svg = all_charts()[index]
    assert isinstance(svg, Svg) and svg.__html__() == str(svg)
    root = parse(svg)
    assert root.tag == NS + "svg"
    assert root.get("role") == "img"
    assert root.get("viewBox", "").startswith(f"0 0 {WIDTH} ")
    title, desc = root.find(NS + "title"), root.find(NS + "desc")
    assert title is not None and title.text and desc is not None and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    for element in root.iter():
        assert element.tag not in (NS + "script", NS + "style", NS + "foreignObject")
        assert "style" not in element.attrib
        assert not any(name.startswith("on") for name in element.attrib)
    assert "<script" not in svg


def test_labels_are_escaped_and_come_back_intact():
    for svg in all_charts():
        assert "<script>" not in svg and "&lt;script&gt;" in svg
        root = parse(svg)  # would fail on an unescaped "<" or "&"
        texts = [el.text or "" for el in root.iter() if el.tag in (NS + "title", NS + "desc")]
        assert any(NASTY in text for text in texts)


def test_links_are_escaped_attributes():
    svg = all_charts()[0]
    links = [el for el in parse(svg).iter(NS + "a")]
    assert links and links[0].get("href") == "/o/acme/insights/units/1/?wave=2&x=<y>"


def test_nps_positions_grow_with_the_score_and_the_interval_surrounds_the_dot():
    scores = [-80, -20, 0, 35, 90]
    rows = [NpsRow(f"U{s}", nps=s, ci_low=s - 5, ci_high=s + 5, n=50) for s in scores]
    root = parse(nps_interval_chart(rows, title="NPS"))
    dots = [float(c.get("cx")) for c in root.iter(NS + "circle") if c.get("class") == "estimate"]
    assert dots == sorted(dots) and len(set(dots)) == len(dots)
    intervals = [el for el in root.iter(NS + "line") if el.get("class") == "interval"]
    for dot, line in zip(dots, intervals, strict=True):
        assert float(line.get("x1")) < dot < float(line.get("x2"))
    # the zero line sits in the middle of the −100…100 scale
    zero = [el for el in root.iter(NS + "line") if el.get("stroke-width") == "1.5"][0]
    assert abs(float(zero.get("x1")) - WIDTH / 2) < 1


def test_hidden_and_empty_units_show_the_same_message():
    root = parse(nps_interval_chart(
        [NpsRow("Verborgen", nps=40, n=3, hidden=True), NpsRow("Leeg")], title="NPS",
        hidden_text="Te weinig reacties om te tonen"))
    rows = [g for g in root.iter(NS + "g") if g.get("class") == "row"]
    shown = [[t.text for t in g.iter(NS + "text")][1:] for g in rows]
    assert shown[0] == shown[1] == ["Te weinig reacties om te tonen"]
    assert not [c for c in root.iter(NS + "circle")]


def test_mix_segments_are_proportional():
    root = parse(nps_mix_chart([NpsRow("A", promoters=50, passives=30, detractors=20)],
                               title="Mix"))
    widths = [float(r.get("width")) for r in root.iter(NS + "rect") if r.get("class") == "segment"]
    assert len(widths) == 3
    detractors, passives, promoters = widths
    assert promoters / detractors == pytest.approx(2.5)
    assert passives / detractors == pytest.approx(1.5)


def test_trend_points_rise_with_the_score_and_move_right_with_time():
    root = parse(nps_trend_chart([TrendPoint("a", -10), TrendPoint("b", 5),
                                  TrendPoint("c", 30)], title="Trend"))
    dots = [c for c in root.iter(NS + "circle") if c.get("class") == "estimate"]
    xs = [float(c.get("cx")) for c in dots]
    ys = [float(c.get("cy")) for c in dots]
    assert xs == sorted(xs)
    assert ys == sorted(ys, reverse=True)  # higher NPS is drawn higher (smaller y)


def test_trend_without_data_says_so():
    svg = nps_trend_chart([TrendPoint("a", None)], title="Trend", empty_text="Geen eerdere metingen")
    assert "Geen eerdere metingen" in svg
    parse(svg)


def test_quadrant_places_strengths_top_right_and_names_the_quadrants():
    drivers = [DriverPoint("Sterk", 0.3, 8.0, "strength"),
               DriverPoint("Zwak", 0.3, 6.0, "improvement"),
               DriverPoint("Rustig", 0.05, 8.0, "maintain"),
               DriverPoint("Laag", 0.05, 6.0, "monitor")]
    svg = driver_quadrant_chart(drivers, title="Drivers", quadrant_names={
        "strength": "Sterktes", "improvement": "Verbeterpunten"})
    root = parse(svg)
    circles = [c for c in root.iter(NS + "circle") if c.get("class") == "driver"]
    by_perf_imp = {(float(c.get("data-performance")), float(c.get("data-importance"))):
                   (float(c.get("cx")), float(c.get("cy"))) for c in circles}
    strong, weak = by_perf_imp[(8.0, 0.3)], by_perf_imp[(6.0, 0.3)]
    calm, low = by_perf_imp[(8.0, 0.05)], by_perf_imp[(6.0, 0.05)]
    assert strong[0] > weak[0] and calm[0] > low[0]  # performance grows to the right
    assert strong[1] < calm[1] and weak[1] < low[1]  # importance grows upwards
    names = [t.text for t in root.iter(NS + "text") if t.get("class") == "quadrant-name"]
    assert "Sterktes" in names and "Verbeterpunten" in names


def test_theme_bars_are_proportional_and_coloured_by_sentiment():
    root = parse(theme_bar_chart([ThemeBar("Wachttijd", 40, -0.6), ThemeBar("Prijs", 10, 0.4),
                                  ThemeBar("Overig", 20, 0.0)], title="Themes"))
    bars = [r for r in root.iter(NS + "rect") if r.get("class") == "bar"]
    widths = [float(b.get("width")) for b in bars]
    assert widths[0] / widths[1] == pytest.approx(4)
    assert [b.get("fill") for b in bars] == ["#b3261e", "#1c7c3a", "#5f6b7a"]


def test_empty_inputs_render_a_message_not_an_error():
    for svg in (nps_interval_chart([], title="x", hidden_text="Niets"),
                nps_mix_chart([], title="x", hidden_text="Niets"),
                driver_quadrant_chart([], title="x", empty_text="Niets"),
                theme_bar_chart([], title="x", empty_text="Niets")):
        assert "Niets" in svg
        parse(svg)


def test_number_uses_a_real_minus_and_the_chosen_decimal_mark():
    assert number(-12.4) == "\u221212"
    assert number(-0.2) == "0"
    assert number(7.25, 1, decimal_mark=",") == "7,2" or number(7.25, 1, decimal_mark=",") == "7,3"
    assert number(0.31, 2, signed=True) == "+0.31"
    assert number(None) == "–"


def test_long_labels_are_shortened_so_they_do_not_run_into_the_value():
    root = parse(nps_interval_chart([NpsRow("Een heel lange naam van een team " * 3, nps=10,
                                            ci_low=0, ci_high=20, n=100)], title="NPS"))
    label = [t.text for t in root.iter(NS + "text") if t.get("font-weight") == "600"][0]
    assert label.endswith("…") and len(label) < 30


def test_a_name_all_siblings_start_with_is_dropped_from_their_labels():
    rows = [NpsRow("Particulier Klantbehoud", nps=1, n=10), NpsRow("Particulier Polisbeheer", nps=2, n=10)]
    root = parse(nps_interval_chart(rows, title="NPS"))
    labels = [t.text for t in root.iter(NS + "text") if t.get("font-weight") == "600"]
    assert labels == ["Klantbehoud", "Polisbeheer"]
    assert [g.get("data-label") for g in root.iter(NS + "g")] == [r.label for r in rows]


def test_a_shared_name_stays_when_the_rest_would_say_too_little():
    rows = [NpsRow("Noord 1", nps=1, n=10), NpsRow("Noord 2", nps=2, n=10)]
    root = parse(nps_interval_chart(rows, title="NPS"))
    labels = [t.text for t in root.iter(NS + "text") if t.get("font-weight") == "600"]
    assert labels == ["Noord 1", "Noord 2"]
