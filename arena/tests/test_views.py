"""The arena's pages: who may plan, who may enter which view, the customer's side."""

import pytest
from django.urls import reverse

from accounts.models import MagicLinkPurpose, Role
from accounts.services import magic_link_issue
from arena import services
from arena.models import Arena, ArenaInvitation, Rsvp
from improvements.models import ImprovementPoint

from .conftest import run_rounds


def url(name, w, **kwargs):
    return reverse(f"arena:{name}", kwargs={"org": w.org.slug, "pk": w.arena.pk, **kwargs})


def test_a_manager_plans_an_arena_with_the_methods_questions(client, world):
    client.force_login(world.planner.user)
    response = client.post(reverse("arena:create", args=[world.org.slug]), {
        "title": "Klantarena Zuid", "starts_at": "2027-02-01T19:00", "place": "Maastricht",
        "topic": "Schadeafhandeling", "moderator": world.moderator.pk,
        "units": [world.survey.zuid.pk]})
    arena = Arena.objects.get(title="Klantarena Zuid")
    assert response.status_code == 302 and response.url == reverse(
        "arena:detail", args=[world.org.slug, arena.pk])
    page = client.get(response.url).content.decode()
    assert "Hoe ervaar je onze dienstverlening?" in page  # the script, pre-filled in Dutch
    assert "Zara Zuid" not in page  # suggestions need an e-mail address


def test_a_plan_with_a_moderator_of_another_organisation_is_refused(client, world, other_org,
                                                                    make_member):
    stranger = make_member(other_org, Role.MODERATOR)
    client.force_login(world.planner.user)
    response = client.post(reverse("arena:create", args=[world.org.slug]), {
        "title": "X", "starts_at": "2027-02-01T19:00", "moderator": stranger.pk})
    assert response.status_code == 400 and not Arena.objects.filter(title="X").exists()


def test_the_plan_page_shows_the_seating_and_suggestions(client, world):
    services.arena_customer_add(arena=world.arena, contact=world.survey.contacts[0])
    client.force_login(world.planner.user)
    page = client.get(url("detail", world)).content.decode()
    assert "Binnenring" in page and "Buitenring" in page
    assert page.count('class="seat seat-detractor') == 1 and page.count("seat-employee") >= 2
    assert "Anja Jansen" in page and "Eva Buitenring" in page
    assert "Piet de Vries" in page  # suggested: a passive of Noord
    assert "De methode vraagt om 8 tot 15 klanten." in page


def test_planners_add_suggested_customers_and_employees(client, world):
    client.force_login(world.planner.user)
    piet = world.survey.contacts[1]
    client.post(url("customer_add", world), {"contact": [piet.pk]})
    assert ArenaInvitation.objects.filter(arena=world.arena, contact=piet).exists()
    client.post(url("employee_add", world), {"member": world.board.pk, "role": "observer"})
    assert world.arena.room.participants.filter(membership=world.board, role="observer").exists()


def test_a_customer_of_another_organisation_cannot_be_added(client, world, other_org):
    from org.services import contact_create, customer_create

    foreign = contact_create(customer=customer_create(organisation=other_org, name="Vreemd",
                                                      customer_number="V1"), name="V", email="v@x.nl")
    client.force_login(world.planner.user)
    assert client.post(url("customer_add", world), {"contact": [foreign.pk]}).status_code == 404
    assert not ArenaInvitation.objects.filter(contact=foreign).exists()


@pytest.mark.parametrize("who,allowed", [("planner", True), ("moderator", True), ("board", False),
                                         ("employee", False)])
def test_only_planners_and_the_arenas_moderator_change_the_script(client, world, who, allowed):
    client.force_login(getattr(world, who).user)
    response = client.post(url("script", world), {"round_1": "Wat vindt u van ons?"})
    world.arena.refresh_from_db()
    assert (response.status_code == 302) is allowed
    assert (world.arena.script["round_1"] == ["Wat vindt u van ons?"]) is allowed


@pytest.mark.parametrize("view,who,status", [
    ("console", "moderator", 200), ("console", "employee", 403), ("console", "planner", 403),
    ("screen", "moderator", 200), ("screen", "employee", 403),
    ("phone", "employee", 200), ("phone", "moderator", 200), ("phone", "board", 403),
])
def test_the_live_views_follow_the_room_role(client, world, view, who, status):
    client.force_login(getattr(world, who).user)
    response = client.get(url(view, world))
    assert response.status_code == status
    if status == 200:
        config = response.context["config"]
        assert config["ws"] == f"/ws/live/rooms/{world.arena.room_id}/"
        assert config["names"][f"m:{world.employee.pk}"] == "Eva Buitenring"


def test_finishing_from_the_page_fills_the_improvement_spine(client, world):
    run_rounds(world)
    client.force_login(world.moderator.user)
    response = client.post(url("finish", world), follow=True)
    assert ImprovementPoint.objects.filter(organisation=world.org,
                                           title="Telefonische bereikbaarheid").exists()
    page = response.content.decode()
    assert "Telefonische bereikbaarheid" in page and "Terugbelservice invoeren" in page


@pytest.mark.parametrize("who,status", [("board", 200), ("moderator", 200), ("employee", 403)])
def test_the_report_is_a_pdf_for_readers_of_reports(client, world, who, status):
    run_rounds(world)
    client.force_login(getattr(world, who).user)
    response = client.get(url("report", world))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf" and response.content[:5] == b"%PDF-"


def redeem(client, contact, purpose=MagicLinkPurpose.ARENA):
    issued = magic_link_issue(contact=contact, purpose=purpose)
    return client.get(reverse("accounts:magic_link", args=[issued.token]), follow=True)


def test_a_customer_answers_the_invitation_and_joins_from_the_link(client, world):
    anja = world.survey.contacts[0]
    services.arena_customer_add(arena=world.arena, contact=anja)
    page = redeem(client, anja).content.decode()
    assert "Klantarena Noord" in page and "Ik kom" in page
    client.post(reverse("arena_customer:rsvp", args=[world.arena.pk]), {"answer": "yes"})
    assert ArenaInvitation.objects.get(arena=world.arena, contact=anja).rsvp == Rsvp.YES
    response = client.get(reverse("arena_customer:room", args=[world.arena.pk]))
    assert response.status_code == 200 and response.context["config"]["role"] == "customer"
    # Customers get no list of staff to choose owners from.
    assert response.context["config"]["members"] == []


def test_a_customer_cannot_open_an_arena_they_are_not_invited_to(client, world):
    anja, piet = world.survey.contacts[:2]
    services.arena_customer_add(arena=world.arena, contact=anja)
    redeem(client, piet)
    assert client.get(reverse("arena_customer:room", args=[world.arena.pk])).status_code == 404
    assert client.post(reverse("arena_customer:rsvp", args=[world.arena.pk]),
                       {"answer": "yes"}).status_code == 404


def test_a_survey_link_does_not_open_the_arena(client, world):
    anja = world.survey.contacts[0]
    services.arena_customer_add(arena=world.arena, contact=anja)
    redeem(client, anja, purpose=MagicLinkPurpose.SURVEY)
    assert client.get(reverse("arena_customer:room", args=[world.arena.pk])).status_code == 403


def test_the_arena_list_shows_planned_arenas_to_everyone(client, world):
    client.force_login(world.employee.user)
    page = client.get(reverse("arena:list", args=[world.org.slug])).content.decode()
    assert "Klantarena Noord" in page and "Arena plannen" not in page
