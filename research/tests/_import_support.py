"""Shared set-up for the import tests: a small organisation and files in every layout."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from accounts.models import Organisation, Role
from org.models import Level, Unit, UnitKind
from org.services import contact_create, customer_create, unit_create
from research.importing import ImportOptions, Mapping, import_prepare, import_start
from research.models import ImportJob, Wave
from research.services import wave_create


@dataclass
class World:
    organisation: Organisation
    wave: Wave
    noord: Unit
    zuid: Unit
    customers: dict
    owner: object


def build_world(organisation, make_member, *, anonymous: bool = False, wave_name="Meting 2024"):
    """Two teams, three customers (K001 and K002 in Noord, K003 in Zuid) and a wave."""
    root = Unit.objects.for_organisation(organisation).get(depth=1)
    noord = unit_create(organisation=organisation, parent=root, name="Team Noord", code="T-N",
                        kind=UnitKind.TEAM, level=Level.OPERATIONAL)
    zuid = unit_create(organisation=organisation, parent=root, name="Team Zuid", code="T-Z",
                       kind=UnitKind.TEAM, level=Level.OPERATIONAL)
    owner = make_member(organisation, role=Role.EMPLOYEE, unit=noord)
    customers = {
        "K001": customer_create(organisation=organisation, name="Bakkerij Jansen",
                                customer_number="K001", email="info@jansen.nl", unit=noord,
                                account_owner=owner),
        "K002": customer_create(organisation=organisation, name="Garage De Vries",
                                customer_number="K002", unit=noord, account_owner=owner),
        "K003": customer_create(organisation=organisation, name="Zorggroep Zuid",
                                customer_number="K003", unit=zuid),
    }
    contact_create(customer=customers["K002"], name="Piet de Vries", email="piet@devries.nl")
    wave = wave_create(organisation=organisation, actor=None, name=wave_name,
                       is_anonymous=anonymous)
    return World(organisation, wave, noord, zuid, customers, owner)


def write_csv(path: Path, rows: list[list[str]], *, encoding="utf-8", delimiter=",") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


PLAIN_HEADER = ["ResponseId", "klantnummer", "team", "NPS", "Waarom", "snelheid",
                "vriendelijkheid", "segment"]


def plain_rows(*rows: list[str]) -> list[list[str]]:
    return [PLAIN_HEADER, *rows]


def import_file(world: World, path: Path, *, mapping: Mapping | None = None,
                **options) -> ImportJob:
    """Upload ``path`` and import it with the proposed (or given) mapping."""
    job = import_prepare(organisation=world.organisation, wave=world.wave, actor=None,
                         upload=path, original_name=path.name)
    mapping = mapping or Mapping.from_json(job.mapping)
    return import_start(job=job, mapping=mapping, options=ImportOptions(**options))
