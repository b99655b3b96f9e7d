"""The live 1-2-3 session: its room, private guesses, the server's reveal, access to the pages."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied
from django.template.defaultfilters import floatformat
from django.urls import reverse

from accounts.models import Role
from cascade import selectors_spel, services, services_spel
from cascade.tests.spel_world import build_spel_world
from insights import selectors as insights
from live import selectors as live_selectors
from live import services as live
from live.formats import RoomRole
from live.models import RoomEvent, RoomParticipant
from live.state import ActionRefused, visible

_keys = itertools.count(1)


@pytest.fixture
def w(org, make_member):
    return build_spel_world(org, make_member)


def act(w, actor, action, **payload):
    return live.event_append(room=w.room, actor=actor, type=action, payload=payload,
                             client_key=f"spel-{next(_keys)}")


def guess(w, actor, nps, promoters, driver="communicatie", theme="wachttijd"):
    return act(w, actor, "guess_submit", nps=nps, promoters=promoters, driver=driver, theme=theme)


def url(w, name):
    return reverse(f"cascade:{name}", kwargs={"org": w.org.slug, "pk": w.session.pk})


# The room ------------------------------------------------------------------------------------

def test_opening_the_room_lists_the_participants_and_sets_the_choices(w):
    room = w.room
    assert room.format == "cascade" and room.facilitator_id == w.consultant.pk
    assert room.state["phase"] == "guess"
    listed = dict(RoomParticipant.objects.filter(room=room).values_list("membership_id", "role"))
    assert listed == {w.eva.pk: RoomRole.EMPLOYEE, w.erik.pk: RoomRole.EMPLOYEE}
    assert room.state["choices"] == selectors_spel.guess_choices(w.session)
    assert {"communicatie", "bereikbaarheid"} <= {c["key"] for c in room.state["choices"]["drivers"]}
    assert live_selectors.room_role(room=room, membership=w.admin) == RoomRole.OBSERVER


def test_opening_again_follows_the_plan_and_keeps_the_room(w):
    room = w.room
    services.session_plan(session=w.session, scheduled_at=None, facilitator=w.consultant,
                          participants=[w.eva, w.outsider])
    again = services_spel.session_room_open(session=w.session, actor=w.consultant)
    assert again.pk == room.pk
    assert set(RoomParticipant.objects.filter(room=room).values_list("membership_id", flat=True)) \
        == {w.eva.pk, w.outsider.pk}
    assert RoomEvent.objects.filter(room=room, type="guess_setup").count() == 1


def test_a_session_that_has_not_started_gets_no_room(org, make_member):
    w = build_spel_world(org, make_member, open_room=False)
    child = w.session.children.first()
    with pytest.raises(ValueError):
        services_spel.session_room_open(session=child, actor=w.consultant)
    child.refresh_from_db()
    assert child.room is None


# Guessing and the reveal ------------------------------------------------------------------------

def test_guesses_stay_private_until_the_reveal(w):
    event = guess(w, w.eva, 12, 40)
    guess(w, w.erik, -10, 25, driver="snelheid")
    state = w.room.state
    eva, erik = f"m:{w.eva.pk}", f"m:{w.erik.pk}"
    assert visible(state, eva)["guesses"][eva]["nps"] == 12
    for viewer in (erik, f"m:{w.consultant.pk}", f"m:{w.admin.pk}"):
        sealed = visible(state, viewer)["guesses"][eva]
        assert sealed["hidden"] and (sealed["nps"], sealed["promoters"], sealed["driver"]) == (None,) * 3
    missed = live_selectors.events_since(room=w.room, after_seq=event.seq - 1, viewer=erik)
    assert missed[0]["type"] == "guess_submit" and missed[0]["payload"] == {}

    services_spel.session_reveal(session=w.session, actor=w.consultant)
    revealed = visible(w.room.state, erik)["guesses"][eva]
    assert not revealed["hidden"] and revealed["nps"] == 12
    reveal = live_selectors.events_since(room=w.room, after_seq=w.room.last_seq - 1, viewer=erik)[0]
    assert {g["by"]: g["nps"] for g in reveal["payload"]["revealed"]} == {eva: 12, erik: -10}


def test_the_revealed_answers_are_the_insights_figures_of_the_unit(w):
    services_spel.session_reveal(session=w.session, actor=w.consultant)
    state = w.room.state
    assert state["phase"] == "reveal"
    insight = insights.unit_insight(w.wave, w.root)
    drivers = insights.unit_drivers(w.wave, w.root)
    themes = insights.unit_themes(w.wave, w.root)
    assert state["reveal"]["actual"] == {
        "nps": int(floatformat(insight.nps, 0)),  # as the insights pages show it
        "promoters": int(floatformat(100 * insight.promoters / insight.n, 0)),
        "driver": max(drivers.drivers, key=lambda d: d.importance).key,
        "theme": max((t for t in themes if t.impact and t.impact > 0), key=lambda t: t.impact).key,
        "responses": insight.n,
    }
    assert state["reveal"]["actual"]["theme"] in {"wachttijd", "bereikbaarheid"}


def test_the_closest_guess_scores_highest_and_wins(w):
    actual = selectors_spel.session_answers(w.session)
    guess(w, w.eva, actual["nps"] + 4, actual["promoters"] - 3, driver=actual["driver"],
          theme=actual["theme"])
    guess(w, w.erik, 80, 90, driver="prijs-kwaliteit", theme="prijs")
    services_spel.session_reveal(session=w.session, actor=w.consultant)
    reveal = w.room.state["reveal"]
    eva, erik = f"m:{w.eva.pk}", f"m:{w.erik.pk}"
    assert reveal["scores"][eva] == {"nps": 23, "promoters": 22, "driver": 25, "theme": 25, "total": 95}
    assert reveal["scores"][erik]["total"] < reveal["scores"][eva]["total"]
    assert reveal["winners"] == [eva]


def test_guessing_closes_with_the_reveal(w):
    guess(w, w.eva, 5, 30)
    services_spel.session_reveal(session=w.session, actor=w.consultant)
    act(w, w.consultant, "phase_back")
    with pytest.raises(ActionRefused) as refused:
        guess(w, w.erik, 0, 30)
    assert refused.value.code == "invalid"


def test_revealing_twice_changes_nothing(w):
    first = services_spel.session_reveal(session=w.session, actor=w.consultant)
    second = services_spel.session_reveal(session=w.session, actor=w.consultant)
    assert first.pk == second.pk
    assert RoomEvent.objects.filter(room=w.room, type="answers_reveal").count() == 1


def test_only_the_server_reveals(w):
    for actor in (w.eva, w.consultant):
        with pytest.raises(ActionRefused) as refused:
            act(w, actor, "answers_reveal", actual={"nps": 100, "promoters": 100})
        assert refused.value.code == "unknown_action"
    for actor in (w.eva, w.admin):
        with pytest.raises(PermissionDenied):
            services_spel.session_reveal(session=w.session, actor=actor)
    assert w.room.state["reveal"] is None and w.room.state["phase"] == "guess"


def test_a_participant_of_another_session_is_refused(w, login):
    other = w.session.children.get(unit=w.units["Noord"])
    services.session_plan(session=other, scheduled_at=None, facilitator=w.consultant,
                          participants=[w.outsider])
    services.session_start(session=other, actor=w.admin, override_reason="Pilot in Noord")
    services_spel.session_room_open(session=other, actor=w.consultant)
    with pytest.raises(ActionRefused) as refused:
        guess(w, w.outsider, 0, 30)
    assert refused.value.code == "not_participant"
    assert login(w.outsider).get(url(w, "spel_phone")).status_code == 403


# The pages -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "page", "status"), [
    ("consultant", "spel_console", 200), ("consultant", "spel_screen", 200),
    ("consultant", "spel_phone", 200),
    ("eva", "spel_phone", 200), ("eva", "spel_console", 403), ("eva", "spel_screen", 403),
    ("admin", "spel_screen", 200), ("admin", "spel_phone", 200), ("admin", "spel_console", 403),
    ("outsider", "spel_phone", 403), ("outsider", "spel_screen", 403),
])
def test_the_facilitator_leads_participants_take_part_and_admins_watch(w, login, who, page, status):
    assert login(getattr(w, who)).get(url(w, page)).status_code == status


def test_another_organisation_gets_404(w, login, other_org, make_member):
    stranger = make_member(other_org, Role.ADMIN)
    client = login(stranger)
    for page in ("spel_console", "spel_screen", "spel_phone"):
        assert client.get(url(w, page)).status_code == 404
    assert client.post(url(w, "spel_reveal")).status_code == 404


def test_the_phone_page_hands_the_script_its_room_and_choices(w, login):
    response = login(w.eva).get(url(w, "spel_phone"))
    config = response.context["config"]
    assert config["ws"] == f"/ws/live/rooms/{w.room.pk}/"
    assert config["role"] == RoomRole.EMPLOYEE and config["quotes"] == []
    assert {p["name"] for p in config["participants"]} == {"Eva Jansen", "Erik de Vries"}
    assert config["rules"]["guess"][RoomRole.EMPLOYEE] == ["guess_submit"]
    assert 'data-form="guess"' in response.content.decode()


def test_the_console_gets_quote_cards_of_the_unit(w, login):
    config = login(w.consultant).get(url(w, "spel_console")).context["config"]
    assert config["quotes"] and config["urls"]["reveal"] == url(w, "spel_reveal")
    assert "Lange wachttijd aan de telefoon, nooit bereikbaar." in {q["text"] for q in config["quotes"]}


def test_the_reveal_button_reveals_and_a_participant_cannot_press_it(w, login, client):
    assert login(w.eva).post(url(w, "spel_reveal")).status_code == 403
    assert w.room.state["reveal"] is None
    response = login(w.consultant).post(url(w, "spel_reveal"), HTTP_ACCEPT="application/json")
    assert response.json() == {"ok": True}
    assert w.room.state["reveal"] is not None


def test_opening_from_the_session_page_goes_to_the_console(org, make_member, login):
    w = build_spel_world(org, make_member, open_room=False)
    response = login(w.consultant).post(url(w, "spel_open"))
    assert response.status_code == 302 and response["Location"] == url(w, "spel_console")
    assert w.room is not None and w.room.format == "cascade"
    assert login(w.eva).post(url(w, "spel_open")).status_code == 403
