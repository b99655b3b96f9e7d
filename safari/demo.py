"""The demo organisation's safari: built by outsidein.demo.demo_build."""

import datetime

from django.db.models import Q
from django.utils import timezone

from accounts.models import Membership, Role
from improvements import services as improvements
from journeys.models import Channel, Touchpoint
from org.models import Customer
from research.models import Response
from safari import services
from safari.models import VisitReason

ROUND_NAME = "Klantsafari Q4"

# What visitors brought back: (themes, touchpoint hints, went well, went wrong, advice, quotes).
REPORTS = [
    (("Schadeafhandeling", "Herstelbedrijven"), ("herstel", "partner"),
     "De schade aan de bestelbus was binnen een week hersteld. Het herstelbedrijf regelde een "
     "vervangende auto en haalde de bus zelf op.",
     "Niemand liet weten dat de schade was goedgekeurd: de klant belde drie keer om te horen "
     "of het herstelbedrijf al mocht beginnen.",
     "Stuur een sms zodra de schade is goedgekeurd, met de naam van het herstelbedrijf",
     "Ik hoorde pas dat het goed was toen de garage belde.\n"
     "Het herstel zelf was echt prima, daar geen klacht over."),
    (("Bereikbaarheid",), ("telefoon", "phone"),
     "Toen de klant eenmaal iemand aan de lijn had, werd de vraag over de dekking direct beantwoord.",
     "Het keuzemenu heeft vijf lagen; de klant koos twee keer verkeerd en moest opnieuw beginnen. "
     "Bij spoed na een aanrijding is dat onacceptabel.",
     "Zet 'ik heb net schade' als eerste keuze in het menu\n"
     "Bel klanten terug in plaats van ze in de wacht te laten staan",
     "Ik stond langs de snelweg en moest eerst kiezen tussen zes opties.\n"
     "Waarom vraagt de computer mijn polisnummer als de medewerker het daarna opnieuw vraagt?"),
    (("Schadeafhandeling", "Communicatie"), ("melden", "schade"),
     "De schademelding via de app ging snel, met foto's erbij.",
     "Daarna bleef het twee weken stil. De expert kwam zonder afspraak langs en de klant was niet thuis.",
     "Laat de expert een tijdvak afspreken via de app",
     "Melden ging in vijf minuten, daarna hoorde ik niks meer.\n"
     "Eén vast aanspreekpunt, dat zou al zoveel schelen."),
    (("Advies en contact",), ("adviseur", "visit"),
     "De accountmanager kent het bedrijf en denkt mee over de verzekering van de nieuwe loods.",
     "De polisvoorwaarden zijn onleesbaar; de klant begrijpt niet wat er wel en niet gedekt is.",
     "Geef bij elke polis een samenvatting van één pagina in gewone taal",
     "Met Jeroen kan ik alles bespreken, maar de papieren snap ik niet."),
    (("Herstelbedrijven",), ("herstel", "partner"),
     "Het herstelbedrijf in Veghel was vriendelijk en de auto was schoon terug.",
     "De klant moest het eigen risico aan de balie betalen zonder dat dat vooraf was verteld.",
     "Vertel bij de goedkeuring hoeveel eigen risico de klant betaalt en waar",
     "Die 300 euro aan de balie overviel me."),
    (("Bereikbaarheid", "Communicatie"), ("telefoon", "phone"),
     "De medewerker van de schadedienst nam de tijd en legde rustig uit wat er ging gebeuren.",
     "De klant werd na de melding doorverbonden naar een ander nummer en hing twintig minuten in de wacht.",
     "Laat de eerste medewerker de melding afmaken in plaats van door te verbinden",
     "Ik werd drie keer doorverbonden en moest elke keer mijn verhaal opnieuw doen."),
    (("Schadeafhandeling",), ("uitkering", "betal"),
     "De uitkering voor de stormschade aan de kas stond binnen tien dagen op de rekening.",
     "De brief met de afwijzing van een deel van de schade was vol jargon en gaf geen reden.",
     "Bel de klant als een deel van de schade wordt afgewezen, en leg uit waarom",
     "Een brief met artikelnummers, daar heb ik niks aan.\nBel me gewoon even."),
    (("Advies en contact", "Communicatie"), ("adviseur", "visit"),
     "De klant waardeert dat de adviseur elk jaar langskomt om de polissen door te nemen.",
     "Na de overstap naar de nieuwe app kon de klant zijn polissen niet meer vinden.",
     "Stuur bij grote wijzigingen in de app een korte uitleg per e-mail",
     "Ineens was alles weg uit de app, ik dacht dat ik niet meer verzekerd was."),
]
PLACES = ["Bij de klant op kantoor", "Op het erf", "Thuis bij de klant", "Werkplaats van de klant"]


def _touchpoints(organisation, hints):
    """The demo's touchpoints matching the hints (by channel or name); none is fine."""
    query = Q()
    for hint in hints:
        if hint in Channel.values:
            query |= Q(channel=hint)
        else:
            query |= Q(name__icontains=hint)
    return list(Touchpoint.objects.for_organisation(organisation).filter(query).order_by("pk")[:2])


def build(*, organisation, units, logins, employees, points, waves, route, today, rng, **_):
    """Add this app's part of the demo organisation."""
    planner = logins["bestuur"]
    manager = logins["manager"]
    board = list(Membership.objects.active().filter(organisation=organisation, role=Role.BOARD)
                 .select_related("user").order_by("pk"))
    visitors = [*board, manager]
    year = today.year if today.month >= 10 else today.year - 1
    starts_on = datetime.date(year, 10, 1)
    ends_on = max(datetime.date(year, 12, 31), today + datetime.timedelta(days=30))
    safari_round = services.round_create(
        organisation=organisation, actor=planner, name=ROUND_NAME, starts_on=starts_on, ends_on=ends_on,
        visits_per_visitor=3, visitors=visitors,
        notes="Elk MT-lid bezoekt dit kwartaal drie klanten: twee recente detractors en een groot account.")

    # Candidates: the latest wave's detractors first, then large accounts, each with a contact.
    wave = waves[-1] if waves else None
    detractors = []
    if wave is not None:
        detractors = list(Customer.objects.filter(
            pk__in=Response.objects.filter(wave=wave, nps__lte=6, customer__isnull=False)
            .values("customer")).exclude(contacts=None).select_related("unit").order_by("pk")[:60])
    large = list(Customer.objects.for_organisation(organisation).filter(segment__icontains="groot")
                 .exclude(contacts=None).select_related("unit").order_by("pk")[:30])
    rng.shuffle(detractors)
    rng.shuffle(large)
    manager_unit = manager.unit
    own = [c for c in detractors if manager_unit and c.unit and c.unit.path.startswith(manager_unit.path)]
    used: set[int] = set()

    def pick(pool, reason):
        for customer in pool:
            if customer.pk not in used:
                used.add(customer.pk)
                return customer, reason
        return None

    start = timezone.make_aware(datetime.datetime.combine(max(starts_on, today - datetime.timedelta(days=40)),
                                                          datetime.time(10)))
    reports = iter(REPORTS * 2)
    visits_done = []
    for index, visitor in enumerate(visitors):
        pools = ([(own or detractors, VisitReason.DETRACTOR), (own or detractors, VisitReason.DETRACTOR),
                  (large, VisitReason.LARGE_ACCOUNT)])
        for slot, (pool, reason) in enumerate(pools):
            chosen = pick(pool, reason) or pick(detractors, VisitReason.DETRACTOR)
            if chosen is None:
                continue
            customer, reason = chosen
            reported = slot < (2 if visitor == manager else 1 + (index == 0))
            if reported:
                planned_at = min(start + datetime.timedelta(days=3 * index + 7 * slot, hours=slot),
                                 timezone.now() - datetime.timedelta(days=1, hours=slot))
            else:
                planned_at = timezone.make_aware(datetime.datetime.combine(
                    today + datetime.timedelta(days=4 + 3 * index + 5 * slot),
                    datetime.time(9 + slot * 2, 30)))
            visit = services.visit_assign(
                safari_round=safari_round, actor=planner, visitor=visitor, customer=customer,
                planned_at=planned_at, place=rng.choice(PLACES), reason=reason)
            if reported:
                theme_names, hints, well, wrong, advice, quotes = next(reports)
                themes = [improvements.theme_get_or_create(organisation=organisation, name=n)
                          for n in theme_names]
                services.visit_report(visit=visit, actor=visitor, went_well=well, went_wrong=wrong,
                                      advice=advice, quotes=quotes, themes=themes,
                                      touchpoints=_touchpoints(organisation, hints))
                visits_done.append(visit)

    # The manager's phone-menu visit (or the first reported one) already became a point.
    mine = [v for v in visits_done if v.visitor_id == manager.pk] or visits_done
    if mine:
        visit = mine[-1]
        visit.refresh_from_db()
        services.advice_to_point(visit=visit, actor=visit.visitor, advice=visit.advice_lines()[0])
