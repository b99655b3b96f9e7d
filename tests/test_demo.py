"""The demo organisation and the demo, demo_logins and roles_matrix commands.

One demo is built for the whole module (committed, removed at the end); tests that
change it run inside their own transaction, which is rolled back, so the module
builds the demo three times in all.
"""

import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count, F, Q
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils import translation

from accounts.models import Membership, Organisation, Role, User
from accounts.permissions import MATRIX
from improvements.models import (
    Action,
    ActionStatus,
    Evidence,
    ImprovementPoint,
    PointStatus,
    Route,
)
from org.models import Contact, Customer, CustomerKind, Level, Unit, UnitKind
from outsidein.demo import (
    COMPLAINT,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DEMO_URL,
    PRAISE,
    demo_build,
    demo_delete,
)
from research.models import (
    FollowUp,
    FollowUpReason,
    FollowUpStatus,
    Invitation,
    QuestionKind,
    Response,
    ResponseStatus,
    Wave,
    WaveStatus,
)

pytestmark = pytest.mark.django_db

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
            summary = demo_build()
        try:
            yield summary
        finally:
            demo_delete()


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list]:
    """Everything a person would recognise the demo by, in a stable order."""
    orgs = ("demo", "woonstede")
    return {
        "units": sorted(Unit.objects.filter(organisation__slug__in=orgs)
                        .values_list("organisation__slug", "code", "name", "depth")),
        "people": sorted(Membership.objects.filter(organisation__slug__in=orgs)
                         .values_list("organisation__slug", "user__email", "user__name",
                                      "role", "unit__code", "job_title")),
        "customers": sorted(Customer.objects.filter(organisation__slug__in=orgs)
                            .values_list("customer_number", "name", "segment", "unit__code",
                                         "account_owner__user__email")),
        "contacts": sorted(Contact.objects.filter(customer__organisation__slug__in=orgs)
                           .values_list("customer__customer_number", "name", "email")),
        "points": sorted(ImprovementPoint.objects.filter(organisation__slug__in=orgs)
                         .values_list("organisation__slug", "number", "title", "status")),
        "actions": sorted(Action.objects.filter(point__organisation__slug__in=orgs)
                          .values_list("title", "status", "owner__user__email")),
        "responses": sorted(Response.objects.filter(organisation__slug__in=orgs)
                            .values_list("wave__name", "external_id", "contact__email",
                                         "customer__customer_number", "unit__code", "nps",
                                         "comment", "improvement", "submitted_at")),
        "follow_ups": sorted(FollowUp.objects.filter(organisation__slug__in=orgs)
                             .values_list("response__external_id", "owner__user__email",
                                          "reason", "status", "outcome")),
    }


def test_demo_builds_an_insurer_with_three_levels_of_units(demo):
    organisation = Organisation.objects.get(slug="demo")
    units = Unit.objects.filter(organisation=organisation)
    root = units.get(depth=1)
    tactical = units.filter(depth=2)

    assert organisation.name == root.name == "Zekerheid Verzekeringen"
    assert (root.level, root.kind) == (Level.STRATEGIC, UnitKind.ORGANISATION)
    assert dict(tactical.values_list("name", "kind")) == {
        "Particulier": UnitKind.BUSINESS_UNIT, "Zakelijk": UnitKind.BUSINESS_UNIT,
        "Schade": UnitKind.BUSINESS_UNIT, "Noord": UnitKind.REGION,
        "Midden": UnitKind.REGION, "Zuid": UnitKind.REGION,
    }
    assert set(tactical.values_list("level", flat=True)) == {Level.TACTICAL}
    teams = units.filter(kind=UnitKind.TEAM)
    assert 20 <= teams.count() <= 30 and demo.teams == teams.count()
    assert set(teams.values_list("level", flat=True)) == {Level.OPERATIONAL}
    assert set(teams.values_list("depth", flat=True)) == {3}
    assert units.filter(code="").count() == 0
    assert demo.units == units.count()
    for parent in tactical:
        assert units.filter(path__startswith=parent.path, depth=3).count() >= 3, parent.name


def test_demo_staffs_every_team_and_every_role(demo):
    members = Membership.objects.filter(organisation__slug="demo")
    employees = members.filter(role=Role.EMPLOYEE)

    assert 140 <= employees.count() <= 160
    assert employees.filter(unit__kind=UnitKind.TEAM).count() == employees.count()
    assert not Unit.objects.filter(organisation__slug="demo", kind=UnitKind.TEAM,
                                   members__isnull=True).exists()
    assert members.filter(role=Role.MANAGER, unit__level=Level.TACTICAL).count() == 6
    assert members.filter(role=Role.MANAGER, unit__kind=UnitKind.TEAM).exists()
    assert members.filter(role=Role.BOARD).exclude(unit__depth=1).count() == 0
    assert members.filter(role=Role.BOARD).count() >= 3
    assert members.filter(role=Role.ADMIN).count() == 1
    assert members.filter(role=Role.CONSULTANT).count() == 1
    assert members.filter(role=Role.MODERATOR).count() == 1
    assert demo.people == members.count()
    emails = list(members.values_list("user__email", flat=True))
    assert all(email.endswith(".example") for email in emails)
    manager = members.get(user__email="manager@demo.outsidein.example")
    employee = members.get(user__email="medewerker@demo.outsidein.example")
    assert manager.unit.name == "Particulier"
    assert employee.unit.is_descendant_of(manager.unit)


def test_demo_has_three_thousand_customers_each_with_a_primary_contact(demo):
    customers = Customer.objects.filter(organisation__slug="demo")
    companies = customers.filter(kind=CustomerKind.COMPANY)

    assert customers.count() == demo.customers == 3000
    assert customers.filter(kind=CustomerKind.PERSON).exists() and companies.exists()
    assert {"Particulier", "MKB", "Grootzakelijk", "Agrarisch"} <= set(
        customers.values_list("segment", flat=True))
    assert customers.exclude(unit__kind=UnitKind.TEAM).count() == 0
    assert customers.filter(customer_number__regex=r"^K-1\d{5}$").count() == 3000
    # A company's account owner works in the team that owns the customer.
    assert companies.filter(account_owner__isnull=True).count() == 0
    assert companies.exclude(account_owner__unit=F("unit")).count() == 0
    contacts = Contact.objects.filter(customer__organisation__slug="demo", is_primary=True)
    assert contacts.count() == 3000
    assert contacts.values("customer").distinct().count() == 3000
    domains = {email.rsplit("@", 1)[1] for email in contacts.values_list("email", flat=True)}
    assert all(d.endswith(".example") or d in {"example.com", "example.net", "example.org"}
               for d in domains)


def test_demo_has_points_in_every_status_and_actions_in_every_state(demo):
    points = ImprovementPoint.objects.filter(organisation__slug="demo")
    actions = Action.objects.filter(point__organisation__slug="demo")

    assert demo.arena_points == 3  # the finished arena's groups
    from django.contrib.contenttypes.models import ContentType

    from safari.models import Visit

    visit_type = ContentType.objects.get_for_model(Visit)
    safari_points = points.filter(evidence__content_type=visit_type).distinct().count()
    assert safari_points == 1  # the advice of one reported safari visit
    assert points.count() == demo.points == 12 + demo.arena_points + safari_points
    assert set(points.values_list("status", flat=True)) == set(PointStatus.values)
    assert set(actions.values_list("status", flat=True)) == set(ActionStatus.values)
    assert actions.count() == demo.actions
    assert actions.overdue().exists()
    assert points.filter(theme__isnull=True).count() == 0
    assert Evidence.objects.filter(point__in=points).exclude(quote="").values(
        "point").distinct().count() == 12 + demo.arena_points + safari_points
    for email in ("medewerker@demo.outsidein.example", "manager@demo.outsidein.example"):
        assert actions.filter(owner__user__email=email).count() >= 2, email
    assert actions.overdue().filter(owner__user__email="medewerker@demo.outsidein.example")


def test_demo_has_the_improvement_route_2027(demo):
    route = Route.objects.get(organisation__slug="demo", name="Verbeterroute 2027")

    assert 4 <= route.points.count() <= 5
    assert route.target and len(route.vision) > 200


@pytest.mark.parametrize("login", DEMO_LOGINS, ids=lambda login: login.email.split("@")[0])
def test_each_demo_login_authenticates_with_the_demo_password(demo, login):
    request = RequestFactory().post("/")

    user = authenticate(request, username=login.email, password=DEMO_PASSWORD)

    assert user is not None and user.email == login.email
    assert user.memberships.get(organisation__slug="demo").role == login.role


def test_plain_demo_employees_have_no_usable_password(demo):
    members = Membership.objects.filter(organisation__slug="demo").select_related("user")
    login_emails = {login.email for login in DEMO_LOGINS}

    usable = {m.user.email for m in members if m.user.has_usable_password()}

    assert usable == login_emails


def test_consultant_belongs_to_the_demo_and_a_second_organisation(demo):
    consultant = User.objects.get(email="consultant@demo.outsidein.example")
    memberships = consultant.memberships.select_related("organisation")

    assert {(m.organisation.slug, m.role) for m in memberships} == {
        ("demo", Role.CONSULTANT), ("woonstede", Role.CONSULTANT)}
    second = Organisation.objects.get(slug="woonstede")
    assert second.units.count() >= 3 and second.memberships.count() >= 3
    assert second.customers.exists() and second.improvement_points.exists()


def test_rebuilding_the_demo_gives_the_same_data_and_duplicates_nothing(demo):
    before, users_before = snapshot(), User.objects.count()

    summary = demo_build()

    assert summary == demo
    assert User.objects.count() == users_before
    assert Organisation.objects.filter(slug__in=["demo", "woonstede"]).count() == 2
    after = snapshot()
    for key in before:
        assert after[key] == before[key], key


def test_demo_command_with_if_empty_builds_on_an_empty_database(demo):
    before = snapshot()
    demo_delete()
    assert not Organisation.objects.exists()

    output = run("demo", "--if-empty")

    assert snapshot() == before
    assert "3,000" in output and DEMO_URL in output


def test_demo_command_with_if_empty_does_nothing_when_an_organisation_exists(demo, make_org):
    demo_delete()
    make_org(slug="klant", name="Bestaande Klant BV")

    output = run("demo", "--if-empty")

    assert list(Organisation.objects.values_list("slug", flat=True)) == ["klant"]
    assert not User.objects.filter(email__endswith="@demo.outsidein.example").exists()
    assert "not built" in output


def test_demo_logins_lists_every_login_with_its_role_and_password(demo):
    output = run("demo_logins")

    assert DEMO_URL in output
    for login in DEMO_LOGINS:
        line = next(line for line in output.splitlines() if line.startswith(login.email))
        with translation.override("en"):
            assert str(Role(login.role).label) in line
        assert DEMO_PASSWORD in line


def test_demo_admin_and_consultant_log_in_with_the_printed_demo_code(demo, client):
    output = run("demo_logins")
    code = re.search(r"code of this moment: (\d{6})", output).group(1)
    assert re.search(r"^  [A-Z2-7]{4}( [A-Z2-7]{4})+$", output, re.MULTILINE)
    for login in DEMO_LOGINS:
        if login.role not in (Role.ADMIN, Role.CONSULTANT):
            continue
        client.logout()
        response = client.post(reverse("accounts:login"),
                               {"username": login.email, "password": DEMO_PASSWORD})
        assert response.url == reverse("accounts:login_code")
        response = client.post(reverse("accounts:login_code"), {"code": code})
        assert response.status_code == 302 and response.url == reverse("home"), login.email


def test_roles_matrix_prints_a_row_per_capability_with_a_column_per_role():
    output = run("roles_matrix")
    rows = [[cell.strip() for cell in line.strip("|").split("|")]
            for line in output.splitlines() if line.startswith("|")]
    header, separator, body = rows[0], rows[1], rows[2:]

    with translation.override("en"):
        assert header == ["Capability", *(str(role.label) for role in Role)]
        assert set("".join(separator)) == {"-"}
        assert len(body) == len(MATRIX)
        for row, (label, allowed) in zip(body, MATRIX.values(), strict=True):
            assert row[0] == str(label)
            assert row[1:] == ["✓" if role in allowed else "" for role in Role]


# --- Research: two waves of customer research ---------------------------------------------

SPRING, AUTUMN = "Klantonderzoek voorjaar 2026", "Klantonderzoek najaar 2026"


def nps_of(responses) -> float:
    """NPS (% promoters minus % detractors) of the responses with a score, in one query."""
    counts = responses.filter(nps__isnull=False).aggregate(
        n=Count("pk"), promoters=Count("pk", filter=Q(nps__gte=9)),
        detractors=Count("pk", filter=Q(nps__lte=6)))
    return 100 * (counts["promoters"] - counts["detractors"]) / counts["n"]


def mean_score(responses, key: str) -> float:
    values = [s[key] for s in responses.values_list("scores", flat=True) if key in s]
    return sum(values) / len(values)


def test_demo_has_two_closed_waves_of_about_6000_and_6500_responses(demo):
    waves = {w.name: w for w in Wave.objects.filter(organisation__slug="demo")}

    assert set(waves) == {SPRING, AUTUMN}
    assert {w.status for w in waves.values()} == {WaveStatus.CLOSED}
    spring, autumn = waves[SPRING], waves[AUTUMN]
    assert (spring.period_start.month, spring.period_end.month) == (3, 4)
    assert (autumn.period_start.month, autumn.period_end.month) == (9, 10)
    assert 5700 <= spring.responses.count() <= 6300
    assert 6175 <= autumn.responses.count() <= 6825
    assert demo.waves == 2 and demo.responses == spring.responses.count() + autumn.responses.count()


def test_demo_autumn_wave_copies_the_spring_questionnaire_with_values_and_competitors(demo):
    spring = Wave.objects.get(organisation__slug="demo", name=SPRING)
    autumn = Wave.objects.get(organisation__slug="demo", name=AUTUMN)
    fields = ("key", "kind", "subject", "text_nl")

    assert list(autumn.questions.values_list(*fields)) == list(spring.questions.values_list(*fields))
    subjects = dict(spring.questions.values_list("subject", "kind").exclude(subject=""))
    assert {"Betrokken", "Deskundig", "Betrouwbaar"} <= {
        s for s, kind in subjects.items() if kind == QuestionKind.CORE_VALUE}
    assert {"Centraal Beheer", "Interpolis", "FBTO"} <= {
        s for s, kind in subjects.items() if kind == QuestionKind.COMPETITOR}


def test_demo_responses_belong_to_customers_contacts_and_units(demo):
    responses = Response.objects.filter(organisation__slug="demo")

    assert not responses.filter(Q(customer__isnull=True) | Q(contact__isnull=True)
                                | Q(unit__isnull=True)).exists()
    assert not responses.exclude(contact__customer=F("customer")).exists()
    assert not responses.exclude(unit__organisation__slug="demo").exists()
    # Claims are answered about the Schade team that handled them, not the sales team.
    assert responses.filter(unit__code__startswith="SCH").count() > 1000
    first = responses.first()
    assert set(first.attributes) == {"segment", "product", "kanaal"}
    # A response without a score is kept, and the own survey has unsubmitted answers.
    assert responses.filter(wave__name=SPRING, nps__isnull=True).exists()
    assert responses.filter(wave__name=AUTUMN, status=ResponseStatus.PARTIAL).exists()


def test_demo_nps_is_realistic_and_differs_per_team_and_business_unit(demo):
    for name in (SPRING, AUTUMN):
        responses = Response.objects.filter(wave__organisation__slug="demo", wave__name=name)
        overall = nps_of(responses)
        assert 10 <= overall <= 25, (name, overall)
        business_units = [nps_of(responses.filter(unit__code__startswith=code))
                          for code in ("PAR", "ZAK", "SCH")]
        assert max(business_units) - min(business_units) >= 15, (name, business_units)
    spring = Response.objects.filter(wave__organisation__slug="demo", wave__name=SPRING)
    assert nps_of(spring.filter(unit__code="PAR-KCC")) < overall - 30


def test_demo_driver_scores_go_with_the_recommendation(demo):
    responses = Response.objects.filter(wave__organisation__slug="demo", wave__name=SPRING)

    for key in ("bereikbaarheid", "deskundigheid"):
        promoters = mean_score(responses.filter(nps__gte=9), key)
        detractors = mean_score(responses.filter(nps__lte=6), key)
        assert promoters - detractors >= 1.5, key


def test_demo_second_wave_shows_the_callback_improvement_and_the_experts_delay(demo):
    by_wave = {name: Response.objects.filter(wave__organisation__slug="demo", wave__name=name)
               for name in (SPRING, AUTUMN)}

    kcc = {name: r.filter(unit__code="PAR-KCC") for name, r in by_wave.items()}
    assert nps_of(kcc[AUTUMN]) - nps_of(kcc[SPRING]) >= 30
    assert mean_score(kcc[AUTUMN], "bereikbaarheid") - mean_score(kcc[SPRING], "bereikbaarheid") >= 1.5
    expertise = {name: r.filter(unit__code="SCH-EX-Z") for name, r in by_wave.items()}
    assert nps_of(expertise[SPRING]) - nps_of(expertise[AUTUMN]) >= 15
    assert kcc[AUTUMN].filter(comment__icontains="teruggebeld", nps__gte=9).exists()


def test_demo_comments_are_dutch_and_match_the_score(demo):
    responses = Response.objects.filter(organisation__slug="demo", status=ResponseStatus.SUBMITTED)
    praise = [p for fragments in PRAISE.values() for p in fragments]
    complaints = [c for fragments in COMPLAINT.values() for c in fragments]

    share = responses.exclude(comment="").count() / responses.count()
    assert 0.6 <= share <= 0.9  # some customers leave the open questions blank
    assert responses.exclude(improvement="").count() > 3000
    promoter_comments = list(responses.filter(nps__gte=9).exclude(comment="")
                             .values_list("comment", flat=True))
    detractor_comments = list(responses.filter(nps__lte=6).exclude(comment="")
                              .values_list("comment", flat=True))
    assert not any(c in text for text in promoter_comments for c in complaints)
    assert not any(p in text for text in detractor_comments for p in praise)
    assert sum(any(c in text for c in complaints) for text in detractor_comments) > (
        0.8 * len(detractor_comments))


def test_demo_second_wave_has_invitations_and_follow_ups_for_its_account_owners(demo):
    autumn = Wave.objects.get(organisation__slug="demo", name=AUTUMN)
    follow_ups = FollowUp.objects.filter(organisation__slug="demo")

    assert follow_ups.count() == demo.follow_ups > 500
    assert not follow_ups.exclude(response__wave=autumn).exists()
    assert not follow_ups.filter(reason=FollowUpReason.DETRACTOR, response__nps__gt=6).exists()
    assert not follow_ups.filter(owner__isnull=True).exists()
    assert set(follow_ups.values_list("status", flat=True)) == set(FollowUpStatus.values)
    assert not follow_ups.filter(status=FollowUpStatus.DONE, outcome="").exists()
    assert follow_ups.filter(owner__user__email="medewerker@demo.outsidein.example").exists()
    # A company's follow-up goes to its account owner.
    company = follow_ups.filter(response__customer__kind=CustomerKind.COMPANY)
    assert company.exists()
    assert not company.exclude(owner=F("response__customer__account_owner")).exists()
    invitations = Invitation.objects.filter(wave=autumn)
    assert invitations.filter(response__isnull=False).count() == autumn.responses.count()
    assert invitations.count() > autumn.responses.count()


def test_demo_has_a_finished_and_a_planned_arena(demo):
    from arena.models import Arena, ArenaStatus
    from live.selectors import room_role

    finished = Arena.objects.get(organisation__slug="demo", status=ArenaStatus.FINISHED)
    assert finished.room.state["closed"] and len(finished.room.state["statements"]) == 9
    assert finished.outcomes.filter(kind="point").count() == demo.arena_points
    planned = Arena.objects.get(organisation__slug="demo", status=ArenaStatus.PLANNED)
    assert planned.room.phase == "welcome" and 8 <= planned.invitations.count() <= 15
    assert {i.promotership for i in planned.invitations.all()} == {"promoter", "passive", "detractor"}
    moderator = planned.room.facilitator
    assert moderator.user.email == "gespreksleider@demo.outsidein.example"
    employee = moderator.organisation.memberships.get(user__email="medewerker@demo.outsidein.example")
    assert room_role(room=planned.room, membership=employee) == "employee"


def test_demo_has_the_autumn_waves_cascade_with_the_route_set(demo):
    from cascade.models import Cascade
    from cascade.selectors import progress_review

    cascade = Cascade.objects.get(organisation__slug="demo")
    assert cascade.wave.name == "Klantonderzoek najaar 2026"
    strategic = cascade.sessions.get(level="strategic")
    assert strategic.state == "done" and strategic.route.name == "Verbeterroute 2027"
    assert cascade.sessions.get(unit__code="PAR").state == "running"
    assert cascade.sessions.filter(state="planned").count() == cascade.sessions.count() - 2
    review = progress_review(cascade)
    assert len(review.points) == strategic.route.points.count() and len(review.targets) == 3
