"""One customer contact and one employee, each seeded across every table through the real services.

Marieke de Vries (marieke@devries.example) is the primary contact of a customer: she answered
the survey (and was followed up), holds a magic link, took part in an arena (her own statement,
and one the moderator captured about her), was visited on a safari, is a delegate of an
improvement group (with a comment), and follows a point on the portal. Jan Jansen
(jan.jansen@acme.example) is an employee: he owns an action (with a note), raised a point, visits
her on the safari, sits in the group (comment and note) and asks a question in the arena.
Piet Pieters is a second customer whose figures must stay exactly as they are.
"""

import datetime
import itertools
import uuid
from dataclasses import dataclass

import pytest
from django.utils import timezone

from accounts.models import MagicLinkPurpose, Role
from accounts.services import magic_link_issue
from arena import services as arena_services
from cocreation import services as cocreation
from improvements import services as improvements
from insights.services import responses_changed
from live import services as live
from org.models import Contact, Customer, Level, UnitKind
from org.services import unit_create
from portal import services as portal
from portal.models import ContributionKind
from research import services as research
from research.models import FollowUp, ResponseSource, WaveStatus
from research.survey import invitations_create
from safari import services as safari

MARIEKE, MARIEKE_EMAIL = "Marieke de Vries", "marieke@devries.example"
JAN, JAN_EMAIL = "Jan Jansen", "jan.jansen@acme.example"
_keys = itertools.count(1)


@dataclass
class PersonWorld:
    org: object
    admin: object
    jan: object
    unit: object
    customer: object
    marieke: object
    piet: object
    wave: object
    point: object
    action: object
    arena: object
    seeded: dict  # table label -> set of primary keys that must be in the export


def say(room, actor, action, **payload):
    room.refresh_from_db()
    return live.event_append(room=room, actor=actor, type=action, payload=payload,
                             client_key=f"p{next(_keys)}-{uuid.uuid4().hex[:8]}")


def build_person_world(org, make_member) -> PersonWorld:
    seeded: dict[str, set] = {}

    def seed(*objs):
        for obj in objs:
            seeded.setdefault(obj._meta.label, set()).add(obj.pk)
        return objs[0]

    root = org.units.get(depth=1)
    unit = unit_create(organisation=org, parent=root, name="Team Noord", kind=UnitKind.TEAM,
                       level=Level.OPERATIONAL)
    admin = make_member(org, Role.ADMIN, name="Anna Admin")
    jan = make_member(org, Role.MANAGER, unit=unit, email=JAN_EMAIL, name=JAN)
    seed(jan, jan.user)
    customer = seed(Customer.objects.create(organisation=org, name="Bakkerij De Vries", unit=unit,
                                            email=MARIEKE_EMAIL))
    marieke = seed(Contact.objects.create(customer=customer, name=MARIEKE, email=MARIEKE_EMAIL,
                                          phone="06-12345678", is_primary=True))
    other = Customer.objects.create(organisation=org, name="Pieters Transport", unit=unit,
                                   customer_number="K-2")
    piet = Contact.objects.create(customer=other, name="Piet Pieters", email="piet@pieters.example",
                                  is_primary=True)

    wave = research.wave_create(organisation=org, actor=admin, name="Meting najaar")
    research.wave_set_status(wave=wave, status=WaveStatus.OPEN)
    invitations_create(wave=wave, contacts=[marieke])
    seed(*marieke.invitations.all())
    response = seed(research.response_record(
        wave=wave, source=ResponseSource.SURVEY, contact=marieke,
        answers=research.Answers(nps=3, comment=f"Ik, {MARIEKE}, wacht al weken op antwoord.",
                                 improvement="Bel me terug op 06-12345678.")))
    research.response_record(wave=wave, source=ResponseSource.SURVEY, contact=piet,
                             answers=research.Answers(nps=9, comment="Prima geholpen."))
    responses_changed(wave=wave)
    seed(FollowUp.objects.get(response=response))
    seed(magic_link_issue(contact=marieke, purpose=MagicLinkPurpose.PORTAL, created_by=admin.user).link)

    point = seed(improvements.point_create(organisation=org, actor=jan, title="Terugbelbelofte",
                                           unit=unit, raised_by=jan,
                                           description=f"Klacht van {MARIEKE.upper()}."))
    seed(improvements.evidence_add(point=point, actor=jan, label="Enquête",
                                   quote=f"{MARIEKE}: wacht al weken", source=response))
    action = seed(improvements.action_create(point=point, actor=admin, title="Terugbelrooster",
                                             owner=jan, due_date=datetime.date(2030, 1, 1)))
    seed(improvements.action_note_add(action=action, actor=jan, text="Rooster staat, Jan Jansen belt."))
    seed(portal.contribution_add(contact=marieke, point=point, kind=ContributionKind.SURVEY,
                                 label="Uw opmerking in de enquête"))
    seed(portal.portal_preference_set(contact=marieke, notify=True))

    arena = arena_services.arena_plan(organisation=org, actor=admin, title="Klantarena Noord",
                                      starts_at=timezone.now(), moderator=admin, units=[unit])
    seed(arena_services.arena_customer_add(arena=arena, contact=marieke))
    arena_services.arena_employee_add(arena=arena, membership=jan)
    say(arena.room, admin, "phase_next")
    seed(say(arena.room, jan, "question_prepare", text=f"Waarom belde niemand {MARIEKE} terug?"))
    seed(say(arena.room, marieke, "statement_add", text="Ik word nooit teruggebeld."))
    say(arena.room, admin, "statement_add", text=f"{MARIEKE} wacht drie weken op een monteur.",
        customer=marieke.pk, sentiment="negative")

    safari_round = safari.round_create(organisation=org, actor=admin, name="Safari najaar",
                                       starts_on=datetime.date(2026, 9, 1),
                                       ends_on=datetime.date(2026, 12, 31), visitors=[jan])
    visit = seed(safari.visit_assign(safari_round=safari_round, actor=admin, visitor=jan,
                                     customer=customer, contact=marieke))
    safari.visit_report(visit=visit, actor=jan, went_well="Koffie.", went_wrong="Wachttijd.",
                        advice="Terugbellen.", quotes=f"“Ik ben {MARIEKE} en ik wacht nog steeds.”")
    seed(safari.calendar_token_issue(membership=jan)[0])

    group = cocreation.group_create(organisation=org, actor=admin, name="Bereikbaarheid")
    seed(cocreation.member_add(group=group, membership=jan))
    seed(cocreation.delegate_add(group=group, contact=marieke))
    seed(cocreation.comment_add(group=group, text="Bel binnen een dag terug.", contact=marieke))
    seed(cocreation.comment_add(group=group, text=f"Eens met {MARIEKE}.", membership=jan))
    seed(cocreation.note_add(group=group, author=jan, text=f"{MARIEKE} is kritisch maar eerlijk."))
    return PersonWorld(org, admin, jan, unit, customer, marieke, piet, wave, point, action, arena, seeded)


@pytest.fixture
def pworld(org, make_member):
    return build_person_world(org, make_member)
