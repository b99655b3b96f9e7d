"""The demo organisation's cocreation: built by outsidein.demo.demo_build.

An improvement group "Schadeafhandeling" with two customer delegates and three
employees of the claims unit, working on two of the demo's points, with a decision,
a past meeting with minutes and a planned one; and the steering group, chaired by
the board login, with a customer in it too ("de klant werd in de stuurgroep opgenomen").
"""

import datetime

from django.utils import timezone

from cocreation import services
from cocreation.models import CommentKind, GroupKind
from org.models import Contact

DEMO_URL = "http://127.0.0.1:8000/"


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def build(*, organisation, units, logins, employees, points, waves, route, today, rng, **_):
    """Add this app's part of the demo organisation."""
    consultant, board = logins["consultant"], logins["bestuur"]
    contacts = list(Contact.objects.filter(customer__organisation=organisation)
                    .exclude(email="").select_related("customer").order_by("pk")[:3])
    staff = employees.get("SCH-WON", [])[:2] + employees.get("SCH-EX-Z", [])[:1]

    group = services.group_create(
        organisation=organisation, actor=consultant, name="Schadeafhandeling",
        purpose="Samen met klanten de afhandeling van woningschade sneller en persoonlijker maken: "
                "één vaste behandelaar, en de expert binnen een week aan de deur.",
        points=[points[key] for key in ("behandelaar", "expert") if key in points])
    for index, member in enumerate(staff):
        services.member_add(group=group, membership=member, is_chair=index == 0)
    delegates = [services.delegate_add(group=group, contact=c) for c in contacts[:2]]
    for delegate in delegates:
        services.delegate_invite(delegate=delegate, actor=consultant, base_url=DEMO_URL, notify=False)
    chair = staff[0] if staff else consultant

    past, planned = today - datetime.timedelta(days=21), today + datetime.timedelta(days=14)
    meeting = services.meeting_plan(
        group=group, actor=chair, starts_at=_at(past, 15), place="Kantoor Utrecht, zaal 3",
        agenda="1. Kennismaking\n2. Wat klanten meemaken na een woningschade\n3. Vaste behandelaar\n"
               "4. Afspraken")
    services.meeting_update(
        meeting=meeting, agenda=meeting.agenda,
        minutes="Aanwezig: drie medewerkers van Schade en twee klantafgevaardigden.\n"
                "De klanten vertelden dat ze na een melding steeds een andere behandelaar spreken. "
                "Besloten: vanaf volgende maand krijgt elke woningschade boven 5.000 euro één vaste "
                "behandelaar. De klanten sturen voortaan direct foto's mee bij de melding.")
    services.meeting_plan(group=group, actor=chair, starts_at=_at(planned, 15),
                          place="Kantoor Utrecht, zaal 3",
                          agenda="1. Eerste ervaringen met de vaste behandelaar\n"
                                 "2. Wachttijd expert regio Zuid")
    if staff and "behandelaar" in points:
        services.decision_record(
            group=group, actor=chair, decided_on=past, point=points["behandelaar"],
            text="Elke woningschade boven 5.000 euro krijgt één vaste behandelaar.")
        services.note_add(group=group, author=chair, point=points["behandelaar"],
                          text="Capaciteit team Wonen nagaan voordat we de grens verlagen.")
    if delegates:
        services.comment_add(group=group, contact=delegates[0].contact,
                             text="Fijn dat we dit samen doen. Bij mij kwam de expert pas na twaalf "
                                  "dagen; intussen kon ik niets herstellen.")
        services.comment_add(group=group, contact=delegates[-1].contact, kind=CommentKind.PROPOSAL,
                             text="Stuur een sms als de expert onderweg is")
    if staff:
        services.comment_add(group=group, membership=staff[-1],
                             text="Goed punt. In regio Zuid kijken we of de expert tijdvakken via de "
                                  "app kan aanbieden.")

    steering = services.group_create(
        organisation=organisation, actor=consultant, name="Stuurgroep klantgericht werken",
        kind=GroupKind.STEERING,
        purpose="Bewaakt de verbeterroute; een klant kijkt mee en zegt wat voor hem wezenlijk is.",
        points=list(route.points.all()) if route is not None else [])
    services.member_add(group=steering, membership=board, is_chair=True)
    services.member_add(group=steering, membership=consultant)
    if len(contacts) > 2:
        delegate = services.delegate_add(group=steering, contact=contacts[2])
        services.delegate_invite(delegate=delegate, actor=consultant, base_url=DEMO_URL, notify=False)
    services.meeting_plan(group=steering, actor=board, starts_at=_at(today + datetime.timedelta(days=30), 10),
                          place="Directiekamer", agenda="1. Voortgang verbeterroute\n2. Wat zegt de klant?")
