"""Background jobs (``outsidein.jobs``) and what the taxonomy page does with them: the
comments are analysed again after a save, the page says so, and theme suggestions are
cached per wave and taxonomy."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache

from insights import jobs as insight_jobs
from insights.models import ResponseAnalysis
from insights.tests.test_views import _formset_data, build_world, url
from insights.text import default_taxonomy
from outsidein import jobs


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(org, make_member):
    return build_world(org, make_member, per_team=20)


# outsidein.jobs ---------------------------------------------------------------------------

def test_an_eager_job_runs_inline(settings):
    settings.JOBS_EAGER = True
    ran = []
    jobs.run_in_background(lambda value: ran.append((value, threading.current_thread())), 7)
    assert ran == [(7, threading.current_thread())]


def test_a_job_runs_after_commit_on_the_background_thread(settings, db,
                                                          django_capture_on_commit_callbacks):
    settings.JOBS_EAGER = False
    ran = []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        jobs.run_in_background(lambda value: ran.append((value, threading.current_thread().name)),
                               value=3)
    assert len(callbacks) == 1 and ran == []  # nothing before the commit
    callbacks[0]()
    jobs.jobs_wait(timeout=10)
    assert ran == [(3, ran[0][1])] and ran[0][1].startswith("background-job")


def test_a_failing_job_is_logged_and_the_next_one_still_runs(settings, db, caplog,
                                                             django_capture_on_commit_callbacks):
    settings.JOBS_EAGER = False
    ran = []

    def broken():
        raise RuntimeError("boom")

    with django_capture_on_commit_callbacks(execute=True):
        jobs.run_in_background(broken)
        jobs.run_in_background(ran.append, "after")
    jobs.jobs_wait(timeout=10)
    assert ran == ["after"]
    assert any("failed" in r.message and r.exc_info for r in caplog.records)


# Re-analysis after a taxonomy save ----------------------------------------------------------

def _parking_themes() -> list[dict]:
    return [*default_taxonomy()["themes"],
            {"key": "telefoon", "name": "Telefoon", "terms": ["telefoon"]}]


def test_saving_the_taxonomy_analyses_the_latest_waves_again(world, login):
    wave = world.waves[1]
    before = ResponseAnalysis.objects.filter(wave=wave, themes__icontains='"telefoon"').count()
    assert before == 0
    client = login(world.members["admin"])
    response = client.post(url("taxonomy"), _formset_data(_parking_themes()))
    assert response.status_code == 302
    for analysed in world.waves:  # the latest two waves
        assert ResponseAnalysis.objects.filter(
            wave=analysed, themes__icontains='"telefoon"').exists()
    status = insight_jobs.reanalysis_status(world.organisation)
    assert status.state == insight_jobs.DONE and status.waves == 2
    page = client.get(url("taxonomy")).content.decode()
    assert 'data-testid="reanalysis"' in page and 'class="notice done"' in page
    assert "hx-trigger" not in page.split('data-testid="reanalysis"')[1].split("</div>")[0]


def test_reset_and_adding_a_suggestion_analyse_again_too(world, login):
    client = login(world.members["admin"])
    client.post(url("taxonomy"), {"action": "add_suggestion", "name": "Telefoon",
                                  "terms": "telefoon"})
    assert ResponseAnalysis.objects.filter(themes__icontains='"telefoon"').exists()
    cache.clear()
    client.post(url("taxonomy"), {"action": "reset"})
    assert not ResponseAnalysis.objects.filter(themes__icontains='"telefoon"').exists()
    assert insight_jobs.reanalysis_status(world.organisation).state == insight_jobs.DONE


def test_a_running_reanalysis_is_shown_and_polled(world, login, settings,
                                                  django_capture_on_commit_callbacks):
    settings.JOBS_EAGER = False
    client = login(world.members["admin"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(url("taxonomy"), _formset_data(_parking_themes()))
    assert len(callbacks) == 1  # queued for after the commit, not run yet
    status = client.get(url("taxonomy") + "?status=1", HTTP_HX_REQUEST="true")
    assert status.templates[0].name == "insights/_reanalysis.html"
    html = status.content.decode()
    assert 'hx-trigger="every 3s"' in html and 'role="status"' in html
    # The job runs on the background thread; here it is run inline to finish the story.
    insight_jobs.comments_reanalyse(organisation_id=world.organisation.pk)
    done = client.get(url("taxonomy") + "?status=1").content.decode()
    assert "hx-trigger" not in done and "notice done" in done


def test_a_failed_reanalysis_is_shown(world, login, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("no")

    monkeypatch.setattr("insights.services.texts_analyse", broken)
    with pytest.raises(RuntimeError):
        insight_jobs.comments_reanalyse(organisation_id=world.organisation.pk)
    html = login(world.members["admin"]).get(url("taxonomy")).content.decode()
    assert "notice failed" in html


def test_without_a_save_the_page_says_nothing_about_reanalysis(world, login):
    html = login(world.members["admin"]).get(url("taxonomy")).content.decode()
    section = html.split('data-testid="reanalysis"')[1].split("</div>")[0]
    assert "notice" not in section


# Cached suggestions ------------------------------------------------------------------------

def test_theme_suggestions_are_cached_per_wave_and_taxonomy(world, login, monkeypatch):
    from insights import text

    calls = []
    real = text.suggest_themes

    def counting(comments, taxonomy, **kwargs):
        calls.append(len(list(comments)))
        return real(comments, taxonomy, **kwargs)

    monkeypatch.setattr(text, "suggest_themes", counting)
    client = login(world.members["admin"])
    for _ in range(2):
        response = client.get(url("taxonomy") + "?suggestions=1", HTTP_HX_REQUEST="true")
        assert response.status_code == 200
    assert len(calls) == 1
    # A different taxonomy is a different key: computed again.
    from insights.services import taxonomy_save

    taxonomy_save(organisation=world.organisation,
                  document={"themes": [{"key": "x", "name": "X", "terms": ["xyz"]}]})
    client.get(url("taxonomy") + "?suggestions=1", HTTP_HX_REQUEST="true")
    assert len(calls) == 2
