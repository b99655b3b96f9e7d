"""The computed wave figures are cached per (wave, aggregates version, threshold, unit
tree): every change that alters a figure must make the cached one unreachable."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from insights import selectors
from insights.services import aggregates_refresh, responses_changed, themes_refresh
from insights.tests._aggregates_world import build_tree, fill, make_wave
from org.models import Unit
from research.models import AttributeText, Response, Wave


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(org):
    root, units = build_tree(org)
    wave = make_wave(org, "Meting 1")
    fill(wave, {units["Noord 1"]: 40, units["Noord 2"]: 20, units["Zuid 1"]: 30})
    aggregates_refresh(wave=wave)
    return org, root, units, _fresh(wave)


def _fresh(wave):
    return Wave.objects.select_related("organisation").get(pk=wave.pk)


def _by_name(rows):
    return {r.name: r for r in rows}


def _aggregate_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries
            if "insights_unitwaveaggregate" in q["sql"] or "insights_themeaggregate" in q["sql"]]


def test_second_read_comes_from_the_cache(world):
    org, root, units, wave = world
    first = selectors.wave_insights(wave)
    with CaptureQueriesContext(connection) as captured:
        again = selectors.wave_insights(_fresh(wave))
    assert _aggregate_queries(captured) == []
    assert again == first


def test_refresh_invalidates_the_cached_figures(world):
    org, root, units, wave = world
    version = selectors.aggregates_version(wave)
    before = _by_name(selectors.unit_insights(wave))["Zuid 1"]
    fill(wave, {units["Zuid 1"]: 25}, seed=11)
    # Not refreshed yet: the stored aggregates (and so the figures) are unchanged.
    assert _by_name(selectors.unit_insights(_fresh(wave)))["Zuid 1"] == before
    aggregates_refresh(wave=wave, unit_ids=[units["Zuid 1"].pk])
    assert selectors.aggregates_version(wave) not in (None, version)
    after = _by_name(selectors.unit_insights(_fresh(wave)))["Zuid 1"]
    assert after.responses == before.responses + 25
    assert after.responses == Response.objects.filter(wave=wave, unit=units["Zuid 1"]).count()
    assert selectors.unit_drivers(_fresh(wave), units["Zuid 1"]).n > 0


def test_threshold_change_applies_without_a_refresh(world):
    org, root, units, wave = world
    assert not _by_name(selectors.unit_insights(wave))["Noord 2"].suppressed
    org.anonymity_threshold = 25
    org.save(update_fields=["anonymity_threshold"])
    assert _by_name(selectors.unit_insights(_fresh(wave)))["Noord 2"].suppressed


def test_unit_tree_changes_apply_without_a_refresh(world):
    org, root, units, wave = world
    selectors.unit_insights(wave)
    Unit.objects.filter(pk=units["Zuid 1"].pk).update(name="Zuid een")
    rows = _by_name(selectors.unit_insights(_fresh(wave)))
    assert "Zuid een" in rows and "Zuid 1" not in rows
    assert rows["Zuid een"].path.endswith("Zuid / Zuid een")


def test_theme_refresh_invalidates_the_cached_themes(world):
    org, root, units, wave = world
    assert selectors.unit_themes(wave, root) == []  # no comments analysed yet
    responses_changed(wave=wave)  # analyses the comments, refreshes the theme aggregates
    themes = selectors.unit_themes(_fresh(wave), root)
    assert themes and sum(t.count for t in themes) > 0
    version = selectors.aggregates_version(wave)
    themes_refresh(wave=wave)
    assert selectors.aggregates_version(wave) != version


def test_full_refresh_warms_the_cache_after_commit(world, django_capture_on_commit_callbacks):
    org, root, units, wave = world
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        aggregates_refresh(wave=wave)
    assert callbacks
    with CaptureQueriesContext(connection) as captured:
        selectors.wave_insights(_fresh(wave), themes=False)
    assert _aggregate_queries(captured) == []


def test_partial_refresh_does_not_warm(world, django_capture_on_commit_callbacks):
    org, root, units, wave = world
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        aggregates_refresh(wave=wave, unit_ids=[units["Noord 1"].pk])
    assert callbacks == []


def test_without_a_version_nothing_is_cached(world):
    org, root, units, wave = world
    from insights.models import AggregateVersion

    AggregateVersion.objects.filter(wave=wave).delete()
    selectors.unit_insights(wave)
    with CaptureQueriesContext(connection) as captured:
        selectors.unit_insights(_fresh(wave))
    assert _aggregate_queries(captured)


def test_filter_on_another_attribute_and_an_odd_key(world):
    org, root, units, wave = world
    Response.objects.filter(wave=wave, unit=units["Noord 1"]).update(
        attributes={"segment": "MKB", "kanaal-type": "telefoon", "odd key": "x"})
    rows = _by_name(selectors.filtered_unit_insights(wave, attributes={"kanaal-type": "telefoon"}))
    assert rows["Noord 1"].responses == 40
    assert rows["Zuid 1"].suppressed
    rows = _by_name(selectors.filtered_unit_insights(wave, attributes={"odd key": "x"}))
    assert rows["Noord 1"].responses == 40


def test_attribute_text_refuses_unsafe_keys():
    with pytest.raises(ValueError):
        AttributeText("segment') OR 1=1 --")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan; PostgreSQL picks by size")
def test_segment_filter_is_served_by_the_index(world):
    org, root, units, wave = world
    from insights.services import counted_responses

    query = (counted_responses(wave).alias(s=AttributeText("segment")).filter(s="MKB")
             .order_by().values_list("unit_id", "nps"))
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "response_wave_segment_idx" in plan
