"""A small organisation with a random wave, built through the services, for the insights
query-layer tests; plus a naive Python computation to check the aggregates against."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from org.models import Level, Unit, UnitKind
from org.services import customer_create, unit_create
from research.models import Competitor, CoreValue, Response
from research.services import Answers, response_record, wave_create

COMMENTS = [
    "Lange wachttijd aan de telefoon, slecht bereikbaar.",
    "Heel vriendelijk geholpen, top!",
    "De factuur klopte niet en niemand belde terug.",
    "Deskundig advies gekregen.",
    "",
    "",
]
IMPROVEMENTS = ["Sneller reageren op e-mail.", "", "Betere bereikbaarheid na 17:00 uur."]
SEGMENTS = ["MKB", "Particulier"]


@dataclass
class World:
    organisation: object
    root: Unit
    units: dict[str, Unit]
    wave: object
    customers: dict[str, list] = field(default_factory=dict)


def build_tree(organisation) -> tuple[Unit, dict[str, Unit]]:
    """Root → Noord (Noord 1, Noord 2, Noord klein), Zuid (Zuid 1)."""
    root = Unit.objects.for_organisation(organisation).get(depth=1)
    units = {}
    for region, teams in (("Noord", ["Noord 1", "Noord 2", "Noord klein"]), ("Zuid", ["Zuid 1"])):
        parent = unit_create(organisation=organisation, parent=root, name=region,
                             kind=UnitKind.REGION, level=Level.TACTICAL)
        units[region] = parent
        for team in teams:
            units[team] = unit_create(organisation=organisation, parent=parent, name=team)
    return root, {name: Unit.objects.get(pk=u.pk) for name, u in units.items()}


def make_wave(organisation, name: str, *, with_extras: bool = True):
    if with_extras and not CoreValue.objects.filter(organisation=organisation).exists():
        CoreValue.objects.create(organisation=organisation, name="Betrokken")
        Competitor.objects.create(organisation=organisation, name="Rivaal")
    return wave_create(organisation=organisation, actor=None, name=name, copy_previous=False)


def random_answers(rng: random.Random, wave, *, nps_shift: int = 0) -> Answers:
    questions = list(wave.questions.all())
    nps = min(10, max(0, rng.randint(3, 10) + nps_shift))
    base = nps if nps is not None else 6
    scores = {}
    for q in questions:
        if q.kind in ("driver", "core_value") and rng.random() > 0.1:
            scores[q.key] = min(10, max(1, base + rng.randint(-3, 2)))
    competitors = {}
    for q in questions:
        if q.kind == "competitor" and rng.random() < 0.6:
            competitors[q.subject] = rng.choice(["better", "same", "worse"])
    return Answers(nps=nps, comment=rng.choice(COMMENTS), improvement=rng.choice(IMPROVEMENTS),
                   scores=scores, competitors=competitors,
                   attributes={"segment": rng.choice(SEGMENTS)})


def fill(wave, units_and_counts: dict[Unit | None, int], *, seed: int = 7, nps_shift: int = 0,
         customers: dict | None = None) -> list[Response]:
    rng = random.Random(seed)
    out = []
    for unit, count in units_and_counts.items():
        for _ in range(count):
            customer = None
            if customers and unit is not None and customers.get(unit.pk):
                customer = rng.choice(customers[unit.pk])
            out.append(response_record(wave=wave, answers=random_answers(rng, wave, nps_shift=nps_shift),
                                       unit=unit, customer=customer))
    return out


def make_customers(organisation, unit: Unit, count: int) -> list:
    return [customer_create(organisation=organisation, name=f"{unit.name} klant {i}",
                            customer_number=f"{unit.pk}-{i}", unit=unit) for i in range(count)]


def naive(responses, *, driver_keys, rating_keys, competitor_names) -> dict:
    """Compute one group's statistics from response objects, the slow obvious way."""
    out = {"n": len(responses), "nps_counts": [0] * 11,
           "ratings": {k: {"n": 0, "sum": 0.0, "sumsq": 0.0, "counts": [0] * 11} for k in rating_keys},
           "n_complete": 0, "sums": [0.0] * (len(driver_keys) + 1),
           "cross": [[0.0] * (len(driver_keys) + 1) for _ in range(len(driver_keys) + 1)],
           "competitors": {c: {"better": 0, "same": 0, "worse": 0, "promoters": 0, "passives": 0,
                               "detractors": 0} for c in competitor_names}}
    for r in responses:
        if r.nps is not None:
            out["nps_counts"][r.nps] += 1
        for k in rating_keys:
            if k in r.scores:
                v = r.scores[k]
                entry = out["ratings"][k]
                entry["n"] += 1
                entry["sum"] += v
                entry["sumsq"] += v * v
                entry["counts"][round(v)] += 1
        if r.nps is not None and all(k in r.scores for k in driver_keys):
            row = [r.scores[k] for k in driver_keys] + [r.nps]
            out["n_complete"] += 1
            for a, x in enumerate(row):
                out["sums"][a] += x
                for b, y in enumerate(row):
                    out["cross"][a][b] += x * y
        for c in competitor_names:
            if c in r.competitors:
                entry = out["competitors"][c]
                entry[r.competitors[c]] += 1
                if r.nps is not None:
                    group = "promoters" if r.nps >= 9 else "passives" if r.nps >= 7 else "detractors"
                    entry[group] += 1
    return out
