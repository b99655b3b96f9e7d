"""Look-ups shared by the research commands."""

from django.core.management.base import CommandError

from accounts.models import Organisation
from research.models import Wave


def organisation_by_slug(slug: str) -> Organisation:
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise CommandError(f"No organisation with short name {slug!r}.")
    return organisation


def wave_by_name(organisation: Organisation, name: str) -> Wave:
    """Find a wave by its exact name, else case-insensitively, else by id."""
    waves = Wave.objects.for_organisation(organisation)
    wave = waves.filter(name=name).first() or waves.filter(name__iexact=name).first()
    if wave is None and name.isdigit():
        wave = waves.filter(pk=int(name)).first()
    if wave is None:
        known = ", ".join(waves.values_list("name", flat=True)[:20]) or "none yet"
        raise CommandError(f"{organisation.slug} has no wave named {name!r} (waves: {known}).")
    return wave
