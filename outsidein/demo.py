"""The demo: a Dutch insurer (and a small housing corporation) to show Outside-In with.

``demo_build`` deletes and rebuilds both organisations in one transaction from a fixed
seed, so the same seed always gives the same people, customers and points. Only the
six demo logins get a password; hashing one for each of ~150 colleagues would make
the build slow for no gain (they would use a password reset). Customers, contacts and
plain employees are bulk-inserted; everything with history (units, managers, points,
actions, the route) goes through the regular services.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.text import slugify
from django_otp.plugins.otp_totp.models import TOTPDevice
from faker import Faker

from accounts.models import Membership, Organisation, Role, User
from accounts.services import membership_create, organisation_create
from accounts.two_factor import TWO_FACTOR_ROLES
from arena.models import Arena
from improvements import services as improvements
from improvements.models import Action, ActionStatus, ImprovementPoint, PointStatus, Priority
from org.models import Contact, Customer, CustomerKind, Level, Unit, UnitKind
from org.services import unit_create, unit_update
from research import services as research
from research import services_settings as research_settings
from research.models import (
    FollowUp,
    FollowUpStatus,
    Invitation,
    QuestionKind,
    Response,
    ResponseSource,
    ResponseStatus,
    Wave,
    WaveStatus,
)

DEMO_PASSWORD = "outsidein-demo"
# Administrators and consultants log in with a second factor (accounts.two_factor). The demo's
# have an authenticator with this fixed, public secret: `outsidein manage demo_logins` prints
# it for an authenticator app, with the code of the moment. Never a secret worth keeping.
DEMO_TOTP_KEY = "4f7574736964652d496e2064656d6f2d6b657921"
DEMO_URL = "http://127.0.0.1:8000/"
SECOND_ORG_SLUG = "woonstede"
STAFF_DOMAIN = "zekerheid.example"
SECOND_STAFF_DOMAIN = "woonstede.example"
LOGIN_DOMAIN = "demo.outsidein.example"
PERSON_DOMAINS = ("example.com", "example.net", "example.org")


@dataclass(frozen=True)
class DemoLogin:
    """A fixed demo account and what it shows."""

    email: str
    name: str
    role: str
    job_title: str
    unit_code: str | None
    shows: str


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(f"admin@{LOGIN_DOMAIN}", "Sanne Bakker", Role.ADMIN,
              "Functioneel beheerder", None, "manages the organisation, people and customers"),
    DemoLogin(f"consultant@{LOGIN_DOMAIN}", "Eva Koster", Role.CONSULTANT,
              "CX-consultant", None, "serves two organisations (switch to Woonstede Wonen)"),
    DemoLogin(f"bestuur@{LOGIN_DOMAIN}", "Hendrik Smit", Role.BOARD,
              "Algemeen directeur", "ZKV", "the whole picture and the improvement route"),
    DemoLogin(f"manager@{LOGIN_DOMAIN}", "Fatima El Amrani", Role.MANAGER,
              "Manager Particulier", "PAR", "business unit Particulier and its teams"),
    DemoLogin(f"medewerker@{LOGIN_DOMAIN}", "Daan de Vries", Role.EMPLOYEE,
              "Klantadviseur", "PAR-KCC", "own actions, some overdue"),
    DemoLogin(f"gespreksleider@{LOGIN_DOMAIN}", "Joost Mulder", Role.MODERATOR,
              "Onafhankelijk gespreksleider", None, "leads a klantarena"),
)


@dataclass(frozen=True)
class DemoSummary:
    """What the demo organisation holds after a build."""

    units: int
    teams: int
    people: int
    customers: int
    points: int
    actions: int
    waves: int = 0
    responses: int = 0
    follow_ups: int = 0
    arena_points: int = 0


# --- the insurer's structure ---------------------------------------------------------

ORG_NAME = "Zekerheid Verzekeringen"
ROOT_CODE = "ZKV"

# (code, name, kind, manager's job title)
TACTICAL_UNITS = (
    ("PAR", "Particulier", UnitKind.BUSINESS_UNIT, "Manager Particulier"),
    ("ZAK", "Zakelijk", UnitKind.BUSINESS_UNIT, "Manager Zakelijk"),
    ("SCH", "Schade", UnitKind.BUSINESS_UNIT, "Manager Schade"),
    ("NRD", "Noord", UnitKind.REGION, "Regiomanager Noord"),
    ("MID", "Midden", UnitKind.REGION, "Regiomanager Midden"),
    ("ZUI", "Zuid", UnitKind.REGION, "Regiomanager Zuid"),
)

# (parent code, code, name, market) — market decides which customers a team serves.
TEAMS = (
    ("PAR", "PAR-KCC", "Particulier Klantcontactcentrum", "particulier"),
    ("PAR", "PAR-VO", "Particulier Verkoop Online", "particulier"),
    ("PAR", "PAR-PB", "Particulier Polisbeheer", "particulier"),
    ("PAR", "PAR-LP", "Particulier Leven en Pensioen", "particulier"),
    ("PAR", "PAR-RET", "Particulier Klantbehoud", "particulier"),
    ("ZAK", "ZAK-AM-MKB", "Zakelijk Accountmanagement MKB", "mkb"),
    ("ZAK", "ZAK-AM-GZ", "Zakelijk Accountmanagement Grootzakelijk", "grootzakelijk"),
    ("ZAK", "ZAK-AGR", "Zakelijk Agrarisch", "agrarisch"),
    ("ZAK", "ZAK-ACC", "Zakelijk Acceptatie", "zakelijk"),
    ("ZAK", "ZAK-INK", "Zakelijk Inkomensverzekeringen", "zakelijk"),
    ("SCH", "SCH-MR", "Schadebehandeling Motorrijtuigen", "schade"),
    ("SCH", "SCH-WON", "Schadebehandeling Wonen", "schade"),
    ("SCH", "SCH-AVP", "Schadebehandeling Aansprakelijkheid", "schade"),
    ("SCH", "SCH-LET", "Letselschade", "schade"),
    ("SCH", "SCH-SZ", "Speciale Zaken en Fraude", "schade"),
    ("NRD", "PAR-KS-N", "Particulier Klantenservice Noord", "particulier"),
    ("NRD", "ZAK-AD-N", "Zakelijk Advies Noord", "agrarisch"),
    ("NRD", "SCH-EX-N", "Schade Expertise Noord", "schade"),
    ("MID", "PAR-KS-M", "Particulier Klantenservice Midden", "particulier"),
    ("MID", "ZAK-AD-M", "Zakelijk Advies Midden", "zakelijk"),
    ("MID", "ZAK-IM-M", "Intermediairdesk Midden", "zakelijk"),
    ("MID", "SCH-EX-M", "Schade Expertise Midden", "schade"),
    ("ZUI", "PAR-KS-Z", "Particulier Klantenservice Zuid", "particulier"),
    ("ZUI", "ZAK-AD-Z", "Zakelijk Advies Zuid", "zakelijk"),
    ("ZUI", "SCH-EX-Z", "Schade Expertise Zuid", "schade"),
)

EMPLOYEES = 150  # including the medewerker@ demo login
TEAM_LEADS = 12
PERSON_CUSTOMERS = 2000
COMPANY_CUSTOMERS = 1000

JOB_TITLES = {
    "particulier": ("Klantadviseur", "Klantadviseur", "Senior klantadviseur", "Verkoopadviseur"),
    "mkb": ("Accountmanager MKB", "Binnendienstmedewerker", "Accountmanager MKB"),
    "grootzakelijk": ("Accountmanager Grootzakelijk", "Risicoadviseur"),
    "agrarisch": ("Adviseur Agrarisch", "Accountmanager Agrarisch"),
    "zakelijk": ("Acceptant", "Zakelijk adviseur", "Binnendienstmedewerker"),
    "schade": ("Schadebehandelaar", "Schadebehandelaar", "Senior schadebehandelaar",
               "Schade-expert"),
}
BOARD = (
    ("Financieel directeur", "Directeur Particulier", "Directeur Zakelijk", "Directeur Schade",
     "Directeur Klant en Operatie")
)
CONTACT_TITLES = ("Eigenaar", "Directeur", "Financieel manager", "Office manager",
                  "Bedrijfsleider", "Inkoper", "HR-manager", "Controller")
AGRI_KINDS = ("Melkveebedrijf", "Akkerbouwbedrijf", "Varkenshouderij", "Loonbedrijf",
              "Boomkwekerij", "Pluimveebedrijf", "Tuinderij", "Fruitteeltbedrijf")

AREA_CODES = ("10", "13", "20", "30", "33", "40", "43", "50", "53", "58", "70", "73", "76",
              "318", "413", "511", "513", "548")

THEMES = ("Bereikbaarheid", "Snelheid", "Communicatie", "Deskundigheid", "Prijs/kwaliteit",
          "Vriendelijkheid")

# --- improvement points ----------------------------------------------------------------
# Owners: "medewerker" and "manager" are the demo logins; "lead:<code>" is that team's
# team lead (or its first employee), "member:<code>" an employee of that team.
# Due dates are days relative to today; negative and unfinished means overdue.

POINTS = (
    {
        "key": "terugbellen",
        "title": "Terugbelafspraken worden niet nagekomen",
        "description": "Klanten krijgen aan de telefoon de toezegging dat ze worden "
                       "teruggebeld, maar dat gebeurt vaak niet of pas na dagen. Ze bellen "
                       "dan opnieuw en moeten hun verhaal nog eens doen.",
        "theme": "Bereikbaarheid", "unit": "PAR-KCC", "priority": Priority.HIGH,
        "status": PointStatus.IN_PROGRESS, "raised_by": "medewerker",
        "evidence": (
            ("Klantonderzoek voorjaar 2026",
             "Ik zou binnen twee dagen worden teruggebeld. Ik heb nooit meer iets gehoord."),
            ("Klantarena Particulier, februari 2026",
             "Je belt, je krijgt een vriendelijke belofte, en dan gebeurt er niets."),
        ),
        "actions": (
            ("Terugbelverzoeken automatisch inplannen in de agenda van de adviseur",
             "medewerker", 14, ActionStatus.IN_PROGRESS,
             "Koppeling met de agenda getest met drie adviseurs; werkt."),
            ("Wekelijks overzicht van openstaande terugbelverzoeken per team", "manager", -20,
             ActionStatus.DONE, "Staat sinds week 10 elke maandag in het teamoverleg."),
            ("Belscript aanpassen: altijd een concreet tijdvak afspreken", "medewerker", -5,
             ActionStatus.OPEN, ""),
        ),
    },
    {
        "key": "app-foto",
        "title": "Schademelding via de app loopt vast bij foto's uploaden",
        "description": "Bij het melden van autoschade via de app blijft het uploaden van "
                       "foto's hangen. Klanten haken af en bellen alsnog.",
        "theme": "Snelheid", "unit": "SCH-MR", "priority": Priority.URGENT,
        "status": PointStatus.IN_PROGRESS, "raised_by": "label:Klantarena Schade, maart 2026",
        "evidence": (
            ("Klantarena Schade, maart 2026",
             "Na de aanrijding stond ik langs de weg en de app bleef maar draaien bij de "
             "foto's. Uiteindelijk heb ik maar gebeld."),
            ("Klantonderzoek voorjaar 2026",
             "Melden via de app zou makkelijk moeten zijn, maar het lukte gewoon niet."),
        ),
        "actions": (
            ("Fout in het uploaden van grote foto's laten oplossen door de appbouwer",
             "lead:SCH-MR", -3, ActionStatus.IN_PROGRESS,
             "Oorzaak gevonden: foto's van nieuwe telefoons zijn te groot. Oplossing in test."),
            ("Tijdelijk alternatief: foto's per e-mail laten nasturen", "member:SCH-MR", -30,
             ActionStatus.DONE, ""),
        ),
    },
    {
        "key": "keuzemenu",
        "title": "Keuzemenu telefoon is te lang",
        "description": "Het telefonische keuzemenu heeft vijf lagen. Klanten raken de weg "
                       "kwijt en komen vaak bij de verkeerde afdeling uit.",
        "theme": "Bereikbaarheid", "unit": "PAR", "priority": Priority.MEDIUM,
        "status": PointStatus.PLANNED, "raised_by": "manager",
        "evidence": (
            ("Klantonderzoek voorjaar 2026",
             "Toets 1, toets 3, toets 2... en dan hang je alsnog twintig minuten in de wacht."),
        ),
        "actions": (
            ("Keuzemenu terugbrengen naar maximaal drie keuzes", "manager", 30,
             ActionStatus.OPEN, ""),
            ("Nieuw keuzemenu testen met tien klanten", "medewerker", None,
             ActionStatus.OPEN, ""),
        ),
    },
    {
        "key": "expert",
        "title": "Expert komt te laat langs na een schade",
        "description": "Na een woningschade duurt het in regio Zuid gemiddeld elf dagen "
                       "voordat de expert langskomt. Klanten kunnen intussen niet herstellen.",
        "theme": "Snelheid", "unit": "SCH-EX-Z", "priority": Priority.HIGH,
        "status": PointStatus.IN_PROGRESS, "raised_by": "label:Klantarena Schade, maart 2026",
        "evidence": (
            ("Klantarena Schade, maart 2026",
             "Mijn plafond was naar beneden gekomen en ik moest bijna twee weken wachten "
             "op de expert. Ik durfde niets op te ruimen."),
            ("Klantsafari regio Zuid, april 2026",
             "De aannemer stond klaar, maar mocht niet beginnen voordat de expert was geweest."),
        ),
        "actions": (
            ("Afspraak met de expert binnen 48 uur na de melding vastleggen", "lead:SCH-EX-Z",
             -10, ActionStatus.IN_PROGRESS, "Lukt nu bij ongeveer de helft van de meldingen."),
            ("Capaciteit experts Zuid uitbreiden met twee zzp-experts", "lead:SCH-EX-Z", -40,
             ActionStatus.DONE, ""),
            ("Klant laten herstellen op basis van foto's bij schade onder 2.500 euro",
             "member:SCH-EX-Z", 45, ActionStatus.OPEN, ""),
        ),
    },
    {
        "key": "voorwaarden",
        "title": "Polisvoorwaarden zijn onbegrijpelijk",
        "description": "Klanten begrijpen niet wat wel en niet verzekerd is. Dat leidt tot "
                       "teleurstelling bij een schade en tot veel vragen aan de telefoon.",
        "theme": "Communicatie", "unit": "PAR-PB", "priority": Priority.MEDIUM,
        "status": PointStatus.PLANNED, "raised_by": "label:Klantonderzoek voorjaar 2026",
        "evidence": (
            ("Klantonderzoek voorjaar 2026",
             "Ik heb de voorwaarden drie keer gelezen en weet nog steeds niet of mijn fiets "
             "verzekerd is."),
        ),
        "actions": (
            ("Voorwaarden woonverzekering herschrijven op B1-niveau", "member:PAR-PB", 60,
             ActionStatus.OPEN, ""),
            ("Samenvatting op één pagina bij elke polis", "medewerker", 90, ActionStatus.OPEN,
             ""),
        ),
    },
    {
        "key": "accountmanager",
        "title": "Accountmanager is moeilijk bereikbaar voor MKB-klanten",
        "description": "MKB-klanten krijgen hun accountmanager slecht te pakken en weten "
                       "bij afwezigheid niet bij wie ze terechtkunnen.",
        "theme": "Bereikbaarheid", "unit": "ZAK-AM-MKB", "priority": Priority.HIGH,
        "status": PointStatus.DONE, "raised_by": "lead:ZAK-AM-MKB",
        "evidence": (
            ("Klantonderzoek najaar 2025",
             "Als ik mijn accountmanager nodig heb, is hij er nooit. Een vervanger is er niet."),
        ),
        "actions": (
            ("Vast wekelijks belmoment per accountmanager", "lead:ZAK-AM-MKB", -60,
             ActionStatus.DONE, "Ingevoerd; klanten reageren positief."),
            ("Vervanger noemen in elke afwezigheidsmelding", "member:ZAK-AM-MKB", -45,
             ActionStatus.DONE, ""),
        ),
    },
    {
        "key": "premie",
        "title": "Premieverhoging wordt niet uitgelegd",
        "description": "De jaarlijkse premieverhoging komt zonder toelichting. Klanten "
                       "zeggen op en stappen over naar een goedkopere verzekeraar.",
        "theme": "Prijs/kwaliteit", "unit": "PAR", "priority": Priority.MEDIUM,
        "status": PointStatus.PROPOSED, "raised_by": "member:PAR-RET",
        "evidence": (
            ("Klantonderzoek voorjaar 2026",
             "Elk jaar weer duurder, en nergens staat waarom."),
        ),
        "actions": (),
    },
    {
        "key": "behandelaar",
        "title": "Schadebehandelaar wisselt steeds",
        "description": "Bij een langer lopende woningschade krijgt de klant steeds een "
                       "andere behandelaar en moet hij alles opnieuw uitleggen.",
        "theme": "Communicatie", "unit": "SCH-WON", "priority": Priority.HIGH,
        "status": PointStatus.IN_PROGRESS, "raised_by": "label:Klantarena Schade, maart 2026",
        "evidence": (
            ("Klantarena Schade, maart 2026",
             "Ik heb in drie maanden met vijf verschillende mensen gesproken over dezelfde "
             "lekkage."),
        ),
        "actions": (
            ("Eén vaste behandelaar per schadedossier", "lead:SCH-WON", 21,
             ActionStatus.IN_PROGRESS, ""),
            ("Verplichte overdrachtsnotitie bij afwezigheid", "member:SCH-WON", -15,
             ActionStatus.DROPPED, "Vervalt: met een vaste behandelaar is dit niet meer nodig."),
        ),
    },
    {
        "key": "klacht",
        "title": "Klanten voelen zich niet serieus genomen bij een klacht",
        "description": "Klachten worden snel afgehandeld, maar klanten hebben het gevoel "
                       "dat er niet echt naar ze geluisterd wordt.",
        "theme": "Vriendelijkheid", "unit": "PAR-KS-M", "priority": Priority.MEDIUM,
        "status": PointStatus.PLANNED, "raised_by": "lead:PAR-KS-M",
        "evidence": (
            ("Klantonderzoek voorjaar 2026",
             "Ik kreeg een standaardbrief terug. Niemand heeft me gebeld."),
        ),
        "actions": (
            ("Training klachtgesprekken voor Klantenservice Midden", "lead:PAR-KS-M", -2,
             ActionStatus.OPEN, ""),
        ),
    },
    {
        "key": "agrarisch",
        "title": "Adviseur kent het agrarische bedrijf van de klant niet",
        "description": "Agrarische klanten missen bij hun adviseur kennis van de "
                       "bedrijfsvoering, zoals stalbrandrisico's en dierziekten.",
        "theme": "Deskundigheid", "unit": "ZAK-AGR", "priority": Priority.MEDIUM,
        "status": PointStatus.DONE, "raised_by": "label:Klantsafari Agrarisch, januari 2026",
        "evidence": (
            ("Klantsafari Agrarisch, januari 2026",
             "Ik moest mijn adviseur uitleggen wat een melkrobot is. Dan vertrouw je zijn "
             "advies niet meer."),
        ),
        "actions": (
            ("Adviseurs lopen een dag mee op een melkveebedrijf", "lead:ZAK-AGR", -35,
             ActionStatus.DONE, "Alle acht adviseurs zijn geweest."),
            ("Kennissessie stalbrand en dierziekten", "member:ZAK-AGR", -7,
             ActionStatus.DONE, ""),
        ),
    },
    {
        "key": "uitbetaling",
        "title": "Uitbetaling na schade duurt te lang",
        "description": "Na goedkeuring van een schade duurt het soms drie weken voordat "
                       "het geld op de rekening staat.",
        "theme": "Snelheid", "unit": "SCH", "priority": Priority.URGENT,
        "status": PointStatus.PROPOSED, "raised_by": "label:Klantonderzoek voorjaar 2026",
        "evidence": (
            ("Klantonderzoek voorjaar 2026",
             "De schade was in een week goedgekeurd. Op het geld heb ik nog drie weken "
             "gewacht."),
        ),
        "actions": (),
    },
    {
        "key": "chatbot",
        "title": "Chatbot begrijpt vragen over de polis niet",
        "description": "De chatbot op de website geeft bij vragen over de eigen polis "
                       "standaardantwoorden die niet passen.",
        "theme": "Deskundigheid", "unit": "PAR-VO", "priority": Priority.LOW,
        "status": PointStatus.DROPPED, "raised_by": "member:PAR-VO",
        "evidence": (
            ("Klantonderzoek voorjaar 2026",
             "De chatbot stuurde me drie keer naar dezelfde veelgestelde vraag."),
        ),
        "actions": (
            ("Chatbot uitbreiden met vragen over de eigen polis", "member:PAR-VO", 30,
             ActionStatus.DROPPED, "Vervalt: chatbot wordt vervangen door live chat."),
        ),
    },
)

ROUTE_NAME = "Verbeterroute 2027"
ROUTE_POINTS = ("terugbellen", "app-foto", "expert", "voorwaarden", "uitbetaling")
ROUTE_TARGET = (
    "Eind 2027 is de NPS van Zekerheid gestegen van -6 naar +10. Een terugbelafspraak wordt "
    "in 95% van de gevallen nagekomen, een expert komt binnen 48 uur na een schademelding "
    "langs en een goedgekeurde schade staat binnen vijf werkdagen op de rekening."
)
ROUTE_VISION = (
    "Zekerheid is de verzekeraar die er is als het erop aankomt. Klanten weten wat ze "
    "verzekerd hebben, bereiken ons wanneer ze ons nodig hebben en krijgen na een schade "
    "snel en persoonlijk hulp van één vaste contactpersoon.\n\n"
    "Dat bereiken we niet met een campagne, maar door elke meting, elke klantarena en elk "
    "klantbezoek te vertalen naar verbeteringen die we samen met klanten uitvoeren en "
    "zichtbaar afronden. Iedere medewerker kent de uitkomsten voor zijn eigen klanten en "
    "gaat met hen in gesprek; het MT bespreekt de voortgang van deze route in elk "
    "maandelijks overleg."
)

# --- the second, small organisation ----------------------------------------------------

SECOND_ORG_NAME = "Woonstede Wonen"
SECOND_TACTICAL = (
    ("VHW", "Verhuur en Woonservice", UnitKind.BUSINESS_UNIT),
    ("VGO", "Vastgoed en Onderhoud", UnitKind.BUSINESS_UNIT),
)
SECOND_TEAMS = (
    ("VHW", "VHW-KCC", "Klantcontactcentrum"),
    ("VHW", "VHW-WO", "Wijkteam Oost"),
    ("VGO", "VGO-REP", "Reparatieverzoeken"),
)
SECOND_CUSTOMERS = 40
SECOND_POINTS = (
    ("Reparatieverzoek wordt niet bevestigd", "Communicatie", "VGO-REP",
     PointStatus.IN_PROGRESS,
     "Ik heb de lekkage gemeld, maar weet niet of iemand het heeft ontvangen.",
     "Bevestiging met afspraakdatum sturen na elk reparatieverzoek", 20,
     ActionStatus.IN_PROGRESS),
    ("Huurders weten niet wie hun wijkbeheerder is", "Bereikbaarheid", "VHW-WO",
     PointStatus.PROPOSED, "Vroeger kende ik de huismeester. Nu weet ik niet wie ik moet bellen.",
     None, None, None),
)


# --- helpers ---------------------------------------------------------------------------

def _ascii(text: str) -> str:
    """Return ``text`` lower-cased with accents, spaces and punctuation removed."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in plain.lower() if ch.isalnum())


class _Names:
    """Deterministic Dutch names and unique e-mail addresses."""

    def __init__(self, fake: Faker):
        self.fake = fake
        self.used: set[str] = set()

    def email(self, first: str, last: str, domain: str) -> str:
        local = f"{_ascii(first)}.{_ascii(last)}"
        candidate, n = f"{local}@{domain}", 1
        while candidate in self.used:
            n += 1
            candidate = f"{local}{n}@{domain}"
        self.used.add(candidate)
        return candidate

    def person(self, domain: str) -> tuple[str, str]:
        first, last = self.fake.first_name(), self.fake.last_name()
        return f"{first} {last}", self.email(first, last, domain)


@transaction.atomic
def demo_delete(*, slug: str = "demo") -> None:
    """Delete the demo organisations and the users who belong to no other organisation."""
    organisations = Organisation.objects.filter(slug__in=(slug, SECOND_ORG_SLUG))
    user_ids = list(
        Membership.objects.filter(organisation__in=organisations).values_list("user_id",
                                                                              flat=True)
    )
    # Action.owner protects memberships; the actions go first so the cascade can run.
    Action.objects.filter(point__organisation__in=organisations).delete()
    Arena.objects.filter(organisation__in=organisations).delete()
    organisations.delete()
    demo_domains = Q()
    for domain in (STAFF_DOMAIN, SECOND_STAFF_DOMAIN, LOGIN_DOMAIN):
        demo_domains |= Q(email__endswith=f"@{domain}")
    User.objects.filter(Q(pk__in=user_ids) | demo_domains, memberships__isnull=True).delete()


def _demo_authenticator(user: User) -> None:
    """Give a demo login the demo's authenticator (the fixed ``DEMO_TOTP_KEY``)."""
    TOTPDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.create(user=user, name="authenticator", key=DEMO_TOTP_KEY, confirmed=True)


def demo_totp_code() -> str:
    """The code a demo authenticator shows now."""
    from django_otp.oath import totp

    return f"{totp(bytes.fromhex(DEMO_TOTP_KEY)):06d}"


def _bulk_members(*, organisation: Organisation, people: list[tuple[str, str, Unit, str]],
                  role: str = Role.EMPLOYEE) -> list[Membership]:
    """Create users without a usable password and their memberships, in bulk."""
    emails = [email for _name, email, _unit, _title in people]
    users = {u.email: u for u in User.objects.filter(email__in=emails)}
    new_users = []
    for name, email, _unit, _title in people:
        if email not in users:
            user = User(email=email, name=name)
            user.set_unusable_password()
            new_users.append(user)
    for user in User.objects.bulk_create(new_users, batch_size=500):
        users[user.email] = user
    return Membership.objects.bulk_create(
        [Membership(user=users[email], organisation=organisation, role=role, unit=unit,
                    job_title=title) for _name, email, unit, title in people],
        batch_size=500,
    )


def _add_units(*, organisation: Organisation, parent: Unit,
               children: list[tuple[str, str, str, str]]) -> dict[str, Unit]:
    """Add ``(code, name, kind, level)`` children under ``parent``; return them by code."""
    return {
        code: unit_create(organisation=organisation, parent=parent, name=name, kind=kind,
                          level=level, code=code)
        for code, name, kind, level in children
    }


def _root(organisation: Organisation, code: str) -> Unit:
    """Return the organisation's root unit, given its short code."""
    root = Unit.objects.get(organisation=organisation, depth=1)
    return unit_update(unit=root, name=root.name, kind=root.kind, level=root.level, code=code)


# --- the build -------------------------------------------------------------------------

@transaction.atomic
def demo_build(*, slug: str = "demo", seed: int = 2026) -> DemoSummary:
    """Delete and rebuild the demo organisations from ``seed``; return what the demo holds."""
    demo_delete(slug=slug)
    rng = random.Random(seed)
    fake = Faker("nl_NL")
    fake.seed_instance(seed)
    names = _Names(fake)
    today = timezone.localdate()

    organisation = organisation_create(slug=slug, name=ORG_NAME)
    root = _root(organisation, ROOT_CODE)
    units = {ROOT_CODE: root}
    units |= _add_units(organisation=organisation, parent=root, children=[
        (code, name, kind, Level.TACTICAL) for code, name, kind, _title in TACTICAL_UNITS
    ])
    for parent_code in dict.fromkeys(parent for parent, *_rest in TEAMS):
        units |= _add_units(organisation=organisation, parent=units[parent_code], children=[
            (code, name, UnitKind.TEAM, Level.OPERATIONAL)
            for parent, code, name, _market in TEAMS if parent == parent_code
        ])
    market = {code: market for _parent, code, _name, market in TEAMS}

    logins = {
        login.email.split("@")[0]: membership_create(
            organisation=organisation, email=login.email, name=login.name, role=login.role,
            unit=units[login.unit_code] if login.unit_code else None,
            job_title=login.job_title, password=DEMO_PASSWORD,
        )
        for login in DEMO_LOGINS
    }
    for login in DEMO_LOGINS:
        if login.role in TWO_FACTOR_ROLES:
            _demo_authenticator(logins[login.email.split("@")[0]].user)
    for title in BOARD:
        name, email = names.person(STAFF_DOMAIN)
        membership_create(organisation=organisation, email=email, name=name, role=Role.BOARD,
                          unit=root, job_title=title)
    for code, _name, _kind, title in TACTICAL_UNITS:
        if code != logins["manager"].unit.code:  # the manager@ login runs Particulier
            name, email = names.person(STAFF_DOMAIN)
            membership_create(organisation=organisation, email=email, name=name,
                              role=Role.MANAGER, unit=units[code], job_title=title)
    leads = {}
    team_codes = [code for _parent, code, _name, _market in TEAMS]
    for code in sorted(rng.sample(team_codes, TEAM_LEADS), key=team_codes.index):
        name, email = names.person(STAFF_DOMAIN)
        leads[code] = membership_create(organisation=organisation, email=email, name=name,
                                        role=Role.MANAGER, unit=units[code],
                                        job_title="Teamleider")

    # ~150 employees: four per team, the rest spread at random.
    plain = EMPLOYEES - 1  # the medewerker@ login is the 150th
    headcount = dict.fromkeys(team_codes, 4)
    for code in rng.choices(team_codes, k=plain - 4 * len(team_codes)):
        headcount[code] += 1
    people = []
    for code in team_codes:
        for _ in range(headcount[code]):
            name, email = names.person(STAFF_DOMAIN)
            people.append((name, email, units[code], rng.choice(JOB_TITLES[market[code]])))
    employees: dict[str, list[Membership]] = {code: [] for code in team_codes}
    for membership in _bulk_members(organisation=organisation, people=people):
        employees[membership.unit.code].append(membership)
    employees["PAR-KCC"].insert(0, logins["medewerker"])

    customer_count = _build_customers(organisation=organisation, units=units, market=market,
                                      employees=employees, rng=rng, fake=fake)

    def owner(ref: str) -> Membership:
        if ref in logins:
            return logins[ref]
        kind, code = ref.split(":")
        if kind == "lead" and code in leads:
            return leads[code]
        return employees[code][0] if kind == "lead" else rng.choice(employees[code])

    points = _build_points(organisation=organisation, actor=logins["consultant"], owner=owner,
                           units=units, today=today)
    route = improvements.route_create(
        organisation=organisation, actor=logins["bestuur"], name=ROUTE_NAME,
        vision=ROUTE_VISION, target=ROUTE_TARGET,
        points=[points[key] for key in ROUTE_POINTS],
    )

    _build_second_org(consultant=logins["consultant"], rng=rng, fake=fake, names=names,
                      today=today)
    waves, follow_ups = _build_waves(organisation=organisation, consultant=logins["consultant"],
                                     units=units, employees=employees, seed=seed)
    arena_points = _build_arenas(organisation=organisation, units=units, logins=logins,
                                 employees=employees, today=today)
    _build_cascade(organisation=organisation, wave=waves[-1], units=units, logins=logins, route=route,
                   today=today)
    # The methods of the later apps, each from its own ``demo`` module, in this order
    # (safari visits tag the journey's touchpoints; the portal follows everyone's words).
    from cocreation import demo as cocreation_demo
    from journeys import demo as journeys_demo
    from portal import demo as portal_demo
    from safari import demo as safari_demo

    for part in (journeys_demo, safari_demo, cocreation_demo, portal_demo):
        part.build(organisation=organisation, units=units, logins=logins, employees=employees,
                   points=points, waves=waves, route=route, today=today, rng=rng)

    return DemoSummary(
        units=Unit.objects.filter(organisation=organisation).count(),
        teams=Unit.objects.filter(organisation=organisation, kind=UnitKind.TEAM).count(),
        people=Membership.objects.filter(organisation=organisation).count(),
        customers=customer_count,
        points=ImprovementPoint.objects.filter(organisation=organisation).count(),
        actions=Action.objects.filter(point__organisation=organisation).count(),
        waves=len(waves),
        responses=Response.objects.filter(organisation=organisation).count(),
        follow_ups=follow_ups,
        arena_points=arena_points,
    )


def _person_customer(fake: Faker, rng: random.Random, n: int) -> tuple[str, ...]:
    """Return ``(name, e-mail, contact name, contact e-mail, job title)`` for a person."""
    first, last = fake.first_name(), fake.last_name()
    email = f"{_ascii(first)}.{_ascii(last)}{n}@{rng.choice(PERSON_DOMAINS)}"
    return f"{first} {last}", email, f"{first} {last}", email, ""


def _company_customer(fake: Faker, rng: random.Random, segment: str,
                      n: int) -> tuple[str, ...]:
    """Return ``(name, e-mail, contact name, contact e-mail, job title)`` for a company."""
    if segment == "Agrarisch":
        family = fake.last_name()
        name = f"{rng.choice(AGRI_KINDS)} {family[0].upper()}{family[1:]}"  # "De Graaf"
    else:
        name = fake.company()
        if segment == "MKB" and rng.random() < 0.4:
            name = f"{name} B.V."
    # The number keeps two companies with the same name on different domains.
    domain = f"{slugify(name)[:40].strip('-') or 'bedrijf'}-{n}.example"
    first, last = fake.first_name(), fake.last_name()
    return (name, f"info@{domain}", f"{first} {last}", f"{_ascii(first)}.{_ascii(last)}@{domain}",
            rng.choice(CONTACT_TITLES))


def _phone(rng: random.Random, *, mobile: bool) -> str:
    """Return a Dutch telephone number: a mobile one, or a landline with an area code."""
    if mobile:
        return f"06-{rng.randrange(10**8):08d}"
    return f"0{rng.choice(AREA_CODES)}-{rng.randrange(10**7):07d}"


def _segment(team_market: str, rng: random.Random) -> str:
    fixed = {"particulier": "Particulier", "mkb": "MKB", "grootzakelijk": "Grootzakelijk"}
    if team_market in fixed:
        return fixed[team_market]
    if team_market == "agrarisch":
        return rng.choices(("Agrarisch", "MKB"), weights=(4, 1))[0]
    return rng.choices(("MKB", "Grootzakelijk", "Agrarisch"), weights=(7, 1, 2))[0]


def _build_customers(*, organisation: Organisation, units: dict[str, Unit],
                     market: dict[str, str], employees: dict[str, list[Membership]],
                     rng: random.Random, fake: Faker) -> int:
    """Bulk-create the persons and companies the teams serve, each with a primary contact."""
    person_teams = [code for code, m in market.items() if m == "particulier"]
    company_teams = [code for code, m in market.items() if m not in ("particulier", "schade")]
    plan = ([(code, CustomerKind.PERSON) for code in rng.choices(person_teams,
                                                                  k=PERSON_CUSTOMERS)]
            + [(code, CustomerKind.COMPANY) for code in rng.choices(company_teams,
                                                                     k=COMPANY_CUSTOMERS)])
    rng.shuffle(plan)
    customers, contacts = [], []
    for n, (code, kind) in enumerate(plan, start=1):
        segment = _segment(market[code], rng)
        if kind == CustomerKind.PERSON:
            name, email, contact_name, contact_email, title = _person_customer(fake, rng, n)
            account_owner = None
        else:
            name, email, contact_name, contact_email, title = _company_customer(
                fake, rng, segment, n)
            account_owner = rng.choice(employees[code])
        customers.append(Customer(
            organisation=organisation, name=name, kind=kind,
            customer_number=f"K-{100000 + n}", email=email, segment=segment,
            unit=units[code], account_owner=account_owner,
        ))
        phone = _phone(rng, mobile=kind == CustomerKind.PERSON or rng.random() < 0.3)
        contacts.append((contact_name, contact_email, phone, title))
    customers = Customer.objects.bulk_create(customers, batch_size=500)
    Contact.objects.bulk_create(
        [Contact(customer=customer, name=name, email=email, phone=phone, job_title=title,
                 is_primary=True)
         for customer, (name, email, phone, title) in zip(customers, contacts, strict=True)],
        batch_size=500,
    )
    return len(customers)


_POINT_PATH = {
    PointStatus.PROPOSED: (),
    PointStatus.PLANNED: (PointStatus.PLANNED,),
    PointStatus.IN_PROGRESS: (PointStatus.PLANNED, PointStatus.IN_PROGRESS),
    PointStatus.DONE: (PointStatus.PLANNED, PointStatus.IN_PROGRESS, PointStatus.DONE),
    PointStatus.DROPPED: (PointStatus.DROPPED,),
}
_ACTION_PATH = {
    ActionStatus.OPEN: (),
    ActionStatus.IN_PROGRESS: (ActionStatus.IN_PROGRESS,),
    ActionStatus.DONE: (ActionStatus.IN_PROGRESS, ActionStatus.DONE),
    ActionStatus.DROPPED: (ActionStatus.DROPPED,),
}
_CLOSED = (PointStatus.DONE, PointStatus.DROPPED)


def _point_walk(*, point: ImprovementPoint, actor: Membership, steps) -> None:
    for status in steps:
        improvements.point_set_status(point=point, actor=actor, status=status)
        point.refresh_from_db()


def _action_add(*, point: ImprovementPoint, actor: Membership, title: str, owner: Membership,
                due_date: date | None, status: str, note: str = "") -> Action:
    """Create an action and walk it to ``status`` as its owner would."""
    action = improvements.action_create(point=point, actor=actor, title=title, owner=owner,
                                        due_date=due_date)
    for step in _ACTION_PATH[status]:
        improvements.action_set_status(action=action, actor=owner, status=step)
        action.refresh_from_db()
    if note:
        improvements.action_note_add(action=action, actor=owner, text=note)
    return action


def _build_points(*, organisation: Organisation, actor: Membership, owner, units: dict,
                  today: date) -> dict[str, ImprovementPoint]:
    """Create the improvement points and walk them and their actions to their status.

    Walking through the statuses, rather than creating them in their final state,
    leaves the history a real programme would have; a point is closed (done or
    dropped) only after its actions exist.
    """
    themes = {name: improvements.theme_get_or_create(organisation=organisation, name=name)
              for name in THEMES}
    points = {}
    for spec in POINTS:
        raised = spec["raised_by"]
        by_label = raised.startswith("label:")
        point = improvements.point_create(
            organisation=organisation, actor=actor, title=spec["title"],
            description=spec["description"], theme=themes[spec["theme"]],
            unit=units[spec["unit"]], priority=spec["priority"],
            raised_by=None if by_label else owner(raised),
            raised_by_label=raised.removeprefix("label:") if by_label else "",
        )
        for label, quote in spec["evidence"]:
            improvements.evidence_add(point=point, actor=actor, label=label, quote=quote)
        path = _POINT_PATH[spec["status"]]
        split = len(path) - 1 if spec["status"] in _CLOSED else len(path)
        _point_walk(point=point, actor=actor, steps=path[:split])
        for title, owner_ref, due_in, status, note in spec["actions"]:
            _action_add(point=point, actor=actor, title=title, owner=owner(owner_ref),
                        due_date=None if due_in is None else today + timedelta(days=due_in),
                        status=status, note=note)
        _point_walk(point=point, actor=actor, steps=path[split:])
        points[spec["key"]] = point
    return points


def _build_second_org(*, consultant: Membership, rng: random.Random, fake: Faker,
                      names: _Names, today: date) -> Organisation:
    """Build Woonstede Wonen, the consultant's second client, small but complete."""
    organisation = organisation_create(slug=SECOND_ORG_SLUG, name=SECOND_ORG_NAME)
    root = _root(organisation, "WSW")
    units = {"WSW": root}
    units |= _add_units(organisation=organisation, parent=root, children=[
        (code, name, kind, Level.TACTICAL) for code, name, kind in SECOND_TACTICAL
    ])
    for parent_code, *_rest in SECOND_TACTICAL:
        units |= _add_units(organisation=organisation, parent=units[parent_code], children=[
            (code, name, UnitKind.TEAM, Level.OPERATIONAL)
            for parent, code, name in SECOND_TEAMS if parent == parent_code
        ])
    actor = membership_create(organisation=organisation, email=consultant.user.email,
                              name=consultant.user.name, role=Role.CONSULTANT,
                              job_title=consultant.job_title)
    name, email = names.person(SECOND_STAFF_DOMAIN)
    membership_create(organisation=organisation, email=email, name=name, role=Role.BOARD,
                      unit=root, job_title="Directeur-bestuurder")
    name, email = names.person(SECOND_STAFF_DOMAIN)
    membership_create(organisation=organisation, email=email, name=name, role=Role.MANAGER,
                      unit=units["VHW"], job_title="Manager Wonen")
    staff: dict[str, list[Membership]] = {}
    for _parent, code, _name in SECOND_TEAMS:
        staff[code] = []
        for title in ("Woonconsulent", "Medewerker klantcontact", "Vakman"):
            name, email = names.person(SECOND_STAFF_DOMAIN)
            staff[code].append(membership_create(organisation=organisation, email=email,
                                                 name=name, unit=units[code], job_title=title))

    customers = []
    for n in range(1, SECOND_CUSTOMERS + 1):
        first, last = fake.first_name(), fake.last_name()
        customers.append(Customer(
            organisation=organisation, name=f"{first} {last}", kind=CustomerKind.PERSON,
            customer_number=f"H-{20000 + n}",
            email=f"{_ascii(first)}.{_ascii(last)}{n}@{rng.choice(PERSON_DOMAINS)}",
            segment=rng.choice(("Huurder sociale huur", "Huurder vrije sector")),
            unit=units[rng.choice(("VHW-KCC", "VHW-WO"))],
        ))
    customers = Customer.objects.bulk_create(customers)
    Contact.objects.bulk_create([
        Contact(customer=c, name=c.name, email=c.email, phone=_phone(rng, mobile=True),
                is_primary=True) for c in customers
    ])

    for title, theme, unit, status, quote, action_title, due_in, action_status in SECOND_POINTS:
        point = improvements.point_create(
            organisation=organisation, actor=actor, title=title,
            theme=improvements.theme_get_or_create(organisation=organisation, name=theme),
            unit=units[unit], raised_by_label="Huurdersonderzoek 2026",
        )
        improvements.evidence_add(point=point, actor=actor, label="Huurdersonderzoek 2026",
                                  quote=quote)
        _point_walk(point=point, actor=actor, steps=_POINT_PATH[status])
        if action_title:
            _action_add(point=point, actor=actor, title=action_title, owner=staff[unit][0],
                        due_date=today + timedelta(days=due_in), status=action_status)
    return organisation


# --- research: two waves of customer research -----------------------------------------
# The insurer ran two waves in 2026. The second shows what the improvement points did:
# Particulier Klantcontactcentrum now calls customers back ("terugbellen"), so its
# reachability and NPS rise markedly; Schade Expertise Zuid fell further behind on
# the expert's visit. Everything below comes from its own seeded generator, so the
# units, people and customers above stay exactly as they were.

WAVES = (
    # name, period, responses, source
    ("Klantonderzoek voorjaar 2026", date(2026, 3, 2), date(2026, 4, 24), 6000),
    ("Klantonderzoek najaar 2026", date(2026, 9, 7), date(2026, 10, 30), 6500),
)
CORE_VALUES = ("Betrokken", "Deskundig", "Betrouwbaar")
COMPETITORS = (("Centraal Beheer", 0.35), ("Interpolis", 0.30), ("FBTO", 0.20))
# Extra contacts per company by segment (low, high), and the share of private
# customers whose partner is a contact too: respondents are contacts, not customers.
EXTRA_CONTACTS = {"MKB": (1, 8), "Grootzakelijk": (6, 18), "Agrarisch": (0, 3)}
PARTNER_SHARE = 0.5

NPS_BASE = 7.25
# Latent satisfaction per team (added to NPS_BASE) in the first wave, and what the
# second wave changed.
TEAM_EFFECT = {
    "PAR-KCC": -1.0, "PAR-VO": 0.3, "PAR-PB": -0.2, "PAR-LP": 0.2, "PAR-RET": -0.3,
    "ZAK-AM-MKB": 0.4, "ZAK-AM-GZ": 0.6, "ZAK-AGR": 0.0, "ZAK-ACC": 0.0, "ZAK-INK": -0.1,
    "SCH-MR": -0.6, "SCH-WON": -0.5, "SCH-AVP": -0.2, "SCH-LET": -0.4, "SCH-SZ": -0.9,
    "PAR-KS-N": 0.2, "ZAK-AD-N": 0.5, "SCH-EX-N": 0.0, "PAR-KS-M": -0.7, "ZAK-AD-M": 0.2,
    "ZAK-IM-M": 0.0, "SCH-EX-M": -0.1, "PAR-KS-Z": 0.1, "ZAK-AD-Z": 0.3, "SCH-EX-Z": -0.5,
}
TEAM_CHANGE = {"PAR-KCC": 1.1, "SCH-EX-Z": -0.9, "SCH-MR": 0.4, "ZAK-AGR": 0.5, "PAR-KS-M": 0.2}
# Driver ratings per team relative to the team's satisfaction, first wave and change.
DRIVER_EFFECT = {
    "PAR-KCC": {"bereikbaarheid": -2.2, "snelheid": -0.8},
    "SCH-MR": {"snelheid": -1.0},
    "SCH-EX-Z": {"snelheid": -1.6},
    "SCH-WON": {"communicatie": -1.2},
    "PAR-PB": {"communicatie": -1.0},
    "PAR-KS-M": {"vriendelijkheid": -1.2},
    "ZAK-AGR": {"deskundigheid": -0.8},
    "ZAK-AM-MKB": {"bereikbaarheid": -0.3},
    "PAR-RET": {"prijs-kwaliteit": -1.2},
    "ZAK-AM-GZ": {"deskundigheid": 0.6},
}
DRIVER_CHANGE = {
    "PAR-KCC": {"bereikbaarheid": 1.9, "snelheid": 0.5},
    "SCH-EX-Z": {"snelheid": -1.0},
    "SCH-MR": {"snelheid": 0.7},
    "ZAK-AGR": {"deskundigheid": 0.9},
}
# How much each driver weighs in the recommendation (the rest is general feeling).
DRIVER_WEIGHTS = {"bereikbaarheid": 0.22, "snelheid": 0.22, "vriendelijkheid": 0.1,
                  "deskundigheid": 0.18, "prijs-kwaliteit": 0.14, "communicatie": 0.14}
SEGMENT_EFFECT = {"Particulier": 0.0, "MKB": 0.1, "Grootzakelijk": 0.3, "Agrarisch": 0.4}
CORE_VALUE_OFFSET = {"Betrokken": -0.3, "Deskundig": 0.2, "Betrouwbaar": 0.4}

# A claim is handled by a Schade team: that team gets the response. (code, weight)
CLAIM_SHARE = 0.3
CLAIM_TEAMS = (("SCH-MR", 5), ("SCH-WON", 4), ("SCH-AVP", 2), ("SCH-LET", 1), ("SCH-SZ", 1),
               ("SCH-EX-N", 2), ("SCH-EX-M", 2), ("SCH-EX-Z", 3))
PRODUCTS = {
    "Particulier": ("Autoverzekering", "Woonverzekering", "Inboedelverzekering",
                    "Reisverzekering", "Aansprakelijkheidsverzekering"),
    "MKB": ("Bedrijfsaansprakelijkheid", "Wagenparkverzekering", "Gebouwenverzekering",
            "Verzuimverzekering"),
    "Grootzakelijk": ("Wagenparkverzekering", "Verzuimverzekering", "Gebouwenverzekering",
                      "Bedrijfsaansprakelijkheid"),
    "Agrarisch": ("Agrarisch pakket", "Stalbrandverzekering", "Landbouwvoertuigen"),
}
CLAIM_PRODUCTS = {"SCH-MR": ("Autoverzekering", "Wagenparkverzekering"),
                  "SCH-WON": ("Woonverzekering", "Inboedelverzekering", "Gebouwenverzekering"),
                  "SCH-AVP": ("Aansprakelijkheidsverzekering", "Bedrijfsaansprakelijkheid"),
                  "SCH-LET": ("Autoverzekering",), "SCH-SZ": ("Woonverzekering",
                                                              "Autoverzekering")}
CHANNELS = {"default": (("Telefoon", 5), ("E-mail", 2), ("Website", 2), ("App", 1),
                        ("Persoonlijk contact", 1)),
            "PAR-KCC": (("Telefoon", 8), ("E-mail", 2)),
            "PAR-VO": (("Website", 6), ("App", 3), ("Telefoon", 1)),
            "ZAK-IM-M": (("Intermediair", 8), ("Telefoon", 2)),
            "business": (("Persoonlijk contact", 4), ("Telefoon", 4), ("E-mail", 3)),
            "claim": (("Telefoon", 4), ("App", 3), ("Website", 2), ("E-mail", 1))}

# Open answers are composed from fragments by theme and sentiment. The theme follows
# the customer's strongest (promoter) or weakest (detractor) driver.
DRIVER_THEMES = {
    "bereikbaarheid": ("bereikbaarheid", "wachttijd"),
    "snelheid": ("wachttijd", "snelheid"),
    "vriendelijkheid": ("vriendelijkheid",),
    "deskundigheid": ("deskundigheid",),
    "prijs-kwaliteit": ("prijs",),
    "communicatie": ("communicatie", "app"),
}
PRAISE = {
    "bereikbaarheid": ("Ik had meteen iemand aan de lijn.", "Goed bereikbaar, ook 's avonds.",
                       "Je krijgt snel iemand te spreken die je verder helpt."),
    "wachttijd": ("Ik hoefde nauwelijks te wachten.", "Binnen een paar minuten geholpen.",
                  "Geen lange wachtrij aan de telefoon."),
    "snelheid": ("Alles was binnen een week geregeld.", "Snel en zonder gedoe afgehandeld.",
                 "Mijn vraag was dezelfde dag opgelost."),
    "schade": ("De schade was snel en netjes afgehandeld.",
               "Na de aanrijding werd alles voor me geregeld, ook de vervangende auto.",
               "Het geld stond binnen een paar dagen op mijn rekening."),
    "vriendelijkheid": ("Heel vriendelijke medewerkers.", "Ik voelde me echt gehoord.",
                        "Prettig en persoonlijk contact."),
    "deskundigheid": ("De adviseur wist precies waar hij het over had.",
                      "Goed advies gekregen over mijn dekking.",
                      "Deskundig en eerlijk advies, ook over wat ik niet nodig had."),
    "prijs": ("Goede prijs voor wat je krijgt.", "Scherpe premie en een goede dekking.",
              "Niet de goedkoopste, maar wel de beste service."),
    "communicatie": ("Duidelijke brieven en e-mails.", "Ik werd op de hoogte gehouden van elke stap.",
                     "Ze leggen alles helder uit."),
    "app": ("De app werkt prima.", "Schade melden via de app was heel makkelijk.",
            "Op de website vind je alles snel terug."),
}
COMPLAINT = {
    "bereikbaarheid": ("Slecht bereikbaar, je komt er telefonisch bijna niet door.",
                       "Het keuzemenu is veel te lang.",
                       "Ik moest drie keer bellen voordat ik iemand sprak."),
    "wachttijd": ("Twintig minuten in de wacht gestaan.", "Lange wachttijden aan de telefoon.",
                  "Op een antwoord op mijn e-mail heb ik een week gewacht."),
    "snelheid": ("Het duurde allemaal veel te lang.", "Ik moest steeds zelf achter dingen aan.",
                 "Na twee weken nog steeds niets geregeld."),
    "schade": ("De afhandeling van mijn schade duurde weken.",
               "Ik heb lang moeten wachten voordat de expert kwam.",
               "Na de schademelding hoorde ik niets meer."),
    "vriendelijkheid": ("Ik werd kortaf te woord gestaan.", "Niet serieus genomen met mijn klacht.",
                        "De medewerker had duidelijk geen zin in mijn vraag."),
    "deskundigheid": ("De medewerker wist het antwoord niet.",
                      "Ik kreeg van twee mensen een verschillend antwoord.",
                      "Mijn adviseur kende mijn situatie niet."),
    "prijs": ("De premie is weer omhoog gegaan zonder uitleg.", "Te duur voor wat je krijgt.",
              "Elders ben ik goedkoper uit."),
    "communicatie": ("De polisvoorwaarden zijn onbegrijpelijk.", "Ik werd niet op de hoogte gehouden.",
                     "Steeds een andere behandelaar, ik moest alles opnieuw uitleggen."),
    "app": ("De app loopt vast bij het uploaden van foto's.", "De website is onoverzichtelijk.",
            "Inloggen op de website lukt vaak niet."),
}
IMPROVE = {
    "bereikbaarheid": ("Zorg dat je beter bereikbaar bent.", "Maak het keuzemenu korter.",
                       "Ruimere openingstijden van de klantenservice."),
    "wachttijd": ("Minder lang wachten aan de telefoon.", "Sneller reageren op e-mail.",
                  "Bied een terugbelafspraak aan in plaats van de wachtrij."),
    "snelheid": ("Sneller handelen.", "Doe wat je belooft, en dan op tijd."),
    "schade": ("Sneller een expert sturen na een schade.", "Sneller uitbetalen na goedkeuring.",
               "Houd me op de hoogte van mijn schadedossier."),
    "vriendelijkheid": ("Luister beter naar de klant.", "Wat meer begrip tonen bij een klacht."),
    "deskundigheid": ("Betere kennis van de producten.",
                      "Zorg dat adviseurs het bedrijf van de klant kennen."),
    "prijs": ("Leg uit waarom de premie stijgt.", "Beloon trouwe klanten met een korting."),
    "communicatie": ("Schrijf de voorwaarden in gewone taal.",
                     "Eén vaste contactpersoon voor mijn dossier."),
    "app": ("Laat de app beter werken.", "Maak de website overzichtelijker."),
}
OPENERS = {"promoter": ("Heel tevreden.", "Prima verzekeraar.", "Top!", "Altijd goed geholpen."),
           "passive": ("Over het algemeen prima.", "Redelijk tevreden.", "Niets bijzonders."),
           "detractor": ("Erg teleurgesteld.", "Slechte ervaring.", "Jammer.",
                         "Ik overweeg over te stappen.")}
# The callback improvement (terugbellen) and the expert's delays, as customers put them.
STORY = {
    ("PAR-KCC", 0, "detractor"): ("Ik zou binnen twee dagen worden teruggebeld. Ik heb nooit "
                                  "meer iets gehoord.",
                                  "Beloofd terug te bellen, maar er belde niemand."),
    ("PAR-KCC", 1, "promoter"): ("Ik werd netjes teruggebeld op het afgesproken tijdstip.",
                                 "Eindelijk: ze belden terug toen ze zeiden dat ze zouden bellen."),
    ("SCH-EX-Z", 1, "detractor"): ("Bijna drie weken gewacht op de expert; de aannemer mocht "
                                   "niet beginnen.",
                                   "De expert kwam pas na twee weken, ik kon niets herstellen."),
}
FOLLOW_UP_OUTCOMES = (
    "Klant gebeld; excuses gemaakt en de terugbelafspraak alsnog nagekomen.",
    "Gesproken met de klant. Schadedossier versneld, uitbetaling deze week.",
    "Klant teruggebeld; premieopbouw uitgelegd. Klant blijft.",
    "Voicemail ingesproken en e-mail gestuurd; klant heeft niet gereageerd.",
    "Afspraak gemaakt voor een bezoek van de accountmanager.",
)


def _weighted(rng: random.Random, pairs) -> str:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _nps_group(nps: int | None) -> str | None:
    if nps is None:
        return None
    return "promoter" if nps >= 9 else "passive" if nps >= 7 else "detractor"


def _theme(driver: str, unit_code: str, channel: str, rng: random.Random) -> str:
    if unit_code.startswith("SCH") and driver in ("snelheid", "communicatie") and rng.random() < 0.6:
        return "schade"
    if driver == "communicatie" and channel in ("App", "Website"):
        return "app"
    return rng.choice(DRIVER_THEMES[driver])


def _open_answers(*, rng: random.Random, group: str | None, scores: dict[str, float],
                  unit_code: str, wave_index: int, channel: str) -> tuple[str, str]:
    """Return ("why this score", "one thing to improve") in Dutch, matching the score."""
    drivers = {k: v for k, v in scores.items() if k in DRIVER_WEIGHTS}
    if group is None or not drivers:
        return "", ""
    best = max(drivers, key=lambda k: (drivers[k], k))
    worst = min(drivers, key=lambda k: (drivers[k], k))
    story = STORY.get((unit_code, wave_index, group))
    blank_why = {"promoter": 0.28, "passive": 0.25, "detractor": 0.1}[group]
    why = ""
    if rng.random() >= blank_why:
        if story and rng.random() < 0.6:
            parts = [rng.choice(story)]
        elif group == "promoter":
            parts = [rng.choice(PRAISE[_theme(best, unit_code, channel, rng)])]
        elif group == "detractor":
            parts = [rng.choice(COMPLAINT[_theme(worst, unit_code, channel, rng)])]
        else:
            good = rng.choice(PRAISE[_theme(best, unit_code, channel, rng)])
            bad = rng.choice(COMPLAINT[_theme(worst, unit_code, channel, rng)])
            parts = [good, "Alleen: " + bad[0].lower() + bad[1:]]
        if rng.random() < 0.35:
            parts.insert(0, rng.choice(OPENERS[group]))
        why = " ".join(parts)
    improve = ""
    if rng.random() >= {"promoter": 0.55, "passive": 0.35, "detractor": 0.2}[group]:
        improve = (rng.choice(("Niets, ga zo door!", "Zo houden.", "Geen idee, het is goed zo."))
                   if group == "promoter" and rng.random() < 0.5
                   else rng.choice(IMPROVE[_theme(worst, unit_code, channel, rng)]))
    return why, improve


def _extra_contacts(*, organisation: Organisation, rng: random.Random, fake: Faker) -> None:
    """Give companies several contacts and some private customers their partner's."""
    new = []
    customers = (Customer.objects.filter(organisation=organisation)
                 .prefetch_related("contacts").order_by("pk"))
    for customer in customers:
        primary = customer.contacts.all()[0]
        if customer.kind == CustomerKind.PERSON:
            if rng.random() < PARTNER_SHARE:
                first = fake.first_name()
                last = primary.name.split(" ", 1)[-1]
                local, domain = primary.email.split("@", 1)
                new.append(Contact(customer=customer, name=f"{first} {last}",
                                   email=f"{_ascii(first)}.{local}@{domain}",
                                   phone=_phone(rng, mobile=True)))
            continue
        low, high = EXTRA_CONTACTS.get(customer.segment, (0, 2))
        domain = primary.email.split("@", 1)[1]
        used = {primary.email}
        for _ in range(rng.randint(low, high)):
            first, last = fake.first_name(), fake.last_name()
            email, n = f"{_ascii(first)}.{_ascii(last)}@{domain}", 1
            while email in used:
                n += 1
                email = f"{_ascii(first)}.{_ascii(last)}{n}@{domain}"
            used.add(email)
            new.append(Contact(customer=customer, name=f"{first} {last}", email=email,
                               phone=_phone(rng, mobile=rng.random() < 0.5),
                               job_title=rng.choice(CONTACT_TITLES)))
    Contact.objects.bulk_create(new, batch_size=1000)


def _respondent_rows(*, wave_index: int, contacts: list[Contact], count: int,
                     units: dict[str, Unit], questions: dict, period: tuple[date, date],
                     rng: random.Random) -> list[dict]:
    """Return the answers of ``count`` respondents drawn from ``contacts``."""
    start, end = period
    days = (end - start).days
    rows = []
    for contact in sorted(rng.sample(contacts, count), key=lambda c: c.pk):
        customer = contact.customer
        own_code = customer.unit.code
        is_claim = rng.random() < CLAIM_SHARE
        code = _weighted(rng, CLAIM_TEAMS) if is_claim else own_code
        latent = (NPS_BASE + TEAM_EFFECT.get(code, 0.0) + SEGMENT_EFFECT.get(customer.segment, 0)
                  + (TEAM_CHANGE.get(code, 0.0) if wave_index else 0.0) + rng.gauss(0, 1.5))
        effects = dict(DRIVER_EFFECT.get(code, {}))
        if wave_index:
            for key, change in DRIVER_CHANGE.get(code, {}).items():
                effects[key] = effects.get(key, 0.0) + change
        scores: dict[str, float] = {}
        for key in DRIVER_WEIGHTS:
            if key in questions["drivers"] and rng.random() >= 0.04:
                scores[key] = _clamp(latent + 0.3 + effects.get(key, 0.0) + rng.gauss(0, 1.1),
                                     1, 10)
        weighted = sum(DRIVER_WEIGHTS[k] * (scores.get(k) or latent + effects.get(k, 0.0))
                       for k in DRIVER_WEIGHTS)
        nps = _clamp(0.4 * latent + 0.6 * weighted + 0.55 + rng.gauss(0, 0.9), 0, 10)
        for name, key in questions["core_values"].items():
            if rng.random() >= 0.06:
                scores[key] = _clamp(latent + CORE_VALUE_OFFSET.get(name, 0) + rng.gauss(0, 1.2),
                                     1, 10)
        group = _nps_group(nps)
        competitors = {}
        for name, known in COMPETITORS:
            if name in questions["competitors"] and rng.random() < known:
                odds = {"promoter": (6, 3, 1), "passive": (3, 5, 2), "detractor": (1, 3.5, 5.5)}
                competitors[name] = rng.choices(("better", "same", "worse"), weights=odds[group])[0]
        market = customer.segment if customer.segment in PRODUCTS else "MKB"
        product = rng.choice(CLAIM_PRODUCTS.get(code) or PRODUCTS[market])
        channel_key = ("claim" if is_claim else code if code in CHANNELS
                       else "business" if customer.kind == CustomerKind.COMPANY else "default")
        channel = _weighted(rng, CHANNELS[channel_key])
        why, improve = _open_answers(rng=rng, group=group, scores=scores, unit_code=code,
                                     wave_index=wave_index, channel=channel)
        moment = timezone.make_aware(datetime.combine(
            start + timedelta(days=rng.randrange(days + 1)),
            time(rng.randrange(7, 23), rng.randrange(60), rng.randrange(60))))
        rows.append({
            "contact": contact, "customer": customer, "unit": units[code], "nps": nps,
            "comment": why, "improvement": improve, "scores": scores,
            "competitors": competitors, "contact_me": rng.random() < (
                0.12 if group == "detractor" else 0.03),
            "attributes": {"segment": customer.segment, "product": product, "kanaal": channel},
            "submitted_at": moment,
        })
    return rows


def _wave_questions(wave: Wave) -> dict:
    questions = list(wave.questions.all())
    return {
        "drivers": {q.key for q in questions if q.kind == QuestionKind.DRIVER},
        "core_values": {q.subject: q.key for q in questions if q.kind == QuestionKind.CORE_VALUE},
        "competitors": {q.subject for q in questions if q.kind == QuestionKind.COMPETITOR},
    }


def _build_waves(*, organisation: Organisation, consultant: Membership, units: dict[str, Unit],
                 employees: dict[str, list[Membership]], seed: int) -> tuple[list[Wave], int]:
    """Create the two closed waves with their responses, invitations and follow-ups."""
    rng = random.Random(seed * 7 + 3)
    fake = Faker("nl_NL")
    fake.seed_instance(seed * 7 + 3)
    for name in CORE_VALUES:
        research_settings.core_value_create(organisation=organisation, name=name)
    for name, _known in COMPETITORS:
        research_settings.competitor_create(organisation=organisation, name=name)
    _extra_contacts(organisation=organisation, rng=rng, fake=fake)
    contacts = list(Contact.objects.filter(customer__organisation=organisation)
                    .select_related("customer__unit").order_by("pk"))

    waves, follow_ups = [], 0
    for index, (name, start, end, count) in enumerate(WAVES):
        wave = research.wave_create(organisation=organisation, actor=consultant, name=name,
                                    period_start=start, period_end=end,
                                    copy_from=waves[-1] if waves else None)
        rows = _respondent_rows(wave_index=index, contacts=contacts, count=count, units=units,
                                questions=_wave_questions(wave), period=(start, end), rng=rng)
        # The first wave came from the survey agency's export; the second was our own survey,
        # where some customers saved answers but never submitted them.
        source = ResponseSource.IMPORT if index == 0 else ResponseSource.SURVEY
        responses = []
        for n, row in enumerate(rows, start=1):
            partial = index == 1 and rng.random() < 0.015
            missing_nps = index == 0 and rng.random() < 0.01
            nps = None if partial or missing_nps else row["nps"]
            responses.append(Response(
                organisation=organisation, wave=wave, customer=row["customer"],
                contact=row["contact"], unit=row["unit"],
                external_id=f"ZKV-{start:%Y%m}-{n:05d}", nps=nps,
                comment="" if partial else row["comment"],
                improvement="" if partial else row["improvement"], scores=row["scores"],
                competitors={} if partial else row["competitors"],
                attributes=row["attributes"], contact_me=not partial and row["contact_me"],
                language="nl", source=source,
                status=ResponseStatus.PARTIAL if partial else ResponseStatus.SUBMITTED,
                submitted_at=None if partial else row["submitted_at"],
                created_at=row["submitted_at"],
            ))
        responses = Response.objects.bulk_create(responses, batch_size=1000)
        if source == ResponseSource.SURVEY:
            _invitations(wave=wave, contacts=contacts, responses=responses, start=start, rng=rng)
            follow_ups += _follow_ups(wave=wave, employees=employees, rng=rng,
                                      response_ids=[r.pk for r in responses])
        research.wave_set_status(wave=wave, status=WaveStatus.CLOSED)
        waves.append(wave)
    return waves, follow_ups


def _invitations(*, wave: Wave, contacts: list[Contact], responses: list[Response], start: date,
                 rng: random.Random) -> None:
    """Every contact was invited; those who did not answer got one reminder."""
    answered = {r.contact_id: r for r in responses}
    sent = timezone.make_aware(datetime.combine(start, time(9, 0)))
    Invitation.objects.bulk_create([
        Invitation(organisation=wave.organisation, wave=wave, contact=contact,
                   response=answered.get(contact.pk), sent_at=sent,
                   reminded_at=None if contact.pk in answered else sent + timedelta(days=10),
                   opened_at=(answered[contact.pk].created_at if contact.pk in answered
                              else sent + timedelta(hours=rng.randrange(2, 300))
                              if rng.random() < 0.3 else None),
                   created_at=sent)
        for contact in contacts
    ], batch_size=1000)


def _follow_ups(*, wave: Wave, employees: dict[str, list[Membership]],
                rng: random.Random, response_ids: list[int]) -> int:
    """Close the loop on the second wave: follow-ups for detractors and contact requests,
    the Klantcontactcentrum's shared out by its team lead, and most of them handled.

    The walk to each status is written as a few grouped updates rather than 1,500
    ``follow_up_update`` calls, which would add seconds to every build.
    """
    created = research.follow_ups_create(wave=wave, response_ids=response_ids)
    follow_ups = FollowUp.objects.filter(response__wave=wave)
    follow_ups.update(created_at=Subquery(
        Response.objects.filter(pk=OuterRef("response_id")).values("submitted_at")[:1]))
    rows = list(follow_ups.order_by("response_id").values_list("pk", "response__unit__code"))
    team = employees["PAR-KCC"]  # the medewerker@ login is first
    shared = [pk for pk, code in rows if code == "PAR-KCC"]
    for n, member in enumerate(team):
        FollowUp.objects.filter(pk__in=shared[n::len(team)]).update(owner=member)
    handled: dict[int | None, list[int]] = {}
    for pk, _code in rows:
        roll = rng.random()
        if roll < 0.55:
            handled.setdefault(rng.randrange(len(FOLLOW_UP_OUTCOMES)), []).append(pk)
        elif roll < 0.7:
            handled.setdefault(None, []).append(pk)
    for outcome, pks in sorted(handled.items(), key=lambda item: -1 if item[0] is None else item[0]):
        if outcome is None:
            FollowUp.objects.filter(pk__in=pks).update(status=FollowUpStatus.IN_PROGRESS)
        else:
            FollowUp.objects.filter(pk__in=pks).update(
                status=FollowUpStatus.DONE, outcome=FOLLOW_UP_OUTCOMES[outcome],
                closed_at=F("created_at") + timedelta(days=2 + 3 * outcome, hours=outcome))
    return created


# --- customer arenas --------------------------------------------------------------------

ARENA_STATEMENTS = [
    # (round, text, kind, sentiment, theme)
    ("round_1", "Na de aanrijding stond ik een half uur in de wacht bij de schadelijn.",
     "complaint", "negative", "bereikbaarheid"),
    ("round_1", "De expert kwam binnen twee dagen langs, dat was echt snel.",
     "experience", "positive", "snelheid"),
    ("round_1", "Ik moest mijn verhaal drie keer opnieuw vertellen aan steeds iemand anders.",
     "complaint", "negative", "communicatie"),
    ("round_1", "Ik verwacht dat jullie mij bellen als er iets verandert, niet andersom.",
     "expectation", "negative", "communicatie"),
    ("round_1", "Bij mijn vorige verzekeraar kon ik de schade gewoon in een app volgen.",
     "wish", "negative", "digitaal"),
    ("round_1", "De medewerker aan de telefoon was vriendelijk en nam de tijd.",
     "experience", "positive", "vriendelijkheid"),
    ("round_2", "Een vast aanspreekpunt vanaf de melding tot de uitbetaling.",
     "answer", "positive", "communicatie"),
    ("round_2", "Een sms als de expert op weg is, zoals bij pakketbezorgers.",
     "wish", "positive", "digitaal"),
    ("round_2", "Het keuzemenu is te lang; na twee keuzes wil ik een mens spreken.",
     "answer", "negative", "bereikbaarheid"),
]
ARENA_GROUPS = [
    ("Eén vast aanspreekpunt per schade", [2, 3, 6]),
    ("Schadelijn sneller bereikbaar", [0, 8]),
    ("Schade digitaal kunnen volgen", [4, 7]),
]


def _build_arenas(*, organisation: Organisation, units: dict[str, Unit], logins: dict,
                  employees: dict[str, list[Membership]], today: date) -> int:
    """Plan one arena with the moderator login and play a finished one; return its points."""
    from arena import selectors as arena_selectors
    from arena import services as arena_services
    from arena.models import ArenaOutcome, Rsvp
    from live import services as live

    moderator, consultant = logins["gespreksleider"], logins["consultant"]
    zone = timezone.get_current_timezone()

    # The finished arena: Schade Expertise Zuid, whose NPS fell between the waves.
    done = arena_services.arena_plan(
        organisation=organisation, actor=consultant, moderator=moderator,
        title="Klantarena Schadeafhandeling Zuid",
        starts_at=datetime.combine(today - timedelta(days=16), time(19, 0), tzinfo=zone),
        place="Eindhoven, regiokantoor Zuid", units=[units["SCH-EX-Z"]],
        topic="Hoe ervaren klanten de afhandeling van hun schade, van melding tot uitbetaling?")
    staff = employees["SCH-EX-Z"][:4] + employees["SCH-MR"][:2]
    for member in staff:
        arena_services.arena_employee_add(arena=done, membership=member)
    contacts = []
    for suggestion in arena_selectors.customer_suggestions(arena=done, per_group=3):
        invitation = arena_services.arena_customer_add(arena=done, contact=Contact.objects.get(
            pk=suggestion.contact_id), promotership=suggestion.group)
        arena_services.arena_rsvp(invitation=invitation, answer=Rsvp.YES)
        contacts.append(invitation.contact)
    keys = iter(range(1, 10_000))

    def do(actor, action, **payload):
        done.room.refresh_from_db()
        return live.event_append(room=done.room, actor=actor, type=action, payload=payload,
                                 client_key=f"demo-{next(keys)}").seq

    do(staff[0], "question_prepare", text="Wat had u op dat moment het meest geholpen?")
    do(staff[1], "question_prepare", text="Hoe wilt u het liefst op de hoogte worden gehouden?")
    do(moderator, "phase_next")
    said = []
    for i, (phase, text, kind, sentiment, theme) in enumerate(ARENA_STATEMENTS):
        if phase == "round_2" and done.room.phase != "round_2":
            do(moderator, "phase_next")
            question = min(done.room.state["questions"])
            do(staff[2], "question_upvote", question=question)
            do(moderator, "question_pick", question=question)
        said.append(str(do(moderator, "statement_add", text=text, kind=kind, sentiment=sentiment,
                           theme=theme, customer=contacts[i % len(contacts)].pk if contacts else None)))
    do(staff[3], "question_ask", text="Wat doet de concurrent beter bij het melden van schade?")
    groups = [str(do(moderator, "group_create", title=title, statements=[said[i] for i in picks]))
              for title, picks in ARENA_GROUPS]
    for n, voter in enumerate(staff + contacts):
        do(voter, "vote_cast", group=groups[0 if n % 3 else 1])
        do(voter, "vote_cast", group=groups[n % 3])
    for group, owner in zip(groups, (logins["manager"], staff[0], staff[1]), strict=True):
        do(moderator, "owner_assign", group=group, owner=owner.pk)
    do(moderator, "phase_next")
    do(staff[0], "evaluation_add", text="Confronterend om te horen hoe vaak klanten moeten bellen.")
    do(staff[0], "commitment_add", text="Ik bel mijn klanten terug binnen één werkdag.")
    do(staff[1], "commitment_add", text="Ik geef mijn directe nummer mee aan elke klant.")
    do(moderator, "action_confirm", title="Pilot vast aanspreekpunt bij autoschade",
       owner=logins["manager"].pk, due=(today + timedelta(days=60)).isoformat(), group=groups[0])
    arena_services.arena_finish(arena=done, actor=consultant)

    # The planned arena: the moderator login runs it, the employee login sits in the outer ring.
    planned = arena_services.arena_plan(
        organisation=organisation, actor=consultant, moderator=moderator,
        title="Klantarena Klantcontactcentrum",
        starts_at=datetime.combine(today + timedelta(days=14), time(19, 30), tzinfo=zone),
        place="Utrecht, hoofdkantoor", units=[units["PAR-KCC"]],
        topic="Bereikbaarheid en afhandeling van vragen aan de telefoon en in de chat.")
    for member in employees["PAR-KCC"][:6]:
        arena_services.arena_employee_add(arena=planned, membership=member)
    for n, suggestion in enumerate(arena_selectors.customer_suggestions(arena=planned, per_group=4)):
        invitation = arena_services.arena_customer_add(arena=planned, contact=Contact.objects.get(
            pk=suggestion.contact_id), promotership=suggestion.group)
        if n % 3 == 0:
            arena_services.arena_rsvp(invitation=invitation, answer=Rsvp.YES)
    return ArenaOutcome.objects.filter(arena=done, kind=ArenaOutcome.Kind.POINT).count()


# --- the 1-2-3 sessions of the autumn wave -------------------------------------------------

def _build_cascade(*, organisation: Organisation, wave, units: dict[str, Unit], logins: dict, route,
                   today: date) -> None:
    """The strategic session is done and set the route; Particulier's tactical session runs."""
    from cascade import services as cascade_services

    cascade = cascade_services.cascade_create(organisation=organisation, wave=wave,
                                              actor=logins["consultant"])
    zone = timezone.get_current_timezone()
    sessions = {s.unit.code: s for s in cascade.sessions.select_related("unit")}
    board = list(Membership.objects.filter(organisation=organisation, role=Role.BOARD))
    strategic = sessions[ROOT_CODE]
    cascade_services.session_plan(
        session=strategic, facilitator=logins["consultant"], participants=board,
        scheduled_at=datetime.combine(today - timedelta(days=10), time(9, 30), tzinfo=zone),
        place="Utrecht, directiekamer")
    cascade_services.session_start(session=strategic, actor=logins["consultant"])
    cascade_services.session_route_set(session=strategic, route=route)
    cascade_services.session_finish(session=strategic, notes=(
        "Directie en MT kiezen voor bereikbaarheid en eigenaarschap van de schadeafhandeling. "
        "Elke business unit vertaalt de route naar eigen acties; voortgang staat maandelijks "
        "op de MT-agenda."))
    for code, target in (("PAR", 15), ("ZAK", 25), ("SCH", 0)):
        cascade_services.target_set(cascade=cascade, unit=units[code], nps=target)
    for weeks in (4, 8, 12):
        cascade_services.review_add(cascade=cascade, date=today + timedelta(weeks=weeks),
                                    notes="Voortgang verbeterroute")
    tactical = sessions["PAR"]
    cascade_services.session_plan(
        session=tactical, facilitator=logins["consultant"],
        participants=[logins["manager"], *Membership.objects.filter(
            organisation=organisation, role=Role.MANAGER, unit__path__startswith=units["PAR"].path)],
        scheduled_at=datetime.combine(today - timedelta(days=2), time(13, 0), tzinfo=zone),
        place="Utrecht, zaal 3")
    cascade_services.session_start(session=tactical, actor=logins["consultant"])
