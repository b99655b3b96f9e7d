"""Every HTTP route, classified and swept: who gets what outside the organisation pages.

``tests/test_access.py`` sweeps the organisation pages (``o/<org>/...``) for another
organisation, anonymous visitors and every role. This module makes sure no other route
escapes a sweep: each URL pattern of the configuration is in ``ROUTES`` (or under one of
the ``PREFIXES``), or ``test_every_route_is_classified`` fails naming it. Then each class
is held to what it promises:

public     anyone; no data behind it (login, password reset, language)
login      a staff account without an organisation in the URL (sent to the login page)
customer   a customer's magic-link session: only their own objects, only with a link of the
           area's purpose, not for staff, not after the link is revoked
token      a secret in the URL or a bearer token (calendar feed, API, public survey link,
           unsubscribe, magic link redemption): a wrong, revoked or used secret is refused
org        ``tests/test_access.py``
admin      Django's admin: only ``is_staff`` users; organisation roles get its login page

The world (two organisations with a customer side each) is built once for the module and
every test runs in a savepoint of it. The Django test client raises any server error, and
``fetch`` checks the status besides: no request of the sweep may answer 500.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from accounts.api_tokens import api_token_create, api_token_revoke
from accounts.models import MagicLink, MagicLinkPurpose, Role
from accounts.permissions import role_can
from accounts.services import magic_link_issue, magic_link_revoke, organisation_create
from arena import services as arena_services
from cocreation import services as cocreation_services
from improvements import services as improvements
from org.models import Contact, Customer
from portal import services as portal_services
from portal.models import ContributionKind
from research import services as research
from research.models import WaveStatus
from research.selectors import wave_by_public_token
from research.survey import invitations_create
from safari import services as safari_services
from tests.test_access import ORG_PATTERNS, build_world, built_once, module_member, url_for

PUBLIC, LOGIN, CUSTOMER, TOKEN, ORG, ADMIN = "public", "login", "customer", "token", "org", "admin"
ANY = "any purpose"

# What an anonymous visitor's GET gets, for every route that is not an organisation or
# admin page. Tokens in the URL are made up (``bogus_kwargs``).
ROUTES: dict[str, tuple[str, int]] = {
    "home": (LOGIN, 302),
    "accounts:choose_organisation": (LOGIN, 302),
    "accounts:security": (LOGIN, 302),
    "accounts:two_factor_setup": (LOGIN, 302),
    "accounts:two_factor_disable": (LOGIN, 302),
    "accounts:backup_codes": (LOGIN, 302),
    "accounts:login_code": (LOGIN, 302),  # the second step of a login begun on the login page
    "accounts:login": (PUBLIC, 200),
    "accounts:logout": (PUBLIC, 405),  # POST only
    "accounts:password_reset": (PUBLIC, 200),
    "accounts:password_reset_done": (PUBLIC, 200),
    "accounts:password_reset_complete": (PUBLIC, 200),
    "set_language": (PUBLIC, 302),
    "accounts:password_reset_confirm": (TOKEN, 200),  # "this link is invalid", no form
    "accounts:magic_link": (TOKEN, 410),
    "survey:public": (TOKEN, 404),
    "portal:unsubscribe": (TOKEN, 404),
    "safari_feed:feed": (TOKEN, 404),
    "api:api-root": (TOKEN, 404),  # the API has no page at its root
    "api:openapi-json": (PUBLIC, 200),  # the schema, no data
    "api:wave_list": (TOKEN, 401),
    "api:wave_detail": (TOKEN, 401),
    "api:response_list": (TOKEN, 401),
    "api:response_post": (TOKEN, 401),
    "accounts:customer_home": (CUSTOMER, 403),
    "survey:start": (CUSTOMER, 403),
    "survey:form": (CUSTOMER, 403),
    "survey:save": (CUSTOMER, 403),
    "survey:thanks": (CUSTOMER, 403),
    "arena_customer:home": (CUSTOMER, 403),
    "arena_customer:rsvp": (CUSTOMER, 405),  # POST only: refused below
    "arena_customer:room": (CUSTOMER, 403),
    "cocreation_delegate:home": (CUSTOMER, 403),
    "cocreation_delegate:group": (CUSTOMER, 403),
    "cocreation_delegate:room": (CUSTOMER, 403),
    "portal:home": (CUSTOMER, 403),
    "portal:preference": (CUSTOMER, 405),  # POST only: refused below
}
# Whole subtrees whose every pattern (named or not) belongs to one class.
PREFIXES = {"o/<slug:org>/": ORG, "django-admin/": ADMIN}


# The customer areas: the magic-link purpose each accepts, the kind of object its URL
# names (None: the session's own page) and the methods it answers.
@dataclass(frozen=True)
class Area:
    purpose: str
    kind: str | None
    methods: tuple[str, ...] = ("get",)


AREAS = {
    "accounts:customer_home": Area(ANY, None),
    "survey:start": Area(MagicLinkPurpose.SURVEY, None),
    "survey:form": Area(MagicLinkPurpose.SURVEY, "wave", ("get", "post")),
    "survey:save": Area(MagicLinkPurpose.SURVEY, "wave", ("post",)),
    "survey:thanks": Area(MagicLinkPurpose.SURVEY, "wave"),
    "arena_customer:home": Area(MagicLinkPurpose.ARENA, None),
    "arena_customer:rsvp": Area(MagicLinkPurpose.ARENA, "arena", ("post",)),
    "arena_customer:room": Area(MagicLinkPurpose.ARENA, "arena"),
    "cocreation_delegate:home": Area(MagicLinkPurpose.DELEGATE, None),
    "cocreation_delegate:group": Area(MagicLinkPurpose.DELEGATE, "group", ("get", "post")),
    "cocreation_delegate:room": Area(MagicLinkPurpose.DELEGATE, "meeting"),
    "portal:home": Area(ANY, None),
    "portal:preference": Area(ANY, None, ("post",)),
}
PURPOSES = (MagicLinkPurpose.SURVEY, MagicLinkPurpose.ARENA, MagicLinkPurpose.DELEGATE,
            MagicLinkPurpose.PORTAL)
REFUSED = {403, 404}


# The URL configuration, every pattern (named or not) -------------------------------------

def all_patterns(resolvers=None, prefix="", namespace=""):
    """Yield ``(name or None, full route)`` of every pattern."""
    for entry in get_resolver().url_patterns if resolvers is None else resolvers:
        if isinstance(entry, URLResolver):
            yield from all_patterns(entry.url_patterns, prefix + str(entry.pattern),
                                    entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield name, prefix + str(entry.pattern)


PATTERNS = sorted(set(all_patterns()), key=lambda p: (p[1], p[0] or ""))


def class_of(name: str | None, route: str) -> str | None:
    for prefix, kind in PREFIXES.items():
        if route.startswith(prefix):
            return kind
    return ROUTES[name][0] if name in ROUTES else None


ROUTE_NAMES = sorted(name for name, route in PATTERNS if class_of(name, route) not in (ORG, ADMIN, None))
ADMIN_PATTERNS = [(name, route) for name, route in PATTERNS if class_of(name, route) == ADMIN]


def test_every_route_is_classified():
    unclassified = [name or route for name, route in PATTERNS if class_of(name, route) is None]
    assert unclassified == [], f"classify these routes in ROUTES (this module): {unclassified}"
    assert set(ROUTES) <= {name for name, _route in PATTERNS}, "ROUTES names a route that is gone"
    assert {name for name, (kind, _status) in ROUTES.items() if kind == CUSTOMER} == set(AREAS)


def test_every_organisation_route_is_in_the_organisation_sweep():
    # tests/test_access.py sweeps the named organisation patterns: none may be unnamed.
    org_routes = {(name, route) for name, route in PATTERNS if class_of(name, route) == ORG}
    assert org_routes and all(name for name, _route in org_routes)
    assert org_routes == set(ORG_PATTERNS)


# The world, built once for the module ----------------------------------------------------

@dataclass
class Side:
    """One organisation's customer side: customer X (the world's contact) and customer Y."""

    world: object
    x: Contact
    y: Contact
    own: dict        # kind -> X's object of that kind
    of_y: dict       # kind -> Y's object of that kind (X is not in it)
    tokens: dict     # purpose -> a fresh magic-link token of X
    y_point: object  # an improvement point only Y contributed to
    feed_secret: str
    api_secret: str
    public_token: str
    staff: dict      # role -> a member of that role, in no unit


def customer_side(world) -> Side:
    org, admin = world.org, world.admin
    x = world.contact
    # Both worlds name their objects alike: tell them apart in the pages.
    for obj, field in ((world.wave, "name"), (world.arena, "title"), (world.cc_group, "name")):
        setattr(obj, field, f"{getattr(obj, field)} {org.slug}")
        obj.save(update_fields=[field])
    other = Customer.objects.create(organisation=org, name="Ander BV", customer_number="K-2", unit=world.unit)
    y = Contact.objects.create(customer=other, name="Yvonne Ander", email=f"y@{org.slug}.example",
                               is_primary=True)
    # Survey: X is invited to the world's wave, Y alone to a second one.
    invitations_create(wave=world.wave, contacts=[x])
    wave_y = research.wave_create(organisation=org, actor=admin, name=f"Meting najaar {org.slug}")
    research.wave_set_status(wave=wave_y, status=WaveStatus.OPEN)
    invitations_create(wave=wave_y, contacts=[y])
    # Arena: X sits in the world's arena, Y alone in a second one.
    arena_y = arena_services.arena_plan(organisation=org, actor=admin, title=f"Arena van Yvonne {org.slug}",
                                        starts_at=timezone.now(), moderator=admin)
    arena_services.arena_customer_add(arena=arena_y, contact=y)
    # Improvement groups: X is the world's group's delegate, Y of a second group; both
    # groups meet live now.
    delegate_x = world.cc_delegate
    group_y = cocreation_services.group_create(organisation=org, actor=admin,
                                               name=f"Groep van Yvonne {org.slug}")
    cocreation_services.member_add(group=group_y, membership=world.employee, is_chair=True)
    delegate_y = cocreation_services.delegate_add(group=group_y, contact=y)
    meeting_y = cocreation_services.meeting_plan(group=group_y, actor=admin, starts_at=timezone.now())
    delegate_x = cocreation_services.delegate_invite(delegate=delegate_x, actor=admin,
                                                     base_url="http://testserver", notify=False)
    cocreation_services.delegate_invite(delegate=delegate_y, actor=admin, base_url="http://testserver",
                                        notify=False)
    cocreation_services.meeting_room_open(meeting=world.cc_meeting, actor=world.employee)
    cocreation_services.meeting_room_open(meeting=meeting_y, actor=world.employee)
    # Portal: X contributed to the world's point, Y to a point of their own.
    y_point = improvements.point_create(organisation=org, actor=admin,
                                        title=f"Geheim punt van Yvonne {org.slug}", unit=world.unit)
    portal_services.contribution_add(contact=x, point=world.point, kind=ContributionKind.SURVEY,
                                     label="Enquête")
    portal_services.contribution_add(contact=y, point=y_point, kind=ContributionKind.SURVEY,
                                     label="Enquête")
    tokens = {purpose: magic_link_issue(contact=x, purpose=purpose).token
              for purpose in PURPOSES if purpose != MagicLinkPurpose.DELEGATE}
    tokens[MagicLinkPurpose.DELEGATE] = delegate_x.issued_token
    # The world's import job has no file: give it one, so that its pages show it.
    upload = Path(settings.IMPORT_DIR) / f"sweep-{org.slug}.csv"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_text("klantnummer;nps;toelichting\nK-1;9;Snel geholpen\n", encoding="utf-8")
    world.import_job.stored_path = str(upload)
    world.import_job.save(update_fields=["stored_path"])
    # Tokens: the admin's calendar feed, an API token, an anonymous wave's public link.
    _feed, feed_secret = safari_services.calendar_token_issue(membership=world.admin)
    api_secret = api_token_create(organisation=org, user=admin.user, name="Sweep")[1]
    anonymous = research.wave_create(organisation=org, actor=admin, name="Anonieme peiling",
                                     is_anonymous=True)
    research.wave_set_status(wave=anonymous, status=WaveStatus.OPEN)
    public_token = research.wave_public_link_issue(wave=anonymous)
    return Side(world=world, x=x, y=y,
                own={"wave": world.wave, "arena": world.arena, "group": world.cc_group,
                     "meeting": world.cc_meeting},
                of_y={"wave": wave_y, "arena": arena_y, "group": group_y, "meeting": meeting_y},
                tokens=tokens, y_point=y_point, feed_secret=feed_secret, api_secret=api_secret,
                public_token=public_token, staff={role: module_member(org, role) for role in Role.values})


@pytest.fixture(scope="module")
def sides(django_db_setup, django_db_blocker, tmp_path_factory):
    """Two organisations' worlds with their customer sides, built once (``built_once``)."""
    with built_once(django_db_blocker, tmp_path_factory):
        yield (customer_side(build_world(organisation_create(slug="alpha", name="Alpha"), module_member)),
               customer_side(build_world(organisation_create(slug="beta", name="Beta"), module_member)))


@pytest.fixture
def alpha(sides, db):
    return sides[0]


@pytest.fixture
def beta(sides, db):
    return sides[1]


# Requests ----------------------------------------------------------------------------------

def fetch(client, method: str, url: str, data=None, **extra):
    response = getattr(client, method)(url, data or {}, **extra)
    assert response.status_code < 500, (method, url, response.status_code)
    return response


def customer(token: str) -> Client:
    """A browser that redeemed ``token`` (a magic link) through the real page."""
    browser = Client()
    response = fetch(browser, "get", reverse("accounts:magic_link", args=[token]))
    assert response.status_code == 302, response.status_code
    return browser


def area_url(name: str, obj=None) -> str:
    return reverse(name, args=[obj.pk] if obj is not None else [])


def title_of(obj) -> str:
    return getattr(obj, "title", None) or getattr(obj, "name", None) or obj.group.name


def bogus_kwargs(route: str) -> dict:
    samples = {"token": "x" * 43, "secret": "y" * 43, "uidb64": "MQ", "org": "alpha", "id": 1, "pk": 1}
    return {key: samples[key] for key in re.findall(r"<(?:\w+:)?(\w+)>", route)}


ROUTE_OF = {name: route for name, route in PATTERNS if name}


# Organisation pages: every page for every role, against the view's own capability -----------

def _capability_of(url: str) -> str | None:
    view = getattr(resolve(url).func, "view_class", None)
    return getattr(view, "capability", None)


@pytest.mark.parametrize("name,route", ORG_PATTERNS, ids=[n for n, _ in ORG_PATTERNS])
def test_every_organisation_page_answers_each_role_as_the_matrix_says(client, alpha, name, route):
    """``tests/test_access.py`` probes one page per capability; here every page is asked by
    every role: a role without the capability its view declares gets 403 (GET and an empty
    POST), none a 500; the administrator's empty POST reaches every handler; a customer's
    magic-link session is no staff login."""
    url = url_for(name, route, alpha.world.org.slug, alpha.world)
    capability = _capability_of(url)
    browser = customer(alpha.tokens[MagicLinkPurpose.PORTAL])
    response = fetch(browser, "get", url)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    answers = (200, 302, 400, 403, 404, 405, 409, 410)
    # The administrator last: their POST may delete the object the URL names.
    for role, member in sorted(alpha.staff.items(), key=lambda item: item[0] == Role.ADMIN):
        client.force_login(member.user)
        denied = bool(capability) and not role_can(role, capability)
        for method in ("get", "post") if denied or role == Role.ADMIN else ("get",):
            status = fetch(client, method, url).status_code
            if denied:
                assert status == 403, (name, role, method, capability, status)
            else:
                assert status in answers, (name, role, method, status)


# Public, login, token and customer routes: what an anonymous visitor gets -----------------

@pytest.mark.parametrize("name", ROUTE_NAMES)
def test_anonymous_visitor_gets_the_documented_answer(client, alpha, name):
    kind, expected = ROUTES[name]
    url = reverse(name, kwargs=bogus_kwargs(ROUTE_OF[name]))
    response = fetch(client, "get", url)
    assert response.status_code == expected, (name, response.status_code)
    if response.status_code == 302:
        assert kind in (LOGIN, PUBLIC)
        if kind == LOGIN:
            assert response.url.startswith(reverse("accounts:login"))
    post = fetch(client, "post", url)
    if kind in (CUSTOMER, LOGIN):
        # Never a page or an action for someone who is nobody.
        assert post.status_code in (302, 403, 404, 405), (name, post.status_code)
        if post.status_code == 302:
            assert post.url.startswith(reverse("accounts:login"))
    if kind == TOKEN and name != "accounts:password_reset_confirm":
        assert post.status_code in (401, 403, 404, 405, 410, 422), (name, post.status_code)
    if name == "accounts:password_reset_confirm":
        assert b"new_password1" not in response.content


# Customer areas ------------------------------------------------------------------------------

AREA_CASES = [(name, method) for name, area in AREAS.items() for method in area.methods]
AREA_IDS = [f"{name}-{method}" for name, method in AREA_CASES]


def _session_for(side: Side, area: Area) -> Client:
    purpose = MagicLinkPurpose.PORTAL if area.purpose == ANY else area.purpose
    return customer(side.tokens[purpose])


@pytest.mark.parametrize("name,method", AREA_CASES, ids=AREA_IDS)
def test_a_customer_gets_their_own_page(alpha, name, method):
    area = AREAS[name]
    browser = _session_for(alpha, area)
    obj = alpha.own[area.kind] if area.kind else None
    response = fetch(browser, method, area_url(name, obj))
    # 400: the empty form was let through to its validation.
    assert response.status_code in ((200, 302, 400) if method == "post" else (200, 302)), (
        name, response.status_code)
    if response.status_code == 302:
        assert not response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name,method", [c for c in AREA_CASES if AREAS[c[0]].kind],
                         ids=[i for c, i in zip(AREA_CASES, AREA_IDS, strict=True) if AREAS[c[0]].kind])
def test_a_customer_cannot_open_another_customers_or_organisations_object(alpha, beta, name, method):
    area = AREAS[name]
    browser = _session_for(alpha, area)
    for label, obj in (("customer Y", alpha.of_y[area.kind]), ("organisation beta", beta.own[area.kind]),
                       ("beta's customer Y", beta.of_y[area.kind])):
        response = fetch(browser, method, area_url(name, obj))
        assert response.status_code in REFUSED, (name, label, response.status_code)
        assert title_of(obj).encode() not in response.content


def test_the_portal_shows_only_the_customers_own_points(alpha, beta):
    browser = customer(alpha.tokens[MagicLinkPurpose.PORTAL])
    page = fetch(browser, "get", reverse("portal:home"))
    assert page.status_code == 200
    assert alpha.world.point.title.encode() in page.content
    assert alpha.y_point.title.encode() not in page.content
    assert beta.y_point.title.encode() not in page.content
    for side in (alpha, beta):
        assert side.y.name.encode() not in page.content


def test_a_delegate_sees_only_their_own_groups(alpha, beta):
    browser = customer(alpha.tokens[MagicLinkPurpose.DELEGATE])
    page = fetch(browser, "get", reverse("cocreation_delegate:home"), follow=True)
    assert page.status_code == 200
    assert alpha.own["group"].name.encode() in page.content
    for group in (alpha.of_y["group"], beta.own["group"], beta.of_y["group"]):
        assert group.name.encode() not in page.content


def test_an_arena_customer_sees_only_their_own_invitations(alpha, beta):
    browser = customer(alpha.tokens[MagicLinkPurpose.ARENA])
    page = fetch(browser, "get", reverse("arena_customer:home"))
    assert page.status_code == 200
    assert alpha.own["arena"].title.encode() in page.content
    for arena in (alpha.of_y["arena"], beta.own["arena"], beta.of_y["arena"]):
        assert arena.title.encode() not in page.content


@pytest.mark.parametrize("name,method", AREA_CASES, ids=AREA_IDS)
def test_a_staff_session_is_no_customer(client, alpha, name, method):
    area = AREAS[name]
    client.force_login(alpha.world.admin.user)
    obj = alpha.own[area.kind] if area.kind else None
    response = fetch(client, method, area_url(name, obj))
    assert response.status_code in REFUSED, (name, response.status_code)


@pytest.mark.parametrize("name,method", AREA_CASES, ids=AREA_IDS)
def test_a_link_of_another_purpose_does_not_open_the_area(alpha, name, method):
    area = AREAS[name]
    if area.purpose == ANY:
        pytest.skip("any customer link opens this page (documented in portal.selectors.portal_contact)")
    obj = alpha.own[area.kind] if area.kind else None
    for purpose in PURPOSES:
        if purpose == area.purpose:
            continue
        response = fetch(customer(alpha.tokens[purpose]), method, area_url(name, obj))
        assert response.status_code in REFUSED, (name, purpose, response.status_code)


@pytest.mark.parametrize("name,method", AREA_CASES, ids=AREA_IDS)
def test_a_revoked_link_closes_the_area_it_opened(alpha, name, method):
    area = AREAS[name]
    browser = _session_for(alpha, area)
    purpose = MagicLinkPurpose.PORTAL if area.purpose == ANY else area.purpose
    link = MagicLink.objects.get(token_hash=MagicLink.hash_token(alpha.tokens[purpose]))
    magic_link_revoke(link=link)
    obj = alpha.own[area.kind] if area.kind else None
    response = fetch(browser, method, area_url(name, obj))
    assert response.status_code in REFUSED | {410}, (name, response.status_code)


@pytest.mark.parametrize("case", ["unknown", "used", "revoked", "expired"])
def test_a_magic_link_that_is_no_longer_valid_is_refused(client, alpha, case):
    token = alpha.tokens[MagicLinkPurpose.PORTAL]
    link = MagicLink.objects.get(token_hash=MagicLink.hash_token(token))
    if case == "unknown":
        token = token[:-4] + "AAAA"
    elif case == "used":
        customer(token)
    elif case == "revoked":
        magic_link_revoke(link=link)
    else:
        MagicLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = fetch(client, "get", reverse("accounts:magic_link", args=[token]))
    assert response.status_code == 410
    assert fetch(client, "get", reverse("portal:home")).status_code == 403


def test_an_expired_customer_session_is_refused(alpha):
    browser = customer(alpha.tokens[MagicLinkPurpose.ARENA])
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key=browser.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1))
    assert fetch(browser, "get", reverse("arena_customer:home")).status_code == 403


# Token routes --------------------------------------------------------------------------------

def test_the_calendar_feed_needs_the_live_secret_of_its_organisation(client, alpha, beta):
    def feed(slug, secret):
        return fetch(client, "get", reverse("safari_feed:feed", args=[slug, secret]))

    assert feed("alpha", alpha.feed_secret).status_code == 200
    assert feed("beta", alpha.feed_secret).status_code == 404
    assert feed("alpha", beta.feed_secret).status_code == 404
    assert feed("alpha", alpha.feed_secret[:-3] + "zzz").status_code == 404
    safari_services.calendar_token_revoke(membership=alpha.world.admin)
    assert feed("alpha", alpha.feed_secret).status_code == 404
    # A member who leaves takes their feed with them.
    _token, secret = safari_services.calendar_token_issue(membership=alpha.world.admin)
    assert feed("alpha", secret).status_code == 200
    type(alpha.world.admin).objects.filter(pk=alpha.world.admin.pk).update(is_active=False)
    assert feed("alpha", secret).status_code == 404


def test_the_api_needs_a_live_token_and_stays_in_its_organisation(client, alpha, beta):
    def get(path, secret):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
        return fetch(client, "get", "/api/v1/" + path, **headers)

    assert get("waves", alpha.api_secret).status_code == 200
    assert get(f"waves/{alpha.world.wave.pk}", alpha.api_secret).status_code == 200
    for path in ("waves", f"waves/{alpha.world.wave.pk}", f"waves/{alpha.world.wave.pk}/responses"):
        assert get(path, None).status_code == 401
        assert get(path, "not-a-token").status_code == 401
    # Another organisation's wave is not found with this organisation's token.
    assert get(f"waves/{beta.world.wave.pk}", alpha.api_secret).status_code == 404
    assert get(f"waves/{beta.world.wave.pk}/responses", alpha.api_secret).status_code == 404
    posted = fetch(client, "post", f"/api/v1/waves/{beta.world.wave.pk}/responses",
                   data={"responses": []}, content_type="application/json",
                   HTTP_AUTHORIZATION=f"Bearer {alpha.api_secret}")
    assert posted.status_code in (404, 422), posted.status_code
    api_token_revoke(api_token=alpha.world.api_token.__class__.objects.get(
        token_hash=alpha.world.api_token.__class__.hash_token(alpha.api_secret)))
    assert get("waves", alpha.api_secret).status_code == 401
    # A token of a member who left stops working too.
    secret = api_token_create(organisation=alpha.world.org, user=alpha.world.admin.user, name="Nieuw")[1]
    assert get("waves", secret).status_code == 200
    type(alpha.world.admin).objects.filter(pk=alpha.world.admin.pk).update(is_active=False)
    assert get("waves", secret).status_code == 401


def test_the_public_survey_link_needs_its_token(client, alpha):
    def status(token):
        return fetch(client, "get", reverse("survey:public", args=[token])).status_code

    assert status(alpha.public_token) == 200
    assert status(alpha.public_token[:-3] + "zzz") == 404
    # A new link replaces the old one.
    wave = wave_by_public_token(alpha.public_token)
    new_token = research.wave_public_link_issue(wave=wave)
    assert status(alpha.public_token) == 404 and status(new_token) == 200


def test_the_unsubscribe_link_needs_a_signed_token(client, alpha):
    token = portal_services.unsubscribe_token(alpha.x)
    assert fetch(client, "get", reverse("portal:unsubscribe", args=[token])).status_code == 200
    assert fetch(client, "get", reverse("portal:unsubscribe", args=[token[:-2] + "zz"])).status_code == 404
    assert fetch(client, "post", reverse("portal:unsubscribe", args=["forged"])).status_code == 404


# Django's admin ------------------------------------------------------------------------------

def _admin_sample(name: str | None, route: str) -> str:
    """A URL of the admin pattern ``route`` (regex groups and converters filled in)."""
    path = route
    path = re.sub(r"<path:\w+>", "1", path)
    path = re.sub(r"\(\?P<app_label>([\w|]+)\)", lambda m: m.group(1).split("|")[0], path)
    path = re.sub(r"\(\?P<url>\.\*\)", "no-such-page/", path)
    return "/" + path.replace("^", "").replace("$", "")


@pytest.mark.parametrize("name,route", ADMIN_PATTERNS, ids=[n or r for n, r in ADMIN_PATTERNS])
def test_djangos_admin_is_only_for_staff_users(client, alpha, name, route):
    url = _admin_sample(name, route)
    login = reverse("admin:login")
    for who in ("anonymous", "organisation admin"):
        if who == "organisation admin":
            client.force_login(alpha.world.admin.user)
        response = fetch(client, "get", url, follow=True)
        final = response.request["PATH_INFO"]
        assert final == login, (who, url, final, response.status_code)
        assert response.status_code == 200
        post = fetch(client, "post", url, follow=True)
        assert post.request["PATH_INFO"] == login and post.status_code == 200, (who, url, post.status_code)


def test_organisation_roles_are_no_django_staff(alpha):
    for membership in alpha.world.org.memberships.select_related("user"):
        assert not membership.user.is_staff and not membership.user.is_superuser

