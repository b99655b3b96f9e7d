import datetime
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import Role
from improvements.models import Evidence, ImprovementPoint
from portal.models import Contribution, ContributionKind
from safari import selectors, services
from safari.models import AdvicePoint, Visit, VisitPhoto, VisitReason, VisitStatus
from safari.tests.conftest import make_customer

pytestmark = pytest.mark.django_db


def _jpeg(size=(800, 600), fmt="JPEG") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return SimpleUploadedFile("foto.jpg", out.getvalue(), content_type="image/jpeg")


def test_suggestions_give_detractors_large_accounts_and_quiet_customers_with_why(world, safari_round):
    suggestions = {s.customer: s for s in selectors.suggestions_for(safari_round, world.manager)}
    assert suggestions[world.detractor].reason == VisitReason.DETRACTOR
    assert "Scored 3 in Meting najaar" in suggestions[world.detractor].why
    assert suggestions[world.big].reason == VisitReason.LARGE_ACCOUNT
    assert "Segment Grootzakelijk" in suggestions[world.big].why[0]
    assert suggestions[world.quiet].reason == VisitReason.NOT_HEARD
    assert world.promoter not in suggestions  # answered lately, a promoter, not large


def test_suggestions_leave_out_customers_already_in_the_round(world, safari_round, visit):
    customers = {s.customer for s in selectors.suggestions_for(safari_round, world.planner)}
    assert world.detractor not in customers and world.big in customers


def test_a_customer_visited_in_the_last_year_is_no_longer_quiet(world, safari_round, make_org, make_member):
    other = services.round_create(organisation=world.org, actor=world.planner, name="Vorige ronde",
                                  starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 3, 31),
                                  visitors=[world.manager])
    services.visit_assign(safari_round=other, actor=world.planner, visitor=world.manager,
                          customer=world.quiet,
                          planned_at=timezone.now() - datetime.timedelta(days=30))
    reasons = {s.customer: s.reason for s in selectors.suggestions_for(safari_round, world.manager)}
    assert world.quiet not in reasons


def test_suggestions_for_a_unit_manager_stay_in_their_unit(world, safari_round, org):
    elsewhere = make_customer(org, "Ander Bedrijf", segment="Grootzakelijk")
    assert elsewhere not in {s.customer for s in selectors.suggestions_for(safari_round, world.manager)}
    assert elsewhere in {s.customer for s in selectors.suggestions_for(safari_round, world.planner)}


def test_assign_takes_the_primary_contact_and_refuses_a_customer_twice(world, safari_round, visit):
    assert visit.contact == world.detractor.contacts.get(is_primary=True)
    with pytest.raises(ValueError, match="already visited in this round"):
        services.visit_assign(safari_round=safari_round, actor=world.planner, visitor=world.planner,
                              customer=world.detractor)
    services.visit_cancel(visit=visit, actor=world.planner)
    again = services.visit_assign(safari_round=safari_round, actor=world.planner, visitor=world.planner,
                                  customer=world.detractor)
    assert again.status == VisitStatus.PLANNED


def test_assign_refuses_non_planners_outsiders_and_strangers(world, safari_round, other_org, make_member):
    with pytest.raises(PermissionDenied):
        services.visit_assign(safari_round=safari_round, actor=world.manager, visitor=world.manager,
                              customer=world.big)
    with pytest.raises(ValueError, match="not one of this round's visitors"):
        services.visit_assign(safari_round=safari_round, actor=world.planner, visitor=world.employee,
                              customer=world.big)
    stranger = make_customer(other_org, "Vreemd BV")
    with pytest.raises(ValueError, match="another organisation"):
        services.visit_assign(safari_round=safari_round, actor=world.planner, visitor=world.manager,
                              customer=stranger)
    with pytest.raises(ValueError, match="contact person"):
        services.visit_assign(safari_round=safari_round, actor=world.planner, visitor=world.manager,
                              customer=world.big, contact=world.detractor.contacts.first())
    assert not Visit.objects.filter(customer=world.big).exists()


def test_progress_counts_reported_visits_of_each_visitor(world, safari_round, reported):
    progress = {p.visitor: p for p in selectors.round_progress(safari_round)}
    assert (progress[world.manager].done, progress[world.manager].assigned, progress[world.manager].target) \
        == (1, 1, 3)
    assert (progress[world.planner].done, progress[world.planner].assigned) == (0, 0)


def test_only_the_visitor_or_a_planner_may_file_the_report(world, visit, make_member):
    other_manager = make_member(world.org, Role.MANAGER)
    with pytest.raises(PermissionDenied):
        services.visit_report(visit=visit, actor=other_manager, went_well="x", went_wrong="", advice="",
                              quotes="")
    with pytest.raises(PermissionDenied):
        services.visit_report(visit=visit, actor=world.employee, went_well="x", went_wrong="", advice="",
                              quotes="")
    services.visit_report(visit=visit, actor=world.planner, went_well="Namens Mark", went_wrong="",
                          advice="", quotes="")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DONE and visit.went_well == "Namens Mark"


def test_report_refuses_an_empty_report_and_another_organisations_touchpoint(world, visit, other_org):
    from journeys.models import Journey, Stage, Touchpoint

    with pytest.raises(ValueError, match="at least"):
        services.visit_report(visit=visit, actor=world.manager, went_well=" ", went_wrong="", advice="",
                              quotes="")
    stage = Stage.objects.create(journey=Journey.objects.create(organisation=other_org, name="J"), name="S")
    foreign = Touchpoint.objects.create(organisation=other_org, stage=stage, name="Elders")
    with pytest.raises(ValueError, match="another organisation"):
        services.visit_report(visit=visit, actor=world.manager, went_well="Goed", went_wrong="", advice="",
                              quotes="", touchpoints=[foreign])
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED


def test_photo_is_checked_by_content_and_reencoded(world, visit):
    services.visit_report(visit=visit, actor=world.manager, went_well="Goed", went_wrong="", advice="",
                          quotes="", photo=_jpeg((3000, 2000), "PNG"))
    photo = VisitPhoto.objects.get(visit=visit)
    assert (photo.width, photo.height) == (1600, 1067)
    assert bytes(photo.data)[:3] == b"\xff\xd8\xff"
    fake = SimpleUploadedFile("foto.jpg", b"<html><script>alert(1)</script></html>",
                              content_type="image/jpeg")
    with pytest.raises(ValueError, match="not a photo"):
        services.visit_report(visit=visit, actor=world.manager, went_well="Goed", went_wrong="", advice="",
                              quotes="", photo=fake)
    huge = _jpeg()
    huge.size = services.PHOTO_MAX_BYTES + 1
    with pytest.raises(ValueError, match="too large"):
        services.visit_report(visit=visit, actor=world.manager, went_well="Goed", went_wrong="", advice="",
                              quotes="", photo=huge)


def test_advice_becomes_a_point_once_with_the_visit_and_quotes_as_evidence(world, reported):
    advice = reported.advice_lines()[0]
    point = services.advice_to_point(visit=reported, actor=world.manager, advice=advice)
    again = services.advice_to_point(visit=reported, actor=world.manager, advice="  " + advice.upper() + " ")
    assert again == point
    assert ImprovementPoint.objects.filter(organisation=world.org).count() == 1
    assert point.unit == world.detractor.unit and point.title == advice
    evidence = Evidence.objects.filter(point=point)
    assert {e.quote for e in evidence} == {advice, "Ik moest zes keer kiezen.", "De garage was top."}
    visit_type = ContentType.objects.get_for_model(Visit)
    assert all(e.content_type == visit_type and e.object_id == reported.pk for e in evidence)
    contribution = Contribution.objects.get(point=point)
    assert contribution.contact == reported.contact and contribution.kind == ContributionKind.SAFARI
    assert contribution.label.endswith(", 12 november 2026")  # the date in Dutch, for the customer
    # The second advice makes its own point.
    second = services.advice_to_point(visit=reported, actor=world.manager, advice=reported.advice_lines()[1])
    assert second != point and AdvicePoint.objects.filter(visit=reported).count() == 2


def test_advice_not_in_the_report_or_by_someone_else_is_refused(world, reported, make_member):
    with pytest.raises(ValueError, match="not in the visit's report"):
        services.advice_to_point(visit=reported, actor=world.manager, advice="Iets anders")
    with pytest.raises(PermissionDenied):
        services.advice_to_point(visit=reported, actor=world.employee, advice=reported.advice_lines()[0])
    assert not ImprovementPoint.objects.exists()


def test_lessons_group_per_theme_and_unit(world, reported, safari_round):
    from improvements.services import theme_get_or_create

    theme = theme_get_or_create(organisation=world.org, name="Bereikbaarheid")
    reported.themes.set([theme])
    services.advice_to_point(visit=reported, actor=world.manager, advice=reported.advice_lines()[0])
    lessons = selectors.lessons(world.org, safari_round=safari_round)
    assert lessons.visits == 1 and lessons.points == 1
    [by_theme] = lessons.by_theme
    assert by_theme.label == "Bereikbaarheid" and by_theme.visits == 1
    assert [q for _v, q in by_theme.quotes] == ["Ik moest zes keer kiezen.", "De garage was top."]
    [by_unit] = lessons.by_unit
    assert by_unit.label == "Particulier" and len(by_unit.points) == 1
    other = services.round_create(organisation=world.org, actor=world.planner, name="Leeg",
                                  starts_on=datetime.date(2027, 1, 1), ends_on=datetime.date(2027, 3, 31))
    assert selectors.lessons(world.org, safari_round=other).visits == 0


def test_a_visitor_with_visits_stays_in_the_round_and_only_planners_cancel(world, safari_round, visit):
    with pytest.raises(ValueError, match="cannot be taken out"):
        services.round_update(safari_round=safari_round, actor=world.planner, name="Q4",
                              starts_on=safari_round.starts_on, ends_on=safari_round.ends_on,
                              visits_per_visitor=3, visitors=[world.planner])
    with pytest.raises(PermissionDenied):
        services.visit_cancel(visit=visit, actor=world.manager)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED and safari_round.visitors.filter(pk=world.manager.pk).exists()


def test_the_visitor_moves_their_own_visit(world, visit):
    when = timezone.make_aware(datetime.datetime(2026, 11, 20, 14, 0))
    services.visit_plan(visit=visit, actor=world.manager, planned_at=when, place="Op de zaak",
                        contact=world.detractor.contacts.first(), duration_minutes=60)
    visit.refresh_from_db()
    assert (visit.planned_at, visit.place, visit.ends_at) == (when, "Op de zaak",
                                                             when + datetime.timedelta(hours=1))
    with pytest.raises(PermissionDenied):
        services.visit_plan(visit=visit, actor=world.employee, planned_at=None, place="", contact=None)
