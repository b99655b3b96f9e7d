"""Record the contributions of customers who spoke in arenas finished before the portal
followed them, so that their points appear in the portal (and they hear of changes)."""

from django.db import migrations


def backfill(apps, schema_editor):
    from arena.selectors import speakers_by_group
    from portal.services import arena_label

    Arena = apps.get_model("arena", "Arena")
    ArenaOutcome = apps.get_model("arena", "ArenaOutcome")
    Contact = apps.get_model("org", "Contact")
    Contribution = apps.get_model("portal", "Contribution")
    for arena in Arena.objects.filter(finished_at__isnull=False).select_related("room").iterator():
        speakers = speakers_by_group(arena.room.state or {})
        if not speakers:
            continue
        known = set(Contact.objects.filter(pk__in=set().union(*speakers.values()),
                                           customer__organisation_id=arena.organisation_id)
                    .values_list("pk", flat=True))
        label = arena_label(title=arena.title, starts_at=arena.starts_at)
        for outcome in ArenaOutcome.objects.filter(arena=arena, kind="point", point__isnull=False):
            for contact_id in sorted(speakers.get(str(outcome.item), set()) & known):
                Contribution.objects.get_or_create(
                    contact_id=contact_id, point_id=outcome.point_id, kind="arena", label=label[:200],
                    defaults={"organisation_id": arena.organisation_id})


class Migration(migrations.Migration):

    dependencies = [
        ("portal", "0001_initial"),
        ("arena", "0001_initial"),
        ("live", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
