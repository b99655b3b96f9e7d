import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import Role
from improvements.models import ImprovementPoint
from safari import services
from safari.models import Visit, VisitPhoto, VisitStatus
from safari.tests.conftest import make_customer

pytestmark = pytest.mark.django_db


def url(name, world, **kwargs):
    return reverse(f"safari:{name}", kwargs={"org": world.org.slug, **kwargs})


def test_planner_creates_a_round_and_assigns_a_suggestion_in_one_click(client, login, world):
    login(world.planner)
    response = client.post(url("round_create", world), {
        "name": "Klantsafari Q1", "starts_on": "2027-01-01", "ends_on": "2027-03-31", "visits_per_visitor": 3,
        "visitors": [world.planner.pk, world.manager.pk]})
    assert response.status_code == 302
    safari_round = world.org.safari_rounds.get(name="Klantsafari Q1")
    page = client.get(url("round", world, pk=safari_round.pk) + f"?visitor={world.manager.pk}")
    assert page.status_code == 200
    assert world.detractor in [s.customer for s in page.context["suggestions"]]
    assert "Gaf een 3 in Meting najaar" in page.content.decode()
    response = client.post(url("visit_assign", world, pk=safari_round.pk), {
        "visitor": world.manager.pk, "customer": world.detractor.pk, "reason": "detractor"})
    assert response.status_code == 302
    visit = Visit.objects.get(round=safari_round)
    assert (visit.visitor, visit.customer, visit.reason) == (world.manager, world.detractor, "detractor")
    # A double click does not assign the customer twice.
    client.post(url("visit_assign", world, pk=safari_round.pk), {
        "visitor": world.planner.pk, "customer": world.detractor.pk})
    assert Visit.objects.filter(round=safari_round).count() == 1
    page = client.get(url("round", world, pk=safari_round.pk))
    assert "0 van 3" in page.content.decode()


def test_search_finds_customers_not_yet_in_the_round(client, login, world, safari_round, visit):
    login(world.planner)
    page = client.get(url("round", world, pk=safari_round.pk) + "?q=transport")
    assert list(page.context["results"]) == [world.big]
    page = client.get(url("round", world, pk=safari_round.pk) + "?q=bakkerij")
    assert list(page.context["results"]) == []


def test_manager_files_a_report_with_photo_and_turns_advice_into_a_point(client, login, world, visit):
    login(world.manager)
    assert client.get(url("my_visits", world)).context["planned"] == [visit]
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(out, "PNG")
    response = client.post(url("visit_report", world, pk=visit.pk), {
        "went_well": "Vriendelijk", "went_wrong": "Lang wachten", "advice": "Bel terug binnen een dag",
        "quotes": "Ik hing een half uur in de wacht.", "touchpoints": [world.touchpoints[0].pk],
        "photo": SimpleUploadedFile("f.png", out.getvalue(), content_type="image/png")})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DONE and list(visit.touchpoints.all()) == [world.touchpoints[0]]
    assert VisitPhoto.objects.filter(visit=visit).exists()
    photo = client.get(url("visit_photo", world, pk=visit.pk))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    for _ in range(2):  # double submit
        client.post(url("advice_point", world, pk=visit.pk), {"advice": "Bel terug binnen een dag",
                                                              "title": "Terugbellen binnen een dag"})
    point = ImprovementPoint.objects.get(organisation=world.org)
    assert point.title == "Terugbellen binnen een dag"
    page = client.get(url("visit", world, pk=visit.pk)).content.decode()
    assert point.reference in page and "Ik hing een half uur in de wacht." in page


def test_a_bad_photo_is_refused_in_the_form(client, login, world, visit):
    login(world.manager)
    response = client.post(url("visit_report", world, pk=visit.pk), {
        "went_well": "Goed",
        "photo": SimpleUploadedFile("f.jpg", b"GIF89a not really", content_type="image/jpeg")})
    assert response.status_code == 400
    assert "geen foto" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED


def test_another_staff_member_may_not_file_or_see_someone_elses_visit(client, login, world, visit,
                                                                     make_member):
    login(world.employee)
    assert client.get(url("visit", world, pk=visit.pk)).status_code == 403
    assert client.post(url("visit_report", world, pk=visit.pk), {"went_well": "x"}).status_code == 403
    other_manager = make_member(world.org, Role.MANAGER)
    login(other_manager)
    assert client.get(url("visit", world, pk=visit.pk)).status_code == 200  # may view safaris
    assert client.get(url("visit_report", world, pk=visit.pk)).status_code == 403
    assert client.post(url("visit_report", world, pk=visit.pk), {"went_well": "x"}).status_code == 403
    visit.refresh_from_db()
    assert visit.went_well == ""


def test_an_employee_who_is_a_visitor_sees_and_reports_their_own_visit(client, login, world, safari_round):
    services.round_update(safari_round=safari_round, actor=world.planner, name=safari_round.name,
                          starts_on=safari_round.starts_on, ends_on=safari_round.ends_on,
                          visits_per_visitor=3, visitors=[world.manager, world.employee])
    visit = services.visit_assign(safari_round=safari_round, actor=world.planner, visitor=world.employee,
                                  customer=world.quiet)
    login(world.employee)
    assert client.get(url("round_list", world)).status_code == 403
    assert [v.pk for v in client.get(url("my_visits", world)).context["planned"]] == [visit.pk]
    assert client.get(url("visit", world, pk=visit.pk)).status_code == 200
    response = client.post(url("visit_report", world, pk=visit.pk), {"went_well": "Fijn gesprek"})
    assert response.status_code == 302


def test_pages_are_scoped_to_the_organisation(client, login, world, visit, other_org, make_member):
    outsider = make_member(other_org, Role.ADMIN)
    login(outsider)
    for name in ("visit", "visit_report", "visit_photo"):
        response = client.get(reverse(f"safari:{name}", kwargs={"org": other_org.slug, "pk": visit.pk}))
        assert response.status_code == 404
    assert client.get(reverse("safari:round", kwargs={"org": other_org.slug,
                                                      "pk": visit.round_id})).status_code == 404
    assert client.get(url("round_list", world)).status_code == 404
    make_customer(other_org, "Rivaal Klant", segment="Grootzakelijk")
    login(world.planner)
    page = client.get(url("round", world, pk=visit.round_id) + "?q=rivaal")
    assert list(page.context["results"]) == []


def test_lessons_page_filters_by_round(client, login, world, reported, safari_round):
    login(world.manager)
    page = client.get(url("lessons", world) + f"?round={safari_round.pk}")
    assert page.status_code == 200 and page.context["lessons"].visits == 1
    assert "Ik moest zes keer kiezen." in page.content.decode()
    empty = services.round_create(organisation=world.org, actor=world.planner, name="Leeg",
                                  starts_on=safari_round.starts_on, ends_on=safari_round.ends_on)
    assert client.get(url("lessons", world) + f"?round={empty.pk}").context["lessons"].visits == 0


def test_round_and_lessons_pages_do_not_query_per_visit(client, login, world, safari_round, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(world.planner)

    def queries(path):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    def add_reported_visit(name):
        customer = make_customer(org, name, unit=world.unit)
        visit = services.visit_assign(safari_round=safari_round, actor=world.planner, visitor=world.manager,
                                      customer=customer)
        services.visit_report(visit=visit, actor=world.manager, went_well="Goed", went_wrong="Traag",
                              advice="Sneller", quotes="Prima")
        services.advice_to_point(visit=visit, actor=world.manager, advice="Sneller")

    round_page = url("round", world, pk=safari_round.pk) + f"?visitor={world.manager.pk}"
    lessons_page = url("lessons", world)
    add_reported_visit("Eerste Klant")
    client.get(lessons_page)  # the first page of the organisation writes it into the session
    before = queries(round_page), queries(lessons_page)
    for n in range(4):
        add_reported_visit(f"Klant {n}")
        make_customer(org, f"Stille Klant {n}", unit=world.unit)  # more suggestions too
    assert (queries(round_page), queries(lessons_page)) == before


def test_round_form_folds_employees_away_unless_one_is_chosen(client, login, world, safari_round):
    login(world.planner)
    page = client.get(url("round_update", world, pk=safari_round.pk)).content.decode()
    assert '<details class="more-visitors">' in page and "Eva Medewerker" in page
    services.round_update(safari_round=safari_round, actor=world.planner, name=safari_round.name,
                          starts_on=safari_round.starts_on, ends_on=safari_round.ends_on,
                          visits_per_visitor=3, visitors=[world.manager, world.employee])
    page = client.get(url("round_update", world, pk=safari_round.pk)).content.decode()
    assert '<details class="more-visitors" open>' in page
