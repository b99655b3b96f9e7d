import numpy as np
import pytest

from insights.models import ResponseAnalysis, ThemeAggregate, UnitWaveAggregate
from insights.services import aggregates_refresh, responses_changed, texts_analyse
from insights.tests._aggregates_world import build_tree, fill, make_wave, naive
from insights.text import analyse
from research.models import Response
from research.services import Answers, response_record


@pytest.fixture
def world(org):
    root, units = build_tree(org)
    wave = make_wave(org, "Meting 1")
    counts = {units["Noord 1"]: 60, units["Noord 2"]: 40, units["Noord klein"]: 3,
              units["Zuid 1"]: 45, units["Zuid"]: 6, None: 4}
    fill(wave, counts)
    return org, root, units, wave


def _keys(wave):
    questions = list(wave.questions.all())
    drivers = [q.key for q in questions if q.kind == "driver"]
    ratings = [q.key for q in questions if q.kind in ("driver", "core_value")]
    competitors = [q.subject for q in questions if q.kind == "competitor"]
    return drivers, ratings, competitors


def test_aggregates_equal_a_naive_computation_per_unit(world):
    org, root, units, wave = world
    written = aggregates_refresh(wave=wave)
    drivers, ratings, competitors = _keys(wave)
    assert written == 6  # five units with responses, and the block without a unit
    for aggregate in UnitWaveAggregate.objects.filter(wave=wave):
        responses = list(Response.objects.filter(wave=wave, unit_id=aggregate.unit_id))
        expected = naive(responses, driver_keys=drivers, rating_keys=ratings,
                         competitor_names=competitors)
        assert aggregate.organisation_id == org.pk
        assert aggregate.n_responses == expected["n"]
        assert aggregate.nps_counts == expected["nps_counts"]
        assert aggregate.driver_keys == drivers
        assert aggregate.n_complete == expected["n_complete"]
        assert np.allclose(aggregate.driver_sums, expected["sums"])
        assert np.allclose(aggregate.driver_cross_products, expected["cross"])
        assert aggregate.competitors == expected["competitors"]
        for key in ratings:
            got, want = aggregate.ratings[key], expected["ratings"][key]
            assert got["n"] == want["n"] and got["counts"] == want["counts"]
            assert got["sum"] == pytest.approx(want["sum"])
            assert got["sumsq"] == pytest.approx(want["sumsq"])
        for key in drivers:
            promoters = [r.scores[key] for r in responses if key in r.scores and r.nps is not None
                         and r.nps >= 9]
            detractors = [r.scores[key] for r in responses if key in r.scores and r.nps is not None
                          and r.nps <= 6]
            got = aggregate.promotership[key]
            assert got["pn"] == len(promoters) and got["dn"] == len(detractors)
            assert got["psum"] == pytest.approx(sum(promoters))
            assert got["dsq"] == pytest.approx(sum(v * v for v in detractors))


def test_partial_refresh_replaces_only_the_given_units(world):
    org, root, units, wave = world
    aggregates_refresh(wave=wave)
    before = {a.unit_id: a.pk for a in UnitWaveAggregate.objects.filter(wave=wave)}
    Response.objects.filter(wave=wave, unit=units["Noord 2"]).update(nps=10)
    aggregates_refresh(wave=wave, unit_ids=[units["Noord 2"].pk])
    after = {a.unit_id: a for a in UnitWaveAggregate.objects.filter(wave=wave)}
    assert after[units["Noord 2"].pk].nps_counts[10] == 40
    assert after[units["Noord 1"].pk].pk == before[units["Noord 1"].pk]


def test_partial_responses_do_not_count(world):
    org, root, units, wave = world
    response_record(wave=wave, answers=Answers(nps=0), unit=units["Zuid 1"], submit=False)
    aggregates_refresh(wave=wave)
    assert UnitWaveAggregate.objects.get(wave=wave, unit=units["Zuid 1"]).n_responses == 45


def test_texts_analyse_stores_analyses_and_counts_themes(world):
    org, root, units, wave = world
    analysed = texts_analyse(wave=wave)
    with_text = Response.objects.filter(wave=wave).exclude(comment="", improvement="")
    assert analysed == with_text.count() == ResponseAnalysis.objects.filter(wave=wave).count()
    team = units["Noord 1"]
    expected: dict[str, int] = {}
    for comment, improvement in with_text.filter(unit=team).values_list("comment", "improvement"):
        a, b = analyse([comment, improvement])
        for theme in set(a.themes) | set(b.themes):
            expected[theme] = expected.get(theme, 0) + 1
    got = dict(ThemeAggregate.objects.filter(wave=wave, unit=team).values_list("theme", "count"))
    assert got == expected and got


def test_reanalysis_keeps_the_voice_of_the_customer_mark(world):
    org, root, units, wave = world
    texts_analyse(wave=wave)
    analysis = ResponseAnalysis.objects.filter(wave=wave).first()
    analysis.is_voice = True
    analysis.save()
    texts_analyse(wave=wave, response_ids=[analysis.response_id])
    analysis.refresh_from_db()
    assert analysis.is_voice


def test_responses_changed_refreshes_only_the_responses_units(world):
    org, root, units, wave = world
    responses_changed(wave=wave)
    response = Response.objects.filter(wave=wave, unit=units["Zuid 1"]).first()
    Response.objects.filter(pk=response.pk).update(comment="Vreselijk lange wachttijd.")
    responses_changed(wave=wave, response_ids=[response.pk])
    assert "wachttijd" in ResponseAnalysis.objects.get(response=response).themes


def test_response_record_refreshes_the_unit_after_commit(world, django_capture_on_commit_callbacks):
    org, root, units, wave = world
    responses_changed(wave=wave)
    with django_capture_on_commit_callbacks(execute=True):
        response_record(wave=wave, answers=Answers(nps=2, comment="Slecht bereikbaar."),
                        unit=units["Zuid 1"])
    aggregate = UnitWaveAggregate.objects.get(wave=wave, unit=units["Zuid 1"])
    assert aggregate.n_responses == 46
    assert ThemeAggregate.objects.filter(wave=wave, unit=units["Zuid 1"],
                                         theme="bereikbaarheid").exists()
