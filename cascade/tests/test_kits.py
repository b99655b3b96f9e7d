"""Session kits: the deck and the handout of one unit, opened as a user would; the
anonymity threshold in the kits; access to the downloads; all kits of a cascade in the
background and from the command line, named by unit path."""

from __future__ import annotations

import io
import random
import zipfile
from dataclasses import dataclass
from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from pptx import Presentation
from pypdf import PdfReader

from accounts.models import Role
from cascade import kit_jobs, kits
from cascade.services import cascade_create, session_plan
from insights import charts
from insights import services as insight_services
from insights.models import ResponseAnalysis
from org.models import Level, Unit, UnitKind
from org.services import customer_create, unit_create
from research.models import WaveStatus
from research.services import Answers, response_record, wave_create, wave_set_status

COMMENTS = [
    "Lange wachttijd aan de telefoon, slecht bereikbaar.",
    "Heel vriendelijk geholpen, top!",
    "De factuur klopte niet en niemand belde terug.",
    "Deskundig advies gekregen, snel geregeld.",
    "Prima service.",
]
VOICE = "Mijn adviseur belde zelf terug en loste alles in een dag op."
SECRET = "Geheim commentaar uit het kleine team"
CUSTOMERS = ["Bakkerij Jansen", "Garage De Vries", "Hoveniers Bos", "Kapsalon Knip",
             "Drukkerij Smit", "Loodgieter Mulder", "Bloemist Roos", "Café De Hoek"]


@dataclass
class World:
    org: object
    units: dict[str, Unit]
    wave: object
    cascade: object
    admin: object
    employee: object


def _answers(rng: random.Random, wave, nps: int, comment: str) -> Answers:
    # Friendliness follows the score closely and is high (a strength); reachability follows
    # it as closely but lags (an improvement point); the rest is noise.
    scores = {}
    for question in wave.questions.filter(kind="driver"):
        if question.key == "vriendelijkheid":
            scores[question.key] = min(10, max(1, nps + 1 + rng.randint(0, 1)))
        elif question.key == "bereikbaarheid":
            scores[question.key] = min(10, max(1, nps - 3 + rng.randint(0, 1)))
        else:
            scores[question.key] = rng.randint(5, 9)
    return Answers(nps=nps, comment=comment, scores=scores)


def build_world(organisation, make_member, *, responses: bool = True) -> World:
    """Root → Noord (Team Groningen: 40 responses of named customers), Zuid (Zuid klein:
    2 responses, under the threshold of 3); an earlier and a latest wave; the cascade."""
    organisation.anonymity_threshold = 3
    organisation.save(update_fields=["anonymity_threshold"])
    root = Unit.objects.for_organisation(organisation).get(depth=1)
    units = {"root": root}
    for region, team in (("Noord", "Team Groningen"), ("Zuid", "Zuid klein")):
        units[region] = unit_create(organisation=organisation, parent=root, name=region,
                                    kind=UnitKind.REGION, level=Level.TACTICAL)
        units[team] = unit_create(organisation=organisation, parent=units[region], name=team)
    units = {name: Unit.objects.get(pk=u.pk) for name, u in units.items()}
    admin = make_member(organisation, Role.ADMIN, name="Ad Admin")
    employee = make_member(organisation, Role.EMPLOYEE, unit=units["Team Groningen"],
                           name="Eef Medewerker")
    customers = [customer_create(organisation=organisation, name=name, customer_number=f"K{i}",
                                 unit=units["Team Groningen"], account_owner=employee)
                 for i, name in enumerate(CUSTOMERS)]
    rng = random.Random(11)
    waves = []
    for name, start, count in (("Meting 2025", date(2025, 3, 1), 12),
                               ("Meting 2026", date(2026, 3, 1), 40)):
        wave = wave_create(organisation=organisation, actor=None, name=name, period_start=start,
                           copy_previous=False)
        if responses:
            for i in range(count):
                nps = rng.choice([2, 5, 6, 7, 8, 9, 9, 10, 10, 10])
                response_record(wave=wave, answers=_answers(rng, wave, nps, COMMENTS[i % 5]),
                                unit=units["Team Groningen"], customer=customers[i % len(customers)])
            for unit, n in ((units["Noord"], 6), (units["Zuid"], 6)):
                for _ in range(n):
                    response_record(wave=wave, answers=_answers(rng, wave, 8, "Prima service."),
                                    unit=unit)
            for _ in range(2):
                response_record(wave=wave, answers=_answers(rng, wave, 1, SECRET),
                                unit=units["Zuid klein"])
            insight_services.responses_changed(wave=wave)
        wave_set_status(wave=wave, status=WaveStatus.CLOSED)
        waves.append(wave)
    if responses:
        analysis = ResponseAnalysis.objects.filter(wave=waves[-1]).first()
        analysis.response.comment = VOICE
        analysis.response.save(update_fields=["comment"])
        insight_services.response_voice_set(analysis=analysis, is_voice=True)
    cascade = cascade_create(organisation=organisation, wave=waves[-1], actor=admin)
    return World(organisation, units, waves[-1], cascade, admin, employee)


@pytest.fixture
def world(org, make_member):
    return build_world(org, make_member)


@pytest.fixture
def bare_world(org, make_member):
    """The same tree and cascade without responses: every kit says too few responses."""
    return build_world(org, make_member, responses=False)


def session_of(world: World, unit_name: str):
    return next(s for s in kits.cascade_sessions(world.cascade)
                if s.unit_id == world.units[unit_name].pk)


def pptx_text(content: bytes) -> str:
    deck = Presentation(io.BytesIO(content))
    parts = []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [cell.text for row in shape.table.rows for cell in row.cells]
            if shape.has_chart:
                chart = shape.chart
                for plot in chart.plots:
                    parts += [str(c) for c in plot.categories]
                    for series in plot.series:
                        parts.append(series.name)
                        parts += [str(round(v)) for v in series.values if v is not None]
    return "\n".join(parts)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_team_kit_shows_nps_parent_drivers_themes_quotes_and_customers(world):
    with translation.override("en"):
        data = kits.session_kit_data(session_of(world, "Team Groningen"))
        deck, handout = pptx_text(kits.session_pptx(data)), flat(pdf_text(kits.session_pdf(data)))
    assert data.level == Level.OPERATIONAL and not data.suppressed
    assert data.file_stem == "01-acme-verzekeringen/02-noord/03-team-groningen"
    nps = charts.number(data.insight.nps)
    assert f"\n{nps}\n" in f"\n{deck}\n"  # the big figure on the NPS slide
    assert nps in handout and f"n = {data.insight.n}" in handout
    # The level above, with the difference.
    assert data.parent_name == "Noord"
    parent = f"Noord: NPS {charts.number(data.parent.nps)}"
    assert parent in deck and parent in handout
    # Trend over both waves.
    assert [p.wave for p in data.trend] == ["Meting 2025", "Meting 2026"]
    assert "Meting 2025" in deck
    # A strength and an improvement point from the driver analysis.
    assert [d.key for d in data.strengths] == ["vriendelijkheid"]
    assert "bereikbaarheid" in [d.key for d in data.improvement_points]
    for driver in (data.strengths[0], data.improvement_points[0]):
        assert driver.name in deck and driver.name in handout
    # Themes with quotes, and the quote marked as voice of the customer.
    assert data.themes and data.themes[0].quotes
    theme = data.themes[0]
    assert theme.name in deck and theme.name in handout
    assert flat(theme.quotes[0].text) in handout
    assert data.voice_marked and data.voice[0].text == VOICE
    assert VOICE in deck and VOICE in handout
    # The team's customers by promoter, passive and detractor.
    assert {c.name for c in data.customers} == set(CUSTOMERS)
    detractor = next(c for c in data.customers if c.group == "detractor")
    promoter = next(c for c in data.customers if c.group == "promoter")
    for customer in (detractor, promoter):
        assert customer.name in deck and customer.name in handout
    assert "Detractors (" in handout and "Promoters (" in handout


def test_a_suppressed_unit_gets_a_kit_without_figures(world):
    with translation.override("en"):
        data = kits.session_kit_data(session_of(world, "Zuid klein"))
        deck, handout = pptx_text(kits.session_pptx(data)), flat(pdf_text(kits.session_pdf(data)))
    assert data.suppressed
    assert data.insight.nps is None and data.drivers == () and data.themes == ()
    assert data.voice == () and data.customers == ()
    for text in (deck, handout):
        assert "Too few responses to show" in text
        assert SECRET not in text
        assert "95% interval" not in text and "n = " not in text
    assert not any(name in handout for name in CUSTOMERS)


def test_the_kit_is_in_dutch_by_default(world):
    data = kits.session_kit_data(session_of(world, "Zuid klein"))
    assert "Te weinig reacties om te tonen" in flat(pdf_text(kits.session_pdf(data)))


def test_downloads_of_another_organisations_session_are_not_found(client, bare_world, make_org,
                                                                  make_member):
    rival = make_org(slug="rival", name="Rivaal BV")
    theirs = build_world(rival, make_member, responses=False)
    client.force_login(bare_world.admin.user)
    session = theirs.cascade.sessions.first()
    for name in ("cascade:session_kit_pptx", "cascade:session_kit_pdf"):
        assert client.get(reverse(name, args=["acme", session.pk])).status_code == 404
    for name in ("cascade:kits", "cascade:kits_download"):
        assert client.get(reverse(name, args=["acme", theirs.cascade.pk])).status_code == 404
    assert client.post(reverse("cascade:kits", args=["acme", theirs.cascade.pk])).status_code == 404


def test_a_facilitator_may_download_their_own_sessions_kit_only(client, bare_world):
    team = session_of(bare_world, "Team Groningen")
    other = session_of(bare_world, "Zuid klein")
    session_plan(session=team, scheduled_at=None, facilitator=bare_world.employee)
    client.force_login(bare_world.employee.user)  # an employee: no view_insights
    response = client.get(reverse("cascade:session_kit_pdf", args=["acme", team.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="01-acme-verzekeringen__02-noord__03-team-groningen.pdf"' in \
        response["Content-Disposition"]
    assert client.get(reverse("cascade:session_kit_pdf", args=["acme", other.pk])).status_code == 403
    assert client.get(reverse("cascade:kits", args=["acme", bare_world.cascade.pk])).status_code == 403


def test_building_all_kits_in_the_background_gives_a_zip_named_by_unit_path(client, bare_world):
    client.force_login(bare_world.admin.user)
    url = reverse("cascade:kits", args=["acme", bare_world.cascade.pk])
    page = client.get(url)
    assert page.status_code == 200 and b'data-testid="kits-build"' in page.content
    assert client.post(url).status_code == 302  # runs inline under JOBS_EAGER
    status = kit_jobs.kits_status(bare_world.cascade)
    assert status.state == kit_jobs.DONE and status.done == status.total == 5
    partial = client.get(url, HTTP_HX_REQUEST="true")
    assert b'data-state="done"' in partial.content and b"<html" not in partial.content
    download = client.get(reverse("cascade:kits_download", args=["acme", bare_world.cascade.pk]))
    assert download.status_code == 200
    names = set(zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))).namelist())
    stems = {"01-acme-verzekeringen", "01-acme-verzekeringen/02-noord",
             "01-acme-verzekeringen/02-noord/03-team-groningen", "01-acme-verzekeringen/02-zuid",
             "01-acme-verzekeringen/02-zuid/03-zuid-klein"}
    assert names == {f"{stem}.{kind}" for stem in stems for kind in ("pptx", "pdf")}


def test_a_second_build_while_one_runs_is_refused(bare_world):
    from django.core.cache import cache

    cache.add(kit_jobs._lock_key(bare_world.cascade.pk), 1, 60)
    with pytest.raises(kit_jobs.KitsBuilding):
        kit_jobs.kits_build_later(cascade=bare_world.cascade)
    cache.delete(kit_jobs._lock_key(bare_world.cascade.pk))


def test_the_command_line_writes_every_kit_named_by_unit_path(bare_world, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    call_command("cascade_kits", "acme", "Meting 2026", "--out", str(tmp_path / "kits"),
                 stdout=out, stderr=err)
    team = tmp_path / "kits" / "01-acme-verzekeringen" / "02-noord" / "03-team-groningen"
    assert PdfReader(str(team) + ".pdf").pages
    assert Presentation(str(team) + ".pptx").slides
    assert len(list((tmp_path / "kits").rglob("*.p*"))) == 10
    assert "5/5" in err.getvalue() and "Wrote 10 files for 5 sessions" in out.getvalue()
