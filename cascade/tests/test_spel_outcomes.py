"""Finishing a session that ran live: its room closes and what it chose lands in the spine."""

import itertools
from datetime import date

import pytest
from django.urls import reverse

from cascade import selectors, selectors_spel, services, services_spel
from cascade.models import CascadeSession, SessionOutcome
from cascade.tests.spel_world import build_spel_world
from improvements import services as improvements
from improvements.models import Action, ImprovementPoint, PointStatus, Priority
from live import services as live
from live.state import ActionRefused

_keys = itertools.count(1)


@pytest.fixture
def w(org, make_member):
    return build_spel_world(org, make_member)


def act(room, actor, action, **payload):
    return live.event_append(room=room, actor=actor, type=action, payload=payload,
                             client_key=f"out-{next(_keys)}")


def to_phase(room, facilitator, phase):
    while room.state["phase"] != phase:
        act(room, facilitator, "phase_next")


def route_with(w, title="Bereikbaarheid telefoon"):
    point = improvements.point_create(organisation=w.org, actor=w.admin, title=title, unit=w.root)
    return improvements.route_create(organisation=w.org, actor=w.admin, name="Route 2027", points=[point])


def test_the_strategic_session_turns_proposals_and_actions_into_the_route(w, client):
    room = w.room
    to_phase(room, w.consultant, "choose")
    first = act(room, w.eva, "group_create", title="Sneller terugbellen", statements=[])
    act(room, w.erik, "group_create", title="Duidelijkere facturen", statements=[])
    act(room, w.eva, "vote_cast", group=str(first.seq))
    act(room, w.erik, "vote_cast", group=str(first.seq))
    to_phase(room, w.consultant, "commit")
    act(room, w.consultant, "action_confirm", title="Terugbelbelofte invoeren", owner=w.eva.pk,
        due="2027-02-01", group=str(first.seq))
    act(room, w.consultant, "action_confirm", title="Klantpanel starten", owner=w.erik.pk)
    act(room, w.eva, "commitment_add", text="Ik bel mijn eigen detractors terug.")
    route = route_with(w)
    services.session_route_set(session=w.session, route=route)

    services.session_finish(session=w.session, actor=w.consultant)

    room.refresh_from_db()
    assert room.state["closed"]
    called = ImprovementPoint.objects.get(organisation=w.org, title="Sneller terugbellen")
    assert (called.unit, called.priority, called.status) == (w.root, Priority.HIGH, PointStatus.PROPOSED)
    assert ": 2 " in called.description  # its dots
    invoices = ImprovementPoint.objects.get(organisation=w.org, title="Duidelijkere facturen")
    assert invoices.priority == Priority.MEDIUM
    # Only what got dots joins the route, after the points it had.
    assert list(route.route_points.order_by("position").values_list("point__title", flat=True)) == [
        "Bereikbaarheid telefoon", "Sneller terugbellen"]
    action = Action.objects.get(title="Terugbelbelofte invoeren")
    assert (action.point, action.owner, action.due_date) == (called, w.eva, date(2027, 2, 1))
    loose = Action.objects.get(title="Klantpanel starten")
    assert loose.point.title == "Klantpanel starten" and loose.point.status == PointStatus.PLANNED
    assert loose.owner == w.erik

    counts = (ImprovementPoint.objects.count(), Action.objects.count(), SessionOutcome.objects.count())
    session = CascadeSession.objects.get(pk=w.session.pk)
    services._room_outcomes(session, w.consultant)  # again: nothing twice
    assert (ImprovementPoint.objects.count(), Action.objects.count(),
            SessionOutcome.objects.count()) == counts == (counts[0], 2, 4)

    client.force_login(w.consultant.user)
    page = client.get(reverse("cascade:session", kwargs={"org": w.org.slug, "pk": w.session.pk}))
    section = page.content.decode().split('data-testid="session-outcomes"')[1].split("</ul>\n")[0]
    assert "Sneller terugbellen" in section and "Terugbelbelofte invoeren — Eva Jansen" in section


def test_a_tactical_session_translates_the_route_into_actions_of_its_own_unit(w):
    route = route_with(w)
    services.session_route_set(session=w.session, route=route)
    services.session_finish(session=w.session, actor=w.consultant)
    (route_point,) = route.points.all()
    noord = CascadeSession.objects.get(cascade=w.session.cascade, unit=w.units["Noord"])
    services.session_plan(session=noord, scheduled_at=None, facilitator=w.consultant, participants=[w.eva])
    services.session_start(session=noord, actor=w.consultant)
    room = services_spel.session_room_open(session=noord, actor=w.consultant)
    assert room.state["choices"]["route"] == selectors_spel.route_choices(noord) == [
        {"key": str(route_point.pk), "label": f"{route_point.reference} Bereikbaarheid telefoon"}]

    to_phase(room, w.consultant, "choose")
    tabled = act(room, w.consultant, "group_create", title="Bereikbaarheid telefoon", statements=[],
                 point=str(route_point.pk))
    with pytest.raises(ActionRefused):  # once on the table is enough
        act(room, w.eva, "group_create", title="Nog eens", statements=[], point=str(route_point.pk))
    stranger = improvements.point_create(organisation=w.org, actor=w.admin, title="Niet op de route")
    with pytest.raises(ActionRefused):  # only points of the route
        act(room, w.eva, "group_create", title="Niet op de route", statements=[], point=str(stranger.pk))
    act(room, w.eva, "vote_cast", group=str(tabled.seq))
    to_phase(room, w.consultant, "commit")
    act(room, w.consultant, "action_confirm", title="Piekuren extra bezetten", owner=w.eva.pk,
        group=str(tabled.seq))

    services.session_finish(session=noord, actor=w.consultant)

    action = Action.objects.get(title="Piekuren extra bezetten")
    assert action.point == route_point  # under the route's own point, no new point
    assert not ImprovementPoint.objects.filter(title="Bereikbaarheid telefoon").exclude(pk=route_point.pk)
    (progress,) = selectors.progress_review(w.session.cascade).points
    assert progress.per_unit == [(w.eva.unit.name, 0, 1, 0)]


def test_a_session_without_a_room_finishes_as_before(org, make_member):
    w = build_spel_world(org, make_member, open_room=False)
    services.session_route_set(session=w.session, route=route_with(w))
    services.session_finish(session=w.session, actor=w.consultant, notes="Route vastgesteld.")
    w.session.refresh_from_db()
    assert w.session.state == "done" and not SessionOutcome.objects.exists()


def test_coaching_notes_stay_out_of_the_mt_review_and_away_from_the_team(w, client):
    route = route_with(w)
    services.session_route_set(session=w.session, route=route)
    services.session_finish(session=w.session, actor=w.consultant)
    noord = CascadeSession.objects.get(cascade=w.session.cascade, unit=w.units["Noord"])
    services.session_plan(session=noord, scheduled_at=None, facilitator=w.consultant, participants=[w.eva])
    services.session_start(session=noord, actor=w.consultant)
    services.session_finish(session=noord, actor=w.consultant, notes="Noord belt binnen een dag terug.",
                            coaching_notes="Teamleider Noord helpen met lastige gesprekken.")
    client.force_login(w.admin.user)
    review = client.get(reverse("cascade:review", args=[w.org.slug, noord.cascade_id])).content.decode()
    assert "Noord belt binnen een dag terug." in review
    assert "lastige gesprekken" not in review
    page = reverse("cascade:session", kwargs={"org": w.org.slug, "pk": noord.pk})
    assert "lastige gesprekken" in client.get(page).content.decode()
    client.force_login(w.eva.user)
    response = client.get(page)
    assert response.status_code == 200 and "lastige gesprekken" not in response.content.decode()
