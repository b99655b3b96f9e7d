"""The journey pages: the map and its editor, permissions, the point from a touchpoint, exports."""

import io

import pytest
from django.urls import reverse

from accounts.models import Role
from improvements.models import Evidence, ImprovementPoint
from journeys.models import Journey, Stage, Touchpoint
from portal.models import Contribution, ContributionKind

pytestmark = pytest.mark.django_db


def url(name, world, **kwargs):
    return reverse(f"journeys:{name}", kwargs={"org": world.org.slug, **kwargs})


def test_journey_map_shows_every_source_on_the_touchpoint(world, login):
    client = login(world.survey.admin)
    response = client.get(url("detail", world, pk=world.journey.pk))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Schade melden per telefoon", "Een half uur in de wacht bij de schadelijn.",
                 "Ik kwam er telefonisch niet doorheen", "Bel de klant binnen een dag terug.",
                 'data-testid="emotion-curve"'):
        assert text in html
    assert "Anja Jansen" not in html and "Bakkerij Jansen" not in html


def test_journey_map_reads_in_a_fixed_number_of_queries(world, login, make_member,
                                                        django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from journeys import services

    client = login(world.survey.admin)
    page = url("detail", world, pk=world.journey.pk)
    client.get(page)  # the first request stores the organisation in the session
    with CaptureQueriesContext(connection) as three:
        client.get(page)
    stage = world.journey.stages.order_by("position").first()
    for i in range(8):  # more touchpoints must not mean more queries
        services.touchpoint_add(stage=stage, name=f"Extra {i}", themes=["bereikbaarheid"])
    with django_assert_max_num_queries(len(three)):
        response = client.get(page)
    assert response.content.decode().count('data-testid="touchpoint"') == 11
    assert len(three) <= 20  # login, membership and session included


def test_employee_sees_the_figures_but_not_the_quotes(world, login):
    employee = world.survey.employee
    response = login(employee).get(url("detail", world, pk=world.journey.pk))
    html = response.content.decode()
    assert response.status_code == 200 and "Schade melden per telefoon" in html
    assert "Een half uur in de wacht" not in html and "Ik kwam er telefonisch" not in html
    assert "Add stage" not in html and "Toevoegen" not in html


@pytest.mark.parametrize("role,allowed", [(Role.ADMIN, True), (Role.CONSULTANT, True),
                                          (Role.MANAGER, True), (Role.BOARD, False),
                                          (Role.EMPLOYEE, False)])
def test_only_editors_change_the_map(world, login, make_member, role, allowed):
    client = login(make_member(world.org, role))
    response = client.post(url("stage_add", world, pk=world.journey.pk), {"name": "Herstel"})
    assert response.status_code == (302 if allowed else 403)
    assert Stage.objects.filter(journey=world.journey, name="Herstel").exists() is allowed


def test_editor_builds_a_journey_with_stages_and_touchpoints(world, login):
    client = login(world.survey.manager)
    response = client.post(url("create", world), {"name": "Verhuizen", "stages": "Melden\nRegelen\n"})
    journey = Journey.objects.get(organisation=world.org, name="Verhuizen")
    assert response.status_code == 302
    melden, regelen = journey.stages.order_by("position")
    assert (melden.name, regelen.name) == ("Melden", "Regelen")
    client.post(url("touchpoint_add", world, pk=melden.pk), {"name": "Adres doorgeven", "channel": "web"})
    client.post(url("touchpoint_add", world, pk=melden.pk), {"name": "Bevestiging", "channel": "email"})
    first, second = melden.touchpoints.order_by("position")
    client.post(url("touchpoint_move", world, pk=second.pk), {"direction": "-1"})
    assert list(melden.touchpoints.order_by("position").values_list("name", flat=True)) == [
        "Bevestiging", "Adres doorgeven"]
    client.post(url("stage_move", world, pk=regelen.pk), {"direction": "-1"})
    client.post(url("stage_rename", world, pk=melden.pk), {"name": "Doorgeven"})
    assert list(journey.stages.order_by("position").values_list("name", flat=True)) == [
        "Regelen", "Doorgeven"]
    response = client.post(url("touchpoint_update", world, pk=first.pk), {
        "name": "Adres online doorgeven", "description": "Via Mijn Zekerheid", "stage": regelen.pk,
        "channel": "web", "unit": world.survey.groningen.pk, "moment_of_truth": "on",
        "themes": ["digitale_kanalen", "duidelijkheid"]})
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.stage, first.unit, first.moment_of_truth, first.themes) == (
        regelen, world.survey.groningen, True, ["digitale_kanalen", "duidelijkheid"])
    client.post(url("stage_delete", world, pk=melden.pk))
    assert list(journey.stages.values_list("name", flat=True)) == ["Regelen"]
    assert not Touchpoint.objects.filter(pk=second.pk).exists()
    assert journey.stages.get().position == 0


def test_touchpoint_edit_refuses_a_unit_of_another_organisation(world, login, other_org):
    client = login(world.survey.admin)
    foreign = other_org.units.get(depth=1)
    response = client.post(url("touchpoint_update", world, pk=world.call.pk), {
        "name": "X", "stage": world.call.stage_id, "channel": "phone", "unit": foreign.pk})
    assert response.status_code == 200  # the form again, with the error
    world.call.refresh_from_db()
    assert world.call.name == "Schade melden per telefoon"


def test_pain_point_becomes_an_improvement_point_in_one_step(world, login):
    client = login(world.survey.manager)
    response = client.post(url("touchpoint_point", world, pk=world.call.pk),
                           {"title": "Schadelijn sneller bereikbaar", "priority": "3",
                            "wave": world.survey.wave.pk})
    assert response.status_code == 302
    point = ImprovementPoint.objects.get(organisation=world.org, title="Schadelijn sneller bereikbaar")
    assert point.unit == world.survey.noord and point.priority == 3
    evidence = list(Evidence.objects.filter(point=point))
    quotes = {e.quote for e in evidence}
    assert quotes == {"Ik kwam er telefonisch niet doorheen, eindeloos keuzemenu.",
                      "Een half uur in de wacht bij de schadelijn.",
                      "Het keuzemenu aan de telefoon is te lang.",
                      "Niemand belde terug na de melding."}
    assert all(e.source == world.call for e in evidence)
    anja, piet, _zara = world.survey.contacts
    assert set(Contribution.objects.filter(point=point).values_list("contact", "kind")) == {
        (anja.pk, ContributionKind.ARENA), (piet.pk, ContributionKind.SAFARI)}
    page = client.get(url("touchpoint", world, pk=world.call.pk)).content.decode()
    assert point.reference in page


def test_employee_cannot_raise_a_point_from_a_touchpoint(world, login):
    response = login(world.survey.employee).post(url("touchpoint_point", world, pk=world.call.pk),
                                                 {"title": "Iets", "priority": "2"})
    assert response.status_code == 403
    assert not ImprovementPoint.objects.filter(organisation=world.org, title="Iets").exists()


def test_another_organisations_touchpoint_is_not_found(world, login, other_org, make_member):
    stranger = make_member(other_org, Role.ADMIN)
    client = login(stranger)
    for name in ("touchpoint", "touchpoint_update"):
        assert client.get(reverse(f"journeys:{name}", kwargs={
            "org": other_org.slug, "pk": world.call.pk})).status_code == 404
    assert client.post(reverse("journeys:stage_delete", kwargs={
        "org": other_org.slug, "pk": world.call.stage_id})).status_code == 404
    assert Stage.objects.filter(pk=world.call.stage_id).exists()


def test_pdf_export_holds_the_journey_and_its_figures(world, login):
    from pypdf import PdfReader

    response = login(world.survey.admin).get(
        url("export_pdf", world, pk=world.journey.pk))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(" ".join(page.extract_text().split())
                    for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ("Autoschade", "Schade melden per telefoon", "Expertise", "2 · 2 · 1", "80%", "-60"):
        assert expected in text
    assert "Ik kwam er telefonisch" not in text  # figures only, no quotes


def test_png_export_is_an_image_of_the_map(world, login):
    from PIL import Image

    response = login(world.survey.employee).get(url("export_png", world, pk=world.journey.pk))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.mode == "RGB"
    assert image.width >= 900 and image.height > 600
    # The negative touchpoint's dot is drawn in the "bad" red somewhere on the curve.
    assert (0xB4, 0x23, 0x18) in {colour for _n, colour in image.getcolors(1 << 20)}


def test_journey_list_counts_stages_and_touchpoints(world, login):
    html = login(world.survey.employee).get(url("list", world)).content.decode()
    assert "Autoschade" in html and "New customer journey" not in html


def test_emotion_curve_numbers_stay_machine_readable_in_dutch(world, login, settings):
    import re

    client = login(world.survey.admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    html = client.get(url("detail", world, pk=world.journey.pk)).content.decode()
    svg = html[html.index("<svg viewBox"):html.index("</svg>", html.index("<svg viewBox"))]
    coordinates = re.findall(r'\b(?:x|y|cx|cy|x1|x2|y1|y2|width|height)="([^"]*)"', svg)
    assert coordinates and all(re.fullmatch(r"-?\d+(\.\d+)?", value) for value in coordinates)
    assert re.search(r'd="M \d+\.\d \d+\.\d"', svg)  # one point per run: no "L"
    assert 'lang="nl"' in html
