"""The insights pages: who lands where, who may open what, suppression in the page,
exports, the verbatim browser with its voice toggle, and the taxonomy editor."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import Role
from insights import services as insight_services
from insights.models import ResponseAnalysis, Taxonomy
from insights.text import default_taxonomy
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
SECRET = "Geheim commentaar uit het kleine team"
FORMULA = '=HYPERLINK("http://evil.example","klik")'


@dataclass
class World:
    organisation: object
    root: Unit
    units: dict[str, Unit]
    waves: list
    members: dict[str, object]
    customers: list


def _answers(rng: random.Random, wave, nps: int, comment: str) -> Answers:
    scores = {}
    for question in wave.questions.all():
        if question.kind in ("driver", "core_value"):
            scores[question.key] = min(10, max(1, nps + rng.randint(-2, 2)))
    return Answers(nps=nps, comment=comment, scores=scores)


def build_world(organisation, make_member, *, per_team: int = 40) -> World:
    """Root → Noord (Noord 1, Noord 2, Noord klein: 2 responses) and Zuid (Zuid 1,
    Zuid leeg: none), two closed waves; Noord 1 has named customers."""
    root = Unit.objects.for_organisation(organisation).get(depth=1)
    units: dict[str, Unit] = {}
    for region, teams in (("Noord", ["Noord 1", "Noord 2", "Noord klein"]),
                          ("Zuid", ["Zuid 1", "Zuid leeg"])):
        units[region] = unit_create(organisation=organisation, parent=root, name=region,
                                    kind=UnitKind.REGION, level=Level.TACTICAL)
        for team in teams:
            units[team] = unit_create(organisation=organisation, parent=units[region], name=team)
    units = {name: Unit.objects.get(pk=u.pk) for name, u in units.items()}
    members = {
        "board": make_member(organisation, Role.BOARD, unit=root, name="Bea Bestuur"),
        "admin": make_member(organisation, Role.ADMIN, name="Ad Admin"),
        "manager": make_member(organisation, Role.MANAGER, unit=units["Noord"],
                               name="Mia Manager"),
        "employee": make_member(organisation, Role.EMPLOYEE, unit=units["Noord 1"],
                                name="Eef Medewerker"),
        "other_employee": make_member(organisation, Role.EMPLOYEE, unit=units["Zuid 1"],
                                      name="Otto Medewerker"),
    }
    customers = [customer_create(organisation=organisation, name=f"Klant {i:02d}",
                                 customer_number=f"K{i:02d}", unit=units["Noord 1"],
                                 account_owner=members["employee"]) for i in range(12)]
    rng = random.Random(4)
    waves = []
    for index, (name, start, shift) in enumerate((("Meting 2024", date(2024, 3, 1), -2),
                                                   ("Meting 2025", date(2025, 3, 1), 1))):
        wave = wave_create(organisation=organisation, actor=None, name=name,
                           period_start=start, copy_previous=False)
        counts = {units["Noord 1"]: per_team, units["Noord 2"]: per_team,
                  units["Zuid 1"]: per_team, units["Noord"]: 10}
        for unit, count in counts.items():
            for i in range(count):
                nps = min(10, max(0, rng.randint(3, 10) + shift))
                customer = customers[i % len(customers)] if unit == units["Noord 1"] else None
                comment = rng.choice(COMMENTS)
                if index == 1 and customer is customers[0]:
                    comment = FORMULA
                response_record(wave=wave, answers=_answers(rng, wave, nps, comment), unit=unit,
                                customer=customer)
        for _ in range(2):
            response_record(wave=wave, answers=_answers(rng, wave, 2, SECRET),
                            unit=units["Noord klein"])
        insight_services.responses_changed(wave=wave)
        wave_set_status(wave=wave, status=WaveStatus.CLOSED)
        waves.append(wave)
    return World(organisation=organisation, root=root, units=units, waves=waves,
                 members=members, customers=customers)


@pytest.fixture
def world(org, make_member):
    return build_world(org, make_member)


def url(name, org="acme", **kwargs):
    return reverse(f"insights:{name}", kwargs={"org": org, **kwargs})


def too_few() -> str:
    with translation.override("nl"):
        return gettext("Too few responses to show")


# Landing -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["board", "admin"])
def test_board_and_admin_land_on_the_strategic_page(world, login, role):
    client = login(world.members[role])
    response = client.get(url("home"))
    assert response.status_code == 302 and response.url == url("strategic")


def test_manager_lands_on_their_unit(world, login):
    response = login(world.members["manager"]).get(url("home"))
    assert response.url == url("unit", pk=world.units["Noord"].pk)


def test_employee_lands_on_their_team(world, login):
    response = login(world.members["employee"]).get(url("home"))
    assert response.url == url("team", pk=world.units["Noord 1"].pk)


def test_landing_keeps_the_chosen_wave(world, login):
    wave = world.waves[0]
    response = login(world.members["employee"]).get(url("home") + f"?wave={wave.pk}")
    assert response.url.endswith(f"?wave={wave.pk}")


def test_moderator_has_no_insights(world, login, make_member):
    moderator = make_member(world.organisation, Role.MODERATOR)
    assert login(moderator).get(url("home")).status_code == 403


# The strategic page ----------------------------------------------------------------------------

def test_board_sees_the_organisation_with_units_charts_and_the_latest_closed_wave(world, login):
    response = login(world.members["board"]).get(url("strategic"))
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["wave"] == world.waves[1]
    assert html.count('role="img"') >= 5  # NPS, mix, trend, drivers, themes
    assert "Noord" in html and "Zuid" in html
    assert url("unit", pk=world.units["Noord"].pk) in html
    assert "Meting 2024" in html  # the trend runs over both waves
    top = response.context["insight"]
    assert top.n == 3 * 40 + 10 + 2  # Noord 1, Noord 2, Zuid 1, Noord own, Noord klein


def test_an_earlier_wave_can_be_chosen_and_another_orgs_wave_is_404(world, login, other_org):
    client = login(world.members["board"])
    response = client.get(url("strategic") + f"?wave={world.waves[0].pk}")
    assert response.context["wave"] == world.waves[0]
    foreign = wave_create(organisation=other_org, actor=None, name="Vreemd")
    assert client.get(url("strategic") + f"?wave={foreign.pk}").status_code == 404
    assert client.get(url("strategic") + "?wave=abc").status_code == 404


def test_strategic_page_query_count_is_pinned(world, login, django_assert_max_num_queries):
    client = login(world.members["board"])
    with django_assert_max_num_queries(40):
        assert client.get(url("strategic")).status_code == 200


def test_without_waves_the_page_says_so(org, make_member, login):
    board = make_member(org, Role.BOARD)
    response = login(board).get(url("strategic"))
    assert response.status_code == 200
    assert response.templates[0].name == "insights/no_waves.html"


# The unit page -------------------------------------------------------------------------------

def test_manager_sees_their_unit_with_teams_and_the_organisation_to_compare(world, login):
    response = login(world.members["manager"]).get(url("unit", pk=world.units["Noord"].pk))
    assert response.status_code == 200
    html = response.content.decode()
    names = [row.insight.name for row in response.context["children"]]
    assert names == ["Noord 1", "Noord 2", "Noord klein"]
    assert url("team", pk=world.units["Noord 1"].pk) in html
    assert response.context["organisation_insight"].unit_id == world.root.pk
    assert 'role="img"' in html


def test_suppressed_team_shows_too_few_responses_and_hidden_looks_like_empty(world, login):
    client = login(world.members["board"])
    html = client.get(url("unit", pk=world.units["Noord"].pk)).content.decode()
    assert too_few() in html
    klein = next(r for r in client.get(url("unit", pk=world.units["Noord"].pk)).context["children"]
                 if r.insight.name == "Noord klein")
    assert klein.insight.suppressed and klein.insight.n is None
    zuid = client.get(url("unit", pk=world.units["Zuid"].pk))
    leeg = next(r for r in zuid.context["children"] if r.insight.name == "Zuid leeg")
    klein_row = _unit_table_row(html, "Noord klein")
    leeg_row = _unit_table_row(zuid.content.decode(), "Zuid leeg")
    assert klein_row.replace("Noord klein", "X").split("</a>")[1] == \
        leeg_row.replace("Zuid leeg", "X").split("</a>")[1]
    assert leeg.insight.suppressed


def _unit_table_row(html: str, name: str) -> str:
    table = html.split('data-testid="unit-table"')[1].split("</table>")[0]
    return next(row for row in table.split("<tr") if f">{name}</a>" in row)


def test_the_root_and_a_team_redirect_to_their_own_pages(world, login):
    client = login(world.members["board"])
    assert client.get(url("unit", pk=world.root.pk)).url.startswith(url("strategic"))
    assert client.get(url("unit", pk=world.units["Noord 1"].pk)).url.startswith(
        url("team", pk=world.units["Noord 1"].pk))


def test_employee_cannot_open_the_strategic_or_unit_pages(world, login):
    client = login(world.members["employee"])
    assert client.get(url("strategic")).status_code == 403
    assert client.get(url("unit", pk=world.units["Noord"].pk)).status_code == 403
    assert client.get(url("verbatims")).status_code == 403


# The team page -------------------------------------------------------------------------------

def test_employee_sees_their_customers_detractors_first(world, login):
    response = login(world.members["employee"]).get(url("team", pk=world.units["Noord 1"].pk))
    assert response.status_code == 200
    customers = list(response.context["page"].object_list)
    assert customers, "the team's customers are listed"
    order = {"detractor": 0, "passive": 1, "promoter": 2}
    ranks = [order[c.nps_group] for c in customers]
    assert ranks == sorted(ranks)
    html = response.content.decode()
    assert 'data-testid="customer"' in html and "Klant 0" in html
    assert 'role="img"' in html


def test_employee_cannot_open_another_team(world, login):
    client = login(world.members["employee"])
    assert client.get(url("team", pk=world.units["Zuid 1"].pk)).status_code == 403
    assert client.get(url("team", pk=world.units["Noord 2"].pk)).status_code == 403


def test_another_organisation_gets_404(world, login, other_org, make_member):
    stranger = make_member(other_org, Role.BOARD)
    client = login(stranger)
    assert client.get(url("strategic")).status_code == 404
    assert client.get(url("team", pk=world.units["Noord 1"].pk)).status_code == 404
    # Their own organisation's URL with our unit's pk is 404 too.
    assert client.get(url("team", org="rival", pk=world.units["Noord 1"].pk)).status_code == 404
    assert client.get(url("unit", org="rival", pk=world.units["Noord"].pk)).status_code == 404


def test_suppressed_team_page_hides_figures_and_customers(world, login):
    response = login(world.members["board"]).get(url("team", pk=world.units["Noord klein"].pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["page"] is None
    assert too_few() in html
    assert SECRET not in html


# Verbatims -----------------------------------------------------------------------------------

def test_verbatims_hide_comments_of_suppressed_units(world, login):
    client = login(world.members["board"])
    html = client.get(url("verbatims") + "?q=Geheim").content.decode()
    assert SECRET not in html
    assert ResponseAnalysis.objects.filter(unit=world.units["Noord klein"]).exists()
    shown = client.get(url("verbatims"))
    assert shown.context["page"].paginator.count > 0
    assert all(a.unit_id != world.units["Noord klein"].pk for a in shown.context["page"].object_list)


def test_verbatims_filter_by_theme_group_sentiment_and_subtree(world, login):
    client = login(world.members["board"])
    response = client.get(url("verbatims"), {"theme": "wachttijd", "group": "detractor",
                                             "unit": world.units["Noord"].pk})
    assert response.status_code == 200
    page = response.context["page"]
    for analysis in page.object_list:
        assert "wachttijd" in analysis.themes
        assert analysis.response.nps <= 6
        assert analysis.unit.path.startswith(world.units["Noord"].path)
    negative = client.get(url("verbatims"), {"sentiment": "negative"}).context["page"]
    assert all(a.sentiment < -0.05 for a in negative.object_list)
    assert len(page.object_list) <= 50


def test_voice_toggle_marks_a_quote_and_the_filter_finds_it(world, login):
    client = login(world.members["manager"])
    analysis = ResponseAnalysis.objects.filter(unit=world.units["Noord 1"],
                                               wave=world.waves[1]).first()
    response = client.post(url("verbatim_voice", pk=analysis.response_id), {"is_voice": "1"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()
    analysis.refresh_from_db()
    assert analysis.is_voice
    marked = client.get(url("verbatims"), {"voice": "on"}).context["page"]
    assert [a.pk for a in marked.object_list] == [analysis.pk]
    client.post(url("verbatim_voice", pk=analysis.response_id), {"is_voice": "0"})
    analysis.refresh_from_db()
    assert not analysis.is_voice


def test_voice_toggle_is_refused_to_employees_other_orgs_and_hidden_quotes(
        world, login, other_org, make_member):
    analysis = ResponseAnalysis.objects.filter(unit=world.units["Noord 1"]).first()
    assert login(world.members["employee"]).post(
        url("verbatim_voice", pk=analysis.response_id), {"is_voice": "1"}).status_code == 403
    stranger = make_member(other_org, Role.ADMIN)
    assert login(stranger).post(url("verbatim_voice", org="rival", pk=analysis.response_id),
                                {"is_voice": "1"}).status_code == 404
    hidden = ResponseAnalysis.objects.filter(unit=world.units["Noord klein"]).first()
    assert login(world.members["admin"]).post(
        url("verbatim_voice", pk=hidden.response_id), {"is_voice": "1"}).status_code == 403


# Exports -------------------------------------------------------------------------------------

def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def test_unit_export_opens_and_shows_suppressed_rows_without_figures(world, login):
    client = login(world.members["board"])
    rows = _sheet(client.get(url("export"), {"table": "units", "unit": world.units["Noord"].pk}))
    assert len(rows) == 1 + 4  # heading, Noord and its three teams
    klein = next(row for row in rows if row[0] and row[0].endswith("Noord klein"))
    assert all(value is None for value in klein[3:])
    noord_1 = next(row for row in rows if row[0] and row[0].endswith("Noord 1"))
    assert noord_1[3] == 40 and isinstance(noord_1[7], float)


@pytest.mark.parametrize("table", ["drivers", "themes"])
def test_driver_and_theme_exports_open(world, login, table):
    rows = _sheet(login(world.members["board"]).get(url("export"), {"table": table}))
    assert len(rows) >= 2


def test_customer_export_neutralises_formulas(world, login):
    client = login(world.members["employee"])
    rows = _sheet(client.get(url("export"), {"table": "customers",
                                             "unit": world.units["Noord 1"].pk}))
    comments = [row[6] for row in rows[1:]]
    assert "'" + FORMULA in comments
    assert not any(isinstance(c, str) and c.startswith("=") for row in rows for c in row)
    assert client.get(url("export"), {"table": "customers",
                                      "unit": world.units["Zuid 1"].pk}).status_code == 403
    assert client.get(url("export"), {"table": "units"}).status_code == 403
    assert client.get(url("export"), {"table": "secrets"}).status_code == 400


# Taxonomy ------------------------------------------------------------------------------------

def _formset_data(themes: list[dict]) -> dict:
    data = {"theme-TOTAL_FORMS": str(len(themes) + 1), "theme-INITIAL_FORMS": str(len(themes)),
            "theme-MIN_NUM_FORMS": "0", "theme-MAX_NUM_FORMS": "1000", "action": "save"}
    for i, theme in enumerate(themes):
        data[f"theme-{i}-key"] = theme["key"]
        data[f"theme-{i}-name"] = theme.get("name", theme["key"])
        data[f"theme-{i}-name_en"] = theme.get("name_en", "")
        data[f"theme-{i}-terms"] = "\n".join(theme.get("terms", []))
        data[f"theme-{i}-phrases"] = "\n".join(theme.get("phrases", []))
    return data


def test_taxonomy_editor_saves_edits_deletes_and_adds_themes(world, login):
    client = login(world.members["admin"])
    assert client.get(url("taxonomy")).status_code == 200
    themes = default_taxonomy()["themes"]
    data = _formset_data(themes)
    data["theme-0-name"] = "Bereikbaarheid (telefoon)"
    data["theme-0-terms"] += "\nbelmenu"
    data["theme-1-DELETE"] = "on"
    n = len(themes)
    data[f"theme-{n}-name"] = "Parkeren"
    data[f"theme-{n}-terms"] = "parkeren\nparkeerplaats"
    response = client.post(url("taxonomy"), data)
    assert response.status_code == 302
    document = Taxonomy.objects.get(organisation=world.organisation).document
    keys = [t["key"] for t in document["themes"]]
    assert keys[0] == themes[0]["key"] and themes[1]["key"] not in keys
    assert document["themes"][0]["name"] == "Bereikbaarheid (telefoon)"
    assert "belmenu" in document["themes"][0]["terms"]
    assert document["themes"][-1] == {"key": "parkeren", "name": "Parkeren",
                                      "terms": ["parkeren", "parkeerplaats"], "phrases": []}


def test_taxonomy_editor_refuses_a_theme_without_terms_or_a_duplicate_key(world, login):
    client = login(world.members["admin"])
    themes = default_taxonomy()["themes"][:2]
    data = _formset_data(themes)
    data["theme-0-terms"] = ""
    data["theme-0-phrases"] = ""
    assert client.post(url("taxonomy"), data).status_code == 400
    data = _formset_data(themes)
    data["theme-1-key"] = themes[0]["key"]
    assert client.post(url("taxonomy"), data).status_code == 400
    assert not Taxonomy.objects.filter(organisation=world.organisation).exists()


def test_taxonomy_reset_and_add_a_suggestion(world, login):
    client = login(world.members["admin"])
    insight_services.taxonomy_save(organisation=world.organisation,
                                   document={"themes": [{"key": "x", "terms": ["x"]}]})
    client.post(url("taxonomy"), {"action": "reset"})
    document = Taxonomy.objects.get(organisation=world.organisation).document
    assert document["themes"] == default_taxonomy()["themes"]
    client.post(url("taxonomy"), {"action": "add_suggestion", "name": "Polis",
                                  "terms": "polis|polis wijziging|voorwaarde"})
    added = Taxonomy.objects.get(organisation=world.organisation).document["themes"][-1]
    assert added == {"key": "polis", "name": "Polis", "terms": ["polis", "voorwaarde"],
                     "phrases": ["polis wijziging"]}


def test_taxonomy_suggestions_render_as_a_partial(world, login):
    response = login(world.members["admin"]).get(url("taxonomy") + "?suggestions=1",
                                                 HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.templates[0].name == "insights/_suggestions.html"


def test_taxonomy_needs_manage_waves(world, login):
    assert login(world.members["manager"]).get(url("taxonomy")).status_code == 403
    assert login(world.members["board"]).post(url("taxonomy"), {"action": "reset"}).status_code == 403
