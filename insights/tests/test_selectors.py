import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from insights import selectors
from insights.services import aggregates_refresh, responses_changed
from insights.stats import nps_change_test, nps_summary
from insights.suppression import Suppression, UnitCount, find_disclosures
from insights.tests._aggregates_world import build_tree, fill, make_customers, make_wave
from org.models import Unit
from org.services import unit_create
from research.models import Response, Wave
from research.services import Answers, response_record


@pytest.fixture
def world(org):
    root, units = build_tree(org)
    wave = make_wave(org, "Meting 1")
    counts = {units["Noord 1"]: 60, units["Noord 2"]: 40, units["Noord klein"]: 3,
              units["Zuid 1"]: 45, units["Zuid"]: 6}
    fill(wave, counts)
    aggregates_refresh(wave=wave)
    return org, root, units, Wave.objects.select_related("organisation").get(pk=wave.pk)


def _by_name(rows):
    return {r.name: r for r in rows}


def _subtree_counts(wave, unit):
    nps = list(Response.objects.filter(wave=wave, unit__path__startswith=unit.path)
               .values_list("nps", flat=True))
    return (sum(v >= 9 for v in nps), sum(7 <= v <= 8 for v in nps), sum(v <= 6 for v in nps))


def test_unit_insights_sum_each_subtree(world):
    org, root, units, wave = world
    rows = _by_name(selectors.unit_insights(wave))
    for unit in (root, units["Noord 1"], units["Zuid"]):
        row = rows[unit.name]
        pro, pas, det = _subtree_counts(wave, unit)
        expected = nps_summary(pro, pas, det)
        assert (row.promoters, row.passives, row.detractors) == (pro, pas, det)
        assert row.nps == pytest.approx(expected.nps)
        assert row.ci_low == pytest.approx(expected.ci_low)
        assert not row.suppressed
    assert rows["Zuid 1"].path == f"{root.name} / Zuid / Zuid 1"
    assert rows["Zuid 1"].level == "operational"


def test_small_unit_shows_nothing_and_cannot_be_derived(world):
    org, root, units, wave = world
    rows = selectors.unit_insights(wave)
    small = _by_name(rows)["Noord klein"]
    assert small.suppressed
    assert all(getattr(small, f) is None for f in ("n", "promoters", "passives", "detractors",
                                                   "nps", "ci_low", "ci_high", "change"))
    # Noord = Noord 1 + Noord 2 + Noord klein: with Noord and both big teams shown,
    # subtraction would give Noord klein away; the suppression must prevent that.
    noord = _by_name(rows)
    assert not (not noord["Noord"].suppressed and not noord["Noord 1"].suppressed
                and not noord["Noord 2"].suppressed)
    counts = []
    for unit in Unit.objects.filter(organisation=org):
        n = Response.objects.filter(wave=wave, unit__path__startswith=unit.path).count()
        own = Response.objects.filter(wave=wave, unit=unit).count()
        parent = Unit.objects.get_parent(unit) if unit.depth > 1 else None
        counts.append(UnitCount(unit.pk, parent.pk if parent else None, n, own))
    hidden = frozenset(r.unit_id for r in rows if r.suppressed)
    assert find_disclosures(counts, Suppression(hidden=hidden, hidden_own=hidden),
                            threshold=org.anonymity_threshold) == []


def test_empty_unit_looks_like_a_hidden_one(world):
    org, root, units, wave = world
    unit_create(organisation=org, parent=units["Zuid"], name="Zuid leeg")
    rows = _by_name(selectors.unit_insights(wave))
    assert rows["Zuid leeg"].suppressed and rows["Zuid leeg"].n is None


def test_change_is_given_only_where_significant(org):
    root, units = build_tree(org)
    first = make_wave(org, "Meting 1")
    first.period_start = "2025-01-01"
    first.save()
    fill(first, {units["Noord 1"]: 150, units["Zuid 1"]: 150}, seed=1, nps_shift=-3)
    second = make_wave(org, "Meting 2")
    second.period_start = "2025-06-01"
    second.save()
    fill(second, {units["Noord 1"]: 150}, seed=2, nps_shift=3)
    fill(second, {units["Zuid 1"]: 150}, seed=1, nps_shift=-3)
    for wave in (first, second):
        aggregates_refresh(wave=wave)
    rows = _by_name(selectors.unit_insights(Wave.objects.get(pk=second.pk)))
    before = nps_summary(*_subtree_counts(first, units["Noord 1"]))
    after = nps_summary(*_subtree_counts(second, units["Noord 1"]))
    test = nps_change_test(before, after)
    assert test.significant
    assert rows["Noord 1"].change_significant
    assert rows["Noord 1"].change == pytest.approx(test.change)
    assert rows["Noord 1"].previous_nps == pytest.approx(before.nps)
    assert rows["Zuid 1"].change is None and not rows["Zuid 1"].change_significant


def test_drivers_recover_a_known_structure(org):
    root, units = build_tree(org)
    wave = make_wave(org, "Meting 1", with_extras=False)
    keys = [q.key for q in wave.questions.filter(kind="driver")]
    rng = random.Random(3)
    for _ in range(200):
        scores = {k: rng.randint(1, 10) for k in keys}
        # Only the first driver drives the score; the first performs well, the second poorly.
        scores[keys[0]] = rng.randint(6, 10)
        scores[keys[1]] = rng.randint(1, 5)
        nps = max(0, min(10, scores[keys[0]] + rng.choice([-1, 0, 0, 1])))
        response_record(wave=wave, answers=Answers(nps=nps, scores=scores), unit=units["Noord 1"])
    aggregates_refresh(wave=wave)
    analysis = selectors.unit_drivers(wave, units["Noord 1"])
    assert analysis.n == 200
    weights = {d.key: d for d in analysis.drivers}
    assert sum(d.importance for d in analysis.drivers) == pytest.approx(analysis.r_squared)
    assert max(weights.values(), key=lambda d: d.importance).key == keys[0]
    assert weights[keys[0]].importance > 0.5
    assert weights[keys[0]].quadrant == "strength"
    assert weights[keys[0]] in analysis.strengths
    assert weights[keys[1]].mean < 5.5
    assert selectors.unit_drivers(wave, units["Zuid 1"]) is None  # no responses


def test_core_values_competitors_and_promotership(world):
    org, root, units, wave = world
    values = selectors.unit_core_values(wave, units["Noord 1"])
    assert [v.name for v in values] == ["Betrokken"]
    assert values[0].score.gap == pytest.approx(values[0].score.score - 10)
    assert values[0].score.gap_to_parent is not None
    competitors = selectors.unit_competitors(wave, root)
    assert competitors[0].name == "Rivaal" and competitors[0].n > 0
    contrasts = selectors.unit_promotership(wave, root)
    assert len(contrasts) == 6 and all(c.difference > 0 for c in contrasts)
    assert selectors.unit_core_values(wave, units["Noord klein"]) == []


def test_unit_themes_sum_the_subtree_and_give_impact(world):
    org, root, units, wave = world
    responses_changed(wave=wave)
    themes = selectors.unit_themes(wave, root)
    assert themes
    total = selectors.unit_insight(wave, root)
    for theme in themes:
        assert theme.count >= org.anonymity_threshold
        assert -1 <= theme.sentiment <= 1
        mentioning = [r for r in Response.objects.filter(wave=wave, analysis__isnull=False)
                      if theme.key in r.analysis.themes] if theme is themes[0] else None
        if mentioning is not None:
            assert theme.count == len(mentioning)
            rest = [r.nps for r in Response.objects.filter(wave=wave)
                    .exclude(pk__in=[r.pk for r in mentioning])]
            rest_nps = 100 * (sum(v >= 9 for v in rest) - sum(v <= 6 for v in rest)) / len(rest)
            assert theme.impact == pytest.approx(rest_nps - total.nps)
    assert selectors.unit_themes(wave, units["Noord klein"]) == []


def test_filtered_view_hides_what_the_unfiltered_view_would_reveal(world):
    org, root, units, wave = world
    rows = _by_name(selectors.filtered_unit_insights(wave, segment="MKB"))
    mkb = Response.objects.filter(wave=wave, unit=units["Noord 1"], attributes__segment="MKB")
    if not rows["Noord 1"].suppressed:
        assert rows["Noord 1"].responses == mkb.count()
    assert rows["Noord klein"].suppressed
    subtree = _by_name(selectors.filtered_unit_insights(wave, units["Zuid"], segment="MKB"))
    assert set(subtree) == {"Zuid", "Zuid 1"}


def test_unit_insights_query_count_does_not_grow_with_units(world):
    org, root, units, wave = world
    with CaptureQueriesContext(connection) as few:
        selectors.unit_insights(wave)
    for i in range(5):
        team = unit_create(organisation=org, parent=units["Zuid"], name=f"Extra {i}")
        fill(wave, {Unit.objects.get(pk=team.pk): 6}, seed=i)
    aggregates_refresh(wave=wave)
    with CaptureQueriesContext(connection) as many:
        rows = selectors.unit_insights(wave)
    assert len(rows) == Unit.objects.filter(organisation=org).count()
    assert len(many) == len(few) <= 5


def test_wave_insights_gives_everything_in_constant_queries(world, django_assert_max_num_queries):
    org, root, units, wave = world
    with django_assert_max_num_queries(8):
        result = selectors.wave_insights(wave)
    assert len(result.units) == 7


def test_customer_groups_put_detractors_first_with_trend(org, make_member):
    root, units = build_tree(org)
    owner = make_member(org, unit=units["Noord 1"])
    customers = make_customers(org, units["Noord 1"], 3)
    customers[0].account_owner = owner
    customers[0].save()
    first = make_wave(org, "Meting 1", with_extras=False)
    first.period_start = "2025-01-01"
    first.save()
    second = make_wave(org, "Meting 2", with_extras=False)
    second.period_start = "2025-06-01"
    second.save()
    response_record(wave=first, answers=Answers(nps=9), customer=customers[0])
    response_record(wave=second, answers=Answers(nps=3, comment="Teleurgesteld."),
                    customer=customers[0])
    response_record(wave=second, answers=Answers(nps=10), customer=customers[1])
    groups = selectors.customer_groups(Wave.objects.get(pk=second.pk), units["Noord"])
    rows = [(c.name, c.latest_nps, c.previous_nps, c.trend, c.nps_group, c.latest_comment)
            for c in groups]
    assert rows == [
        (customers[0].name, 3, 9, -6, "detractor", "Teleurgesteld."),
        (customers[1].name, 10, None, None, "promoter", None),
    ]
    mine = selectors.customer_groups(second, owner=owner)
    assert [c.pk for c in mine] == [customers[0].pk]
    assert [c.pk for c in selectors.customer_groups(second, group="promoter")] == [customers[1].pk]
