"""The survey pages count answers (POSTs) per IP address on top of their own limits."""

import pytest
from django.urls import reverse

from research.models import Response
from research.services import wave_create, wave_public_link_issue, wave_set_status
from research.tests.survey_world import build_survey_world
from research.tests.test_survey import open_link, send, token_for


@pytest.fixture
def world(org, make_member):
    return build_survey_world(org, make_member)


def test_personal_survey_answers_are_limited_per_address(world, client, settings,
                                                          django_capture_on_commit_callbacks):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "survey": "3/600"}
    send(world, django_capture_on_commit_callbacks)
    form_url = open_link(client, token_for("anja@jansen.example"))
    save_url = reverse("survey:save", args=[world.wave.pk])
    statuses = [client.post(save_url, {"q-nps": "7"}, REMOTE_ADDR="192.0.2.10").status_code
                for _ in range(3)]
    assert 429 not in statuses
    refused = client.post(form_url, {"action": "submit", "q-nps": "9"}, REMOTE_ADDR="192.0.2.10")
    assert refused.status_code == 429 and refused["Retry-After"]
    assert not Response.objects.filter(wave=world.wave, nps=9).exists()
    # Reading the survey is not limited, and another address still answers.
    assert client.get(form_url, REMOTE_ADDR="192.0.2.10").status_code == 200
    assert client.post(save_url, {"q-nps": "8"}, REMOTE_ADDR="192.0.2.11").status_code != 429


def test_public_survey_answers_are_limited_per_address(world, client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "survey": "2/600"}
    wave = wave_create(organisation=world.org, actor=world.admin, name="Anoniem", is_anonymous=True)
    wave_set_status(wave=wave, status="open")
    url = reverse("survey:public", args=[wave_public_link_issue(wave=wave)])
    statuses = [client.post(url, {"q-nps": "9"}, REMOTE_ADDR="192.0.2.20").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert Response.objects.filter(wave=wave).count() == 2
