"""A partial save (the survey's autosave) of a response never submitted changes no insight
figure, so it schedules no refresh; a submission, and a later correction of it, do."""

from unittest import mock

import pytest

from research.services import Answers, response_record
from research.tests.survey_world import build_survey_world


@pytest.fixture
def world(org, make_member):
    return build_survey_world(org, make_member)


def record(world, response=None, *, submit: bool, nps: int = 8):
    return response_record(wave=world.wave, answers=Answers(nps=nps), source="survey",
                           contact=world.contacts[0], submit=submit, response=response)


@pytest.fixture
def refreshes():
    with mock.patch("insights.services.responses_changed") as changed:
        yield changed


def test_partial_saves_of_an_unsubmitted_response_refresh_no_insights(
        world, refreshes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = record(world, submit=False)
    with django_capture_on_commit_callbacks(execute=True):
        record(world, response, submit=False, nps=9)
    assert refreshes.call_count == 0


def test_a_submission_and_its_correction_refresh_the_insights(
        world, refreshes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = record(world, submit=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = record(world, response, submit=True)
    assert refreshes.call_count == 1
    with django_capture_on_commit_callbacks(execute=True):
        record(world, response, submit=False, nps=3)  # it leaves the counted ones: a change too
    assert refreshes.call_count == 2
    assert [c.kwargs["response_ids"] for c in refreshes.call_args_list] == [[response.pk]] * 2


def test_a_submission_refreshes_the_insights_off_the_request(
        world, refreshes, django_capture_on_commit_callbacks):
    """The customer's request only hands the refresh to the background thread."""
    with mock.patch("insights.services.run_in_background") as background, \
            django_capture_on_commit_callbacks(execute=True):
        record(world, submit=True)
    assert background.call_count == 1 and refreshes.call_count == 0
    background.call_args.args[0]()  # what the background thread runs
    assert refreshes.call_count == 1
