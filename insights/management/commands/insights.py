import json

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from insights.selectors import WaveInsights, wave_insights
from org.models import Unit
from research.models import Wave


class Command(BaseCommand):
    help = (
        "Print the insights of a wave for every unit (each over its subtree): path, level, n, "
        "promoters, passives, detractors, nps, ci_low, ci_high, suppressed, change and "
        "change_significant against the previous wave, and for units with enough responses "
        "the drivers (name, importance, performance) and themes (name, count, sentiment, nps). "
        "Figures come from the stored aggregates (see insights_refresh)."
    )

    def add_arguments(self, parser):
        parser.add_argument("org", metavar="ORG", help="the organisation's short name")
        parser.add_argument("wave", metavar="WAVE", help="the wave's name or id")
        parser.add_argument("--unit", metavar="PATH",
                            help='only this unit and below, by names: "Organisation/Region/Team"')
        parser.add_argument("--json", dest="as_json", action="store_true", help="print JSON")

    def handle(self, *args, org, wave, unit, as_json, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"No organisation {org!r}.")
        wave_obj = wave_by_name_or_id(organisation, wave)
        root = unit_by_path(organisation, unit) if unit else None
        result = wave_insights(wave_obj)
        rows = insights_rows(result, root=root)
        if as_json:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            if row["suppressed"]:
                figures = "hidden"
            else:
                change = "" if row["change"] is None else f"  change {row['change']:+.1f}*"
                figures = (f"n={row['n']:<6} NPS {row['nps']:+6.1f} "
                           f"[{row['ci_low']:+.1f}, {row['ci_high']:+.1f}]{change}")
            self.stdout.write(f"{'  ' * (row['depth'] - 1)}{row['name']}: {figures}")
            for driver in row["drivers"]:
                self.stdout.write(f"{'  ' * row['depth']}driver {driver['name']}: importance "
                                  f"{driver['importance']:.3f}, performance {driver['performance']}")


def wave_by_name_or_id(organisation: Organisation, value: str) -> Wave:
    """Return the organisation's wave named ``value`` (or with id ``value``)."""
    waves = Wave.objects.for_organisation(organisation).select_related("organisation")
    found = waves.filter(name=value).first()
    if found is None and value.isdigit():
        found = waves.filter(pk=int(value)).first()
    if found is None:
        raise CommandError(f"No wave {value!r} in {organisation.slug}.")
    return found


def unit_by_path(organisation: Organisation, value: str) -> Unit:
    """Return the unit at a path of names ("A/B/C"); the top unit's name may be left out."""
    wanted = [part.strip() for part in value.split("/") if part.strip()]
    units = list(Unit.objects.for_organisation(organisation).values_list("pk", "path", "name"))
    names = {path: name for _, path, name in units}
    step = Unit.steplen
    matches = []
    for pk, path, _ in units:
        chain = [names.get(path[:i], "") for i in range(step, len(path) + 1, step)]
        if chain == wanted or chain[1:] == wanted:
            matches.append(pk)
    if len(matches) != 1:
        raise CommandError(f"No unit {value!r}." if not matches else f"Unit {value!r} is ambiguous.")
    return Unit.objects.get(pk=matches[0])


def _round(value, digits=2):
    return None if value is None else round(value, digits)


def insights_rows(result: WaveInsights, *, root: Unit | None = None) -> list[dict]:
    """Return the command's JSON rows, one per unit in tree order."""
    rows = []
    for u in result.units:
        if root is not None and not u.tree_path.startswith(root.path):
            continue
        analysis = result.drivers.get(u.unit_id)
        rows.append({
            "path": u.path, "name": u.name, "level": u.level, "depth": u.depth, "n": u.n,
            "promoters": u.promoters, "passives": u.passives, "detractors": u.detractors,
            "nps": _round(u.nps), "ci_low": _round(u.ci_low), "ci_high": _round(u.ci_high),
            "suppressed": u.suppressed, "change": _round(u.change),
            "change_significant": u.change_significant,
            "drivers": [
                {"name": d.name, "importance": _round(d.importance, 4), "share": _round(d.share),
                 "performance": _round(d.mean), "top_two_box": _round(d.top_two_box, 4),
                 "quadrant": d.quadrant}
                for d in (analysis.drivers if analysis else ())
            ],
            "themes": [
                {"name": t.name, "key": t.key, "count": t.count, "sentiment": _round(t.sentiment, 3),
                 "nps": _round(t.nps), "impact": _round(t.impact)}
                for t in result.themes.get(u.unit_id, [])
            ],
        })
    return rows
