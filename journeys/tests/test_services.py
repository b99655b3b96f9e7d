"""Writes of the journey map: order kept, input checked, the point from a touchpoint."""

import pytest

from improvements.models import Evidence, ImprovementPoint
from journeys import services
from journeys.models import Stage, Touchpoint
from portal.models import Contribution

from .conftest import build_journey_world

pytestmark = pytest.mark.django_db


def names(queryset):
    return list(queryset.order_by("position").values_list("name", flat=True))


def test_stages_keep_their_order_through_moves_and_deletes(org, make_member):
    admin = make_member(org, "admin")
    journey = services.journey_create(organisation=org, actor=admin, name="Reis", stages=["A", "B", "C"])
    a, b, c = journey.stages.order_by("position")
    services.stage_move(stage=c, direction=-1)
    assert names(journey.stages) == ["A", "C", "B"]
    services.stage_move(stage=a, direction=-1)  # already first: nothing changes
    assert names(journey.stages) == ["A", "C", "B"]
    services.stage_delete(stage=a)
    assert list(journey.stages.order_by("position").values_list("name", "position")) == [
        ("C", 0), ("B", 1)]


def test_touchpoints_reorder_within_their_stage_and_move_to_another(world):
    melden = world.call.stage
    expertise = world.expert.stage
    services.touchpoint_move(touchpoint=world.quiet, direction=-1)
    assert names(melden.touchpoints) == ["Bevestigingsmail", "Schade melden per telefoon"]
    services.touchpoint_update(touchpoint=world.quiet, name="Bevestiging per mail", stage=expertise,
                               channel="email")
    assert names(melden.touchpoints) == ["Schade melden per telefoon"]
    assert list(expertise.touchpoints.order_by("position").values_list("name", "position")) == [
        ("Expert komt langs", 0), ("Bevestiging per mail", 1)]
    assert melden.touchpoints.get().position == 0


def test_touchpoint_refuses_unknown_themes_foreign_units_and_other_journeys(world, other_org, make_member):
    with pytest.raises(ValueError, match="taxonomie"):
        services.touchpoint_add(stage=world.call.stage, name="X", themes=["bestaat_niet"])
    with pytest.raises(ValueError, match="andere organisatie"):
        services.touchpoint_add(stage=world.call.stage, name="X", unit=other_org.units.get(depth=1))
    other = build_journey_world(other_org, make_member)
    with pytest.raises(ValueError):
        services.touchpoint_update(touchpoint=world.call, name="X", channel="phone",
                                   stage=other.call.stage)
    with pytest.raises(ValueError):
        services.touchpoint_add(stage=world.call.stage, name="   ")
    world.call.refresh_from_db()
    assert world.call.stage.journey == world.journey and not Touchpoint.objects.filter(name="X").exists()


def test_point_from_touchpoint_leaves_hidden_comments_and_other_organisations_out(org, other_org,
                                                                                  make_member):
    world = build_journey_world(org, make_member, threshold=5)  # every unit under the threshold
    other = build_journey_world(other_org, make_member)
    point = services.touchpoint_point_create(touchpoint=world.call, actor=world.survey.admin,
                                             title="Schadelijn", wave=world.survey.wave)
    quotes = set(Evidence.objects.filter(point=point).values_list("quote", flat=True))
    assert quotes == {"Een half uur in de wacht bij de schadelijn.",
                      "Het keuzemenu aan de telefoon is te lang.", "Niemand belde terug na de melding."}
    contacts = set(Contribution.objects.filter(point=point).values_list("contact", flat=True))
    assert contacts == {world.survey.contacts[0].pk, world.survey.contacts[1].pk}
    assert not Contribution.objects.filter(point=point, contact__in=other.survey.contacts).exists()
    assert point.organisation == org and point.raised_by == world.survey.admin


def test_point_from_a_touchpoint_without_pain_still_links_the_touchpoint(world):
    point = services.touchpoint_point_create(touchpoint=world.quiet, actor=world.survey.admin,
                                             title="Mail duidelijker")
    [evidence] = Evidence.objects.filter(point=point)
    assert evidence.source == world.quiet and evidence.quote == ""
    assert not Contribution.objects.filter(point=point).exists()


def test_only_a_member_of_the_organisation_raises_a_point(world, other_org, make_member):
    from django.core.exceptions import PermissionDenied

    stranger = make_member(other_org, "admin")
    with pytest.raises(PermissionDenied):
        services.touchpoint_point_create(touchpoint=world.call, actor=stranger, title="Nee")
    assert not ImprovementPoint.objects.filter(title="Nee").exists()


def test_deleting_a_journey_keeps_the_points_raised_from_it(world):
    point = services.touchpoint_point_create(touchpoint=world.call, actor=world.survey.admin,
                                             title="Blijft")
    services.journey_delete(journey=world.journey)
    assert not Stage.objects.filter(journey_id=world.journey.pk).exists()
    assert ImprovementPoint.objects.filter(pk=point.pk).exists()
