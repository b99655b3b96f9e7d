"""Evidence laid on touchpoints: the three sources, the figures, anonymity and scoping."""

import pytest

from journeys import figures, selectors
from journeys.selectors import Visibility

from .conftest import build_journey_world

pytestmark = pytest.mark.django_db


EVERYTHING = Visibility.everything()


def evidence(world, visibility=EVERYTHING, touchpoints=None):
    tps = touchpoints or [world.call, world.quiet, world.expert]
    return {ev.touchpoint.pk: ev for ev in selectors.evidence_for(
        world.org, tps, wave=world.survey.wave, visibility=visibility)}


def test_touchpoint_gets_evidence_from_survey_arena_and_safari(world):
    ev = evidence(world)[world.call.pk]
    assert {item.text for item in ev.survey_items} == {
        "Ik kwam er telefonisch niet doorheen, eindeloos keuzemenu.", "Meteen iemand aan de lijn, top."}
    assert [item.text for item in ev.arena_items] == [
        "Een half uur in de wacht bij de schadelijn.", "Het keuzemenu aan de telefoon is te lang."]
    [visit] = ev.safari_items
    assert visit.object_id == world.visit.pk and visit.sentiment == "negative"
    assert ("advice", "Bel de klant binnen een dag terug.") in visit.notes
    assert ("quote", "Ik voelde me van het kastje naar de muur.") in visit.notes


def test_sentiment_and_volume_are_counted_per_source(world):
    by_pk = evidence(world)
    t = by_pk[world.call.pk].tally
    assert (t.survey, t.arena, t.safari, t.volume) == (2, 2, 1, 5)
    assert (t.positive, t.negative, t.neutral) == (1, 4, 0)
    assert (t.percent_positive, t.percent_negative, t.net_percent) == (20, 80, -60)
    expert = by_pk[world.expert.pk].tally
    assert (expert.arena, expert.positive, expert.net_percent) == (1, 1, 100)
    quiet = by_pk[world.quiet.pk].tally
    assert quiet.volume == 0 and quiet.net is None


def test_arena_statement_matches_name_or_theme_name_case_insensitively(world):
    by_pk = evidence(world)
    # "Bereikbaarheid" (the theme's Dutch name) and "schade melden per telefoon " (the name).
    assert len(by_pk[world.call.pk].arena_items) == 2
    # "prijs" is mapped to no touchpoint: it lands nowhere.
    assert all(item.text != "Over de premie niets te klagen." for ev in by_pk.values()
               for item in ev.arena_items)


def test_planned_safari_visit_is_not_evidence(world):
    assert len(evidence(world)[world.call.pk].safari_items) == 1


def test_units_under_the_anonymity_threshold_are_left_out_of_quotes_and_counts(org, make_member):
    world = build_journey_world(org, make_member, threshold=5)
    ev = evidence(world)[world.call.pk]
    assert ev.survey_items == [] and ev.tally.survey == 0
    assert ev.tally.arena == 2 and ev.tally.safari == 1  # the other sources are not suppressed


def test_survey_quotes_never_carry_the_customers_name(world):
    ev = evidence(world)[world.call.pk]
    names = {c.name for c in world.survey.contacts} | {c.name for c in world.survey.customers}
    for item in ev.survey_items:
        assert item.contact_id is None
        assert item.label == "Team Groningen" and item.label not in names


def test_quotes_follow_the_viewers_role_and_counts_do_not(world):
    ev = evidence(world, Visibility.of_role("employee"))[world.call.pk]
    assert ev.items == []
    assert ev.tally.volume == 5
    ev = evidence(world, Visibility.of_role("manager"))[world.call.pk]
    assert {item.source for item in ev.items} == {"survey", "arena", "safari"}


def test_another_organisations_evidence_never_appears(world, other_org, make_member):
    other = build_journey_world(other_org, make_member)
    mine = evidence(world)[world.call.pk]
    theirs_texts = {"Een half uur in de wacht bij de schadelijn."}
    # The other organisation said the same things; none of it is counted twice here.
    assert mine.tally.volume == 5 and mine.tally.arena == 2
    assert all(item.object_id != other.visit.pk for item in mine.safari_items)
    assert all(item.object_id != other.arena.pk for item in mine.arena_items if item.text in theirs_texts)
    other_response_ids = {r.pk for r in other.responses}
    assert not {item.object_id for item in mine.survey_items} & other_response_ids


def test_journey_map_orders_stages_and_draws_the_curve(world):
    journey_map = selectors.journey_map(world.journey, wave=world.survey.wave,
                                        visibility=Visibility.everything())
    assert [c.stage.name for c in journey_map.columns] == ["Schade melden", "Expertise"]
    assert [ev.touchpoint.name for ev in journey_map.touchpoints] == [
        "Schade melden per telefoon", "Bevestigingsmail", "Expert komt langs"]
    curve = journey_map.curve
    assert [p.net_percent for p in curve.points] == [-60, None, 100]
    assert curve.points[0].moment_of_truth and curve.points[0].y > curve.middle
    assert len(curve.segments) == 2  # the touchpoint without evidence breaks the line


def test_improvement_points_from_a_touchpoint_are_listed_on_it(world):
    from journeys.services import touchpoint_point_create

    point = touchpoint_point_create(touchpoint=world.call, actor=world.survey.admin,
                                    title="Schadelijn bereikbaar", wave=world.survey.wave)
    assert evidence(world)[world.call.pk].points == [point]
    assert evidence(world)[world.quiet.pk].points == []


def test_curve_layout_is_pure_geometry():
    layout = figures.curve_layout([figures.CurveInput("a", 1.0, False, 0),
                                   figures.CurveInput("b", -1.0, True, 1)], ["S1", "S2"])
    a, b = layout.points
    assert a.y == layout.top and b.y == layout.bottom and b.moment_of_truth
    assert [band.name for band in layout.bands] == ["S1", "S2"]
    assert layout.paths == [f"M {a.x:.1f} {a.y:.1f} L {b.x:.1f} {b.y:.1f}"]


def test_visit_sentiment_counts_one_visit_once():
    assert figures.visit_sentiment("Goed", "") == "positive"
    assert figures.visit_sentiment("", "Slecht") == "negative"
    assert figures.visit_sentiment("Goed", "Slecht") == "neutral"
    assert figures.tally([("safari", "negative", 1), ("survey", "positive", 3)]).net == 0.5
