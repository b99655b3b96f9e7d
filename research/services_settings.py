"""Writes behind the research settings pages: the organisation's drivers, core values and
competitors (they feed the default questionnaire of new waves) and a wave's details.

Questionnaire edits go through ``research.services.questionnaire_import``: the editor
builds the same document an uploaded JSON file would, so both paths share one validation.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Organisation
from research.models import Competitor, CoreValue, Driver, Response, Wave


class SettingInvalid(ValueError):
    """A settings change that cannot be made, with the reason."""


# --- Drivers --------------------------------------------------------------------------


def _next_position(queryset) -> int:
    highest = queryset.aggregate(m=Max("position"))["m"]
    return 0 if highest is None else highest + 1


def _driver_key(organisation: Organisation, name: str) -> str:
    base = slugify(name)[:50] or "driver"
    taken = set(Driver.objects.for_organisation(organisation)
                .filter(key__startswith=base).values_list("key", flat=True))
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


@transaction.atomic
def driver_create(*, organisation: Organisation, name_nl: str, name_en: str = "",
                  is_active: bool = True) -> Driver:
    """Add a driver at the end of the organisation's list; its key is made from the name."""
    name_nl = name_nl.strip()
    if not name_nl:
        raise SettingInvalid(_("A driver needs a Dutch name."))
    drivers = Driver.objects.for_organisation(organisation)
    return Driver.objects.create(
        organisation=organisation, key=_driver_key(organisation, name_nl), name_nl=name_nl,
        name_en=name_en.strip(), is_active=is_active, position=_next_position(drivers),
    )


@transaction.atomic
def driver_update(*, driver: Driver, name_nl: str, name_en: str = "", is_active: bool = True,
                  position: int | None = None) -> Driver:
    """Rename, (de)activate or move a driver. Its key stays, so waves remain comparable."""
    name_nl = name_nl.strip()
    if not name_nl:
        raise SettingInvalid(_("A driver needs a Dutch name."))
    driver.name_nl, driver.name_en, driver.is_active = name_nl, name_en.strip(), is_active
    if position is not None:
        driver.position = max(0, position)
    driver.save(update_fields=["name_nl", "name_en", "is_active", "position"])
    return driver


# --- Core values ----------------------------------------------------------------------


@transaction.atomic
def core_value_create(*, organisation: Organisation, name: str) -> CoreValue:
    name = name.strip()
    if not name:
        raise SettingInvalid(_("A core value needs a name."))
    values = CoreValue.objects.for_organisation(organisation)
    if values.filter(name__iexact=name).exists():
        raise SettingInvalid(_("This core value already exists."))
    return CoreValue.objects.create(organisation=organisation, name=name,
                                    position=_next_position(values))


@transaction.atomic
def core_value_delete(*, core_value: CoreValue) -> None:
    """Remove a core value; questionnaires of existing waves keep their question."""
    core_value.delete()


# --- Competitors ----------------------------------------------------------------------


@transaction.atomic
def competitor_create(*, organisation: Organisation, name: str) -> Competitor:
    name = name.strip()
    if not name:
        raise SettingInvalid(_("A competitor needs a name."))
    if Competitor.objects.for_organisation(organisation).filter(name__iexact=name).exists():
        raise SettingInvalid(_("This competitor already exists."))
    return Competitor.objects.create(organisation=organisation, name=name)


@transaction.atomic
def competitor_delete(*, competitor: Competitor) -> None:
    """Remove a competitor; questionnaires of existing waves keep their question."""
    competitor.delete()


# --- Waves ----------------------------------------------------------------------------


@transaction.atomic
def wave_update(*, wave: Wave, name: str, period_start: date | None = None,
                period_end: date | None = None, is_anonymous: bool | None = None) -> Wave:
    """Change a wave's name and period; anonymity only while it has no responses."""
    name = name.strip()
    if not name:
        raise SettingInvalid(_("A wave needs a name."))
    if (Wave.objects.for_organisation(wave.organisation).exclude(pk=wave.pk)
            .filter(name=name).exists()):
        raise SettingInvalid(_("Another wave already has this name."))
    if period_start and period_end and period_end < period_start:
        raise SettingInvalid(_("The period ends before it starts."))
    wave.name, wave.period_start, wave.period_end = name, period_start, period_end
    if is_anonymous is not None and is_anonymous != wave.is_anonymous:
        if Response.objects.filter(wave=wave).exists():
            raise SettingInvalid(_("Anonymity cannot change once the wave has responses."))
        if is_anonymous and wave.invitations.exists():
            # Personal invitations would link the answers to the invitees.
            raise SettingInvalid(_("A wave with personal invitations cannot become anonymous."))
        wave.is_anonymous = is_anonymous
    wave.save(update_fields=["name", "period_start", "period_end", "is_anonymous"])
    return wave
