"""The responses of a wave: filters, pagination and columns."""

import pytest
from django.urls import reverse

from accounts.models import Role
from org.models import Level, UnitKind
from org.services import customer_create, unit_create
from research.models import WaveStatus
from research.services import Answers, response_record, wave_create

pytestmark = pytest.mark.django_db


def url(name, org, **kwargs):
    return reverse(f"research:{name}", kwargs={"org": org.slug, **kwargs})


@pytest.fixture
def setting(org):
    root = org.units.get(depth=1)
    region = unit_create(organisation=org, parent=root, name="Regio Noord", kind=UnitKind.REGION,
                         level=Level.TACTICAL)
    team = unit_create(organisation=org, parent=region, name="Team Assen", kind=UnitKind.TEAM,
                       level=Level.OPERATIONAL)
    other = unit_create(organisation=org, parent=root, name="Regio Zuid", kind=UnitKind.REGION,
                        level=Level.TACTICAL)
    wave = wave_create(organisation=org, actor=None, name="Meting")
    wave.status = WaveStatus.OPEN
    wave.save(update_fields=["status"])
    jansen = customer_create(organisation=org, name="Bakkerij Jansen", customer_number="K1",
                             unit=team)
    response_record(wave=wave, customer=jansen, answers=Answers(nps=10, comment="Top service"))
    response_record(wave=wave, unit=other, answers=Answers(nps=8))
    response_record(wave=wave, unit=region, answers=Answers(nps=2, comment="Nooit bereikbaar"))
    return wave, region, other


@pytest.fixture
def mclient(org, make_member, login):
    return login(make_member(org, Role.MANAGER))


def names(response):
    return sorted(r.nps for r in response.context["page"].object_list)


def test_response_list_shows_customer_unit_score_and_comment(org, mclient, setting):
    wave, _region, _other = setting
    response = mclient.get(url("response_list", org, pk=wave.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Bakkerij Jansen" in content and "Team Assen" in content and "Top service" in content
    assert names(response) == [2, 8, 10]
    # Managers may look, not export.
    assert url("response_export", org, pk=wave.pk) not in content


@pytest.mark.parametrize("query,expected", [
    ({"group": "promoter"}, [10]),
    ({"group": "passive"}, [8]),
    ({"group": "detractor"}, [2]),
    ({"has_comment": "on"}, [2, 10]),
    ({"q": "bereikbaar"}, [2]),
])
def test_response_filters(org, mclient, setting, query, expected):
    wave, _region, _other = setting
    assert names(mclient.get(url("response_list", org, pk=wave.pk), query)) == expected


def test_unit_filter_includes_the_units_subtree(org, mclient, setting):
    wave, region, other = setting
    assert names(mclient.get(url("response_list", org, pk=wave.pk), {"unit": region.pk})) == [2, 10]
    assert names(mclient.get(url("response_list", org, pk=wave.pk), {"unit": other.pk})) == [8]


def test_unit_filter_offers_only_the_organisations_units(org, other_org, mclient, setting):
    wave, _region, _other = setting
    foreign = other_org.units.get(depth=1)
    response = mclient.get(url("response_list", org, pk=wave.pk), {"unit": foreign.pk})
    assert "unit" in response.context["form"].errors
    assert foreign not in response.context["form"].fields["unit"].queryset


def test_responses_are_paginated_by_fifty(org, mclient, setting):
    wave, region, _other = setting
    for _ in range(50):
        response_record(wave=wave, unit=region, answers=Answers(nps=7))
    first = mclient.get(url("response_list", org, pk=wave.pk), {"group": "passive"})
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].paginator.count == 51
    assert "group=passive&amp;page=2" in first.content.decode()
    second = mclient.get(url("response_list", org, pk=wave.pk), {"group": "passive", "page": 2})
    assert len(second.context["page"].object_list) == 1
