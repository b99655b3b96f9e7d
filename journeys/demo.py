"""The demo organisation's journeys: built by outsidein.demo.demo_build.

The car-damage claim of the seed text "Ervaringen te koop": a branch falls on the car's
roof; at 8.00 the customer calls the nearest repair shop (a friendly voice, welcome at
9.00), then calls the insurer and goes through its phone menu twice, at 8.00 and 8.30,
without reaching anyone who can help. The touchpoints' names carry plain words
("herstel", "telefoon", "melden", "uitkering") and channels, so the safari demo that runs
next can tag its visits with them; their survey themes are keys of the default taxonomy,
so that the demo's survey comments land on them.
"""

from improvements import services as improvements
from journeys import services
from journeys.models import Channel

JOURNEY_NAME = "Autoschade: van herstelbedrijf tot keuzemenu"
JOURNEY_DESCRIPTION = (
    "Een tak valt op het dak van de auto. De klant belt om 8.00 uur het dichtstbijzijnde "
    "schadeherstelbedrijf en is om 9.00 uur welkom. Daarna belt de klant de verzekeraar: na "
    "een ingewikkeld keuzemenu is er nog niemand die kan helpen; om 8.30 uur opnieuw, met "
    "hetzelfde resultaat. (Naar ‘Ervaringen te koop’.)")

# stage -> [(name, description, channel, unit code, moment of truth, theme keys, point key)]
STAGES = (
    ("Schade ontdekt en hulp zoeken", (
        ("Schadeherstelbedrijf bellen om 8.00 uur",
         "De klant belt het dichtstbijzijnde herstelbedrijf uit ons netwerk en krijgt een "
         "allervriendelijkste medewerker aan de lijn.",
         Channel.PARTNER, "SCH-MR", False, ["vriendelijkheid"], None),
        ("Welkom bij het herstelbedrijf om 9.00 uur",
         "Binnen een uur kan de auto langskomen: het herstelbedrijf zet de toon voor de hele schade.",
         Channel.PARTNER, "SCH-MR", True, ["service"], None),
    )),
    ("Schade melden bij de verzekeraar", (
        ("Schade melden per telefoon: het keuzemenu",
         "De klant belt de schadelijn en moet door een ingewikkeld keuzemenu voor hij bij de "
         "juiste afdeling is.",
         Channel.PHONE, "PAR-KCC", True, ["bereikbaarheid", "wachttijd"], None),
        ("Afdeling Schade aan de telefoon",
         "Op de afdeling is om 8.00 uur nog niemand die de klant van relevante informatie kan "
         "voorzien.",
         Channel.PHONE, "SCH-MR", False, ["deskundigheid", "duidelijkheid"], None),
        ("Opnieuw bellen om 8.30 uur",
         "De klant doorloopt het keuzemenu nog een keer, met hetzelfde resultaat.",
         Channel.PHONE, "PAR-KCC", True, ["communicatie", "betrouwbaarheid"], "terugbellen"),
    )),
    ("Na de melding", (
        ("Schade melden in de app",
         "Foto's en gegevens van de schade via de app, als het telefonisch niet lukt.",
         Channel.APP, "PAR-VO", False, ["digitale_kanalen"], "app-foto"),
        ("Expert beoordeelt de schade",
         "De schade-expert bekijkt de auto bij het herstelbedrijf of bij de klant.",
         Channel.VISIT, "SCH-EX-M", True, ["schadeafhandeling"], "expert"),
        ("Uitkering en eigen risico",
         "De verzekeraar betaalt het herstel; de klant hoort wat hij zelf betaalt.",
         Channel.LETTER, "SCH-MR", False, ["prijs", "polis_en_dekking"], "uitbetaling"),
    )),
)


def build(*, organisation, units, logins, employees, points, waves, route, today, rng, **_):
    """Add the car-damage journey, and link the demo points that grew from its touchpoints."""
    actor = logins["consultant"]
    journey = services.journey_create(organisation=organisation, actor=actor, name=JOURNEY_NAME,
                                      description=JOURNEY_DESCRIPTION,
                                      stages=[name for name, _touchpoints in STAGES])
    stages = list(journey.stages.order_by("position"))
    for stage, (_name, touchpoints) in zip(stages, STAGES, strict=True):
        for name, description, channel, unit_code, moment, themes, point_key in touchpoints:
            touchpoint = services.touchpoint_add(
                stage=stage, name=name, description=description, channel=channel,
                unit=units.get(unit_code), moment_of_truth=moment, themes=themes)
            if point_key and point_key in points:
                improvements.evidence_add(point=points[point_key], actor=actor,
                                          label=f"Klantreis “{JOURNEY_NAME}”: {name}",
                                          source=touchpoint)
    return journey
