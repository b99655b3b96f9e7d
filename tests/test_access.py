"""Tenant isolation and the role matrix, checked over HTTP against every route.

The sweep enumerates the URL configuration itself: a new organisation page or a
new pattern that takes an object id fails these tests until it is listed here.
"""

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from importlib import import_module
from itertools import count
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.api_tokens import api_token_create
from accounts.models import MagicLinkPurpose, Role
from accounts.permissions import MATRIX, Capability
from accounts.services import membership_create, organisation_create
from arena import services as arena_services
from cascade import services as cascade_services
from improvements import services as improvements
from improvements.models import ActionStatus
from org.models import Contact, Customer, Level, UnitKind
from org.services import unit_create
from research import services as research
from research.models import (
    Competitor,
    CoreValue,
    Driver,
    FollowUp,
    ImportJob,
    ResponseSource,
    WaveStatus,
)

ROOT = Path(__file__).resolve().parent.parent


def iter_patterns(resolvers, prefix="", namespace=""):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from iter_patterns(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, prefix + str(entry.pattern)


ORG_PATTERNS = sorted(
    {(name, route) for name, route in iter_patterns(get_resolver().url_patterns)
     if route.startswith("o/<slug:org>/")}
)
OBJECT_PATTERNS = [(name, route) for name, route in ORG_PATTERNS
                   if set(re.findall(r"<(?:\w+:)?(\w+)>", route)) - {"org"}]

# For each pattern taking an object id: which object of the world fills it in.
OBJECT_OF = {
    "org:unit_detail": "unit",
    "org:unit_update": "unit",
    "org:unit_delete": "unit",
    "org:person_update": "person",
    "org:customer_detail": "customer",
    "org:customer_update": "customer",
    "org:customer_delete": "customer",
    "org:contact_create": "customer",
    "org:contact_update": "contact",
    "org:contact_delete": "contact",
    "org:contact_magic_link": "contact",
    "org:contact_magic_links_revoke": "contact",
    "improvements:point_detail": "point",
    "improvements:point_update": "point",
    "improvements:point_status": "point",
    "improvements:action_create": "point",
    "improvements:evidence_create": "point",
    "improvements:evidence_delete": "evidence",
    "improvements:action_update": "action",
    "improvements:action_status": "action",
    "improvements:action_note_create": "action",
    "improvements:route_detail": "route",
    "improvements:route_update": "route",
    "improvements:route_add_point": "route",
    "improvements:route_remove_point": "route",
    "improvements:route_move_point": "route",
    "insights:unit": "unit",
    "insights:team": "unit",
    "insights:verbatim_voice": "response",
    "research:api_token_revoke": "api_token",
    "research:competitor_delete": "competitor",
    "research:core_value_delete": "core_value",
    "research:driver_update": "driver",
    "research:followup_detail": "follow_up",
    "research:followup_update": "follow_up",
    "research:import_detail": "import_job",
    "research:import_mapping": "import_job",
    "research:import_progress": "import_job",
    "research:import_rejected": "import_job",
    "research:import_run": "import_job",
    "research:import_upload": "wave",
    "research:invitations_create": "wave",
    "research:invitations_remind": "wave",
    "research:invitations_send": "wave",
    "research:questionnaire_copy": "wave",
    "research:questionnaire_edit": "wave",
    "research:questionnaire_export": "wave",
    "research:questionnaire_import": "wave",
    "research:response_export": "wave",
    "research:response_list": "wave",
    "research:response_rates": "wave",
    "research:wave_detail": "wave",
    "research:wave_invitations": "wave",
    "research:wave_public_link": "wave",
    "research:wave_status": "wave",
    "research:wave_update": "wave",
    "arena:detail": "arena",
    "arena:update": "arena",
    "arena:script": "arena",
    "arena:employee_add": "arena",
    "arena:employee_remove": "arena",
    "arena:customer_add": "arena",
    "arena:customer_remove": "arena",
    "arena:invite": "arena",
    "arena:finish": "arena",
    "arena:thank": "arena",
    "arena:report": "arena",
    "arena:console": "arena",
    "arena:screen": "arena",
    "arena:phone": "arena",
    "cascade:detail": "cascade",
    "cascade:review": "cascade",
    "cascade:target_set": "cascade",
    "cascade:review_add": "cascade",
    "cascade:kits": "cascade",
    "cascade:kits_download": "cascade",
    "cascade:session_kit_pptx": "cascade_session",
    "cascade:session_kit_pdf": "cascade_session",
    "cascade:spel_open": "cascade_session",
    "cascade:spel_console": "cascade_session",
    "cascade:spel_screen": "cascade_session",
    "cascade:spel_phone": "cascade_session",
    "cascade:spel_reveal": "cascade_session",
    "cascade:session": "cascade_session",
    "cascade:session_plan": "cascade_session",
    "cascade:session_start": "cascade_session",
    "cascade:session_route": "cascade_session",
    "cascade:session_finish": "cascade_session",
    "cascade:conversation_log": "cascade_session",
}

# Later apps list their own object patterns, probes and objects in ``<app>/tests/access.py``:
# ``OBJECT_OF`` (URL name -> key), ``PROBES`` (capability -> probe) and
# ``objects(world) -> dict`` (key -> object of that world, kept in ``world.extra``).
ACCESS_APPS = [import_module(f"{app}.tests.access")
               for app in ("safari", "journeys", "cocreation", "privacy", "audit")
               if Path(ROOT, app, "tests", "access.py").exists()]
for _module in ACCESS_APPS:
    OBJECT_OF |= _module.OBJECT_OF


@dataclass
class World:
    org: object
    admin: object
    employee: object
    unit: object
    person: object
    customer: object
    contact: object
    point: object
    action: object
    evidence: object
    route: object
    wave: object
    import_job: object
    follow_up: object
    driver: object
    core_value: object
    competitor: object
    api_token: object
    response: object
    arena: object
    cascade: object
    cascade_session: object
    extra: dict = field(default_factory=dict)

    def __getattr__(self, name):  # the objects of later apps (``ACCESS_APPS``)
        extra = self.__dict__.get("extra", {})
        if name in extra:
            return extra[name]
        raise AttributeError(name)


def build_world(organisation, make_member) -> World:
    root = organisation.units.get(depth=1)
    unit = unit_create(organisation=organisation, parent=root, name="Team Noord",
                       kind=UnitKind.TEAM, level=Level.OPERATIONAL, code=f"{organisation.slug}-N")
    admin = make_member(organisation, Role.ADMIN)
    employee = make_member(organisation, Role.EMPLOYEE, unit=unit)
    customer = Customer.objects.create(organisation=organisation, name="Klant BV",
                                       customer_number="K-1", unit=unit)
    contact = Contact.objects.create(customer=customer, name="Kees Klant",
                                     email="kees@klant.example", is_primary=True)
    point = improvements.point_create(organisation=organisation, actor=admin, title="Wachttijd",
                                      unit=unit)
    action = improvements.action_create(point=point, actor=admin, title="Terugbellen",
                                        owner=employee, due_date=date(2030, 1, 1))
    evidence = improvements.evidence_add(point=point, actor=admin, label="Enquête",
                                         quote="Ik wacht te lang")
    route = improvements.route_create(organisation=organisation, actor=admin, name="Route",
                                      points=[point])
    wave = research.wave_create(organisation=organisation, actor=admin, name="Meting voorjaar")
    research.wave_set_status(wave=wave, status=WaveStatus.OPEN)
    import_job = ImportJob.objects.create(organisation=organisation, wave=wave,
                                          original_name="export.csv", stored_path="")
    response = research.response_record(wave=wave, answers=research.Answers(nps=3),
                                        source=ResponseSource.SURVEY, contact=contact)
    arena = arena_services.arena_plan(organisation=organisation, actor=admin, title="Klantarena",
                                      starts_at=timezone.now(), moderator=admin)
    arena_services.arena_customer_add(arena=arena, contact=contact)
    cascade = cascade_services.cascade_create(organisation=organisation, wave=wave, actor=admin)
    world = World(
        organisation, admin, employee, unit, employee, customer, contact, point, action, evidence,
        route, wave, import_job, FollowUp.objects.get(response=response),
        Driver.objects.for_organisation(organisation).first(),
        CoreValue.objects.create(organisation=organisation, name="Betrokken"),
        Competitor.objects.create(organisation=organisation, name="Rivaal Direct"),
        api_token_create(organisation=organisation, user=admin.user, name="Koppeling")[0],
        response, arena, cascade, cascade.sessions.get(unit=unit),
    )
    for module in ACCESS_APPS:
        world.extra |= module.objects(world)
    return world


_members = count(1)


def module_member(organisation, role: str = Role.EMPLOYEE, unit=None, email: str | None = None,
                  name: str | None = None):
    """``make_member`` for a world built once per module (``conftest.make_member`` is per test)."""
    n = next(_members)
    return membership_create(organisation=organisation, email=email or f"world-{role}{n}@example.nl",
                             name=name or f"{role.title()} {n}", role=role, unit=unit,
                             password="correct-horse-battery-9")


@contextmanager
def built_once(django_db_blocker, tmp_path_factory):
    """Build a module's world in a transaction that its tests run inside, each in a savepoint
    of its own (pytest-django's ``db``), and that is rolled back after the last of them."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                             JOBS_EAGER=True, IMPORT_DIR=tmp_path_factory.mktemp("imports"))
    with django_db_blocker.unblock(), fast, transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)


@pytest.fixture(scope="module")
def shared_worlds(django_db_setup, django_db_blocker, tmp_path_factory):
    with built_once(django_db_blocker, tmp_path_factory):
        yield (build_world(organisation_create(slug="alpha", name="Alpha"), module_member),
               build_world(organisation_create(slug="beta", name="Beta"), module_member))


@pytest.fixture
def worlds(shared_worlds, db):
    """Two organisations' worlds, built once; what a test changes is rolled back after it."""
    return shared_worlds


def url_for(name: str, route: str, slug: str, world: World | None) -> str:
    kwargs = {"org": slug}
    for key in set(re.findall(r"<(?:\w+:)?(\w+)>", route)) - {"org"}:
        kwargs[key] = getattr(world, OBJECT_OF[name]).pk
    return reverse(name, kwargs=kwargs)


def test_every_object_pattern_is_covered_by_the_sweep():
    assert OBJECT_PATTERNS, "the URL configuration has no object pages?"
    uncovered = [name for name, _route in OBJECT_PATTERNS if name not in OBJECT_OF]
    assert uncovered == [], f"add these URL names to OBJECT_OF: {uncovered}"


@pytest.mark.parametrize("name,route", OBJECT_PATTERNS, ids=[n for n, _ in OBJECT_PATTERNS])
def test_another_organisations_object_is_not_found(client, worlds, name, route):
    alpha, beta = worlds
    client.force_login(beta.admin.user)
    url = url_for(name, route, beta.org.slug, alpha)
    statuses = {client.get(url).status_code, client.post(url, {}).status_code}
    assert statuses <= {404, 405} and 404 in statuses, (url, statuses)
    # Nothing of alpha's was touched by the attempts.
    assert alpha.point.__class__.objects.filter(pk=alpha.point.pk, title="Wachttijd").exists()
    assert alpha.customer.__class__.objects.filter(pk=alpha.customer.pk).exists()
    assert alpha.contact.__class__.objects.filter(pk=alpha.contact.pk).exists()
    assert alpha.evidence.__class__.objects.filter(pk=alpha.evidence.pk).exists()
    assert alpha.unit.__class__.objects.filter(pk=alpha.unit.pk).exists()
    alpha.wave.refresh_from_db()
    assert alpha.wave.status == WaveStatus.OPEN and alpha.wave.questions.exists()
    alpha.cascade_session.refresh_from_db()
    assert alpha.cascade_session.state == "planned" and alpha.cascade_session.facilitator is None
    alpha.arena.refresh_from_db()
    alpha.arena.room.refresh_from_db()
    assert alpha.arena.status == "planned" and alpha.arena.invitations.exists()
    assert alpha.arena.room.last_seq == 1
    for obj in (alpha.follow_up, alpha.driver, alpha.core_value, alpha.competitor,
                alpha.api_token, alpha.import_job):
        assert obj.__class__.objects.filter(pk=obj.pk).exists()
    alpha.api_token.refresh_from_db()
    assert alpha.api_token.revoked_at is None


@pytest.mark.parametrize("name,route", ORG_PATTERNS, ids=[n for n, _ in ORG_PATTERNS])
def test_another_organisations_pages_are_not_found(client, worlds, name, route):
    alpha, beta = worlds
    client.force_login(beta.admin.user)
    url = url_for(name, route, alpha.org.slug, alpha)
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404


@pytest.mark.parametrize("name,route", ORG_PATTERNS, ids=[n for n, _ in ORG_PATTERNS])
def test_anonymous_visitor_is_sent_to_login(client, worlds, name, route):
    alpha, _beta = worlds
    url = url_for(name, route, alpha.org.slug, alpha)
    for response in (client.get(url), client.post(url, {})):
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))


# One request per capability that only that capability allows. Each returns
# (method, url, data) for a member of the given role in the world. The world is shared by
# the module's tests (``shared_worlds``): a probe may change the database (rolled back after
# the test) but should not change the world's Python objects.
def _own_action(world, member):
    return improvements.action_create(point=world.point, actor=world.admin, title="Eigen actie",
                                      owner=member)


def page(name):
    return lambda w, m: ("get", reverse(name, args=[w.org.slug]), None)


def _own_team_page(world, member):
    # VIEW_TEAM_INSIGHTS is one's own team only: the probe puts the member in the team.
    member.unit = world.unit
    member.save(update_fields=["unit"])
    return "get", reverse("insights:team", args=[world.org.slug, world.unit.pk]), None


def _voice_toggle(world, member):
    # A quote that may be shown: a commented response, analysed, under a threshold of 1.
    from insights.services import responses_changed

    world.org.anonymity_threshold = 1
    world.org.save(update_fields=["anonymity_threshold"])
    response = research.response_record(
        wave=world.wave, answers=research.Answers(nps=9, comment="Altijd snel geholpen"),
        source=ResponseSource.SURVEY, contact=world.contact)
    responses_changed(wave=world.wave)
    return ("post", reverse("insights:verbatim_voice", args=[world.org.slug, response.pk]),
            {"is_voice": "1"})


PROBES = {
    Capability.VIEW_STRUCTURE: page("org:unit_list"),
    Capability.MANAGE_STRUCTURE: page("org:unit_create"),
    Capability.VIEW_PEOPLE: page("org:person_list"),
    Capability.MANAGE_PEOPLE: page("org:person_create"),
    Capability.VIEW_CUSTOMERS: page("org:customer_list"),
    Capability.MANAGE_CUSTOMERS: page("org:customer_create"),
    Capability.IMPORT_DATA: page("org:import_customers"),
    Capability.VIEW_POINTS: page("improvements:board"),
    Capability.RAISE_POINT: page("improvements:point_create"),
    Capability.MANAGE_POINTS: lambda w, m: (
        "get", reverse("improvements:point_update", args=[w.org.slug, w.point.pk]), None),
    Capability.MANAGE_ACTIONS: lambda w, m: (
        "get", reverse("improvements:action_update", args=[w.org.slug, w.action.pk]), None),
    Capability.UPDATE_OWN_ACTIONS: lambda w, m: (
        "post", reverse("improvements:action_status", args=[w.org.slug, _own_action(w, m).pk]),
        {"status": ActionStatus.IN_PROGRESS}),
    Capability.VIEW_ROUTES: page("improvements:route_list"),
    Capability.MANAGE_ROUTES: page("improvements:route_create"),
    Capability.SEND_MAGIC_LINKS: lambda w, m: (
        "post", reverse("org:contact_magic_link", args=[w.org.slug, w.contact.pk]),
        {"purpose": MagicLinkPurpose.PORTAL}),
    Capability.VIEW_WAVES: page("research:wave_list"),
    Capability.MANAGE_WAVES: page("research:wave_create"),
    Capability.IMPORT_RESPONSES: lambda w, m: (
        "get", reverse("research:import_upload", args=[w.org.slug, w.wave.pk]), None),
    Capability.VIEW_FOLLOW_UPS: page("research:followup_list"),
    Capability.MANAGE_API_TOKENS: page("research:api_tokens"),
    Capability.VIEW_INSIGHTS: page("insights:strategic"),
    Capability.VIEW_TEAM_INSIGHTS: _own_team_page,
    Capability.MARK_VOICE: _voice_toggle,
    Capability.EDIT_TAXONOMY: page("insights:taxonomy"),
    Capability.VIEW_ARENAS: page("arena:list"),
    Capability.PLAN_ARENAS: page("arena:create"),
    Capability.VIEW_CASCADES: page("cascade:list"),
    Capability.MANAGE_CASCADES: lambda w, m: (
        "post", reverse("cascade:session_plan", args=[w.org.slug, w.cascade_session.pk]),
        {"place": "Zaal 1"}),
    Capability.VIEW_ARENA_REPORTS: lambda w, m: (
        "get", reverse("arena:report", args=[w.org.slug, w.arena.pk]), None),
}
for _module in ACCESS_APPS:
    PROBES |= _module.PROBES


def test_every_capability_has_a_probe():
    assert set(PROBES) == set(MATRIX)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("capability", list(MATRIX))
def test_role_matrix_is_enforced_by_the_server(client, worlds, make_member, role, capability):
    world = worlds[0]
    member = make_member(world.org, role)
    client.force_login(member.user)
    method, url, data = PROBES[capability](world, member)
    response = getattr(client, method)(url, data or {})
    allowed = role in MATRIX[capability][1]
    if allowed:
        assert response.status_code in (200, 302), (role, capability, response.status_code)
    else:
        assert response.status_code == 403, (role, capability, response.status_code)


def test_readme_documents_the_role_matrix_the_server_enforces(capsys):
    call_command("roles_matrix")
    table = capsys.readouterr().out.strip()
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- roles-matrix -->")[1].split("<!-- /roles-matrix -->")[0]
    assert block.strip() == table
