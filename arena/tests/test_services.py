"""Planning, inviting, finishing into the improvement spine and thanking: the arena's services."""

import datetime
import io

import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import MagicLink, MagicLinkPurpose
from arena import report, selectors, services
from arena.models import ArenaInvitation, ArenaOutcome, ArenaStatus, Rsvp
from improvements.models import Action, Evidence, ImprovementPoint, PointStatus, Priority
from live.formats import RoomRole
from live.models import RoomParticipant
from live.selectors import room_role
from org.services import contact_create, customer_create

from .conftest import run_rounds


def test_planning_opens_a_room_with_the_moderator_and_the_methods_script(world):
    arena = world.arena
    assert arena.room.format == "arena" and arena.room.phase == "welcome"
    assert arena.room.facilitator == world.moderator
    assert room_role(room=arena.room, membership=world.moderator) == RoomRole.FACILITATOR
    assert room_role(room=arena.room, membership=world.employee) == RoomRole.EMPLOYEE
    assert len(arena.script["round_1"]) == 4 and arena.script["round_3"]


def test_a_new_moderator_before_the_start_takes_over_the_room(world, make_member):
    other = make_member(world.org, "moderator", name="Nieuwe Gespreksleider")
    a = world.arena
    services.arena_update(arena=a, actor=world.planner, title=a.title, starts_at=a.starts_at,
                          moderator=other, units=[world.survey.noord])
    a.room.refresh_from_db()
    assert a.room.facilitator == other and a.room.state["facilitator"] == f"m:{other.pk}"
    assert a.room.events.last().actor_role == "organiser"


def test_the_inner_ring_holds_at_most_fifteen_customers(world):
    customers = [customer_create(organisation=world.org, name=f"Klant {i}", customer_number=f"X{i}")
                 for i in range(16)]
    contacts = [contact_create(customer=c, name=f"Contact {i}", email=f"c{i}@x.example")
                for i, c in enumerate(customers)]
    for contact in contacts[:15]:
        services.arena_customer_add(arena=world.arena, contact=contact)
    with pytest.raises(ValueError, match="15"):
        services.arena_customer_add(arena=world.arena, contact=contacts[15])
    assert ArenaInvitation.objects.filter(arena=world.arena).count() == 15
    assert RoomParticipant.objects.filter(room=world.arena.room, role=RoomRole.CUSTOMER).count() == 15


def test_suggestions_mix_promoters_passives_and_detractors_of_the_units_concerned(world):
    suggestions = selectors.customer_suggestions(arena=world.arena)
    anja, piet, zara = world.survey.contacts
    assert [(s.contact_id, s.group) for s in suggestions] == [
        (anja.pk, "detractor"), (piet.pk, "passive")]  # Zuid's customer is not in Noord
    services.arena_customer_add(arena=world.arena, contact=anja)
    assert [s.contact_id for s in selectors.customer_suggestions(arena=world.arena)] == [piet.pk]
    invitation = ArenaInvitation.objects.get(arena=world.arena, contact=anja)
    assert invitation.promotership == "detractor"


def test_invitations_mail_a_personal_link_valid_until_after_the_arena(world):
    anja, piet, zara = world.survey.contacts
    for contact in (anja, piet, zara):
        services.arena_customer_add(arena=world.arena, contact=contact)
    mail.outbox.clear()
    with_commit = services.arena_invitations_send(arena=world.arena, actor=world.planner,
                                                  base_url="https://cx.example")
    assert sorted(with_commit.sent) == ["Anja Jansen", "Piet de Vries"]
    assert with_commit.skipped == ["Zara Zuid"]
    invitation = ArenaInvitation.objects.get(arena=world.arena, contact=anja)
    assert invitation.rsvp == Rsvp.PENDING and invitation.link.purpose == MagicLinkPurpose.ARENA
    assert invitation.link.expires_at > world.arena.starts_at
    again = services.arena_invitations_send(arena=world.arena, actor=world.planner,
                                            base_url="https://cx.example")
    assert again.sent == [] and again.skipped == ["Zara Zuid"]


def test_invitations_are_sent_after_commit(world, django_capture_on_commit_callbacks):
    services.arena_customer_add(arena=world.arena, contact=world.survey.contacts[0])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.arena_invitations_send(arena=world.arena, actor=world.planner,
                                        base_url="https://cx.example")
    (message,) = mail.outbox
    assert message.to == ["anja@jansen.example"]
    assert "Klantarena Noord" in message.subject and "https://cx.example/" in message.body


def test_resending_revokes_the_earlier_link(world):
    services.arena_customer_add(arena=world.arena, contact=world.survey.contacts[0])
    services.arena_invitations_send(arena=world.arena, actor=world.planner, base_url="https://x")
    first = ArenaInvitation.objects.get(arena=world.arena).link
    services.arena_invitations_send(arena=world.arena, actor=world.planner, base_url="https://x",
                                    again=True)
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert ArenaInvitation.objects.get(arena=world.arena).link_id != first.pk


def test_finishing_turns_groups_into_points_with_evidence_and_actions(world):
    ids = run_rounds(world)
    outcomes = services.arena_finish(arena=world.arena, actor=world.planner)
    world.arena.refresh_from_db()
    assert world.arena.status == ArenaStatus.FINISHED and world.arena.room.state["closed"]
    points = {o.item: o.point for o in outcomes if o.kind == ArenaOutcome.Kind.POINT}
    phone = points[str(ids["g1"])]
    friendly = points[str(ids["g2"])]
    assert phone.title == "Telefonische bereikbaarheid" and phone.organisation == world.org
    assert phone.priority == Priority.HIGH and friendly.priority == Priority.MEDIUM  # 2 votes vs 1
    assert phone.status == PointStatus.PLANNED and phone.unit == world.survey.noord
    assert phone.theme.name == "Bereikbaarheid" and friendly.theme is None
    quotes = sorted(Evidence.objects.filter(point=phone).values_list("quote", flat=True))
    assert quotes == ["'s Avonds na zessen — Piet de Vries",
                      "Ik kom er telefonisch nooit doorheen — Anja Jansen"]
    assert {(e.content_type.model, e.object_id) for e in Evidence.objects.filter(point=phone)} == {
        ("arena", world.arena.pk)}
    # The confirmed action lands under its group's point; the other owner gets a work-out action.
    (confirmed,) = Action.objects.filter(point=phone)
    assert (confirmed.title, confirmed.owner, confirmed.due_date) == (
        "Terugbelservice invoeren", world.employee, datetime.date(2027, 3, 1))
    (work_out,) = Action.objects.filter(point=friendly)
    assert work_out.owner == world.employee2


def test_finishing_twice_creates_nothing_twice(world):
    run_rounds(world)
    services.arena_finish(arena=world.arena, actor=world.planner)
    counts = (ImprovementPoint.objects.count(), Action.objects.count(), Evidence.objects.count(),
              world.arena.room.events.count())
    services.arena_finish(arena=world.arena, actor=world.planner)
    assert (ImprovementPoint.objects.count(), Action.objects.count(), Evidence.objects.count(),
            world.arena.room.events.count()) == counts


def test_a_finished_arena_takes_no_more_changes(world):
    services.arena_finish(arena=world.arena, actor=world.planner)
    with pytest.raises(ValueError):
        services.arena_customer_add(arena=world.arena, contact=world.survey.contacts[0])
    with pytest.raises(ValueError):
        services.arena_employee_add(arena=world.arena, membership=world.board)


def test_thanks_go_to_customers_who_came_with_a_link_to_their_points(world, client,
                                                                   django_capture_on_commit_callbacks):
    ids = run_rounds(world)
    services.arena_customer_add(arena=world.arena, contact=world.survey.contacts[2])  # never came
    with pytest.raises(ValueError):
        services.arena_thank(arena=world.arena, actor=world.planner, base_url="https://x")
    services.arena_finish(arena=world.arena, actor=world.planner)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = services.arena_thank(arena=world.arena, actor=world.planner, base_url="https://x")
    assert sorted(result.sent) == ["Anja Jansen", "Piet de Vries"] and result.skipped == []
    anja_mail = next(m for m in mail.outbox if m.to == ["anja@jansen.example"])
    assert "Telefonische bereikbaarheid" in anja_mail.body
    assert "Vriendelijkheid vasthouden" in anja_mail.body  # her positive statement's group
    # Her link opens a page with her points and their status, nothing internal.
    token = anja_mail.body.split("https://x/accounts/m/")[1].split("/")[0]
    assert MagicLink.objects.get(token_hash=MagicLink.hash_token(token)).purpose == "portal"
    page = client.get(f"/accounts/m/{token}/", follow=True).content.decode()
    assert "Telefonische bereikbaarheid" in page and "Vriendelijkheid vasthouden" in page
    assert "Piet de Vries" not in page and "Terugbelservice" not in page
    assert "Eva Buitenring" not in page
    assert ids["anja"].name in page


def test_the_report_lists_participants_statements_questions_points_and_commitments(world):
    run_rounds(world)
    services.arena_finish(arena=world.arena, actor=world.planner)
    pdf = report.arena_report_pdf(world.arena)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for expected in ("Klantarena Noord", "Anja Jansen", "Piet de Vries", "Eva Buitenring",
                     "Ik kom er telefonisch nooit doorheen", "De monteur was heel vriendelijk",
                     "Wanneer belt u het liefst?", "Telefonische bereikbaarheid",
                     "Terugbelservice invoeren", "2027-03-01",
                     "Ik bel mijn klanten voortaan terug", "Eerlijke verhalen gehoord"):
        assert expected in text, expected
    # Private notes stay private, also in the report.
    assert "Terugbelfunctie?" not in text


def test_the_report_is_dutch_by_default(world):
    run_rounds(world)
    text = PdfReader(io.BytesIO(report.arena_report_pdf(world.arena))).pages[0].extract_text()
    assert "Deelnemers" in text and "Ronde 1" in text


def test_removing_a_customer_revokes_their_link_and_room_place(world):
    invitation = services.arena_customer_add(arena=world.arena, contact=world.survey.contacts[0])
    services.arena_invitations_send(arena=world.arena, actor=world.planner, base_url="https://x")
    invitation.refresh_from_db()
    link = invitation.link
    services.arena_customer_remove(invitation=invitation)
    link.refresh_from_db()
    assert link.revoked_at is not None and link.revoked_at <= timezone.now()
    assert room_role(room=world.arena.room, contact=world.survey.contacts[0]) is None


def test_deleting_the_organisation_deletes_its_arenas(world):
    run_rounds(world)
    services.arena_finish(arena=world.arena, actor=world.planner)
    Action.objects.filter(point__organisation=world.org).delete()  # owners are protected
    world.org.delete()
    assert not ArenaInvitation.objects.exists() and not ArenaOutcome.objects.exists()


def test_one_customer_gets_a_new_link_and_keeps_their_answer(world):
    invitation = services.arena_customer_add(arena=world.arena, contact=world.survey.contacts[0])
    services.arena_invitations_send(arena=world.arena, actor=world.planner, base_url="https://x")
    invitation.refresh_from_db()
    services.arena_rsvp(invitation=invitation, answer=Rsvp.YES)
    first = invitation.link
    result = services.arena_invitations_send(arena=world.arena, actor=world.planner,
                                             base_url="https://x", only=invitation)
    invitation.refresh_from_db()
    first.refresh_from_db()
    assert result.sent == ["Anja Jansen"] and invitation.rsvp == Rsvp.YES
    assert first.revoked_at is not None and invitation.link_id != first.pk
